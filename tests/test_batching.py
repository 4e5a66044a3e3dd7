"""Cross-document batching (`ingestion/batching.py`): the chunks of documents processed
at the same time go to the embedder together, each document still gets exactly its own
vectors, and a document deleted while its texts wait for the embedder is never written.
Real components: the local model, the embedded index file, the embedded Redis."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import apsw
import numpy as np
import pytest
import sqlite_vec

from docent.composition import open_components
from docent.domain import DocumentRecord
from docent.ingestion.blobs import read_chunks
from docent.settings import Settings, StorageSettings

pytestmark = pytest.mark.timeout(600)


class SlowFirstCall:
    """The real embedder, recording the texts of each call; its first call waits for
    `release` (so that other documents' texts queue behind it)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[list[str]] = []
        self.release = asyncio.Event()
        self.first_started = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def embed_documents(self, texts: list[str]) -> Any:
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            self.first_started.set()
            await self.release.wait()
        return await self._inner.embed_documents(texts)


async def queued(batcher: Any, *, texts: int) -> None:
    """Wait until `texts` texts wait for the embedder (at most two minutes)."""
    for _ in range(2400):
        if sum(len(r.texts) for r in batcher._queue) >= texts:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {texts} texts ever waited for the embedder")


def note(i: int) -> bytes:
    """A note of two chunks (chunk_size 1000)."""
    body = " ".join(f"Finding {j} of study {i} concerns protein {i * 31 + j}." for j in range(40))
    return f"Study {i}\n\n{body}\n".encode()


async def uploaded(runtime: Any, tmp_path: Path, count: int) -> list[DocumentRecord]:
    records = []
    for i in range(count):
        path = tmp_path / f"study{i}.txt"
        path.write_bytes(note(i))
        result = await runtime.services.documents.upload(
            "local", read_chunks(path), filename=path.name
        )
        records.append(result.document)
    return records


def stored_vectors(data_dir: Path, document_id: str) -> list[tuple[str, np.ndarray]]:
    """(search text, vector) of each chunk of the document, as the index file holds them."""
    conn = apsw.Connection(
        str(data_dir / "index" / "docent.sqlite3"), flags=apsw.SQLITE_OPEN_READONLY
    )
    try:
        conn.enable_load_extension(True)
        conn.load_extension(sqlite_vec.loadable_path())
        table = dict(conn.execute("SELECT key, value FROM meta"))["vector_table"]
        return [
            (str(text), np.frombuffer(blob, dtype=np.float32))
            for text, blob in conn.execute(
                f"SELECT c.search_text, v.embedding FROM chunks c JOIN {table} v "
                "ON v.rowid = c.rowid WHERE c.document_id = ? ORDER BY c.ordinal",
                (document_id,),
            )
        ]
    finally:
        conn.close()


async def test_documents_embedded_together_each_get_their_own_vectors(tmp_path: Path) -> None:
    settings = Settings(storage=StorageSettings(data_dir=tmp_path))
    async with open_components(settings) as runtime:
        spy = SlowFirstCall(runtime.embedder)
        ingestor = dataclasses.replace(runtime.worker.ingestor, embedder=spy)
        documents = await uploaded(runtime, tmp_path, 8)
        jobs = [asyncio.create_task(ingestor.process(d.owner, d.id, d.version)) for d in documents]
        await spy.first_started.wait()
        # the first call holds the first document, or the first few when they reached the
        # queue in the same turn of the event loop, before the drain task ran
        first = len(spy.calls[0])
        assert first % 2 == 0 and 2 <= first < 16
        # the others parse and chunk meanwhile, and queue their texts
        await queued(ingestor.batcher, texts=16 - first)
        spy.release.set()
        outcomes = await asyncio.gather(*jobs)
        assert [o.value for o in outcomes] == ["ready"] * 8
        # one call for the first document(s), one for all that queued behind it
        assert [len(c) for c in spy.calls] == [first, 16 - first]
        for document in documents:
            rows = stored_vectors(tmp_path, document.id)
            assert len(rows) == 2
            texts = [text for text, _ in rows]
            assert all(f"study {documents.index(document)} " in t for t in texts)
            alone = await runtime.embedder.embed_documents(texts)
            for (_, vector), expected in zip(rows, alone, strict=True):
                assert np.allclose(vector, expected, atol=1e-6)


async def test_a_document_deleted_while_its_batch_waits_is_never_written(
    tmp_path: Path,
) -> None:
    settings = Settings(storage=StorageSettings(data_dir=tmp_path))
    async with open_components(settings) as runtime:
        spy = SlowFirstCall(runtime.embedder)
        ingestor = dataclasses.replace(runtime.worker.ingestor, embedder=spy)
        first, waiting, kept = await uploaded(runtime, tmp_path, 3)
        running = asyncio.create_task(ingestor.process(first.owner, first.id, first.version))
        await spy.first_started.wait()
        others = [
            asyncio.create_task(ingestor.process(d.owner, d.id, d.version)) for d in (waiting, kept)
        ]
        await queued(ingestor.batcher, texts=4)
        await runtime.services.documents.delete("local", waiting.id)
        spy.release.set()
        outcomes = [o.value for o in await asyncio.gather(running, *others)]
        assert outcomes == ["ready", "skipped", "ready"]
        assert [len(c) for c in spy.calls] == [2, 4]  # the deleted one's texts were embedded
        assert stored_vectors(tmp_path, waiting.id) == []  # ... and never written
        assert await runtime.backend.get_document("local", waiting.id) is None
        assert len(stored_vectors(tmp_path, kept.id)) == 2
