"""A local HTTP server that speaks the Cohere v2 and Gemini (Generative Language API) wire
protocols, so the official SDKs can be pointed at it in tests:

    with FakeProviders() as fake:
        co = cohere.AsyncClientV2(api_key=fake.cohere_key, base_url=fake.url, max_retries=0)
        gem = genai.Client(api_key=fake.gemini_key, http_options=types.HttpOptions(
            base_url=fake.url, retry_options=types.HttpRetryOptions(attempts=1)))
        fake.script("gemini.generate", Reply(status=429, headers={"Retry-After": "1"}))
        ...
        fake.calls("gemini.generate")[0].status == 429

Routes (the names used by `script`, `calls` and `stream_cancelled`):

- ``cohere.embed``     POST /v2/embed
- ``cohere.rerank``    POST /v2/rerank
- ``cohere.chat``      POST /v2/chat (an SSE stream when the body has ``"stream": true``)
- ``gemini.generate``  POST /{v1,v1beta}/models/{model}:streamGenerateContent (SSE, whatever
  ``alt``) and :generateContent
- ``gemini.embed``     POST /{v1,v1beta}/models/{model}:batchEmbedContents and :embedContent

Every request is checked for the key first (Cohere: ``Authorization: Bearer KEY``; Gemini:
``x-goog-api-key`` or ``?key=``); an unauthenticated call is recorded but consumes no script.
Cohere answers a wrong or missing key with 401 ``{"message": "invalid api token"}`` (``"no api
key supplied"``); Gemini, as Google does, a wrong key with 400 INVALID_ARGUMENT whose details
carry an ErrorInfo with reason ``API_KEY_INVALID``, and a missing key with 403
PERMISSION_DENIED.

Normal (unscripted) answers are deterministic. Words are lowercased ``\\w+`` runs without a
few English stopwords (fake_stopwords.txt; all words if only stopwords are left).

- Embeddings: a hashed bag of words (each word adds +-1 to three hashed dimensions) plus a
  small constant in every dimension, normalised to length 1; texts sharing words have a
  high cosine, and no vector is zero. Dimension: Cohere ``output_dimension`` (default 1024),
  Gemini ``outputDimensionality`` (default 3072). The text ``__zero__`` gets a zero vector,
  ``__short__`` a vector one element too short.
- Rerank: ``relevance_score`` = the share of the query's words found in the document, in
  [0, 1]; results sorted by score (ties by index) and cut to ``top_n``.
- Generation: the prompt's ``<source number="n">`` blocks (header line, then text; the
  closing tag may be missing) are scored by the words they share with the text after the
  last ``Question:``; the answer is the first sentence of the best one (ties: the first)
  followed by `` [n]``, or "The documents do not answer this question." without sources.
  Streams are sent in parts of three words, one SSE event each, after ``fake.ttft_s``; the
  HTTP headers go out at once. Cohere: message-start and content-start (written with the
  first part), a content-delta per part, content-end and message-end (finish_reason
  COMPLETE and usage), each with an ``event:`` line as Cohere sends them. Gemini: one
  ``data:`` event per part (with ``usageMetadata`` holding only the prompt count, as
  Google does), then a final event with an empty text part, ``finishReason: STOP`` and the
  full ``usageMetadata``.

Scripted replies (`Reply`, `Stream`) are consumed in order by the next calls of a route.
Other paths answer 404 in the provider's error format. `Call.query` (the query string) is
recorded too.
A scripted ``Reply.body`` that is a str is sent as ``text/plain`` unless ``headers`` set a
content type. For Gemini 429 with a ``Retry-After`` header the default body also carries
a ``google.rpc.RetryInfo`` detail with the same ``retryDelay``, as the real API's 429s do.

SDK facts (cohere 7.3.1, google-genai 3.4.0, read from their sources and checked by
tests/test_fake_providers.py)
-------------------------------------------------------------------------------------------

Cohere (``cohere.AsyncClientV2``):

- ``base_url`` is the host only; the SDK adds ``/v2/...``. Its default is read from
  ``CO_API_URL`` when ``cohere`` is imported.
- Exceptions, all subclasses of ``cohere.core.api_error.ApiError`` (``status_code``,
  ``headers``, ``body``), chosen by status: 400 BadRequestError, 401 UnauthorizedError, 403
  ForbiddenError, 404 NotFoundError, 422 UnprocessableEntityError, 429
  TooManyRequestsError, 498 InvalidTokenError, 499 ClientClosedRequestError, 500
  InternalServerError, 501 NotImplementedError (``cohere.errors``, not the builtin), 503
  ServiceUnavailableError, 504 GatewayTimeoutError; any other status a plain ApiError.
  When the error body is not JSON every status gives a plain ``ApiError`` (body = the
  text), so classify by ``exc.status_code``, not by class. A 200 whose body is not JSON
  also raises a plain ApiError with status_code 200.
- ``exc.headers`` is ``dict(httpx_response.headers)``: lower-case keys, so Retry-After is
  ``exc.headers.get("retry-after")``; ``exc.body`` is the parsed JSON (``{"message": ...}``).
- Retries: non-streaming calls (embed, rerank, chat) retry by themselves, ``max_retries=2``
  by default, on 408, 409, 429 and every 5xx, sleeping ``retry-after-ms`` / ``Retry-After``
  (capped at 60 s) or 1 s doubling with jitter; and on ``httpx.ConnectError``. Turn off with
  ``AsyncClientV2(max_retries=0)`` (or ``request_options={"max_retries": 0}`` per call).
  ``chat_stream`` is never retried by the SDK.
- ``chat_stream`` is an async generator; events are discriminated by the ``type`` field of
  the JSON in ``data:`` (``event:`` lines are accepted but not needed; ``[DONE]`` ends the
  stream). The response Content-Type must contain ``text/event-stream`` or an ``SSEError``
  (an ``httpx.TransportError``) is raised. A ``data:`` line that is not JSON, or that
  does not fit an event type, is logged and skipped: no exception. A connection dropped
  mid-stream raises ``httpx.RemoteProtocolError`` from the ``async for``. A stream that
  ends cleanly without message-end ends the ``async for`` without an error: look for
  message-end.
- Closing a stream early: ``await stream.aclose()`` on the generator returned by
  ``chat_stream``; its ``async with`` around ``httpx.AsyncClient.stream`` exits and httpx
  closes the unread response's connection. ``async with AsyncClientV2(...)`` closes the
  client's httpx pool.

Gemini (``google.genai.Client``):

- Requests go to ``{base_url}/{api_version}/models/{model}:...``; ``api_version`` defaults to
  ``v1`` (env ``GOOGLE_GENAI_API_VERSION``); the key is sent as ``x-goog-api-key``.
  ``embed_content`` always calls ``:batchEmbedContents`` on the Gemini API.
- Async transport: aiohttp when it is importable and no ``httpx_async_client`` (nor a
  ``transport`` in ``async_client_args``) is given, else httpx/httpx2. Both are covered
  by the tests.
- Exceptions: ``google.genai.errors.ClientError`` for 4xx, ``ServerError`` for 5xx
  (both ``APIError``; any other non-200 a plain APIError), with ``.code`` (HTTP status),
  ``.status`` ("RESOURCE_EXHAUSTED"...), ``.message``, ``.details`` (the whole parsed error
  JSON: ``str(exc.details)`` contains "API_KEY_INVALID" for a bad key) and ``.response``,
  the transport's response (``aiohttp.ClientResponse`` or ``httpx.Response``); Retry-After
  is ``exc.response.headers.get("retry-after")`` (both header types are case-insensitive;
  ``dict()`` of them keeps the server's spelling, lower-case from this server). An error
  body that is not JSON gives ``.details = {"message": text, "status": reason}``, but
  with aiohttp an *invalid* body labelled ``application/json`` escapes as
  ``json.JSONDecodeError`` instead of an APIError. A 200 body that is not JSON raises
  ``json.JSONDecodeError`` (generateContent, embed) or, inside a stream, a ``data:`` line
  that is not JSON raises ``errors.UnknownApiResponseError`` (a ValueError) from the
  ``async for``.
- Retries: HTTP statuses are never retried unless ``HttpOptions.retry_options`` is set
  (then tenacity retries 408, 429, 5xx, up to ``attempts``, default 5). BUT with
  ``retry_options`` unset and the aiohttp transport, a connection error while sending the
  request (``ClientConnectorError``, ``ClientOSError``, ``ServerDisconnectedError``) is
  retried once after sleeping 1-10 s. ``HttpOptions(retry_options=HttpRetryOptions(
  attempts=1))`` turns off both.
- Streams: ``await client.aio.models.generate_content_stream(...)`` only builds an async
  generator: the request goes out at the first ``__anext__``, so an error status (as
  ClientError/ServerError) is raised from the ``async for``, like everything else.
  google-genai 3.4 resumes a broken stream by itself only from a ``continuationToken``,
  which this server never sends, so a dropped connection is raised from the ``async
  for``: aiohttp's ``ClientPayloadError`` (a TransferEncodingError) or httpx's
  ``RemoteProtocolError``. A stream that ends cleanly without ``finishReason`` ends
  without error.
- Closing a stream early: ``await stream.aclose()`` is NOT enough to close the HTTP
  connection. The generator is a stack of nested async generators; each inner one is only
  finalised when the outer one is freed, and at the bottom ``HttpResponse.__aiter__``
  stores its own ``async_segments()`` generator on the response object (a reference
  cycle), so the generator that releases the aiohttp response (or ``aclose()``\\s the
  httpx one) waits for the cyclic garbage collector. ``await stream.aclose()`` followed by
  ``gc.collect()`` (then the loop runs the scheduled ``aclose()``\\s) closes the
  connection within milliseconds; the tests check both halves. ``await
  client.aio.aclose()`` closes the client's pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import re
import secrets
import socket
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, get_args

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

RouteName = Literal[
    "cohere.embed", "cohere.rerank", "cohere.chat", "gemini.generate", "gemini.embed"
]
ROUTES: tuple[str, ...] = get_args(RouteName)
STREAMING_ROUTES = frozenset({"cohere.chat", "gemini.generate"})

COHERE_EMBED_DIMENSION = 1024
GEMINI_EMBED_DIMENSION = 3072
NO_ANSWER = "The documents do not answer this question."
WORDS_PER_PART = 3


# --- public interface -------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One scripted answer: after `delay_s`, `status` with `headers` and `body` (None: a
    realistic error body for the provider and status, or the normal answer for 200; a str
    is sent raw, a dict as JSON). `hang=True` never answers: it waits for the client to go."""

    status: int = 200
    headers: dict[str, str] | None = None
    body: str | dict[str, Any] | None = None
    delay_s: float = 0.0
    hang: bool = False


