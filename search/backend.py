"""The search backend roles: a catalogue of document records, an index of their chunks, the
administration of both, and the conversation store (`conversations.py`), always per owner.

Two engines implement all four (`SearchBackend`): the embedded one (SQLite FTS5 +
sqlite-vec, `embedded/`) and Elasticsearch (`elasticsearch/`). Both pass one contract test
suite. Every read and write takes the owner: there is no call across owners. A consumer
that needs one role takes that role only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from docent.domain import (
    Access,
    Chunk,
    ChunkMatch,
    DocumentRecord,
    DocumentStatus,
    IndexedChunk,
    Visibility,
)
from docent.roles import check_vectors
from docent.search.conversations import ConversationStore

#: Texts to their vectors, one L2-normalised float32 row each: what `reindex` re-embeds with.
EmbedTexts = Callable[[list[str]], Awaitable[np.ndarray]]
#: Told (chunks done, chunks in all) as a reindex goes.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class DocumentQuery:
    """Which of an owner's documents to list."""

    statuses: tuple[DocumentStatus, ...] = ()
    tags: tuple[str, ...] = ()  # documents carrying all of these tags
    title_contains: str | None = None
    #: Documents whose bytes have any of these digests (lowercase hex sha256): how a client
    #: finds which of its files are already stored without uploading them. None is no filter;
    #: an empty tuple matches nothing (no digest is among none).
    sha256: tuple[str, ...] | None = None
    #: Documents whose id is one of these (None is no filter; an empty tuple matches nothing).
    ids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class DocumentPage:
    items: list[tuple[DocumentRecord, str]]  # record and its cursor
    total: int
    has_next: bool
    #: Whether items precede the page: those before a backward page, or, on a forward page
    #: after a cursor, items at or before the cursor (`paging.keyset_page`).
    has_previous: bool = False


@dataclass(frozen=True, slots=True)
class Fence:
    """A processing run's hold on a document: the version it processes and the run number
    its claim got (`DocumentCatalog.claim_document`). A write under a fence is refused
    unless the stored record still has both, so a run whose document was deleted,
    reprocessed as a newer version, or claimed by a later run writes nothing (a fencing
    token, as in Kleppmann, "How to do distributed locking", 2016)."""

    version: int
    run: int

    @classmethod
    def of(cls, record: DocumentRecord) -> Fence:
        return cls(record.version, record.run)


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """What the index records about how its vectors were made."""

    model: str
    dimension: int
    chunk_count: int


