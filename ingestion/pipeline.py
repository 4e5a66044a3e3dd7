"""Processing one document: parse, chunk, embed, index; the body of the ingestion job.

Every step can be re-run: chunk ids are deterministic and the index replaces a document's
chunks atomically, so a job retried after a crash leaves exactly one copy of each chunk.

Each job is a run of the document that claims it first (`DocumentCatalog.claim_document`):
the run stops as soon as it finds the document deleted, reprocessed or claimed by a later
run (between stages, during parsing and between embedding batches), and whatever it still
tries to write is refused by the store under its `Fence`.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from docent.domain import Chunk, DocumentRecord, DocumentStatus, IndexedChunk, Stage, utcnow
from docent.errors import DocentError, ErrorCode, IngestionError
from docent.ingestion.batching import EmbeddingBatcher
from docent.ingestion.blobs import BlobMissing, BlobStore
from docent.ingestion.chunking import Element, chunk_elements
from docent.ingestion.events import DocumentEvent, DocumentsChanged, EventBus
from docent.ingestion.parsing import ParseLimits
from docent.ingestion.parsing.isolation import Isolation, parse_isolated
from docent.roles import Embedder
from docent.search.backend import Fence, SearchBackend
from docent.settings import IngestionSettings

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    READY = "ready"
    FAILED = "failed"
    SKIPPED = "skipped"  # deleted, superseded by a newer version or run, or already done


class TransientError(DocentError):
    """Worth retrying later (the index or the embedder is unavailable)."""


class Superseded(Exception):
    """The run no longer holds its document: it was deleted, reprocessed as a newer
    version, or claimed by a later run. The run stops; the store would refuse its writes
    anyway (`Fence`)."""


@dataclass(frozen=True)
class Ingestor:
    backend: SearchBackend
    embedder: Embedder
    blobs: BlobStore
    events: EventBus
    settings: IngestionSettings
    #: Told when a document's chunks change (READY or FAILED), so cached answers go.
    on_change: DocumentsChanged | None = None
    #: The embedder's calls, shared by the concurrent jobs (`batching.py`).
    batcher: EmbeddingBatcher = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "batcher", EmbeddingBatcher(self.embedder, max_texts=self._embed_batch)
        )

    @property
    def _embed_batch(self) -> int:
        """Texts per embedding call: a provider embedder takes enough at once to fill all
        its request slots."""
        return max(self.settings.embed_batch_size, getattr(self.embedder, "document_batch", 0))

    async def process(
        self, owner: str, document_id: str, version: int, pending: DocumentRecord | None = None
    ) -> Outcome:
        """Process one version of a document, as a new run of it (`claim_document`): the
        run checks that it still holds the document between stages and embedding batches,
        and stops when it does not. `pending` is the record of an upload accepted while
        the index was down: it is written first (once)."""
        record = await self.backend.get_document(owner, document_id)
        if record is None and pending is not None and not await self.blobs.exists(document_id):
            return Outcome.SKIPPED  # deleted meanwhile
        if record is None and pending is not None:
            record = await self.backend.insert_document(pending, deduplicate=False)
        if record is None or record.version != version:
            return Outcome.SKIPPED
        if record.status in (DocumentStatus.READY, DocumentStatus.FAILED):
            return Outcome.SKIPPED
        claimed = await self.backend.claim_document(owner, document_id, version)
        if claimed is None:
            return Outcome.SKIPPED
        started = time.perf_counter()
        try:
            chunk_count, page_count, title = await self._run(claimed)
            final = claimed.evolve(
                status=DocumentStatus.READY,
                title=title,
                chunk_count=chunk_count,
                page_count=page_count,
                processed_at=utcnow(),
                error_code=None,
                error_message=None,
            )
            if not await self.backend.update_document(final, fence=Fence.of(claimed)):
                raise Superseded
        except IngestionError as exc:
            return await self._fail(claimed, exc.code, exc.message)
        except Superseded:
            log.info("document %s: run %d stopped (deleted or superseded)", document_id,
                     claimed.run)  # fmt: skip
            return Outcome.SKIPPED
        log.info(
            "document %s ready: %d chunks in %.2fs", document_id, chunk_count,
            time.perf_counter() - started,
        )  # fmt: skip
        await self._documents_changed(final)
        await self._publish(final, Stage.READY, current=chunk_count, total=chunk_count)
        return Outcome.READY

    async def fail(
        self, owner: str, document_id: str, version: int, code: ErrorCode, message: str
    ) -> None:
        """Mark a document version FAILED (when its tries are exhausted, or its job was
        lost too often), as a run of its own: any earlier run still going is fenced off."""
        claimed = await self.backend.claim_document(owner, document_id, version)
        if claimed is not None:
            await self._fail(claimed, code, message)

    async def _run(self, record: DocumentRecord) -> tuple[int, int | None, str]:
        """Parse, chunk, embed and index; the chunk count, page count and title (the one
        the document gives itself, an e-mail's subject, when it was uploaded without one:
        its title is then its file name)."""

        async def on_progress(stage: str, done: int, total: int) -> None:
            await self._publish(record, Stage(stage), current=done, total=total)

        try:
            # A local file (the stored one, or a temporary copy of the object) for the
            # parsing child, gone after.
            async with self.blobs.local_copy(record.id) as path:
                await self._publish(record, Stage.PARSING)
                parsed = await parse_isolated(
                    path,
                    record.mime_type,
                    limits=ParseLimits.of(self.settings),
                    isolation=Isolation(
                        timeout_s=self.settings.parse_timeout_s,
                        memory_mb=self.settings.parse_memory_mb,
                    ),
                    on_progress=on_progress,
                    check=lambda: self._still_held(record),
                    user=record.owner,
                )
        except BlobMissing:
            raise IngestionError(
                ErrorCode.CORRUPT, "the uploaded file is missing from storage; upload it again"
            ) from None

        await self._still_held(record)
        if parsed.title and record.title == record.filename:
            record = record.evolve(title=parsed.title)
        await self._publish(record, Stage.CHUNKING)
        # CPU work that grows with the document: on a thread, so that the event loop (the
        # API's, in `docent serve`) keeps serving.
        chunks, texts = await asyncio.to_thread(
            _chunk, parsed.elements, record.id, record.title, self.settings.chunk_size,
            self.settings.chunk_overlap,
        )  # fmt: skip
        if not chunks:
            raise IngestionError(
                ErrorCode.NO_TEXT,
                "the document holds no words to index (only symbols, numbers or emoji)",
            )

        vectors: list[np.ndarray] = []
        batch = self._embed_batch
        await self._publish(record, Stage.EMBEDDING, current=0, total=len(chunks))
        for start in range(0, len(texts), batch):
            # Checked between batches: before the first, the check after parsing holds
            # (only chunking came between), and after the last, `replace_chunks` checks
            # the fence itself; a small document pays one record read, not three.
            if start:
                await self._still_held(record)
            # Joined with the texts of the other jobs waiting for the embedder.
            vectors.extend(await self.batcher.embed_documents(texts[start : start + batch]))
            done = min(start + batch, len(texts))
            await self._publish(record, Stage.EMBEDDING, current=done, total=len(chunks))

        await self._publish(record, Stage.INDEXING, current=0, total=len(chunks))
        items = await asyncio.to_thread(_indexed, record, chunks, vectors, texts)
        if not await self.backend.replace_chunks(
            record.owner, record.id, items, fence=Fence.of(record)
        ):
            raise Superseded
        return len(chunks), parsed.page_count, record.title

    async def _still_held(self, record: DocumentRecord) -> None:
        """Raise Superseded unless the document still has the version and run of `record`
        (as claimed)."""
        current = await self.backend.get_document(record.owner, record.id)
        if current is None or Fence.of(current) != Fence.of(record):
            raise Superseded

    async def _fail(self, record: DocumentRecord, code: ErrorCode, message: str) -> Outcome:
        """FAILED with `code`, and no chunks, under the claim of `record`; SKIPPED when the
        run no longer holds the document."""
        fence = Fence.of(record)
        failed = record.evolve(
            status=DocumentStatus.FAILED,
            error_code=code.value,
            error_message=message,
            processed_at=utcnow(),
            chunk_count=0,
        )
        if not (
            await self.backend.replace_chunks(record.owner, record.id, [], fence=fence)
            and await self.backend.update_document(failed, fence=fence)
        ):
            return Outcome.SKIPPED
        await self._documents_changed(record)
        log.info("document %s failed: %s %s", record.id, code.value, message)
        await self._publish(failed, Stage.FAILED)
        return Outcome.FAILED

    async def _documents_changed(self, record: DocumentRecord) -> None:
        if self.on_change is not None:
            await self.on_change(record.owner, record.group)

    async def _publish(
        self,
        record: DocumentRecord,
        stage: Stage,
        *,
        current: int | None = None,
        total: int | None = None,
    ) -> None:
        await self.events.publish(
            DocumentEvent(
                document_id=record.id,
                status=record.status,
                stage=stage,
                version=record.version,
                current=current,
                total=total,
                error_code=record.error_code,
                error_message=record.error_message,
            )
        )


def _chunk(
    elements: Sequence[Element], document_id: str, title: str, size: int, overlap: int
) -> tuple[list[Chunk], list[str]]:
    """The document's chunks, and the text each is searched and embedded by."""
    chunks = chunk_elements(elements, document_id=document_id, size=size, overlap=overlap)
    return chunks, [search_text(c.text, c.section, title) for c in chunks]


