"""The GraphQL schema: queries, mutations, subscriptions. Resolvers only call services."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, Sequence
from dataclasses import replace

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.file_uploads import Upload
from strawberry.types.execution import ExecutionContext

from docent.answering import answers
from docent.answering.service import AskRequest
from docent.api import types as t
from docent.api.admission import admitted
from docent.api.auth import REFUSED
from docent.api.context import Info
from docent.api.conversations import ConversationMutations, ConversationQueries
from docent.api.errors import MaskUnexpectedErrors, public_error, with_user_errors
from docent.api.paging import PAGING, page_info, page_window
from docent.api.query_limits import QueryLimits, RefusedBudget
from docent.domain import Access, DocumentRecord, Visibility
from docent.errors import InvalidInput, RateLimited, Unauthenticated
from docent.ingestion.labels import MAX_TAGS
from docent.rate_limits import Bucket
from docent.search.backend import DocumentQuery
from docent.search.retrieval import SearchRequest

log = logging.getLogger("docent.api")

_UPLOAD_BLOCK = 1 << 20


def _owner(info: Info) -> str:
    owner = info.context.principal.id
    if not owner:  # NOBODY: never acts, never owns (defence in depth behind BearerAuth)
        # A GraphQL error, not a DocentError: a mutation answers no payload, no userErrors.
        raise public_error(Unauthenticated(REFUSED))
    return owner


def _access(info: Info) -> Access:
    """The caller as a reader: their documents and those shared with their groups. Every
    store and service call takes it, so isolation holds where the data is read."""
    _owner(info)
    return info.context.principal.access


async def _spend(info: Info, bucket: Bucket) -> None:
    """Count a request against the caller's and their address's budget (DOCENT_RATE_LIMITS);
    raises RateLimited when either is spent."""
    context = info.context
    await context.services.limiter.acquire(bucket, user=_owner(info), address=context.client_host)


def _ids(values: Sequence[strawberry.ID] | None) -> tuple[str, ...] | None:
    """`documentIds`, checked against its bound (MAX_DOCUMENT_IDS)."""
    values = t.bounded(values, t.MAX_DOCUMENT_IDS, "documentIds")
    return None if values is None else tuple(str(v) for v in values)


def _scope(input: t.SearchInput | t.AskInput) -> dict[str, tuple[str, ...] | None]:
    """The request's `document_ids` and `tags`: the top-level `documentIds` (deprecated)
    and `filter.documentIds` intersected when both are given (each checked against its
    bound), and `filter.tags` (at most MAX_TAGS, as `documents(filter: {tags})` takes)."""
    given = input.filter or t.SearchFilter()
    ids, filtered = _ids(input.document_ids), _ids(given.document_ids)
    if ids is not None and filtered is not None:
        kept = set(filtered)
        ids = tuple(i for i in ids if i in kept)
    elif ids is None:
        ids = filtered
    tags = tuple(t.bounded(given.tags, MAX_TAGS, "tags") or ())
    return {"document_ids": ids, "tags": tags}


def _ask_request(input: t.AskInput) -> AskRequest:
    return t.copy_fields(AskRequest, input, **_scope(input))


def _document_query(filter: t.DocumentFilter | None) -> DocumentQuery:
    if filter is None:
        return DocumentQuery()
    return DocumentQuery(
        statuses=tuple(t.bounded(filter.status, t.MAX_STATUSES, "status") or ()),
        tags=tuple(t.bounded(filter.tags, MAX_TAGS, "tags") or ()),
        title_contains=filter.title_contains,
        sha256=_digests(filter.sha256),
    )


def _digests(values: Sequence[str] | None) -> tuple[str, ...] | None:
    """The `sha256` filter's digests, lowercased (None when not given; an empty list stays
    empty and matches nothing); InvalidInput for more than MAX_SHA256 or one that is not 64
    hex digits."""
    if values is None:
        return None
    digests = tuple(v.lower() for v in t.bounded(values, t.MAX_SHA256, "sha256") or ())
    for digest in digests:
        if len(digest) != 64 or not set(digest) <= set("0123456789abcdef"):
            raise InvalidInput("a sha256 digest is 64 hex digits", field="sha256")
    return digests


async def _documents(info: Info, ids: set[str]) -> dict[str, DocumentRecord]:
    """Load the documents behind hits or citations in one call."""
    records = await info.context.services.documents.find_many(_access(info), sorted(ids))
    return {r.id: r for r in records}


async def _answer_view(info: Info, answer: answers.Answer) -> t.Answer:
    documents = await _documents(info, {s.hit.chunk.document_id for s in answer.sources})
    kept = [s for s in answer.sources if s.hit.chunk.document_id in documents]
    answer = replace(answer, citations=[s for s in answer.citations if s in kept], sources=kept)
    return t.answer_view(answer, documents)


@strawberry.type
class Query(ConversationQueries):
    @strawberry.field(description="Who is asking.")
    async def viewer(self, info: Info) -> t.Viewer:
        principal = info.context.principal
        count = await info.context.services.documents.count(_access(info))
        return t.Viewer(id=strawberry.ID(principal.id), name=principal.name, document_count=count)

    @strawberry.field(
        description="One of your documents; null if it does not exist or is not yours."
    )
    async def document(self, info: Info, id: strawberry.ID) -> t.Document | None:
        record = await info.context.services.documents.find(_access(info), str(id))
        return t.Document.from_record(record) if record else None

    @strawberry.field(description="Your documents, newest first. " + PAGING.format(default=20))
    async def documents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: t.DocumentFilter | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> t.DocumentConnection:
        max_page = info.context.services.settings.max_page_size
        window = page_window(max_page, first, after, last, before, default=20)
        page = await info.context.services.documents.page(
            _access(info), _document_query(filter), window
        )
        edges = [t.DocumentEdge(cursor=c, node=t.Document.from_record(r)) for r, c in page.items]
        return t.DocumentConnection(
            edges=edges,
            page_info=page_info([e.cursor for e in edges], page.has_next, page.has_previous),
            total_count=page.total,
        )

    @strawberry.field(description="Find passages in your documents.")
    async def search(self, info: Info, input: t.SearchInput) -> t.SearchResult:
        request = t.copy_fields(SearchRequest, input, **_scope(input))
        await _spend(info, Bucket.SEARCH)
        async with admitted(info.context):
            outcome = await info.context.services.search.search(_access(info), request)
        documents = await _documents(info, {h.chunk.document_id for h in outcome.hits})
        hits = [
            t.hit_view(h, documents[h.chunk.document_id])
            for h in outcome.hits
            if h.chunk.document_id in documents
        ]
        return t.SearchResult(
            hits=hits,
            took_ms=outcome.took_ms,
            fallbacks=[t.ProviderFallback.from_failure(f) for f in outcome.fallbacks],
        )

    @strawberry.field(description="Answer a question from your documents, with citations.")
    async def ask(self, info: Info, input: t.AskInput) -> t.Answer:
        request = _ask_request(input)
        await _spend(info, Bucket.ASK)
        answering = info.context.services.answers
        async with admitted(info.context) as slot:
            # A provider writes the text: the slot bounds the process's own work, which
            # ends with the sources (api/admission.py).
            given_back = slot.release if answering.generates_remotely else None
            answer = await answering.ask(_access(info), request, on_sources=given_back)
        return await _answer_view(info, answer)


@strawberry.type
class Mutation(ConversationMutations):
    @strawberry.mutation(
        description="Upload a file (GraphQL multipart request). Returns at once; the document "
        "is processed in the background: follow it with the documentEvents subscription. "
        "`replaces`: one of your documents whose content this file replaces: it keeps its id, "
        "its version goes up by one, its title and tags stay unless given, its sharing stays "
        "(visibility and group are ignored); the version being processed stops, and its "
        "passages are found until the new version's replace them. NOT_FOUND as for "
        "document(id); FORBIDDEN for a document only shared with you; CONFLICT when you have "
        "this file already as another document. " + t.TAGS
    )
    @with_user_errors
    async def upload_document(
        self,
        info: Info,
        file: Upload,
        title: str | None = None,
        tags: list[str] | None = None,
        visibility: t.VisibilityType = Visibility.PRIVATE,  # type: ignore[valid-type]
        group: str | None = None,
        replaces: strawberry.ID | None = None,
    ) -> t.UploadDocumentPayload:
        async def blocks() -> AsyncGenerator[bytes, None]:
            while block := await file.read(_UPLOAD_BLOCK):  # type: ignore[attr-defined]
                yield block

        if not callable(getattr(file, "read", None)):  # a form field, not a file part
            raise InvalidInput("`file` must be a file part (with a filename)", field="file")
        await _spend(info, Bucket.UPLOAD)
        result = await info.context.services.documents.upload(
            _access(info),
            blocks(),
            filename=getattr(file, "filename", None),
            title=title,
            tags=tags,
            visibility=visibility,
            group=group,
            replaces=None if replaces is None else str(replaces),
        )
        return t.UploadDocumentPayload(
            document=t.Document.from_record(result.document),
            deduplicated=result.deduplicated,
            similar_to=[t.Document.from_record(r) for r in result.similar],
        )

    @strawberry.mutation(
        description="Make one of your documents private, or share it with one of your groups "
        "(its members can then find it, read it and get answers from it)."
    )
    @with_user_errors
    async def set_document_visibility(
        self,
        info: Info,
        id: strawberry.ID,
        visibility: t.VisibilityType,  # type: ignore[valid-type]
        group: str | None = None,
    ) -> t.SetDocumentVisibilityPayload:
        record = await info.context.services.documents.share(
            _access(info), str(id), visibility, group
        )
        return t.SetDocumentVisibilityPayload(document=t.Document.from_record(record))

    @strawberry.mutation(
        description="Change a document's title, tags or sharing (what is left out stays). "
        "Titles and tags are cleaned as uploadDocument's are. A new title or tags queue the "
        "document again as its next version (its passages carry them in the index, which "
        "keyword search reads; embeddings come from the cache): the index has them once it "
        "is READY. Search's tag filter reads the document's tags at once. Sharing alone "
        "changes at once. A new title or tags spend one of "
        "the `upload` rate-limit budget (DOCENT_RATE_LIMITS), as an upload does: RATE_LIMITED "
        "once it is spent. Only the owner may (FORBIDDEN); another user's id is NOT_FOUND. "
        + t.TAGS
    )
    @with_user_errors
    async def update_document(
        self,
        info: Info,
        id: strawberry.ID,
        title: str | None = None,
        tags: list[str] | None = None,
        visibility: t.VisibilityType | None = None,  # type: ignore[valid-type]
        group: str | None = None,
    ) -> t.UpdateDocumentPayload:
        if title is not None or tags is not None:  # queued again: a worker's whole run
            await _spend(info, Bucket.UPLOAD)
        record = await info.context.services.documents.update(
            _access(info),
            str(id),
            title=title,
            tags=tags,
            visibility=visibility,
            group=group,
        )
        return t.UpdateDocumentPayload(document=t.Document.from_record(record))

    @strawberry.mutation(description="Delete a document, its file and its passages.")
    @with_user_errors
    async def delete_document(self, info: Info, id: strawberry.ID) -> t.DeleteDocumentPayload:
        await info.context.services.documents.delete(_access(info), str(id))
        return t.DeleteDocumentPayload(deleted_document_id=id)

    @strawberry.mutation(
        description="Process a document again from its stored file. Spends one of the "
        "`upload` rate-limit budget (DOCENT_RATE_LIMITS), as an upload does."
    )
    @with_user_errors
    async def reprocess_document(self, info: Info, id: strawberry.ID) -> t.ReprocessDocumentPayload:
        await _spend(info, Bucket.UPLOAD)  # a worker's whole run, as for an upload
        record = await info.context.services.documents.reprocess(_access(info), str(id))
        return t.ReprocessDocumentPayload(document=t.Document.from_record(record))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Stream an answer: AnswerSources first, then AnswerDelta text, then AnswerDone."
    )
    async def answer(self, info: Info, input: t.AskInput) -> AsyncGenerator[t.AnswerEvent, None]:
        request = _ask_request(input)
        async with contextlib.AsyncExitStack() as held:
            try:
                await _spend(info, Bucket.ASK)
                slot = await held.enter_async_context(admitted(info.context))
            except RateLimited as exc:
                yield t.AnswerError(code=exc.code, message=exc.message, retry_after=exc.retry_after)
                return
            remote = info.context.services.answers.generates_remotely
            async for event in _answer_events(info, request):
                if remote and isinstance(event, t.AnswerSources):
                    slot.release()  # a provider writes the text (api/admission.py)
                yield event

    @strawberry.subscription(
        description="A document's current state, then each processing change, until it is "
        "READY, FAILED or deleted."
    )
    async def document_events(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[t.DocumentEvent, None]:
        documents = info.context.services.documents
        reader = _access(info)
        async for event in documents.watch(reader, str(id)):
            record = (
                None
                if event.terminal and event.stage.value == "DELETED"
                else await documents.find(reader, str(id))
            )
            yield t.DocumentEvent.from_event(event, record)


async def _answer_events(info: Info, request: AskRequest) -> AsyncGenerator[t.AnswerEvent, None]:
    """The `answer` subscription's events."""
    documents: dict[str, DocumentRecord] = {}
    async for event in info.context.services.answers.stream(_access(info), request):
        match event:
            case answers.AnswerSources(citations=sources):
                documents = await _documents(info, {s.hit.chunk.document_id for s in sources})
                yield t.AnswerSources(
                    citations=[
                        t.citation_view(s, documents)
                        for s in sources
                        if s.hit.chunk.document_id in documents
                    ]
                )
            case answers.AnswerDelta(text=text):
                yield t.AnswerDelta(text=text)
            case answers.AnswerDone(answer=answer):
                yield t.AnswerDone(answer=await _answer_view(info, answer))
            case answers.AnswerFailed(code=code, message=message, retry_after=wait):
                yield t.AnswerError(code=code, message=message, retry_after=wait)


class DocentSchema(strawberry.Schema):
    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        extensions = super().get_extensions(sync)
        # The refused budget is in Redis, asynchronous: not in synchronous execution.
        return [e for e in extensions if not (sync and isinstance(e, RefusedBudget))]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Unexpected errors are logged with their request id by MaskUnexpectedErrors;
        # the rest are the client's business.
        for error in errors:
            log.debug("graphql error: %s", error.message)


def build_schema() -> strawberry.Schema:
    return DocentSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # The refused budget, tokens, shape, validation: api/query_limits.py.
        extensions=[MaskUnexpectedErrors, RefusedBudget, QueryLimits],
    )
