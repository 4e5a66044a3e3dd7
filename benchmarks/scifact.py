"""SciFact benchmark through the GraphQL API: retrieval quality (nDCG@10, recall@100) and
search latency (p50/p95) per mode, on a real docent server with the embedded backend.

A thin wrapper over `docent eval retrieval` (evaluation/retrieval.py), which does the work:
each of the 5,183 abstracts is uploaded as a plain-text document ("title", blank line,
abstract) and goes through the whole ingestion pipeline; hits are passages, and a
document's rank is that of its best passage.

    python benchmarks/scifact.py [--split test] [--data-dir DIR] [--env NAME=VALUE ...]
                                 [--modes KEYWORD,SEMANTIC,HYBRID] [--json FILE]

--data-dir keeps the ingested index between runs (documents already READY are skipped).
"""

from __future__ import annotations

from docent.cli import app

from common import arguments, machine
from corpus import SCIFACT

if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--split", default="test", choices=["test", "train"])
    parser.add_argument("--data-dir", help="keep the ingested index here and reuse it")
    parser.add_argument("--env", action="append", default=[], help="server setting, NAME=VALUE")
    parser.add_argument("--modes", default="KEYWORD,SEMANTIC,HYBRID")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    command = ["eval", "retrieval", "--beir", str(SCIFACT), "--split", args.split]
    command += ["--modes", args.modes]
    command += ["--data-dir", args.data_dir] if args.data_dir else []
    command += [option for pair in args.env for option in ("--env", pair)]
    command += ["--json", args.json] if args.json else []
    print(f"machine: {machine()}", flush=True)
    app(command, prog_name="docent")
