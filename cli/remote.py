"""What the commands that talk to a running docent share: where it is, the token they show
it, and what they say when it does not answer or refuses (one line, never a traceback)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import typer
import websockets

from docent.cli.console import err, plain
from docent.client import GraphQLError

T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:8000/graphql"
UrlOption = Annotated[
    str, typer.Option("--url", envvar="DOCENT_URL", help="The docent GraphQL endpoint.")
]
TokenOption = Annotated[
    str | None, typer.Option("--token", envvar="DOCENT_TOKEN", help="Bearer token.")
]


def talk(url: str, conversation: Coroutine[Any, Any, T]) -> T:
    """Run `conversation` with the docent at `url` and return its result. When nothing
    answers there: `unreachable` (exit status 2). When the server refuses (GraphQL errors,
    an HTTP error status, a WebSocket it closes): its code and message, printed plainly,
    and exit status 1."""
    try:
        return asyncio.run(conversation)
    except GraphQLError as exc:
        refused(exc.code or "ERROR", str(exc))
    except websockets.ConnectionClosed as exc:
        refused("CLOSED", f"docent closed the connection ({exc})")
    except httpx.HTTPStatusError as exc:
        refused(f"HTTP {exc.response.status_code}", exc.response.reason_phrase)
    except (OSError, httpx.TransportError, websockets.InvalidHandshake) as exc:
        unreachable(url, exc)


def refused(code: str, message: str) -> NoReturn:
    """`CODE: message` on stderr (the server's words, shown as they are); exit status 1."""
    err.print(plain((code, "red"), ": ", message), soft_wrap=True)
    raise typer.Exit(1)


def unreachable(url: str, exc: Exception) -> NoReturn:
    """Nothing answers at `url` (the connection failed: `exc`): say so and exit with status
    2."""
    err.print(
        plain((f"cannot reach docent at {url}", "red"), f" ({exc}); is `docent serve` running?"),
        soft_wrap=True,
    )
    raise typer.Exit(2) from exc
