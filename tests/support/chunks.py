"""A document's chunks as the API gives them, and what must hold of their text and offsets.

Offsets (see `docent.domain.Chunk`): a chunk's `text` is its span [startOffset, endOffset)
of the document's text, preceded in a chunk that continues a split table by the table's
header row and a newline. The API does not serve the document's text, so the checks here
compare the chunks with each other: where two spans overlap, both chunks must read the same
characters there, and a repeated header must be a line an earlier chunk holds.
"""

from __future__ import annotations

from typing import Any

from support.servers import DocentServer, gql

DOCUMENT = """query($id: ID!) { document(id: $id) { id title status chunkCount
  error { code message } } }"""
#: A SEMANTIC search restricted to one document ranks all its chunks (up to topK 100).
EVERY_CHUNK = """query($id: ID!) { search(input: {query: "document", mode: SEMANTIC, topK: 100,
  documentIds: [$id]}) { hits { chunk { id ordinal text page pageEnd section startOffset
  endOffset } } } }"""
KEYWORD = """query($q: String!, $id: ID!) { search(input: {query: $q, mode: KEYWORD, topK: 5,
  documentIds: [$id]}) { hits { chunk { ordinal text section } } } }"""


async def document(server: DocentServer, document_id: str) -> dict[str, Any]:
    return (await gql(server.url, DOCUMENT, {"id": document_id}))["document"]


async def every_chunk(server: DocentServer, document_id: str) -> list[dict[str, Any]]:
    """All chunks of a READY document (at most 100), in order."""
    record = await document(server, document_id)
    assert record["status"] == "READY", record
    assert record["chunkCount"] <= 100, record
    hits = (await gql(server.url, EVERY_CHUNK, {"id": document_id}))["search"]["hits"]
    chunks = sorted((h["chunk"] for h in hits), key=lambda c: c["ordinal"])
    assert [c["ordinal"] for c in chunks] == list(range(record["chunkCount"])), record
    return chunks


async def keyword_hits(server: DocentServer, document_id: str, query: str) -> list[dict[str, Any]]:
    """The top 5 of a KEYWORD search restricted to one document."""
    variables = {"q": query, "id": document_id}
    return (await gql(server.url, KEYWORD, variables))["search"]["hits"]


def own_text(chunk: dict[str, Any]) -> tuple[str, str]:
    """(repeated header, the text the offsets span) of a chunk as the API gives it."""
    span = chunk["endOffset"] - chunk["startOffset"]
    cut = len(chunk["text"]) - span
    return chunk["text"][:cut], chunk["text"][cut:]


def offset_problems(chunks: list[dict[str, Any]]) -> list[str]:
    """What is wrong with the offsets of a document's chunks (given in order); [] when they
    are valid."""
    problems = []
    lines_so_far: set[str] = set()
    for chunk in chunks:
        start, end = chunk["startOffset"], chunk["endOffset"]
        name = f"chunk {chunk['ordinal']} ({start}..{end})"
        if not 0 <= start < end or end - start > len(chunk["text"]):
            problems.append(f"{name}: not a span of its {len(chunk['text'])} characters")
            continue
        header, _ = own_text(chunk)
        if header and not (
            header.endswith("\n") and "\n" not in header[:-1] and header[:-1] in lines_so_far
        ):
            problems.append(f"{name}: starts with {header!r}, not a header row seen before")
        lines_so_far.update(chunk["text"].split("\n"))
    for index, first in enumerate(chunks):
        for second in chunks[index + 1 :]:
            if second["startOffset"] < first["startOffset"]:
                problems.append(f"chunk {second['ordinal']} starts before {first['ordinal']}")
            low = max(first["startOffset"], second["startOffset"])
            high = min(first["endOffset"], second["endOffset"])
            if low >= high:
                continue
            a = own_text(first)[1][low - first["startOffset"] : high - first["startOffset"]]
            b = own_text(second)[1][low - second["startOffset"] : high - second["startOffset"]]
            if a != b:
                problems.append(
                    f"chunks {first['ordinal']} and {second['ordinal']} read {a!r} and {b!r} "
                    f"at {low}..{high}"
                )
    return problems


def folded(text: str) -> str:
    """Text as the fidelity checks compare it: white space collapsed, lower case. (Not
    `casefold`, which would turn a ligature such as "ﬁ" into the letters it stands for.)"""
    return " ".join(text.split()).lower()
