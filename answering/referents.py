"""What a pronoun of a follow-up may stand for beyond the previous question: the entity
the previous answer named ("Which company services the lift?" "... Hebetec Aufzüge GmbH"
"What is its emergency number?"), for the local rewrite (`followup.py`). Deterministic:
table rows as the answerer writes them ("Key: value; ..."), and people by their titles.
"""

from __future__ import annotations

import re

#: Pronouns that may stand for the entity the previous answer named ("Which company
#: services the lift?" ... "What is its emergency number?"): personal and possessive ones,
#: not the neutral "that", "das", "cela", "eso", which refer to the matter asked about.
ANSWER_PRONOUNS = {
    "en": {"he", "she", "him", "her", "his", "they", "them", "their", "its"},
    "de": {"er", "ihn", "ihm", "deren", "dessen", "sein", "seine", "seinen", "seiner", "ihr",
           "ihre", "ihren", "ihrer"},
    "fr": {"il", "elle", "lui", "leur", "leurs", "son", "sa", "ses"},
    "es": {"él", "ella", "su", "sus"},
}  # fmt: skip
#: Possessive pronouns (the owner of the noun after them).
POSSESSIVES = {
    "en": {"its", "their", "his", "her"},
    "de": {"sein", "seine", "seinen", "seiner", "seines", "ihr", "ihre", "ihren", "ihrer",
           "deren", "dessen"},
    "fr": {"son", "sa", "ses", "leur", "leurs"},
    "es": {"su", "sus"},
}  # fmt: skip
#: Question words that ask for an entity (a person, a company, one of several things):
#: the answer names it.
_ENTITY_QUESTIONS = {
    "en": {"who", "whom", "which"},
    "de": {"wer", "wen", "wem", "welche", "welcher", "welches", "welchen", "welchem"},
    "fr": {"qui", "quel", "quelle", "quels", "quelles"},
    "es": {"quién", "quiénes", "cuál", "cuáles"},
}  # fmt: skip
_PERSON_QUESTIONS = {"who", "whom", "wer", "wen", "wem", "qui", "quién", "quiénes"}
#: Keys of a table row that name a person ("Name: Dr. Samuel Adeyemi; Position: ...").
_NAME_KEYS = {"name", "nom", "nombre", "ansprechpartner", "contact", "person"}
_CITATION = re.compile(r"\s*\[\d+\]")
#: "Key: value" pairs, as the answerer writes a table row ("Wartungsfirma: Thermotec
#: Service GmbH; ...") and as documents write fields.
_PAIR = re.compile(r"([^:;\n]{1,40}?):\s+([^;\n]{1,80}?)(?=;|\n|$)")
#: A person with a title: "Dr. Ilse Marquardt", "Frau Yilmaz", "Prof. Eleanor Whitcombe".
_TITLED = re.compile(
    r"\b(?:Dr|Prof|Mr|Mrs|Ms|Frau|Herr|Mme|M|Sr|Sra)\.?(?:\s+[A-ZÀ-Ý][\w’'-]+){1,3}"
)


def _names(value: str) -> bool:
    """Whether a table value names something a pronoun can stand for ("Hebetec Aufzüge
    GmbH", "Dr. Clara Duarte"): it does not open with a digit and holds a capitalised
    word. A measure ("4 h 30", "jusqu'à 60 km") is what "Quel est le temps de charge ?"
    asked, not a thing "elle" may stand for."""
    return not value[:1].isdigit() and any(w[:1].isupper() for w in value.split())


def answer_entity(
    opener: str, asked: set[str], before: str, answer: str, language: str
) -> str | None:
    """The entity the previous answer named, when the previous question (`before`, whose
    first word is `opener` and content words `asked`, lower case) asked for one ("Who
    ...?", "Which company ...?", "Welche Firma ...?"): in a table row the value, naming
    something (`_names`), whose key holds one of the question's words ("Wartungsfirma"
    for "Firma") or, asked "who", a name key; else, asked "who", the first titled person the answer names that the
    question does not. None when it asked for no entity or none is found."""
    if opener not in _ENTITY_QUESTIONS.get(language, ()):
        return None
    text = _CITATION.sub("\n", answer)  # a citation ends a row or a sentence
    asked = {word for word in asked if len(word) > 3}
    person = opener in _PERSON_QUESTIONS
    for key, value in _PAIR.findall(text):
        name = key.strip().casefold()
        if any(word in name for word in asked) or (person and name in _NAME_KEYS):
            value = value.strip(" .")
            if value and value.casefold() not in before.casefold() and _names(value):
                return value
    if person:
        for match in _TITLED.finditer(text):
            if match.group() not in before:
                return match.group()
    return None
