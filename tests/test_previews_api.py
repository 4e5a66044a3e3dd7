"""Page previews through a real server: `GET /documents/{id}/pages/{n}.png?width=W` renders
a PDF's page or an image's frame, caches it, refuses bad widths and missing pages with typed
errors, answers another user's id as a missing one, and a hostile PDF ends in a typed
TIMEOUT while the server goes on answering others."""

from __future__ import annotations

import asyncio
import io
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from test_files_api import SECRET, TOKENS, get, query, upload_as

from docent.ingestion.previews import MIN_WIDTH

from support.servers import DocentServer, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PREVIEW_TIMEOUT_S = 5.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {
        "DOCENT_AUTH": "dev",
        "DOCENT_DEV_SECRET": SECRET,
        "DOCENT_PREVIEW_TIMEOUT_S": str(PREVIEW_TIMEOUT_S),
        "DOCENT_PARSE_TIMEOUT_S": "20",
    }
    with running_server(tmp_path_factory.mktemp("previews"), env) as s:
        yield s


def three_page_pdf() -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for n in range(1, 4):
        pdf.setFont("Helvetica", 14)
        pdf.drawString(72, 700, f"Page {n} of the preview handbook: the leave policy, part {n}.")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def two_frame_tiff() -> bytes:
    frames = [Image.new("RGB", (600, 300), color) for color in ("white", "black")]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def hostile_pdf(operations: int) -> bytes:
    """A 60 KB PDF whose one page fills a million-odd rectangles: seconds of rendering."""
    content = zlib.compress(b"0 0 1 1 re f\n" * operations, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
        + content
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return image.size


def error_code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


def test_a_preview_worker_is_started_before_the_first_preview(server: DocentServer) -> None:
    """Nothing has been uploaded or previewed yet (this test runs first): the server has
    started the fork server and a render worker on its own, so the first preview does not
    wait ~13 s for them (BENCHMARKS.md, "Page previews")."""
    import psutil

    root = psutil.Process(server._process.pid)  # type: ignore[union-attr]
    deadline = time.monotonic() + 60
    workers: list[psutil.Process] = []
    while time.monotonic() < deadline and not workers:
        for child in root.children():
            if "forkserver" in " ".join(child.cmdline()):
                workers = child.children()
        time.sleep(0.2)
    assert workers, "no preview worker was started ahead of the first preview"


async def test_a_pdf_page_is_rendered_at_the_width_asked_and_cached(server: DocentServer) -> None:
    document_id = await upload_as(server, "alice", "handbook.pdf", three_page_pdf())
    path = f"/documents/{document_id}/pages/2.png"
    first = await get(server, path + "?width=400", "alice")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/png"
    width, height = png_size(first.content)
    assert width == 400 and abs(height - round(400 * A4[1] / A4[0])) <= 1
    cached = sorted(p.name for p in (Path(server.data_dir) / "previews").glob("*/*.png"))
    assert len(cached) == 1 and cached[0].endswith("-p2-w400.png")
    again = await get(server, path + "?width=400", "alice")
    assert again.content == first.content
    unchanged = await get(
        server, path + "?width=400", "alice", **{"if-none-match": first.headers["etag"]}
    )
    assert unchanged.status_code == 304
    default = await get(server, path, "alice")
    assert png_size(default.content)[0] == 800
    past = await get(server, f"/documents/{document_id}/pages/4.png", "alice")
    assert past.status_code == 404 and error_code(past) == "NOT_FOUND"
    assert "3 page" in past.json()["errors"][0]["message"]
    zero = await get(server, f"/documents/{document_id}/pages/0.png", "alice")
    assert zero.status_code == 404 and error_code(zero) == "NOT_FOUND"
    for width_text in ("5000", "99", "abc", "-1", "400.5"):
        bad = await get(server, f"{path}?width={width_text}", "alice")
        assert bad.status_code == 400, width_text
        assert error_code(bad) == "BAD_REQUEST"
        assert bad.json()["errors"][0]["extensions"]["field"] == "width"


async def test_every_number_in_a_preview_url_is_bounded_and_canonical(server: DocentServer) -> None:
    """The kind: a number in the URL is read only when it is short ASCII digits (int() of
    4,300+ digits raised, an untyped 500), once, and written one way: `01.png` and
    fullwidth digits are refused (400), not redirected, so a page has one URL."""
    document_id = await upload_as(server, "alice", "numbers.pdf", three_page_pdf())
    base = f"/documents/{document_id}/pages"
    cases = {
        f"{base}/1.png?width={'9' * 4301}": "width",
        f"{base}/1.png?width=500&width=600": "width",
        f"{base}/1.png?width=\uff18\uff10\uff10": "width",
        f"{base}/{'9' * 5000}.png": "page",
        f"{base}/01.png": "page",
        f"{base}/\uff11.png": "page",
        f"{base}/1a.png": "page",
    }
    for path, field in cases.items():
        bad = await get(server, path, "alice")
        assert bad.status_code == 400, (path[-40:], bad.status_code, bad.text[:200])
        assert error_code(bad) == "BAD_REQUEST"
        assert bad.json()["errors"][0]["extensions"]["field"] == field
    fine = await get(server, f"{base}/1.png?width=500", "alice")
    assert fine.status_code == 200 and png_size(fine.content)[0] == 500


async def test_another_users_page_is_answered_as_a_missing_one(server: DocentServer) -> None:
    document_id = await upload_as(server, "alice", "private.pdf", three_page_pdf() + b"\n%x")
    theirs = await get(server, f"/documents/{document_id}/pages/1.png", "bob")
    missing = await get(server, "/documents/nosuchdocument/pages/1.png", "bob")
    assert theirs.status_code == missing.status_code == 404
    assert error_code(theirs) == error_code(missing) == "NOT_FOUND"
    assert (await get(server, f"/documents/{document_id}/pages/1.png", None)).status_code == 401


async def test_each_frame_of_a_tiff_is_a_page(server: DocentServer) -> None:
    document_id = await upload_as(server, "alice", "scan.tiff", two_frame_tiff())
    white = await get(server, f"/documents/{document_id}/pages/1.png?width=300", "alice")
    black = await get(server, f"/documents/{document_id}/pages/2.png?width=300", "alice")
    assert white.status_code == black.status_code == 200, (white.text, black.text)
    assert png_size(white.content) == png_size(black.content) == (300, 150)
    with Image.open(io.BytesIO(white.content)) as w, Image.open(io.BytesIO(black.content)) as b:
        assert w.convert("L").getpixel((150, 75)) == 255
        assert b.convert("L").getpixel((150, 75)) == 0
    third = await get(server, f"/documents/{document_id}/pages/3.png", "alice")
    assert third.status_code == 404 and error_code(third) == "NOT_FOUND"


def blank_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, format="PNG")
    return out.getvalue()


