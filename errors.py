"""Expected failures: plain exceptions, each with a stable code that clients can rely on."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ErrorCode(enum.StrEnum):
    NOT_FOUND = "NOT_FOUND"
    UNSUPPORTED_TYPE = "UNSUPPORTED_TYPE"
    TOO_LARGE = "TOO_LARGE"
    EMPTY = "EMPTY"
    ENCRYPTED = "ENCRYPTED"
    CORRUPT = "CORRUPT"
    NO_TEXT = "NO_TEXT"
    TIMEOUT = "TIMEOUT"
    INFECTED = "INFECTED"
    SCAN_FAILED = "SCAN_FAILED"
    SCANNER_UNAVAILABLE = "SCANNER_UNAVAILABLE"
    INVALID_INPUT = "INVALID_INPUT"
    RATE_LIMITED = "RATE_LIMITED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    SEARCH_UNAVAILABLE = "SEARCH_UNAVAILABLE"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    INDEX_CORRUPT = "INDEX_CORRUPT"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    PROVIDER_AUTH = "PROVIDER_AUTH"
    CONFLICT = "CONFLICT"
    INTERNAL = "INTERNAL"


#: Provider failures that the next provider in a fallback chain may be able to avoid.
FALLBACK_CODES = frozenset(
    {ErrorCode.PROVIDER_UNAVAILABLE, ErrorCode.PROVIDER_AUTH, ErrorCode.RATE_LIMITED}
)


class DocentError(Exception):
    """Base of expected failures. The message is meant for a person and is safe to show."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DocentError):
    code = ErrorCode.NOT_FOUND


class InvalidInput(DocentError):
    code = ErrorCode.INVALID_INPUT


class Conflict(DocentError):
    code = ErrorCode.CONFLICT


class SearchUnavailable(DocentError):
    code = ErrorCode.SEARCH_UNAVAILABLE


class StorageUnavailable(DocentError):
    """The blob store (an S3-compatible service) cannot be reached or refuses docent: like
    SEARCH_UNAVAILABLE, worth retrying; uploads are refused, jobs wait and try again."""

    code = ErrorCode.STORAGE_UNAVAILABLE


class IndexCorrupt(DocentError):
    """The index's storage is damaged (not a database, malformed pages): unlike
    SEARCH_UNAVAILABLE, waiting or retrying cannot help, so jobs are not retried and
    `/readyz` fails until an operator repairs it. `damage` is what the engine found;
    `remedy` tells the operator what to do (the log, the command line): it names files the
    API's clients are not shown."""

    code = ErrorCode.INDEX_CORRUPT

    def __init__(self, damage: str, *, remedy: str) -> None:
        super().__init__(f"the search index is damaged ({damage}); an operator must repair it")
        self.damage = damage
        self.remedy = remedy


class ProviderUnavailable(DocentError):
    code = ErrorCode.PROVIDER_UNAVAILABLE


class ProviderAuth(DocentError):
    """A model provider refused docent's key."""

    code = ErrorCode.PROVIDER_AUTH


class RateLimited(DocentError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unauthenticated(DocentError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(DocentError):
    """The caller can see this, but only its owner may change it."""

    code = ErrorCode.FORBIDDEN


class IngestionError(DocentError):
    """A document cannot be ingested; `code` says why (EMPTY, CORRUPT, UNSUPPORTED_TYPE...)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class IndexMismatch(DocentError):
    """The index was built with another embedding model or dimension than the configured one."""

    code = ErrorCode.CONFLICT


@dataclass(frozen=True, slots=True)
class ProviderFailure:
    """A provider that a fallback chain skipped, and why (shown with the answer)."""

    provider: str
    code: str
    message: str

    @classmethod
    def of(cls, provider: str, error: DocentError) -> ProviderFailure:
        return cls(provider=provider, code=error.code.value, message=error.message)
