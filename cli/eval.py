"""`docent eval`: measure a docent through its API, as a client sees it.

    docent eval retrieval --beir DIR [--split test] [--modes KEYWORD,SEMANTIC,HYBRID]
    docent eval answers --qa FILE.jsonl [--conversations FILE.jsonl] [--documents DIR ...]
    docent eval --export-feedback FILE [--url URL] [--token T]

Both run against `--url` (a running docent) or, by default, a `docent serve` they start
on a temporary data directory (`--data-dir` keeps it for the next run; `--env NAME=VALUE`
sets it up). Each prints its figures as Markdown tables and, with `--json FILE`, writes
them with every query's or question's outcome. The exit status is 0 whatever the scores
(a measurement, not a test), 2 when the run cannot be made (bad input, docent down).
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from websockets.exceptions import WebSocketException

from docent.cli.console import console, err, fail, one_line, plain
from docent.cli.remote import DEFAULT_URL, TokenOption, unreachable
from docent.client import DocentClient, GraphQLError
from docent.evaluation import answers, conversations, feedback, retrieval, uploads
from docent.evaluation.beir import BeirError, document_text, load_beir
from docent.evaluation.gates import EvidenceLog
from docent.evaluation.qa import QAFileError, load_questions, resolve_documents
from docent.evaluation.report import (
    answers_report,
    print_answers,
    print_retrieval,
    retrieval_report,
)
from docent.evaluation.server import EmbeddedServer, ServerError

app = typer.Typer(
    help="Measure docent through its API: retrieval on BEIR data, answers on a QA set.",
    no_args_is_help=True,
)


@app.callback(invoke_without_command=True)
def evaluate(
    ctx: typer.Context,
    export_feedback: Annotated[
        Path | None,
        typer.Option(
            "--export-feedback",
            help="Write your rated answers to FILE as QA lines (`eval answers --qa` reads "
            "them; a DOWN rating, and an UP one whose cited documents are all gone, is marked "
            "needs_review), from the docent at --url.",
            metavar="FILE",
        ),
    ] = None,
    url: Annotated[
        str, typer.Option("--url", envvar="DOCENT_URL", help="With --export-feedback: docent.")
    ] = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Measure docent through its API: retrieval on BEIR data, answers on a QA set."""
    if export_feedback is None:
        if ctx.invoked_subcommand is None:
            err.print(ctx.get_help(), markup=False, highlight=False)
            raise typer.Exit(2)
        return
    if ctx.invoked_subcommand is not None:
        fail("--export-feedback is an action of its own: not with a command")

    async def work() -> list[dict[str, Any]]:
        async with DocentClient(url, token=token, timeout=120) as client:
            return await feedback.rated_answers(client)

    records = _run(url, work)
    try:
        with export_feedback.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except OSError as exc:
        fail(f"{export_feedback}: cannot be written ({exc})")
    # needs_review is every DOWN, and also an UP whose cited documents are all gone.
    down = sum(r["feedback"]["rating"] == "DOWN" for r in records)
    review = sum(bool(r.get("needs_review")) for r in records)
    err.print(
        f"{len(records)} rated answers written to {export_feedback} ({len(records) - down} UP, "
        f"{down} DOWN; {review} marked needs_review)",
        markup=False, highlight=False,
    )  # fmt: skip
    raise typer.Exit(0)


UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="A running docent's GraphQL endpoint (default: start one)."),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="The started docent's data directory, kept for the next run."),
]
EnvOption = Annotated[
    list[str] | None,
    typer.Option("--env", help="A setting of the started docent, NAME=VALUE (repeatable)."),
]
JsonOption = Annotated[
    Path | None, typer.Option("--json", help="Also write the report, every outcome, here.")
]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)
T = TypeVar("T")


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """`NAME=VALUE` items as a dict; `error:` and exit status 2 for one without a name."""
    settings: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not _NAME.fullmatch(name):
            fail(f"--env {pair!r}: NAME=VALUE is expected")
        settings[name] = value
    return settings


def shown(settings: dict[str, str]) -> dict[str, str]:
    """Settings as a report may show them: secrets (a name with KEY, TOKEN, SECRET or
    PASSWORD) hidden, and no user or password in a URL."""
    visible: dict[str, str] = {}
    for name, value in settings.items():
        if _SECRET.search(name):
            value = "***"
        elif "://" in value and "@" in value:
            parts = urlsplit(value)
            value = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
        visible[name] = value
    return visible


def _target_settings(
    url: str | None, data_dir: Path | None, env: list[str] | None
) -> dict[str, str]:
    """The started docent's settings; `error:` when they are given with --url."""
    if url is not None and (data_dir is not None or env):
        fail("--data-dir and --env set up the docent that eval starts: not with --url")
    return parse_settings(env or [])


