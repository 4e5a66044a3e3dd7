"""The local standalone question of follow-ups of the kinds added in issue 15's sixth
session (answering/followup_compare.py, followup_substitute.py and the referent rules of
followup.py): comparisons of the last two things, another thing or circumstance, the thing
alone for "it" in a wh-question, connectives dropped, German answer references. Each case
names what the rewrite gave before."""

from __future__ import annotations

import pytest

from docent.answering.followup import standalone_question


@pytest.mark.parametrize(
    ("earlier", "question", "expected"),
    [
        # "Which of the two ...?" names both things the last two questions were about: what
        # one swapped for the other, each as its noun phrase (it got neither, or one).
        (["What does the Cadence office chair cost in Fennick's 2025 price list?",
          "What does the Alto meeting chair cost in Fennick's 2025 price list?"],
         "Which of the two is stackable?",
         "Which of the two (Cadence office chair, Alto meeting chair) is stackable?"),
        (["Quelle est l'autonomie du Mistral ?", "Quelle est l'autonomie du Sirocco ?"],
         "Lequel des deux est le plus léger ?",
         "Lequel des deux (Mistral, Sirocco) est le plus léger ?"),
        (["¿Cuánto cuesta castrar un gato en la clínica Patitas?",
          "¿Cuánto cuesta castrar un perro en la clínica Patitas?"],
         "¿Cuál de los dos tarda más?", "¿Cuál de los dos (gato, perro) tarda más?"),
        (["Wie viel kostet die Jahreskarte im Zoo Halberg?",
          "Wie viel kostet die Familienkarte im Zoo Halberg?"],
         "Welche von beiden gilt auch im Aquarium?",
         "Welche von beiden (Jahreskarte, Familienkarte) gilt auch im Aquarium?"),
    ],
)  # fmt: skip
def test_a_comparison_names_the_two_things_compared(
    earlier: list[str], question: str, expected: str
) -> None:
    assert standalone_question(question, earlier) == expected


def test_a_comparison_with_one_earlier_question_is_left_to_the_other_rules() -> None:
    before = "How much do the Panther and the Tigon weigh?"
    assert standalone_question("Which of the two is faster?", [before]) == (
        "Which of the two is faster?"
    )


@pytest.mark.parametrize(
    ("before", "question", "expected"),
    [
        # "What about X?" asks about another thing: X takes the place of the owner of what
        # was asked, not of the attribute (it gave "What is the library IT helpdesk ...?").
        ("What is the extension of the IT helpdesk at the Larchmont Institute?",
         "What about the library?",
         "What is the extension of the library at the Larchmont Institute?"),
        ("How long is the warranty of the pump at Aldmark?", "How about the tanks?",
         "How long is the warranty of the tanks at Aldmark?"),
        # ...but not a name's: a common noun for a name is another attribute.
        ("What is the weight of the Mistral?", "What about the price?",
         "What is the price of the Mistral?"),
        # "And the X?" still swaps the attribute when the article's first phrase is one.
        ("¿Cuánto cuesta la cuota anual del Gimnasio Olivar?", "¿Qué pasa con la matrícula?",
         "¿Cuánto cuesta la matrícula del Gimnasio Olivar?"),
        # A prepositional phrase of the circumstances for another ("on the death of a
        # parent"), the one naming an entity kept (it was appended: both circumstances).
        ("How many days of paid compassionate leave are given on the death of a parent at "
         "Halden Logistics?", "And for the funeral of another relative?",
         "How many days of paid compassionate leave are given for the funeral of another "
         "relative at Halden Logistics?"),
        ("What is the forklift speed limit in the yard at Copperline's Daventry site?",
         "And inside the warehouse?",
         "What is the forklift speed limit inside the warehouse at Copperline's Daventry site?"),
        # A place named for a circumstance qualifies it ("for a hotel ... in Munich").
        ("How much is reimbursed for a hotel per night?", "And in Munich?",
         "How much is reimbursed for a hotel per night, in Munich?"),
        # German: the subject after the verb ("werden Bahnreisen") is swapped (it was appended).
        ("In welcher Klasse werden Bahnreisen bei Velmora erstattet?", "Und Flüge?",
         "In welcher Klasse werden Flüge bei Velmora erstattet?"),
        # ...not the attribute after "ist" (appended, as before).
        ("Wie hoch ist die Obergrenze für Hotelkosten in München?", "Und Frankfurt?",
         "Wie hoch ist die Obergrenze für Hotelkosten in München, frankfurt?"),
    ],
)  # fmt: skip
def test_another_thing_or_circumstance_takes_its_counterparts_place(
    before: str, question: str, expected: str
) -> None:
    assert standalone_question(question, [before]) == expected


