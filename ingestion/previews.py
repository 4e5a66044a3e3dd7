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
import io
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from docent.domain import DocumentRecord
from docent.errors import ErrorCode, IngestionError, RateLimited
from docent.ingestion.blobs import BlobMissing, BlobStore
from docent.ingestion.fair_slots import FairSlots
from docent.ingestion.parsing import sniffing
from docent.ingestion.parsing.pool import Isolation, ParsePool
from docent.ingestion.preview_cache import Failure, PreviewCache
from docent.settings import usable_cores

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
#: The widths a page is rendered at, in pixels: a preview of width W is a downscale (LANCZOS)
#: of the render at the smallest of these >= W, so that a page costs at most
#: len(LADDER) renders whatever widths are asked for (a new width is a resize of a cached
#: bitmap in the API process, ~0.1 s in BENCHMARKS.md, no worker). Each step is at most
#: twice the one before (a downscale keeps at least half the render's pixels across,
#: never an upscale) and the common widths, the default 800 and a thumbnail's 200 or
#: 400, are steps themselves (no resize at all).
LADDER = (200, 400, 800, 1200, 1600, 2000)
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


def ladder_width(width: int) -> int:
    """The LADDER width whose render a preview `width` pixels wide is made from."""
    return next(step for step in LADDER if step >= width)