@asynccontextmanager
async def _docent(
    url: str | None, token: str | None, data_dir: Path | None, settings: dict[str, str]
) -> AsyncIterator[tuple[DocentClient, dict[str, Any]]]:
    """A client of the docent to measure, and what to say about it in the report."""
    if url is not None:
        async with DocentClient(url, token=token, timeout=120) as client:
            yield client, {"docent": {"url": url}}
        return
    with _data_dir(data_dir) as directory:
        server = EmbeddedServer(directory, settings)
        server.launch()
        try:
            with err.status(f"starting docent on {directory}"):
                try:
                    await asyncio.to_thread(server.wait_ready)
                except ServerError as exc:
                    fail(str(exc))
            async with DocentClient(server.url, token=token, timeout=120) as client:
                about = {"data_dir": str(data_dir) if data_dir else None,
                         "settings": shown(server.settings), "log": str(server.log_path)}  # fmt: skip
                yield client, {"docent": about}
        finally:
            await asyncio.to_thread(server.stop)


@contextmanager
def _data_dir(path: Path | None) -> Any:
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="docent-eval-") as tmp:
        yield Path(tmp)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err,
    )  # fmt: skip


def _run(url: str | None, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `work`; a docent that cannot be reached or refuses the run ends it with status 2.
    SIGTERM cancels it like Ctrl-C does, so that a docent it started is stopped too."""

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await work()
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(guarded())
    except (OSError, ConnectionError, WebSocketException, httpx.TransportError) as exc:
        unreachable(url or "the started docent", exc)
    except (GraphQLError, httpx.HTTPStatusError) as exc:
        fail(f"docent refused the run: {exc}")
    except (asyncio.CancelledError, KeyboardInterrupt):
        err.print("[yellow]stopped[/yellow]")
        raise typer.Exit(130) from None


def _ingested(result: uploads.Ingested) -> dict[str, Any]:
    """Say what is not READY; what became of the files, for the report."""
    for stored in result.files:
        if stored.status != "READY":
            line = plain((f"{one_line(stored.name)}: {stored.status}", "yellow"), " ")
            err.print(line.append_text(plain(stored.error or "")), soft_wrap=True)
    if result.changed:
        did = "deleted" if result.replaced else "kept (they take part in the run)"
        err.print(f"[yellow]{len(result.changed)} older versions of these files {did}[/yellow]")
    return {
        **{status.lower(): result.count(status) for status in ("READY", "FAILED", "REFUSED")},
        "uploaded": sum(s.uploaded for s in result.files),
        "older_versions": {"count": len(result.changed), "deleted": result.replaced},
        "files": [
            {"file": str(s.path), "name": s.name, "document_id": s.document_id,
             "status": s.status, "error": s.error, "chunks": s.chunks, "uploaded": s.uploaded}
            for s in result.files
        ],
    }  # fmt: skip


def _write(path: Path | None, report: dict[str, Any]) -> None:
    if path is not None:
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        err.print(f"report written to {path}", highlight=False)


@app.command("retrieval")
def eval_retrieval(
    beir: Annotated[
        Path, typer.Option("--beir", help="A BEIR folder: corpus.jsonl, queries.jsonl, qrels/.")
    ],
    split: Annotated[str, typer.Option(help="The judgements: qrels/SPLIT.tsv.")] = "test",
    modes: Annotated[str, typer.Option(help="Search modes, comma-separated.")] = ",".join(
        retrieval.MODES
    ),
    url: UrlOption = None,
    token: TokenOption = None,
    data_dir: DataDirOption = None,
    env: EnvOption = None,
    json_path: JsonOption = None,
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="Uploads at once.")] = 8,
) -> None:
    """nDCG@10, recall@100 and search latency per mode on a BEIR collection, whose
    documents are uploaded first ("title", blank line, text; already READY: skipped)."""
    settings = _target_settings(url, data_dir, env)
    try:
        collection = load_beir(beir, split)
        chosen = retrieval.parse_modes(modes)
    except (BeirError, ValueError) as exc:
        fail(str(exc))
    started = time.perf_counter()

    async def work() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="docent-eval-corpus-") as tmp:
            files, names = _corpus_files(collection.corpus, Path(tmp))
            async with _docent(url, token, data_dir, settings) as (client, about):
                with _progress() as progress:
                    ingested = await uploads.ingest(
                        client, files, concurrency=concurrency,
                        replace_changed=url is None, progress=progress,
                    )  # fmt: skip
                    documents = _ingested(ingested)
                    corpus_ids: dict[str, list[str]] = {}
                    for s in ingested.files:
                        if s.document_id is not None:
                            corpus_ids.setdefault(s.document_id, []).append(names[s.name])
                    results = await retrieval.run(
                        client, collection, corpus_ids, chosen, progress=progress
                    )
        title = f"{beir.name} {split}: {len(collection.queries)} queries, {len(collection.corpus)} documents"
        print_retrieval(console, results, title)
        return retrieval_report(results, {
            **_when(started), **about, "dataset": str(beir), "split": split,
            "queries": len(collection.queries),
            "documents": {k: v for k, v in documents.items() if k != "files"},
        })  # fmt: skip

    _write(json_path, _run(url, work))


def _corpus_files(
    corpus: dict[str, tuple[str, str]], folder: Path
) -> tuple[list[uploads.LocalFile], dict[str, str]]:
    """A text file per document, named after its id (`<id>.txt`, as tune.py reads them back)
    when the id makes a plain file name; and file name -> corpus id."""
    files: list[uploads.LocalFile] = []
    names: dict[str, str] = {}
    for number, (doc_id, (title, text)) in enumerate(corpus.items()):
        name = (
            f"{doc_id}.txt" if re.fullmatch(r"[\w-][\w.-]{0,150}", doc_id) else f"doc-{number}.txt"
        )
        path = folder / name
        path.write_text(document_text(title, text), encoding="utf-8")
        files.append(uploads.local_file(path))
        names[name] = doc_id
    return files, names


def _when(started: float) -> dict[str, Any]:
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - started, 1),
    }


@app.command("answers")
def eval_answers(
    qa: Annotated[
        Path | None,
        typer.Option("--qa", help="The questions: JSON lines, or a fidelity expected.json."),
    ] = None,
    more: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="DOCUMENTS",
            help="More folders or files of documents (`--documents A B` works).",
            show_default=False,
        ),
    ] = None,
    documents: Annotated[
        list[Path] | None,
        typer.Option(
            "--documents", help="Folders or files of documents (default: the QA file's folder)."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="File names not to upload (glob; besides *.json, *.jsonl, *.py, README*).",
        ),
    ] = None,
    top_k: Annotated[
        int | None, typer.Option(min=1, max=20, help="Passages per answer (default: docent's).")
    ] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    data_dir: DataDirOption = None,
    env: EnvOption = None,
    json_path: JsonOption = None,
    conversations_path: Annotated[
        Path | None,
        typer.Option(
            "--conversations",
            help="Conversations (JSON lines): each asked turn by turn; follow-up accuracy.",
        ),
    ] = None,
) -> None:
    """Answer accuracy, citation accuracy, refusal precision and recall and latency on a QA
    set, per language, file type and kind; with --conversations, follow-up accuracy (the
    answer and the standalone question right) on multi-turn conversations beside them. The
    documents are uploaded first (already READY: skipped)."""
    settings = _target_settings(url, data_dir, env)
    given = [p for p in (qa, conversations_path) if p is not None]
    if not given:
        fail("--qa or --conversations (or both) is needed")
    roots = [*(documents or []), *(more or [])] or [given[0].parent]
    try:
        questions = load_questions(qa) if qa is not None else []
        cases = (
            conversations.load_conversations(conversations_path)
            if conversations_path is not None
            else []
        )
        found = uploads.collect_files(
            roots, exclude=(*uploads.DEFAULT_EXCLUDE, *(exclude or [])), skip=given
        )
        turns = [turn.question for case in cases for turn in case.turns]
        expected = resolve_documents([*questions, *turns], found)
    except (QAFileError, FileNotFoundError) as exc:
        fail(str(exc))
    if not found:
        fail(f"no documents in {', '.join(map(str, roots))}")
    files = [uploads.local_file(path) for _, path in found]
    started = time.perf_counter()

    async def work() -> dict[str, Any]:
        async with _docent(url, token, data_dir, settings) as (client, about):
            with _progress() as progress:
                ingested = await uploads.ingest(
                    client, files, concurrency=4, replace_changed=url is None, progress=progress
                )
                stored = _ingested(ingested)
                by_path = ingested.by_path
                document_ids = {
                    qid: document_id for qid, path in expected.items()
                    if (document_id := by_path[path].document_id) is not None
                }  # fmt: skip
                # The started server's log says which gate refused each answer.
                log = about["docent"].get("log")
                outcomes = await answers.run(
                    client, questions, document_ids, top_k=top_k, progress=progress,
                    evidence=EvidenceLog(Path(log)) if log else None,
                )  # fmt: skip
                turned = await conversations.run(
                    client, cases, document_ids, top_k=top_k, progress=progress
                )
        if questions:
            print_answers(console, outcomes)
        report = answers_report(outcomes, {
            **_when(started), **about, "qa_file": str(qa) if qa else None, "top_k": top_k,
            "documents": stored,
        })  # fmt: skip
        if cases:
            conversations.print_conversations(console, turned)
            report["conversations"] = conversations.conversations_report(
                turned, str(conversations_path)
            )
        return report

    _write(json_path, _run(url, work))
