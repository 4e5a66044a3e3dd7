"""Compare embedded search engines for docent on SciFact (BEIR test split, 300 queries).

    python benchmarks/engines/vectors.py     # once, under docent's venv: corpus + query vectors
    python benchmarks/engines/compare.py --setup [--engines A]  # per-engine venvs in the cache
    python benchmarks/engines/compare.py --run [--engines A] [--quick]
    python benchmarks/engines/compare.py     # print the tables from the saved results

Options: A = SQLite FTS5 + sqlite-vec (apsw), B = tantivy + usearch, C = LanceDB. Each
engine script runs in its own venv (<cache>/venv-A|B|C), one after another, and writes
<cache>/results/<engine>.json and .log; --setup also records install time and size in
results/install.json. The cache is $DOCENT_BENCH_CACHE (default ~/.cache/docent/bench-engines).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from common import CACHE, RESULTS, VECTORS

HERE = Path(__file__).resolve().parent
# (pip requirements, script); pinned to the versions the README's figures were measured with
OPTIONS = {
    "A": (["apsw==3.54.1.0", "sqlite-vec==0.1.9"], "eng_sqlite.py"),
    "B": (["tantivy==0.27.0", "usearch==2.26.6"], "eng_tantivy.py"),
    "C": (["lancedb==0.40.0"], "eng_lance.py"),
}
COMMON_PACKAGES = ["numpy==2.4.6", "snowballstemmer==3.1.1"]


def venv(engine: str) -> Path:
    return CACHE / f"venv-{engine}"


def du_mb(path: Path) -> float:
    files = (p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) / 1e6


def setup(engines: list[str]) -> None:
    """(Re)create each engine's venv and time `pip install --no-cache-dir` of its packages."""
    path = RESULTS / "install.json"
    record = json.loads(path.read_text()) if path.exists() else {}
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for engine in engines:
        packages = OPTIONS[engine][0] + COMMON_PACKAGES
        root = venv(engine)
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
        python = str(root / "bin" / "python")
        site = Path(
            subprocess.run(
                [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        base = du_mb(site)
        start = time.perf_counter()
        pip = [python, "-m", "pip"]
        subprocess.run([*pip, "install", "--no-cache-dir", "-q", *packages], check=True, env=env)
        seconds = time.perf_counter() - start
        total = du_mb(site)
        numpy = sum(du_mb(p) for p in site.glob("numpy*") if p.is_dir())
        freeze = subprocess.run(
            [*pip, "freeze"], capture_output=True, text=True, check=True, env=env
        ).stdout.split()
        record[engine] = {
            "packages": packages,
            "pip_install_s": round(seconds, 1),
            "added_mb": round(total - base, 1),
            "added_mb_excl_numpy": round(total - numpy - base, 1),
            "freeze": freeze,
        }
        print(engine, record[engine], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")


def run(engines: list[str], quick: bool) -> None:
    """Run the engine scripts one after another, each in its venv, output to results/*.log."""
    if not (VECTORS / "meta.json").exists():
        raise SystemExit(f"no vectors in {VECTORS}: run `python {HERE / 'vectors.py'}` first")
    missing = [e for e in engines if not (venv(e) / "bin" / "python").exists()]
    if missing:
        raise SystemExit(f"no venv for {', '.join(missing)}: run compare.py --setup first")
    RESULTS.mkdir(parents=True, exist_ok=True)
    for engine in engines:
        script = HERE / OPTIONS[engine][1]
        name = f"{engine}_quick" if quick else engine
        log = RESULTS / f"{name}.log"
        command = [str(venv(engine) / "bin" / "python"), str(script)]
        if quick:
            command.append("--quick")
        start = time.perf_counter()
        with log.open("w") as out:
            code = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT).returncode
        print(
            f"{engine}: {script.name} exit={code} in {time.perf_counter() - start:.0f} s "
            f"(log {log}, results {RESULTS / f'{name}.json'})",
            flush=True,
        )


def fmt_lat(lat: list[float]) -> str:
    return f"{lat[0]:.2f} / {lat[1]:.2f}"


def mp_summary(engine: str, m: dict) -> str:
    if engine == "A":
        return (
            f"yes (WAL): {m['reader_hybrid_searches']} searches, {m['reader_errors']} errors while "
            f"{m['writer_commits']} commits; reader saw "
            f"{m['distinct_doc_counts_seen_by_reader']} versions"
        )
    if engine == "B":
        reader, second = m["reader_process"], m["second_process_writer"]
        seen = reader["num_docs_seen"]
        return (
            f"reader process ok ({reader['searches']} searches, {reader['errors']} errors, "
            f"saw num_docs {seen[0]}..{seen[-1]}); 2nd writer in another process: "
            + ("refused, LockBusy" if "LockBusy" in second else second[:80])
        )
    return (
        f"yes: {m['reader_hybrid_searches']} searches, {m['reader_errors']} errors while "
        f"{m['writer']['writes']} appends ({m['writer']['errors']} errors); "
        f"{m['versions_created']} new versions"
    )


SUMMARY_ROWS = [
    "keyword nDCG@10 (best variant)",
    "keyword latency (top-100)",
    "semantic nDCG@10, exact",
    "semantic latency, exact (top-10)",
    "semantic default ANN index",
    "semantic nDCG@10, default ANN index",
    "ANN recall@10 vs exact",
    "semantic latency, default ANN (top-10)",
    "LanceDB IVF_PQ tuned (nprobes=50, refine_factor=10)",
    "hybrid RRF nDCG@10 (k=60, top-100 each)",
    "hybrid latency (both queries + fusion)",
    "semantic latency @~100k vectors (top-10)",
    "numpy brute-force matmul @~100k",
    "on-disk size, 5,183 docs",
    "pre-filter inside kNN (owner / id set)",
    "multi-process read while writing",
    "pip install time (s)",
    "site-packages added MB (excl. numpy)",
]


def summary_cells(engine: str, r: dict, install: dict) -> dict[str, Callable[[], object]]:
    """The summary cells of one engine, as functions: a missing measurement shows as '?'."""
    best = r["keyword"][r["best_keyword"]]
    exact, hybrid = r["semantic_exact"], r["hybrid"]
    s100 = r.get("semantic_100k", {})
    cells: dict[str, Callable[[], object]] = {
        "keyword nDCG@10 (best variant)": lambda: best["ndcg10"],
        "keyword latency (top-100)": lambda: fmt_lat(best["lat_ms"]),
        "semantic nDCG@10, exact": lambda: exact["ndcg10"],
        "semantic latency, exact (top-10)": lambda: fmt_lat(exact["lat_ms"]),
        "hybrid RRF nDCG@10 (k=60, top-100 each)": lambda: (
            f"{hybrid['ndcg10']} ({hybrid['vector']})"
        ),
        "hybrid latency (both queries + fusion)": lambda: fmt_lat(hybrid["lat_ms"]),
        "multi-process read while writing": lambda: mp_summary(engine, r["multiprocess"]),
        "pip install time (s)": lambda: install[engine]["pip_install_s"],
        "site-packages added MB (excl. numpy)": lambda: (
            f"{install[engine]['added_mb']} ({install[engine]['added_mb_excl_numpy']})"
        ),
    }
    if engine == "A":
        sizes = r["table_mb"]
        cells |= {
            "semantic default ANN index": lambda: "none (vec0 is brute force only)",
            "semantic nDCG@10, default ANN index": lambda: "n/a",
            "ANN recall@10 vs exact": lambda: "n/a",
            "semantic latency, default ANN (top-10)": lambda: "n/a",
            "semantic latency @~100k vectors (top-10)": lambda: (
                f"sqlite-vec exact {fmt_lat(s100['sqlite_vec_lat_ms'])}"
            ),
            "numpy brute-force matmul @~100k": lambda: fmt_lat(s100["numpy_matmul_lat_ms"]),
            "on-disk size, 5,183 docs": lambda: (
                f"docs {sizes['docs']} + fts_an {sizes['fts_an']} + vec0 {sizes['vec_plain']} MB "
                f"(vec0 w/ partition key: {sizes['vec_meta']})"
            ),
            "pre-filter inside kNN (owner / id set)": lambda: (
                "yes: vec0 partition key / metadata col / rowid IN (exact)"
            ),
        }
        return cells
    ann = r.get("semantic_ann", {})
    cells |= {
        "semantic nDCG@10, default ANN index": lambda: ann["ndcg10"],
        "ANN recall@10 vs exact": lambda: ann["recall10_vs_numpy_exact"],
        "semantic latency, default ANN (top-10)": lambda: fmt_lat(ann["lat_ms"]),
    }
    if engine == "B":
        cells |= {
            "semantic default ANN index": lambda: f"HNSW {r['versions']['usearch_index_defaults']}",
            "semantic latency @~100k vectors (top-10)": lambda: (
                f"HNSW {fmt_lat(s100['hnsw_lat_ms'])} (recall@10 {s100['hnsw_recall10_vs_exact']}, "
                f"build {s100['hnsw_build_s_1thread']} s 1 thread); "
                f"usearch exact {fmt_lat(s100['usearch_exact_lat_ms'])}"
            ),
            "on-disk size, 5,183 docs": lambda: (
                f"tantivy {best['index_mb']} MB (no stored text) + "
                f"usearch {r['semantic_index_mb']} MB (bf16)"
            ),
            "pre-filter inside kNN (owner / id set)": lambda: (
                "no filter API in usearch Python: post-filter or brute force subset"
            ),
        }
        return cells
    tuned = r.get("semantic_ann_tuned", {})
    cells |= {
        "semantic default ANN index": lambda: (
            "IVF_PQ (num_sub_vectors=24, 8 bit), nprobes/refine defaults"
        ),
        "LanceDB IVF_PQ tuned (nprobes=50, refine_factor=10)": lambda: (
            f"nDCG {tuned['ndcg10']}, recall {tuned['recall10_vs_numpy_exact']}, "
            f"{fmt_lat(tuned['lat_ms'])} ms"
        ),
        "semantic latency @~100k vectors (top-10)": lambda: f"flat {fmt_lat(s100['flat_lat_ms'])}",
        "on-disk size, 5,183 docs": lambda: (
            f"{r['disk_mb']} MB dir (text + vectors + FTS + IVF_PQ + old versions)"
        ),
        "pre-filter inside kNN (owner / id set)": lambda: (
            "yes: .where(..., prefilter=True) (exact on flat; ANN recall drops)"
        ),
    }
    return cells


def cell(fn: Callable[[], object] | None) -> str:
    if fn is None:
        return ""
    try:
        return str(fn())
    except (KeyError, IndexError, TypeError):
        return "?"


def table(quick: bool) -> None:
    """Print the keyword-variant and summary tables (also written to results/table.md)."""
    suffix = "_quick" if quick else ""
    paths = {e: RESULTS / f"{e}{suffix}.json" for e in OPTIONS}
    R = {e: json.loads(p.read_text()) for e, p in paths.items() if p.exists()}
    if not R:
        print(f"no results in {RESULTS}: run compare.py --run")
        return
    install_path = RESULTS / "install.json"
    install = json.loads(install_path.read_text()) if install_path.exists() else {}
    lines = [
        "### Keyword (BM25) variants: nDCG@10, latency median / p95 ms (top-100)",
        "",
        "| option | variant | nDCG@10 | latency ms |",
        "|---|---|---|---|",
    ]
    for engine, r in R.items():
        for name, k in r["keyword"].items():
            mark = " **(best)**" if name == r["best_keyword"] else ""
            score = k.get("ndcg10", k.get("error"))
            lat = fmt_lat(k["lat_ms"]) if "lat_ms" in k else "-"
            lines.append(f"| {engine} | {name}{mark} | {score} | {lat} |")
    lines += [
        "",
        "### Summary (5,183 docs, 300 test queries; latency = median / p95 ms, warm, "
        "single process)",
        "",
        "| metric | "
        + " | ".join(f"{e}: {r['engine'].split(': ', 1)[1]}" for e, r in R.items())
        + " |",
        "|---|" + "---|" * len(R),
    ]
    columns = [summary_cells(e, r, install) for e, r in R.items()]
    for label in SUMMARY_ROWS:
        if any(label in c for c in columns):
            lines.append(f"| {label} | " + " | ".join(cell(c.get(label)) for c in columns) + " |")
    text = "\n".join(lines) + "\n"
    (RESULTS / f"table{suffix}.md").write_text(text)
    print(text, end="")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--setup", action="store_true", help="(re)create the per-engine venvs")
    parser.add_argument("--run", action="store_true", help="run the engine scripts in turn")
    parser.add_argument("--engines", default="ABC", help="engines to set up or run (default ABC)")
    parser.add_argument(
        "--quick", action="store_true", help="skip the ~100k-vector and multi-process parts"
    )
    args = parser.parse_args()
    engines = [e for e in args.engines.upper() if e.isalnum()]
    unknown = sorted(set(engines) - set(OPTIONS))
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}: choose from {''.join(OPTIONS)}")
    if args.setup:
        setup(engines)
    if args.run:
        run(engines, args.quick)
    if not args.setup or args.run:
        table(args.quick)


if __name__ == "__main__":
    main()
