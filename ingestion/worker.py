"""The ARQ worker: job functions and their settings, one code path for every mode.

`docent serve` runs this worker inside the API process on the embedded Redis; `docent
worker` runs it alone against a shared Redis. Jobs are idempotent per document version.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from arq import Retry, cron
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from arq.worker import Worker, func
from redis.exceptions import RedisError

from docent.backoff import equal_jitter
from docent.errors import (
    ErrorCode,
    ProviderAuth,
    ProviderUnavailable,
    RateLimited,
    SearchUnavailable,
)
from docent.ingestion.documents import JOB_FUNCTION
from docent.ingestion.pipeline import TransientError
from docent.redis_keys import KEYS
from docent.search.records import record_from_dict

if TYPE_CHECKING:
    from docent.runtime import Runtime

log = logging.getLogger(__name__)

# The index or the embedding provider is down, out of quota or refusing the key: the job
# waits and tries again (a key can be fixed), and fails with that code when tries run out.
_TRANSIENT = (SearchUnavailable, ProviderUnavailable, RateLimited, ProviderAuth, TransientError)


async def _hold_lease(runtime: Runtime, job_id: str) -> None:
    """Keep arq's in-progress mark of this job alive for `job_lease_s` at a time, renewed
    while the job runs. arq sets it for the whole job timeout; a short lease means that when
    this worker dies, the job is taken up again within a minute, not half an hour."""
    lease = runtime.settings.queue.job_lease_s
    key = in_progress_key_prefix + job_id
    while True:
        try:
            await runtime.queue.redis.pexpire(key, lease * 1000)
        except RedisError:
            log.warning("could not renew the lease of %s", job_id, exc_info=True)
        await asyncio.sleep(lease / 3)


class _Tries:
    """Counters of a job's tries in Redis (they must outlive a crashed worker)."""

    def __init__(self, redis: ArqRedis, key: str) -> None:
        self._redis, self._key = redis, key

    async def count(self, field: str, *, add: int = 1) -> int:
        value: int = await self._redis.hincrby(self._key, field, add)  # type: ignore[misc]
        await self._redis.expire(self._key, 7 * 24 * 3600)
        return value


async def process_document(
    ctx: dict[str, Any],
    owner: str,
    document_id: str,
    version: int,
    pending: dict[str, Any] | None = None,
) -> str:
    runtime: Runtime = ctx["runtime"]
    attempt: int = ctx.get("job_try", 1)
    record = record_from_dict(pending) if pending else None
    tries = _Tries(runtime.queue.redis, KEYS.tries(str(ctx.get("job_id"))))
    starts = await tries.count("starts")
    waited = await tries.count("transient", add=0)
    # Tries that neither finished nor asked to wait ended with the worker: crashed, killed,
    # or out of time. A file that does that again and again is failed, not retried forever.
    if starts - 1 - waited >= runtime.settings.queue.max_tries:
        await runtime.ingestor.fail(
            owner, document_id, version, ErrorCode.TIMEOUT,
            f"processing stopped {starts - 1 - waited} times without finishing (the worker "
            "crashed or ran out of time on this file); reprocess the document to try again",
        )  # fmt: skip
        return "failed"
    lease = asyncio.create_task(_hold_lease(runtime, str(ctx.get("job_id"))))
    try:
        outcome = await runtime.ingestor.process(owner, document_id, version, record)
    except _TRANSIENT as exc:
        await tries.count("transient")
        if attempt >= runtime.settings.queue.transient_tries:
            await runtime.ingestor.fail(
                owner, document_id, version, exc.code,
                f"gave up after {attempt} attempts: {exc.message}",
            )  # fmt: skip
            return "failed"
        # Spreads the retries of jobs that failed together (the index was down for all).
        delay = equal_jitter(attempt, base_s=2.0, cap_s=120.0)
        log.warning("document %s: %s; retrying in %.0fs", document_id, exc.message, delay)
        raise Retry(defer=delay) from exc
    except Exception:
        log.exception(
            "unexpected failure processing document %s (job %s)", document_id, ctx.get("job_id")
        )
        await runtime.ingestor.fail(
            owner, document_id, version, ErrorCode.INTERNAL,
            f"an unexpected error stopped processing (reference {ctx.get('job_id')}); "
            "it was logged. Try reprocessing the document.",
        )  # fmt: skip
        return "failed"
    finally:
        lease.cancel()
    return outcome.value


#: A document whose job is lost this many times (its worker crashed or timed out each
#: time) is failed instead of being queued again: no document stays in processing forever.
MAX_REQUEUES = 2


async def recover_lost_jobs(ctx: dict[str, Any]) -> int:
    """Every minute, in every worker: find documents whose job vanished; queue them again,
    or fail them when that already happened MAX_REQUEUES times."""
    runtime: Runtime = ctx["runtime"]
    stale = runtime.settings.queue.job_timeout_s + 60
    handled = 0
    for record in await runtime.documents.lost(stale_after_s=stale):
        if await runtime.documents.times_requeued(record) >= MAX_REQUEUES:
            await runtime.ingestor.fail(
                record.owner, record.id, record.version, ErrorCode.TIMEOUT,
                f"processing stopped {MAX_REQUEUES + 1} times without finishing (the worker "
                "timed out or crashed on this file); reprocess the document to try again",
            )  # fmt: skip
        else:
            await runtime.documents.requeue(record)
        handled += 1
    return handled


def build_worker(runtime: Runtime, *, handle_signals: bool, burst: bool = False) -> Worker:
    queue = runtime.settings.queue
    return Worker(
        functions=[
            func(
                process_document,
                name=JOB_FUNCTION,
                max_tries=max(queue.max_tries, queue.transient_tries) + 1,
                timeout=queue.job_timeout_s,
            )
        ],
        cron_jobs=[cron(recover_lost_jobs, second=0, run_at_startup=True, unique=True, timeout=60)],
        redis_pool=runtime.queue.redis,
        queue_name=queue.queue_name,
        ctx={"runtime": runtime},
        max_jobs=queue.worker_concurrency,
        job_timeout=queue.job_timeout_s,
        keep_result=3600,
        handle_signals=handle_signals,
        burst=burst,
        poll_delay=0.2,
        health_check_interval=60,
    )
