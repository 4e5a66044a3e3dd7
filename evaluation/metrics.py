"""The figures `docent eval` reports, as pure functions: ranking quality against relevance
judgements (nDCG, recall), answer matching, refusal precision and recall, percentiles.

Standard library only: the engine comparison's scripts (benchmarks/engines/, in virtual
environments of their own, without docent) load this file by its path.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def ndcg(ranked: Sequence[str], relevant: dict[str, int], k: int = 10) -> float:
    """nDCG@k of one query's ranking (document ids, best first) against its judgements
    (document id -> grade, 0 for not relevant), with linear gains: a grade-g document at
    rank r (1-based) adds g / log2(r + 1), divided by the same sum for the ideal order
    (Järvelin and Kekäläinen, 2002; BEIR's pytrec_eval computes it so). 0.0 when nothing
    is relevant. Repeated ids count once, at their best rank."""
    unique = list(dict.fromkeys(ranked))[:k]
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(unique))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall(ranked: Sequence[str], relevant: dict[str, int], k: int) -> float:
    """The share of the relevant documents (grade > 0) found in the top k of `ranked`;
    0.0 when nothing is relevant."""
    wanted = {d for d, g in relevant.items() if g > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-quantile (0 <= q <= 1) of `values`, interpolated linearly between the closest
    ranks (numpy's default, "linear"); None when there are no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """`text` as answers are compared: Unicode NFKC (full-width digits, ligatures and
    compatibility forms become their plain letters), invisible format characters (soft
    hyphen, zero-width space, byte-order mark: category Cf) removed, case folded, and every
    run of whitespace one space, trimmed."""
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return _SPACE.sub(" ", visible.casefold()).strip()


def missing_items(answer: str, expected: Iterable[str]) -> list[str]:
    """The `expected` items that `answer` does not contain, compared after `normalise`
    (so case, whitespace and Unicode forms do not matter); [] when it contains them all."""
    text = normalise(answer)
    return [item for item in expected if normalise(item) not in text]


def present_items(answer: str, unwanted: Iterable[str]) -> list[str]:
    """The `unwanted` items that `answer` contains, compared as by `missing_items`."""
    text = normalise(answer)
    return [item for item in unwanted if normalise(item) in text]


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when whole is 0 (a rate over nothing is undefined, not 0)."""
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class Refusals:
    """How well refusals ("not found", `Answer.grounded == false`) follow the questions
    that must be refused (`unanswerable`) and those that may be (`refusal_ok`: the
    document says the answer is elsewhere).

    - precision: of the questions refused, the share that must or may be refused
      (1.0: docent never refused a question its documents answer);
    - recall: of the questions that must be refused, the share refused
      (1.0: no unanswerable question got a grounded answer).

    Either is None when its denominator is 0 (nothing refused; nothing to refuse).
    Questions that ended in an error are neither refused nor answered.
    """

    must: int  # questions that must be refused
    refused: int  # questions refused
    refused_must: int  # refused, and must be
    refused_may: int  # refused, and may be

    @property
    def precision(self) -> float | None:
        return ratio(self.refused_must + self.refused_may, self.refused)

    @property
    def recall(self) -> float | None:
        return ratio(self.refused_must, self.must)


def refusals(outcomes: Iterable[tuple[bool, bool, bool]]) -> Refusals:
    """`Refusals` from (must refuse, may refuse, refused) triples, one per question."""
    must = refused = refused_must = refused_may = 0
    for must_refuse, may_refuse, did in outcomes:
        must += must_refuse
        refused += did
        refused_must += did and must_refuse
        refused_may += did and may_refuse and not must_refuse
    return Refusals(must=must, refused=refused, refused_must=refused_must, refused_may=refused_may)
