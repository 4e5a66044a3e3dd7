"""The ARQ worker: job functions and their settings, one code path for every mode.

`docent serve` runs this worker inside the API process on the embedded Redis; `docent
worker` runs it alone against a shared Redis. Jobs are idempotent per document version;
the job protocol (tries, lease, lost jobs) is `jobs.py`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from arq import Retry, cron
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from arq.worker import Worker, func

from docent.backoff import equal_jitter
from docent.errors import (
    ErrorCode,
    ProviderAuth,
    ProviderUnavailable,
    RateLimited,
    SearchUnavailable,
    StorageUnavailable,
)
from docent.ingestion.jobs import JOB_FUNCTION, JobQueue, Tries
from docent.ingestion.lease import Leases
from docent.ingestion.pipeline import Ingestor, Outcome, TransientError
from docent.ingestion.queue_depth import RunningJobs
from docent.search.records import record_from_dict
from docent.settings import QueueSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerContext:
    """What the job functions use (arq hands it to them as `ctx["docent"]`)."""

    ingestor: Ingestor
    jobs: JobQueue
    redis: ArqRedis
    settings: QueueSettings
    leases: Leases
    #: Deletes the conversations past their retention; returns how many went.
    expire_conversations: Callable[[], Awaitable[int]] | None = None
    #: Where the running jobs are counted for the queue metrics (`queue_depth.py`).
    running: RunningJobs | None = None


# The index, the file store or the embedding provider is down, out of quota or refusing the
# key: the job waits and tries again (a key can be fixed), and fails with that code when
# tries run out.
_TRANSIENT = (
    SearchUnavailable,
    StorageUnavailable,
    ProviderUnavailable,
    RateLimited,
    ProviderAuth,
    TransientError,
)


async def process_document(
    ctx: dict[str, Any],
    owner: str,
    document_id: str,
    version: int,
    pending: dict[str, Any] | None = None,
) -> str:
    """Process one version of a document (`Ingestor.process`); returns the outcome's value.
    `pending` is the record of an upload accepted while the index was down."""
    docent: WorkerContext = ctx["docent"]
    queue = docent.settings
    attempt: int = ctx.get("job_try", 1)
    job = str(ctx.get("job_id"))
    record = record_from_dict(pending) if pending else None

    async def failed(code: ErrorCode, message: str) -> str:
        await docent.ingestor.fail(owner, document_id, version, code, message)
        return Outcome.FAILED.value

    tries = Tries(docent.redis, job)
    # A file that makes its worker crash, or run out of time, again and again is failed,
    # not retried forever.
    crashed = await tries.start()
    if crashed >= queue.max_tries:
        return await failed(
            ErrorCode.TIMEOUT,
            f"processing stopped {crashed} times without finishing (the worker "
            "crashed or ran out of time on this file); reprocess the document to try again",
        )
    # The lease starts now: arq marked the job in progress for the whole job timeout, and
    # the lease thread first renews the mark lease_s / 3 from now; a worker killed before
    # then would keep its job from the others for the whole timeout (30 min by default).
    await docent.redis.pexpire(in_progress_key_prefix + job, int(docent.leases.lease_s * 1000))
    if docent.running is not None:
        await docent.running.start(job, lease_s=docent.leases.lease_s)
    with docent.leases.hold(job, at_most_s=queue.job_timeout_s):
        try:
            outcome = await docent.ingestor.process(owner, document_id, version, record)
        except _TRANSIENT as exc:
            await tries.wait()
            if attempt >= queue.transient_tries:
                return await failed(exc.code, f"gave up after {attempt} attempts: {exc.message}")
            # Spreads the retries of jobs that failed together (the index was down for all).
            delay = equal_jitter(attempt, base_s=2.0, cap_s=120.0)
            log.warning("document %s: %s; retrying in %.0fs", document_id, exc.message, delay)
            raise Retry(defer=delay) from exc
        except Exception:
            log.exception("unexpected failure processing document %s (job %s)", document_id, job)
            return await failed(
                ErrorCode.INTERNAL,
                f"an unexpected error stopped processing (reference {job}); "
                "it was logged. Try reprocessing the document.",
            )
        finally:
            if docent.running is not None:
                await docent.running.end(job)
    return outcome.value


async def recover_lost_jobs(ctx: dict[str, Any]) -> int:
    """Every minute, in every worker: find documents whose job vanished; queue them again,
    or fail them when that already happened MAX_REQUEUES times (`JobQueue.recover`)."""
    docent: WorkerContext = ctx["docent"]
    stale = docent.settings.job_timeout_s + 60
    return await docent.jobs.recover(stale_after_s=stale, fail=docent.ingestor.fail)


async def expire_conversations(ctx: dict[str, Any]) -> int:
    """Every hour, in one worker at a time: delete the conversations not continued for
    DOCENT_CONVERSATION_RETENTION_DAYS, with their messages."""
    docent: WorkerContext = ctx["docent"]
    if docent.expire_conversations is None:
        return 0
    expired = await docent.expire_conversations()
    if expired:
        log.info("deleted %d conversations past their retention", expired)
    return expired


class InTurnWorker(Worker):
    """arq's worker, starting jobs in the queue's order as it is when a slot frees.

    arq reads up to 100 job ids at a poll, then starts them one by one as slots free,
    waiting for each: a job placed at the front after that read (a user's turn,
    `JobQueue.fair_turn`) waited for every job of the stale read to start. Here a poll
    starts only as many jobs as there are free slots; the rest are read again, in the
    queue's order then, at the next poll (every 0.2 s, `poll_delay`)."""

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        for job in job_ids:
            if self.job_counter >= self.max_jobs:
                return
            await super().start_jobs([job])


def build_worker(context: WorkerContext, *, handle_signals: bool, burst: bool = False) -> Worker:
    """The arq worker running the ingestion jobs against `context.redis`."""
    queue = context.settings
    return InTurnWorker(
        functions=[
            func(
                process_document,
                name=JOB_FUNCTION,
                max_tries=max(queue.max_tries, queue.transient_tries) + 1,
                timeout=queue.job_timeout_s,
            )
        ],
        cron_jobs=[
            cron(recover_lost_jobs, second=0, run_at_startup=True, unique=True, timeout=60),
            cron(
                expire_conversations,
                minute=7,
                second=30,
                run_at_startup=True,
                unique=True,
                timeout=600,
            ),
        ],
        redis_pool=context.redis,
        queue_name=queue.queue_name,
        ctx={"docent": context},
        max_jobs=queue.concurrency,
        job_timeout=queue.job_timeout_s,
        keep_result=3600,
        handle_signals=handle_signals,
        burst=burst,
        poll_delay=0.2,
        health_check_interval=60,
    )
