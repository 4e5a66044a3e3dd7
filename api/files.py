"""A document's original file over HTTP, `GET /documents/{id}/file`, and its page previews,
`GET /documents/{id}/pages/{n}.png` (rendered by `ingestion/previews.py`).

The same reader rules as the `document(id)` query: the caller (BearerAuth authenticates
every `/documents/` request, as it does GraphQL operations) gets a document they can read;
another user's id and an id that does not exist get the same 404 NOT_FOUND. The bytes come
from the blob store through the document service, never from a path built from the id.

HTTP semantics (RFC 9110): a strong `ETag` (the file's sha256) with `If-None-Match` (304)
and `If-Range`; one byte range per request (206 with `Content-Range`; 416 with
`Content-Range: bytes */size` and the typed JSON error RANGE_NOT_SATISFIABLE when it lies
past the end; a number of more than 18 digits counts as past any end). A request for several ranges is
answered with the whole file (200), which RFC 9110 §14.2 allows: PDF viewers fall back to
that. `Content-Disposition` (RFC 6266) names the file with an ASCII `filename` and the exact
name in `filename*` (RFC 8187), so that no file name can add a header or a parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from docent.api.admission import watch_disconnect
from docent.api.auth import Principal
from docent.api.middleware import json_error, transport_code
from docent.api.rate_limiter import RateLimiter
from docent.domain import DocumentRecord
from docent.errors import ErrorCode, IngestionError, RateLimited
from docent.ingestion.documents import DocumentService
from docent.ingestion.parsing import sniffing
from docent.ingestion.previews import (
    DEFAULT_WIDTH,
    MAX_WIDTH,
    MIN_WIDTH,
    ClientGone,
    Overloaded,
    PreviewService,
)
from docent.rate_limits import Bucket

#: Media types a browser may show in place (`inline`); any other is a download
#: (`attachment`), so that an uploaded HTML or SVG page never renders as docent's own.
INLINE_TYPES = frozenset(
    {sniffing.PDF, sniffing.PNG, sniffing.JPEG, sniffing.TIFF, sniffing.TEXT, sniffing.CSV}
)
#: A file response is a document, never a page: nothing in it runs (sandbox), even inline.
FILE_POLICY = "default-src 'none'; sandbox; frame-ancestors 'self'"

# ASCII digits only: `\d` would also read fullwidth and other scripts' digits.
_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")
#: Digits that may be read as a number: 18 is past any file size (10^18 bytes is an
#: exabyte) and keeps int() far from Python's 4,300-digit limit, whatever a header sends.
_MAX_DIGITS = 18
_HUGE = 10**_MAX_DIGITS
#: A page number in a preview's path: ASCII digits, no leading zero, at most 6 digits
#: (a million pages; the page count bounds it further). `0` parses, and is past the start.
_PAGE = re.compile(r"^(0|[1-9][0-9]{0,5})$")
#: A width in `?width=`: ASCII digits, at most 4 (MAX_WIDTH is 2000).
_WIDTH = re.compile(r"^[0-9]{1,4}$")


def bounded_int(digits: str) -> int:
    """The value of a string of ASCII digits, or _HUGE when it has more than _MAX_DIGITS
    significant digits: larger than any size, so the range rules give the right answer
    (clip to the end, or 416) without converting thousands of digits."""
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= _MAX_DIGITS else _HUGE


def file_url(document_id: str) -> str:
    """The path of a document's original file (relative to the server)."""
    return f"/documents/{quote(document_id, safe='')}/file"


def not_found(document_id: str) -> Response:
    """The one answer for an id that does not exist and one the caller may not read."""
    return json_error(404, "NOT_FOUND", f"no document with id {document_id!r}")


async def readable(request: Request, documents: DocumentService) -> DocumentRecord | Response:
    """The document named by the path's `id` when the caller may read it, else the 404."""
    document_id = request.path_params["id"]
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or not principal.id:
        return not_found(document_id)
    record = await documents.find(principal.access, document_id)
    return record if record is not None else not_found(document_id)


def content_disposition(filename: str, media_type: str) -> str:
    """`inline` or `attachment` (INLINE_TYPES), with `filename` twice (RFC 6266 §4.3): as
    printable ASCII without quotes, backslashes or separators, and exactly, UTF-8 and
    percent-encoded, as `filename*` (RFC 8187). Control characters (CR, LF) are dropped
    from both, so a hostile name cannot end the header."""
    name = "".join(c for c in filename if unicodedata.category(c)[0] != "C")
    name = name.replace("/", "_").replace("\\", "_").strip() or "document"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()+,-]", "_", ascii_name).strip() or "document"
    kind = "inline" if media_type in INLINE_TYPES else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Bytes `start` to `end` (exclusive) of a file of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def header(self) -> str:
        return f"bytes {self.start}-{self.end - 1}/{self.size}"


class Unsatisfiable(Exception):
    """A range that lies wholly past the end of the file (416)."""


def parse_range(value: str | None, size: int) -> ByteRange | None:
    """The one range a `Range` header asks for (RFC 9110 §14.1.2: `bytes=a-b`, `bytes=a-`,
    `bytes=-n`), clipped to the file; None for no header, several ranges or a header that
    does not parse (the whole file is sent); Unsatisfiable when it starts past the end."""
    if not value:
        return None
    match = _RANGE.match(value.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last n bytes
        n = bounded_int(last)
        if n == 0:
            raise Unsatisfiable
        return ByteRange(max(size - n, 0), size, size)
    start = bounded_int(first)
    end = size if not last else min(bounded_int(last) + 1, size)
    if last and bounded_int(last) < start:
        return None  # invalid: ignored, as RFC 9110 says
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, end, size)


