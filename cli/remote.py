"""What the commands that talk to a running docent share: where it is, the token they show
it, and what they say when it does not answer."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from docent.cli.console import err

DEFAULT_URL = "http://127.0.0.1:8000/graphql"
UrlOption = Annotated[
    str, typer.Option("--url", envvar="DOCENT_URL", help="The docent GraphQL endpoint.")
]
TokenOption = Annotated[
    str | None, typer.Option("--token", envvar="DOCENT_TOKEN", help="Bearer token.")
]


def unreachable(url: str, exc: Exception) -> NoReturn:
    """Nothing answers at `url` (OSError, ConnectionError): say so and exit with status 2."""
    err.print(f"[red]cannot reach docent at {url}[/red] ({exc}); is `docent serve` running?")
    raise typer.Exit(2) from exc