async def test_a_tall_page_is_as_wide_as_asked_until_the_pixel_bound(server: DocentServer) -> None:
    """A long scan keeps the width asked (a bound on shape made a 500 x 8000 scan 100 px
    wide at 400: unreadable); only past MAX_PREVIEW_PIXELS is it narrower."""
    from docent.ingestion.previews import MAX_PREVIEW_PIXELS

    receipt = await upload_as(server, "alice", "receipt.png", blank_png(500, 8_000))
    shown = await get(server, f"/documents/{receipt}/pages/1.png?width=400", "alice")
    assert shown.status_code == 200, shown.text
    assert png_size(shown.content) == (400, 6_400)
    scroll = await upload_as(server, "alice", "scroll.png", blank_png(400, 40_000))
    bounded = await get(server, f"/documents/{scroll}/pages/1.png?width=2000", "alice")
    assert bounded.status_code == 200, bounded.text
    width, height = png_size(bounded.content)
    assert width * height <= MAX_PREVIEW_PIXELS * 1.01 and 390 <= width <= 410, (width, height)


async def test_a_format_without_pages_has_no_previews(server: DocentServer) -> None:
    document_id = await upload_as(server, "alice", "notes.txt", b"plain notes without pages")
    response = await get(server, f"/documents/{document_id}/pages/1.png", "alice")
    assert response.status_code == 415 and error_code(response) == "UNSUPPORTED_TYPE"


async def test_a_hostile_pdf_is_stopped_by_a_bound_while_others_are_served(
    server: DocentServer,
) -> None:
    hostile = await upload_as(server, "alice", "hostile.pdf", hostile_pdf(4_000_000))
    plain = await upload_as(server, "alice", "plain.txt", b"a small file to download")
    started = time.monotonic()
    render = asyncio.create_task(get(server, f"/documents/{hostile}/pages/1.png", "alice"))
    await asyncio.sleep(0.5)
    assert not render.done()
    download = await get(server, f"/documents/{plain}/file", "alice")
    lookup = await query(server, "alice", "query($id: ID!) { document(id: $id) { id } }", id=plain)
    # Served while the render runs (it is not done yet), not after it.
    assert download.content == b"a small file to download" and lookup["document"]["id"] == plain
    assert not render.done()
    response = await render
    assert time.monotonic() - started < PREVIEW_TIMEOUT_S + 10
    # Stopped by a bound, whichever it meets first (a fast machine fills the memory
    # allowance before the deadline; a loaded one meets the deadline), and says which.
    bounds = {
        "TIMEOUT": (503, "DOCENT_PREVIEW_TIMEOUT_S"),
        "TOO_LARGE": (422, "DOCENT_PREVIEW_MEMORY_MB"),
    }
    code = error_code(response)
    assert code in bounds, response.text
    status, setting = bounds[code]
    assert response.status_code == status, response.text
    assert setting in response.json()["errors"][0]["message"], response.text
    # Remembered for this version: asking again does not hold a worker again.
    again_started = time.monotonic()
    again = await get(server, f"/documents/{hostile}/pages/1.png", "alice")
    assert again.status_code == status and error_code(again) == code
    assert time.monotonic() - again_started < PREVIEW_TIMEOUT_S
    # And the preview worker was replaced: the next document renders.
    fine = await upload_as(server, "alice", "after.pdf", three_page_pdf() + b"\n%after")
    after = await get(server, f"/documents/{fine}/pages/1.png?width=200", "alice")
    assert after.status_code == 200 and png_size(after.content)[0] == 200


