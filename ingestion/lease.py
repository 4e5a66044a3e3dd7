"""Job leases renewed by a thread, so that a stalled event loop cannot lose them.

arq marks a running job "in progress" (a Redis key) for the whole job timeout; docent
shortens the mark to a lease of DOCENT_JOB_LEASE_S and renews it while the job runs, so
that when a worker dies its job is taken up within a minute instead of half an hour. A
renewal made by a task on the worker's event loop stops whenever the loop does: CPU work
or a blocking call in any task (the API's too, in `docent serve`) outlasting the lease let
the mark expire, and the same job then ran twice at once, even twice in one worker (which
arq's own bookkeeping does not survive). So the renewals come from a daemon thread with
its own Redis connection: they go on while the loop is stalled, and stop with the process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from arq.connections import RedisSettings
from arq.constants import in_progress_key_prefix

log = logging.getLogger(__name__)


class Leases:
    """The leases of one process's running jobs: each held job's in-progress mark is set
    to expire `lease_s` from now, every `lease_s / 3` seconds, by one thread."""

    def __init__(
        self, redis_settings: RedisSettings, *, lease_s: float, running_key: str | None = None
    ) -> None:
        if redis_settings.sentinel:
            raise ValueError("job leases need a Redis address, not sentinels")
        self._settings = redis_settings
        self.lease_s = lease_s
        #: The sorted set of running jobs (`queue_depth.RunningJobs`) whose lease ends move on
        #: with each renewal.
        self._running_key = running_key
        self._held: dict[str, float] = {}  # job id -> monotonic time its renewals end
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: redis.Redis | None = None

    @contextmanager
    def hold(self, job_id: str, *, at_most_s: float) -> Iterator[None]:
        """Keep the lease of `job_id` while the block runs, for `at_most_s` at most (the
        job's time limit): a process whose loop never comes back loses the job then."""
        with self._lock:
            self._held[job_id] = time.monotonic() + at_most_s
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._keep, name="docent-leases", daemon=True
                )
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._held.pop(job_id, None)

    def held(self) -> list[str]:
        """The jobs whose leases are being kept."""
        with self._lock:
            return list(self._held)

    def close(self) -> None:
        """Stop renewing (a job still held loses its lease within `lease_s`)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._client is not None:
            self._client.close()

    def _keep(self) -> None:
        while not self._stop.wait(self.lease_s / 3):
            now = time.monotonic()
            with self._lock:
                due = [job for job, until in self._held.items() if now < until]
            for job in due:
                try:
                    pipe = self._redis().pipeline(transaction=False)
                    pipe.pexpire(in_progress_key_prefix + job, int(self.lease_s * 1000))
                    if self._running_key is not None:
                        # xx: a job that ended meanwhile is not counted again
                        pipe.zadd(self._running_key, {job: time.time() + self.lease_s}, xx=True)
                    pipe.execute()
                except (redis.RedisError, OSError):
                    log.warning("could not renew the lease of %s", job, exc_info=True)

    def _redis(self) -> redis.Redis:
        """This thread's connection, made as arq makes the worker's (`create_pool`)."""
        if self._client is None:
            s = self._settings
            self._client = redis.Redis(
                host=str(s.host), port=s.port, unix_socket_path=s.unix_socket_path,
                db=s.database, username=s.username, password=s.password,
                ssl=s.ssl, ssl_keyfile=s.ssl_keyfile, ssl_certfile=s.ssl_certfile,
                ssl_cert_reqs=s.ssl_cert_reqs, ssl_ca_certs=s.ssl_ca_certs,
                ssl_ca_data=s.ssl_ca_data, ssl_check_hostname=s.ssl_check_hostname,
                socket_connect_timeout=s.conn_timeout,
                # a renewal that hangs must not outlive the lease it renews
                socket_timeout=self.lease_s / 3,
            )  # fmt: skip
        return self._client
