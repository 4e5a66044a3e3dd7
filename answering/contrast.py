"""Near-misses that ask for a neighbour of what a document covers.

"What does a yearly pass cost?" over a price list of day and weekly passes, "What do
students pay?" over fees for adults and children, "How much cover must the tenants'
contents insurance give?" over a lease that names only the building insurance, "How loud
is the HX-9 in dB?" over a spec table without a noise row: the passage holds most of the
question's words and a value of the form asked for (a price, a figure), so the word
counts and the cosine of the not-found gate call it evidence, and the answer quotes the
neighbour's value. What tells them apart is one qualifier of a closed class (a period, a
group of people who pay, a kind of leave, of telephone number or of insurance) or the
measure asked for:

- **contrast classes** (`CLASSES`): when the question names a member of a class ("yearly")
  that its document's retrieved text never names, and the passage names other members
  ("day", "weekly"), the passage is about a neighbour, not the answer ("contrast sets" of
  the question-answering literature; Gardner et al. 2020 perturb exactly such words);
- **the measure's unit** (`shapes.states_measure`): a question asking how heavy, hot,
  loud, fast or big in area or volume something is, not how many, is answered only from a
  document whose retrieved passages hold a figure in a unit of that measure ("102 kg",
  "-25 °C", "48 dB(A)").

Classes are general vocabulary (en, de, fr, es); a document's own wording is never one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from docent.answering import shapes
from docent.answering.clues import NAME_WEIGHT, Clues, bare, script

#: Each class: its members, each member the words (casefolded) that name it. A word
#: ending in "s" of five letters or more also names its member as a German compound's
#: first part ("jahres" in "Jahresbeiträge", "monats" in "Monatsmiete").
CLASSES: tuple[tuple[tuple[str, ...], ...], ...] = (
    # periods a price, a pass or a rate is for
    (
        (
            "hour",
            "hours",
            "hourly",
            "stunde",
            "stunden",
            "stündlich",
            "heure",
            "heures",
            "horaire",
            "hora",
            "horas",
        ),
        (
            "day",
            "days",
            "daily",
            "tag",
            "tage",
            "täglich",
            "tages",
            "jour",
            "jours",
            "journée",
            "journalier",
            "quotidien",
            "día",
            "días",
            "diario",
            "diaria",
        ),
        (
            "week",
            "weeks",
            "weekly",
            "woche",
            "wochen",
            "wöchentlich",
            "semaine",
            "semaines",
            "hebdomadaire",
            "semana",
            "semanas",
            "semanal",
        ),
        (
            "month",
            "months",
            "monthly",
            "monat",
            "monate",
            "monatlich",
            "monats",
            "mois",
            "mensuel",
            "mensuelle",
            "mes",
            "meses",
            "mensual",
        ),
        (
            "year",
            "years",
            "yearly",
            "annual",
            "annually",
            "jahr",
            "jahre",
            "jährlich",
            "jahres",
            "ans",
            "année",
            "années",
            "annuel",
            "annuelle",
            "año",
            "años",
            "anual",
        ),
    ),
    # people a fee or a rule is for
    (
        (
            "adult",
            "adults",
            "erwachsene",
            "erwachsener",
            "erwachsenen",
            "adulte",
            "adultes",
            "adulto",
            "adultos",
        ),
        (
            "child",
            "children",
            "kid",
            "kids",
            "junior",
            "juniors",
            "kinder",
            "kindern",
            "jugendliche",
            "jugendlichen",
            "enfant",
            "enfants",
            "niño",
            "niños",
            "niña",
            "niñas",
            "menores",
            "infantil",
        ),
        (
            "student",
            "students",
            "studierende",
            "studenten",
            "étudiant",
            "étudiants",
            "étudiante",
            "estudiante",
            "estudiantes",
            "universitario",
        ),
        (
            "senior",
            "seniors",
            "pensioner",
            "pensioners",
            "retired",
            "retiree",
            "retirees",
            "oap",
            "rentner",
            "rentnerin",
            "rentnern",
            "senioren",
            "retraité",
            "retraités",
            "jubilado",
            "jubilados",
        ),
        ("family", "families", "familie", "familien", "famille", "familles", "familia", "familias"),
    ),
    # kinds of leave
    (
        (
            "annual leave",
            "holiday entitlement",
            "paid holiday",
            "jahresurlaub",
            "erholungsurlaub",
            "congés payés",
            "congé annuel",
            "vacaciones anuales",
        ),
        (
            "sick leave",
            "sick pay",
            "sickness absence",
            "krankmeldung",
            "lohnfortzahlung",
            "arrêt maladie",
            "congé maladie",
            "baja por enfermedad",
            "baja médica",
        ),
        (
            "parental leave",
            "maternity leave",
            "paternity leave",
            "maternity",
            "paternity",
            "elternzeit",
            "mutterschutz",
            "congé parental",
            "congé maternité",
            "congé paternité",
            "permiso de maternidad",
            "permiso de paternidad",
        ),
        (
            "compassionate leave",
            "bereavement leave",
            "bereavement",
            "sonderurlaub bei todesfall",
            "congé de deuil",
            "permiso por fallecimiento",
        ),
        (
            "study leave",
            "exam leave",
            "bildungsurlaub",
            "congé de formation",
            "permiso de estudios",
        ),
        ("unpaid leave", "sabbatical", "unbezahlter urlaub", "congé sans solde", "excedencia"),
    ),
    # kinds of telephone number
    (
        (
            "mobile",
            "mobile phone",
            "mobile number",
            "cellphone",
            "cell phone",
            "handy",
            "handynummer",
            "mobilnummer",
            "móvil",
            "celular",
        ),
        (
            "extension",
            "landline",
            "desk phone",
            "office phone",
            "durchwahl",
            "festnetz",
            "poste",
            "fijo",
            "extensión",
        ),
        ("fax", "telefax"),
    ),
    # kinds of insurance
    (
        (
            "contents insurance",
            "hausratversicherung",
            "assurance habitation",
            "seguro de hogar",
            "seguro de contenido",
        ),
        (
            "building insurance",
            "buildings insurance",
            "gebäudeversicherung",
            "assurance immeuble",
            "seguro del edificio",
        ),
        (
            "liability insurance",
            "haftpflichtversicherung",
            "responsabilité civile",
            "responsabilidad civil",
        ),
        ("travel insurance", "reiseversicherung", "assurance voyage", "seguro de viaje"),
        (
            "health insurance",
            "krankenversicherung",
            "assurance maladie",
            "seguro médico",
            "seguro de salud",
        ),
        (
            "car insurance",
            "motor insurance",
            "kfz-versicherung",
            "autoversicherung",
            "assurance auto",
            "seguro de coche",
        ),
        ("life insurance", "lebensversicherung", "assurance vie", "seguro de vida"),
    ),
)

_BARE_CLASSES = tuple(
    tuple(tuple(bare(name) for name in names) for names in members) for members in CLASSES
)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
#: A compound's first part: this long at least, ending in "s" (the German linking s).
_COMPOUND_PART = 5


def _members(text: str) -> set[tuple[int, int]]:
    """(class, member) of every member named in `text`, case and accents aside ("año" in
    "ano": the gate reads documents without their accents)."""
    folded = " ".join(bare(text).split())
    words = set(_WORD.findall(folded))
    found: set[tuple[int, int]] = set()
    for c, members in enumerate(_BARE_CLASSES):
        for m, names in enumerate(members):
            for name in names:
                if " " in name:
                    hit = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", folded) is not None
                else:
                    hit = name in words or (
                        name.endswith("s")
                        and len(name) >= _COMPOUND_PART
                        and any(w.startswith(name) and len(w) > len(name) + 2 for w in words)
                    )
                if hit:
                    found.add((c, m))
                    break
    return found


#: What a question asks to be measured in a unit of its own; not a count ("How many
#: people does the hall hold?" asks a number, not litres), nor a length ("how far in
#: advance" asks a time) nor money or time, whose passages often state the value in a
#: header or in words.
_MEASURED = frozenset(
    {
        shapes.Dimension.MASS,
        shapes.Dimension.SPEED,
        shapes.Dimension.AREA,
        shapes.Dimension.VOLUME,
        shapes.Dimension.POWER,
        shapes.Dimension.TEMPERATURE,
        shapes.Dimension.NOISE,
    }
)
#: A period after an interrogative is what is asked, not a qualifier: "¿Hasta qué día
#: ...?", "Which days ...?", "How many days ...?", "An welchen Tagen ...?" ask for days
#: (the answer says "martes y jueves", "before the 25th"), as "yearly" in "a yearly
#: pass" does not.
_ASKED_UNIT = re.compile(
    r"\b(?:which|what|how many|qu[eé]|cu[aá]nt[oa]s?|quel(?:le)?s?|combien de"
    r"|welche[nmrs]?|an welchen?|wie viele)\s+[^\W\d_]+"
)
_VOLUME = re.compile(
    r"\b(?:volume|litres?|liters?|gallons?|tank|cylinder|reservoir|water|fassungsvermögen"
    r"|liter|volumen|wassertank|contenance|r[ée]servoir|litros?|dep[oó]sito)\b|容量|容积|水箱|لتر|خزان"
)
_COUNT = re.compile(r"\bhow many\b|\bwie viele\b|\bcombien de\b|\bcu[aá]nt[oa]s\b|多少个|几个")


@dataclass(frozen=True, slots=True)
class Contrast:
    """What of a question tells it from its neighbours: the members of `CLASSES` it names
    and the measure it asks for."""

    members: frozenset[tuple[int, int]]
    measure: shapes.Dimension | None

    @classmethod
    def of(cls, question: str) -> Contrast:
        asked = shapes.asked(question)
        measure = asked.dimension if asked is not None else None
        folded = question.casefold()
        if measure not in _MEASURED or _COUNT.search(folded):
            measure = None
        # "capacity" is also a count ("the pallet capacity of warehouse WH-147"): a volume
        # only where the question names one.
        if measure is shapes.Dimension.VOLUME and not _VOLUME.search(folded):
            measure = None
        return cls(frozenset(_members(_ASKED_UNIT.sub(" ", question.casefold()))), measure)

    def measured_code(self, clues: Clues, passage: str) -> bool:
        """Whether `passage` answers a question made of a code and a measure ("How heavy is
        the HX-9?": nothing else to count as keywords) by holding the code exactly and a
        figure in the measure's unit ("Weight | 84 kg | 102 kg" under "HX-6 | HX-9")."""
        return (
            self.measure is not None
            and bool(clues.codes)
            # nothing but codes to find ("How much does the Qingfeng KJ-300 purifier
            # weigh?" has words to count), in a passage of the question's script
            and all(weight >= NAME_WEIGHT for _, weight in clues.words)
            and script(passage) == clues.script
            and clues.code_in(passage)
            and shapes.states_measure(self.measure, passage)
        )

    def neighbour(
        self, passage: str, document: str, retrieved: str = "", *, classes: bool = True
    ) -> bool:
        """Whether `passage` is about a neighbour of what was asked: neither it nor its
        `document` (the retrieved text of the passage's document, title included) names a
        member of a class that the question names, and they or the `retrieved` text of
        every document name other members of that class; or its document holds no figure
        in a unit of the measure asked for. `classes` False: the class rule is not applied
        (a passage in another script than the question's, which names the members in words
        the classes do not hold: "شهرياً" for "per month")."""
        # The figure may be in another retrieved passage of the document than the one
        # holding the question's words (the Tigon's weight in its data table, its name
        # in the brochure's opening): the answerer quotes it from there.
        if self.measure is not None and not shapes.states_measure(self.measure, document):
            return True
        if not self.members or not classes:
            return False
        # The neighbours may be named in another retrieved passage of the document than
        # the one grounding ("Jahresbeiträge für Erwachsene" beside the passage saying when
        # fees are collected).
        # ... and in any retrieved passage: a question whose member no retrieved passage
        # names, among passages naming its neighbours, is refused whichever passage
        # grounds it (the answerer quotes the best unit of all of them).
        own = _members(f"{passage}\n{document}")
        around = own | _members(retrieved)
        for c, m in self.members:
            if (c, m) in own:
                continue
            if any(dc == c and (dc, dm) not in self.members for dc, dm in around):
                return True
        return False

    def other(self, unit: str) -> bool:
        """Whether `unit` is about another member of a class the question names, and not
        about the question's own: "38 € HT de l'heure" beside the monthly price asked for
        ("How much ... each month?"), the children's fee beside the adults'. What the
        extractive answer does not quote beside its best unit (extractive.py)."""
        named = _members(unit)
        return any(
            (c, m) not in named
            and any(dc == c and (dc, dm) not in self.members for dc, dm in named)
            for c, m in self.members
        )

    def own(self, unit: str) -> bool:
        """Whether `unit` names a member of a class the question names, the question's own
        ("par mois" for "How much ... per month?"), and none other of that class."""
        return any((c, m) in _members(unit) for c, m in self.members) and not self.other(unit)

    def own_first(
        self,
        first: int,
        order: Sequence[int],
        scores: Sequence[float] | np.ndarray,
        fits: Sequence[float] | np.ndarray,
        texts: Sequence[str],
        floor: float,
    ) -> int:
        """The unit to answer with, of candidates `texts` ranked by `order` (their `scores`
        and shape `fits`): `first`, unless it is about another member of a class the
        question names (`other`: "38 € HT de l'heure" for the monthly price) and a unit
        scoring within `floor` of it, with as much of the shape asked, names the
        question's own (`own`: "1 240 € HT par mois")."""
        if not self.other(texts[first]):
            return first
        return next(
            (
                i
                for i in order
                if scores[i] >= scores[first] - floor
                and fits[i] >= fits[first]
                and self.own(texts[i])
            ),
            first,
        )


@cache
def _member_words() -> frozenset[str]:
    return frozenset(name for members in _BARE_CLASSES for names in members for name in names)


def member(word: str) -> bool:
    """Whether `word` names a member of one of `CLASSES` ("Sunday" does not; "kids",
    "annual", "students" do)."""
    return bare(word) in _member_words()
