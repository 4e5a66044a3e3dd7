"""Where the commands write: what they produce to stdout, everything else to stderr."""

from __future__ import annotations

from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from docent.settings import Settings, describe

console = Console()
err = Console(stderr=True)


def fail(message: str) -> NoReturn:
    """Print `error: <message>` to stderr and exit with status 2 (docent cannot start or
    run as configured: the message says why and what to change)."""
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def load_settings() -> Settings:
    """The settings from the environment and `.env`, or `error:` with each invalid variable
    and exit status 2."""
    try:
        return Settings.load()
    except ValidationError as exc:
        fail(describe(exc))
