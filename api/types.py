"""GraphQL types: thin views of the domain records, built by converters below."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

import strawberry

from docent.answering import answers
from docent.api.files import file_url, page_url
from docent.api.paging import PageInfo
from docent.domain import Chunk as ChunkRecord
from docent.domain import DocumentRecord, DocumentStatus, Hit, Stage, Visibility
from docent.errors import ErrorCode, InvalidInput, ProviderFailure
from docent.ingestion.events import DocumentEvent as DocumentEventRecord
from docent.ingestion.labels import MAX_TAG_CHARS, MAX_TAGS
from docent.search.retrieval import MAX_FILTERED_DOCUMENTS, SearchMode

ErrorCodeType = strawberry.enum(ErrorCode, name="ErrorCode", description="Stable error codes.")
DocumentStatusType = strawberry.enum(DocumentStatus, name="DocumentStatus")
SearchModeType = strawberry.enum(
    SearchMode,
    name="SearchMode",
    description="HYBRID fuses KEYWORD (BM25) and SEMANTIC (vector) rankings.",
)
IngestionStageType = strawberry.enum(Stage, name="IngestionStage")
VisibilityType = strawberry.enum(
    Visibility,
    name="Visibility",
    description="PRIVATE: its owner only. GROUP: its owner and the members of its group.",
)


T = TypeVar("T")

# Every list argument has a bound, said in its description and checked when the request is
# built (`bounded`), so that no list reaches a backend unbounded: SQLite allows 32,766
# variables a statement and 1,000 levels of expression, Elasticsearch 65,536 terms a query.
#: Documents a search or question may be restricted to: a scope larger than this is better
#: said with tags.
MAX_DOCUMENT_IDS = 1000
#: Statuses a document listing may ask for: each at most once.
MAX_STATUSES = len(DocumentStatus)
#: Digests a document listing may ask for at once: a client checking a folder asks in
#: batches of this many files.
MAX_SHA256 = 100
#: Tags an upload may carry (ingestion checks them; said here, where clients read it).
TAGS = f"`tags`: at most {MAX_TAGS}, each at most {MAX_TAG_CHARS} characters."


def bounded(values: Sequence[T] | None, limit: int, field: str) -> Sequence[T] | None:
    """`values`, or InvalidInput on `field` when there are more than `limit`."""
    if values is not None and len(values) > limit:
        raise InvalidInput(f"at most {limit} {field} ({len(values)} given)", field=field)
    return values


def copy_fields(cls: type[T], source: object, **computed: Any) -> T:
    """A `cls` (a Strawberry type or another dataclass) whose fields are the attributes of
    the same names of `source`, except those given in `computed`. A field `source` lacks
    raises AttributeError: nothing is left out silently. Fields a resolver computes
    (`init=False`) are not copied."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = [f.name for f in fields if f.init and f.name not in computed]
    return cls(**{name: getattr(source, name) for name in names}, **computed)


_RETRY_AFTER = (
    "RATE_LIMITED: seconds until the same request would pass (null: waiting will not help)."
)


@strawberry.type(description="An expected failure, with a stable code clients can act on.")
class UserError:
    code: ErrorCodeType  # type: ignore[valid-type]
    message: str
    field: str | None = None
    retry_after: float | None = strawberry.field(default=None, description=_RETRY_AFTER)


@strawberry.type(description="Why a document failed to process.")
class DocumentError:
    code: str
    message: str

    @classmethod
    def of(cls, code: str | None, message: str | None) -> DocumentError | None:
        return cls(code=code, message=message or "") if code else None


