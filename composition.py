"""The composition root: the one place where settings become components.

Every process builds its components here, once: the API's lifespan and the worker
(`open_components`), and the CLI's index commands (`open_index`). The name→implementation
tables of the configurable roles (search backend, embedder, reranker, generator) live here,
and implementations are imported lazily, as uvicorn picks its protocol implementations, so
an optional heavy dependency is imported only when it is chosen.

Consumers receive what they use, not this module's objects: resolvers a `Services`,
the worker a `WorkerContext`, the health endpoints a `Readiness`.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis

from docent.answering.cache import AnswerCache
from docent.answering.conversation import Conversations
from docent.answering.rewriting import LocalRewriter, ModelRewriter, Rewriter
from docent.answering.service import AnswerService
from docent.api.rate_limiter import RateLimiter
from docent.domain import utcnow
from docent.health import Readiness
from docent.ingestion.blobs import BlobStore, LocalBlobStore
from docent.ingestion.clamav import ClamAV
from docent.ingestion.documents import DocumentService
from docent.ingestion.events import EventBus
from docent.ingestion.jobs import JobQueue
from docent.ingestion.lease import Leases
from docent.ingestion.parsing.isolation import configure as configure_parsing
from docent.ingestion.parsing.offline_nlp import configure_offline
from docent.ingestion.parsing.pool import Isolation
from docent.ingestion.pipeline import Ingestor
from docent.ingestion.previews import PreviewCache, PreviewService
from docent.ingestion.queue import QueueConnection, open_queue
from docent.ingestion.queue_depth import RunningJobs, read_depth
from docent.ingestion.quota import UploadQuota
from docent.ingestion.worker import WorkerContext
from docent.providers.base import ProviderRegistry
from docent.providers.chains import GeneratorChain, RerankerChain
from docent.providers.embedding import CachedEmbedder
from docent.providers.generation import ProviderGenerator
from docent.roles import Embedder, Generator, Reranker
from docent.search.backend import SearchBackend
from docent.search.conversations import ConversationStore
from docent.search.retrieval import Retriever
from docent.settings import ApiSettings, Settings, StorageSettings

log = logging.getLogger(__name__)

#: DOCENT_SEARCH_BACKEND
BACKENDS = {
    "embedded": "docent.search.embedded.store:EmbeddedBackend.from_settings",
    "elasticsearch": "docent.search.elasticsearch.store:ElasticsearchBackend.from_settings",
}
#: DOCENT_EMBEDDER (one model: an index holds the vectors of one model only)
EMBEDDERS = {
    "local": "docent.providers.local_embedder:LocalEmbedder.from_settings",
    "e5": "docent.providers.e5_embedder:E5Embedder.from_settings",
    "cohere": "docent.providers.cohere:CohereEmbedder.from_settings",
    "gemini": "docent.providers.gemini:GeminiEmbedder.from_settings",
}
#: The embedders that run in this process (no provider, no key).
LOCAL_EMBEDDERS = frozenset({"local", "e5"})
#: DOCENT_RERANKER (a fallback chain; `none` may end it)
RERANKERS = {
    "local": "docent.providers.local_reranker:EmbeddingReranker",
    "cohere": "docent.providers.cohere:CohereReranker.from_settings",
}
#: DOCENT_GENERATOR (a fallback chain; or `none` alone)
GENERATORS = {
    "local": "docent.answering.extractive:ExtractiveGenerator",
    "gemini": "docent.providers.gemini:GeminiGenerator.from_settings",
    "cohere": "docent.providers.cohere:CohereGenerator.from_settings",
}


def pick(kind: str, name: str, implementations: Mapping[str, str]) -> Any:
    """Import and return the object registered as `name` ("module:attr.attr"); ValueError
    naming the choices when there is none."""
    try:
        target = implementations[name]
    except KeyError:
        raise ValueError(
            f"{kind} {name!r} is not available in this version of docent; available: "
            f"{', '.join(sorted(implementations)) or 'none'}"
        ) from None
    module_name, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def build_backend(settings: Settings) -> SearchBackend:
    """The search backend DOCENT_SEARCH_BACKEND names, not yet opened."""
    factory = pick("search backend", settings.search.search_backend, BACKENDS)
    backend: SearchBackend = factory(settings)
    return backend


def build_embedder(
    settings: Settings,
    name: str | None = None,
    *,
    providers: ProviderRegistry | None = None,
    cache: Redis | None = None,
) -> Embedder:
    """The embedder `name` (default DOCENT_EMBEDDER). With `cache` (a Redis), a provider's
    vectors are kept there by model and content hash: re-uploads and reindexing do not pay
    for them twice. MiniLM (`local`) is not cached: embedding is cheaper than the lookup;
    e5 is (~400 ms of CPU a passage against a Redis round trip)."""
    name = name or settings.models.embedder
    factory = pick("embedder", name, EMBEDDERS)
    if name == "local":
        embedder: Embedder = factory(settings)
        return embedder
    if name in LOCAL_EMBEDDERS:
        embedder = factory(settings)
    else:
        embedder = factory(settings, providers or ProviderRegistry(settings.models))
    return CachedEmbedder(embedder, cache) if cache is not None else embedder


def build_reranker(
    settings: Settings, embedder: Embedder, providers: ProviderRegistry
) -> RerankerChain | None:
    """The chain DOCENT_RERANKER names, or None for `none`. `local` re-scores with the local
    model (the index's own when it is local: MiniLM or e5) even when a provider embeds the
    index: a fallback must not depend on the provider that just failed."""
    names = list(settings.models.reranker)
    none_last = "none" in names
    if none_last and names.index("none") != len(names) - 1:
        raise ValueError("DOCENT_RERANKER: `none` can only come last in the chain")
    members: list[Reranker] = []
    for name in names:
        if name == "none":
            continue
        factory = pick("reranker", name, RERANKERS)
        if name == "local":
            local = embedder if settings.models.embedder in LOCAL_EMBEDDERS else None
            members.append(factory(local or build_embedder(settings, "local")))
        else:
            members.append(factory(settings, providers))
    return RerankerChain(members, none_last=none_last) if members else None


def build_generator(
    settings: Settings, embedder: Embedder, providers: ProviderRegistry
) -> Generator | None:
    """The generator, or chain of them, DOCENT_GENERATOR names; None for `none`."""
    names = list(settings.models.generator)
    if names == ["none"]:
        return None
    if "none" in names:
        raise ValueError("DOCENT_GENERATOR: `none` cannot be part of a chain")
    members: list[Generator] = []
    for name in names:
        factory = pick("generator", name, GENERATORS)
        members.append(factory(embedder) if name == "local" else factory(settings, providers))
    return members[0] if len(members) == 1 else GeneratorChain(members)


def build_rewriter(settings: Settings, generator: Generator | None) -> Rewriter:
    """How follow-ups become standalone questions: by the chain's language-model generators
    (Gemini, Cohere), in its order, when it has any; else locally."""
    members = list(getattr(generator, "members", [generator] if generator else []))
    models = [m for m in members if isinstance(m, ProviderGenerator)]
    if not models:
        return LocalRewriter()
    chain = models[0] if len(models) == 1 else GeneratorChain(models)
    return ModelRewriter(chain, max_tokens=settings.conversations.conversation_rewrite_tokens)


@dataclass(frozen=True)
class Services:
    """What the API's resolvers call, and nothing else."""

    documents: DocumentService
    answers: AnswerService
    conversations: ConversationStore
    search: Retriever
    limiter: RateLimiter
    settings: ApiSettings
    previews: PreviewService


@dataclass(frozen=True)
class Components:
    """Every long-lived component of a process, built once by `open_components`; the
    API's lifespan hands out `services` and `readiness`, the worker `worker`."""

    settings: Settings
    queue: QueueConnection
    backend: SearchBackend
    embedder: Embedder
    generator: Generator | None
    services: Services
    readiness: Readiness
    worker: WorkerContext


@asynccontextmanager
async def open_components(settings: Settings) -> AsyncIterator[Components]:
    """Build the components, create or check the index, and close everything on exit.
    Raises IndexMismatch when the index was built by another embedding model."""
    async with AsyncExitStack() as stack:
        settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
        # Before anything imports unstructured: no telemetry, no model downloads.
        await asyncio.to_thread(configure_offline)
        queue = await stack.enter_async_context(open_queue(settings))
        providers = ProviderRegistry(settings.models)
        embedder = await asyncio.to_thread(
            build_embedder, settings, providers=providers, cache=queue.redis
        )
        stack.push_async_callback(embedder.aclose)
        backend = build_backend(settings)
        stack.push_async_callback(backend.aclose)
        # An unreachable cluster does not stop the API: /readyz says so, queries answer
        # SEARCH_UNAVAILABLE, uploads are queued, and the backend retries on use.
        await backend.open(model=embedder.model, dimension=embedder.dimension, wait=False)
        blobs = await stack.enter_async_context(open_blob_store(settings.storage))
        events = EventBus(queue.redis)
        stack.push_async_callback(events.aclose)
        reranker = await asyncio.to_thread(build_reranker, settings, embedder, providers)
        generator = build_generator(settings, embedder, providers)
        for role in (reranker, generator):
            for member in getattr(role, "members", [role]):
                if close := getattr(member, "aclose", None):
                    stack.push_async_callback(close)
        retriever = Retriever(
            backend,
            embedder,
            reranker,
            settings.search,
            rerank_candidates=settings.models.rerank_candidates,
            catalog=backend,
        )
        models, ingestion, limits = settings.models, settings.ingestion, settings.api.rate_limits
        answer_cache = (
            AnswerCache(queue.redis, similarity=models.answer_cache_similarity)
            if models.answer_cache
            else None
        )
        # Cached answers go when the documents they were drawn from change.
        documents_changed = answer_cache.invalidate if answer_cache is not None else None
        scanner = (
            ClamAV(ingestion.clamav_url, timeout=ingestion.clamav_timeout_s)
            if ingestion.clamav_url
            else None
        )
        jobs = JobQueue(queue.redis, backend, events, queue_name=settings.queue.queue_name)
        documents = DocumentService(
            backend,
            blobs,
            events,
            jobs,
            ingestion,
            scanner=scanner,
            quota=UploadQuota(queue.redis, limits, backend) if limits.has_quotas else None,
            on_change=documents_changed,
        )
        talk = settings.conversations
        conversations = Conversations(
            backend,
            build_rewriter(settings, generator),
            backend.get_documents,
            max_turns=talk.conversation_max_turns,
        )
        answers = AnswerService(
            retriever,
            generator,
            settings.search,
            max_question_chars=settings.api.max_question_chars,
            context_tokens=models.context_tokens,
            cache=answer_cache,
            embedder=embedder,
            conversations=conversations,
        )

        async def expire_conversations() -> int:
            days = talk.conversation_retention_days
            return await backend.expire_conversations(utcnow() - timedelta(days=days))

        # One warm parse pool per process, sized from the machine (or the settings).
        configure_parsing(
            workers=ingestion.parse_pool_size,
            recycle_after=ingestion.parse_recycle_after,
            recycle_rss_mb=ingestion.parse_recycle_rss_mb,
        )
        ingestor = Ingestor(
            backend, embedder, blobs, events, ingestion, on_change=documents_changed
        )
        running = RunningJobs(queue.redis, settings.queue.queue_name)
        leases = Leases(
            queue.redis_settings, lease_s=settings.queue.job_lease_s, running_key=running.key
        )
        previews = PreviewService(
            blobs,
            PreviewCache(
                settings.storage.data_dir / "previews", ingestion.preview_cache_mb * 1024 * 1024
            ),
            Isolation(
                timeout_s=ingestion.preview_timeout_s,
                memory_mb=ingestion.preview_memory_mb,
                timeout_setting="DOCENT_PREVIEW_TIMEOUT_S",
                memory_setting="DOCENT_PREVIEW_MEMORY_MB",
            ),
            workers=ingestion.preview_workers,
            max_pixels=ingestion.max_image_pixels,
        )
        stack.push_async_callback(previews.close)
        stack.callback(leases.close)
        yield Components(
            settings=settings,
            queue=queue,
            backend=backend,
            embedder=embedder,
            generator=generator,
            services=Services(
                documents=documents,
                answers=answers,
                conversations=backend,
                search=retriever,
                limiter=RateLimiter(queue.redis, limits),
                settings=settings.api,
                previews=previews,
            ),
            readiness=Readiness(
                search=backend.ping,
                queue=queue.redis.ping,
                scanner=scanner.ping if scanner is not None else None,
                storage=None if isinstance(blobs, LocalBlobStore) else blobs.check,
                providers=providers,
                queue_metrics=lambda: _queue_metrics(running),
            ),
            worker=WorkerContext(
                ingestor,
                jobs,
                queue.redis,
                settings.queue,
                leases,
                expire_conversations,
                running=running,
            ),
        )


async def _queue_metrics(running: RunningJobs) -> str:
    return (await read_depth(running)).prometheus()


@asynccontextmanager
async def open_blob_store(storage: StorageSettings) -> AsyncIterator[BlobStore]:
    """The blob store DOCENT_BLOB_STORE names: a folder, or an S3 bucket (checked:
    StorageMisconfigured when the bucket is missing; an unreachable service only warns)."""
    location = storage.s3_location
    if location is None:
        yield LocalBlobStore(storage.blob_dir)
        return
    from docent.ingestion.s3_blobs import S3BlobStore

    bucket, prefix = location
    store = S3BlobStore(
        bucket,
        prefix,
        storage.blob_dir / ".staging",
        endpoint_url=storage.s3_endpoint_url,
        checksums=storage.s3_checksums,
    )
    try:
        await store.open()
        yield store
    finally:
        await store.aclose()


@asynccontextmanager
async def open_index(
    settings: Settings, *, check_model: bool = True, cache: Redis | None = None
) -> AsyncIterator[tuple[SearchBackend, Embedder]]:
    """The search backend, opened (schema created or upgraded), and the embedder
    DOCENT_EMBEDDER names, for the CLI's index commands. With `check_model`, IndexMismatch
    when the index was built by another model; SearchUnavailable when it cannot be
    reached."""
    embedder = build_embedder(settings, cache=cache)
    backend = build_backend(settings)
    try:
        await backend.open(
            model=embedder.model, dimension=embedder.dimension, check_model=check_model
        )
        yield backend, embedder
    finally:
        await backend.aclose()
        await embedder.aclose()
