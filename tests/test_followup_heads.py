"""The local standalone question of follow-ups of the kinds added in issue 15's seventh
session (answering/followup_heads.py and the rules of followup.py, followup_substitute.py
and followup_zh_ar.py that use it): the previous question's head noun phrase for "it" of an
event and "its" after a question about a thing, "the closing one" and "the one of"/"der
für", a compound replaced whole, existential "there", a possessive name as the fragment,
"he" after two people, a yes/no question with no word referring back, "too" with the entity
alone. Made-up questions of the dev set's kinds, not its strings; each names what the
rewrite gave before."""

from __future__ import annotations

import pytest

from docent.answering.followup import standalone_question


@pytest.mark.parametrize(
    ("before", "question", "expected"),
    [
        # "it" as the subject of an event's verb (start, begin, reach, cost) is the thing the
        # previous question was about, not the place or organisation that owned it (it was
        # "(Lisbon Film Festival)", "(Brookfield Trust)").
        ("Where is the awards ceremony of the Lisbon Film Festival held?",
         "When does it begin?", "When does it (awards ceremony) begin?"),
        ("What does the reading club of the Brookfield Trust do?",
         "How many children did it reach last year?",
         "How many children did it (reading club) reach last year?"),
        ("What does the repair café of the Greenway charity offer?", "How much does it cost?",
         "How much does it (repair café) cost?"),
        # "its" after a question about a thing itself (when is it open) is that thing's (it
        # was "(St Mary's Hospital, Sundays)")...
        ("When is the pharmacy of St Mary's Hospital open on Sundays?",
         "What is its phone number?", "What is its (pharmacy) phone number?"),
        # ...but after a question for an attribute of an entity, the entity's, as before.
        ("What is the service interval of the Tigon?", "How powerful is its engine?",
         "How powerful is its (Tigon) engine?"),
        # Another verb than an event's keeps the rule for things: the entity.
        ("How long do the batteries in the Lumera T3 last?", "How do I factory reset it?",
         "How do I factory reset it (Lumera T3)?"),
    ],
)  # fmt: skip
def test_it_of_an_event_and_its_after_a_thing_are_the_head_noun_phrase(
    before: str, question: str, expected: str
) -> None:
    assert standalone_question(question, [before]) == expected


@pytest.mark.parametrize(
    ("before", "question", "expected"),
    [
        # "the <modifier> one": the same head, the modifier swapped (it was "..., the
        # evening one?" appended).
        ("What time does the morning shuttle leave the airport?", "And the evening one?",
         "What time does the evening shuttle leave the airport?"),
        ("How much is the blue ink cartridge for the Inko 5?", "And the red one?",
         "How much is the red ink cartridge for the Inko 5?"),
        # an ordinal for an ordinal (it was "the second time of the first session")
        ("What is the opening time of the first session?", "And the second one?",
         "What is the opening time of the second session?"),
        # "celui de", "la de": the last qualifier is swapped, not the attribute's own "de"
        # (it was "Quel est le prix d'épeautre ?", the flour lost)...
        ("Quel est le prix de la farine de seigle T130 ?", "Et celui d'épeautre ?",
         "Quel est le prix de la farine d'épeautre ?"),
        ("Quel est le délai de livraison des meubles chez Fennick ?", "Et celui des ramettes ?",
         "Quel est le délai de livraison des ramettes chez Fennick ?"),
        # ...and with none, the adjective after the head noun, the owner's name kept (it was
        # "la entrada general de estudiantes").
        ("¿Cuánto cuesta la entrada general del Museo Sorolla?", "¿Y la de estudiantes?",
         "¿Cuánto cuesta la entrada de estudiantes del Museo Sorolla?"),
        # "der/die für", "the ones for": the preposition's phrase replaces its counterpart (it
        # was "Wie hoch ist die für Kinder für Erwachsene ...").
        ("Wie hoch ist die Gebühr für Erwachsene im Hallenbad Nord?", "Und die für Kinder?",
         "Wie hoch ist die Gebühr für Kinder im Hallenbad Nord?"),
        ("How much are the tickets for adults at the Orbis Zoo?", "And the ones for children?",
         "How much are the tickets for children at the Orbis Zoo?"),
        # A compound ("wash and cut") is one thing: a fragment replaces all of it (it was "a
        # beard trim and cut").
        ("How much is a wash and cut at Salon Ivo?", "And a beard trim?",
         "How much is a beard trim at Salon Ivo?"),
        # (as the subject after "is", with no article to align: it was "a highlights and
        # blow-dry")
        ("How much is a wash and blow-dry at Salon Mira?", "And highlights?",
         "How much is a highlights at Salon Mira?"),
    ],
)  # fmt: skip
def test_the_one_and_compounds_swap_the_modifier(before: str, question: str, expected: str) -> None:
    assert standalone_question(question, [before]) == expected


