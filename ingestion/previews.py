"""Page previews: one page of a PDF, or one frame of an image (a TIFF's pages), as a PNG of a
given width, rendered in a worker process under a deadline and a memory limit and kept in a
bounded disk cache.

A hostile file (a PDF whose page draws millions of paths, an image that decompresses to
gigabytes) is the same danger here as in parsing, so rendering runs the way parsing does:
in a warm worker of a `ParsePool` (`parsing/pool.py`), a pool of its own so that previews
and parses never wait for each other. A render that breaks a limit is remembered for that
document version (`Failure` in the cache), so asking again does not hold a worker again.

Renderers: pypdfium2 (PDFium, Chrome's PDF engine) for PDFs, Pillow for images; both were
already dependencies of parsing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import io
import json
import logging
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docent.domain import DocumentRecord
from docent.errors import ErrorCode, IngestionError, RateLimited
from docent.ingestion.blobs import BlobMissing, BlobStore
from docent.ingestion.parsing import sniffing
from docent.ingestion.parsing.pool import Isolation, ParsePool

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

#: Widths a preview may be asked for, in pixels (default 800): enough for a phone's screen
#: at 3x and a desktop's page view, few enough that the cache holds a page a few times.
MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH = 100, 2000, 800
#: A preview has at most this many pixels (2000 x 8000, as many as an A4 page's 2000 x 2828
#: five times over): a page too tall for the width asked (a receipt, a long scan, a web
#: page printed as one page) is rendered narrower, as wide as this allows. A bound on the
#: pixels rather than on the shape: a 1000 x 16000 px scan asked at 400 px is 400 x 6400
#: and readable (a bound of 4 heights per width made it 100 x 1600).
MAX_PREVIEW_PIXELS = 16_000_000
PREVIEWABLE = frozenset({sniffing.PDF, sniffing.PNG, sniffing.JPEG, sniffing.TIFF})


def has_previews(mime_type: str) -> bool:
    """Whether documents of `mime_type` have page previews (PDFs and images)."""
    return mime_type in PREVIEWABLE or mime_type.startswith("image/")


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A PNG of one page, and how many pages the document has."""

    png: bytes
    page_count: int