async def settled(server: DocentServer, user: str, document_id: str) -> str:
    """The document's status once it is READY or FAILED (at most 120 s)."""
    deadline = time.monotonic() + 120
    status = ""
    while time.monotonic() < deadline and status not in ("READY", "FAILED"):
        await asyncio.sleep(0.5)
        doc = await query(server, user, "query($id: ID!) { document(id: $id) { status } }", id=document_id)  # fmt: skip
        status = doc["document"]["status"]
    return status


SEARCH = """query($q: String!) { search(input: {query: $q, topK: 5}) {
  hits { chunk { page pageUrl documentId } document { id pageCount } } } }"""


async def test_a_passage_links_to_its_page_preview(server: DocentServer) -> None:
    document_id = await upload_as(server, "alice", "linked.pdf", three_page_pdf() + b"\n%linked")
    deadline = time.monotonic() + 120
    status = ""
    while time.monotonic() < deadline:
        doc = await query(server, "alice", "query($id: ID!) { document(id: $id) { status pageCount } }", id=document_id)  # fmt: skip
        status = doc["document"]["status"]
        if status in ("READY", "FAILED"):
            break
        await asyncio.sleep(0.5)
    assert status == "READY"
    assert doc["document"]["pageCount"] == 3
    hits = (await query(server, "alice", SEARCH, q="preview handbook part 3"))["search"]["hits"]
    mine = [h for h in hits if h["document"]["id"] == document_id]
    assert mine, hits
    chunk = mine[0]["chunk"]
    assert chunk["pageUrl"] == f"/documents/{document_id}/pages/{chunk['page']}.png"
    page = await get(server, chunk["pageUrl"] + "?width=200", "alice")
    assert page.status_code == 200 and png_size(page.content)[0] == 200


async def test_renders_spend_the_preview_budget_and_cached_pages_do_not(
    tmp_path: Path,
) -> None:
    env = {
        "DOCENT_AUTH": "dev",
        "DOCENT_DEV_SECRET": SECRET,
        "DOCENT_RATE_LIMITS": "preview=2/hour; per_address=off",
    }
    with running_server(tmp_path / "limited", env) as limited:
        document_id = await upload_as(limited, "alice", "budget.pdf", three_page_pdf())
        page = f"/documents/{document_id}/pages"
        for n in (1, 2):
            assert (await get(limited, f"{page}/{n}.png?width=300", "alice")).status_code == 200
        again = await get(limited, f"{page}/1.png?width=300", "alice")  # cached: free
        assert again.status_code == 200
        refused = await get(limited, f"{page}/3.png?width=300", "alice")
        assert refused.status_code == 429 and error_code(refused) == "RATE_LIMITED"
        assert int(refused.headers["retry-after"]) > 0
        assert refused.json()["errors"][0]["extensions"]["retryAfter"] > 0
        # Another user's budget is their own.
        theirs = await upload_as(limited, "bob", "bob.pdf", three_page_pdf() + b"\n%bob")
        ok = await get(limited, f"/documents/{theirs}/pages/1.png?width=300", "bob")
        assert ok.status_code == 200


