"""The home page in headless Chromium (Debian's), at a laptop's 1280x800 and a phone's 390x844,
against a real docent server: nothing wider than the screen, upload (and the notice for a file
uploaded twice), READY, ask, a citation's page preview with the passage's box where the test
drew its text, a follow-up in the same conversation, thumbs, rename, the documents list's
title search, tag filter, edit and delete, the passage search's marked words, keyboard use,
and axe-core (fetched by scripts/fetch_axe.py at install time) finding no serious or
critical violation. Screenshots go to artifacts/home-page/ (ignored by git)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_graphiql_browser import CHROMIUM, CHROMIUM_ARGS, Recorder, _missing, wait_until
from test_regions import drawn_box, drawn_pdf

from support.paths import REPO
from support.prerequisites import unavailable
from support.scripts import load_script
from support.servers import DocentServer, module_server

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(600)]

server = module_server("home")
VIEWPORTS = {"laptop": (1280, 800), "phone": (390, 844)}
LAST_ANSWER = "#thread li.assistant:last-child"
#: How far (a fraction of the page) a drawn box may be from the text's own box: the
#: renderer's rounding, the image's 1 px border and the font's ascent estimate.
TOLERANCE = 0.03
ARTIFACTS = REPO / "artifacts" / "home-page"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        unavailable("headless browser", reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def axe() -> str:
    path = load_script("fetch_axe").axe_path()
    if not path.is_file():
        unavailable("axe-core", f"{path} is missing (scripts/install --test fetches it)")
    return str(path)


@pytest.fixture
def tab(
    browser: Any, server: DocentServer, axe: str, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A fresh tab at the viewport the test is parametrized with, on the home page; its
    requests recorded and checked clean at the end. axe-core is injected as an init script
    (through DevTools, before the page's own): the page's policy, which forbids inline
    scripts, stays in force."""
    callspec = getattr(request.node, "callspec", None)
    width, height = VIEWPORTS[callspec.params["viewport"] if callspec else "laptop"]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(path=axe)
    page = context.new_page()
    recorder = Recorder()
    recorder.attach(context, page)
    try:
        home(page, server.base + "/")
        yield page
        recorder.assert_clean()
    finally:
        context.close()


def home(tab: Any, url: str) -> None:
    """Opens the home page at `url` and waits until it has listed documents and
    conversations (a request still running when the test navigates away would be cut)."""
    assert tab.goto(url, wait_until="load").status == 200
    wait_until(
        tab,
        "() => document.querySelector('#doc-count').textContent !== ''"
        " && document.querySelector('#history summary').textContent.includes('(')",
        timeout=20,
    )


def api(server: DocentServer, query: str, **variables: Any) -> dict[str, Any]:
    body = httpx.post(server.url, json={"query": query, "variables": variables}, timeout=60).json()
    assert "errors" not in body, body
    return dict(body["data"])


def fits(tab: Any) -> None:
    """Nothing is wider than the viewport, and the Ask box is inside it."""
    width = tab.evaluate("innerWidth")
    assert tab.evaluate("document.scrollingElement.scrollWidth") <= width
    for selector in ("#question", "form#ask button"):
        box = tab.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, selector


def no_serious_violations(tab: Any) -> None:
    violations = tab.evaluate(
        "async () => (await axe.run(document)).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)}))"
    )
    assert violations == []


