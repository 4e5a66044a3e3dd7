"""unstructured's NLP functions without spaCy: a regex word tokenizer and sentence splitter,
and a verb heuristic in place of part-of-speech tagging.

unstructured's text classifiers (`unstructured/partition/text_type.py`: narrative text,
titles, the capitals ratio) import `sent_tokenize`, `word_tokenize` and `pos_tag` from
`unstructured.nlp.tokenize`, which runs spaCy and downloads its English model on first use.
`offline_nlp.configure_offline` installs this module in its place. Of the tags, only whether
one starts with "VB" matters to unstructured; other words are tagged CD (digits) or NN.

The word lists are data files in `words/`, one word a line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

#: The size of each function's cache, as in unstructured's own module.
CACHE_MAX_SIZE = 128


def _word_list(name: str) -> frozenset[str]:
    """The words of `words/<name>`: one a line; lines starting with `#` are comments."""
    text = (files("docent.ingestion.parsing") / "words" / name).read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _inflect(verb: str) -> set[str]:
    """A base-form verb and its -s, -ed and -ing forms."""
    forms = {verb}
    if verb.endswith("e"):
        forms |= {verb + "s", verb + "d", verb[:-1] + "ing"}
    elif verb.endswith("y") and len(verb) > 2 and verb[-2] not in "aeiou":
        forms |= {verb[:-1] + "ies", verb[:-1] + "ied", verb + "ing"}
    elif verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        forms |= {verb + "es", verb + "ed", verb + "ing"}
    else:
        forms |= {verb + "s", verb + "ed", verb + "ing"}
    return forms


_ABBREVIATIONS = _word_list("abbreviations.txt")
_AUXILIARIES = _word_list("auxiliaries.txt")
_BASE_VERBS = _word_list("verbs.txt")
_IRREGULAR = _word_list("irregular_verbs.txt")
#: Forms that are verbs wherever they stand.
_VERB_FORMS = _AUXILIARIES | _IRREGULAR | frozenset().union(*map(_inflect, _BASE_VERBS))
#: After these a base form is a verb ("to file", "we use", "will add").
_VERB_CONTEXT = _AUXILIARIES | _word_list("verb_context.txt")
#: Words of five letters or more ending in -ing or -ed that are not verbs.
_NOT_VERBS = _word_list("not_verbs.txt")
#: What may precede a sentence-initial imperative ("See the ...").
_SENTENCE_START = frozenset({"", ".", "!", "?", ":", ";"})

_WORD = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def _words(text: str) -> list[str]:
    return _WORD.findall(str(text))


def _sentences(text: str) -> list[str]:
    text = str(text).strip()
    if not text:
        return []
    out: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        previous = text[start : end.start()].rstrip("\"'”’)]").split()
        last = previous[-1].rstrip(".").lower() if previous else ""
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue  # "Dr. Smith", "J. Doe"
        out.append(text[start : end.start()].strip())
        start = end.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def _tags(text: str) -> list[tuple[str, str]]:
    tags: list[tuple[str, str]] = []
    previous = ""
    for word in _words(text):
        lower = word.lower()
        if lower in _BASE_VERBS and lower not in _IRREGULAR and lower not in _AUXILIARIES:
            is_verb = previous in _VERB_CONTEXT or previous in _SENTENCE_START
        elif lower in _VERB_FORMS or (
            word.isalpha()
            and len(lower) >= 5
            and lower.endswith(("ed", "ing"))
            and lower not in _NOT_VERBS
        ):
            is_verb = True
        else:
            is_verb = False
        tags.append((word, "VB" if is_verb else ("CD" if word.isdigit() else "NN")))
        previous = lower
    return tags


@lru_cache(maxsize=CACHE_MAX_SIZE)
def _cached_sentences(text: str) -> tuple[str, ...]:
    return tuple(_sentences(text))


@lru_cache(maxsize=CACHE_MAX_SIZE)
def _cached_words(text: str) -> tuple[str, ...]:
    return tuple(_words(text))


@lru_cache(maxsize=CACHE_MAX_SIZE)
def _cached_tags(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(_tags(text))


def sent_tokenize(text: str) -> list[str]:
    """The sentences of `text`; a full stop after an abbreviation or an initial ("Dr.",
    "J.") does not end one."""
    return list(_cached_sentences(text))


def word_tokenize(text: str) -> list[str]:
    """The words and punctuation marks of `text` ("don't", "e.g", "well-known" are one)."""
    return list(_cached_words(text))


def pos_tag(text: str) -> list[tuple[str, str]]:
    """(word, tag) for each word of `text`: "VB" for a verb, "CD" for digits, else "NN"."""
    return list(_cached_tags(text))