@pytest.mark.parametrize(
    ("earlier", "question", "expected"),
    [
        (["清风KJ-300的额定功率是多少？", "清风KJ-500的额定功率是多少？"], "两者哪个更省电？",
         "两者（KJ-300、KJ-500）哪个更省电？"),
        (["كم سيصبح سعر باقة نور بلس؟", "كم سيصبح سعر باقة نور الأساسية؟"], "أيهما أرخص؟",
         "أيهما (نور بلس، نور الأساسية) أرخص؟"),
    ],
)  # fmt: skip
def test_a_chinese_or_arabic_comparison_names_the_two_things(
    earlier: list[str], question: str, expected: str
) -> None:
    assert standalone_question(question, earlier) == expected


@pytest.mark.parametrize(
    ("earlier", "question", "expected"),
    [
        # "it" in a question of light words asks for an attribute of the entity owned
        # (it got "(weight, Mistral)").
        (["What is the weight of the Mistral?"], "How much does it cost?",
         "How much does it (Mistral) cost?"),
        (["What is the weight of the Mistral?"], "And how much does it cost?",
         "How much does it (Mistral) cost?"),
        # A possessive after a connective names its owner (it was appended: "..., son poids?").
        (["Quel est le prix du Mistral ?"], "Et son poids ?", "Et son (Mistral) poids ?"),
        # The owner after any preposition ("on the frame"; it swapped the warranty).
        (["How long is the warranty on the frame?"], "What about the battery?",
         "How long is the warranty on the battery?"),
        # Another article of the same phrase ("der" after "mit"; it was appended).
        (["Wie viel kostet die Jahreskarte?"], "Was ist mit der Monatskarte?",
         "Wie viel kostet die Monatskarte?"),
        # A short "which" question with a comparative compares the last two things.
        (["What does the Alto chair cost?", "What does the Cadence chair cost?"],
         "Which is cheaper?", "Which (Alto chair, Cadence chair) is cheaper?"),
        (["What does the Alto chair cost?", "What does the Cadence chair cost?"],
         "Which one is cheaper?", "Which one (Alto chair, Cadence chair) is cheaper?"),
    ],
)  # fmt: skip
def test_attributes_owners_and_comparisons_in_other_words(
    earlier: list[str], question: str, expected: str
) -> None:
    assert standalone_question(question, earlier) == expected


@pytest.mark.parametrize(
    ("before", "question", "expected"),
    [
        # What "how many" counts stays when no "of" follows it (it lost "parking", and
        # "Urlaubstage" whole). ("there" after "are" is existential, not a pronoun: the
        # question names no subject of its own, and takes the previous one at its end.)
        ("How many parking spaces does the new office have?", "Are there showers?",
         "Are there showers (parking spaces, new office)?"),
        ("Wie viele Urlaubstage bekommen Auszubildende?", "Ist das bezahlt?",
         "Ist das (Urlaubstage, Auszubildende) bezahlt?"),
        # "celui de Paris" for the name after "de" (it gave "le loyer de Paris de Lyon").
        ("Quel est le loyer de l'appartement de Lyon ?", "Et celui de Paris ?",
         "Quel est le loyer de l'appartement de Paris ?"),
        # A preposition contracted with an article ("du" is "de le"; it was appended).
        ("Quelle est la garantie du cadre ?", "Et de la batterie ?",
         "Quelle est la garantie de la batterie ?"),
        # "What about X?" without an article: the owner after a preposition (it gave
        # "What is the in-store purchases for online orders?").
        ("What is the refund policy for online orders?", "What about in-store purchases?",
         "What is the refund policy for in-store purchases?"),
    ],
)  # fmt: skip
def test_counted_things_names_after_de_and_owners_without_articles(
    before: str, question: str, expected: str
) -> None:
    assert standalone_question(question, [before]) == expected


