"""The connection to an Elasticsearch cluster: the client, the names of docent's indices
under a prefix, the refresh policy, and the two ways of calling it (one request, a bulk),
with the cluster's failures turned into `SearchUnavailable`."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from elasticsearch import ApiError as ESApiError
from elasticsearch import AsyncElasticsearch, ConnectionError, ConnectionTimeout, TransportError
from elasticsearch.helpers import async_streaming_bulk

from docent.errors import SearchUnavailable
from docent.search.elasticsearch.bulk import Failed, SharedBulk, outcome_of
from docent.urls import redact

T = TypeVar("T")

#: Bulk requests of this many chunks (~1.5 KB of vector and text each): well under the
#: 100 MB http.max_content_length, and small enough to retry cheaply.
BULK_CHUNK = 250


class Cluster:
    """State shared by every role of the Elasticsearch backend."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "docent",
        shards: int = 1,
        replicas: int = 0,
        request_timeout: float = 30.0,
        client: AsyncElasticsearch | None = None,
        refresh: bool | str = "wait_for",
    ) -> None:
        """Refresh policy: a new record and a document's chunks wait for the next periodic
        refresh (`refresh="wait_for"`, the default; 1 s at most), so that an upload is listed
        at once and a READY document is searchable at once, without forcing extra segments
        under load; status updates and claims, read by id (a realtime GET), do not wait.
        Tests pass True: everything is refreshed at once."""
        self.url = url
        self.prefix = prefix
        #: The cluster's address for messages and logs, without any user or password.
        self.where = redact(url)
        self._client = client or AsyncElasticsearch(
            hosts=[url], request_timeout=request_timeout, retry_on_timeout=True, max_retries=2
        )
        self._shards = shards
        self._replicas = replicas
        self.documents_alias = f"{prefix}-documents"
        self.chunks_alias = f"{prefix}-chunks"
        self.claims_index = f"{prefix}-claims"
        self.conversations_index = f"{prefix}-conversations"
        self.messages_index = f"{prefix}-messages"
        self._refresh = refresh
        #: The writes of concurrent callers, in shared bulk requests (`bulk`).
        self._shared = SharedBulk(self._send)
        # What opening the indices found, and when (`indices.py`).
        self._model: str | None = None
        self._dimension: int | None = None
        self._chunks_index: str | None = None
        self._checked_at = 0.0
        self._pending_open: tuple[str, int, bool] | None = None
        self._last_open_attempt = 0.0

    async def _call(self, operation: Awaitable[T]) -> T:
        try:
            return await operation
        except (ConnectionError, ConnectionTimeout) as exc:
            raise SearchUnavailable(
                f"Elasticsearch at {self.where} cannot be reached; try again shortly"
            ) from exc
        except TransportError as exc:
            raise SearchUnavailable(f"Elasticsearch at {self.where} failed: {exc}") from exc
        except ESApiError as exc:
            if exc.meta.status in (429, 502, 503, 504):
                raise SearchUnavailable(
                    f"Elasticsearch is overloaded or unavailable ({exc.meta.status}); try again"
                ) from exc
            raise

    async def bulk(self, actions: list[dict[str, Any]], *, index: str | None = None) -> list[str]:
        """Apply `actions`, sharing requests with concurrent callers (`bulk.py`: the writes
        of several documents in one request and one refresh wait), in bounded requests,
        retrying 429s (es_rejected_execution_exception) with backoff; any chunk that still
        fails is reported, never dropped silently. Returns the ids whose write a version
        condition refused (409: a conditional write, see `chunks.replace_chunks`); a delete
        of a missing document is not a failure. Every action has been applied or refused
        when it returns."""
        if not actions:
            return []
        if all("_id" in a for a in actions):
            outcome = await self._shared.submit(actions, index)
        else:  # an id chosen by Elasticsearch cannot be told apart in a shared answer
            outcome = outcome_of(await self._send(actions, index), None)
        if outcome.failures:
            raise SearchUnavailable(
                f"{len(outcome.failures)} of {len(actions)} chunks could not be indexed: "
                + "; ".join(outcome.failures[:5])
            )
        return outcome.conflicts

    async def _send(self, actions: list[dict[str, Any]], index: str | None) -> Failed:
        """One bulk call (split in requests of BULK_CHUNK actions): each item that did not
        succeed, as (_id, operation, result)."""
        failed: Failed = []
        try:
            async for ok, result in async_streaming_bulk(
                self._client, actions, index=index, chunk_size=BULK_CHUNK,
                max_retries=6, initial_backoff=0.5, max_backoff=30,
                raise_on_error=False, raise_on_exception=False, refresh=self._refresh,
            ):  # fmt: skip
                if not ok:
                    op, item = next(iter(result.items()))
                    failed.append((str(item.get("_id")), op, item))
        except (ConnectionError, ConnectionTimeout, TransportError) as exc:
            raise SearchUnavailable(
                f"Elasticsearch at {self.where} failed during indexing: {exc}"
            ) from exc
        return failed
