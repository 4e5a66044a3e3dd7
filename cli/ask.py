"""`docent ask`: stream an answer to the terminal, then its sources."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from docent.cli.console import console, err
from docent.cli.remote import DEFAULT_URL, TokenOption, UrlOption, unreachable
from docent.client import DocentClient

_ANSWER = """subscription Answer($input: AskInput!) { answer(input: $input) {
  __typename
  ... on AnswerDelta { text }
  ... on AnswerError { code message }
  ... on AnswerDone { answer { text grounded model cached fallbacks { provider code message }
      citations { index chunk { page section text } document { title filename } } } } } }"""


def ask(
    question: Annotated[str, typer.Argument(help="Your question, in plain language.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    top_k: Annotated[int, typer.Option(min=1, max=20, help="Passages to answer from.")] = 5,
) -> None:
    """Ask a question; the answer streams to the terminal, then its sources."""

    async def main() -> int:
        async with DocentClient(url, token=token) as client:
            variables = {"input": {"question": question, "topK": top_k}}
            # A "not found" answer (and the sources-only answer without a generator) comes
            # with no delta: its text is only in AnswerDone.
            streamed = False
            async for data in client.subscribe(_ANSWER, variables):
                event = data["answer"]
                kind = event["__typename"]
                if kind == "AnswerDelta":
                    console.print(event["text"], end="", soft_wrap=True, highlight=False)
                    streamed = streamed or bool(event["text"])
                elif kind == "AnswerError":
                    err.print(f"\n[red]{event['code']}[/red]: {event['message']}")
                    return 1
                elif kind == "AnswerDone":
                    answer = event["answer"]
                    if not streamed:
                        console.print(answer["text"], end="", soft_wrap=True, highlight=False)
                    console.print()
                    if answer["citations"]:
                        console.print("\n[bold]Sources[/bold]")
                    for c in answer["citations"]:
                        where = f"page {c['chunk']['page']}" if c["chunk"]["page"] else ""
                        section = c["chunk"]["section"] or ""
                        place = ", ".join(p for p in (where, section) if p)
                        console.print(
                            f"[{c['index']}] {c['document']['title']}"
                            + (f" ({place})" if place else ""),
                            highlight=False,
                        )
                    if answer["model"]:
                        cached = " (from the answer cache)" if answer["cached"] else ""
                        console.print(f"\n[dim]{answer['model']}{cached}[/dim]")
                    for skipped in answer["fallbacks"]:
                        err.print(
                            f"[yellow]{skipped['provider']} skipped[/yellow] "
                            f"({skipped['code']}): {skipped['message']}"
                        )
        return 0

    try:
        code = asyncio.run(main())
    except (OSError, ConnectionError) as exc:
        unreachable(url, exc)
    raise typer.Exit(code)
