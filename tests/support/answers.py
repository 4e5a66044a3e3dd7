"""Asking a running docent server a question over GraphQL, as the answering API tests do:
one query with every field they read (text, grounded, model, each citation's index, page
and file name)."""

from __future__ import annotations

import asyncio
from typing import Any

from support.servers import DocentServer, gql

ASK = """query Ask($input: AskInput!) { ask(input: $input) {
  text grounded model citations { index chunk { page } document { filename } } } }"""


def ask(server: DocentServer, question: str) -> dict[str, Any]:
    """The `ask` field of the answer to `question` (a blocking call: it runs its own loop)."""
    return dict(asyncio.run(gql(server.url, ASK, {"input": {"question": question}}))["ask"])