@strawberry.type
class Document:
    id: strawberry.ID
    title: str
    filename: str
    mime_type: str
    size_bytes: int
    sha256: str
    status: DocumentStatusType  # type: ignore[valid-type]
    error: DocumentError | None
    page_count: int | None
    chunk_count: int
    tags: list[str]
    created_at: datetime
    processed_at: datetime | None
    updated_at: datetime
    version: int = strawberry.field(
        description="Incremented by each reprocess, replacement (uploadDocument replaces) and "
        "upload of the same file that queues it again."
    )
    visibility: VisibilityType  # type: ignore[valid-type]
    group: str | None = strawberry.field(description="With GROUP visibility: the group.")

    @strawberry.field(
        description="The path of the original file (`GET`, with the same Authorization "
        "header as GraphQL): the stored bytes with their media type, an ETag (the sha256), "
        "one byte range per request (206/416)."
    )
    def file_url(self) -> str:
        return file_url(str(self.id))

    @classmethod
    def from_record(cls, record: DocumentRecord) -> Document:
        error = DocumentError.of(record.error_code, record.error_message)
        return copy_fields(cls, record, error=error, tags=list(record.tags))


@strawberry.type(
    description="Where on a page a passage is drawn: the box x0 y0 x1 y1 as fractions (0 to 1) "
    "of the page as shown, from its top-left corner (x to the right, y down)."
)
class PageRegion:
    page: int = strawberry.field(description="The page (1-based).")
    x0: float
    y0: float
    x1: float
    y1: float


@strawberry.type(description="A passage of a document, with where it comes from.")
class Chunk:
    id: strawberry.ID
    document_id: strawberry.ID
    ordinal: int
    text: str
    page: int | None = strawberry.field(description="First page of the passage (1-based).")
    page_end: int | None = strawberry.field(description="Last page of the passage.")
    section: str | None = strawberry.field(description="Heading path, outermost first.")
    start_offset: int
    end_offset: int
    regions: list[PageRegion] = strawberry.field(
        description="Where the passage is drawn: a box per paragraph (or column) and page, "
        "from a PDF's text layer or OCR's word boxes (scanned pages, images, TIFF frames); "
        "empty for formats without pages and for PDF pages shown turned. Office files "
        "converted to PDF are out of scope: their passages have no regions."
    )

    @strawberry.field(
        description="The path of the preview of the passage's first page (`?width=` 100 to "
        "2000 px, default 800), for PDFs and images; null for a passage without a page. A "
        "format without previews answers 415 UNSUPPORTED_TYPE."
    )
    def page_url(self) -> str | None:
        return None if self.page is None else page_url(str(self.document_id), self.page)

    @classmethod
    def from_record(cls, chunk: ChunkRecord) -> Chunk:
        regions = [copy_fields(PageRegion, region) for region in chunk.regions]
        return copy_fields(cls, chunk, regions=regions)


@strawberry.type
class Viewer:
    id: strawberry.ID
    name: str
    document_count: int


@strawberry.type
class DocumentEdge:
    cursor: str
    node: Document


@strawberry.type
class DocumentConnection:
    edges: list[DocumentEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input
class DocumentFilter:
    status: list[DocumentStatusType] | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description=f"Documents in any of these statuses (at most {MAX_STATUSES}: each once).",
    )
    tags: list[str] | None = strawberry.field(
        default=None,
        description=f"Documents carrying all of these tags (at most {MAX_TAGS}: a document "
        "carries no more).",
    )
    title_contains: str | None = None
    sha256: list[str] | None = strawberry.field(
        default=None,
        description=f"Documents whose bytes have any of these SHA-256 digests (64 hex digits "
        f"each, at most {MAX_SHA256}): which of a client's files are already stored, asked "
        "without uploading them. A malformed digest is INVALID_INPUT.",
    )


_DOCUMENT_IDS = f"Only these documents (at most {MAX_DOCUMENT_IDS}); null: all of yours."
_DEPRECATED_IDS = (
    "Use `filter: {documentIds}`. Given with it, only the documents in both lists are searched."
)
_FILTER = (
    "Which documents to search: both conditions hold (null: all of yours). The top-level "
    "`documentIds` (deprecated) still works; given with `filter.documentIds`, only the "
    "documents in both lists are searched."
)


