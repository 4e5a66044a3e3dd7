"""How deep the ingestion queue is: jobs waiting, jobs running and the oldest wait, read
from Redis in a few cheap calls, for `/metrics` and autoscaling.

arq keeps its queue as one sorted set (`DOCENT_QUEUE_NAME`) whose score is the time, in
epoch milliseconds, at which a job may start (its enqueue time, or the end of a retry's
delay); a job stays in that set while it runs, marked by arq's in-progress key. docent
adds one sorted set of its own, the running document jobs (`RunningJobs`), whose score is
the end of each job's lease: a worker killed mid-job drops out of it within
DOCENT_JOB_LEASE_S, as its job becomes free for another worker.

Cost per read: two ZCOUNTs and two bounded ZRANGEBYSCOREs on the queue (O(log N) each),
plus one EXISTS per running job: independent of how many jobs wait.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix

from docent.redis_keys import KEYS, RedisKeys, text

#: Ready jobs looked at beyond the running ones to find the oldest waiting one (a job that
#: is not a document's, such as arq's cron jobs, runs without a lease in `RunningJobs`).
_LOOKAHEAD = 16
#: A member of `RunningJobs` whose lease ended this long ago is dropped (its worker died).
_FORGET_AFTER_S = 3600.0


@dataclass(frozen=True)
class RunningJobs:
    """The document jobs running now, with the end of their lease (epoch seconds), in the
    sorted set `keys.running_jobs(queue_name)`; the lease thread (`lease.py`) moves the
    end on as it renews the lease."""

    redis: ArqRedis
    queue_name: str
    keys: RedisKeys = KEYS

    @property
    def key(self) -> str:
        return self.keys.running_jobs(self.queue_name)

    async def start(self, job_id: str, *, lease_s: float) -> None:
        """Count `job_id` as running for `lease_s` seconds (until renewed)."""
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.key, {job_id: now + lease_s})
            pipe.zremrangebyscore(self.key, "-inf", now - _FORGET_AFTER_S)
            await pipe.execute()

    async def end(self, job_id: str) -> None:
        await self.redis.zrem(self.key, job_id)

    async def ids(self) -> set[str]:
        """The jobs whose lease has not ended."""
        members = await self.redis.zrangebyscore(self.key, time.time(), "+inf")
        return {text(m) for m in members}


@dataclass(frozen=True)
class QueueDepth:
    """One reading of the queue. `queued`: jobs ready to start that no worker runs;
    `running`: jobs a worker runs (document jobs holding a lease, and any other job arq
    marks in progress); `deferred`: jobs waiting out a retry delay; `oldest_queued_age_s`:
    seconds the oldest queued job has been ready (0 when none is queued)."""

    queued: int
    running: int
    deferred: int
    oldest_queued_age_s: float

    def prometheus(self) -> str:
        """The reading in Prometheus' text format (gauges, base units)."""
        gauges = (
            ("docent_jobs_queued", "Ingestion jobs ready to start that no worker runs yet.",
             self.queued),
            ("docent_jobs_running", "Ingestion jobs a worker is running (lease held).",
             self.running),
            ("docent_jobs_deferred", "Ingestion jobs waiting out a retry delay.", self.deferred),
            ("docent_job_oldest_queued_age_seconds",
             "Seconds the oldest queued ingestion job has been ready to start (0: none queued).",
             round(self.oldest_queued_age_s, 3)),
        )  # fmt: skip
        lines: list[str] = []
        for name, help_text, value in gauges:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]
        return "\n".join(lines) + "\n"


async def read_depth(running: RunningJobs) -> QueueDepth:
    """Read the queue of `running.queue_name` (see the module's docstring for the cost)."""
    redis, queue = running.redis, running.queue_name
    now = time.time()
    now_ms = now * 1000
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcount(queue, "-inf", now_ms)
        pipe.zcount(queue, f"({now_ms}", "+inf")
        ready, deferred = await pipe.execute()
    leased = await running.ids()
    # Running jobs keep their place in the queue, and arq starts the oldest first: the
    # oldest waiting job is among the first len(leased) + _LOOKAHEAD ready ones.
    first = await redis.zrangebyscore(
        queue, "-inf", now_ms, start=0, num=len(leased) + _LOOKAHEAD, withscores=True
    )
    ids = [text(m) for m, _ in first]
    async with redis.pipeline(transaction=False) as pipe:
        for job in ids:
            pipe.exists(in_progress_key_prefix + job)
        marked = await pipe.execute() if ids else []
    in_progress = {job for job, mark in zip(ids, marked, strict=True) if mark} | (leased & set(ids))
    waiting = [score for (_, score), job in zip(first, ids, strict=True) if job not in in_progress]
    queued = max(0, int(ready) - len(in_progress | leased))
    oldest = max(0.0, now - waiting[0] / 1000) if waiting and queued else 0.0
    return QueueDepth(
        queued=queued,
        running=len(in_progress | leased),
        deferred=int(deferred),
        oldest_queued_age_s=oldest,
    )
