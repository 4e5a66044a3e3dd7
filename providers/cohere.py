"""Cohere through its official async SDK (v2 API): embeddings (`embed-v4.0`,
`input_type` search_document or search_query, 96 texts a request), reranking
(`rerank-v3.5`) and chat as a generator. The SDK's own retries are off: docent's
resilience policy (time limit, backoff honouring Retry-After, circuit breaker) decides.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

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
    import cohere

    from docent.settings import ModelSettings, Settings

#: Texts per embed request (Cohere's limit).
EMBED_BATCH = 96
#: Documents per rerank request (Cohere recommends at most 1,000).
RERANK_MAX_DOCUMENTS = 1000


def classify(exc: BaseException) -> Classified:
    from cohere.core.api_error import ApiError

    if isinstance(exc, ApiError):
        return classify_status(exc.status_code, exc.headers)
    return classify_other(exc)


def client(models: ModelSettings) -> cohere.AsyncClientV2:
    """One SDK client (one connection pool) per role; retries are docent's, not the SDK's."""
    import cohere

    options: dict[str, Any] = {}
    if models.cohere_base_url:
        options["base_url"] = models.cohere_base_url.rstrip("/")
    return cohere.AsyncClientV2(
        api_key=api_key(models.cohere_api_key, "COHERE_API_KEY", "Cohere"),
        timeout=models.provider_timeout_s,
        max_retries=0,
        client_name="docent",
        log_warning_experimental_features=False,
        **options,
    )


async def _close(sdk: cohere.AsyncClientV2) -> None:
    wrapper = getattr(sdk, "_client_wrapper", None)
    httpx_client = getattr(getattr(wrapper, "httpx_client", None), "httpx_client", None)
    if httpx_client is not None:
        await httpx_client.aclose()


class CohereEmbedder(ProviderEmbedder):
    @classmethod
    def from_settings(cls, settings: Settings, providers: ProviderRegistry) -> CohereEmbedder:
        models = settings.models
        sdk = client(models)
        model = models.cohere_embed_model
        # embed-v4.0 chooses its output dimension; older models have a fixed one.
        dimension = models.cohere_embed_dimension
        extra: dict[str, Any] = (
            {"output_dimension": dimension} if model.startswith("embed-v4") else {}
        )

        async def embed_batch(texts: Sequence[str], documents: bool) -> list[list[float]]:
            response = await sdk.embed(
                model=model,
                texts=list(texts),
                input_type="search_document" if documents else "search_query",
                embedding_types=["float"],
                truncate="END",
                **extra,
            )
            vectors = getattr(response.embeddings, "float_", None)
            if vectors is None:
                raise MalformedAnswer("Cohere answered without float embeddings")
            return [list(v) for v in vectors]

        return cls(
            model=f"cohere/{model}",
            dimension=dimension,
            embed_batch=embed_batch,
            resilient=providers.get("cohere.embed", classify),
            max_batch=EMBED_BATCH,
            concurrency=models.embed_concurrency,
            close=lambda: _close(sdk),
        )


class CohereReranker:
    name = "cohere"
    #: Cohere's relevance scores are calibrated to [0, 1] (its rerank documentation); below
    #: 0.1 a passage is taken as not about the query. Not measured with `docent eval` (it
    #: ran without access to Cohere): a low bar on purpose, so that a passage Cohere ranks
    #: relevant is never refused; raise it after measuring your documents.
    relevance_floor = 0.1

    def __init__(self, sdk: cohere.AsyncClientV2, model: str, providers: ProviderRegistry) -> None:
        self._sdk = sdk
        self.model = model
        self._resilient = providers.get("cohere.rerank", classify)

    @classmethod
    def from_settings(cls, settings: Settings, providers: ProviderRegistry) -> CohereReranker:
        return cls(client(settings.models), settings.models.cohere_rerank_model, providers)

    async def rerank(self, query: str, texts: list[str]) -> list[float]:
        texts = texts[:RERANK_MAX_DOCUMENTS]

        async def once() -> list[float]:
            response = await self._sdk.rerank(
                model=self.model, query=query, documents=texts, top_n=len(texts)
            )
            scores = [0.0] * len(texts)
            seen = set()
            for result in response.results:
                if not 0 <= result.index < len(texts) or result.index in seen:
                    raise MalformedAnswer("Cohere's rerank results name unknown documents")
                seen.add(result.index)
                scores[result.index] = float(result.relevance_score)
            if len(seen) != len(texts):
                raise MalformedAnswer("Cohere's rerank results miss documents")
            return scores

        return await self._resilient.call(once)

    async def aclose(self) -> None:
        await _close(self._sdk)


class CohereGenerator(ProviderGenerator):
    @classmethod
    def from_settings(cls, settings: Settings, providers: ProviderRegistry) -> CohereGenerator:
        models = settings.models
        sdk = client(models)
        model = models.cohere_chat_model

        async def open_stream(prompt: Prompt) -> AsyncIterator[str | GenerationDone]:
            from cohere import SystemChatMessageV2, UserChatMessageV2

            usage: Usage | None = None
            finished = False
            stream = sdk.chat_stream(
                model=model,
                messages=[
                    SystemChatMessageV2(content=prompt.system),
                    UserChatMessageV2(content=prompt.user),
                ],
                temperature=0.1,
            )
            try:
                async for event in stream:
                    kind = getattr(event, "type", None)
                    if kind == "content-delta":
                        content = event.delta.message.content  # type: ignore[union-attr]
                        if content is not None and content.text:
                            yield content.text
                    elif kind == "message-end":
                        finished = True
                        usage = _usage(event)
            finally:
                await stream.aclose()  # type: ignore[attr-defined]
            # The SDK skips garbled events and ends quietly on a cut stream: only the final
            # event proves the answer is whole.
            if not finished:
                raise MalformedAnswer("Cohere's stream ended before the answer was finished")
            yield GenerationDone(model=f"cohere/{model}", usage=usage)

        return cls(
            model=f"cohere/{model}",
            open_stream=open_stream,
            resilient=providers.get("cohere.chat", classify),
            close=lambda: _close(sdk),
        )


def _usage(event: Any) -> Usage | None:
    billed = getattr(getattr(getattr(event, "delta", None), "usage", None), "billed_units", None)
    if billed is None:
        return None
    tokens_in = getattr(billed, "input_tokens", None)
    tokens_out = getattr(billed, "output_tokens", None)
    return Usage(
        input_tokens=int(tokens_in) if tokens_in is not None else None,
        output_tokens=int(tokens_out) if tokens_out is not None else None,
    )
