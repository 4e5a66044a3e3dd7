"""Option B: tantivy (tantivy-py, BM25) + usearch (HNSW and exact kNN).

    <cache>/venv-B/bin/python benchmarks/engines/eng_tantivy.py [--quick]

Measures keyword variants (tantivy analysers, Python pre-analysis), exact and HNSW kNN,
hybrid RRF, what filtering usearch offers, HNSW at ~100k vectors, and tantivy's writer lock
and reader visibility across processes. Writes results/B.json (B_quick.json with --quick).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import numpy as np
import tantivy
import usearch
import usearch.index as ui

from common import (
    DIM,
    STOP_NLTK,
    Bench,
    command_line,
    finish,
    make_analyzer,
    owner_of,
    pct,
    recall_vs_exact,
    scratch,
    tile_vectors,
    timed,
    words,
)

BASE = scratch("B")


def analyzers() -> dict:
    T, F = tantivy.Tokenizer, tantivy.Filter

    def simple_stemmed(stop_filter):
        return (
            tantivy.TextAnalyzerBuilder(T.simple())
            .filter(F.remove_long(40))
            .filter(F.lowercase())
            .filter(stop_filter)
            .filter(F.stemmer("english"))
            .build()
        )

    return {
        "stop_en_builtin": simple_stemmed(F.stopword("english")),
        "stop_nltk": simple_stemmed(F.custom_stopword(sorted(STOP_NLTK))),
    }


def make_index(path: str, tokenizer_name: str) -> tantivy.Index:
    schema = tantivy.SchemaBuilder()
    # Document(id=int) makes an i64, which an unsigned field rejects ("Expected a U64")
    schema.add_integer_field("id", stored=True, fast=True, indexed=True)
    schema.add_text_field("owner", stored=False, tokenizer_name="raw")
    schema.add_text_field("body", stored=False, tokenizer_name=tokenizer_name)
    index = tantivy.Index(schema.build(), path=path, reuse=True)
    for name, analyzer in analyzers().items():  # not persisted: register on every Index
        index.register_tokenizer(name, analyzer)
    return index


def quoted(terms: list[str]) -> str:
    """Every term quoted: the query language treats + - : ( ) [ ] { } ^ " ~ * ? \\ / AND OR NOT."""
    return " ".join('"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in terms)


def main(quick: bool) -> None:
    bench = Bench.load()
    V, Q, ids, qtexts, qidx = bench.V, bench.Q, bench.ids, bench.qtexts, bench.qidx
    an = make_analyzer(STOP_NLTK)
    shutil.rmtree(BASE, ignore_errors=True)
    BASE.mkdir()
    R = {
        "engine": "B: tantivy + usearch",
        "versions": {"tantivy": tantivy.__version__, "usearch": usearch.__version__},
        "keyword": {},
        "notes": [],
    }

    # ---------------- keyword ----------------
    variants = [  # (label, tokenizer, text transform, query terms)
        ("tantivy en_stem (no stop words)", "en_stem", None, words),
        (
            "tantivy simple+lowercase+stopword(english)+stemmer(english)",
            "stop_en_builtin",
            None,
            words,
        ),
        (
            "tantivy simple+lowercase+custom_stopword(NLTK)+stemmer(english)",
            "stop_nltk",
            None,
            words,
        ),
        ("tantivy whitespace on pre-analysed text (NLTK stop + Snowball)", "whitespace", an, an),
    ]
    searches = {}
    for label, tokenizer, transform, query_terms in variants:
        path = BASE / tokenizer
        path.mkdir()
        index = make_index(str(path), tokenizer)
        start = time.perf_counter()
        writer = index.writer(heap_size=100_000_000, num_threads=1)
        for i, (_, title, text) in enumerate(bench.corpus):
            body = f"{title} {text}"
            if transform:
                body = " ".join(transform(body))
            writer.add_document(tantivy.Document(id=i, owner=owner_of(i), body=body))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        build_s = time.perf_counter() - start
        searcher = index.searcher()

        def search(qtext, index=index, searcher=searcher, query_terms=query_terms, n=100):
            terms = query_terms(qtext)
            if not terms:
                return []
            hits = searcher.search(index.parse_query(quoted(terms), ["body"]), n, count=False).hits
            # ids from the fast field: no stored-document fetch
            return [ids[v] for v in searcher.fast_field_values("id", [a for _, a in hits])]

        res, lat = timed(search, qtexts)
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        R["keyword"][label] = bench.score(
            res, lat, build_s=round(build_s, 2), index_mb=round(size / 1e6, 2)
        )
        print(label, R["keyword"][label], flush=True)
        searches[label] = search
        if tokenizer == "en_stem":  # raw user text straight into the query parser
            strict = 0
            for text in qtexts:
                try:
                    index.parse_query(text, ["body"])
                except ValueError:
                    strict += 1
            lenient = sum(1 for t in qtexts if index.parse_query_lenient(t, ["body"])[1])
            R["notes"].append(
                f"parse_query(raw query text) raised on {strict}/{len(qtexts)} SciFact queries; "
                f"parse_query_lenient reported errors on {lenient}/{len(qtexts)}; "
                "quoting each word avoids both"
            )
    best = max(R["keyword"], key=lambda k: R["keyword"][k]["ndcg10"])
    R["best_keyword"] = best

    # ---------------- semantic: exact, then the default HNSW index ----------------
    exact_ref = bench.exact_top10()

    def exact(qi, k=10):
        return [ids[int(j)] for j in ui.search(V, Q[qi], k, "cos", exact=True, threads=1).keys]

    res, lat = timed(exact, qidx)
    R["semantic_exact"] = bench.score(
        res, lat, exact_ref, mode="usearch.index.search(exact=True, threads=1)"
    )
    start = time.perf_counter()
    index = ui.Index(ndim=DIM, metric="cos")
    index.add(np.arange(len(V)), V, threads=1)
    build_s = time.perf_counter() - start
    R["semantic_index_mb"] = round(index.serialized_length / 1e6, 2)
    R["versions"]["usearch_index_defaults"] = {
        "dtype": str(index.dtype),
        "connectivity": index.connectivity,
        "expansion_add": index.expansion_add,
        "expansion_search": index.expansion_search,
    }

    def hnsw(qi, k=10):
        return [ids[int(j)] for j in index.search(Q[qi], k, threads=1).keys]

    res, lat = timed(hnsw, qidx)
    R["semantic_ann"] = bench.score(
        res, lat, exact_ref,
        build_s=round(build_s, 2), mode="usearch HNSW, default Index(ndim=384, metric=cos)",
    )  # fmt: skip
    print("semantic", R["semantic_exact"], R["semantic_ann"], flush=True)

    # ---------------- hybrid RRF (HNSW for the vector side) ----------------
    R["hybrid"] = bench.hybrid(
        searches[best], lambda qi: hnsw(qi, 100), keyword_variant=best, vector="HNSW"
    )
    print("hybrid", R["hybrid"], flush=True)

    # ---------------- filters: usearch has none, so post-filter or brute force ----------------
    owners = np.array([owner_of(i) for i in range(len(V))])
    kept = [
        sum(owners[int(j)] == "rare" for j in index.search(Q[qi], 100, threads=1).keys)
        for qi in qidx
    ]
    subset = V[owners == "rare"]
    lat = []
    for qi in qidx:
        start = time.perf_counter()
        ui.search(subset, Q[qi], 10, "cos", exact=True, threads=1)
        lat.append((time.perf_counter() - start) * 1000)
    post_filter = (
        "HNSW over-fetch 100 then post-filter owner='rare' (11 rows): mean results kept (want 10)"
    )
    R["filters"] = {
        "python_index_methods_with_filter_in_name": [
            n for n in dir(index) if "filter" in n.lower()
        ],
        post_filter: round(float(np.mean(kept)), 2),
        "exact search on V[owner=='rare'] subset, lat_ms": pct(lat),
    }
    print(R["filters"], flush=True)
    finish("B", R, quick, lambda: scale_test(V, Q), mp_test)


def scale_test(V, Q, nq=100) -> dict:
    """HNSW (build, latency, recall) and usearch exact search over ~100k vectors."""
    X = tile_vectors(V)
    start = time.perf_counter()
    index = ui.Index(ndim=DIM, metric="cos")
    index.add(np.arange(len(X)), X, threads=1)
    build_s = time.perf_counter() - start
    res, lat = timed(lambda qi: index.search(Q[qi], 10, threads=1).keys, list(range(nq)))
    _, lat_exact = timed(
        lambda qi: ui.search(X, Q[qi], 10, "cos", exact=True, threads=1), list(range(nq))
    )
    return {
        "n": len(X),
        "hnsw_build_s_1thread": round(build_s, 1),
        "hnsw_lat_ms": pct(lat),
        "hnsw_recall10_vs_exact": recall_vs_exact(X, Q, res),
        "usearch_exact_lat_ms": pct(lat_exact),
    }


def mp_child(path: str, mode: str) -> None:
    """Child process: try to open a second writer, or search and report the doc counts seen."""
    index = make_index(path, "en_stem")
    if mode == "writer":
        try:
            index.writer(heap_size=15_000_000, num_threads=1)
            print(json.dumps({"second_writer": "ok"}))
        except Exception as e:
            print(json.dumps({"second_writer": f"{type(e).__name__}: {e}"}))
        return
    seen, n, errors = set(), 0, 0
    end = time.time() + 3
    while time.time() < end:
        try:
            index.reload()
            searcher = index.searcher()
            searcher.search(index.parse_query('"protein"', ["body"]), 100)
            seen.add(searcher.num_docs)
            n += 1
        except Exception:
            errors += 1
    print(json.dumps({"searches": n, "errors": errors, "num_docs_seen": sorted(seen)}))


def mp_test() -> dict:
    """This process holds the writer and commits; one child tries a second writer, another reads."""
    path = str(BASE / "en_stem")
    index = make_index(path, "en_stem")
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    child = [sys.executable, __file__, "--mp-child", path]
    second = subprocess.run([*child, "writer"], capture_output=True, text=True, check=True)
    reader = subprocess.Popen([*child, "reader"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    commits, end = 0, time.time() + 2
    while time.time() < end:
        writer.add_document(
            tantivy.Document(id=100000 + commits, owner="u1", body="new protein doc")
        )
        writer.commit()
        commits += 1
    read = json.loads(reader.communicate()[0])
    del writer
    return {
        "second_process_writer": json.loads(second.stdout)["second_writer"],
        "writer_commits": commits,
        "reader_process": read,
    }


if __name__ == "__main__":
    command_line(__doc__, main, mp_child, "--mp-child", nargs=2, metavar=("PATH", "MODE"))