def shot(tab: Any, name: str) -> None:
    """A screenshot of the whole page, as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def row(title: str) -> str:
    return f"#documents li:has(.title:text-is('{title}'))"


def upload(tab: Any, path: Path) -> str:
    """Uploads `path` from the page and waits until its row is READY; its document id."""
    tab.set_input_files("#files", str(path))
    tab.wait_for_selector(f"{row(path.name)} .status.READY", timeout=120_000)
    return str(tab.get_attribute(row(path.name), "data-id"))


def ask(tab: Any, question: str, answers: int) -> None:
    tab.fill("#question", question)
    tab.press("#question", "Enter")
    tab.wait_for_selector(f"#thread li.assistant:nth-child({2 * answers}) li.citation", timeout=120_000)  # fmt: skip


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_upload_ask_see_the_passage_on_its_page_and_manage(
    tab: Any, server: DocentServer, viewport: str, tmp_path: Path
) -> None:
    fits(tab)
    pdf = tmp_path / f"zeppelin-{viewport}.pdf"
    pdf.write_bytes(drawn_pdf() + f"% {viewport}\n".encode())
    document_id = upload(tab, pdf)
    passages = tab.inner_text(f"{row(pdf.name)} .status")
    count = int(re.search(r"(\d+) passages?", passages).group(1))  # type: ignore[union-attr]
    assert f"{count} passage{'' if count == 1 else 's'}" in passages
    assert tab.evaluate("[plural(1, 'passage', 'passages'), plural(2, 'passage', 'passages')]") == ["1 passage", "2 passages"]  # fmt: skip
    fits(tab)

    # The same bytes again: one document, and the page says so.
    tab.set_input_files("#files", str(pdf))
    tab.wait_for_selector("#notice:has-text('already uploaded')", timeout=30_000)
    assert tab.locator(row(pdf.name)).count() == 1

    # Ask; the citation opens page 1 with the passage's box where the text was drawn.
    ask(tab, "How often is the zeppelin hangar inspected?", 1)
    source = tab.locator(f"{LAST_ANSWER} li.citation button.source").first
    assert pdf.name in source.inner_text() and "page 1" in source.inner_text()
    source.focus()
    tab.keyboard.press("Enter")
    tab.wait_for_selector("#preview[open] #page-view .region", timeout=60_000)
    assert tab.inner_text("#page-label") == "Page 1 of 2"
    image = tab.locator("#page-image").bounding_box()
    boxes = [b.bounding_box() for b in tab.locator("#page-view .region").all()]
    assert image is not None and image["width"] > 100
    x0 = min(b["x"] for b in boxes)
    y0 = min(b["y"] for b in boxes)
    x1 = max(b["x"] + b["width"] for b in boxes)
    y1 = max(b["y"] + b["height"] for b in boxes)
    shown = ((x0 - image["x"]) / image["width"], (y0 - image["y"]) / image["height"],
             (x1 - image["x"]) / image["width"], (y1 - image["y"]) / image["height"])  # fmt: skip
    drawn = drawn_box(1)
    assert all(abs(a - b) <= TOLERANCE for a, b in zip(shown, drawn, strict=True)), (shown, drawn)
    shot(tab, f"preview-{viewport}")
    tab.click("#page-next")  # page 2 holds another paragraph: no box of this passage
    wait_until(tab, "() => document.querySelector('#page-label').textContent === 'Page 2 of 2'"
               " && document.querySelector('#preview-note').textContent === ''", timeout=60)  # fmt: skip
    assert tab.locator("#page-view .region").count() == 0 and tab.is_disabled("#page-next")
    tab.click("#page-prev")
    tab.wait_for_selector("#preview[open] #page-view .region", timeout=60_000)
    no_serious_violations(tab)
    tab.keyboard.press("Escape")  # the dialog closes, and focus is back on the citation
    assert not tab.locator("#preview[open]").count()
    assert tab.evaluate("document.activeElement.classList.contains('source')")

    # A follow-up in the same conversation, shown with what docent searched for.
    ask(tab, "Who checks it before the first flight?", 2)
    assert tab.locator("#thread li.user").count() == 2
    searched = tab.inner_text(f"{LAST_ANSWER} .standalone")
    assert searched.startswith("Searched for: ") and "zeppelin" in searched, searched
    conversations = api(server, "{ conversations { edges { node { id title messages { totalCount edges { node { id role } } } } } } }")  # fmt: skip
    mine = [
        e["node"]
        for e in conversations["conversations"]["edges"]
        if e["node"]["title"].startswith("How often is the zeppelin")
        and e["node"]["messages"]["totalCount"] == 4
    ]
    assert len(mine) == 1, conversations
    conversation = mine[-1]
    assert tab.inner_text("#conversation-title") == conversation["title"]

    # Thumbs up on the follow-up's answer, stored on its message.
    tab.click(f"{LAST_ANSWER} button[data-rating=UP]")
    tab.wait_for_selector(f"{LAST_ANSWER} button[data-rating=UP][aria-pressed=true]")
    answer_id = conversation["messages"]["edges"][-1]["node"]["id"]
    messages = api(server, "query($id: ID!) { conversation(id: $id) { messages { edges { node { id feedback { rating } } } } } }", id=conversation["id"])  # fmt: skip
    rated = {e["node"]["id"]: e["node"]["feedback"] for e in messages["conversation"]["messages"]["edges"]}  # fmt: skip
    assert rated[answer_id] == {"rating": "UP"}

    # Rename it; open it again from the list: the thread and the thumbs come back.
    tab.click("#rename-conversation")
    tab.fill("#edit-title", f"Zeppelin ({viewport})")
    tab.click("#edit-save")
    tab.wait_for_selector(f"#conversations button:text-is('Zeppelin ({viewport})')", state="attached")  # fmt: skip
    assert tab.inner_text("#conversation-title") == f"Zeppelin ({viewport})"
    tab.click("#new-conversation")
    assert tab.locator("#thread li").count() == 0
    tab.click("#history summary")
    tab.click(f"#conversations button:text-is('Zeppelin ({viewport})')")
    tab.wait_for_selector(f"{LAST_ANSWER} button[data-rating=UP][aria-pressed=true]")
    assert tab.locator("#thread li.user").count() == 2
    fits(tab)
    shot(tab, f"conversation-{viewport}")

    # The thumbs are toggles: "Not helpful" replaces the rating; pressed again, it takes
    # the rating back (clearRating), and neither is pressed.
    up, down = (f"{LAST_ANSWER} button[data-rating={r}]" for r in ("UP", "DOWN"))
    tab.click(down)
    tab.wait_for_selector(f"{down}[aria-pressed=true]")
    assert tab.get_attribute(up, "aria-pressed") == "false"
    tab.click(down)
    tab.wait_for_selector(f"{down}[aria-pressed=false]")
    assert tab.get_attribute(up, "aria-pressed") == "false"
    assert tab.inner_text(f"{LAST_ANSWER} .rating .muted") == "Rating removed."
    messages = api(server, "query($id: ID!) { conversation(id: $id) { messages { edges { node { id feedback { rating } } } } } }", id=conversation["id"])  # fmt: skip
    rated = {e["node"]["id"]: e["node"]["feedback"] for e in messages["conversation"]["messages"]["edges"]}  # fmt: skip
    assert rated[answer_id] is None

    # Edit tags, then filter by tag and search titles.
    tab.click(f"{row(pdf.name)} .actions button:has-text('Edit')")
    tab.fill("#edit-tags", f"airships, hangar-{viewport}")
    tab.click("#edit-save")
    tab.wait_for_selector(f"{row(pdf.name)} .tag:text-is('hangar-{viewport}')")
    tab.wait_for_selector(f"{row(pdf.name)} .status.READY", timeout=120_000)
    tab.fill("#doc-tag", f"hangar-{viewport}")
    wait_until(tab, "() => document.querySelector('#doc-count').textContent === '1 document matches'", timeout=10)  # fmt: skip
    assert tab.locator("#documents li").count() == 1
    tab.fill("#doc-tag", "")
    wait_until(tab, "() => document.querySelector('#doc-count').textContent === '1 document'", timeout=10)  # fmt: skip
    tab.fill("#doc-search", "no such title")
    wait_until(tab, "() => document.querySelector('#doc-count').textContent === '0 documents match'", timeout=10)  # fmt: skip
    assert tab.locator("#documents li").count() == 0
    tab.fill("#doc-search", f"zeppelin-{viewport}")
    wait_until(tab, "() => document.querySelector('#doc-count').textContent === '1 document matches'", timeout=10)  # fmt: skip
    assert tab.locator(row(pdf.name)).count() == 1

    # The passage search marks the words asked for, as text.
    tab.fill("#search-query", "mooring mast")
    tab.press("#search-query", "Enter")
    tab.wait_for_selector("#hits li mark")
    marks = {m.lower() for m in tab.locator("#hits li mark").all_inner_texts()}
    assert marks and marks <= {"mooring", "mast"}, marks
    assert "<em>" not in tab.inner_text("#hits")
    no_serious_violations(tab)
    shot(tab, f"managed-{viewport}")

    # Delete the conversation, then the document, each after confirming.
    tab.click("#delete-conversation")
    tab.click("#confirm-ok")
    wait_until(tab, "() => !document.querySelector('#delete-conversation:not([hidden])')", timeout=10)  # fmt: skip
    assert api(server, "query($id: ID!) { conversation(id: $id) { id } }", id=conversation["id"]) == {"conversation": None}  # fmt: skip
    tab.click(f"{row(pdf.name)} .actions button:has-text('Delete')")
    tab.click("#confirm button[value=cancel]")
    assert tab.locator(row(pdf.name)).count() == 1
    tab.click(f"{row(pdf.name)} .actions button:has-text('Delete')")
    tab.click("#confirm-ok")
    tab.wait_for_selector(row(pdf.name), state="detached")
    assert api(server, "query($id: ID!) { document(id: $id) { id } }", id=document_id) == {"document": None}  # fmt: skip
    fits(tab)


def test_load_more_keyboard_and_a_passage_without_pages(
    tab: Any, server: DocentServer, tmp_path: Path
) -> None:
    notes = {
        "ledger-a.txt": "The orchard ledger lists twelve pear trees by the north wall.",
        "ledger-b.txt": "The beehive ledger records honey taken each August.",
        "ledger-c.txt": "The greenhouse ledger notes when the tomato seedlings were potted.",
    }
    paths = []
    for name, text in notes.items():
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    home(tab, server.base + "/?pageSize=2")
    tab.set_input_files("#files", paths)
    for name in notes:
        tab.wait_for_selector(f"{row(name)} .status.READY", timeout=120_000)

    # Two per page: "Load more" brings the third, then goes away.
    tab.fill("#doc-search", "ledger-")
    wait_until(tab, "() => document.querySelector('#doc-count').textContent === '3 documents match'", timeout=10)  # fmt: skip
    assert tab.locator("#documents li").count() == 2 and tab.is_visible("#more")
    tab.click("#more")
    wait_until(tab, "() => document.querySelectorAll('#documents li').length === 3", timeout=10)
    assert tab.is_hidden("#more")
    assert {t.strip() for t in tab.locator("#documents .title").all_inner_texts()} == set(notes)

    # Tab goes through the controls in reading order, each with a visible focus ring.
    tab.click("header h1")  # the point Tab starts from
    seen: list[str] = []
    for _ in range(40):
        tab.keyboard.press("Tab")
        focused = tab.evaluate(
            "(() => { const e = document.activeElement;"
            " return [e.id || e.textContent.trim(), getComputedStyle(e).outlineStyle]; })()"
        )
        assert focused[1] != "none", focused
        seen.append(focused[0])
        if focused[0] == "search-query":
            break
    wanted = ["choose", "doc-search", "doc-tag", "more", "new-conversation", "question", "search-query"]  # fmt: skip
    wanted = [w for w in wanted if w != "more"]  # hidden once all are shown
    assert [s for s in seen if s in wanted] == wanted, seen

    # A text file's passage has no page: its citation shows where it is and its text.
    ask(tab, "How many pear trees does the orchard ledger list?", 1)
    source = tab.locator(f"{LAST_ANSWER} li.citation button.source").first
    assert "ledger-a.txt" in source.inner_text()
    source.focus()
    tab.keyboard.press("Enter")
    tab.wait_for_selector("#preview[open]")
    assert tab.is_hidden("#page-view") and tab.inner_text("#preview-note") == "This format has no pages."  # fmt: skip
    assert "twelve pear trees" in tab.inner_text("#preview-text")
    shot(tab, "passage-without-pages")
    no_serious_violations(tab)
    tab.keyboard.press("Escape")

    # Deleting asks first, with the focus on Cancel; Escape keeps the document.
    delete = tab.locator(f"{row('ledger-c.txt')} .actions button:has-text('Delete')")
    delete.focus()
    tab.keyboard.press("Enter")
    tab.wait_for_selector("#confirm[open]")
    assert tab.evaluate("document.activeElement.value") == "cancel"
    assert "ledger-c.txt" in tab.inner_text("#confirm-text")
    tab.keyboard.press("Escape")
    assert tab.locator("#confirm[open]").count() == 0
    assert tab.evaluate("document.activeElement.closest('li').dataset.id") == tab.get_attribute(row("ledger-c.txt"), "data-id")  # fmt: skip

    # A thread longer than a page shows its newest messages and the earlier ones on
    # demand; the conversations list pages the same way (two a page here).
    ask(tab, "What does the beehive ledger record?", 2)
    newest = api(server, "{ conversations(first: 1) { totalCount edges { node { id } } } }")
    conversation_id = newest["conversations"]["edges"][0]["node"]["id"]
    home(tab, server.base + "/?pageSize=2")
    tab.click("#history summary")
    wanted_button = f"#conversations button[data-id='{conversation_id}']"
    if newest["conversations"]["totalCount"] > 2:
        assert tab.is_visible("#more-conversations")
    for _ in range(20):
        if tab.locator(wanted_button).count():
            break
        tab.click("#more-conversations")
        tab.wait_for_timeout(300)
    tab.click(wanted_button)
    wait_until(tab, "() => document.querySelectorAll('#thread > li').length === 2", timeout=20)
    assert "beehive" in tab.inner_text("#thread li.user")
    assert tab.is_visible("#earlier-messages")
    tab.click("#earlier-messages")
    wait_until(tab, "() => document.querySelectorAll('#thread > li').length === 4", timeout=20)
    assert "pear trees" in tab.locator("#thread li.user").first.inner_text()
    assert tab.is_hidden("#earlier-messages")