def render_page(
    path: str,
    mime_type: str,
    page: int,
    width: int,
    max_pixels: int,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> RenderedPage:
    """Page `page` (1-based) of the file at `path`, `width` pixels wide (narrower for a page
    that would have more than MAX_PREVIEW_PIXELS), as a PNG. Runs in a pool worker. Raises IngestionError:
    NOT_FOUND for a page past the end, TOO_LARGE for an image of more than `max_pixels`,
    CORRUPT or ENCRYPTED for a file the renderer cannot open."""
    if mime_type == sniffing.PDF:
        image, count = _pdf_page(path, page, width)
    else:
        image, count = _image_frame(path, page, width, max_pixels)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return RenderedPage(out.getvalue(), count)


def _fit(width: float, height: float, target: int) -> float:
    """The scale that makes `width` `target` pixels, or less when the result would have
    more than MAX_PREVIEW_PIXELS (a very tall page)."""
    scale = target / max(width, 1e-6)
    area = max(width * height, 1e-6)
    if area * scale * scale > MAX_PREVIEW_PIXELS:
        scale = (MAX_PREVIEW_PIXELS / area) ** 0.5
    return scale


def _out_of_range(page: int, count: int) -> IngestionError:
    return IngestionError(
        ErrorCode.NOT_FOUND, f"page {page} does not exist: the document has {count} page(s)"
    )


def _pdf_page(path: str, page: int, width: int) -> tuple[Image.Image, int]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        code = ErrorCode.ENCRYPTED if "password" in str(exc).lower() else ErrorCode.CORRUPT
        raise IngestionError(code, f"this PDF cannot be rendered: {exc}") from None
    try:
        count = len(pdf)
        if not 1 <= page <= count:
            raise _out_of_range(page, count)
        pdf_page = pdf[page - 1]
        w, h = pdf_page.get_size()  # points, as displayed (rotation applied)
        bitmap = pdf_page.render(scale=_fit(w, h, width), may_draw_forms=True)
        return bitmap.to_pil(), count
    finally:
        pdf.close()


def _image_frame(path: str, page: int, width: int, max_pixels: int) -> tuple[Image.Image, int]:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with Image.open(path) as image:
            count = int(getattr(image, "n_frames", 1))
            if not 1 <= page <= count:
                raise _out_of_range(page, count)
            image.seek(page - 1)
            if image.width * image.height > max_pixels:
                raise Image.DecompressionBombError
            scale = _fit(image.width, image.height, width)
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image.draft("RGB", size)  # JPEG: decode at the smaller size
            frame = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            return frame.resize(size, Image.Resampling.LANCZOS), count
    except Image.DecompressionBombError:
        raise IngestionError(
            ErrorCode.TOO_LARGE,
            f"this image has more than {max_pixels:,} pixels (DOCENT_MAX_IMAGE_PIXELS)",
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise IngestionError(ErrorCode.CORRUPT, f"this image cannot be read: {exc}") from None


@dataclass(frozen=True, slots=True)
class Failure:
    """A render that failed, remembered for the document version (`code`, `message`)."""

    code: ErrorCode
    message: str


class PreviewCache:
    """Rendered pages on disk, by document id and version, page and width, at most
    `max_bytes` in all: past it, the least recently used files go (a hit touches its
    file). Names are digests: no path is built from a document id."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def _path(self, record: DocumentRecord, page: int, width: int, kind: str) -> Path:
        key = hashlib.sha256(f"{record.id}\0{record.version}".encode()).hexdigest()[:40]
        return self.root / key[:2] / f"{key}-p{page}-w{width}.{kind}"

    def get(self, record: DocumentRecord, page: int, width: int) -> bytes | Failure | None:
        for kind in ("png", "failed"):
            path = self._path(record, page, width, kind)
            with contextlib.suppress(FileNotFoundError):
                data = path.read_bytes()
                os.utime(path)
                if kind == "png":
                    return data
                failure = json.loads(data)
                return Failure(ErrorCode(failure["code"]), failure["message"])
        return None

    def put(self, record: DocumentRecord, page: int, width: int, value: bytes | Failure) -> None:
        kind = "png" if isinstance(value, bytes) else "failed"
        path = self._path(record, page, width, kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = (
            value
            if isinstance(value, bytes)
            else json.dumps({"code": value.code.value, "message": value.message}).encode()
        )
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(name, path)
        self._evict()

    def _evict(self) -> None:
        files = []
        for path in self.root.glob("*/*"):
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size


#: Renders one user may have waiting or running at once, and renders per preview worker
#: all users may have: past either a request is refused at once (429 / 503, Retry-After)
#: instead of queueing behind renders that would outlast it. Two lets a reader's next page
#: wait while one renders; four per worker bounds a newcomer's wait to a few renders.
PER_USER_RENDERS, RENDERS_PER_WORKER = 2, 4
#: A render that had less than this share of DOCENT_PREVIEW_TIMEOUT_S (it waited in the
#: queue first) and timed out is the moment's failure, not the file's: not remembered.
_FULL_BUDGET = 0.9


class Overloaded(RateLimited):
    """Every preview worker is busy and the queue is full (503, with `retry_after`)."""


class ClientGone(Exception):
    """The request went away while its render waited for a worker: the render is not
    started (nobody would read it)."""


#: Failures that are the file's, not the moment's: remembered for its version.
_LASTING = frozenset(
    {ErrorCode.TIMEOUT, ErrorCode.TOO_LARGE, ErrorCode.CORRUPT, ErrorCode.ENCRYPTED}
)


class PreviewService:
    """Page previews of stored documents. Check the reader's access first (the document
    service's `find`); `page_png` renders from the blob store's file."""

    def __init__(
        self,
        blobs: BlobStore,
        cache: PreviewCache,
        isolation: Isolation,
        *,
        workers: int = 1,
        max_pixels: int = 120_000_000,
    ) -> None:
        self._blobs = blobs
        self._cache = cache
        self._isolation = isolation
        self._pool = ParsePool(size=workers)
        self._max_pixels = max_pixels
        self._workers = workers
        self._slots = asyncio.Semaphore(workers)
        self._per_user: dict[str, int] = {}
        self._in_flight = 0

    async def page_png(
        self,
        record: DocumentRecord,
        page: int,
        width: int,
        *,
        user: str = "",
        gone: asyncio.Event | None = None,
        before_render: Callable[[], Awaitable[None]] | None = None,
    ) -> bytes:
        """Page `page` (1-based) of `record`'s file as a PNG `width` pixels wide (MIN_WIDTH
        to MAX_WIDTH; narrower when the page is very tall). Raises IngestionError:
        UNSUPPORTED_TYPE for a format without pages, NOT_FOUND for a page past the end or
        a file that is gone, TIMEOUT / TOO_LARGE past DOCENT_PREVIEW_TIMEOUT_S /
        DOCENT_PREVIEW_MEMORY_MB (and DOCENT_MAX_IMAGE_PIXELS), CORRUPT or ENCRYPTED; and
        what `before_render` raises (awaited only when the page is not in the cache: the
        rate limit counts renders).

        A render waits for a preview worker in a bounded queue: RateLimited (429) when
        `user` already has PER_USER_RENDERS renders waiting or running, Overloaded (503)
        past RENDERS_PER_WORKER per worker in all; both at once, with `retry_after`. The
        wait counts in DOCENT_PREVIEW_TIMEOUT_S (TIMEOUT when it uses it all; the render
        gets the rest). ClientGone when `gone` is set before the render starts."""
        if not has_previews(record.mime_type):
            raise IngestionError(
                ErrorCode.UNSUPPORTED_TYPE,
                f"{record.mime_type} documents have no page previews (PDFs and images do)",
            )
        if (record.page_count is not None and page > record.page_count) or page < 1:
            raise _out_of_range(page, record.page_count or 0)
        cached = await asyncio.to_thread(self._cache.get, record, page, width)
        if isinstance(cached, Failure):
            raise IngestionError(cached.code, cached.message)
        if cached is not None:
            return cached
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._isolation.timeout_s
        self._admit(user)
        try:
            if before_render is not None:
                await before_render()
            await self._wait_for_worker(gone, deadline)
            try:
                budget = deadline - loop.time()
                isolation = dataclasses.replace(self._isolation, timeout_s=budget)
                rendered = await self._render(record, page, width, isolation)
            finally:
                self._slots.release()
        finally:
            self._leave(user)
        if isinstance(rendered, IngestionError):
            full = budget >= _FULL_BUDGET * self._isolation.timeout_s
            if rendered.code in _LASTING and (full or rendered.code != ErrorCode.TIMEOUT):
                failure = Failure(rendered.code, rendered.message)
                await asyncio.to_thread(self._cache.put, record, page, width, failure)
            raise rendered
        await asyncio.to_thread(self._cache.put, record, page, width, rendered.png)
        return rendered.png

    async def _render(
        self, record: DocumentRecord, page: int, width: int, isolation: Isolation
    ) -> RenderedPage | IngestionError:
        try:
            async with self._blobs.local_copy(record.id) as path:
                args = (str(path), record.mime_type, page, width, self._max_pixels)
                rendered: RenderedPage = await self._pool.call(
                    render_page, args, isolation=isolation
                )
                return rendered
        except BlobMissing:
            raise IngestionError(ErrorCode.NOT_FOUND, "the document's file is gone") from None
        except IngestionError as exc:
            return exc

    def _admit(self, user: str) -> None:
        """Count a render in, or refuse it at once when the queue is full."""
        retry_after = min(self._isolation.timeout_s, 5.0)
        if self._per_user.get(user, 0) >= PER_USER_RENDERS:
            raise RateLimited(
                f"you have {PER_USER_RENDERS} page previews rendering or waiting; "
                "ask again when one is done",
                retry_after=retry_after,
            )
        if self._in_flight >= RENDERS_PER_WORKER * self._workers:
            raise Overloaded(
                "every preview worker is busy and the queue is full; ask again shortly",
                retry_after=retry_after,
            )
        self._per_user[user] = self._per_user.get(user, 0) + 1
        self._in_flight += 1

    def _leave(self, user: str) -> None:
        self._in_flight -= 1
        left = self._per_user.pop(user, 1) - 1
        if left > 0:
            self._per_user[user] = left

    async def _wait_for_worker(self, gone: asyncio.Event | None, deadline: float) -> None:
        """Take a worker slot; ClientGone if `gone` is set first (or when the slot comes),
        TIMEOUT if `deadline` passes first. The slot is the caller's to release."""
        loop = asyncio.get_running_loop()
        acquire = asyncio.ensure_future(self._slots.acquire())
        waits: set[asyncio.Future[Any]] = {acquire}
        if gone is not None:
            waits.add(asyncio.ensure_future(gone.wait()))
        try:
            await asyncio.wait(
                waits, timeout=max(deadline - loop.time(), 0), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiting in waits:
                waiting.cancel()
            await asyncio.gather(*waits, return_exceptions=True)
            got = acquire.done() and not acquire.cancelled() and acquire.exception() is None
            left = gone is not None and gone.is_set()
            if got and (left or sys.exc_info()[0] is not None):
                self._slots.release()
        if left:
            raise ClientGone
        if not got:
            raise IngestionError(
                ErrorCode.TIMEOUT,
                "the preview waited for a worker for all of its "
                f"{self._isolation.timeout_s:g} s (DOCENT_PREVIEW_TIMEOUT_S); ask again",
            )

    async def warm(self) -> None:
        """Start a render worker (and the fork server) before the first preview is asked
        for, so that it does not pay for them. A failure is logged, not raised: the first
        preview then starts its worker itself."""
        try:
            await self._pool.warm()
        except Exception:
            log.warning("could not start a page preview worker ahead of time", exc_info=True)

    async def close(self) -> None:
        await self._pool.close()
