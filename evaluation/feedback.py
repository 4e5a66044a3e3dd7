"""`docent eval --export-feedback FILE`: the answers a user rated, read through the public API
(`conversations`, then each conversation's `messages`), written as QA lines that `docent
eval answers --qa FILE` reads back, so that rated answers become test cases.

What a rating tells, and so what each line says (`qa.py` has the format):

- UP on a grounded answer: the answer was right, so a right answer cites the document it
  cited first (and that passage's page); its words are not required (another generator
  words it otherwise). A cited document deleted since (or no longer yours to read) is not
  named; when none of its documents is left, nothing is left to check a new answer
  against, and the line is ``needs_review`` like a DOWN (the trial saw such a line with
  nothing to judge).
- UP on a refusal ("not found"): the documents do not answer it: ``unanswerable``.
- DOWN: the answer was wrong, but what is right is not known: ``needs_review``. `docent
  eval` asks it and lists its new answer under "needs review", counting it in no figure,
  until a person writes ``answer_contains`` (and ``document``) and removes the flag.

The question is the standalone question docent searched for (a follow-up's "And for jury
service?" is meaningless alone), the question as typed is kept in ``feedback``; so are the
rating, the comment, the answer rated and its citations (document file name and page, or
``deleted``). An answer whose text docent now withholds (it quoted a document the user can
no longer read) is exported with that notice as its text, never the withheld text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from docent.client import DocentClient

CONVERSATIONS = """query Conversations($after: String) { conversations(first: 100, after: $after) {
  edges { node { id } } pageInfo { hasNextPage endCursor } } }"""
MESSAGES = """query Messages($id: ID!, $after: String) { conversation(id: $id) {
  messages(first: 100, after: $after) {
    edges { node { id role text standaloneQuestion
      feedback { rating comment createdAt }
      answer { grounded }
      citations { index page documentDeleted document { filename } } } }
    pageInfo { hasNextPage endCursor } } } }"""


async def _pages(
    client: DocentClient, query: str, variables: dict[str, Any], path: tuple[str, ...]
) -> AsyncIterator[dict[str, Any]]:
    """Every node of a paginated connection at `path` of the query's data."""
    after: str | None = None
    while True:
        data = await client.execute(query, {**variables, "after": after})
        for key in path:
            data = data[key] if data is not None else None
        if data is None:  # the conversation was deleted meanwhile
            return
        for edge in data["edges"]:
            yield edge["node"]
        if not data["pageInfo"]["hasNextPage"]:
            return
        after = data["pageInfo"]["endCursor"]


async def rated_answers(client: DocentClient) -> list[dict[str, Any]]:
    """Every rated answer of the client's user as a QA record (the format of `qa.py`),
    conversations most recently continued first, oldest message first in each."""
    records: list[dict[str, Any]] = []
    conversation_ids = [
        c["id"] async for c in _pages(client, CONVERSATIONS, {}, ("conversations",))
    ]
    for conversation_id in conversation_ids:
        asked: str | None = None
        async for message in _pages(
            client, MESSAGES, {"id": conversation_id}, ("conversation", "messages")
        ):
            if message["role"] == "USER":
                asked = message["text"]
            elif message["feedback"] is not None:
                records.append(as_question(conversation_id, asked, message))
    return records


def as_question(conversation_id: str, asked: str | None, message: dict[str, Any]) -> dict[str, Any]:
    """One rated answer (a `Message` as MESSAGES reads it) as a QA record."""
    feedback = message["feedback"]
    grounded = bool((message.get("answer") or {}).get("grounded"))
    citations = [
        {"document": None if c["documentDeleted"] or not c["document"]
         else c["document"]["filename"], "page": c["page"], "deleted": c["documentDeleted"]}
        for c in sorted(message["citations"], key=lambda c: c["index"])
    ]  # fmt: skip
    question = message.get("standaloneQuestion") or asked or ""
    record: dict[str, Any] = {"id": f"feedback-{message['id']}", "question": question}
    if feedback["rating"] == "DOWN":
        record["needs_review"] = True
        record["kind"] = "feedback-down"
    elif not grounded:
        record["unanswerable"] = True
        record["kind"] = "feedback-up"
    else:
        record["kind"] = "feedback-up"
        kept = next((c for c in citations if c["document"]), None)
        if kept is not None:
            record["document"] = kept["document"]
            if kept["page"] is not None:
                record["page"] = kept["page"]
        else:
            # Every document it cited is gone (or no longer the reader's): nothing is left
            # to check a new answer against, so it is for review, counted in no figure.
            record["needs_review"] = True
    record["feedback"] = {
        "rating": feedback["rating"],
        "comment": feedback["comment"],
        "rated_at": feedback["createdAt"],
        "question": asked,
        "standalone_question": message.get("standaloneQuestion"),
        "answer": message["text"],
        "grounded": grounded,
        "citations": citations,
        "conversation_id": conversation_id,
        "message_id": message["id"],
    }
    return record
