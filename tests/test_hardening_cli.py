"""The terminal is an attack surface (issue 11): what the `docent` command prints of a
server's data (answers, titles, passages, sections, its messages) and of the user's files is
shown as it is. Rich markup in it is text, not a tag (a passage holding `[/]` crashed `docent
ask`), and no control or bidi-override character reaches the terminal (the ESC sequences in
a group member's document title did)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from docent.cli.console import neutralise
from docent.search.embedded.store import EmbeddedBackend

from support.commands import docent
from support.servers import DocentServer, running_server, upload_ok, wait_ready

#: What a terminal obeys: C0 controls but tab and newline (ESC starts its sequences, BEL ends
#: OSC ones), DEL, C1 controls (U+009B is a one-character CSI), and the bidi embeddings,
#: overrides and isolates that reorder what follows them.
TERMINAL_COMMANDS = frozenset(
    chr(code) for code in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0))
) | frozenset(chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))

#: Clears the screen, sets the window title, turns on red through a C1 CSI, reverses the
#: rest of the line, and holds markup (`[/]` closes nothing: Rich raised MarkupError).
TITLE = "Minutes \x1b[2J\x1b]0;owned\x07 \u202egnp.exe \x9b31m [/] [bold]x"
DOCUMENT = (
    "# Skates [/] warranty \x1b[31m red\n\n"
    "The warranty for the evil skates lasts 24 months [/] from purchase \x1b]0;owned\x07 "
    "and \u202eexe.\n\n"
    "Returns are accepted within 30 days [bold red]if unused[/bold red].\n"
)


def assert_inert(output: str) -> None:
    found = sorted({f"U+{ord(ch):04X}" for ch in output if ch in TERMINAL_COMMANDS})
    assert not found, f"reached the terminal: {found}\n{output!r}"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text, [bold]markup[/] and :smile:", "plain text, [bold]markup[/] and :smile:"),
        ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
        ("CR LF\r\nand a lone CR\rare newlines", "CR LF\nand a lone CR\nare newlines"),
        ("\x1b[2J\x07\x00\x7f", "\\x1b[2J\\x07\\x00\\x7f"),
        ("C1 \x9b31m \x85", "C1 \\x9b31m \\x85"),
        (
            "\u202egnp.exe \u2066x\u2069 \u202a\u202c",
            "\\u202egnp.exe \\u2066x\\u2069 \\u202a\\u202c",
        ),
        (
            "no\u00a0break, zero\u200dwidth joiner, é, 名前",
            "no\u00a0break, zero\u200dwidth joiner, é, 名前",
        ),
        (42, "42"),
    ],
)
def test_neutralise_shows_terminal_commands_as_escapes(raw: object, shown: str) -> None:
    assert neutralise(raw) == shown
    assert_inert(neutralise(raw))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    with running_server(tmp_path_factory.mktemp("hostile")) as server:
        yield server


async def _store_title(server: DocentServer, document_id: str, title: str) -> None:
    """Give a document `title` in the index itself, as a docent that kept control characters
    in titles stored it: the terminal must be safe with what is already stored."""
    backend = EmbeddedBackend(server.data_dir / "index" / "docent.sqlite3")
    try:
        record = await backend.get_document("local", document_id)
        assert record is not None
        changed = record.evolve(title=title)
        assert await backend.update_document(changed, expected_version=record.version)
    finally:
        await backend.aclose()


@pytest.mark.e2e
def test_ask_prints_hostile_titles_passages_and_sections_as_they_are(
    server: DocentServer,
) -> None:
    async def upload() -> None:
        payload = await upload_ok(server, "evil.md", DOCUMENT.encode(), title=TITLE)
        document_id = payload["document"]["id"]
        assert (await wait_ready(server, document_id))[-1]["status"] == "READY"
        await _store_title(server, document_id, TITLE)

    asyncio.run(upload())
    result = docent("ask", "How long does the skates warranty last?", "--url", server.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_inert(result.stdout + result.stderr)
    # The quoted passage with its markup as text; its controls never reached the index (every
    # parser's text is normalised, issue 12: format and control characters go) ...
    assert "24 months [/] from purchase ]0;owned and" in result.stdout, result.stdout
    # ... and the source: the title (stored raw here) with its controls as escapes, then the
    # section.
    assert "Minutes \\x1b[2J\\x1b]0;owned\\x07 \\u202egnp.exe \\x9b31m [/] [bold]x" in result.stdout
    assert "Skates [/] warranty [31m red" in result.stdout


@pytest.mark.e2e
def test_ingest_prints_hostile_file_names_as_they_are(server: DocentServer, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "notes [red]x \x1b[2J\u202etxt.exe.txt").write_text(
        "The parking policy changed on Monday: bikes go in the basement."
    )
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("inner.txt", "nothing to see")
    (folder / "archive [bold]\x9b31m.bin").write_bytes(archive.getvalue())
    result = docent("ingest", str(folder), "--url", server.url)
    assert result.returncode == 1, result.stdout + result.stderr  # the archive is refused
    assert_inert(result.stdout + result.stderr)
    assert "notes [red]x \\x1b[2J\\u202etxt.exe.txt" in result.stdout, result.stdout
    assert "archive [bold]\\x9b31m.bin" in result.stdout
    assert "UNSUPPORTED_TYPE" in result.stdout and "1 of 2 documents ok" in result.stdout


HOSTILE = "\x1b]0;owned\x07[/] \u202eevil"


async def _done(ws: ServerConnection, op: str) -> None:
    answer = {
        "grounded": True, "model": f"model {HOSTILE}", "cached": False, "citations": [],
        "fallbacks": [{"provider": f"p {HOSTILE}", "code": "X\x1b[2J", "message": HOSTILE}],
    }  # fmt: skip
    await _next(ws, op, {"__typename": "AnswerDelta", "text": f"text {HOSTILE}"})
    await _next(ws, op, {"__typename": "AnswerDone", "answer": answer})
    await ws.send(json.dumps({"id": op, "type": "complete"}))


async def _answer_error(ws: ServerConnection, op: str) -> None:
    await _next(ws, op, {"__typename": "AnswerError", "code": "X\x1b[2J", "message": HOSTILE})


async def _graphql_error(ws: ServerConnection, op: str) -> None:
    error = {"message": HOSTILE, "extensions": {"code": "X\x1b[2J"}}
    await ws.send(json.dumps({"id": op, "type": "error", "payload": [error]}))


async def _close(ws: ServerConnection, op: str) -> None:
    await ws.close(4400, HOSTILE)


async def _not_json(ws: ServerConnection, op: str) -> None:
    await ws.send(f"not JSON {HOSTILE}")


async def _next(ws: ServerConnection, op: str, answer: dict[str, Any]) -> None:
    await ws.send(json.dumps({"id": op, "type": "next", "payload": {"data": {"answer": answer}}}))


SHOWN = "\\x1b]0;owned\\x07[/] \\u202eevil"


@pytest.mark.parametrize(
    ("script", "status", "shown"),
    [
        (_done, 0, SHOWN),
        (_answer_error, 1, SHOWN),
        (_graphql_error, 1, SHOWN),
        (_close, 1, SHOWN),
        (_not_json, 1, "ERROR: the server sent a WebSocket message that is not JSON"),
    ],
    ids=["answer", "answer-error", "graphql-error", "close-frame", "not-json"],
)
async def test_ask_prints_a_hostile_servers_words_as_they_are(
    script: Any, status: int, shown: str
) -> None:
    """`--url` may name any server: its answers, errors and close reasons are data too, and
    what is not a GraphQL message ends the command with one line, not a traceback."""

    async def handler(ws: ServerConnection) -> None:
        await ws.recv()  # connection_init
        await ws.send(json.dumps({"type": "connection_ack"}))
        subscribe = json.loads(await ws.recv())
        await script(ws, subscribe["id"])
        await ws.wait_closed()

    protocol = Subprotocol("graphql-transport-ws")
    async with serve(handler, "127.0.0.1", 0, subprotocols=[protocol]) as fake:
        port = next(iter(fake.sockets)).getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "docent.cli", "ask", "q", "--url",
            f"http://127.0.0.1:{port}/graphql",
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"},
        )  # fmt: skip
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    out, err = stdout.decode(), stderr.decode()
    assert process.returncode == status, out + err
    assert_inert(out + err)
    assert shown in out + err and "Traceback" not in err, out + err
