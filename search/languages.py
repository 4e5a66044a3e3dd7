"""Which language a text is in, for keyword analysis (`analysis.py`): cheap, deterministic.

1. Script: a text whose letters are mostly Han/kana is Chinese (`zh`) or Japanese (`ja`),
   mostly Arabic script is Arabic (`ar`); these are certain.
2. Stop words: each word found in a language's stop list (`words/<code>.txt`) is a vote
   for it, shared when the word is in several lists ("la": French and Spanish). Function
   words are what a language detector looks at first, and counting them costs
   microseconds. Confident: the leader has `CONFIDENT_VOTES` or more and more than twice
   the runner-up's.
   An inverted question or exclamation mark ("¿", "¡"), which only Spanish writes, is a
   leaning vote for Spanish.
3. Otherwise, a text that leans to the stop words' leader (`LEANING_VOTES` or more, and
   more than twice the runner-up's: "Combien coûte le vélo ?") is that language, not
   confident; else a text of `LANGDETECT_MIN_WORDS` words or more goes to `langdetect` (seeded, so
   that the same text always gets the same answer; its first `LANGDETECT_CHARS` characters
   only: 20-70 ms a call on this machine, so it is the fallback, not the rule); its guess
   is not confident. A shorter text is English, not confident (a code, a name, a table
   cell, "Über café": one stop word is not evidence enough).

Measured on the dev set's 279 questions (`eval/devset`, labelled by language): no
question confidently given a wrong language; the few wrong guesses were not confident, so
those questions are analysed as the guess plus English.

Not confident means "analyse as this language and English too" (`analysis.py`): short
questions carry too few words for any detector.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

#: Languages that `detect` names by their script alone, always confidently.
BY_SCRIPT = frozenset({"zh", "ja", "ar"})
#: Languages with a stop list in `words/`.
STOP_LISTS = ("en", "de", "fr", "es", "ar")
#: The fallback language: the one docent's users write questions in most.
DEFAULT = "en"
#: Stop-word votes for a sure answer, and for a leaning one (see `detect`).
CONFIDENT_VOTES = 2.0
LEANING_VOTES = 1.5
LANGDETECT_MIN_WORDS = 6
LANGDETECT_CHARS = 300
#: A fixed seed: langdetect samples at random, and the index must not depend on luck.
LANGDETECT_SEED = 0

_WORDS_DIR = Path(__file__).parent / "words"
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


@dataclass(frozen=True, slots=True)
class Detection:
    """An ISO 639-1 code (langdetect's, e.g. `de`, `zh`), and whether it is sure."""

    language: str
    confident: bool


@cache
def stop_words(language: str) -> frozenset[str]:
    """The stop words of `language` (empty for a language without a list), lower case."""
    path = _WORDS_DIR / f"{language}.txt"
    if language not in STOP_LISTS or not path.is_file():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


_detector_lock = threading.Lock()


@lru_cache(maxsize=1)
def _langdetect_factory() -> Any:
    # A factory of our own, seeded, instead of langdetect's module-level one: the seed is
    # then not a global that another user of langdetect (unstructured) could change.
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(LANGDETECT_SEED)
    return factory


def _langdetect(text: str) -> str | None:
    from langdetect.lang_detect_exception import LangDetectException

    with _detector_lock:  # the factory is shared; detectors are cheap to create
        detector = _langdetect_factory().create()
    detector.append(text[:LANGDETECT_CHARS])
    try:
        code = str(detector.detect())
    except LangDetectException:
        return None
    return code.split("-")[0]  # zh-cn, zh-tw -> zh


def _by_script(text: str) -> Detection | None:
    letters = len(_LETTER.findall(text))
    if not letters:
        return None
    han, kana = len(_HAN.findall(text)), len(_KANA.findall(text))
    if (han + kana) * 10 >= letters * 3:
        return Detection("ja" if kana else "zh", True)
    if len(_ARABIC.findall(text)) * 10 >= letters * 3:
        return Detection("ar", True)
    return None


@lru_cache(maxsize=4096)
def detect(text: str) -> Detection:
    """The language of `text` (see the module docstring for the rule)."""
    by_script = _by_script(text)
    if by_script is not None:
        return by_script
    words = _WORD.findall(text.lower())
    votes = dict.fromkeys(STOP_LISTS, 0.0)
    for word in words:
        # A word in several lists ("la": French and Spanish) is shared among them.
        voters = [code for code in STOP_LISTS if word in stop_words(code)]
        for code in voters:
            votes[code] += 1 / len(voters)
    # Inverted question and exclamation marks are written in Spanish only: a vote as
    # strong as a leaning one ("¿El Gimnasio Olivar tiene piscina?" is Spanish).
    votes["es"] += LEANING_VOTES * min(1, text.count("¿") + text.count("¡"))
    ranked = sorted(votes.items(), key=lambda item: -item[1])
    (leader, lead), (_, second) = ranked[0], ranked[1]
    if lead > 2 * second and lead >= CONFIDENT_VOTES:
        return Detection(leader, True)
    if lead > 2 * second and lead >= LEANING_VOTES:
        return Detection(leader, False)
    if len(words) >= LANGDETECT_MIN_WORDS:
        guessed = _langdetect(text)
        if guessed is not None:
            return Detection(guessed, False)
    return Detection(DEFAULT, False)