@strawberry.input(
    description="Restricts a search or question to some of your documents: a passage is "
    "kept when its document is one of `documentIds` (when given) and carries every one of "
    "`tags` (when given)."
)
class SearchFilter:
    tags: list[str] | None = strawberry.field(
        default=None,
        description=f"Documents carrying all of these tags, as they are now (the rule of "
        f"`documents(filter: {{tags}})`; at most {MAX_TAGS}). Tags on more than "
        f"{MAX_FILTERED_DOCUMENTS} documents are INVALID_INPUT (field `tags`): add a tag, or "
        "name the documents.",
    )
    document_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=_DOCUMENT_IDS
    )


@strawberry.input
class SearchInput:
    query: str
    mode: SearchModeType = SearchMode.HYBRID  # type: ignore[valid-type]
    top_k: int = 10
    document_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=_DOCUMENT_IDS, deprecation_reason=_DEPRECATED_IDS
    )
    rerank: bool = False
    filter: SearchFilter | None = strawberry.field(default=None, description=_FILTER)


@strawberry.type(description="A search result, with each method's rank and score.")
class SearchHit:
    chunk: Chunk
    document: Document
    score: float = strawberry.field(description="Fused (or reranked) score; higher is better.")
    keyword_rank: int | None = strawberry.field(description="Rank in the BM25 list, if found.")
    keyword_score: float | None = strawberry.field(description="BM25 score.")
    semantic_rank: int | None = strawberry.field(description="Rank in the vector list, if found.")
    semantic_score: float | None = strawberry.field(description="Cosine similarity.")
    rerank_score: float | None
    highlights: list[str] = strawberry.field(
        description="Fragments of the passage with matched words in <em>…</em>."
    )


@strawberry.type
class SearchResult:
    hits: list[SearchHit]
    took_ms: float
    fallbacks: list[ProviderFallback] = strawberry.field(
        description="Rerankers skipped because they failed (the next in the chain ranked)."
    )


@strawberry.input
class AskInput:
    question: str
    top_k: int = 5
    document_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=_DOCUMENT_IDS, deprecation_reason=_DEPRECATED_IDS
    )
    filter: SearchFilter | None = strawberry.field(default=None, description=_FILTER)
    mode: SearchModeType = SearchMode.HYBRID  # type: ignore[valid-type]
    conversation_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Continue this conversation of yours: the question may refer to the "
        'earlier turns ("and for contractors?", "is that paid?"). Null: a new '
        "conversation is started (its id is the answer's `conversationId`). NOT_FOUND for a "
        "conversation you do not have.",
    )


@strawberry.type(description="A numbered source; [index] in the answer text refers to it.")
class Citation:
    index: int
    chunk: Chunk
    document: Document


@strawberry.type(description="A provider a fallback chain skipped, and why.")
class ProviderFallback:
    provider: str
    code: ErrorCodeType  # type: ignore[valid-type]
    message: str

    @classmethod
    def from_failure(cls, failure: ProviderFailure) -> ProviderFallback:
        return copy_fields(cls, failure, code=ErrorCode(failure.code))


@strawberry.type(description="Tokens the model read and wrote, as the provider counts them.")
class Usage:
    input_tokens: int | None
    output_tokens: int | None


@strawberry.type
class AnswerTimings:
    retrieval_ms: float
    first_token_ms: float | None
    total_ms: float


@strawberry.type
class Answer:
    text: str
    citations: list[Citation] = strawberry.field(description="The sources the text cites.")
    sources: list[Citation] = strawberry.field(description="Every source given to the model.")
    grounded: bool = strawberry.field(
        description="True when the answer cites the documents; false when nothing relevant was found."
    )
    model: str | None
    timings: AnswerTimings
    usage: Usage | None
    cached: bool = strawberry.field(
        description="True when this is the answer to an earlier, equivalent question "
        "(DOCENT_ANSWER_CACHE), given again because the documents have not changed."
    )
    fallbacks: list[ProviderFallback] = strawberry.field(
        description="Providers skipped because they failed (the next in the chain answered)."
    )
    conversation_id: strawberry.ID | None = strawberry.field(
        default=None, description="The conversation this answer is a turn of."
    )
    message_id: strawberry.ID | None = strawberry.field(
        default=None, description="This answer's message in its conversation (for rateAnswer)."
    )
    standalone_question: str | None = strawberry.field(
        default=None,
        description="The question docent searched for: the question as asked, or a "
        "follow-up rewritten to stand alone with what the earlier turns were about. Read "
        "back from a conversation (`Message.answer`), null when withheld (see "
        "`Message.standaloneQuestion`).",
    )


