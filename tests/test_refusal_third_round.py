"""Issue 13, session 8's third round: the kind of value a question names (a fee, a phone
number, an e-mail address, a door code) must be held by the sentence or
row about what it asks, and such a value stands for the words naming it
(answering/held_kind.py). Each rule over question and passage; the API-level cases are in
test_crosslingual_api.py."""

from __future__ import annotations

import pytest
from test_refusal_evidence import gate, passage

from docent.answering.attributes import german_head, missing_attribute
from docent.answering.clues import Clues
from docent.answering.grounding import Signal
from docent.answering.held_kind import Kind, holds, kind_of, lacks_kind, stated_kind
from docent.answering.vocabulary import stated_amounts


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Is there a fee for keeping a bike in the basement?", Kind.MONEY),
        ("Do I have to pay for a replacement badge?", Kind.MONEY),
        ("Was kostet ein Ersatzfilter?", Kind.MONEY),
        ("Gibt es eine Gebühr für den Stellplatz?", Kind.MONEY),
        ("What's the door code of the server room?", Kind.CODE),
        ("What is the PIN for the bike shed?", Kind.CODE),
        ("What is the phone number of the front desk?", Kind.PHONE),
        ("Wie ist die Telefonnummer der Zentrale?", Kind.PHONE),
        ("What's the e-mail address of the school library?", Kind.EMAIL),
        # Read by asked.form_of already, or asking no value.
        ("How much is the fee for a late return?", None),
        ("Who cleans the stairwell?", None),
        ("Can I pay by card?", None),
    ],
)
def test_the_kind_of_value_a_question_names(question: str, kind: Kind | None) -> None:
    assert kind_of(question) is kind


@pytest.mark.parametrize(
    ("kind", "unit", "held"),
    [
        (Kind.MONEY, "Storage lockers are free for residents.", True),
        (Kind.MONEY, "A locker costs £4 a week.", True),
        (Kind.MONEY, "Lockers are allocated in the order requests arrive.", False),
        (Kind.PHONE, "Reception: +44 20 7946 0321, weekdays.", True),
        (Kind.PHONE, "Reception is on the ground floor, room 12.", False),
        (Kind.EMAIL, "Write to library@school.example.", True),
        (Kind.EMAIL, "The library is open until 17:00.", False),
        (Kind.CODE, "The door opens with code 4471#.", True),
        (Kind.CODE, "The door opens with your staff badge.", False),
    ],
)
def test_a_unit_holds_a_value_of_the_kind(kind: Kind, unit: str, held: bool) -> None:
    assert holds(kind, unit) is held


def test_an_amount_asked_in_german_needs_a_price_not_a_word_of_paying() -> None:
    # "Was kostet ...?" asks an amount; "kostenlos" answers a yes/no question about a fee.
    assert holds(Kind.MONEY, "Das Parken ist kostenlos.", yes_no=False) is False
    assert holds(Kind.MONEY, "Ein Stellplatz kostet 30 € im Monat.", yes_no=False) is True


BIKES = (
    "Bicycles may be kept in the secure cycle store under Block C, which is opened with "
    "the door fob. Each flat may also use one storage cage in the basement of its block; "
    "cages are allocated by the estate office in the order requests arrive."
)


@pytest.mark.parametrize(
    "question",
    [
        "Is there a fee for a storage cage in the basement?",
        "What's the door code of the cycle store?",
    ],
)
def test_a_sentence_naming_the_subject_without_the_kind_asked_is_no_evidence(
    question: str,
) -> None:
    # Its words and cosine ground it without the rule (the storage cage's sentence).
    hit = passage(BIKES, cosine=0.93, title="residents-handbook.pdf")
    assert lacks_kind(question, Clues.of(question), BIKES, set())
    assert gate(question, [hit], closest=BIKES) is None


def test_the_kind_asked_is_looked_for_in_the_sentence_about_the_question() -> None:
    # A price elsewhere in the passage (the e-bike's) does not price the parking space.
    text = (
        "Über RadLeasing Nord kann jeder ein E-Bike im Wert von bis zu 6.000 € leasen. "
        "Mitarbeitende parken auf dem Gelände an der Nordseite."
    )
    question = "Was kostet ein Parkplatz auf dem Gelände?"
    assert lacks_kind(question, Clues.of(question), text, set())
    # The sentence about it holding an amount is evidence of the kind.
    priced = f"{text} Ein Parkplatz auf dem Gelände kostet 30 € im Monat."
    assert not lacks_kind(question, Clues.of(question), priced, set())


def test_a_value_of_the_kind_asked_stands_for_the_words_naming_it() -> None:
    # The row writes the number, never "phone number": refused by its words before.
    row = "Role | Name | Contact\nCaretaker | Luis Fernandes | 07700 900 415"
    question = "What's the caretaker's phone number?"
    assert stated_kind(question, Clues.of(question), row, set()) == "phone number"
    hit = passage(row, cosine=0.85, title="residents-handbook.pdf")
    assert gate(question, [hit], closest=None) is Signal.KEYWORDS
    # Another row's e-mail address is not the caretaker's.
    other = "Role | Name | Contact\nEstate manager | Gemma Okafor | gemma@estates.example"
    assert (
        stated_kind("What's the caretaker's e-mail address?", Clues.of(question), other, set())
        == ""
    )


def test_across_languages_any_sentence_may_hold_the_kind() -> None:
    # Words cannot meet across languages: an English question over a German list.
    text = "Datenschutzbeauftragte: Carla Wendt, datenschutz@solvera.example"
    question = "What's the e-mail address of the data protection officer?"
    assert not lacks_kind(question, Clues.of(question), text, set())