def etag_matches(header: str | None, etag: str) -> bool:
    """`If-None-Match` (weak comparison, RFC 9110 §13.1.2): `*` or a listed tag."""
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


async def download(request: Request, documents: DocumentService) -> Response:
    """GET (and HEAD) /documents/{id}/file: the stored bytes with their detected media
    type; 304, 206 and 416 as the module says; 404 NOT_FOUND when the caller cannot read
    the document or its file is gone."""
    found = await readable(request, documents)
    if isinstance(found, Response):
        return found
    record = found
    size = await documents.files.size(record.id)
    if size is None:
        return not_found(record.id)
    etag = f'"{record.sha256}"'
    headers = {
        "etag": etag,
        "accept-ranges": "bytes",
        "cache-control": "private, no-cache",
        "content-disposition": content_disposition(record.filename, record.mime_type),
        "content-security-policy": FILE_POLICY,
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    wanted: ByteRange | None = None
    if_range = request.headers.get("if-range")
    if if_range is None or if_range.strip() == etag:
        try:
            wanted = parse_range(request.headers.get("range"), size)
        except Unsatisfiable:
            return json_error(
                416,
                transport_code(416),
                f"the range asked for starts past the end of the file ({size} bytes)",
                {**headers, "content-range": f"bytes */{size}"},
            )
    part = wanted or ByteRange(0, size, size)
    headers["content-length"] = str(part.end - part.start)
    if wanted is not None:
        headers["content-range"] = wanted.header
    status = 206 if wanted is not None else 200
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=record.mime_type)
    body = documents.files.read(record.id, part.start, part.end)
    return StreamingResponse(body, status_code=status, headers=headers, media_type=record.mime_type)


#: HTTP status of a preview that cannot be made, by code.
_PREVIEW_STATUS = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.UNSUPPORTED_TYPE: 415,
    ErrorCode.TIMEOUT: 503,
    ErrorCode.TOO_LARGE: 422,
    ErrorCode.CORRUPT: 422,
    ErrorCode.ENCRYPTED: 422,
}


def page_url(document_id: str, page: int) -> str:
    """The path of a page's preview (relative to the server; `?width=` picks the width)."""
    return f"/documents/{quote(document_id, safe='')}/pages/{page}.png"


async def preview(
    request: Request, documents: DocumentService, previews: PreviewService, limiter: RateLimiter
) -> Response:
    """GET /documents/{id}/pages/{n}.png?width=W: page n (1-based) as a PNG W pixels wide
    (MIN_WIDTH to MAX_WIDTH, default DEFAULT_WIDTH). 400 BAD_REQUEST (`field` width or
    page) for another width, a repeated width, or a page number that is not ASCII digits
    without leading zeros (`01.png` is refused, not redirected: one URL per page); 404
    NOT_FOUND for a document the caller cannot read or a page past the end; 415
    UNSUPPORTED_TYPE for a format without pages; 422 TOO_LARGE / CORRUPT / ENCRYPTED and 503
    TIMEOUT when the page cannot be rendered within the preview limits; 429 RATE_LIMITED
    (`Retry-After`) past DOCENT_RATE_LIMITS' `preview` budget, which renders spend (a
    cached page is free), or when the caller has PER_USER_RENDERS renders waiting or
    running; 503 RATE_LIMITED (`Retry-After`) when the render queue is full and the caller
    already has a render in it (a caller with none is always queued, and served fairly:
    `ingestion/previews.py`). A page is rendered at a LADDER width and scaled to W, so a
    new width of a rendered page costs no render. A render whose client left while it
    waited is not started."""
    found = await readable(request, documents)
    if isinstance(found, Response):
        return found
    page_text = request.path_params["page"]
    if _PAGE.match(page_text) is None:
        message = "the page must be a whole number of at most 6 ASCII digits, no leading zeros"
        return json_error(400, "BAD_REQUEST", message, field="page")
    widths = request.query_params.getlist("width")
    if len(widths) > 1:
        return json_error(400, "BAD_REQUEST", "width may be given once", field="width")
    text = widths[0] if widths else str(DEFAULT_WIDTH)
    if _WIDTH.match(text) is None or not MIN_WIDTH <= int(text) <= MAX_WIDTH:
        message = f"width must be a whole number of pixels from {MIN_WIDTH} to {MAX_WIDTH}"
        return json_error(400, "BAD_REQUEST", message, field="width")
    principal: Principal = request.state.principal
    address = request.client.host if request.client else None

    async def spend() -> None:
        await limiter.acquire(Bucket.PREVIEW, user=principal.id, address=address)

    gone = asyncio.Event()
    watcher = asyncio.create_task(watch_disconnect(request, gone))
    try:
        png = await previews.page_png(
            found, int(page_text), int(text), user=principal.id, gone=gone, before_render=spend
        )
    except ClientGone:
        return Response(status_code=499)  # nobody reads it: the connection is gone
    except RateLimited as exc:
        wait = exc.retry_after or 1.0
        headers = {"retry-after": str(math.ceil(wait))}
        status = 503 if isinstance(exc, Overloaded) else 429
        return json_error(status, exc.code.value, exc.message, headers, retryAfter=wait)
    except IngestionError as exc:
        return json_error(_PREVIEW_STATUS.get(exc.code, 422), exc.code.value, exc.message)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    etag = f'"{hashlib.sha256(png).hexdigest()[:32]}"'
    headers = {"etag": etag, "cache-control": "private, no-cache"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(png, media_type="image/png", headers=headers)