def downscale(png: bytes, width: int) -> bytes:
    """`png`, a render at a ladder width, scaled down to `width` pixels wide (LANCZOS) as a
    PNG; unchanged when it is no wider (a page too tall for MAX_PREVIEW_PIXELS was rendered
    narrower than its step, and the preview asked for is then as wide as that bound allows
    too: never upscaled). Our own bounded render (at most MAX_PREVIEW_PIXELS), so it is safe
    to decode in the API process; run it in a thread."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image.load()
        if image.width <= width:
            return png
        frame = image if image.mode in ("RGB", "RGBA", "L", "LA") else image.convert("RGBA")
        scale = width / frame.width
        size = (width, max(1, round(frame.height * scale)))
        out = io.BytesIO()
        # Level 1, not the renders' 6: a LANCZOS-resized text page has many more distinct
        # shades, and level 6 spent most of the time (800 -> 799 px of a text page: 161 ms
        # and 649 KB at level 6, 64 ms and 458 KB at level 1; load ~5).
        frame.resize(size, Image.Resampling.LANCZOS).save(out, format="PNG", compress_level=1)
        return out.getvalue()


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


#: Renders one user may have waiting or running at once: past it that user's request is
#: refused at once (429, Retry-After) instead of queueing behind their own renders. Two
#: lets a reader's next page wait while one renders.
PER_USER_RENDERS = 2
#: Renders waiting or running per preview worker past which a user who already has one is
#: refused (503, Retry-After). A user with none is always let in, and a freed worker goes
#: to the waiting render whose user has the fewest running (`FairSlots`), so a newcomer
#: waits for about one render however many others queue. Eight per worker is four users
#: at PER_USER_RENDERS: a few accounts cannot reach it; it bounds the queue of second renders.
RENDERS_PER_WORKER = 8
#: A render that had less than this share of DOCENT_PREVIEW_TIMEOUT_S (it waited in the
#: queue first) and timed out is the moment's failure, not the file's: not remembered.
_FULL_BUDGET = 0.9


class Overloaded(RateLimited):
    """The render queue is full and the user already has a render in it (503, with
    `retry_after`)."""


class ClientGone(Exception):
    """The request went away while its render waited for a worker: the render is not
    started (nobody would read it)."""


#: Failures that are the file's, not the moment's: remembered for its version.
_LASTING = frozenset(
    {ErrorCode.TIMEOUT, ErrorCode.TOO_LARGE, ErrorCode.CORRUPT, ErrorCode.ENCRYPTED}
)


@dataclass(eq=False)
class _Shared:
    """One render being done, and how many requests wait for it (the entry goes at 0)."""

    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)
    users: int = 0


def scale_threads() -> int:
    """Threads of the scale-downs' own executor: half the cores this process may use, at
    least one. A scale-down is CPU work (Pillow lets go of the GIL while it resizes and
    compresses); the other half is left to the event loop and the default thread pool."""
    return max(1, usable_cores() // 2)


class PreviewService:
    """Page previews of stored documents. Check the reader's access first (the document
    service's `find`); `page_png` renders from the blob store's file.

    Scale-downs run on an executor of their own (`scale_threads`), not on asyncio's default
    thread pool, which the database, blob and cache reads share: a burst of previews at
    new widths queued there delayed those behind it for as long as the burst lasted."""

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
        self._slots = FairSlots(workers)
        self._per_user: dict[str, int] = {}
        self._in_flight = 0
        self._rendering: dict[tuple[str, int, int, int], _Shared] = {}
        self._scaling = ThreadPoolExecutor(scale_threads(), thread_name_prefix="docent-scale")

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
        what `before_render` raises (awaited only when a render is needed: the rate limit
        counts renders).

        The page is rendered at `ladder_width(width)` (one of LADDER) and scaled down to
        `width` on the scale-downs' executor; both PNGs are cached, and a render another request of the same
        page and step is doing is waited for, not repeated.

        A render waits for a preview worker: RateLimited (429) when `user` already has
        PER_USER_RENDERS renders (or downscales) waiting or running, Overloaded (503) when
        `user` has one and RENDERS_PER_WORKER per worker are in flight in all; both at once, with
        `retry_after`. A user with no render in flight is always admitted, and a free worker
        goes to the waiting render whose user has the fewest running (`FairSlots`). The wait
        counts in DOCENT_PREVIEW_TIMEOUT_S (TIMEOUT when it uses it all; the render gets the
        rest). ClientGone when `gone` is set before the render starts."""
        if not has_previews(record.mime_type):
            raise IngestionError(
                ErrorCode.UNSUPPORTED_TYPE,
                f"{record.mime_type} documents have no page previews (PDFs and images do)",
            )
        if (record.page_count is not None and page > record.page_count) or page < 1:
            raise _out_of_range(page, record.page_count or 0)
        cached = await self._cached(record, page, width)
        if cached is not None:
            return cached
        step = ladder_width(width)
        base = await self._cached(record, page, step) if step != width else None
        deadline = asyncio.get_running_loop().time() + self._isolation.timeout_s
        # A downscale counts in the user's renders too: it is CPU of the API process (a
        # thread, ~0.1-0.2 s for 800 px), so one user cannot run many at once.
        self._admit(user)
        try:
            if base is None:
                base = await self._render_step(
                    record, page, step, user=user, gone=gone, deadline=deadline,
                    before_render=before_render,
                )  # fmt: skip
            if step == width:
                return base
            loop = asyncio.get_running_loop()
            png = await loop.run_in_executor(self._scaling, downscale, base, width)
        finally:
            self._leave(user)
        await asyncio.to_thread(self._cache.put, record, page, width, png)
        return png

    async def _cached(self, record: DocumentRecord, page: int, width: int) -> bytes | None:
        """The cached PNG, None on a miss; raises the remembered failure."""
        cached = await asyncio.to_thread(self._cache.get, record, page, width)
        if isinstance(cached, Failure):
            raise IngestionError(cached.code, cached.message)
        return cached

    async def _render_step(
        self,
        record: DocumentRecord,
        page: int,
        step: int,
        *,
        user: str,
        gone: asyncio.Event | None,
        deadline: float,
        before_render: Callable[[], Awaitable[None]] | None,
    ) -> bytes:
        """The PNG of `page` at ladder width `step`, rendered by a worker and cached (or
        read from the cache once the same render another request was doing is done)."""
        loop = asyncio.get_running_loop()
        async with self._one_render_of((record.id, record.version, page, step), deadline):
            again = await self._cached(record, page, step)
            if again is not None:
                return again
            if before_render is not None:
                await before_render()
            await self._wait_for_worker(user, gone, deadline)
            try:
                budget = deadline - loop.time()
                isolation = dataclasses.replace(self._isolation, timeout_s=budget)
                rendered = await self._render(record, page, step, isolation)
            finally:
                self._slots.release(user)
            if isinstance(rendered, IngestionError):
                full = budget >= _FULL_BUDGET * self._isolation.timeout_s
                if rendered.code in _LASTING and (full or rendered.code != ErrorCode.TIMEOUT):
                    failure = Failure(rendered.code, rendered.message)
                    await asyncio.to_thread(self._cache.put, record, page, step, failure)
                raise rendered
            await asyncio.to_thread(self._cache.put, record, page, step, rendered.png)
            return rendered.png

    @contextlib.asynccontextmanager
    async def _one_render_of(
        self, key: tuple[str, int, int, int], deadline: float
    ) -> AsyncIterator[None]:
        """Hold the render of `key` (document id, version, page, ladder width): a request for
        a render another is doing waits for it, then finds it in the cache. TIMEOUT when
        `deadline` passes first."""
        shared = self._rendering.setdefault(key, _Shared())
        shared.users += 1
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    await shared.lock.acquire()
            except TimeoutError:
                raise self._waited_too_long() from None
            try:
                yield
            finally:
                shared.lock.release()
        finally:
            shared.users -= 1
            if shared.users == 0:
                del self._rendering[key]

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
        """Count a render in, or refuse it at once: the user has PER_USER_RENDERS in
        flight, or has one and the queue is full. A user with none is always let in."""
        retry_after = min(self._isolation.timeout_s, 5.0)
        mine = self._per_user.get(user, 0)
        if mine >= PER_USER_RENDERS:
            raise RateLimited(
                f"you have {PER_USER_RENDERS} page previews rendering or waiting; "
                "ask again when one is done",
                retry_after=retry_after,
            )
        if mine > 0 and self._in_flight >= RENDERS_PER_WORKER * self._workers:
            raise Overloaded(
                "the preview queue is full and you have a page preview in it; "
                "ask again when it is done",
                retry_after=retry_after,
            )
        self._per_user[user] = self._per_user.get(user, 0) + 1
        self._in_flight += 1

    def _leave(self, user: str) -> None:
        self._in_flight -= 1
        left = self._per_user.pop(user, 1) - 1
        if left > 0:
            self._per_user[user] = left

    async def _wait_for_worker(
        self, user: str, gone: asyncio.Event | None, deadline: float
    ) -> None:
        """Take a worker slot; ClientGone if `gone` is set first (or when the slot comes),
        TIMEOUT if `deadline` passes first. The slot is the caller's to release."""
        loop = asyncio.get_running_loop()
        acquire = asyncio.ensure_future(self._slots.acquire(user))
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
                self._slots.release(user)
        if left:
            raise ClientGone
        if not got:
            raise self._waited_too_long()

    def _waited_too_long(self) -> IngestionError:
        return IngestionError(
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
        self._scaling.shutdown(wait=False, cancel_futures=True)
