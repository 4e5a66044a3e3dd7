"""Looking further in the document before answering with a unit of the wrong shape.

Retrieval ranks passages by their likeness to the question, and the passage most like
"What is the drill's maximum torque?" is the one naming the drill (its title line, its
warranty clause), not the spec table on page 2 that never names it. When the question
asks for a value or a list (picking.wanted: an amount, a length of time, a date, a
quantity in a unit such as kg, dB, Nm or litres, several things) and no unit of the
leading document's retrieved passages has that shape in full (picking.full_fit) nor holds
a word of the question other than those naming its subject (they name the thing and
state nothing asked: a title line, a description, a warranty clause), the
document is searched again on its own (`search`, the question as the query) and up to
`MAX_EXTRA` of its passages that have the shape are added after the others (the same for
the first document naming what the question names, when that is another). The
extractive answerer then prefers them within that document (picking.shape_first).

A question asking a date (dates.asks_date) is answered by a unit stating one, not by a
length of time ("Until when is the contract valid?" and the cancellation clause's "six
months' written notice"): its document is searched again when none of its retrieved
passages states a date, whatever words they hold.

One more search, of one document, only for such questions; none when a retrieved passage
of the document already has the shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from docent.answering import dates, grounding, passages, picking, shapes
from docent.domain import Hit
from docent.roles import Source

#: Passages of the leading document added at most.
MAX_EXTRA = 3
#: Passages of the leading document searched for them.
SEARCHED = 12


def has_shape(shape: shapes.Asked, text: str, *, date: bool = False) -> bool:
    """Whether a unit of passage `text` has the whole shape asked (picking.full_fit); with
    `date` (the question asks a date: dates.asks_date), a unit stating one, not only a
    length of time ("six months' written notice")."""
    need = picking.full_fit(shape)
    return any(
        shapes.fit(shape, u.text, u.kind) >= need and (not date or dates.states_date(u.text))
        for u in passages.units(text)
    )


async def widened(
    question: str,
    hits: Sequence[Hit],
    search: Callable[[str], Awaitable[Sequence[Hit]]],
) -> list[Hit]:
    """`hits`, and after them up to `MAX_EXTRA` more passages of each leading document
    (`_leading`) that have the shape `question` asks for, found by `search(document_id)` (that
    document's passages for the question, best first), where none of its passages in `hits`
    has that shape. `hits` unchanged for a question asking for no value or list."""
    shape = picking.wanted(question)
    if not hits or shape is None or shape.shape not in picking.DECISIVE:
        return list(hits)
    found = list(hits)
    seen = {h.chunk.id for h in hits}
    date = dates.asks_date(question)
    for lead in _leading(question, hits):
        own = [h for h in hits if h.chunk.document_id == lead]
        if any(has_shape(shape, h.chunk.text, date=date) for h in own):
            continue
        if not date and _asked_in(question, own, shape):
            continue
        extra = [
            h
            for h in await search(lead)
            if h.chunk.id not in seen
            and h.chunk.document_id == lead
            and has_shape(shape, h.chunk.text, date=date)
        ][:MAX_EXTRA]
        found += extra
        seen |= {h.chunk.id for h in extra}
    return found


def _leading(question: str, hits: Sequence[Hit]) -> list[str]:
    """The documents an answer may come from: the first hit's, and the first document
    whose retrieved passages and title hold every name and code of the question (the
    answerer prefers the source naming what the question names: extractive.py)."""
    leads = [hits[0].chunk.document_id]
    names = [n.casefold() for n in grounding.names_and_codes(question)]
    if names:
        whole: dict[str, str] = {}
        for hit in hits:
            document = hit.chunk.document_id
            whole[document] = f"{whole.get(document, hit.document_title)} {hit.chunk.text}"
        named = [d for d, text in whole.items() if all(n in text.casefold() for n in names)]
        leads += [d for d in named[:1] if d not in leads]
    return leads


def _asked_in(question: str, hits: Sequence[Hit], shape: shapes.Asked | None = None) -> bool:
    """Whether a unit of `hits` holds a word of the question other than those naming its
    subject (picking.question_words): the answerer then quotes it, shape or not, and the
    document's other passages would not be taken (picking.shape_first). A unit stating a
    quantity of another dimension than `shape` asks, and none of its own, does not count:
    "Den Akku nur bei Temperaturen zwischen 10 °C und 35 °C aufladen." holds "aufladen"
    and answers no "Wie lange dauert das Aufladen?"."""
    given = [Source(index=i, hit=hit) for i, hit in enumerate(hits, start=1)]
    found = [
        (u.text, s.index)
        for s in given
        for u in passages.units(s.hit.chunk.text)
        if not picking.measures_else(shape, u.text)
    ]
    if not found:
        return False
    texts, sources = zip(*found, strict=True)
    return bool(picking.question_words(question, texts, sources, given).asked.any())
