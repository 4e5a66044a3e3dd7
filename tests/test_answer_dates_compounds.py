"""The sentence that answers, second round (issue 13, session 7): a question asking a date
is answered by a unit stating one, not by a duration or a notice period, and "the next"
one by the unit saying so, not by a report of a past one (answering/dates.py,
picking.date_first); a German question's word is held in a passage's compound
(answering/compounds.py); a notes line under a table is quoted as it is, never under the
first column's header (passages.units). The documents are made up."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from test_answer_shapes import chosen, sectioned

from docent.answering import compounds, dates, naming, picking, widening
from docent.answering.clues import Clues
from docent.answering.passages import units
from docent.domain import Chunk, Hit

# ------------------------------------------------------------------ a date asked


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Until when is the alarm service agreement valid?", True),
        ("When does the boiler contract end?", True),
        ("Bis wann läuft der Wartungsvertrag?", True),
        ("Quand commence le bail ?", True),
        ("¿Cuándo termina el contrato?", True),
        ("保修何时到期？", True),
        ("متى ينتهي العقد؟", True),
        ("How long does the alarm service agreement run?", False),
        ("How often is the alarm serviced?", False),
        ("Wie lange gilt der Vertrag?", False),
        ("What does the agreement cost?", False),
        # "when" opening a clause, not the question
        ("How many days off do you get when you get married?", False),
    ],
)
def test_a_when_question_asks_a_date_and_a_how_long_one_does_not(
    question: str, expected: bool
) -> None:
    assert dates.asks_date(question) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.1 The agreement runs for 36 months from 1 May 2026 until 30 April 2029.", True),
        ("Der Vertrag endet am 30.04.2029.", True),
        ("Open evening: Wednesday, doors open at 6:30 pm.", True),
        ("Rent is due on the 1st of each month.", True),
        ("合同于2029年4月30日到期。", True),
        ("Either party may cancel with four months' written notice.", False),
        ("The hall is closed from 1 May to 3 May.", True),
        ("Invoices are paid within 30 days of receipt.", False),
        ("Die Kündigungsfrist beträgt drei Monate.", False),
        ("The engineer visits every 6 weeks.", False),
    ],
)
def test_a_duration_or_a_notice_period_states_no_date(text: str, expected: bool) -> None:
    assert dates.states_date(text) is expected


async def test_the_term_clause_answers_until_when_not_the_notice_clause() -> None:
    question = "Until when is the alarm service agreement valid?"
    notice = "9.1 Either party may cancel this agreement with four months' written notice."
    term = "2.1 The agreement runs for 36 months from 1 May 2026 until 30 April 2029."
    given = sectioned(
        "alarm-service-agreement.pdf",
        (term, "Alarm service agreement > 2. Term"),
        (notice, "Alarm service agreement > 9. Cancellation"),
    )
    picked = await chosen(question, {notice: 0.97, term: 0.82}, given)
    assert picked[0] == (term, 1)


async def test_another_documents_date_does_not_replace_the_answer() -> None:
    # Only a unit of the answer's own document may replace it.
    question = "Until when is the alarm service agreement valid?"
    notice = "9.1 Either party may cancel this agreement with four months' written notice."
    other = "The lease of unit 4 ends on 31 March 2027."
    given = [
        *sectioned("alarm-service-agreement.pdf", (notice, "Alarm service agreement")),
        _source(2, "lease", other),
    ]
    picked = await chosen(question, {notice: 0.90, other: 0.80}, given)
    assert picked[0] == (notice, 1)


async def test_the_next_one_is_the_date_to_come_not_a_past_one() -> None:
    question = "When is the next open morning?"
    past = "Our last open morning was held on Saturday 7 February in the main hall."
    upcoming = "The next open morning is on Saturday 21 March, from 10:00 to 12:00."
    given = sectioned("newsletter.docx", (f"{past} {upcoming}", "Newsletter > Dates"))
    picked = await chosen(question, {past: 0.91, upcoming: 0.84}, given)
    assert picked == [(upcoming, 1)]


async def test_a_frequency_does_not_follow_the_next_date() -> None:
    question = "When is the next boiler service?"
    frequency = "4.1 The boiler is serviced every 12 weeks on a weekday between 8:00 and 16:00."
    upcoming = "4.2 The next service visit is booked for 3 June 2026."
    given = sectioned("boiler-contract.pdf", (f"{frequency}\n{upcoming}", "Contract > 4"))
    picked = await chosen(question, {frequency: 0.93, upcoming: 0.84}, given)
    assert picked == [(upcoming, 1)]


def _source(index: int, document: str, text: str) -> picking.Source:
    return picking.Source(index, Hit(Chunk(f"c{index}", document, 0, text), document, 1.0))


def _hit(chunk_id: str, document: str, text: str) -> Hit:
    return Hit(Chunk(chunk_id, document, 0, text), document, 1.0)


async def test_the_document_is_searched_again_for_a_date() -> None:
    # The notice clause has a time shape (a length of time), not the date asked.
    hits = [_hit("a1", "alarm", "9.1 Either party may cancel with four months' written notice.")]
    searched: list[str] = []

    async def search(document: str) -> Sequence[Hit]:
        searched.append(document)
        return [hits[0], _hit("a2", "alarm", "2.1 It runs until 30 April 2029.")]

    found = await widening.widened("Until when is the alarm agreement valid?", hits, search)
    assert searched == ["alarm"]
    assert [h.chunk.id for h in found] == ["a1", "a2"]


# ------------------------------------------------------------------ compounds


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("pumpe", "pumpeneinheit", True),
        ("aufladen", "ladedauer", True),
        ("dauert", "ladedauer", True),
        ("garantiefall", "garantie", True),
        ("garantie", "garantiezeit", True),
        ("temperatur", "raumtemperaturen", True),
        ("gilt", "garantie", False),
        ("bithalter", "aufnahme", False),
        # a part of 3 letters is chance
        ("akku", "akk", False),
    ],
)
def test_a_word_is_held_in_a_compound_at_its_start_or_end(a: str, b: str, expected: bool) -> None:
    assert compounds.joined(a, b) is expected


def test_a_compound_holds_a_german_questions_word_and_an_english_ones_not() -> None:
    texts = ["Für die Pumpeneinheit gilt eine Garantie von 18 Monaten."]
    given = sectioned("gartenpumpe.pdf", (texts[0], "Garantie"))
    german = picking.question_words("Wie lange hält die Pumpe?", texts, [1], given)
    assert german.asked[0] > 0
    english = picking.question_words("How portable is it?", ["A portal frame."], [1], given)
    assert english.asked[0] == 0


def test_a_german_questions_compound_is_held_where_its_part_stands_alone() -> None:
    question = "Bis wann muss ich mich als Rollstuhlfahrer für den Ersatzbus anmelden?"
    clues = Clues.of(question)
    text = "Fahrgäste mit Rollstuhl melden ihre Fahrt bis 18 Uhr am Vortag beim Service an."
    held = clues.held(text)
    assert "rollstuhlfahr" in held and any(t.startswith("anmeld") for t in held), held
    # an English question's words are not cut into parts
    english = Clues.of("Do wheelchair users need to register?")
    assert "wheelchairus" not in english.held("Wheelchair spaces are free.")
    assert "regist" not in english.held("Users of the service pay nothing.")


async def test_the_charging_time_row_answers_not_the_charging_temperature() -> None:
    question = "Wie lange dauert das Aufladen?"
    temperature = "Den Akku nur bei Temperaturen zwischen 10 °C und 35 °C aufladen."
    row = "Merkmal: Ladedauer; Wert: 70 Minuten"
    given = sectioned(
        "rasentrimmer-anleitung.pdf",
        (temperature, "Rasentrimmer > Laden"),
        ("Merkmal | Wert\nLadedauer | 70 Minuten\nGewicht | 2,1 kg", "Technische Daten"),
    )
    picked = await chosen(question, {temperature: 0.90, row: 0.80}, given)
    assert picked[0] == (row, 2)


async def test_a_warranty_question_is_answered_by_the_exclusion_not_the_spec_row() -> None:
    question = "Ist ein verbogener Bithalter ein Garantiefall?"
    row = "Merkmal: Bithalter-Aufnahme; Wert: 1/4 Zoll"
    exclusion = "Von der Garantie ausgenommen sind Verschleißteile wie Bits und Bithalter."
    given = sectioned(
        "akkuschrauber.pdf",
        ("Merkmal | Wert\nBithalter-Aufnahme | 1/4 Zoll\nGewicht | 1,1 kg", "Technische Daten"),
        (exclusion, "Garantie"),
    )
    picked = await chosen(question, {row: 0.90, exclusion: 0.84}, given)
    assert picked[0] == (exclusion, 2)


# ------------------------------------------------------------------ notes lines


def test_a_notes_line_under_a_table_gets_no_column_header() -> None:
    text = (
        "Treatment | Price | Length\n"
        "Massage | £45 | 30 min\n"
        "Physiotherapy | £60 | 45 min\n"
        "All major cards accepted. Free parking behind the clinic.\n"
        "Late cancellations are charged in full. |"
    )
    assert [(u.text, u.kind) for u in units(text)] == [
        ("Treatment: Massage; Price: £45; Length: 30 min", "row"),
        ("Treatment: Physiotherapy; Price: £60; Length: 45 min", "row"),
        ("All major cards accepted.", "sentence"),
        ("Free parking behind the clinic.", "sentence"),
        ("Late cancellations are charged in full.", "sentence"),
    ]


def test_a_row_with_one_short_label_stays_a_row() -> None:
    text = "Day | Opens | Closes\nMonday | 08:00 | 18:00\nSunday | closed"
    assert [u.kind for u in units(text)] == ["row", "row"]
    assert units(text)[1].text == "Day: Sunday; Opens: closed"


# ------------------------------------------------------------------ the named document


def _titled(index: int, document: str, title: str, text: str) -> picking.Source:
    return picking.Source(index, Hit(Chunk(f"c{index}", document, 0, text), title, 1.0))


def test_a_document_not_naming_the_titled_thing_is_out_of_focus() -> None:
    question = "What does the boiler maintenance cost a year?"
    given = [
        _titled(1, "grounds", "Grounds Maintenance Agreement", "The Client pays £900 a month."),
        _titled(2, "boiler", "Boiler Maintenance Contract", "The annual fee is £240."),
    ]
    assert naming.named_focus(question, given) == {1: 1.0, 2: 0.0}
    # a kind of document ("contract") names none of them
    assert naming.named_focus("What does the contract cost?", given) == {}


async def test_the_document_named_by_a_noun_answers_not_a_neighbouring_one() -> None:
    question = "What does the boiler maintenance cost a year?"
    grounds = "3.1 The Client pays £1,200 per year for the maintenance of the grounds."
    boiler = "The annual fee is £240, including VAT."
    given = [
        _titled(1, "grounds", "Grounds Maintenance Agreement", grounds),
        _titled(2, "boiler", "Boiler Maintenance Contract", boiler),
    ]
    picked = await chosen(question, {grounds: 0.90, boiler: 0.84}, given)
    assert picked[0] == (boiler, 2)


def test_a_verb_is_no_part_of_a_compound_ending_in_a_suffix() -> None:
    # "hält" (holds) and "Staubbehälter" (dust container), "Sauger" and "Saugschlauch".
    assert not compounds.joined("hält", "staubbehälter")
    assert not compounds.joined("sauger", "saugschlauch")
    assert not compounds.joined("sauger", "aufsaugen")


async def test_the_document_is_searched_again_past_a_unit_of_another_measure() -> None:
    # The charging sentence holds "aufladen" and a temperature: no length of time.
    hits = [_hit("a1", "rt36", "Den Akku nur bei Temperaturen zwischen 10 °C und 35 °C aufladen.")]

    async def search(document: str) -> Sequence[Hit]:
        return [hits[0], _hit("a2", "rt36", "Ladedauer: 70 Minuten")]

    found = await widening.widened("Wie lange dauert das Aufladen?", hits, search)
    assert [h.chunk.id for h in found] == ["a1", "a2"]


def test_a_temperature_is_another_measure_than_a_length_of_time() -> None:
    duration = picking.wanted("Wie lange dauert das Aufladen?")
    assert picking.measures_else(duration, "Nur zwischen 10 °C und 35 °C aufladen.")
    assert not picking.measures_else(duration, "Ladedauer: 70 Minuten bei 20 °C")
    assert not picking.measures_else(duration, "Den Akku vor dem ersten Gebrauch laden.")


async def test_a_unit_of_another_measure_loses_to_the_one_asked() -> None:
    question = "Wie lange dauert das Aufladen?"
    temperature = "Den Akku nur bei Temperaturen zwischen 10 °C und 35 °C aufladen."
    spec = "Ladedauer: 70 Minuten"
    given = sectioned(
        "rasentrimmer-anleitung.pdf",
        (temperature, "Rasentrimmer > Laden"),
        (spec, "Technische Daten"),
    )
    picked = await chosen(question, {temperature: 0.97, spec: 0.78}, given)
    assert picked[0] == (spec, 2)


def test_a_compound_word_holds_one_question_word_at_most() -> None:
    forms = {"tagesordnung": {"tagesordnung"}, "punkt": {"punkte"}}
    assert len(compounds.held_each(forms, {"tagesordnungspunkten"})) == 1
    assert compounds.held_each(forms, {"tagesordnungspunkten", "punktestand"}) == set(forms)


async def test_a_fee_sentence_holding_the_words_asked_is_not_replaced() -> None:
    # "How many hours is parking free?": the sentence states the fee and says the free
    # time in words ("the first two hours"); the cancellation rule has hours and none of
    # the question's words.
    question = "How many hours is parking free for patients?"
    parking = "Parking is free for patients for the first two hours, then £2 per hour."
    cancel = "Cancel at least 24 hours before your appointment."
    given = sectioned("clinic-guide.docx", (f"{parking} {cancel}", "Clinic guide > Visiting"))
    picked = await chosen(question, {parking: 0.90, cancel: 0.80}, given)
    assert picked[0] == (parking, 1)
