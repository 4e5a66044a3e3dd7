"""The `docent` command: serve, worker, ingest, ask, eval, reindex, token, print-schema. Each
group of commands has its module; this one names them and runs the app."""

from __future__ import annotations

import os

import typer

from docent.cli import admin, ask, ingest, serve
from docent.cli.eval import app as eval_app

app = typer.Typer(
    help="docent: ask questions of your documents; answers cite the page and passage.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(serve.serve)
app.command("worker")(serve.run_worker)
app.command()(ingest.ingest)
app.command()(ask.ask)
app.add_typer(eval_app, name="eval")
app.command()(admin.reindex)
app.command()(admin.token)
app.command("print-schema")(admin.print_schema)


def main() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    app()