@pytest.mark.parametrize(
    ("before", "question", "expected"),
    [
        # Existential "there", "es gibt", "il y a" refer to nothing: a question that names its
        # own subject is new (it was "Is there (days, leave, new staff, Orbis) a canteen ...").
        ("How many days of leave do new staff get at Orbis?",
         "Is there a canteen at the Leeds office?", "Is there a canteen at the Leeds office?"),
        ("Wie viele Urlaubstage bekommen neue Mitarbeiter bei Orbis?",
         "Gibt es eine Kantine im Büro in Leeds?", "Gibt es eine Kantine im Büro in Leeds?"),
        ("Combien de jours de congé ont les nouveaux employés chez Orbis ?",
         "Y a-t-il un parking au bureau de Leeds ?", "Y a-t-il un parking au bureau de Leeds ?"),
        # "there" after a verb that is not "be" still points at a place said before.
        ("Where is the Orbis warehouse?", "How many people work there?",
         "How many people work there (Orbis)?"),
    ],
)  # fmt: skip
def test_existential_there_is_no_pronoun(before: str, question: str, expected: str) -> None:
    assert standalone_question(question, [before]) == expected


@pytest.mark.parametrize(
    ("earlier", "question", "expected"),
    [
        # A possessive name as the fragment: the same attribute of another owner, the one
        # after "of", not the last name (it was "... at the Dr. Tom Baker's?")...
        (["What is the direct line of Dr. Ana Ruiz at the Hollis Clinic?"],
         "And Dr. Tom Baker's?",
         "What is the direct line of Dr. Tom Baker at the Hollis Clinic?"),
        (["What is the weight of the Vento V2 at Airmaster?"], "And the V4's?",
         "What is the weight of the Vento V4 at Airmaster?"),
        # ...and "he" after the two is the person the question is now about (it was "(direct
        # line of Dr. Ana Ruiz, Dr. Tom Baker)").
        (["What is the direct line of Dr. Ana Ruiz at the Hollis Clinic?",
          "What is the direct line of Dr. Tom Baker at the Hollis Clinic?"],
         "Which floor is he on?", "Which floor is he (Dr. Tom Baker) on?"),
    ],
)  # fmt: skip
def test_a_possessive_name_swaps_the_owner_and_he_is_the_person(
    earlier: list[str], question: str, expected: str
) -> None:
    assert standalone_question(question, earlier) == expected


@pytest.mark.parametrize(
    ("before", "question", "expected"),
    [
        # A yes/no question of two content words or fewer names no subject: it asks about
        # the previous one (it was kept as asked)...
        ("How long is the guarantee on Arlo boilers?", "Is registration needed?",
         "Is registration needed (guarantee, Arlo)?"),
        ("¿Cuántos días al mes se puede trabajar desde casa en Grupo Tajo?",
         "¿Hace falta permiso?",
         "¿Hace falta permiso (mes, puede trabajar, casa, Grupo Tajo)?"),
        # ...one that names its own does not.
        ("How long is the guarantee on Arlo boilers?", "Is the Leeds office open on Sundays?",
         "Is the Leeds office open on Sundays?"),
        # "too", "auch": another thing beside the previous one, of the same entity (it was
        # "(Kilometergeld, Fahrten, Orbis)")...
        ("Wie viel Kilometergeld zahlt die Firma für Fahrten bei Orbis?",
         "Werden Mautgebühren auch erstattet?", "Werden Mautgebühren auch erstattet (Orbis)?"),
        # ...while "less", "included" compare with the thing, or place inside it: kept whole.
        ("How much is a day pass for adults at the Aqualis pool?", "Do teenagers pay less?",
         "Do teenagers pay less (day pass, adults, Aqualis)?"),
        # "¿Y qué incluye?" after "¿Cuánto cuesta X?": X whole, not its owner alone (it was
        # "(Club Nereida)").
        ("¿Cuánto cuesta el bono de diez sesiones del Club Nereida?", "¿Y qué incluye?",
         "¿Qué incluye (bono de diez sesiones del Club Nereida)?"),
    ],
)  # fmt: skip
def test_yes_no_questions_and_what_they_take(before: str, question: str, expected: str) -> None:
    assert standalone_question(question, [before]) == expected


@pytest.mark.parametrize(
    ("before", "question", "expected"),
    [
        # "它" in a wh-question after "X的Y是多少？" is X, the thing (it was "(X的Y)")...
        ("清风 KJ-500 的噪音是多少？", "那它有多重？", "那它（清风 KJ-500）有多重？"),
        # ...in a yes/no question the attribute asked, as before.
        ("全职员工每年有几天年假？", "它是带薪的吗？", "它（全职员工每年有年假）是带薪的吗？"),
        # A noun fragment replaces the subject's head noun (after its last 的) when the verb
        # follows the question word (it was appended: "...，消防演练呢？").
        ("北京仓的灭火器多久检查一次？", "那应急灯呢？", "北京仓的应急灯多久检查一次？"),
    ],
)  # fmt: skip
def test_chinese_it_is_the_thing_and_a_noun_replaces_the_head(
    before: str, question: str, expected: str
) -> None:
    assert standalone_question(question, [before]) == expected
