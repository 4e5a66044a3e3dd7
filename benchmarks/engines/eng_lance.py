"""Option C: LanceDB (native FTS/BM25 and vector search, embedded).

    <cache>/venv-C/bin/python benchmarks/engines/eng_lance.py [--quick]

Measures keyword variants (LanceDB FTS options, Python pre-analysis), flat (exact) and the
default IVF_PQ index, tuned IVF_PQ, hybrid RRF (ours and LanceDB's RRFReranker), pre- and
post-filtered kNN, flat search at ~100k vectors, and a reader process next to a writer
process. Writes results/C.json (C_quick.json with --quick).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from datetime import timedelta

import numpy as np
import pyarrow as pa

from common import (
    DIM,
    STOP_NLTK,
    Bench,
    command_line,
    exact_filtered,
    finish,
    make_analyzer,
    owner_of,
    pct,
    recall_vs_exact,
    scratch,
    tile_vectors,
    timed,
)

# must be set before lancedb loads: silences a per-query "_distance autoprojection" warning
os.environ.setdefault("LANCEDB_LOG", "error")
import lancedb
from lancedb.rerankers import RRFReranker

warnings.filterwarnings("ignore")
PATH = scratch("C")


def dir_mb(path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


def vector_column(X) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(X.reshape(-1), pa.float32()), DIM)


def arrow_table(corpus, V, an) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(range(len(corpus)), pa.int64()),
            "ext_id": [c[0] for c in corpus],
            "owner": [owner_of(i) for i in range(len(corpus))],
            "text": [f"{title} {text}" for _, title, text in corpus],
            "text_an": [" ".join(an(f"{title} {text}")) for _, title, text in corpus],
            "vector": vector_column(V),
        }
    )


def main(quick: bool) -> None:
    bench = Bench.load()
    V, Q, ids, qtexts, qidx = bench.V, bench.Q, bench.ids, bench.qtexts, bench.qidx
    an = make_analyzer(STOP_NLTK)
    shutil.rmtree(PATH, ignore_errors=True)
    db = lancedb.connect(PATH)
    start = time.perf_counter()
    tbl = db.create_table("docs", data=arrow_table(bench.corpus, V, an))
    R = {
        "engine": "C: LanceDB",
        "versions": {"lancedb": lancedb.__version__, "pyarrow": pa.__version__},
        "keyword": {},
        "create_table_s": round(time.perf_counter() - start, 2),
    }

    # ---------------- keyword ----------------
    def fts(column, query_text, n=100):
        def search(qtext):
            text = query_text(qtext)
            if not text:
                return []
            hits = tbl.search(text, query_type="fts", fts_columns=column).limit(n).select(["id"])
            return [ids[i] for i in hits.to_arrow()["id"].to_pylist()]

        return search

    variants = [  # (label, column, create_fts_index options, query text)
        (
            "lancedb FTS defaults (simple tok, lower, English stem + stop words, ascii fold), "
            "raw query text",
            "text",
            {},
            lambda q: q,
        ),
        (
            "lancedb FTS stem, no stop words, raw query text",
            "text",
            {"remove_stop_words": False},
            lambda q: q,
        ),
        (
            "lancedb FTS whitespace tok on pre-analysed text (NLTK stop + Snowball)",
            "text_an",
            {
                "base_tokenizer": "whitespace",
                "stem": False,
                "remove_stop_words": False,
                "lower_case": False,
                "ascii_folding": False,
            },
            lambda q: " ".join(an(q)),
        ),
    ]
    searches = {}
    for label, column, options, query_text in variants:
        start = time.perf_counter()
        tbl.create_fts_index(column, replace=True, **options)
        build_s = time.perf_counter() - start
        search = fts(column, query_text)
        try:
            res, lat = timed(search, qtexts)
            R["keyword"][label] = bench.score(res, lat, build_s=round(build_s, 2))
        except Exception as e:
            R["keyword"][label] = {"error": f"{type(e).__name__}: {e}"[:300]}
        print(label, R["keyword"][label], flush=True)
        searches[label] = (search, column, options)
    scored = {k: v for k, v in R["keyword"].items() if "ndcg10" in v}
    best = max(scored, key=lambda k: scored[k]["ndcg10"])
    R["best_keyword"] = best
    keyword_best, column, options = searches[best]
    tbl.create_fts_index(column, replace=True, **options)  # a later variant may have replaced it

    # ---------------- semantic: flat scan (exact) ----------------
    exact_ref = bench.exact_top10()

    def vs(qi, k=10, where=None, prefilter=True, flat=False):
        query = tbl.search(Q[qi], vector_column_name="vector").distance_type("cosine")
        query = query.limit(k).select(["id"])
        if where:
            query = query.where(where, prefilter=prefilter)
        if flat:
            query = query.bypass_vector_index()
        return query.to_arrow()["id"].to_pylist()

    def semantic(search, **extra):
        res, lat = timed(search, qidx)
        return bench.score(res, lat, exact_ref, **extra)

    R["semantic_exact"] = semantic(lambda qi: [ids[i] for i in vs(qi)], mode="flat scan (no index)")
    print("semantic flat", R["semantic_exact"], flush=True)

    # ---------------- hybrid: our RRF, then LanceDB's own ----------------
    R["hybrid"] = bench.hybrid(
        keyword_best, lambda qi: [ids[i] for i in vs(qi, 100)], keyword_variant=best, vector="flat"
    )
    print("hybrid", R["hybrid"], flush=True)
    reranker = RRFReranker(K=60)

    def native_hybrid(qi):
        text = qtexts[qi] if column == "text" else " ".join(an(qtexts[qi]))
        query = tbl.search(query_type="hybrid", vector_column_name="vector", fts_columns=column)
        query = query.vector(Q[qi]).text(text).distance_type("cosine").limit(100).rerank(reranker)
        return [ids[i] for i in query.to_arrow()["id"].to_pylist()]

    try:
        R["hybrid_native_rrf"] = bench.score(*timed(native_hybrid, qidx))
    except Exception as e:
        R["hybrid_native_rrf"] = {"error": f"{type(e).__name__}: {e}"[:300]}
    print("native hybrid", R["hybrid_native_rrf"], flush=True)

    # ---------------- filtered kNN, checked against numpy over the allowed rows ----------------
    owners = np.array([owner_of(i) for i in range(len(V))])

    def filter_test(where, mask_fn, prefilter=True, flat=True):
        full, recall, lat = [], [], []
        for qi in qidx:
            start = time.perf_counter()
            got = vs(qi, 10, where(qi), prefilter, flat)
            lat.append((time.perf_counter() - start) * 1000)
            ref = exact_filtered(V, Q[qi], mask_fn(qi)).tolist()
            full.append(len(got) == len(ref))
            recall.append(len(set(got) & set(ref)) / len(ref) if ref else float(not got))
        return {
            "full_k_returned_frac": round(float(np.mean(full)), 4),
            "recall_vs_exact_filtered": round(float(np.mean(recall)), 4),
            "lat_ms": pct(lat),
        }

    rnd = np.random.default_rng(0)
    sets = {qi: sorted(rnd.choice(len(V), 50, replace=False).tolist()) for qi in qidx}

    def id_in(qi):
        return f"id IN ({','.join(map(str, sets[qi]))})"

    def idmask(qi):
        mask = np.zeros(len(V), bool)
        mask[sets[qi]] = True
        return mask

    def u3(qi):
        return owners == "u3"

    def rare(qi):
        return owners == "rare"

    F = {
        "flat, where owner='u3', prefilter": filter_test(lambda qi: "owner = 'u3'", u3),
        "flat, where owner='rare' (11 rows), prefilter": filter_test(
            lambda qi: "owner = 'rare'", rare
        ),
        "flat, where owner='rare', postfilter": filter_test(
            lambda qi: "owner = 'rare'", rare, prefilter=False
        ),
        "flat, where id IN (50 ids), prefilter": filter_test(id_in, idmask),
    }

    # ---------------- default ANN index (IVF_PQ), then tuned ----------------
    try:
        start = time.perf_counter()
        tbl.create_index(metric="cosine", vector_column_name="vector")
        build_s = round(time.perf_counter() - start, 2)
        vector_indices = [i for i in tbl.list_indices() if "vector" in list(i.columns)]
        described = [str(i) for i in vector_indices]
        try:
            described.append(str(tbl.index_stats(vector_indices[0].name)))
        except Exception as e:
            described.append(repr(e))
        R["semantic_ann"] = semantic(
            lambda qi: [ids[i] for i in vs(qi)],
            build_s=build_s,
            index=" | ".join(described)[:1200],
        )

        def tuned(qi):
            query = tbl.search(Q[qi], vector_column_name="vector").distance_type("cosine")
            query = query.limit(10).nprobes(50).refine_factor(10).select(["id"])
            return [ids[i] for i in query.to_arrow()["id"].to_pylist()]

        R["semantic_ann_tuned"] = semantic(tuned, mode="same IVF_PQ, nprobes=50, refine_factor=10")
        print("ann tuned", R["semantic_ann_tuned"], flush=True)
        F["IVF_PQ index, where owner='u3', prefilter"] = filter_test(
            lambda qi: "owner = 'u3'", u3, flat=False
        )
        F["IVF_PQ index, where owner='rare', prefilter"] = filter_test(
            lambda qi: "owner = 'rare'", rare, flat=False
        )
        F["IVF_PQ index, where id IN (50 ids), prefilter"] = filter_test(id_in, idmask, flat=False)
    except Exception as e:
        R["semantic_ann"] = {"error": f"{type(e).__name__}: {e}"[:400]}
    print("ann", R["semantic_ann"], flush=True)
    R["filters"] = F
    print(json.dumps(F, indent=1), flush=True)
    R["disk_mb"] = dir_mb(PATH)
    finish("C", R, quick, lambda: scale_test(V, Q), lambda: mp_test(bench.queries, Q))


def scale_test(V, Q, nq=100) -> dict:
    """Flat search over ~100k vectors."""
    X = tile_vectors(V)
    path = scratch("C100k")
    shutil.rmtree(path, ignore_errors=True)
    db = lancedb.connect(path)
    start = time.perf_counter()
    data = pa.table({"id": pa.array(range(len(X)), pa.int64()), "vector": vector_column(X)})
    table = db.create_table("v", data=data)
    create_s = time.perf_counter() - start

    def search(qi):
        query = table.search(Q[qi]).distance_type("cosine").limit(10).select(["id"])
        return query.to_arrow()["id"].to_pylist()

    res, lat = timed(search, list(range(nq)))
    shutil.rmtree(path, ignore_errors=True)
    return {
        "n": len(X),
        "create_s": round(create_s, 1),
        "flat_lat_ms": pct(lat),
        "flat_recall10_vs_numpy": recall_vs_exact(X, Q, res),
    }


def mp_writer(seconds: float) -> None:
    """Child process: append single rows to the docs table."""
    table = lancedb.connect(PATH).open_table("docs")
    rng = np.random.default_rng(1)
    n, errors, end = 0, [], time.time() + seconds
    while time.time() < end:
        v = rng.normal(size=DIM).astype(np.float32)
        v /= np.linalg.norm(v)
        row = {
            "id": pa.array([100000 + n], pa.int64()),
            "ext_id": [f"new{n}"],
            "owner": ["u1"],
            "text": ["new protein doc"],
            "text_an": ["new protein doc"],
            "vector": vector_column(v),
        }
        try:
            table.add(pa.table(row))
            n += 1
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}"[:200])
    print(json.dumps({"writes": n, "errors": len(errors), "first_error": errors[:1]}))


def mp_test(queries, Q, seconds=4.0) -> dict:
    """This process searches (kNN + FTS) while a writer process appends rows."""
    db = lancedb.connect(PATH, read_consistency_interval=timedelta(0))  # latest version per read
    table = db.open_table("docs")
    before, version = table.count_rows(), table.version
    writer = subprocess.Popen(
        [sys.executable, __file__, "--mp-writer", str(seconds)], stdout=subprocess.PIPE, text=True
    )
    time.sleep(0.5)
    n, errors, seen = 0, [], set()
    end = time.time() + seconds - 0.5
    while time.time() < end:
        try:
            table.search(Q[n % len(Q)]).distance_type("cosine").limit(100).select(["id"]).to_arrow()
            text = queries[n % len(queries)][1]
            table.search(text, query_type="fts", fts_columns="text").limit(100).select(
                ["id"]
            ).to_arrow()
            seen.add(table.count_rows())
            n += 1
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}"[:200])
    written = json.loads(writer.communicate()[0])
    return {
        "reader_hybrid_searches": n,
        "reader_errors": len(errors),
        "reader_first_error": errors[:1],
        "writer": written,
        "distinct_row_counts_seen_by_reader": len(seen),
        "rows_before": before,
        "rows_after": table.count_rows(),
        "versions_created": table.version - version,
        "disk_mb_after": dir_mb(PATH),
    }


if __name__ == "__main__":
    command_line(__doc__, main, mp_writer, "--mp-writer", type=float, metavar="SECONDS")