def _indexed(
    record: DocumentRecord, chunks: list[Chunk], vectors: list[np.ndarray], texts: list[str]
) -> list[IndexedChunk]:
    """The chunks as the index stores them, with their vectors and the document's fields."""
    return [
        IndexedChunk(
            chunk=c,
            owner=record.owner,
            title=record.title,
            vector=v.tolist(),
            search_text=t,
            tags=record.tags,
            mime_type=record.mime_type,
        )
        for c, v, t in zip(chunks, vectors, texts, strict=True)
    ]


def search_text(text: str, section: str | None, title: str | None = None) -> str:
    """What BM25 and the embedder see: the chunk in its context, one line each: the
    document's title, its section path ("Specifications > Tanks"), then the chunk. A chunk
    that does not name what it is about ("Water tank: 12,500 litres") is then found, and
    told apart from its look-alike in another document, by the words of its title and
    headings. What is already there is not repeated: a chunk that starts with its heading
    (the first of a section) gets only the parent sections, one that starts with the
    title no title. A title that is a file name is read as words ("panther-brochure.pdf"
    -> "panther brochure"); one without letters (a number) is left out. The chunk's own
    text, the one shown, is unchanged."""
    lines: list[str] = []
    readable = _readable_title(title or "")
    if readable and not text.casefold().startswith(
        (readable.casefold(), (title or readable).casefold())
    ):
        lines.append(readable)
    if section:
        parts = section.split(" > ")
        if text.startswith(parts[-1]):
            parts = parts[:-1]
        if parts:
            lines.append(" > ".join(parts))
    lines.append(text)
    return "\n".join(lines)


#: A file name's extension (what a title made from a file name ends with).
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def _readable_title(title: str) -> str:
    """`title`, or the words of a file name used as a title; "" when it has no letters."""
    if _EXTENSION.search(title):
        title = " ".join(re.sub(r"[_\-.]+", " ", _EXTENSION.sub("", title)).split())
    return title if any(ch.isalpha() for ch in title) else ""