def test_across_languages_a_name_does_not_choose_the_sentence_looked_in() -> None:
    # The question's place is in the letterhead's address line only: across languages
    # it met there, and the emergency line below (the number asked) was never looked at.
    text = (
        "Fontanería Sella S.L., Calle Mayor 4, 03001 Alicante.\n\nUrgencias 24 horas: 611 204 339."
    )
    question = (
        "Our boiler burst in Alicante - which number do I ring for Sella's emergency plumber?"
    )
    assert not lacks_kind(question, Clues.of(question), text, {"sella"})
    # In the question's own language the name still chooses: the sentence naming the
    # place holds no number, and the passage's other sentences are about nothing asked.
    same = "Sella Plumbing Ltd, 4 High Street, Alicante.\n\nWe fit new kitchens and bathrooms."
    assert lacks_kind(question, Clues.of(question), same, {"sella"})


# ------------------------------------------------------------- German asked nouns


@pytest.mark.parametrize(
    ("question", "head"),
    [
        ("Was kostet ein Ersatzfilter?", "ersatzfilter"),
        ("Wie viel kostet die Hundesteuer in Ulm?", "hundesteuer"),
        ("Wer organisiert die Weihnachtsfeier bei Solvera?", "weihnachtsfeier"),
        ("Wie hoch ist das Weihnachtsgeld?", "weihnachtsgeld"),
        # A compound ending in a kind of answer asks for what its rest names.
        ("Wie lautet die Notdienstnummer von Thermotec?", "notdienst"),
        ("Wie hoch ist die Anmeldegebühr?", "anmelde"),
        # The kind of answer or a constraint, stated by its figure, is not the noun asked.
        ("Wie hoch ist die Obergrenze für Hotelkosten?", None),
        ("Wo kann ich parken?", None),
    ],
)
def test_the_noun_a_german_question_asks_for(question: str, head: str | None) -> None:
    assert german_head(question) == head


def test_a_german_document_that_never_names_the_noun_asked_is_no_evidence() -> None:
    faq = "Sommerfest 2025: Die Organisation übernimmt Miriam Kaya aus der Personalabteilung."
    question = "Wer organisiert die Weihnachtsfeier?"
    assert missing_attribute(question, Clues.of(question), faq, faq)
    # The noun held as a compound's part is named: "Filter" in "Ersatzfilter".
    card = "Zubehör: Filter 12,90 €, Beutel (5 Stück) 9,90 €."
    asked = "Was kostet ein Ersatzfilter?"
    assert not missing_attribute(asked, Clues.of(asked), card, card)
    assert not missing_attribute(
        "Wer organisiert das Sommerfest?", Clues.of("Wer organisiert das Sommerfest?"), faq, faq
    )


def test_a_verb_with_its_prefix_taken_off_does_not_name_a_compound_noun() -> None:
    # "abfeiern" (to take overtime off) is no "Feier": decompounding it named the party.
    faq = "Überstunden können abgefeiert werden. Bis zu 40 Stunden kann man abfeiern."
    question = "Wer organisiert die Weihnachtsfeier?"
    assert missing_attribute(question, Clues.of(question), faq, faq)


@pytest.mark.parametrize(
    ("question", "document", "named"),
    [
        # The noun asked is derived from one the document names (a check question of the
        # dev set refused: "Mitgliedschaft" asked, "Mitglieder" and "Mitgliedsbeitrag" said).
        (
            "Wie viel kostet die Mitgliedschaft für eine Familie?",
            "Der Mitgliedsbeitrag beträgt 60 € im Jahr, für Familien 110 €.",
            True,
        ),
        (
            "Wie hoch ist die Vergütung für Praktikanten?",
            "Praktikanten werden mit 900 € im Monat vergütet.",
            True,  # named by the verb's form: the analyser's stems match
        ),
        # A stem of fewer than five letters starts too many words to count.
        ("Gibt es eine Haftung für Schäden?", "Der Haftpflichtschaden wird geprüft.", False),
    ],
)
def test_a_noun_derived_from_one_the_document_names_is_named(
    question: str, document: str, named: bool
) -> None:
    assert missing_attribute(question, Clues.of(question), document, document) is not named


# ------------------------------------------------------------- amounts the asker states


@pytest.mark.parametrize(
    ("question", "codes"),
    [
        ("I was called out for 40 minutes. How much time does Corran pay me for?", ()),
        ("I'm ordering one £25 part from Tarnley. How much is delivery?", ()),
        ("Ich wohne seit 3 Jahren hier. Wie hoch ist die Kaution?", ()),
        ("Is 25 € enough for the deposit?", ()),
        # people, nights and lengths counted, and a count compound of several parts
        ("What do 2 adults pay for 4 nights at Les Tilleuls?", ()),
        ("My 14-year-old wants to join the 12 km run. When does it start?", ()),
        # an age, the clause going on after it
        ("My son is 14 and wants to learn guitar. Which day is his class?", ()),
        ("Which platform is 14?", ("14",)),
        # identifiers stay codes: the document must hold them
        ("What time does route 31 leave?", ("31",)),
        ("How heavy is the HX-9?", ("hx-9",)),
        ("Is room 214 free for 2 hours?", ("214",)),
    ],
)
def test_a_duration_or_sum_the_asker_states_is_no_code(
    question: str, codes: tuple[str, ...]
) -> None:
    assert stated_amounts(question) <= {"40", "25", "3", "2", "4", "12", "14"}
    assert Clues.of(question).codes == codes
