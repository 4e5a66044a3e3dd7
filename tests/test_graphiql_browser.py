"""GraphiQL works offline: headless Chromium (Debian's) opens /graphql on a real docent
server, runs a query and a subscription, and reads the results on the page; every request
to a host other than loopback is aborted and fails the test."""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from support.prerequisites import unavailable
from support.servers import DocentServer

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ASSETS = {
    "react.production.min.js", "react-dom.production.min.js", "js.cookie.min.js",
    "graphiql.min.css", "graphiql-plugin-explorer.css", "graphiql.min.js",
    "graphiql-plugin-explorer.umd.js",
}  # fmt: skip
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
RESPONSE_EDITOR = ".graphiql-response .CodeMirror"
#: The home page's latest answer in its conversation thread.
LAST_ANSWER = "#thread li.assistant:last-child"

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium is not at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e .[test])"
    return None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    reason = _missing()
    if reason:
        unavailable("headless browser", reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright.chromium


def _loopback(host: str | None) -> bool:
    if host in (None, "localhost"):
        return host == "localhost"
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return False


class Recorder:
    """Requests the page makes; non-loopback ones are aborted and recorded."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.blocked: list[str] = []
        self.bad: list[tuple[int, str]] = []
        # Responses to requests that carried a bearer token (sent after signing in).
        self.with_token: list[tuple[int, str]] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.websockets: list[str] = []

    def attach(self, context: Any, page: Any) -> None:
        context.on("request", lambda r: self.urls.append(r.url))
        context.on("response", self._response)
        context.on("requestfailed", lambda r: self.failed.append(r.url))
        context.route("**/*", self._route)
        page.on("websocket", lambda ws: self.websockets.append(ws.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.bad.append((response.status, response.url))
        if "authorization" in response.request.headers:
            self.with_token.append((response.status, response.url))

    def _route(self, route: Any) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and not _loopback(parts.hostname):
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def assert_clean(self) -> None:
        assert self.blocked == [], f"requests to other hosts: {self.blocked}"
        assert self.bad == [] and self.failed == [], (self.bad, self.failed)
        assert self.errors == [], self.errors


@contextmanager
def browser_tab(chromium: Any, tmp_path: Path) -> Iterator[tuple[Any, Recorder]]:
    """A tab of a fresh headless Chromium profile, its requests recorded."""
    context = chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    recorder = Recorder()
    tab = context.new_page()
    recorder.attach(context, tab)
    try:
        yield tab, recorder
    finally:
        context.close()


@pytest.fixture
def page(
    chromium: Any, docent_server: DocentServer, tmp_path: Path
) -> Iterator[tuple[Any, Recorder]]:
    with browser_tab(chromium, tmp_path) as (page, recorder):
        response = page.goto(docent_server.url, wait_until="load")
        assert response is not None and response.status == 200
        page.wait_for_selector(QUERY_EDITOR, timeout=30_000)
        yield page, recorder


def wait_until(page: Any, predicate: str, *, timeout: float) -> None:
    """Poll `predicate` (a JavaScript function) until it returns true. Not
    `page.wait_for_function`: Playwright evaluates its predicate with `eval` inside the page,
    which the page's Content-Security-Policy forbids (as it should); `page.evaluate` runs
    through the DevTools protocol, outside the page's policy."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"not true after {timeout} s: {predicate}"
        time.sleep(0.1)


def run(page: Any, query: str, *, shortcut: bool = False, paste: bool = False) -> None:
    """Put `query` in the editor (typed key by key, or pasted whole) and run it."""
    page.click(QUERY_EDITOR)
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    if paste:  # long queries: typing races GraphiQL's bracket closing and autocompletion
        page.evaluate(
            f"q => document.querySelector({QUERY_EDITOR!r}).CodeMirror.setValue(q)", query
        )
    else:
        page.keyboard.type(query)
    page.keyboard.press("Escape")
    # GraphiQL runs the document it parsed last (and picks HTTP or WebSocket from it): wait
    # until that parse is of the text now in the editor.
    wait_until(
        page,
        f"""() => {{ const cm = document.querySelector({QUERY_EDITOR!r}).CodeMirror;
            const ast = cm.documentAST; return !!ast && !!ast.loc && ast.loc.source.body === cm.getValue(); }}""",
        timeout=10,
    )
    if shortcut:
        page.keyboard.press("Control+Enter")
    else:
        page.click(".graphiql-execute-button")


def result(page: Any, needle: str) -> str:
    wait_until(
        page,
        f"() => document.querySelector({RESPONSE_EDITOR!r}).CodeMirror.getValue().includes({needle!r})",
        timeout=60,
    )
    return str(page.evaluate(f"document.querySelector({RESPONSE_EDITOR!r}).CodeMirror.getValue()"))


def upload_and_ask(tab: Any, path: Path, question: str) -> str:
    """On the home page: upload `path`, wait until it is READY, ask `question`, and wait for
    the answer's citations; the answer's text."""
    tab.set_input_files("#files", str(path))
    tab.wait_for_selector(f"#documents li:has-text('{path.name}') .status.READY", timeout=60_000)
    tab.fill("#question", question)
    tab.click("form#ask button")
    tab.wait_for_selector(f"{LAST_ANSWER} li.citation", timeout=60_000)
    return str(tab.inner_text(f"{LAST_ANSWER} .answer"))


def test_graphiql_runs_a_query_offline(
    page: tuple[Any, Recorder], docent_server: DocentServer
) -> None:
    tab, recorder = page
    run(tab, "{ viewer { id name")  # GraphiQL closes the braces itself
    text = result(tab, '"id": "local"')
    assert '"name": "Local user"' in text
    assert "local" in tab.inner_text(".graphiql-response")
    served = {
        urlsplit(u).path.removeprefix("/graphql-assets/")
        for u in recorder.urls
        if "/graphql-assets/" in u
    }
    assert served == ASSETS
    recorder.assert_clean()


def test_graphiql_runs_a_subscription_over_websocket(
    page: tuple[Any, Recorder], docent_server: DocentServer
) -> None:
    tab, recorder = page
    run(
        tab,
        'subscription { answer(input: {question: "What colour is the sky on Mars?"}) '
        "{ __typename ... on AnswerDone { answer { grounded text } } } }",
        shortcut=True,
        paste=True,
    )
    text = result(tab, "AnswerDone")
    assert '"grounded":' in text and '"text":' in text
    assert docent_server.ws_url in recorder.websockets
    recorder.assert_clean()


def test_home_page_uploads_a_pdf_and_streams_a_cited_answer(
    chromium: Any, docent_server: DocentServer, tmp_path: Path
) -> None:
    from support.samples import make_pdf

    pdf = tmp_path / "kettle-manual.pdf"
    pdf.write_bytes(make_pdf(
        [["Kettle manual", "Fill the kettle with fresh water before every use."],
         ["Descaling", "Descale the kettle every 4 weeks with white vinegar and water."]],
        title="kettle",
    ))  # fmt: skip
    with browser_tab(chromium, tmp_path) as (tab, recorder):
        assert tab.goto(docent_server.base + "/", wait_until="load").status == 200
        assert "4 weeks" in upload_and_ask(tab, pdf, "How often should I descale the kettle?")
        citation = tab.inner_text(f"{LAST_ANSWER} li.citation")
        assert "kettle-manual.pdf, page 2" in citation and "white vinegar" in citation
        assert "extractive" in tab.inner_text(f"{LAST_ANSWER} .model")
        recorder.assert_clean()


def test_home_page_signs_in_with_a_token(chromium: Any, tmp_path: Path) -> None:
    """With DOCENT_AUTH=dev the page asks for a token, then works as the user it names."""
    from docent.api.auth import DevAuth

    from support.servers import running_server

    secret = "browser-test-secret-" + "z" * 32
    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": secret}
    notes = tmp_path / "garden-notes.txt"
    notes.write_text("Water the tomatoes every morning in summer, before nine o'clock.")
    with (
        running_server(tmp_path / "server", env) as server,
        browser_tab(chromium, tmp_path) as (tab, recorder),
    ):
        assert tab.goto(server.base + "/", wait_until="load").status == 200
        tab.wait_for_selector("form#signin:not([hidden])", timeout=10_000)
        assert "sign in" in tab.inner_text("#documents")
        tab.fill("#token", DevAuth(secret).mint("gardener"))
        tab.click("form#signin button")
        tab.wait_for_selector("form#signin[hidden]", state="attached", timeout=10_000)
        answer = upload_and_ask(tab, notes, "When should I water the tomatoes?")
        assert "every morning" in answer
        # A page preview is fetched with the token too (an <img src> could not send it).
        tab.click("#new-conversation")
        from support.samples import make_pdf

        roses = tmp_path / "rose-care.pdf"
        roses.write_bytes(make_pdf([["Roses", "Prune the roses in late winter, above an outward bud."]]))  # fmt: skip
        assert "late winter" in upload_and_ask(tab, roses, "When should the roses be pruned?")
        tab.click(f"{LAST_ANSWER} li.citation button.source")
        tab.wait_for_selector("#preview[open] #page-view .region", timeout=60_000)
        assert tab.evaluate("document.querySelector('#page-image').naturalWidth") > 100
        # The page's first requests, sent without a token, are refused (and their answers
        # may arrive after the user signed in, without reopening the form); none sent with it.
        assert recorder.bad and all(status == 401 for status, _ in recorder.bad)
        assert recorder.with_token and all(status < 400 for status, _ in recorder.with_token)
        assert tab.is_hidden("form#signin")
        assert recorder.blocked == []