async def test_a_burst_of_slow_renders_cannot_stall_another_users_preview(
    server: DocentServer,
) -> None:
    """The attack: a user asks for a slow page at many widths (spread over the LADDER
    steps not yet rendered: five renders, the widths between them scaled from those) and
    drops every request after 0.5 s. The queue takes PER_USER_RENDERS of them, refuses
    the rest at once (429, Retry-After) and does not start the ones whose client left, so
    another user's small preview waits for at most about one slow render."""
    slow = await upload_as(server, "alice", "slow.pdf", hostile_pdf(1_000_000))
    small = await upload_as(server, "bob", "small.pdf", three_page_pdf() + b"\n%small")
    # How long one slow render takes on this machine now (whatever its answer).
    started = time.monotonic()
    await get(server, f"/documents/{slow}/pages/1.png?width=100", "alice")
    one_render = time.monotonic() - started

    async def dropped(width: int) -> httpx.Response | None:
        async with httpx.AsyncClient(timeout=0.5) as client:
            try:
                return await client.get(
                    f"{server.base}/documents/{slow}/pages/1.png?width={width}",
                    headers={"authorization": f"Bearer {TOKENS['alice']}"},
                )
            except httpx.TimeoutException:
                return None

    answers = await asyncio.gather(*(dropped(width) for width in range(201, 2001, 130)))
    refused = [a for a in answers if a is not None and a.status_code == 429]
    assert refused, [a.status_code if a else None for a in answers]
    assert all(error_code(a) == "RATE_LIMITED" and int(a.headers["retry-after"]) >= 1
               for a in refused)  # fmt: skip
    started = time.monotonic()
    victim = await get(server, f"/documents/{small}/pages/1.png?width=300", "bob")
    waited = time.monotonic() - started
    assert victim.status_code == 200, victim.text
    assert waited < 2 * one_render + 3, (waited, one_render)


async def test_two_accounts_asking_new_widths_cannot_starve_another_users_preview(
    server: DocentServer,
) -> None:
    """The tester's attack, smaller: alice and mallory each run 3 parallel loops asking a
    slow page of their own at a new width every time, for ~8 s; meanwhile bob asks once a
    second for his own page at a new width. The slow page is a lighter one than the
    tester's (~1 s a render here; this server's DOCENT_PREVIEW_TIMEOUT_S is 5 s, and a
    victim waits for one render, then has its own). Every one of bob's answers is his PNG at that
    width (not 503), each within about one slow render; the attackers' answers are PNGs of
    the exact width asked, an immediate 429 (their third loop) or their own render's
    TIMEOUT, never a 503 RATE_LIMITED."""
    slow = {
        user: await upload_as(server, user, f"slow-{user}.pdf", hostile_pdf(400_000) + b"\n%" + user.encode())
        for user in ("alice", "mallory")
    }  # fmt: skip
    small = await upload_as(server, "bob", "bob-small.pdf", three_page_pdf() + b"\n%bob-small")
    for user, document_id in (*slow.items(), ("bob", small)):  # their parses' CPU done first
        await settled(server, user, document_id)
    await get(server, f"/documents/{slow['alice']}/pages/1.png?width=2000", "alice")  # warm
    started = time.monotonic()
    await get(server, f"/documents/{slow['mallory']}/pages/1.png?width=2000", "mallory")
    one_render = time.monotonic() - started
    print(f"one slow render {one_render:.2f} s")
    # Distinct widths that hop between ladder steps (379 and 1901 are coprime).
    widths = (MIN_WIDTH + (n * 379) % 1901 for n in range(1, 1901))
    stop = time.monotonic() + 8.0
    answers: list[int] = []

    async def attack(user: str) -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            while time.monotonic() < stop:
                width = next(widths)
                response = await client.get(
                    f"{server.base}/documents/{slow[user]}/pages/1.png?width={width}",
                    headers={"authorization": f"Bearer {TOKENS[user]}"},
                )
                answers.append(response.status_code)
                if response.status_code == 200:
                    assert png_size(response.content)[0] == width
                else:  # their third loop (429), or their own render's deadline (TIMEOUT)
                    expected = {429: "RATE_LIMITED", 503: "TIMEOUT"}
                    assert expected.get(response.status_code) == error_code(response), response.text
                    await asyncio.sleep(0.05)

    attackers = [asyncio.create_task(attack(u)) for u in ("alice", "mallory") for _ in range(3)]
    waits = []
    try:
        await asyncio.sleep(0.5)
        for width in (150, 350, 700, 1000, 1400, 1800, 250, 500):
            started = time.monotonic()
            victim = await get(server, f"/documents/{small}/pages/1.png?width={width}", "bob")
            waits.append(time.monotonic() - started)
            assert victim.status_code == 200, (width, victim.status_code, victim.text)
            assert png_size(victim.content)[0] == width
            assert waits[-1] < 2 * one_render + 3, (waits, one_render)
            await asyncio.sleep(max(0.0, 1.0 - waits[-1]))
    finally:
        await asyncio.gather(*attackers, return_exceptions=True)
    for attacker in attackers:
        attacker.result()  # no 503, no wrong width
    print(f"bob waited {[round(w, 2) for w in waits]} s")
    assert 429 in answers and 200 in answers, answers
