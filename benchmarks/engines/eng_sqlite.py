"""Option A: SQLite FTS5 (BM25) + sqlite-vec (vec0, exact kNN), driven through apsw.

    <cache>/venv-A/bin/python benchmarks/engines/eng_sqlite.py [--quick]

Measures keyword variants (FTS5 tokenizers, Python pre-analysis, a tunable-BM25 auxiliary
function), exact kNN, hybrid RRF, pre-filtered kNN and vec0's constraint traps, kNN
latency at ~100k vectors, and a reader process next to a writer process (WAL).
Writes results/A.json (results/A_quick.json with --quick).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time

import apsw
import apsw.fts5aux
import numpy as np
import sqlite_vec

from common import (
    STOP_LUCENE,
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
    words,
)

DB = scratch("A.db")


def connect(path: str | os.PathLike) -> apsw.Connection:
    conn = apsw.Connection(str(path))
    # apsw forbids extension loading by default: sqlite_vec.load(conn) alone fails "not authorized"
    conn.enable_load_extension(True)
    sqlite_vec.load(conn)
    conn.enable_load_extension(False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.setbusytimeout(5000)
    return conn


def remove_db(path: str | os.PathLike) -> None:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{path}{suffix}"):
            os.remove(f"{path}{suffix}")


def fts_or_query(terms: list[str]) -> str:
    """OR of quoted terms: quoting ("" escaped) keeps FTS5 from parsing AND/OR/NOT/NEAR/-/:/*."""
    quoted = ('"' + t.replace('"', '""') + '"' for t in terms)
    return " OR ".join(quoted)


def make_bm25py(k1: float, b: float):
    """FTS5 auxiliary function: apsw's Python port of bm25() with tunable k1 and b (the
    built-in bm25() has k1=1.2, b=0.75 fixed)."""

    def bm25py(api, *args):
        data = api.aux_data or apsw.fts5aux._Bm25GetData(api, args)
        length = api.column_size(-1)
        score = 0.0
        for i in range(data.nPhrase):
            f = sum(len(o) for o in api.phrase_locations(i))
            score += data.aIDF[i] * (f * (k1 + 1.0)) / (f + k1 * (1 - b + b * length / data.avgdl))
        return -score

    return bm25py


def build(conn, corpus, V, an_nltk, an_luc) -> float:
    start = time.perf_counter()
    with conn:
        conn.execute("""
        CREATE TABLE docs(id INTEGER PRIMARY KEY, ext_id TEXT UNIQUE, owner TEXT, title TEXT, text TEXT);
        -- external-content FTS5 over the docs table (no second copy of the text)
        CREATE VIRTUAL TABLE fts_porter USING fts5(title, text, content='docs', content_rowid='id',
                                                   tokenize='porter unicode61');
        -- pre-analysed tokens (lowercase, stop words, Snowball) in contentless tables
        CREATE VIRTUAL TABLE fts_an USING fts5(body, content='', contentless_delete=1, tokenize='unicode61');
        CREATE VIRTUAL TABLE fts_an_luc USING fts5(body, content='', contentless_delete=1, tokenize='unicode61');
        CREATE VIRTUAL TABLE vec_plain USING vec0(embedding float[384] distance_metric=cosine);
        CREATE VIRTUAL TABLE vec_meta USING vec0(embedding float[384] distance_metric=cosine,
                                                  owner TEXT PARTITION KEY, cat TEXT);
        CREATE TABLE docvec(id INTEGER PRIMARY KEY, owner TEXT, emb BLOB);
        """)
        for i, (did, title, text) in enumerate(corpus):
            rid, body, blob = i + 1, f"{title} {text}", V[i].tobytes()
            conn.execute("INSERT INTO docs VALUES(?,?,?,?,?)", (rid, did, owner_of(i), title, text))
            conn.execute(
                "INSERT INTO fts_porter(rowid,title,text) VALUES(?,?,?)", (rid, title, text)
            )
            conn.execute(
                "INSERT INTO fts_an(rowid,body) VALUES(?,?)", (rid, " ".join(an_nltk(body)))
            )
            conn.execute(
                "INSERT INTO fts_an_luc(rowid,body) VALUES(?,?)", (rid, " ".join(an_luc(body)))
            )
            conn.execute("INSERT INTO vec_plain(rowid,embedding) VALUES(?,?)", (rid, blob))
            conn.execute(
                "INSERT INTO vec_meta(rowid,embedding,owner,cat) VALUES(?,?,?,?)",
                (rid, blob, owner_of(i), f"c{i % 7}"),
            )
            conn.execute("INSERT INTO docvec VALUES(?,?,?)", (rid, owner_of(i), blob))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - start


def table_sizes_mb(conn) -> dict[str, float]:
    """On-disk MB per logical table (dbstat), shadow tables included."""
    pages = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())

    def size(table: str) -> float:
        total = sum(v for k, v in pages.items() if k == table or k.startswith(table + "_"))
        return round(total / 1e6, 2)

    return {t: size(t) for t in ("docs", "fts_porter", "fts_an", "vec_plain", "vec_meta", "docvec")}


def main(quick: bool) -> None:
    bench = Bench.load()
    corpus, V, Q, ids, qtexts = bench.corpus, bench.V, bench.Q, bench.ids, bench.qtexts
    an_nltk, an_luc = make_analyzer(STOP_NLTK), make_analyzer(STOP_LUCENE)
    remove_db(DB)
    conn = connect(DB)
    R = {
        "engine": "A: SQLite FTS5 + sqlite-vec (apsw)",
        "versions": {
            "sqlite": apsw.sqlitelibversion(),
            "apsw": apsw.apswversion(),
            "sqlite_vec": conn.execute("select vec_version()").fetchall()[0][0],
        },
        "keyword": {},
    }
    R["build_s"] = round(build(conn, corpus, V, an_nltk, an_luc), 2)
    R["db_mb_all_tables"] = round(os.path.getsize(DB) / 1e6, 1)
    # vec0 allocates whole chunks (chunk_size, default 1024 vectors) per partition
    R["table_mb"] = table_sizes_mb(conn)
    conn.register_fts5_function("bm25py", make_bm25py(0.9, 0.4))
    conn.register_fts5_function("bm25py_default", make_bm25py(1.2, 0.75))

    # ---------------- keyword ----------------
    def keyword(table, analyse, order="rank", n=100):
        sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY {order} LIMIT {n}"

        def search(qtext):
            terms = analyse(qtext)
            if not terms:
                return []
            return [ids[r - 1] for (r,) in conn.execute(sql, (fts_or_query(terms),))]

        return search

    variants = {
        "fts5 porter unicode61 (raw query words OR-ed)": keyword("fts_porter", words),
        "fts5 porter unicode61 + query stop words removed": keyword(
            "fts_porter", lambda q: [w for w in words(q) if w.lower() not in STOP_NLTK]
        ),
        "fts5 unicode61 on pre-analysed text (NLTK stop + Snowball)": keyword("fts_an", an_nltk),
        "fts5 unicode61 on pre-analysed text (Lucene stop + Snowball)": keyword(
            "fts_an_luc", an_luc
        ),
        "fts5 pre-analysed (NLTK) + Python bm25 k1=0.9 b=0.4 aux fn": keyword(
            "fts_an", an_nltk, order="bm25py(fts_an)"
        ),
        "fts5 pre-analysed (NLTK) + Python bm25 k1=1.2 b=0.75 (sanity)": keyword(
            "fts_an", an_nltk, order="bm25py_default(fts_an)"
        ),
    }
    for name, search in variants.items():
        R["keyword"][name] = bench.score(*timed(search, qtexts))
        print(name, R["keyword"][name], flush=True)
    # best among the built-in bm25() variants (the Python function is too slow to ship)
    builtin = {k: v for k, v in R["keyword"].items() if "Python bm25" not in k}
    best = max(builtin, key=lambda k: builtin[k]["ndcg10"])
    R["best_keyword"] = best

    # ---------------- semantic: exact kNN (vec0 brute force) ----------------
    def knn(table, k):
        sql = f"SELECT rowid FROM {table} WHERE embedding MATCH ? AND k = {k} ORDER BY distance"
        return lambda qi: [ids[r - 1] for (r,) in conn.execute(sql, (Q[qi].tobytes(),))]

    res, lat = timed(knn("vec_plain", 10), bench.qidx)
    R["semantic_exact"] = bench.score(res, lat, bench.exact_top10(), mode="vec0 brute force")
    _, lat = timed(knn("vec_meta", 10), bench.qidx)
    R["semantic_exact"]["lat_ms_vec0_with_partition_key_unfiltered"] = pct(lat)
    print("semantic", R["semantic_exact"], flush=True)

    # ---------------- hybrid RRF ----------------
    R["hybrid"] = bench.hybrid(
        variants[best], knn("vec_plain", 100), keyword_variant=best, vector="exact"
    )
    print("hybrid", R["hybrid"], flush=True)

    # ---------------- filtered kNN and traps ----------------
    R["filters"] = filter_tests(conn, V, Q, bench.qidx)
    print(json.dumps(R["filters"], indent=1), flush=True)
    R["traps"] = trap_tests(conn, V, Q)
    errors = []
    for text in qtexts:  # raw user text as an FTS5 MATCH expression
        try:
            conn.execute(
                "SELECT rowid FROM fts_porter WHERE fts_porter MATCH ? LIMIT 1", (text,)
            ).fetchall()
        except apsw.SQLError as e:
            errors.append(str(e)[:80])
    R["traps"]["raw query text as FTS5 MATCH"] = {
        "queries_raising": len(errors),
        "examples": sorted(set(errors))[:4],
    }
    print(json.dumps(R["traps"], indent=1), flush=True)
    conn.close()
    finish("A", R, quick, lambda: scale_test(V, Q), lambda: mp_test(bench.queries, Q))


def filter_tests(conn, V, Q, qidx) -> dict:
    """Pre-filtered kNN through vec0 (and a plain table), checked against numpy exact search
    over the allowed rows."""
    owners = np.array([owner_of(i) for i in range(len(V))])
    cats = np.array([f"c{i % 7}" for i in range(len(V))])
    rnd = random.Random(0)
    out = {}

    def exact_rowids(q, mask, k):
        return [int(j) + 1 for j in exact_filtered(V, q, mask, k)]

    def check(name, sql, params_fn, mask_fn, k=10, shown=None):
        """sql: the statement, or a function of the query index (per-query SQL text, shown
        in the results as `shown`)."""
        shown = " ".join((shown or sql).split())
        full, hits, lat = [], [], []
        try:
            for qi in qidx:
                statement = sql if isinstance(sql, str) else sql(qi)
                start = time.perf_counter()
                rows = [r for (r,) in conn.execute(statement, params_fn(qi))]
                lat.append((time.perf_counter() - start) * 1000)
                ref = exact_rowids(Q[qi], mask_fn(qi), k)
                full.append(len(rows) == len(ref))
                hits.append(len(set(rows) & set(ref)) / len(ref) if ref else float(not rows))
        except Exception as e:
            out[name] = {"sql": shown, "error": f"{type(e).__name__}: {e}"}
            return
        out[name] = {
            "sql": shown,
            "full_k_returned_frac": round(float(np.mean(full)), 4),
            "recall_vs_exact_filtered": round(float(np.mean(hits)), 4),
            "lat_ms": pct(lat),
        }

    def vec(qi):
        return (Q[qi].tobytes(),)

    base = "SELECT rowid FROM vec_meta WHERE embedding MATCH ? AND k = 10"
    check(
        "partition key owner=u3 (~10% rows)",
        base + " AND owner = 'u3'",
        vec,
        lambda qi: owners == "u3",
    )
    check(
        "partition key owner='rare' (11 rows)",
        base + " AND owner = 'rare'",
        vec,
        lambda qi: owners == "rare",
    )
    check("metadata cat='c2' (~14% rows)", base + " AND cat = 'c2'", vec, lambda qi: cats == "c2")
    check(
        "metadata cat IN ('c1','c2')",
        base + " AND cat IN ('c1','c2')",
        vec,
        lambda qi: np.isin(cats, ["c1", "c2"]),
    )
    sets = {qi: sorted(rnd.sample(range(1, len(V) + 1), 50)) for qi in qidx}

    def idmask(qi):
        mask = np.zeros(len(V), bool)
        mask[np.array(sets[qi]) - 1] = True
        return mask

    check(
        "rowid IN json_each(50 random ids)",
        base + " AND rowid IN (SELECT value FROM json_each(?))",
        lambda qi: (Q[qi].tobytes(), json.dumps(sets[qi])),
        idmask,
    )
    check(
        "rowid IN (literal list of 50 ids)",
        lambda qi: f"{base} AND rowid IN ({','.join(map(str, sets[qi]))})",
        vec,
        idmask,
        shown=base + " AND rowid IN (1,2,...)",
    )
    check(
        "owner='u3' AND rowid IN json_each(ids of u3 subset)",
        base + " AND owner = 'u3' AND rowid IN (SELECT value FROM json_each(?))",
        lambda qi: (Q[qi].tobytes(), json.dumps(sets[qi])),
        lambda qi: idmask(qi) & (owners == "u3"),
    )
    check(
        "metadata owner != 'u3' via partition key",
        base + " AND owner != 'u3'",
        vec,
        lambda qi: owners != "u3",
    )
    # alternative: plain table + scalar distance (full scan, any SQL filter)
    check(
        "plain table + vec_distance_cosine, WHERE owner='u3'",
        "SELECT id FROM docvec WHERE owner = 'u3' ORDER BY vec_distance_cosine(emb, ?) LIMIT 10",
        vec,
        lambda qi: owners == "u3",
    )
    check(
        "plain table + vec_distance_cosine, unfiltered",
        "SELECT id FROM docvec ORDER BY vec_distance_cosine(emb, ?) LIMIT 10",
        vec,
        lambda qi: np.ones(len(V), bool),
    )
    return out


def trap_tests(conn, V, Q) -> dict:
    """Edge cases of vec0 kNN constraints, checked against numpy exact search."""
    owners = np.array([owner_of(i) for i in range(len(V))])
    out = {}

    def run(name, sql, mask=None, k=10, nq=50):
        try:
            n_rows, exact = [], []
            for qi in range(nq):
                rows = [r[0] for r in conn.execute(sql, (Q[qi].tobytes(),))]
                n_rows.append(len(rows))
                if mask is not None:
                    top = exact_filtered(V, Q[qi], mask, k)
                    exact.append(set(rows) == {int(j) + 1 for j in top})
        except Exception as e:
            out[name] = {"error": f"{type(e).__name__}: {e}"[:240]}
            return
        out[name] = {"rows_returned_mean": float(np.mean(n_rows))}
        if mask is not None:
            out[name]["equals_exact_filtered_topk_frac"] = float(np.mean(exact))

    knn = "SELECT rowid FROM vec_meta WHERE embedding MATCH ? AND k = 10"
    knn_distance = knn.replace("SELECT rowid", "SELECT rowid, distance")
    u1u2 = np.isin(owners, ["u1", "u2"])
    run("metadata LIKE", knn + " AND cat LIKE 'c%'")
    run("metadata IS NULL", knn + " AND cat IS NULL")
    run(
        "OR across columns (owner='rare' OR cat='zz'), 11 matching rows",
        knn + " AND (owner = 'rare' OR cat = 'zz')",
        owners == "rare",
    )
    run("partition key IN ('u1','u2') with k=10", knn + " AND owner IN ('u1','u2')", u1u2)
    run(
        "partition key IN via MATERIALIZED CTE + ORDER BY distance LIMIT 10",
        f"WITH knn AS MATERIALIZED ({knn_distance} AND owner IN ('u1','u2')) "
        "SELECT rowid FROM knn ORDER BY distance LIMIT 10",
        u1u2,
    )
    run(
        "plain subquery + ORDER BY distance LIMIT 10 (gets flattened)",
        f"SELECT rowid FROM ({knn_distance} AND owner IN ('u1','u2')) ORDER BY distance LIMIT 10",
    )
    run(
        "rowid IN (subquery on docs table)",
        knn + " AND rowid IN (SELECT id FROM docs WHERE owner = 'u3')",
        owners == "u3",
    )
    run("k = 5000", "SELECT rowid FROM vec_plain WHERE embedding MATCH ? AND k = 5000")
    run(
        "LIMIT 10 instead of k",
        "SELECT rowid FROM vec_plain WHERE embedding MATCH ? ORDER BY distance LIMIT 10",
        np.ones(len(V), bool),
    )
    # storage: every partition allocates whole chunks, so many small owners inflate the file
    mem = connect(":memory:")
    rng = np.random.default_rng(0)
    for chunk_size in (None, 64):
        option = "" if chunk_size is None else f", chunk_size={chunk_size}"
        mem.execute("DROP TABLE IF EXISTS t")
        mem.execute(
            f"CREATE VIRTUAL TABLE t USING vec0(owner TEXT PARTITION KEY, e float[384]{option})"
        )
        with mem:
            for i in range(1000):
                mem.execute(
                    "INSERT INTO t(rowid, owner, e) VALUES(?,?,?)",
                    (i + 1, f"o{i % 100}", rng.random(384, np.float32).tobytes()),
                )
        mb = mem.execute(
            "SELECT sum(pgsize) / 1e6 FROM dbstat WHERE name LIKE 't_vector_chunks%'"
        ).fetchall()[0][0]
        label = chunk_size or "default(1024)"
        out[f"storage: 1000 vectors in 100 partitions, chunk_size={label}"] = {
            "vector_chunks_mb": round(mb, 1)
        }
    mem.close()
    return out


def scale_test(V, Q, nq=100) -> dict:
    """vec0 brute force and numpy matmul over ~100k vectors (V tiled with noise)."""
    X = tile_vectors(V)
    path = scratch("A100k.db")
    remove_db(path)
    conn = connect(path)
    start = time.perf_counter()
    with conn:
        conn.execute(
            "CREATE VIRTUAL TABLE v USING vec0(embedding float[384] distance_metric=cosine)"
        )
        conn.executemany(
            "INSERT INTO v(rowid, embedding) VALUES(?,?)",
            ((i + 1, X[i].tobytes()) for i in range(len(X))),
        )
    insert_s = time.perf_counter() - start
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sql = "SELECT rowid FROM v WHERE embedding MATCH ? AND k = 10 ORDER BY distance"
    res, lat = timed(
        lambda qi: [r for (r,) in conn.execute(sql, (Q[qi].tobytes(),))], list(range(nq))
    )

    def numpy_search(qi):
        sims = X @ Q[qi]
        top = np.argpartition(-sims, 10)[:10]
        return top[np.argsort(-sims[top])]

    _, lat_numpy = timed(numpy_search, list(range(nq)))
    out = {
        "n": len(X),
        "insert_s": round(insert_s, 1),
        "db_mb": round(os.path.getsize(path) / 1e6, 1),
        "sqlite_vec_lat_ms": pct(lat),
        "sqlite_vec_recall10_vs_numpy": recall_vs_exact(X, Q, res, offset=1),
        "numpy_matmul_lat_ms": pct(lat_numpy),
    }
    conn.close()
    remove_db(path)
    return out


def mp_writer(seconds: float) -> None:
    """Child process: insert new docs (docs + FTS5 + vec0), one transaction each."""
    conn = connect(DB)
    rng = np.random.default_rng(1)
    n, busy, end = 0, 0, time.time() + seconds
    while time.time() < end:
        v = rng.normal(size=384).astype(np.float32)
        v /= np.linalg.norm(v)
        rid = 100000 + n
        try:
            with conn:
                conn.execute(
                    "INSERT INTO docs VALUES(?,?,?,?,?)",
                    (rid, f"new{n}", "u1", "new doc", "protein binding cells"),
                )
                conn.execute(
                    "INSERT INTO fts_porter(rowid,title,text) VALUES(?,?,?)",
                    (rid, "new doc", "protein binding cells"),
                )
                conn.execute(
                    "INSERT INTO vec_plain(rowid,embedding) VALUES(?,?)", (rid, v.tobytes())
                )
            n += 1
        except apsw.BusyError:
            busy += 1
    print(json.dumps({"writes": n, "busy_errors": busy}))


def mp_test(queries, Q, seconds=4.0) -> dict:
    """This process searches (FTS5 + kNN) while a writer process commits new documents."""
    conn = connect(DB)
    before = conn.execute("SELECT count(*) FROM docs").fetchall()[0][0]
    writer = subprocess.Popen(
        [sys.executable, __file__, "--mp-writer", str(seconds)], stdout=subprocess.PIPE, text=True
    )
    time.sleep(0.3)
    n, busy, seen = 0, 0, set()
    end = time.time() + seconds - 0.5
    while time.time() < end:
        try:
            match = fts_or_query(words(queries[n % len(queries)][1]))
            conn.execute(
                "SELECT rowid FROM fts_porter WHERE fts_porter MATCH ? ORDER BY rank LIMIT 100",
                (match,),
            ).fetchall()
            conn.execute(
                "SELECT rowid FROM vec_plain WHERE embedding MATCH ? AND k = 100",
                (Q[n % len(Q)].tobytes(),),
            ).fetchall()
            seen.add(conn.execute("SELECT count(*) FROM docs").fetchall()[0][0])
            n += 1
        except apsw.BusyError:
            busy += 1
    written = json.loads(writer.communicate()[0])
    after = conn.execute("SELECT count(*) FROM docs").fetchall()[0][0]
    conn.close()
    return {
        "reader_hybrid_searches": n,
        "reader_errors": busy,
        "writer_commits": written["writes"],
        "writer_busy": written["busy_errors"],
        "distinct_doc_counts_seen_by_reader": len(seen),
        "docs_before": before,
        "docs_after": after,
    }


if __name__ == "__main__":
    command_line(__doc__, main, mp_writer, "--mp-writer", type=float, metavar="SECONDS")
