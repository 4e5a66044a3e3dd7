"""Text analysis for BM25, per language, the same on documents and queries and on both
search backends (they index the terms this module makes: no analysis plugin is needed).

- Words: lower-cased runs of Unicode word characters, at most 64 of them. Han, Hiragana and
  Katakana runs, which have no spaces between words, become overlapping character bigrams
  (as Elasticsearch's `cjk` analyzer does). Arabic is normalised first: diacritics and
  tatweel removed, alef forms (hamza above and below, madda, wasla) to bare alef, alef
  maqsura to yeh (as Lucene's ArabicNormalizer does), and a word-final heh to teh marbuta
  (the two are written interchangeably). Lucene maps the other way, teh marbuta to heh,
  but its own stemmer follows; Snowball's Arabic stemmer strips teh marbuta and not heh:
  measured on 8 word families (إجازة/الإجازة/بالإجازة/اجازه/الاجازه, سنوية/السنوية, ...),
  heh to teh marbuta gave each family one stem, Lucene's direction split 4 of them.
- Language: detected per text (a chunk, a question) by `languages.detect`, and the text
  is analysed as that language AND English: each word gives its term in both (the same
  term twice counts once). English because a question too short to be sure of is analysed
  as English ("Reisekosten", "können"): its terms must still meet those of a passage
  analysed as its own language ("reisekost" and "reisekosten"). Not for languages their
  script decides (Arabic, Chinese, Japanese): their questions are never taken for English.
- Stop words: those of every language the text is analysed as (`words/<code>.txt`), so a
  word that is a stop word in one of them never becomes a term.
- Stems: Snowball (PyStemmer) of the language, where Snowball has one; other languages'
  words are kept as they are.

`ANALYSIS_VERSION` is recorded with each index: when it changes, the embedded engine
re-analyses its chunks at start and Elasticsearch asks for `docent reindex`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from functools import cache

import Stemmer

from docent.search import languages as lang

#: 1: English for every text. 2: per language (detection, stop words, stems), Arabic
#: normalised.
ANALYSIS_VERSION = 2
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
#: English stop words (kept as a name: other modules filter with it).
STOP_WORDS = lang.stop_words("en")
_MAX_TOKEN = 64
#: ISO 639-1 code -> Snowball algorithm (PyStemmer's names).
SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "et": "estonian", "eu": "basque",
    "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi", "hu": "hungarian",
    "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "nl": "dutch", "no": "norwegian", "pl": "polish", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil",
    "tr": "turkish", "yi": "yiddish",
}  # fmt: skip

_ARABIC_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, dagger alef, tatweel
_ARABIC_LETTERS = str.maketrans(
    {
        "\u0622": "\u0627",  # alef with madda
        "\u0623": "\u0627",  # alef with hamza above
        "\u0625": "\u0627",  # alef with hamza below
        "\u0671": "\u0627",  # alef wasla
        "\u0649": "\u064a",  # alef maqsura -> yeh
    }
)
_FINAL_HEH = re.compile("\u0647\\b")
#: PyStemmer's stemmers keep a cache and are not thread-safe: one set per thread.
_local = threading.local()


def normalize_arabic(text: str) -> str:
    """`text` with Arabic diacritics and tatweel removed and letter variants unified."""
    return _FINAL_HEH.sub("\u0629", _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_LETTERS))


@cache
def _stop_words(language: str) -> frozenset[str]:
    return frozenset(normalize_arabic(w) for w in lang.stop_words(language))


def _stemmer(language: str) -> Stemmer.Stemmer | None:
    stemmers: dict[str, Stemmer.Stemmer | None] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        name = SNOWBALL.get(language)
        stemmers[language] = Stemmer.Stemmer(name) if name else None
    return stemmers[language]


def text_languages(text: str) -> tuple[str, ...]:
    """The languages `text` is analysed as: its own, and English (see the module's
    docstring) unless its script decided (Arabic, Chinese, Japanese: no question in those
    scripts is taken for English)."""
    detected = lang.detect(text)
    if detected.language in lang.BY_SCRIPT:
        return (detected.language,)
    return tuple(dict.fromkeys((detected.language, lang.DEFAULT)))


def _raw_tokens(text: str) -> Iterator[str]:
    for match in _WORD.finditer(normalize_arabic(text).lower()):
        word = match.group()
        if len(word) > _MAX_TOKEN:
            continue
        cjk = _CJK.search(word)
        if cjk is None:
            yield word
            continue
        # Mixed scripts: split into CJK runs (as bigrams) and the rest.
        for part in re.split(f"({_CJK.pattern})", word):
            if not part:
                continue
            if _CJK.fullmatch(part):
                yield from (part[i : i + 2] for i in range(max(1, len(part) - 1)))
            else:
                yield part


def _is_stop(word: str, languages: Iterable[str]) -> bool:
    return any(word in _stop_words(code) for code in languages)


def word_terms(word: str, languages: Sequence[str]) -> list[str]:
    """The terms of one lower-cased, normalised word, in `languages`' order, distinct."""
    terms: list[str] = []
    for code in languages:
        stemmer = _stemmer(code)
        term = stemmer.stemWord(word) if stemmer is not None and not _CJK.match(word) else word
        if term not in terms:
            terms.append(term)
    return terms


