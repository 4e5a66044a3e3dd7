"""Calibrate an embedder's `similarity_floor` on a QA set: the cosine from which the
grounding gate (answering/grounding.py) takes a passage as evidence by similarity alone.

For every question it asks the server for the SEMANTIC top-k passages and keeps the best
cosine of a passage in the question's language (the same-language floor), and of one in
another language of the same script (the `cross_language_floor`; the gate ignores other
scripts), both only for questions and passages in `--languages` (the embedder's, when it
declares them), then prints the distribution for answerable and for unanswerable
questions, and each floor: the smallest figure, rounded up to the `--step`, above every
unanswerable question's best cosine (the issue's hard rule: no off-topic question answered
as grounded), with how many answerable questions reach it.

    python benchmarks/similarity_floor.py --qa eval/devset/questions.jsonl \\
        --data-dir /tmp/eval-e5 [--env DOCENT_EMBEDDER=local] [--json out.json]

`--data-dir` is a `docent eval answers --data-dir` directory whose documents are ingested
(the server is started over it), or give `--url` of a running docent.

`--agreement` also measures the agreement floor (`answering/agreement.py`): per question,
HYBRID's first passage (top 5, as answers retrieve) when it is also SEMANTIC's first and
KEYWORD search scored it, and `agrees` holds of it at any cosine; its cosine, for
answerable, near-miss and off-topic questions, and the floor above every unanswerable one.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import statistics
import sys
from pathlib import Path
from typing import Any

from docent.answering.agreement import agrees
from docent.answering.clues import Clues
from docent.answering.grounding import names_and_codes, script
from docent.client import DocentClient
from docent.domain import Chunk, Hit
from docent.evaluation.qa import Question, load_questions
from docent.evaluation.server import EmbeddedServer
from docent.search import languages as lang

from common import arguments

SEARCH = """query Search($input: SearchInput!) { search(input: $input) {
  hits { semanticScore chunk { text } document { filename } } } }"""
AGREEMENT_SEARCH = """query Search($input: SearchInput!) { search(input: $input) {
  hits { semanticScore keywordScore score
         chunk { id documentId ordinal text section } document { title } } } }"""


async def agreement_cosines(url: str, questions: list[Question]) -> list[dict[str, Any]]:
    """Per question, the cosine of HYBRID's first passage when it would be agreement
    evidence at any cosine (`agreement.agrees` with a floor of 0), else None."""
    rows = []
    async with DocentClient(url) as client:
        for q in questions:
            found = {}
            for mode, top_k in (("HYBRID", 5), ("SEMANTIC", 1)):
                data = await client.execute(
                    AGREEMENT_SEARCH,
                    {"input": {"query": q.question, "mode": mode, "topK": top_k}},
                )
                found[mode] = data["search"]["hits"]
            cosine = None
            if found["HYBRID"] and found["SEMANTIC"]:
                first = found["HYBRID"][0]
                chunk = first["chunk"]
                hit = Hit(
                    Chunk(
                        chunk["id"],
                        chunk["documentId"],
                        chunk["ordinal"],
                        chunk["text"],
                        section=chunk["section"],
                    ),
                    first["document"]["title"],
                    first["score"],
                    keyword_score=first["keywordScore"],
                    semantic_score=first["semanticScore"],
                )
                closest = found["SEMANTIC"][0]["chunk"]["text"]
                if agrees(q.question, Clues.of(q.question), hit, closest=closest, floor=0.0):
                    cosine = first["semanticScore"]
            rows.append(
                {
                    "id": q.id,
                    "unanswerable": q.unanswerable,
                    "off_topic": q.kind == "unanswerable",
                    "agreement": cosine,
                }
            )
    return rows


def agreement_report(rows: list[dict[str, Any]], step: float) -> dict[str, Any]:
    """The agreeing cosines of answerable, near-miss and off-topic questions, and the
    floor: the step above the highest unanswerable one."""
    groups = {
        "answerable": [r for r in rows if not r["unanswerable"]],
        "near-miss": [r for r in rows if r["unanswerable"] and not r["off_topic"]],
        "off-topic": [r for r in rows if r["off_topic"]],
    }
    report: dict[str, Any] = {}
    for name, group in groups.items():
        values = sorted(r["agreement"] for r in group if r["agreement"] is not None)
        report[name] = {"agreeing": len(values), "of": len(group), "cosines": values}
    refused = report["near-miss"]["cosines"] + report["off-topic"]["cosines"]
    ceiling = max(refused, default=0.0)
    floor = round(math.floor(ceiling / step + 1.0) * step, 4)
    report["floor"] = floor
    report["answerable_at_floor"] = sum(v >= floor for v in report["answerable"]["cosines"])
    return report


async def best_cosines(
    url: str,
    questions: list[Question],
    top_k: int,
    known: frozenset[str] | None = None,
    latin_only: bool = False,
) -> list[dict[str, Any]]:
    """Per question: the best cosine of a passage in the question's script, of one in its
    language and of one in another language of its script (both in `known`), of one in
    another script (with `latin_only`: holding one of the question's names or codes as
    written, `latin_signs`; all of them when it has none), and of any."""
    rows = []
    async with DocentClient(url) as client:
        for q in questions:
            data = await client.execute(
                SEARCH, {"input": {"query": q.question, "mode": "SEMANTIC", "topK": top_k}}
            )
            hits = data["search"]["hits"]
            own = script(q.question)
            signs = latin_signs(q.question) if latin_only else []
            same = [h["semanticScore"] for h in hits if script(h["chunk"]["text"]) == own]
            asked_in = lang.detect(q.question).language
            other_script = [
                h["semanticScore"]
                for h in hits
                if script(h["chunk"]["text"]) not in (own, None)
                and (not signs or any(_has_sign(h["chunk"]["text"], sign) for sign in signs))
            ]
            own_language, other_language = [], []
            for h in hits:
                written_in = lang.detect(h["chunk"]["text"]).language
                if script(h["chunk"]["text"]) != own or (
                    known is not None and not {asked_in, written_in} <= known
                ):
                    continue
                group = own_language if written_in == asked_in else other_language
                group.append(h["semanticScore"])
            rows.append(
                {
                    "id": q.id,
                    "language": q.language,
                    "unanswerable": q.unanswerable,
                    "best_same_script": max(same) if same else None,
                    "best_same_language": max(own_language, default=None),
                    "best_other_language": max(other_language, default=None),
                    "best_other_script": max(other_script, default=None),
                    "best_any": max((h["semanticScore"] for h in hits), default=None),
                    "best_document": hits[0]["document"]["filename"] if hits else None,
                    "lead": lead(hits, own),
                    "off_topic": q.kind == "unanswerable",
                    "document": q.document,
                }
            )
    return rows


def lead(hits: list[dict[str, Any]], own: str | None) -> float | None:
    """How much the best passage in the question's script beats the best passage of any
    other document (the gate's `semantic_lead`, there over every script)."""
    same = [h for h in hits if script(h["chunk"]["text"]) == own]
    if not same:
        return None
    first = same[0]["document"]["filename"]
    others = [h["semanticScore"] for h in same if h["document"]["filename"] != first]
    return float(same[0]["semanticScore"] - (max(others) if others else same[-1]["semanticScore"]))


def leave_one_document_out(rows: list[dict[str, Any]], step: float, key: str) -> dict[str, Any]:
    """Each floor recomputed without one document's questions (`summary`), and how many of
    that document's answerable questions reach it: the floor's cross-validated figure."""
    documents = sorted({r["document"] or "-" for r in rows})
    floors, reached, total = [], 0, 0
    for document in documents:
        train = [r for r in rows if (r["document"] or "-") != document]
        floor = summary(train, step, key)["floor"]
        floors.append(floor)
        for r in rows:
            if (r["document"] or "-") == document and not r["unanswerable"] and r[key] is not None:
                total += 1
                reached += r[key] >= floor
    return {"floors": [min(floors), max(floors)], "reached": reached, "total": total}


def latin_signs(question: str) -> list[str]:
    """The question's names and codes in Latin letters, case-folded ("kj-300", "qingfeng"):
    what a passage in another script may still write as the question does. Bare numbers
    ("2025") are left out: a year is in most documents."""
    return [n.casefold() for n in names_and_codes(question) if script(n) == "LATIN"]


def _has_sign(text: str, sign: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(sign)}(?!\w)", text.casefold()) is not None


def summary(rows: list[dict[str, Any]], step: float, key: str) -> dict[str, Any]:
    def figures(values: list[float]) -> dict[str, float]:
        if not values:
            return {}
        ordered = sorted(values)
        return {
            "n": len(ordered),
            "min": ordered[0],
            "p10": ordered[len(ordered) // 10],
            "median": statistics.median(ordered),
            "p90": ordered[(len(ordered) * 9) // 10],
            "max": ordered[-1],
        }

    answerable = [r[key] for r in rows if not r["unanswerable"]]
    refused = [r[key] for r in rows if r["unanswerable"]]
    answerable = [v for v in answerable if v is not None]
    refused = [v for v in refused if v is not None]
    ceiling = max(refused, default=0.0)
    # strictly above the highest off-topic cosine, on the step's grid
    floor = math.floor(ceiling / step + 1.0) * step
    return {
        "answerable": figures(answerable),
        "unanswerable": figures(refused),
        "highest_unanswerable": ceiling,
        "floor": round(floor, 4),
        "answerable_at_floor": sum(v >= floor for v in answerable),
        "answerable_total": len(answerable),
    }


async def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--qa", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--url")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--step", type=float, default=0.005)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--languages", help="the embedder's languages, e.g. en (default: any)")
    parser.add_argument(
        "--latin-signs",
        action="store_true",
        help="other-script passages only when they hold the question's Latin names or codes",
    )
    parser.add_argument("--agreement", action="store_true", help="also measure the agreement floor")
    args = parser.parse_args()
    known = frozenset(args.languages.split(",")) if args.languages else None
    questions = load_questions(args.qa)
    agreeing: list[dict[str, Any]] = []

    async def measure(url: str) -> list[dict[str, Any]]:
        if args.agreement:
            agreeing.extend(await agreement_cosines(url, questions))
        return await best_cosines(url, questions, args.top_k, known, args.latin_signs)

    if args.url:
        rows = await measure(args.url)
    elif args.data_dir:
        settings = dict(item.split("=", 1) for item in args.env)
        server = EmbeddedServer(args.data_dir, settings)
        await asyncio.to_thread(server.start)
        try:
            rows = await measure(server.url)
        finally:
            await asyncio.to_thread(server.stop)
    else:
        sys.exit("give --data-dir or --url")
    results = {}
    for key in ("best_same_language", "best_other_language", "best_other_script"):
        result = results[key] = summary(rows, args.step, key)
        print(key.replace("_", " "))
        for name in ("answerable", "unanswerable"):
            line = "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                             for k, v in result[name].items())  # fmt: skip
            print(f"  {name:>13}: {line}")
        print(
            f"  floor {result['floor']:.3f} (highest unanswerable"
            f" {result['highest_unanswerable']:.4f}): {result['answerable_at_floor']} of"
            f" {result['answerable_total']} answerable reach it"
        )
        folds = leave_one_document_out(rows, args.step, key)
        print(
            f"  leave one document out: floors {folds['floors'][0]:.3f}-{folds['floors'][1]:.3f},"
            f" {folds['reached']} of {folds['total']} answerable reach their fold's floor"
        )
    # The lead (`LEAD_FLOORS`): set on off-topic questions alone, whose lead is what an
    # unrelated question gets; near-miss questions lead as answerable ones do.
    off = sorted(r["lead"] for r in rows if r["off_topic"] and r["lead"] is not None)
    answerable = sorted(r["lead"] for r in rows if not r["unanswerable"] and r["lead"] is not None)
    near = sorted(
        r["lead"]
        for r in rows
        if r["unanswerable"] and not r["off_topic"] and r["lead"] is not None
    )
    if off and answerable:
        print(
            f"lead: off-topic max {off[-1]:.3f} median {statistics.median(off):.3f} (n {len(off)});"
            f" answerable median {statistics.median(answerable):.3f}"
            f" p10 {answerable[len(answerable) // 10]:.3f} (n {len(answerable)});"
            f" near-miss median {statistics.median(near) if near else float('nan'):.3f}"
        )
    if agreeing:
        report = results["agreement"] = agreement_report(agreeing, args.step)
        for name in ("answerable", "near-miss", "off-topic"):
            group = report[name]
            top = ", ".join(f"{v:.3f}" for v in group["cosines"][-3:])
            print(f"agreement {name}: {group['agreeing']} of {group['of']} agree (highest {top})")
        print(
            f"agreement floor {report['floor']:.3f}: {report['answerable_at_floor']} of"
            f" {report['answerable']['agreeing']} agreeing answerable reach it"
        )
    if args.json:
        args.json.write_text(json.dumps({"summary": results, "questions": rows}, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