class DocumentCatalog(Protocol):
    """Document records. Reads take the reader (`Access`: a user and their groups; a bare
    owner id reads that owner's documents only). Writes take the owner (on the record)."""

    async def insert_document(
        self, record: DocumentRecord, *, deduplicate: bool = True
    ) -> DocumentRecord:
        """Store a new record; when the owner already has one with the same sha256, return
        that one instead (uploads are deduplicated per owner), unless `deduplicate` is off
        (a record written late, whose id a client already holds)."""
        ...

    async def get_document(
        self, owner: str | Access, document_id: str
    ) -> DocumentRecord | None: ...

    async def get_documents(
        self, owner: str | Access, ids: Sequence[str]
    ) -> list[DocumentRecord]: ...

    async def list_documents(
        self,
        owner: str | Access,
        query: DocumentQuery,
        *,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> DocumentPage:
        """Newest first: `first` at most after the cursor `after`, or `last` at most before
        the cursor `before` (`cursors.Window.of`; `InvalidInput` for a cursor this backend
        did not make, or arguments of both directions)."""
        ...

    async def document_ids(
        self, owner: str | Access, query: DocumentQuery, *, limit: int
    ) -> list[str]:
        """Ids of the documents the reader may read that match `query`, `limit` at most
        (10,000 at most: one request), in no set order: how a search's tag filter becomes
        the document ids its two searches are filtered by (`retrieval.filtered_ids`)."""
        ...

    async def update_document(
        self,
        record: DocumentRecord,
        *,
        expected_version: int | None = None,
        fence: Fence | None = None,
    ) -> bool:
        """Replace the owner's record, every field but `run` (only a claim changes it); with
        `expected_version`, only if the stored one still has that version; with `fence`,
        only if it still has the fence's version and run. False when refused or absent."""
        ...

    async def share_document(
        self,
        owner: str,
        document_id: str,
        visibility: Visibility,
        group: str | None,
        *,
        expected_version: int,
    ) -> DocumentRecord | None:
        """Set who may read the owner's document, and nothing else, if it still has
        `expected_version`: its status, counts and error, which a run of it writes
        meanwhile, stay as stored. Returns the record as now stored (None: absent, or at
        another version)."""
        ...

    async def replace_content(
        self, record: DocumentRecord, *, expected_version: int
    ) -> DocumentRecord | None:
        """Write `record`, the owner's document with new bytes (its `sha256` and file fields
        changed, its version bumped), over the stored record if that still has
        `expected_version`; from then on the deduplication of uploads knows the document by
        its new sha256 only. Returns `record` when written; the owner's other document that
        already has these bytes, writing nothing (an owner keeps one copy of any bytes); None
        when the stored record is gone or has another version. Like `update_document`, it
        never changes `run`."""
        ...

    async def documents_named(
        self, owner: str, *, filename: str, title: str, limit: int
    ) -> list[DocumentRecord]:
        """The owner's own documents (not those shared with them) whose file name is
        `filename` or whose title is `title`, exactly (both as cleaned at upload), newest
        first, `limit` at most."""
        ...

    async def claim_document(
        self, owner: str, document_id: str, version: int
    ) -> DocumentRecord | None:
        """Start a processing run of `version`: if the owner's document is at that version
        and not finished (QUEUED or PROCESSING), set it PROCESSING and add one to its `run`,
        in one atomic step. Returns the record as claimed (`Fence.of` it is the run's
        token), or None. The latest claim wins: the writes of every earlier run of the
        document are refused from then on."""
        ...

    async def delete_document(self, owner: str, document_id: str) -> bool:
        """Remove the record and all its chunks; chunks a run writes meanwhile do not stay
        (`replace_chunks` refuses them, or takes them back)."""
        ...

    async def documents_in_status(
        self, statuses: Sequence[DocumentStatus], *, older_than_s: float = 0
    ) -> list[DocumentRecord]:
        """Records of every owner in these statuses, for recovery of stuck jobs only."""
        ...


class ChunkIndex(Protocol):
    """Documents' chunks with their BM25 terms and vectors, and the two searches over them."""

    async def replace_chunks(
        self,
        owner: str,
        document_id: str,
        chunks: Sequence[IndexedChunk],
        *,
        fence: Fence | None = None,
    ) -> bool:
        """Atomically replace a document's chunks (vectors required, one per chunk: see
        `checked_vector`; ValueError otherwise). Refused, with nothing left written, when
        the owner has no such document, or, with `fence`, when the document no longer has
        the fence's version and run: returns whether the chunks were written."""
        ...

    async def get_chunks(self, owner: str | Access, document_id: str) -> list[Chunk]: ...

    async def keyword_search(
        self,
        owner: str | Access,
        query: str,
        *,
        limit: int,
        document_ids: Sequence[str] | None = None,
    ) -> list[ChunkMatch]:
        """Best BM25 matches first; `score` is the BM25 score (higher is better)."""
        ...

    async def semantic_search(
        self,
        owner: str | Access,
        vector: np.ndarray,
        *,
        limit: int,
        document_ids: Sequence[str] | None = None,
    ) -> list[ChunkMatch]:
        """Nearest chunks by cosine similarity; `score` is the similarity (-1..1)."""
        ...


class IndexAdmin(Protocol):
    """Opening, checking and rebuilding the storage behind the other two roles."""

    name: str

    async def open(
        self, *, model: str, dimension: int, check_model: bool = True, wait: bool = True
    ) -> None:
        """Create or upgrade the schema (idempotent) and check that the index was built with
        this embedding model and dimension; raise `IndexMismatch` otherwise (unless
        `check_model` is false: `reindex` opens an index built with another model). With
        `wait` false, an engine that cannot be reached does not fail the start: the next
        calls raise `SearchUnavailable` and try again."""
        ...

    async def aclose(self) -> None: ...

    async def ping(self) -> None:
        """Raise `SearchUnavailable` when the engine cannot serve queries."""
        ...

    async def index_info(self) -> IndexInfo: ...

    async def reindex(
        self,
        embed: EmbedTexts,
        *,
        model: str,
        dimension: int,
        batch: int = 64,
        progress: Progress | None = None,
    ) -> int:
        """Re-embed every chunk with `embed` into a new index version while the current one
        keeps serving, then switch atomically and drop the old one. Returns chunks done."""
        ...


class SearchBackend(DocumentCatalog, ChunkIndex, IndexAdmin, ConversationStore, Protocol):
    """One engine in every role: what the composition root builds."""


def checked_vector(item: IndexedChunk, dimension: int | None) -> np.ndarray:
    """The chunk's vector as float32, L2-normalised (`roles.check_vectors`). Raises
    ValueError for what must never reach an index: a missing vector, the wrong dimension,
    NaN or infinite values, a zero vector."""
    if item.vector is None or dimension is None or len(item.vector) != dimension:
        raise ValueError(f"chunk {item.chunk.id} has no {dimension}-dimension vector")
    try:
        return check_vectors(np.asarray([item.vector]), dimension)[0]
    except ValueError as exc:
        raise ValueError(f"chunk {item.chunk.id} has a zero or invalid vector") from exc
