"""Gemini through the official `google-genai` SDK: streamed generation (`gemini-2.5-flash`)
and embeddings (`gemini-embedding-001` with `output_dimensionality`, task type
RETRIEVAL_DOCUMENT or RETRIEVAL_QUERY, 100 texts a request). The SDK's own retries are off
(HTTP statuses, and the connection retry of its aiohttp transport, which docent does not
use); docent's resilience policy decides.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from docent.providers.base import (
    MalformedAnswer,
    ProviderRegistry,
    api_key,
    classify_other,
    classify_status,
)
from docent.providers.embedding import ProviderEmbedder
from docent.providers.generation import ProviderGenerator
from docent.providers.resilience import Classified
from docent.roles import GenerationDone, Prompt, Usage

if TYPE_CHECKING:
    from google import genai

    from docent.settings import ModelSettings, Settings

#: Texts per batchEmbedContents request (the API's limit).
EMBED_BATCH = 100


def classify(exc: BaseException) -> Classified:
    from google.genai import errors

    if isinstance(exc, errors.APIError):
        response = getattr(exc, "response", None)
        headers = dict(getattr(response, "headers", None) or {})
        if "retry-after" not in {k.lower() for k in headers} and (delay := _retry_delay(exc)):
            headers["retry-after"] = delay
        # Google answers an invalid key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
        bad_key = exc.code == 400 and "API_KEY_INVALID" in str(getattr(exc, "details", ""))
        return classify_status(exc.code, headers, bad_key=bad_key)
    return classify_other(exc)


def _retry_delay(exc: Any) -> str | None:
    """The wait a Google 429 asks for in its body (a google.rpc.RetryInfo detail,
    `"retryDelay": "13s"`), as seconds."""
    details = getattr(exc, "details", None)
    error = details.get("error", details) if isinstance(details, dict) else None
    for item in (error or {}).get("details") or () if isinstance(error, dict) else ():
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("RetryInfo"):
            delay = str(item.get("retryDelay", "")).removesuffix("s")
            try:
                return str(float(delay))
            except ValueError:
                return None
    return None


#: The HTTP responses opened by the current stream. Closing the SDK's stream iterator does
#: not close its HTTP response (the reader that would hangs off a reference cycle until
#: the garbage collector runs), so Gemini would go on generating, and billing, an answer
#: nobody reads. A hook on docent's own httpx client records each response here, and the
#: stream closes them itself.
_OPEN_RESPONSES: ContextVar[list[httpx.Response] | None] = ContextVar(
    "docent_gemini_responses", default=None
)


async def _remember_response(response: httpx.Response) -> None:
    if (opened := _OPEN_RESPONSES.get()) is not None:
        opened.append(response)


@dataclass(frozen=True)
class _Client:
    sdk: genai.Client
    http: httpx.AsyncClient

    async def aclose(self) -> None:
        await self.sdk.aio.aclose()
        await self.http.aclose()


def client(models: ModelSettings) -> _Client:
    from google import genai
    from google.genai import types

    http = httpx.AsyncClient(
        timeout=httpx.Timeout(models.provider_timeout_s),
        event_hooks={"response": [_remember_response]},
    )
    options = types.HttpOptions(
        timeout=int(models.provider_timeout_s * 1000),
        base_url=models.gemini_base_url or None,
        # Without this the SDK retries a failed connection by itself after 1-10 s.
        retry_options=types.HttpRetryOptions(attempts=1),
        httpx_async_client=http,
    )
    sdk = genai.Client(
        api_key=api_key(models.gemini_api_key, "GEMINI_API_KEY", "Gemini"), http_options=options
    )
    return _Client(sdk, http)


class GeminiEmbedder(ProviderEmbedder):
    @classmethod
    def from_settings(cls, settings: Settings, providers: ProviderRegistry) -> GeminiEmbedder:
        from google.genai import types

        models = settings.models
        connection = client(models)
        sdk = connection.sdk
        model = models.gemini_embed_model
        dimension = models.gemini_embed_dimension

        async def embed_batch(texts: Sequence[str], documents: bool) -> list[list[float]]:
            contents: Any = list(texts)
            response = await sdk.aio.models.embed_content(
                model=model,
                contents=contents,
                config=types.EmbedContentConfig(
                    task_type="RETRIEVAL_DOCUMENT" if documents else "RETRIEVAL_QUERY",
                    output_dimensionality=dimension,
                ),
            )
            embeddings = response.embeddings or []
            if any(e.values is None for e in embeddings):
                raise MalformedAnswer("Gemini answered an embedding without values")
            return [list(e.values or ()) for e in embeddings]

        return cls(
            model=f"gemini/{model}",
            dimension=dimension,
            embed_batch=embed_batch,
            resilient=providers.get("gemini.embed", classify),
            max_batch=EMBED_BATCH,
            concurrency=models.embed_concurrency,
            close=connection.aclose,
        )


class GeminiGenerator(ProviderGenerator):
    @classmethod
    def from_settings(cls, settings: Settings, providers: ProviderRegistry) -> GeminiGenerator:
        from google.genai import types

        models = settings.models
        connection = client(models)
        sdk = connection.sdk
        model = models.gemini_model
        config = types.GenerateContentConfig(temperature=0.1)

        async def open_stream(prompt: Prompt) -> AsyncIterator[str | GenerationDone]:
            usage: Usage | None = None
            finished = False
            opened: list[httpx.Response] = []
            _OPEN_RESPONSES.set(opened)  # this task's context: seen by the hook below it
            stream = await sdk.aio.models.generate_content_stream(
                model=model,
                contents=prompt.user,
                config=config.model_copy(update={"system_instruction": prompt.system}),
            )
            try:
                async for chunk in stream:
                    text = _text(chunk)
                    if text:
                        yield text
                    finished = finished or any(c.finish_reason for c in chunk.candidates or ())
                    if chunk.usage_metadata is not None:
                        usage = Usage(
                            input_tokens=chunk.usage_metadata.prompt_token_count,
                            output_tokens=chunk.usage_metadata.candidates_token_count,
                        )
            finally:
                await stream.aclose()  # type: ignore[attr-defined]
                for response in opened:
                    await response.aclose()
            if not finished:
                raise MalformedAnswer("Gemini's stream ended before the answer was finished")
            yield GenerationDone(model=f"gemini/{model}", usage=usage)

        return cls(
            model=f"gemini/{model}",
            open_stream=open_stream,
            resilient=providers.get("gemini.generate", classify),
            close=connection.aclose,
        )


def _text(chunk: Any) -> str:
    """The text of a streamed chunk (thoughts left out); a chunk the model blocked has none."""
    parts: list[str] = []
    for candidate in chunk.candidates or ():
        content = getattr(candidate, "content", None)
        for part in getattr(content, "parts", None) or ():
            if getattr(part, "text", None) and not getattr(part, "thought", False):
                parts.append(part.text)
    return "".join(parts)
