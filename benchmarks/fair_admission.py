"""Fair parse admission (session 6): how long one user's small file waits while another
user's slow uploads fill the worker.

    python benchmarks/fair_admission.py [--runs 3] [--slow 6] [--paragraphs 2000]

Each run starts a fresh `docent serve` (embedded backend, MiniLM, DOCENT_AUTH=dev) with two
job slots and two parse workers (DOCENT_WORKER_CONCURRENCY=2, DOCENT_PARSE_WORKERS=2).
Alice uploads `--slow` Word documents of `--paragraphs` paragraphs each (reading one
takes ~1 ms a paragraph on an idle machine), then Bob one short note. Measured: Bob's
wait, from his upload's answer to his note READY, and the time from Alice's first upload to
her last document READY; one line per run, then the medians, with the load average.

Run it against another checkout with PYTHONPATH pointing at a directory holding that
checkout as `docent` (the server process imports docent from PYTHONPATH).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from docent.api.auth import DevAuth

from common import arguments, machine, median, running_server, upload
from support.office import make_docx
from support.servers import DocentServer, subscribe

SECRET = "fair-admission-bench-" + "b" * 32
WATCH = """subscription Watch($id: ID!) { documentEvents(id: $id) { status } }"""


def headers(user: str) -> dict[str, str]:
    return {"authorization": f"Bearer {DevAuth(SECRET).mint(user)}", "x-requested-with": "b"}


async def uploaded(server: DocentServer, user: str, name: str, content: bytes) -> str:
    response = await upload(server.url, name, content, headers=headers(user))
    payload = response.json()["data"]["uploadDocument"]
    assert payload["userErrors"] == [], payload
    return str(payload["document"]["id"])


async def ready(server: DocentServer, user: str, document_id: str) -> float:
    """When (perf_counter) the document reached READY or FAILED."""
    async for event in subscribe(
        server.ws_url, WATCH, {"id": document_id}, timeout=1800, token=DevAuth(SECRET).mint(user)
    ):
        if event["documentEvents"]["status"] in ("READY", "FAILED"):
            return time.perf_counter()
    raise RuntimeError(f"{document_id} did not finish")


async def one_run(root: Path, slow: list[bytes]) -> tuple[float, float]:
    env = {
        "DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET, "DOCENT_WORKER_CONCURRENCY": "2",
        "DOCENT_PARSE_WORKERS": "2", "DOCENT_PARSE_TIMEOUT_S": "1800",
    }  # fmt: skip
    with running_server(root, env) as server:
        started = time.perf_counter()
        alice = [await uploaded(server, "alice", f"a{i}.docx", d) for i, d in enumerate(slow)]
        bob = await uploaded(server, "bob", "bob.txt", b"Bob's short note about the boiler.\n")
        queued = time.perf_counter()
        ends = await asyncio.gather(
            *(ready(server, "alice", d) for d in alice), ready(server, "bob", bob)
        )
    return ends[-1] - queued, max(ends[:-1]) - started


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slow", type=int, default=6)
    parser.add_argument("--paragraphs", type=int, default=2000)
    args = parser.parse_args()
    print(machine(), file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="docent-fair-") as tmp:
        root = Path(tmp)
        slow = []
        for i in range(args.slow):
            body = "".join(
                f"<w:p><w:r><w:t>a{i} line {n}</w:t></w:r></w:p>" for n in range(args.paragraphs)
            )
            slow.append(make_docx(root / f"a{i}.docx", body).read_bytes())
        waits, lasts, loads = [], [], []
        for run in range(args.runs):
            loads.append(os.getloadavg()[0])
            (root / f"run{run}").mkdir()
            wait, last = asyncio.run(one_run(root / f"run{run}", slow))
            loads.append(os.getloadavg()[0])
            waits.append(wait)
            lasts.append(last)
            print(f"run {run + 1}: Bob waited {wait:.1f} s; Alice's last READY after {last:.1f} s")
    print(
        f"median of {args.runs}: Bob waited {median(waits):.1f} s; Alice's last READY after "
        f"{median(lasts):.1f} s; load average {min(loads):.1f}-{max(loads):.1f}"
    )


if __name__ == "__main__":
    main()
