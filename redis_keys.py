"""Every key and channel docent keeps in Redis, in one namespace (`docent:` by default).

arq's own keys (its queue, job and result keys) are arq's; the queue's name is the setting
DOCENT_QUEUE_NAME.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RedisKeys:
    prefix: str = "docent"

    # ingestion: progress of a document
    def events(self, document_id: str) -> str:
        """Pub/sub channel of a document's progress events."""
        return f"{self.prefix}:events:{document_id}"

    def progress(self, document_id: str) -> str:
        """The last progress event of a document (a late subscriber starts from it)."""
        return f"{self.prefix}:progress:{document_id}"

    # ingestion: jobs
    def job(self, document_id: str) -> str:
        """The id of the newest job queued for a document."""
        return f"{self.prefix}:job:{document_id}"

    def requeued(self, document_id: str, version: int) -> str:
        """How often a version's lost job was queued again."""
        return f"{self.prefix}:requeued:{document_id}:v{version}"

    def tries(self, job_id: str) -> str:
        """A job's try counters (starts, transient failures), outliving a crashed worker."""
        return f"{self.prefix}:tries:{job_id}"

    def running_jobs(self, queue_name: str) -> str:
        """The running document jobs of a queue, scored by the end of their lease (epoch s)."""
        return f"{self.prefix}:running:{queue_name}"

    def last_turn(self, queue_name: str, owner: str) -> str:
        """`owner`'s newest job on a queue, as "<score> <job id>" (`JobQueue.fair_turn`)."""
        return f"{self.prefix}:turn:{queue_name}:{owner}"

    # ingestion: upload quota
    def upload_bytes(self, owner: str, window: str) -> str:
        """Bytes `owner` uploaded in a quota window (UTC periods counted from the epoch)."""
        return f"{self.prefix}:quota:bytes:{owner}:{window}"

    # api: rate limits
    def rate(self, bucket: str, who: str) -> str:
        """A GCRA bucket: `who` is `u:<user>` or `a:<address>`."""
        return f"{self.prefix}:rate:{bucket}:{who}"

    # providers: embedding cache
    def embedding(self, model: str, dimension: int, role: str, digest: str) -> str:
        return f"{self.prefix}:embedding:{model}:{dimension}:{role}:{digest}"

    # answering: answer cache
    def answer_generation(self, space: str) -> str:
        """The generation of a user's or group's documents (`user:<id>`, `group:<name>`)."""
        return f"{self.prefix}:answers:generation:{space}"

    def answers(self, owner: str, generation_digest: str) -> str:
        return f"{self.prefix}:answers:{owner}:{generation_digest}"


KEYS = RedisKeys()


def text(value: bytes | str) -> str:
    """A key, member or channel name as Redis gave it back (bytes, or str when the client
    decodes responses), as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