def analyze(text: str, languages: Sequence[str] | None = None) -> list[str]:
    """Index terms of `text`, in order, repeats kept (term frequency matters to BM25);
    analysed as `languages` (ISO 639-1 codes), or as detected (`text_languages`)."""
    codes = tuple(languages) if languages else text_languages(text)
    return [
        term
        for word in _raw_tokens(text)
        if not _is_stop(word, codes)
        for term in word_terms(word, codes)
    ]


def query_terms(text: str) -> list[str]:
    """Distinct terms of a query, in order of appearance."""
    return list(dict.fromkeys(analyze(text)))


def query_words(text: str, languages: Sequence[str] | None = None) -> list[tuple[str, ...]]:
    """The distinct words of a query that are not stop words, each as its terms (one per
    language it is analysed as: French "annuelle" is "annuel" in French and "annuell" in
    English), in order of appearance. A word is in a passage when one of its terms is: the
    terms are variants of one word, not several words."""
    codes = tuple(languages) if languages else text_languages(text)
    words = (tuple(word_terms(w, codes)) for w in _raw_tokens(text) if not _is_stop(w, codes))
    return list(dict.fromkeys(words))


def highlight(
    text: str, terms: set[str], *, fragment_chars: int = 160, limit: int = 3
) -> list[str]:
    """Fragments of `text` around words whose term (as `analyze` makes it) is in `terms`,
    wrapped in <em>...</em>."""
    if not terms:
        return []
    codes = text_languages(text)
    spans = [
        m.span()
        for m in _WORD.finditer(text)
        if not _is_stop(w := normalize_arabic(m.group()).lower(), codes)
        and not terms.isdisjoint(word_terms(w, codes))
    ]
    fragments: list[str] = []
    i = 0
    while i < len(spans) and len(fragments) < limit:
        start = max(0, spans[i][0] - fragment_chars // 3)
        end = min(len(text), start + fragment_chars)
        start = _word_start(text, start)
        parts: list[str] = []
        cursor = start
        while i < len(spans) and spans[i][1] <= end:
            s, e = spans[i]
            parts.append(text[cursor:s] + "<em>" + text[s:e] + "</em>")
            cursor = e
            i += 1
        if not parts:  # a matched word straddles the fragment end
            i += 1
            continue
        parts.append(text[cursor:end])
        fragment = " ".join("".join(parts).split())
        fragments.append(("…" if start > 0 else "") + fragment + ("…" if end < len(text) else ""))
    return fragments


def _word_start(text: str, index: int) -> int:
    while 0 < index < len(text) and text[index - 1].isalnum():
        index -= 1
    return index
