"""The ingestion job protocol: how a document version becomes a job on the arq queue, how
a job's tries are counted and its lease kept, and how a lost job is found and queued again.

- One job per document version: its id is `doc:<id>:v<version>` (arq runs an id once), with
  `:r<n>` when a lost job is queued again; the newest id is kept under `KEYS.job(id)`.
- A job's tries are counted in Redis (`KEYS.tries(job_id)`), so that they outlive a worker
  that crashed: a file that kills its worker again and again is failed, not retried forever.
- A running job holds a short lease (arq's in-progress mark, renewed by a thread:
  `lease.py`), so that when its worker dies another takes the job within `job_lease_s`,
  not after the whole job timeout.
- A document QUEUED or PROCESSING whose job is in no queue (Redis lost it, or arq gave up
  after workers died) is queued again, MAX_REQUEUES times at most, then failed.
- Users take turns (`JobQueue.fair_turn`): arq runs the queue's jobs in the order of their
  scores, which were their enqueue times, so one user's 100 slow uploads held every
  worker of the cluster until all were done while another's one small file waited behind
  them. A user's job is placed as start-time fair queueing (Goyal et al., 1996) places a
  flow's packet: a user with no job waiting takes the place of the oldest job waiting (the
  queue's head); one with jobs waiting, the place just after their newest. Each user with
  jobs waiting thus has one job in every round of the queue, whatever their backlog.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime, timedelta

from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus

from docent.domain import DocumentRecord, DocumentStatus
from docent.errors import ErrorCode
from docent.ingestion.events import DocumentEvent, EventBus
from docent.redis_keys import KEYS, RedisKeys
from docent.search.backend import DocumentCatalog
from docent.search.records import record_to_dict

log = logging.getLogger(__name__)

#: The name of the arq function that processes a document (`worker.process_document`).
JOB_FUNCTION = "process_document"
#: A document whose job is lost this many times (its worker crashed or timed out each
#: time) is failed instead of being queued again: no document stays in processing forever.
MAX_REQUEUES = 2
#: How long a document's newest job id and its requeue counts are kept.
_KEEP_S = 30 * 24 * 3600
#: How long a job's try counters are kept.
_TRIES_KEEP_S = 7 * 24 * 3600
_ALIVE = (JobStatus.queued, JobStatus.deferred, JobStatus.in_progress)
#: The gap, in ms of score, between a user's jobs waiting one after another (arq's scores are
#: whole ms): another user's job placed in between runs between them.
TURN_MS = 1
#: How far ahead of now a score may be placed. A user who queues faster than one job per
#: TURN_MS gets scores just ahead of now rather than ties at now: capped at now, their later
#: jobs tied with the turns other users were given and ran between them (a CI run: Alice's
#: fourth job before Bob's third). The job then waits at most this long on an idle worker.
MAX_AHEAD_MS = 1000
#: How long arq keeps a job that has not started (arq's default for a job not deferred: a
#: job placed at an older score would otherwise expire sooner, or at once).
_JOB_EXPIRES = timedelta(days=1)

#: Marks a document version FAILED: (owner, document_id, version, code, message).
Fail = Callable[[str, str, int, ErrorCode, str], Awaitable[None]]


def job_id(document: DocumentRecord, attempt: int = 0) -> str:
    """One job per document version: enqueuing it twice runs it once."""
    suffix = f":r{attempt}" if attempt else ""
    return f"doc:{document.id}:v{document.version}{suffix}"


#: Per (queue, user), the lock one process places that user's jobs under (weakly held:
#: the entry goes with the last placement holding it). Placed at once (six uploads in
#: parallel), a user's jobs read the same last turn and tied at the head's score, and a
#: newcomer placed at that score came after as many of them as the job ids put first (a
#: CI run: Bob's note after 4 of Alice's). Across processes placements may still tie.
_PLACING: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = weakref.WeakValueDictionary()


@dataclass(frozen=True)
class JobQueue:
    """Ingestion jobs on the arq queue `queue_name`, and the documents whose job was lost."""

    redis: ArqRedis
    catalog: DocumentCatalog
    events: EventBus
    _: KW_ONLY
    queue_name: str
    keys: RedisKeys = KEYS

    async def enqueue(
        self, record: DocumentRecord, *, attempt: int = 0, pending: bool = False
    ) -> None:
        """Queue the job of `record`'s version and publish its QUEUED event. `pending`: the
        index was down when the upload came, so the job carries the record to write."""
        current_job = job_id(record, attempt)
        await self.redis.set(self.keys.job(record.id), current_job, ex=_KEEP_S)
        async with _PLACING.setdefault((self.queue_name, record.owner), asyncio.Lock()):
            await self._place(record, current_job, pending)
        await self.events.publish(DocumentEvent.from_record(record))

    async def _place(self, record: DocumentRecord, current_job: str, pending: bool) -> None:
        score = await self.fair_turn(record.owner)
        await self.redis.enqueue_job(
            JOB_FUNCTION,
            record.owner,
            record.id,
            record.version,
            record_to_dict(record) if pending else None,
            _job_id=current_job,
            _queue_name=self.queue_name,
            _defer_until=datetime.fromtimestamp(score / 1000, UTC),
            _expires=_JOB_EXPIRES,
        )
        await self.redis.set(
            self.keys.last_turn(self.queue_name, record.owner), f"{score} {current_job}",
            ex=_KEEP_S,
        )  # fmt: skip

    async def fair_turn(self, owner: str) -> int:
        """The queue score (epoch ms) of `owner`'s next job: just after (TURN_MS) the newest
        job of theirs still in the queue (waiting or running), or else the score of the
        oldest job waiting, so that they go next; never later than MAX_AHEAD_MS after now (a
        score in the future holds the job back, as arq's `defer` does). Concurrent placements may
        tie; arq then takes them in job-id order. Two reads of Redis."""
        now = int(time.time() * 1000)
        head = await self.redis.zrangebyscore(
            self.queue_name, "-inf", now, start=0, num=1, withscores=True
        )
        score = int(head[0][1]) if head else now
        last = await self.redis.get(self.keys.last_turn(self.queue_name, owner))
        if last is not None:
            last_score, _, last_job = last.decode().partition(" ")
            if await self.redis.zscore(self.queue_name, last_job) is not None:
                score = max(score, int(last_score) + TURN_MS)
        return min(score, now + MAX_AHEAD_MS)

    async def recover(self, *, stale_after_s: float, fail: Fail) -> int:
        """Queue every lost document (see `lost`) again, or `fail` it when that already
        happened MAX_REQUEUES times; returns how many were handled."""
        handled = 0
        for record in await self.lost(stale_after_s=stale_after_s):
            if await self.times_requeued(record) >= MAX_REQUEUES:
                await fail(
                    record.owner, record.id, record.version, ErrorCode.TIMEOUT,
                    f"processing stopped {MAX_REQUEUES + 1} times without finishing (the worker "
                    "timed out or crashed on this file); reprocess the document to try again",
                )  # fmt: skip
            else:
                await self.requeue(record)
            handled += 1
        return handled

    async def lost(self, *, stale_after_s: float) -> list[DocumentRecord]:
        """Documents QUEUED or PROCESSING for longer than `stale_after_s` whose job is in no
        queue: the job vanished (Redis lost it, or arq gave up after workers died)."""
        stuck = await self.catalog.documents_in_status(
            [DocumentStatus.QUEUED, DocumentStatus.PROCESSING], older_than_s=stale_after_s
        )
        return [record for record in stuck if not await self._alive(record)]

    async def requeue(self, record: DocumentRecord) -> int:
        """Queue a lost document again; returns how many times this version was requeued."""
        key = self.keys.requeued(record.id, record.version)
        count = int(await self.redis.incr(key))
        await self.redis.expire(key, _KEEP_S)
        log.warning("re-queuing %s (%s, job lost, time %d)", record.id, record.status.value, count)
        requeued = record.evolve(status=DocumentStatus.QUEUED)
        if await self.catalog.update_document(requeued, expected_version=record.version):
            await self.enqueue(requeued, attempt=count)
        return count

    async def times_requeued(self, record: DocumentRecord) -> int:
        """How many times the job of `record`'s version was lost and queued again."""
        value = await self.redis.get(self.keys.requeued(record.id, record.version))
        return int(value or 0)

    async def _alive(self, record: DocumentRecord) -> bool:
        current = await self.redis.get(self.keys.job(record.id))
        if current is None or not current.decode().startswith(job_id(record)):
            return False
        job = Job(current.decode(), self.redis, _queue_name=self.queue_name)
        return await job.status() in _ALIVE


class Tries:
    """The tries of one job, counted in Redis (they must outlive a crashed worker)."""

    def __init__(self, redis: ArqRedis, job: str, *, keys: RedisKeys = KEYS) -> None:
        self.redis = redis
        self._key = keys.tries(job)

    async def start(self) -> int:
        """Count this try's start; returns how many earlier tries ended with their worker
        (crashed, killed, or out of time): those that neither finished nor asked to wait."""
        starts = await self._count("starts")
        waited = await self._count("transient", add=0)
        return starts - 1 - waited

    async def wait(self) -> None:
        """Count this try as one that asked to wait (the index or a provider was down)."""
        await self._count("transient")

    async def _count(self, field: str, *, add: int = 1) -> int:
        value: int = await self.redis.hincrby(self._key, field, add)  # type: ignore[misc]
        await self.redis.expire(self._key, _TRIES_KEEP_S)
        return value