@strawberry.type
class AnswerSources:
    citations: list[Citation]


@strawberry.type
class AnswerDelta:
    text: str


@strawberry.type
class AnswerDone:
    answer: Answer


@strawberry.type
class AnswerError:
    code: ErrorCodeType  # type: ignore[valid-type]
    message: str
    retry_after: float | None = strawberry.field(default=None, description=_RETRY_AFTER)


AnswerEvent = Annotated[
    AnswerSources | AnswerDelta | AnswerDone | AnswerError, strawberry.union("AnswerEvent")
]


@strawberry.type(description="A change in a document's processing.")
class DocumentEvent:
    document_id: strawberry.ID
    status: DocumentStatusType  # type: ignore[valid-type]
    stage: IngestionStageType  # type: ignore[valid-type]
    version: int
    current: int | None = strawberry.field(description="Items done in this stage (e.g. chunks).")
    total: int | None = strawberry.field(description="Items in this stage.")
    progress: float | None = strawberry.field(description="current / total, 0..1.")
    message: str | None
    error: DocumentError | None
    at: datetime
    document: Document | None

    @classmethod
    def from_event(cls, event: DocumentEventRecord, record: DocumentRecord | None) -> DocumentEvent:
        progress = None
        if event.total:
            progress = min(1.0, (event.current or 0) / event.total)
        return copy_fields(
            cls,
            event,
            progress=progress,
            error=DocumentError.of(event.error_code, event.error_message),
            document=Document.from_record(record) if record else None,
        )


# Mutation payloads. Each field defaults to what a failed mutation returns (null, false, no
# user errors): `with_user_errors` (api/errors.py) builds one from its user errors alone.


@strawberry.type
class UploadDocumentPayload:
    document: Document | None = None
    deduplicated: bool = strawberry.field(
        default=False,
        description="True when you had already uploaded these exact bytes: the existing "
        "document is returned, with the title and tags given applied. It is queued again as "
        "its next version when it had FAILED, or when the title or tags given change its own; "
        "otherwise it is returned as it is (READY, or still QUEUED or PROCESSING).",
    )
    similar_to: list[Document] = strawberry.field(
        default_factory=list,
        description="Your other documents with this file's name, or with this document's "
        "title, newest first (10 at most): upload again with `replaces` to replace one of "
        "them instead of keeping both.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteDocumentPayload:
    deleted_document_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReprocessDocumentPayload:
    document: Document | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateDocumentPayload:
    document: Document | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetDocumentVisibilityPayload:
    document: Document | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def hit_view(hit: Hit, document: DocumentRecord) -> SearchHit:
    return copy_fields(
        SearchHit,
        hit,
        chunk=Chunk.from_record(hit.chunk),
        document=Document.from_record(document),
        highlights=list(hit.highlights),
    )


def citation_view(source: answers.Source, documents: dict[str, DocumentRecord]) -> Citation:
    return Citation(
        index=source.index,
        chunk=Chunk.from_record(source.hit.chunk),
        document=Document.from_record(documents[source.hit.chunk.document_id]),
    )


def answer_view(answer: answers.Answer, documents: dict[str, DocumentRecord]) -> Answer:
    return copy_fields(
        Answer,
        answer,
        citations=[citation_view(s, documents) for s in answer.citations],
        sources=[citation_view(s, documents) for s in answer.sources],
        timings=copy_fields(AnswerTimings, answer),
        usage=copy_fields(Usage, answer.usage) if answer.usage else None,
        fallbacks=[ProviderFallback.from_failure(f) for f in answer.fallbacks],
    )