@pytest.mark.parametrize(
    ("before", "question", "expected"),
    [
        # A wh-question about "it" after a question about an attribute of a thing asks
        # another attribute of the thing: the thing alone (the attribute pulled the
        # previous passage back: "(batteries, Lumera T3)", "(prix du Tramontane)").
        ("How long do the batteries in the Lumera T3 last?", "How do I factory reset it?",
         "How do I factory reset it (Lumera T3)?"),
        ("Quel est le prix du Tramontane ?", "Et combien pèse-t-il ?",
         "Combien pèse-t-il (Tramontane) ?"),
        ("What is the extension of the library at the Larchmont Institute?",
         "When is it open on Fridays?", "When is it (library, Larchmont Institute) open on Fridays?"),
        ("Où aura lieu la prochaine réunion du comité de pilotage Hélios ?",
         "Quel budget supplémentaire a-t-il approuvé ?",
         "Quel budget supplémentaire a-t-il (comité de pilotage Hélios) approuvé ?"),
        # An attribute not linked to an owner stays ("after long service" is a condition),
        # but not the word that says which value was asked: the days carried over are of
        # annual leave, not of its maximum (session 7; with "maximum" the dev set's
        # question was answered with the maximum again).
        ("What is the maximum annual leave after long service?",
         "How many days of it can be carried over?",
         "How many days of it (annual leave, service) can be carried over?"),
        # A yes/no question asks about the attribute itself.
        ("Quel est le temps de charge de la batterie du Mistral ?", "Est-elle amovible ?",
         "Est-elle (temps de charge, batterie du Mistral) amovible ?"),
    ],
)  # fmt: skip
def test_a_wh_question_about_it_asks_another_attribute_of_the_thing(
    before: str, question: str, expected: str
) -> None:
    assert standalone_question(question, [before]) == expected


@pytest.mark.parametrize(
    ("before", "question", "expected"),
    [
        # A rewritten question loses the connective it opened with (with "Und" first the
        # answerer read another passage for the dev set's Kallisto question).
        ("Wo findet die Betriebsversammlung bei Kallisto statt?", "Und wann beginnt sie?",
         "Wann beginnt sie (Betriebsversammlung, Kallisto)?"),
        ("¿Cada cuánto hay que cambiar el filtro de la cafetera Brevena?",
         "¿Y cuánto tarda en calentarse?",
         "¿Cuánto tarda en calentarse (cafetera Brevena)?"),
        # The word that refers back is no subject: three content words besides "too". And
        # "too" adds a thing of its own beside the previous one: it takes the entity, not
        # the previous attribute or circumstance (session 7: "(Velmora, private car)";
        # the German "(Kilometergeld, Velmora, Fahrten, Pkw)" was answered wrong).
        ("What is Velmora's mileage allowance for a private car?",
         "Are parking fees reimbursed too?",
         "Are parking fees reimbursed too (Velmora)?"),
        # The owner after "on": "(Brevena CM-40)", not "(error code E04, Brevena CM-40)".
        ("What does error code E04 mean on the Brevena CM-40?",
         "Which descaler should be used for it?",
         "Which descaler should be used for it (Brevena CM-40)?"),
    ],
)  # fmt: skip
def test_connectives_go_and_owners_after_on(before: str, question: str, expected: str) -> None:
    assert standalone_question(question, [before]) == expected


def test_a_german_answer_reference_gets_the_company_alone() -> None:
    """The previous question's address is no context in German (it pulled the boiler's row
    back: "deren (Thermotec Service GmbH; Lindenstraße 12)"), and "deren" becomes "die"."""
    before = "Welche Firma wartet den Gas-Brennwertkessel in der Lindenstraße 12?"
    answer = "Anlage: Gas-Brennwertkessel; Wartungsfirma: Thermotec Service GmbH [1]"
    assert standalone_question("Wie lautet deren Notdienstnummer?", [before], answer) == (
        "Wie lautet die (Thermotec Service GmbH) Notdienstnummer?"
    )
