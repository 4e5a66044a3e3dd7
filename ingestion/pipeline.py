"""Processing one document: parse, chunk, embed, index; the body of the ingestion job.

Every step can be re-run: chunk ids are deterministic and the index replaces a document's
chunks atomically, so a job retried after a crash leaves exactly one copy of each chunk.
"""

from __future__ import annotations

import enum
import logging
import re
import time
from dataclasses import dataclass

import numpy as np

from docent.domain import DocumentRecord, DocumentStatus, IndexedChunk, Stage, utcnow
from docent.errors import DocentError, ErrorCode, IngestionError
from docent.ingestion.blobs import BlobStore
from docent.ingestion.chunking import chunk_elements
from docent.ingestion.events import DocumentEvent, DocumentsChanged, EventBus
from docent.ingestion.parsing import ParseLimits
from docent.ingestion.parsing.isolation import Isolation, parse_isolated
from docent.roles import Embedder
from docent.search.backend import SearchBackend
from docent.settings import IngestionSettings

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    READY = "ready"
    FAILED = "failed"
    SKIPPED = "skipped"  # deleted, superseded by a newer version, or already done


class TransientError(DocentError):
    """Worth retrying later (the index or the embedder is unavailable)."""


@dataclass(frozen=True)
class Ingestor:
    backend: SearchBackend
    embedder: Embedder
    blobs: BlobStore
    events: EventBus
    settings: IngestionSettings
    #: Told when a document's chunks change (READY or FAILED), so cached answers go.
    on_change: DocumentsChanged | None = None

    async def process(
        self, owner: str, document_id: str, version: int, pending: DocumentRecord | None = None
    ) -> Outcome:
        """Process one version of a document. `pending` is the record of an upload accepted
        while the index was down: it is written first (once)."""
        record = await self.backend.get_document(owner, document_id)
        if record is None and pending is not None and not self.blobs.exists(document_id):
            return Outcome.SKIPPED  # deleted meanwhile
        if record is None and pending is not None:
            record = await self.backend.insert_document(pending, deduplicate=False)
        if record is None or record.version != version:
            return Outcome.SKIPPED
        if record.status in (DocumentStatus.READY, DocumentStatus.FAILED):
            return Outcome.SKIPPED
        record = record.evolve(status=DocumentStatus.PROCESSING)
        if not await self.backend.update_document(record, expected_version=version):
            return Outcome.SKIPPED
        started = time.perf_counter()
        try:
            chunk_count, page_count = await self._run(record)
        except IngestionError as exc:
            await self._fail(record, exc.code, exc.message)
            return Outcome.FAILED
        final = record.evolve(
            status=DocumentStatus.READY,
            chunk_count=chunk_count,
            page_count=page_count,
            processed_at=utcnow(),
            error_code=None,
            error_message=None,
        )
        if not await self.backend.update_document(final, expected_version=version):
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
        """Mark a document FAILED (used when retries are exhausted)."""
        record = await self.backend.get_document(owner, document_id)
        if record is not None and record.version == version:
            await self._fail(record, code, message)

    async def _run(self, record: DocumentRecord) -> tuple[int, int | None]:
        path = self.blobs.path_for(record.id)
        if not path.is_file():
            raise IngestionError(
                ErrorCode.CORRUPT, "the uploaded file is missing from storage; upload it again"
            )
        await self._publish(record, Stage.PARSING)

        async def on_progress(stage: str, done: int, total: int) -> None:
            await self._publish(record, Stage(stage), current=done, total=total)

        parsed = await parse_isolated(
            path,
            record.mime_type,
            limits=ParseLimits.of(self.settings),
            isolation=Isolation(
                timeout_s=self.settings.parse_timeout_s, memory_mb=self.settings.parse_memory_mb
            ),
            on_progress=on_progress,
        )

        await self._publish(record, Stage.CHUNKING)
        chunks = chunk_elements(
            parsed.elements,
            document_id=record.id,
            size=self.settings.chunk_size,
            overlap=self.settings.chunk_overlap,
        )
        if not chunks:
            raise IngestionError(
                ErrorCode.NO_TEXT,
                "the document holds no words to index (only symbols, numbers or emoji)",
            )

        texts = [search_text(c.text, c.section, record.title) for c in chunks]
        vectors: list[np.ndarray] = []
        # A provider embedder takes enough texts at once to fill all its request slots.
        batch = max(self.settings.embed_batch_size, getattr(self.embedder, "document_batch", 0))
        await self._publish(record, Stage.EMBEDDING, current=0, total=len(chunks))
        for start in range(0, len(texts), batch):
            vectors.extend(await self.embedder.embed_documents(texts[start : start + batch]))
            done = min(start + batch, len(texts))
            await self._publish(record, Stage.EMBEDDING, current=done, total=len(chunks))

        await self._publish(record, Stage.INDEXING, current=0, total=len(chunks))
        await self.backend.replace_chunks(
            record.owner,
            record.id,
            [
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
            ],
        )
        return len(chunks), parsed.page_count

    async def _fail(self, record: DocumentRecord, code: ErrorCode, message: str) -> None:
        await self.backend.replace_chunks(record.owner, record.id, [])
        failed = record.evolve(
            status=DocumentStatus.FAILED,
            error_code=code.value,
            error_message=message,
            processed_at=utcnow(),
            chunk_count=0,
        )
        await self.backend.update_document(failed, expected_version=record.version)
        await self._documents_changed(record)
        log.info("document %s failed: %s %s", record.id, code.value, message)
        await self._publish(failed, Stage.FAILED)

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
