"""A document's letterhead names and dates it (issue 13): its title, sender's line,
header or greeting does not answer a question asking a time, a value or a list when
another unit of the document has that shape (answering/texts.py opens_document,
picking.py shape_first and date_first). The documents are made up, of the kinds people
upload: a customer notice, committee minutes, a clinic's guide."""

from __future__ import annotations

from test_answer_shapes import chosen

from docent.answering import texts
from docent.domain import Chunk, Hit
from docent.roles import Source

NOTICE_HEAD = (
    "Customer notice\n\n"
    "Brightline Network Services Ltd - Customer Services Department, Leeds office - 3 March 2025\n\n"
    "Please read this notice about your service."
)
LETTERHEAD = (
    "Brightline Network Services Ltd - Customer Services Department, Leeds office - 3 March 2025"
)
WORKS = (
    "We will upgrade the fibre network in your area on Friday 14 March 2025 between 1:00 and 5:00."
)


def _document(title: str, *passages: tuple[str, int]) -> list[Source]:
    """One source per (text, start offset) of one document: the first opens it."""
    return [
        Source(i, Hit(Chunk(f"c{i}", "d", i - 1, text, start_offset=offset), title, 1.0))
        for i, (text, offset) in enumerate(passages, start=1)
    ]


def test_a_unit_in_the_first_lines_of_the_first_passage_opens_the_document() -> None:
    first = Chunk("c1", "d", 0, NOTICE_HEAD)
    later = Chunk("c2", "d", 1, LETTERHEAD, start_offset=120)
    assert texts.opens_document(LETTERHEAD, first)
    # the same line further in the document is no letterhead
    assert not texts.opens_document(LETTERHEAD, later)
    assert not texts.opens_document(WORKS, first)


def test_a_header_line_ends_as_no_sentence_does() -> None:
    assert texts.header_line(LETTERHEAD)
    assert texts.header_line("Minutes of the meeting held on 9 April 2025, 14:00, Room 1")
    assert not texts.header_line(WORKS)
    assert not texts.header_line("مرحباً بكم في عيادات الواحة التخصصية.")


async def test_the_letterhead_date_does_not_answer_when_something_happens() -> None:
    question = "When will Brightline upgrade the network?"
    given = _document("brightline-notice.html", (NOTICE_HEAD, 0), (WORKS, 140))
    picked = await chosen(question, {LETTERHEAD: 0.99, WORKS: 0.76}, given)
    assert picked[0] == (WORKS, 2)


async def test_the_header_date_answers_when_the_meeting_was_held() -> None:
    header = "Minutes of the meeting held on 9 April 2025, 14:00, Meeting Room 1"
    following = "Next meeting: 14 May 2025, 14:00, Meeting Room 1."
    given = _document("minutes.docx", (f"Facilities Committee\n\n{header}", 0), (following, 900))
    # Asked of the future, the header's date is the document's, not the next meeting's.
    future = await chosen(
        "When will the committee meet after the April meeting?",
        {header: 0.95, following: 0.90},
        given,
    )
    assert future[0] == (following, 2)
    # Asked of the past, it is the meeting's own.
    past = await chosen("When was the meeting held?", {header: 0.95, following: 0.90}, given)
    assert past[0] == (header, 1)


async def test_a_greeting_does_not_answer_the_opening_hours() -> None:
    question = "What are the opening hours of the Cedar clinics?"
    greeting = "Welcome to the Cedar clinics."
    hours = "We are open Saturday to Thursday from 8:00 to 21:00."
    given = _document("cedar-guide.docx", (f"Patient guide\n\n{greeting}", 0), (hours, 200))
    picked = await chosen(question, {greeting: 0.95, hours: 0.88}, given)
    assert picked[0] == (hours, 2)


def test_a_field_line_is_no_header_line() -> None:
    assert not texts.header_line("Datum: Freitag, 13.06.2025 Beginn: 18:30 Uhr, Ort: Vereinsheim")
    assert not texts.header_line("Next meeting: 14 May 2025, 14:00, Meeting Room 1")
