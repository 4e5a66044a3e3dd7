"""The `docent` command, run as a user would run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.commands import docent
from support.samples import HANDBOOK_MD, WARRANTY_PDF_PAGES, make_pdf
from support.servers import DocentServer

pytestmark = pytest.mark.e2e


def test_serve_refuses_a_public_address_without_auth(tmp_path: Path) -> None:
    result = docent("serve", "--host", "0.0.0.0", env={"DOCENT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0 with DOCENT_AUTH=none" in result.stderr


def test_ingest_a_folder_then_ask(docent_server: DocentServer, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "skates.pdf").write_bytes(make_pdf(WARRANTY_PDF_PAGES))
    (folder / "sub" / "handbook.md").write_text(HANDBOOK_MD)
    (folder / "archive.bin").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    result = docent("ingest", str(folder), "--url", docent_server.url, "--tag", "cli")
    assert result.returncode == 1, result.stdout + result.stderr  # the archive is refused
    out = result.stdout
    assert "skates.pdf" in out and "handbook.md" in out
    assert out.count("READY") == 2, out
    assert "UNSUPPORTED_TYPE" in out and "ZIP archive" in out
    assert "2 of 3 documents ok" in out

    answer = docent("ask", "How long does the skates warranty last?", "--url", docent_server.url)
    assert answer.returncode == 0, answer.stderr
    assert "24 months" in answer.stdout
    assert "Sources" in answer.stdout and "page 2" in answer.stdout


def test_ingest_waits_out_the_upload_rate_limit(tmp_path: Path) -> None:
    from support.servers import running_server

    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(5):
        (folder / f"note-{i}.txt").write_text(f"Meeting note number {i} about the parking policy.")
    limits = {"DOCENT_RATE_LIMITS": "upload=2/2second; per_address=off"}
    with running_server(tmp_path / "server", limits) as server:
        result = docent("ingest", str(folder), "--url", server.url, "--no-wait")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 of 5 documents ok" in result.stdout, result.stdout
    assert "RATE_LIMITED" not in result.stdout


def test_cli_says_when_no_server_runs(tmp_path: Path) -> None:
    result = docent("ask", "anything", "--url", "http://127.0.0.1:9/graphql")
    assert result.returncode == 2
    assert "cannot reach docent" in result.stderr
    (tmp_path / "note.txt").write_text("a note")
    result = docent("ingest", str(tmp_path / "note.txt"), "--url", "http://127.0.0.1:9/graphql")
    assert result.returncode == 2, result.stderr
    assert "cannot reach docent" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_a_provider_without_its_key(tmp_path: Path) -> None:
    env = {
        "DOCENT_DATA_DIR": str(tmp_path),
        "DOCENT_GENERATOR": "gemini,local",
        "GEMINI_API_KEY": "",
    }
    result = docent("serve", "--port", "0", env=env)
    assert result.returncode == 2
    assert "Gemini is configured but GEMINI_API_KEY is not set" in result.stderr


def test_serve_refuses_an_index_built_with_another_model(tmp_path: Path) -> None:
    import asyncio

    from docent.search.embedded.store import EmbeddedBackend

    async def build() -> None:
        backend = EmbeddedBackend(tmp_path / "index" / "docent.sqlite3")
        await backend.open(model="some-other-model", dimension=768)
        from docent.domain import Chunk, DocumentRecord, DocumentStatus, IndexedChunk

        doc = DocumentRecord(id="d", owner="local", title="t", filename="t.txt", mime_type="text/plain",
                             size_bytes=1, sha256="x", status=DocumentStatus.READY)  # fmt: skip
        await backend.insert_document(doc)
        chunk = Chunk(id="d-0", document_id="d", ordinal=0, text="some text here")
        await backend.replace_chunks("local", "d", [IndexedChunk(chunk, "local", "t", [0.1] * 768)])
        await backend.aclose()

    asyncio.run(build())
    result = docent("serve", "--port", "0", env={"DOCENT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "some-other-model (768 dimensions)" in result.stderr
    assert "all-MiniLM-L6-v2" in result.stderr and "reindex" in result.stderr


def test_reindex_while_the_server_runs(tmp_path: Path) -> None:
    import asyncio

    from support.servers import gql, running_server, upload

    data = tmp_path / "data"
    with running_server(data) as server:
        response = asyncio.run(upload(server.url, "handbook.md", HANDBOOK_MD.encode()))
        document = response.json()["data"]["uploadDocument"]["document"]["id"]
        query = 'query { search(input: {query: "expense claims receipts"}) { hits { chunk { id } document { id } } } }'
        import time

        deadline = time.monotonic() + 60
        while (
            not asyncio.run(gql(server.url, query))["search"]["hits"]
            and time.monotonic() < deadline
        ):
            time.sleep(0.5)
        before = asyncio.run(gql(server.url, query))["search"]["hits"]
        assert before and before[0]["document"]["id"] == document

        result = docent("reindex", env={"DOCENT_DATA_DIR": str(data)})
        assert result.returncode == 0, result.stdout + result.stderr
        assert "chunks re-embedded, index switched" in result.stdout
        # the running server serves the new index without a restart
        after = asyncio.run(gql(server.url, query))["search"]["hits"]
        assert [h["chunk"]["id"] for h in after] == [h["chunk"]["id"] for h in before]
        semantic = 'query { search(input: {query: "how do I get my expenses paid back", mode: SEMANTIC}) { hits { document { id } } } }'
        assert (
            asyncio.run(gql(server.url, semantic))["search"]["hits"][0]["document"]["id"]
            == document
        )


def test_ingest_again_never_duplicates_silently(
    docent_server: DocentServer, tmp_path: Path
) -> None:
    """Run again on the same file, `docent ingest` finds the same document; on a changed
    file of the same name it says that another document of this name is kept beside it,
    and with --replace the changed file replaces the newest of that name (same id, next
    version)."""
    import asyncio
    import hashlib

    from support.servers import gql

    listing = """query { documents(first: 100, filter: {titleContains: "quarterly-notes"}) {
      edges { node { id filename sha256 version status } } } }"""

    def named() -> list[dict[str, object]]:
        data = asyncio.run(gql(docent_server.url, listing))
        nodes = [e["node"] for e in data["documents"]["edges"]]
        return [n for n in nodes if n["filename"] == "quarterly-notes.md"]

    note = tmp_path / "quarterly-notes.md"
    note.write_text("Quarterly notes: the sprocket line reached its target.")
    url = ("--url", docent_server.url)
    for _ in range(2):
        result = docent("ingest", str(note), *url)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "more of this name" not in result.stdout
    [first] = named()

    note.write_text("Quarterly notes, revised: the sprocket line beat its target by 4%.")
    replaced = docent("ingest", str(note), "--replace", *url)
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert "READY" in replaced.stdout
    [document] = named()
    assert document["id"] == first["id"]
    assert document["version"] == 2
    assert document["sha256"] == hashlib.sha256(note.read_bytes()).hexdigest()

    note.write_text("Quarterly notes, third draft: the sprocket line is paused.")
    kept = docent("ingest", str(note), *url)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "1 more of this name: kept both; --replace replaces" in kept.stdout
    assert len(named()) == 2
