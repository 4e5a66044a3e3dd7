"""The composition root: every long-lived client, built once per process.

The API's lifespan and the worker's start-up both call `open_runtime`, so a process holds
one search backend, one embedder, one Redis pool; never one per request or subscription.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from docent.answering.cache import AnswerCache
from docent.answering.generators import build_generator
from docent.answering.service import AnswerService
from docent.ingestion.blobs import BlobStore
from docent.ingestion.clamav import ClamAV
from docent.ingestion.documents import DocumentService
from docent.ingestion.events import EventBus
from docent.ingestion.jobs import JobQueue
from docent.ingestion.parsing.offline_nlp import configure_offline
from docent.ingestion.pipeline import Ingestor
from docent.ingestion.queue import QueueConnection, open_queue
from docent.ingestion.quota import UploadQuota
from docent.limits import RateLimiter, parse_limits
from docent.providers.base import ProviderRegistry
from docent.providers.chains import RerankerChain
from docent.providers.embedding import CachedEmbedder
from docent.roles import Generator
from docent.search.backend import SearchBackend, build_backend
from docent.search.embedders import Embedder, build_embedder
from docent.search.rerankers import build_reranker
from docent.search.retrieval import Retriever
from docent.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    backend: SearchBackend
    embedder: Embedder
    reranker: RerankerChain | None
    generator: Generator | None
    queue: QueueConnection
    blobs: BlobStore
    events: EventBus
    retriever: Retriever
    documents: DocumentService
    answers: AnswerService
    ingestor: Ingestor
    jobs: JobQueue
    limiter: RateLimiter
    scanner: ClamAV | None = None
    providers: ProviderRegistry | None = None


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Build the clients, create or check the index, and close everything on exit."""
    # An invalid DOCENT_RATE_LIMITS stops the start (ValueError) before anything runs.
    limits = parse_limits(settings.api.rate_limits)
    async with AsyncExitStack() as stack:
        settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
        # Before anything imports unstructured: no telemetry, no model downloads.
        await asyncio.to_thread(configure_offline)
        queue = await stack.enter_async_context(open_queue(settings))
        providers = ProviderRegistry(settings.models)
        embedder: Embedder = await asyncio.to_thread(
            build_embedder, settings.models.embedder, settings, providers
        )
        stack.push_async_callback(embedder.aclose)
        if settings.models.embedder != "local":
            # A provider's vectors are paid for once: re-uploads and reindexing reuse them.
            embedder = CachedEmbedder(embedder, queue.redis)
        backend = build_backend(settings)
        stack.push_async_callback(backend.aclose)
        # An unreachable cluster does not stop the API: /readyz says so, queries answer
        # SEARCH_UNAVAILABLE, uploads are queued, and the backend retries on use.
        await backend.open(model=embedder.model, dimension=embedder.dimension, wait=False)
        blobs = BlobStore(settings.storage.blob_dir)
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
        )
        answer_cache = (
            AnswerCache(queue.redis, similarity=settings.models.answer_cache_similarity)
            if settings.models.answer_cache
            else None
        )
        # Cached answers go when the documents they were drawn from change.
        documents_changed = answer_cache.invalidate if answer_cache is not None else None
        ingestion = settings.ingestion
        scanner = (
            ClamAV(ingestion.clamav_url, timeout=ingestion.clamav_timeout_s)
            if ingestion.clamav_url
            else None
        )
        jobs = JobQueue(queue.redis, backend, events, queue_name=settings.queue.queue_name)
        yield Runtime(
            settings=settings,
            backend=backend,
            embedder=embedder,
            reranker=reranker,
            generator=generator,
            queue=queue,
            blobs=blobs,
            events=events,
            retriever=retriever,
            documents=DocumentService(
                backend,
                blobs,
                events,
                jobs,
                settings.ingestion,
                scanner=scanner,
                quota=UploadQuota(queue.redis, limits, backend) if limits.has_quotas else None,
                on_change=documents_changed,
            ),
            answers=AnswerService(
                retriever,
                generator,
                settings.search,
                max_question_chars=settings.api.max_question_chars,
                context_tokens=settings.models.context_tokens,
                cache=answer_cache,
                embedder=embedder,
            ),
            ingestor=Ingestor(
                backend, embedder, blobs, events, settings.ingestion, on_change=documents_changed
            ),
            jobs=jobs,
            limiter=RateLimiter(queue.redis, limits),
            providers=providers,
            scanner=scanner,
        )
