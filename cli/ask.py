"""`docent ask`: stream an answer to the terminal, then its sources.

Everything printed from the server (the answer, titles, sections, messages) goes through
`plain`: shown as it is, never as markup or terminal commands."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from docent.cli.console import console, err, one_line, plain
from docent.cli.remote import DEFAULT_URL, TokenOption, UrlOption, talk
from docent.client import DocentClient

_ANSWER = """subscription Answer($input: AskInput!) { answer(input: $input) {
  __typename
  ... on AnswerDelta { text }
  ... on AnswerError { code message }
  ... on AnswerDone { answer { text grounded model cached conversationId standaloneQuestion
      fallbacks { provider code message }
      citations { index chunk { page section text } document { title filename } } } } } }"""


def ask(
    question: Annotated[str, typer.Argument(help="Your question, in plain language.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    top_k: Annotated[int, typer.Option(min=1, max=20, help="Passages to answer from.")] = 5,
    conversation: Annotated[
        str | None,
        typer.Option(
            "--conversation",
            help="Continue this conversation (its id, as printed after an answer): the "
            "question may refer to the earlier ones.",
        ),
    ] = None,
) -> None:
    """Ask a question; the answer streams to the terminal, then its sources and the
    conversation's id (to ask a follow-up with --conversation)."""

    async def main() -> int:
        async with DocentClient(url, token=token) as client:
            variables = {
                "input": {"question": question, "topK": top_k, "conversationId": conversation}
            }
            # A "not found" answer (and the sources-only answer without a generator) comes
            # with no delta: its text is only in AnswerDone.
            streamed = False
            async for data in client.subscribe(_ANSWER, variables):
                event = data["answer"]
                kind = event["__typename"]
                if kind == "AnswerDelta":
                    console.print(plain(event["text"]), end="", soft_wrap=True)
                    streamed = streamed or bool(event["text"])
                elif kind == "AnswerError":
                    err.print(plain("\n", (event["code"], "red"), ": ", event["message"]))
                    return 1
                elif kind == "AnswerDone":
                    if not streamed:  # "not found" comes whole, with no delta
                        console.print(plain(event["answer"]["text"]), end="", soft_wrap=True)
                    _print_done(event["answer"], question)
        return 0

    raise typer.Exit(talk(url, main()))


def _print_done(answer: dict[str, Any], question: str) -> None:
    """The answer's sources (number, title, page, section), its model, how a follow-up was
    understood (when not as asked), its conversation, and the providers its fallback chains
    skipped."""
    console.print()
    if answer["citations"]:
        console.print(plain("\n", ("Sources", "bold")))
    for c in answer["citations"]:
        where = f"page {c['chunk']['page']}" if c["chunk"]["page"] else ""
        place = ", ".join(p for p in (where, c["chunk"]["section"] or "") if p)
        title = one_line(c["document"]["title"]) + (f" ({place})" if place else "")
        console.print(plain(f"[{c['index']}] ", title))
    if answer["model"]:
        cached = " (from the answer cache)" if answer["cached"] else ""
        console.print(plain("\n", (answer["model"] + cached, "dim")))
    if answer.get("standaloneQuestion") and answer["standaloneQuestion"] != question:
        console.print(plain(("Understood as: ", "dim"), answer["standaloneQuestion"]))
    if answer.get("conversationId"):
        console.print(plain(("Conversation: ", "dim"), answer["conversationId"]))
    for skipped in answer["fallbacks"]:
        err.print(
            plain((f"{skipped['provider']} skipped", "yellow"), f" ({skipped['code']}): ",
                  skipped["message"])
        )  # fmt: skip
