"""What browsers are told: security headers on every response, the Content-Security-Policy
of the two pages docent serves (the home page at `/`, GraphiQL at `/graphql`), and the home
page itself (`home_routes`: api/home.html with its one script and one style sheet).

Both pages are served by docent itself, offline: their scripts and styles come from docent
(`'self'`), and their inline scripts are allowed by their SHA-256 hash, computed from the
page as it is served, so that no other inline script (an injected one) runs. Inline styles
are allowed: GraphiQL and CodeMirror set them as they draw, and a style cannot run code.
Everything else (JSON answers, files) gets a policy that allows nothing, and no response may
be framed by another site (clickjacking).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)

#: Every response's headers (a response that sets one keeps its own).
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
}


def page_policy(html: str) -> str:
    """The Content-Security-Policy of a page docent serves: its own scripts and the inline
    scripts `html` holds (by hash), its own styles and inline styles, connections to itself
    (HTTP and WebSocket), images and fonts from itself or `data:` URLs, nothing else."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"
        for code in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {hashes}".rstrip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class BrowserHeaders:
    """Adds HEADERS to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: The home page's files beside this module, by the path they are served at, with their type.
HOME_FILES = {
    "/": ("home.html", "text/html; charset=utf-8"),
    "/home.js": ("home.js", "text/javascript; charset=utf-8"),
    "/home.css": ("home.css", "text/css; charset=utf-8"),
}


def home_routes() -> list[Route]:
    """The home page (`/`, under its page_policy) and its script and style sheet, read once
    at start. `no-cache`: a browser asks again (cheaply) so that an upgrade is seen at once."""
    routes = []
    for path, (name, media_type) in HOME_FILES.items():
        body = (Path(__file__).parent / name).read_text(encoding="utf-8")
        headers = {"cache-control": "no-cache"}
        if name.endswith(".html"):
            headers["content-security-policy"] = page_policy(body)

        async def serve(
            request: Request,
            body: str = body,
            headers: dict[str, str] = headers,
            media_type: str = media_type,
        ) -> Response:
            return HTMLResponse(body, headers=headers, media_type=media_type)

        routes.append(Route(path, serve, methods=["GET", "HEAD"]))
    return routes