@dataclass(frozen=True)
class Stream:
    """One scripted 200 SSE stream (streaming routes only) of `parts` (None: the normal
    answer's parts). `ttft_s` is waited before the first event, `gap_s` before every later
    event (the other parts and the final event). `break_after=n` drops the connection after
    n parts, without the final event; `malformed_after=n` sends a `data:` line that is not
    JSON after n parts and then goes on. Asked without streaming (generateContent, chat
    without stream), it answers the joined parts as one JSON body after `ttft_s`."""

    parts: list[str] | None = None
    ttft_s: float = 0.0
    gap_s: float = 0.0
    break_after: int | None = None
    malformed_after: int | None = None


Scripted = Reply | Stream


@dataclass
class Call:
    """One request as the server saw it. `status` is what was answered (set just before
    the answer goes out; None while a hanging reply waits)."""

    route: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or the raw text when it is not JSON
    at: float  # time.monotonic() when received
    status: int | None = None
    query: dict[str, str] = field(default_factory=dict)


class FakeProviders:
    """The fake Cohere + Gemini server: uvicorn in a daemon thread, on 127.0.0.1 and a
    free port, from `start()` (or `with`) to `stop()`. Thread-safe: scripts and records
    may be used from any thread or event loop."""

    def __init__(self) -> None:
        self.cohere_key = f"test-cohere-key-{secrets.token_hex(6)}"
        self.gemini_key = f"test-gemini-key-{secrets.token_hex(6)}"
        #: Delay before the first event of every normal (unscripted or Reply(200)) stream.
        self.ttft_s = 0.0
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        self._calls: list[Call] = []
        self._cancelled: dict[str, int] = defaultdict(int)
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._log_filter = _HideAbruptCloses()
        self.port = 0

    # lifecycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 10.0) -> FakeProviders:
        if self._thread is not None:
            raise RuntimeError("FakeProviders already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        self._socket = sock
        config = uvicorn.Config(
            self._app(),
            lifespan="off",
            log_config=None,  # leave the test process's logging alone
            log_level=None,  # nor the uvicorn loggers' levels
            access_log=False,
            timeout_graceful_shutdown=3,
        )
        self._server = uvicorn.Server(config)
        logging.getLogger("uvicorn.error").addFilter(self._log_filter)
        self._thread = threading.Thread(target=self._run, name="fake-providers", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake provider server did not start") from self._failure
            time.sleep(0.01)
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stops the server: hanging and stalled answers end (their connections are
        dropped), then uvicorn shuts down; joins the thread."""
        server, thread, loop, stopping = self._server, self._thread, self._loop, self._stopping
        if server is not None:
            if loop is not None and stopping is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(stopping.set)
            server.should_exit = True
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(timeout_s)
        if self._socket is not None:
            self._socket.close()
        logging.getLogger("uvicorn.error").removeFilter(self._log_filter)
        self._server = self._thread = self._loop = self._stopping = self._socket = None

    def __enter__(self) -> FakeProviders:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # scripting and records

    def script(self, route: RouteName | str, *replies: Scripted) -> None:
        """Queues `replies` for the next calls of `route`, consumed in order; when the queue
        is empty the route answers normally."""
        _check_route(route)
        for reply in replies:
            if not isinstance(reply, Reply | Stream):
                raise TypeError(f"not a Reply or Stream: {reply!r}")
            if isinstance(reply, Stream) and route not in STREAMING_ROUTES:
                raise ValueError(f"{route} does not stream")
        with self._lock:
            self._scripts[route].extend(replies)

    def calls(self, route: RouteName | str | None = None) -> list[Call]:
        """The calls received (by `route`, or all), oldest first."""
        if route is not None:
            _check_route(route)
        with self._lock:
            return [c for c in self._calls if route is None or c.route == route]

    def stream_cancelled(self, route: RouteName | str) -> int:
        """How many streams of `route` the client closed before the server finished writing
        them (a stream the server broke on purpose with `break_after` does not count)."""
        _check_route(route)
        with self._lock:
            return self._cancelled[route]

    def reset(self) -> None:
        """Forgets scripts, calls and counters, and sets `ttft_s` back to 0."""
        with self._lock:
            self._scripts.clear()
            self._calls.clear()
            self._cancelled.clear()
        self.ttft_s = 0.0

    # server thread

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start()
            self._failure = exc

    async def _serve(self) -> None:
        assert self._server is not None and self._socket is not None
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        await self._server.serve(sockets=[self._socket])

    def _next_script(self, route: str) -> Scripted | None:
        with self._lock:
            queue = self._scripts.get(route)
            return queue.popleft() if queue else None

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _count_cancelled(self, route: str) -> None:
        with self._lock:
            self._cancelled[route] += 1

    # HTTP

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v2/{endpoint}", self._cohere, methods=["POST"]),
                Route("/{version}/models/{target:path}", self._gemini, methods=["POST"]),
            ]
        )

    async def _cohere(self, request: Request) -> Response:
        endpoint = request.path_params["endpoint"]
        route = {"embed": "cohere.embed", "rerank": "cohere.rerank", "chat": "cohere.chat"}.get(
            endpoint
        )
        call = await self._receive(request, route or f"cohere.{endpoint}")
        cohere = _Cohere(endpoint)
        if route is None:
            return self._answer(call, _plain(cohere, 404, f"no route for /v2/{endpoint}"))
        auth = request.headers.get("authorization", "")
        if not auth:
            return self._answer(call, _plain(cohere, 401, "no api key supplied"))
        if auth != f"Bearer {self.cohere_key}":
            return self._answer(call, _plain(cohere, 401, "invalid api token"))
        body = call.body if isinstance(call.body, dict) else {}
        streaming = route == "cohere.chat" and body.get("stream") is True
        return await self._dispatch(request, call, cohere, body, streaming)

    async def _gemini(self, request: Request) -> Response:
        version = request.path_params["version"]
        model, _, method = request.path_params["target"].rpartition(":")
        route = {
            "streamGenerateContent": "gemini.generate",
            "generateContent": "gemini.generate",
            "batchEmbedContents": "gemini.embed",
            "embedContent": "gemini.embed",
        }.get(method)
        call = await self._receive(request, route or f"gemini.{method or 'unknown'}")
        gemini = _Gemini(method)
        if route is None or version not in ("v1", "v1beta") or not model:
            return self._answer(call, _plain(gemini, 404, f"Method not found: {request.url.path}"))
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not key:
            return self._answer(call, _plain(gemini, 403, _GEMINI_NO_KEY))
        if key != self.gemini_key:
            error = gemini.error(400, "API key not valid. Please pass a valid API key.")
            error["error"]["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": "API key not valid. Please pass a valid API key.",
                },
            ]
            return self._answer(call, JSONResponse(error, status_code=400))
        body = call.body if isinstance(call.body, dict) else {}
        return await self._dispatch(request, call, gemini, body, method == "streamGenerateContent")

    async def _receive(self, request: Request, route: str) -> Call:
        raw = await request.body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        call = Call(
            route=route,
            path=request.url.path,
            headers=dict(request.headers),
            body=body,
            at=time.monotonic(),
            query=dict(request.query_params),
        )
        self._record(call)
        return call

    @staticmethod
    def _answer(call: Call, response: Response) -> Response:
        call.status = response.status_code
        return response

    async def _dispatch(
        self,
        request: Request,
        call: Call,
        provider: _Provider,
        body: dict[str, Any],
        streaming: bool,
    ) -> Response:
        scripted = self._next_script(call.route)
        if scripted is None:
            scripted = Reply()
        if isinstance(scripted, Stream):
            return self._ok(call, provider, body, scripted, streaming)
        if scripted.hang:
            return _Hang(self._stopping_event())
        if scripted.delay_s > 0 and await self._pause(request.receive, scripted.delay_s) == "stop":
            raise _AbruptClose
        headers = dict(scripted.headers or {})
        if scripted.body is not None:
            if isinstance(scripted.body, str):
                response: Response = Response(
                    scripted.body, scripted.status, headers, media_type="text/plain"
                )
            else:
                response = JSONResponse(scripted.body, scripted.status, headers)
            return self._answer(call, response)
        if scripted.status != 200:
            error = provider.error(scripted.status, None, headers)
            return self._answer(call, JSONResponse(error, scripted.status, headers))
        normal = Stream(ttft_s=self.ttft_s)
        return self._ok(call, provider, body, normal, streaming, headers)

    def _ok(
        self,
        call: Call,
        provider: _Provider,
        body: dict[str, Any],
        plan: Stream,
        streaming: bool,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The 200 answer of `call`: JSON for embed and rerank and for generation without
        streaming, else an SSE stream written event by event as `plan` says."""
        headers = headers or {}
        if call.route in ("cohere.embed", "gemini.embed", "cohere.rerank"):
            return self._answer(call, JSONResponse(provider.answer(body), 200, headers))
        prompt = provider.prompt(body)
        parts = plan.parts if plan.parts is not None else split_parts(answer(prompt.user))
        full = "".join(parts)
        usage = _Usage(tokens(prompt.system) + tokens(prompt.user), tokens(full))
        broken = plan.break_after is not None
        steps: list[_Step] = []
        if not streaming:
            data = json.dumps(provider.generation(full, usage)).encode()
            if plan.malformed_after is not None:
                data = b"not json{"
            elif broken:
                data = data[: len(data) // 2]
            steps.append(_Step(plan.ttft_s, data))
        else:
            prelude = provider.sse_prelude()

            def add(data: bytes, delay_s: float) -> None:
                nonlocal prelude
                steps.append(_Step(delay_s if steps else plan.ttft_s, prelude + data))
                prelude = b""

            for n in range(len(parts) + 1):
                if n:
                    add(provider.sse_part(parts[n - 1], usage), plan.gap_s)
                if plan.malformed_after == n:
                    add(provider.sse_garbage(), 0.0)
                if plan.break_after == n:
                    break
            if not broken:
                add(provider.sse_final(usage), plan.gap_s)
            if prelude or not steps:
                add(b"", 0.0)
        response = _Streamed(
            steps,
            abort=broken,
            stopping=self._stopping_event(),
            on_cancel=(lambda: self._count_cancelled(call.route)) if streaming else None,
            headers=headers,
            media_type="text/event-stream" if streaming else "application/json",
        )
        return self._answer(call, response)

    def _stopping_event(self) -> asyncio.Event:
        assert self._stopping is not None
        return self._stopping

    async def _pause(self, receive: Receive, seconds: float | None) -> str:
        return await _wait(self._stopping_event(), receive, seconds)


# --- streaming and waiting --------------------------------------------------------------


class _AbruptClose(Exception):
    """Raised by the app after the response started: uvicorn then closes the socket without
    ending the chunked body, which the client sees as a broken connection."""


class _HideAbruptCloses(logging.Filter):
    """Keeps uvicorn from logging the _AbruptClose it is meant to turn into a dropped
    connection (it logs every exception that leaves the app)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _AbruptClose))


async def _until_disconnected(receive: Receive) -> None:
    # The request body has already been read, so the next ASGI message uvicorn delivers is
    # http.disconnect, and it delivers it as soon as the socket is closed (or once the
    # response is complete; callers cancel this before completing the response).
    while (await receive())["type"] != "http.disconnect":
        pass


async def _wait(stopping: asyncio.Event, receive: Receive, seconds: float | None) -> str:
    """Waits `seconds` (None: forever); "timeout", or earlier "disconnect" when the client
    goes or "stop" when the server stops."""
    if seconds is not None and seconds <= 0:
        return "timeout"
    gone = asyncio.ensure_future(_until_disconnected(receive))
    stop = asyncio.ensure_future(stopping.wait())
    try:
        done, _ = await asyncio.wait(
            {gone, stop}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        gone.cancel()
        stop.cancel()
    if stop in done:
        return "stop"
    return "disconnect" if gone in done else "timeout"


@dataclass(frozen=True)
class _Step:
    delay_s: float
    data: bytes


class _Streamed(Response):
    """A 200 written step by step (a pause, then one chunk).

    How a client that goes away is detected: the writer runs next to a watcher awaiting
    the ASGI `receive()`. Uvicorn answers `receive()` with `http.disconnect` as soon as
    the connection is lost, even while the writer sleeps (a stalled stream), whereas its
    `send()` silently drops data for a closed connection, so watching the sends alone
    would miss it. If the watcher ends before the writer has written every step, the
    stream was cancelled (`on_cancel`). A stream the server breaks on purpose (`abort`)
    ends with _AbruptClose after its steps and is not a cancellation."""

    def __init__(
        self,
        steps: Sequence[_Step],
        *,
        abort: bool,
        stopping: asyncio.Event,
        on_cancel: Callable[[], None] | None,
        headers: Mapping[str, str],
        media_type: str,
    ) -> None:
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        self.init_headers({"cache-control": "no-cache", **headers})
        self._steps = list(steps)
        self._abort = abort
        self._stopping = stopping
        self._on_cancel = on_cancel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})

        async def write() -> None:
            for step in self._steps:
                if step.delay_s > 0:
                    await asyncio.sleep(step.delay_s)
                await send({"type": "http.response.body", "body": step.data, "more_body": True})

        writer = asyncio.ensure_future(write())
        gone = asyncio.ensure_future(_until_disconnected(receive))
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            done, _ = await asyncio.wait({writer, gone, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (writer, gone, stop):
                task.cancel()
        if writer in done:
            writer.result()  # a failed send propagates
            if self._abort:
                raise _AbruptClose
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif gone in done:
            if self._on_cancel is not None:
                self._on_cancel()
        else:
            raise _AbruptClose  # the server is stopping


class _Hang(Response):
    """Never answers: returns when the client goes; when the server stops, raises, and
    uvicorn answers its own 500 (aiohttp may see the connection close first)."""

    def __init__(self, stopping: asyncio.Event) -> None:
        self.status_code = 0
        self.background = None
        self.raw_headers = []
        self._stopping = stopping

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await _wait(self._stopping, receive, None) == "stop":
            raise _AbruptClose


# --- provider formats -------------------------------------------------------------------


@dataclass(frozen=True)
class _Prompt:
    system: str
    user: str


@dataclass(frozen=True)
class _Usage:
    input_tokens: int
    output_tokens: int


class _Provider(ABC):
    """One provider's wire format."""

    @abstractmethod
    def error(
        self, status: int, message: str | None, headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The error body for `status` (`message` None: the provider's usual one)."""

    @abstractmethod
    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """The normal answer of an embed or rerank request."""

    @abstractmethod
    def prompt(self, body: dict[str, Any]) -> _Prompt:
        """The system and user texts of a generation request."""

    @abstractmethod
    def generation(self, text: str, usage: _Usage) -> dict[str, Any]:
        """The whole answer of a generation request without streaming."""

    @abstractmethod
    def sse_prelude(self) -> bytes:
        """The events written before the first part."""

    @abstractmethod
    def sse_part(self, text: str, usage: _Usage) -> bytes:
        """The event of one part."""

    @abstractmethod
    def sse_garbage(self) -> bytes:
        """A `data:` line that is not JSON."""

    @abstractmethod
    def sse_final(self, usage: _Usage) -> bytes:
        """The events that end a complete stream (finish reason and usage)."""


def _plain(provider: _Provider, status: int, message: str) -> Response:
    return JSONResponse(provider.error(status, message), status_code=status)


_GEMINI_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)

_COHERE_MESSAGES = {
    400: "invalid request",
    401: "invalid api token",
    404: "not found",
    422: "unprocessable entity",
    429: "You are past the per-minute request limit, please wait and try again later.",
    500: "internal server error, this has been reported to our developers",
    503: "service unavailable",
    504: "gateway timeout",
}


class _Cohere(_Provider):
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint  # embed, rerank or chat

    def error(
        self, status: int, message: str | None, headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        return {"message": message or _COHERE_MESSAGES.get(status) or _phrase(status).lower()}

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        meta: dict[str, Any] = {"api_version": {"version": "2"}}
        if self.endpoint == "embed":
            texts = _cohere_texts(body)
            dimension = _int(body.get("output_dimension"), COHERE_EMBED_DIMENSION)
            meta["billed_units"] = {"input_tokens": sum(tokens(t) for t in texts)}
            return {
                "id": str(uuid.uuid4()),
                "embeddings": {"float": [embed(t, dimension) for t in texts]},
                "texts": texts,
                "meta": meta,
                "response_type": "embeddings_by_type",
            }
        documents = [
            str(d.get("text", "")) if isinstance(d, dict) else str(d)
            for d in body.get("documents") or []
        ]
        scores = [relevance(str(body.get("query", "")), d) for d in documents]
        order = sorted(range(len(documents)), key=lambda i: (-scores[i], i))
        top_n = _int(body.get("top_n"), len(documents))
        meta["billed_units"] = {"search_units": 1}
        return {
            "id": str(uuid.uuid4()),
            "results": [{"index": i, "relevance_score": scores[i]} for i in order[:top_n]],
            "meta": meta,
        }

    def prompt(self, body: dict[str, Any]) -> _Prompt:
        system: list[str] = []
        user: list[str] = []
        for message in body.get("messages") or []:
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            if isinstance(content, list):
                text = "".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
            else:
                text = str(content or "")
            (system if message.get("role") == "system" else user).append(text)
        return _Prompt("\n".join(system), "\n".join(user))

    @staticmethod
    def _usage(usage: _Usage) -> dict[str, Any]:
        return {
            "billed_units": {
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
            },
            "tokens": {
                "input_tokens": usage.input_tokens + 120,  # the chat template's own tokens
                "output_tokens": usage.output_tokens + 1,
            },
        }

    def generation(self, text: str, usage: _Usage) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "finish_reason": "COMPLETE",
            "message": {"role": "assistant", "content": [{"type": "text", "text": text}]},
            "usage": self._usage(usage),
        }

    @staticmethod
    def _event(data: dict[str, Any]) -> bytes:
        return f"event: {data['type']}\ndata: {json.dumps(data)}\n\n".encode()

    def sse_prelude(self) -> bytes:
        message = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": []}
        start = {
            "id": str(uuid.uuid4()),
            "type": "message-start",
            "delta": {"message": {**message, "citations": []}},
        }
        content = {
            "type": "content-start",
            "index": 0,
            "delta": {"message": {"content": {"type": "text", "text": ""}}},
        }
        return self._event(start) + self._event(content)

    def sse_part(self, text: str, usage: _Usage) -> bytes:
        delta = {"message": {"content": {"text": text}}}
        return self._event({"type": "content-delta", "index": 0, "delta": delta})

    def sse_garbage(self) -> bytes:
        return b"event: content-delta\ndata: {this is not json\n\n"

    def sse_final(self, usage: _Usage) -> bytes:
        end = {
            "type": "message-end",
            "delta": {"finish_reason": "COMPLETE", "usage": self._usage(usage)},
        }
        return self._event({"type": "content-end", "index": 0}) + self._event(end)


_GEMINI_STATUSES = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    409: ("ABORTED", "The operation was aborted."),
    429: (
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
    ),
    499: ("CANCELLED", "The operation was cancelled."),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
    501: ("UNIMPLEMENTED", "Operation is not implemented, or supported, or enabled."),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
}


class _Gemini(_Provider):
    model_version = "gemini-2.5-flash"

    def __init__(self, method: str) -> None:
        self.method = method  # streamGenerateContent, generateContent, ...
        self.response_id = secrets.token_urlsafe(16)

    def error(
        self, status: int, message: str | None, headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        name, default = _GEMINI_STATUSES.get(status, ("UNKNOWN", _phrase(status)))
        error: dict[str, Any] = {"code": status, "message": message or default, "status": name}
        retry_after = {k.lower(): v for k, v in (headers or {}).items()}.get("retry-after")
        if status == 429 and retry_after and retry_after.strip().isdigit():
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{int(retry_after)}s",
                }
            ]
        return {"error": error}

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        def vector(request: dict[str, Any]) -> dict[str, Any]:
            text = " ".join(_gemini_texts(request.get("content")))
            dimension = _int(request.get("outputDimensionality"), GEMINI_EMBED_DIMENSION)
            return {"values": embed(text, dimension)}

        if self.method == "embedContent":
            return {"embedding": vector(body)}
        requests = [r for r in body.get("requests") or [] if isinstance(r, dict)]
        return {"embeddings": [vector(r) for r in requests]}

    def prompt(self, body: dict[str, Any]) -> _Prompt:
        system = "\n".join(_gemini_texts(body.get("systemInstruction")))
        contents = body.get("contents") or []
        user = "\n".join(t for c in contents for t in _gemini_texts(c))
        return _Prompt(system, user)

    def _chunk(self, text: str, usage: dict[str, int], finish: bool = False) -> dict[str, Any]:
        candidate: dict[str, Any] = {
            "content": {"parts": [{"text": text}], "role": "model"},
            "index": 0,
        }
        if finish:
            candidate["finishReason"] = "STOP"
        return {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": self.model_version,
            "responseId": self.response_id,
        }

    @staticmethod
    def _usage(usage: _Usage) -> dict[str, int]:
        return {
            "promptTokenCount": usage.input_tokens,
            "candidatesTokenCount": usage.output_tokens,
            "totalTokenCount": usage.input_tokens + usage.output_tokens,
        }

    def generation(self, text: str, usage: _Usage) -> dict[str, Any]:
        return self._chunk(text, self._usage(usage), finish=True)

    @staticmethod
    def _event(data: dict[str, Any]) -> bytes:
        return f"data: {json.dumps(data)}\r\n\r\n".encode()

    def sse_prelude(self) -> bytes:
        return b""

    def sse_part(self, text: str, usage: _Usage) -> bytes:
        # Like Google, the chunks before the last count the prompt only.
        so_far = {"promptTokenCount": usage.input_tokens, "totalTokenCount": usage.input_tokens}
        return self._event(self._chunk(text, so_far))

    def sse_garbage(self) -> bytes:
        return b'data: {"candidates": [{"content": \r\n\r\n'

    def sse_final(self, usage: _Usage) -> bytes:
        return self._event(self._chunk("", self._usage(usage), finish=True))


def _gemini_texts(content: Any) -> list[str]:
    if not isinstance(content, dict):
        return []
    return [str(p.get("text", "")) for p in content.get("parts") or [] if isinstance(p, dict)]


# --- deterministic "models" -------------------------------------------------------------

_STOPWORDS = frozenset(Path(__file__).with_name("fake_stopwords.txt").read_text().split())
_SOURCE = re.compile(r'<source number="(\d+)">\n(.*?)(?=</source>|<source number=|\Z)', re.S)


def words(text: str) -> list[str]:
    """Lower-cased words without stopwords (all of them when only stopwords are left)."""
    every = re.findall(r"\w+", text.lower())
    content = [w for w in every if w not in _STOPWORDS]
    return content or every


def tokens(text: str) -> int:
    """A rough token count: words and punctuation marks."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def embed(text: str, dimension: int) -> list[float]:
    """The fake embedding of `text` (see the module docstring)."""
    if text == "__zero__":
        return [0.0] * dimension
    size = dimension - 1 if text == "__short__" else dimension
    vector = [0.3 / math.sqrt(dimension)] * dimension
    for word in words(text):
        digest = hashlib.blake2b(word.encode(), digest_size=16).digest()
        for k in range(3):
            index = int.from_bytes(digest[4 * k : 4 * k + 4], "big") % dimension
            vector[index] += 1.0 if digest[12 + k] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [round(v / norm, 6) for v in vector[:size]]


def relevance(query: str, document: str) -> float:
    """The share of the query's distinct words that occur in the document."""
    asked = set(words(query))
    return round(len(asked & set(words(document))) / len(asked), 6) if asked else 0.0


def answer(user: str) -> str:
    """The normal generated answer for a prompt (see the module docstring)."""
    sources: list[tuple[int, str]] = []
    for number, block in _SOURCE.findall(user):
        _header, _, text = block.partition("\n")
        sources.append((int(number), text.strip()))
    if not sources:
        return NO_ANSWER
    at = user.rfind("Question:")
    question = set(words(user[at + len("Question:") :] if at >= 0 else user))
    best_number, best_text = max(
        sources, key=lambda s: (len(question & set(words(s[1]))), -sources.index(s))
    )
    flat = " ".join(best_text.split())
    sentence = re.split(r"(?<=[.!?])\s+", flat, maxsplit=1)[0] if flat else ""
    return f"{sentence} [{best_number}]" if sentence else NO_ANSWER


def split_parts(text: str, size: int = WORDS_PER_PART) -> list[str]:
    """`text` in parts of `size` words; joined they give `text` back (spaces normalised)."""
    pieces = text.split()
    return [
        " ".join(pieces[i : i + size]) + (" " if i + size < len(pieces) else "")
        for i in range(0, len(pieces), size)
    ]


def _cohere_texts(body: dict[str, Any]) -> list[str]:
    if isinstance(body.get("texts"), list):
        return [str(t) for t in body["texts"]]
    texts: list[str] = []
    for item in body.get("inputs") or []:
        content = item.get("content") if isinstance(item, dict) else None
        texts.append(
            "".join(c.get("text", "") for c in content or [] if isinstance(c, dict))
            if isinstance(content, list)
            else ""
        )
    return texts


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"status {status}"


def _check_route(route: str) -> None:
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}; one of {', '.join(ROUTES)}")
