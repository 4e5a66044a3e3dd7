"""Nothing is downloaded at run time. The end-to-end tests run the server under a guard
that refuses and records every connection that is not to loopback; these tests prove the
guard catches what it must, and that parsing every supported format stays offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.samples import HANDBOOK_MD, RECIPES_HTML, WARRANTY_PDF_PAGES, make_docx, make_pdf
from support.servers import NETGUARD


def guarded(code: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = tmp_path / "net.log"
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(PYTHONPATH=str(NETGUARD), DOCENT_NETGUARD_LOG=str(log))
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    attempts = log.read_text().splitlines() if log.exists() else []
    return result, attempts


def test_the_guard_refuses_and_records_downloads(tmp_path: Path) -> None:
    code = """
import socket, urllib.request
for target in ("http://93.184.215.14/", "https://huggingface.co/x", "http://[2606:4700::1111]/"):
    try:
        urllib.request.urlopen(target, timeout=5)
    except OSError as exc:
        print("refused", type(exc).__name__)
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname()); print("loopback ok")
"""
    result, attempts = guarded(code, tmp_path)
    assert result.stdout.count("refused") == 3, result.stdout + result.stderr
    assert "loopback ok" in result.stdout
    assert any("93.184.215.14" in a for a in attempts)
    assert any("huggingface.co" in a for a in attempts)
    assert any("2606:4700::1111" in a for a in attempts)


def test_parsing_every_supported_format_is_offline(tmp_path: Path) -> None:
    files = {
        "a.pdf": make_pdf(WARRANTY_PDF_PAGES),
        "b.md": HANDBOOK_MD.encode(),
        "c.html": RECIPES_HTML.encode(),
        "d.txt": "Plain words.\nMore plain words in a second line.".encode("cp1252"),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    make_docx(tmp_path / "e.docx", [("Heading", ["A paragraph of the document."])])
    code = f"""
from pathlib import Path
from docent.ingestion.parsing.sniffing import sniff
from docent.ingestion.parsing import parse_file
for path in sorted(Path({str(tmp_path)!r}).glob("[a-e].*")):
    parsed = parse_file(path, sniff(path, path.name).mime_type)
    print(path.name, len(parsed.elements))
from docent.providers.local_embedder import LocalEmbedder
print("vector", LocalEmbedder(cache_dir=Path({str(tmp_path / "models")!r})).embed_sync(["hello"]).shape)
"""
    result, attempts = guarded(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert attempts == [], attempts
    parsed = dict(
        line.split()
        for line in result.stdout.splitlines()
        if line[:2] in {"a.", "b.", "c.", "d.", "e."}
    )
    assert set(parsed) == {"a.pdf", "b.md", "c.html", "d.txt", "e.docx"}
    assert all(int(n) > 0 for n in parsed.values())
    assert "vector (1, 384)" in result.stdout
