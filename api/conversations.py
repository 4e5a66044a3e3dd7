"""Conversations in the GraphQL schema: their types, the queries that read them and the
mutations that rename, delete and rate. Everything reads through the conversation store
with the caller as owner, so another user's conversation or message is, on every path,
exactly a missing one.

A message keeps the passages its answer cited; they are shown again only while the reader
can still read their document: a passage of a document deleted since (or no longer shared
with the reader) is shown as `documentDeleted`, without its text, and the answer's own
text is withheld too (`Message.withheld`: it quotes that document).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from docent.api import types as t
from docent.api.context import Info
from docent.api.errors import with_user_errors
from docent.api.paging import PAGING, PageInfo, page_info, page_window
from docent.domain import (
    MAX_COMMENT_CHARS,
    MAX_TITLE_CHARS,
    WITHHELD_TEXT,
    CitedPassage,
    DocumentRecord,
    Feedback,
    Message,
    Rating,
    Role,
    clean_comment,
    clean_text,
)
from docent.domain import Conversation as ConversationRecord
from docent.errors import InvalidInput, NotFound
from docent.ingestion.labels import RAW_FACTOR
from docent.search.cursors import Window

RoleType = strawberry.enum(Role, name="Role", description="Who wrote a message.")
RatingType = strawberry.enum(Rating, name="Rating", description="A person's rating of an answer.")


def _window(
    info: Info,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    default: int = 20,
) -> Window:
    max_page = info.context.services.settings.max_page_size
    return page_window(max_page, first, after, last, before, default=default)


def _owner(info: Info) -> str:
    from docent.api.schema import _owner as owner_of  # the one check of a principal

    return owner_of(info)


async def _readable(info: Info, ids: set[str]) -> dict[str, DocumentRecord]:
    records = await info.context.services.documents.find_many(
        info.context.principal.access, sorted(ids)
    )
    return {r.id: r for r in records}


@strawberry.type(name="Feedback", description="A person's rating of an answer.")
class FeedbackView:
    rating: RatingType  # type: ignore[valid-type]
    comment: str | None
    created_at: datetime


@strawberry.type(
    name="MessageCitation",
    description="A passage an answer cited, as it was when cited. While you can read its "
    "document, `document` and `text` are there; once the document is deleted (or no longer "
    "shared with you) `documentDeleted` is true and the text is withheld.",
)
class MessageCitation:
    index: int
    document_id: strawberry.ID
    chunk_id: strawberry.ID
    title: str | None
    page: int | None
    section: str | None
    text: str | None
    document_deleted: bool
    document: t.Document | None


def _citation(passage: CitedPassage, documents: dict[str, DocumentRecord]) -> MessageCitation:
    record = documents.get(passage.document_id)
    return MessageCitation(
        index=passage.index,
        document_id=strawberry.ID(passage.document_id),
        chunk_id=strawberry.ID(passage.chunk_id),
        title=passage.title if record else None,
        page=passage.page,
        section=passage.section if record else None,
        text=passage.text if record else None,
        document_deleted=record is None,
        document=t.Document.from_record(record) if record else None,
    )


@strawberry.type(name="Message", description="One side of a turn: a question or its answer.")
class MessageView:
    id: strawberry.ID
    role: RoleType  # type: ignore[valid-type]
    created_at: datetime
    feedback: FeedbackView | None
    _record: strawberry.Private[Message]
    #: The cited documents the reader can read, once looked up (one lookup per message).
    _documents: strawberry.Private[dict[str, DocumentRecord] | None] = None

    async def _readable_documents(self, info: Info) -> dict[str, DocumentRecord]:
        if self._documents is None:
            sources = self._record.sources
            self._documents = await _readable(info, sources) if sources else {}
        return self._documents

    @strawberry.field(
        description="On an answer: the question docent searched for (a follow-up rewritten "
        "with the earlier turns). Null when withheld: when the answer's text is, or when an "
        "earlier turn it was rewritten from drew on a document you can no longer read (the "
        "rewrite carries names and subjects from earlier answers)."
    )
    async def standalone_question(self, info: Info) -> str | None:
        record = self._record
        if record.standalone_withheld(await self._readable_documents(info)):
            return None
        return record.standalone_question

    @strawberry.field(
        description="What was asked, or answered. An answer that cited a document deleted "
        "since (or no longer shared with you) is withheld: this is then a notice, and "
        "`textWithheld` is true (the answer quoted that document, and its text cannot be "
        "split by source)."
    )
    async def text(self, info: Info) -> str:
        record = self._record
        if record.withheld(await self._readable_documents(info)):
            return WITHHELD_TEXT
        return record.text

    @strawberry.field(description="True when `text` is withheld (see `text`).")
    async def text_withheld(self, info: Info) -> bool:
        return self._record.withheld(await self._readable_documents(info))

    @strawberry.field(description="On an answer: the passages it cited (see MessageCitation).")
    async def citations(self, info: Info) -> list[MessageCitation]:
        documents = await self._readable_documents(info)
        return [_citation(p, documents) for p in self._record.citations]

    @strawberry.field(
        description="On an answer: the answer as `ask` gave it, with the citations whose "
        "document you can still read (timings as stored: zero); its text withheld as "
        "`text` is."
    )
    async def answer(self, info: Info) -> t.Answer | None:
        record = self._record
        if record.role is not Role.ASSISTANT:
            return None
        passages = record.citations
        documents = await self._readable_documents(info)
        citations = [
            t.Citation(
                index=p.index,
                chunk=t.Chunk(
                    id=strawberry.ID(p.chunk_id), document_id=strawberry.ID(p.document_id),
                    ordinal=0, text=p.text, page=p.page, page_end=None, section=p.section,
                    start_offset=0, end_offset=0, regions=[],
                ),
                document=t.Document.from_record(documents[p.document_id]),
            )
            for p in passages
            if p.document_id in documents
        ]  # fmt: skip
        text = WITHHELD_TEXT if record.withheld(documents) else record.text
        standalone = None if record.standalone_withheld(documents) else record.standalone_question
        return t.Answer(
            text=text, citations=citations, sources=citations, grounded=record.grounded,
            model=record.model, timings=t.AnswerTimings(retrieval_ms=0, first_token_ms=None,
            total_ms=0), usage=None, cached=False, fallbacks=[],
            conversation_id=strawberry.ID(record.conversation_id),
            message_id=strawberry.ID(record.id), standalone_question=standalone,
        )  # fmt: skip

    @classmethod
    def of(cls, message: Message) -> MessageView:
        feedback = message.feedback
        return cls(
            id=strawberry.ID(message.id),
            role=message.role,
            created_at=message.created_at,
            feedback=FeedbackView(
                rating=feedback.rating,
                comment=feedback.comment,
                created_at=feedback.created_at,
            )
            if feedback
            else None,
            _record=message,
        )


@strawberry.type
class MessageEdge:
    cursor: str
    node: MessageView


@strawberry.type
class MessageConnection:
    edges: list[MessageEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(name="Conversation")
class ConversationView:
    id: strawberry.ID
    title: str
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="Its messages, oldest first. " + PAGING.format(default=50))
    async def messages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> MessageConnection:
        window = _window(info, first, after, last, before, default=50)
        page = await info.context.services.conversations.list_messages(
            _owner(info), str(self.id), **window.arguments()
        )
        edges = [MessageEdge(cursor=c, node=MessageView.of(m)) for m, c in page.items]
        return MessageConnection(
            edges=edges,
            page_info=page_info([e.cursor for e in edges], page.has_next, page.has_previous),
            total_count=page.total,
        )

    @classmethod
    def of(cls, record: ConversationRecord) -> ConversationView:
        return cls(
            id=strawberry.ID(record.id),
            title=record.title,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


@strawberry.type
class ConversationEdge:
    cursor: str
    node: ConversationView


@strawberry.type
class ConversationConnection:
    edges: list[ConversationEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input
class ConversationFilter:
    title_contains: str | None = strawberry.field(
        default=None, description="Conversations whose title holds this (any case)."
    )


@strawberry.type
class RenameConversationPayload:
    conversation: ConversationView | None = None
    user_errors: list[t.UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteConversationPayload:
    deleted_conversation_id: strawberry.ID | None = None
    user_errors: list[t.UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RateAnswerPayload:
    message: MessageView | None = None
    user_errors: list[t.UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConversationQueries:
    @strawberry.field(
        description="Your conversations, most recently continued first. "
        + PAGING.format(default=20)
    )
    async def conversations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ConversationFilter | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ConversationConnection:
        window = _window(info, first, after, last, before)
        title = filter.title_contains if filter else None
        if title is not None and len(title) > MAX_TITLE_CHARS:
            raise InvalidInput(
                f"titleContains holds at most {MAX_TITLE_CHARS} characters", field="titleContains"
            )
        page = await info.context.services.conversations.list_conversations(
            _owner(info), title_contains=title, **window.arguments()
        )
        edges = [ConversationEdge(cursor=c, node=ConversationView.of(r)) for r, c in page.items]
        return ConversationConnection(
            edges=edges,
            page_info=page_info([e.cursor for e in edges], page.has_next, page.has_previous),
            total_count=page.total,
        )

    @strawberry.field(
        description="One of your conversations; null if it does not exist or is not yours."
    )
    async def conversation(self, info: Info, id: strawberry.ID) -> ConversationView | None:
        record = await info.context.services.conversations.get_conversation(_owner(info), str(id))
        return ConversationView.of(record) if record else None


@strawberry.type
class ConversationMutations:
    @strawberry.mutation(
        description=f"Give one of your conversations a title (1 to {MAX_TITLE_CHARS} "
        "characters). NOT_FOUND as for conversation(id)."
    )
    @with_user_errors
    async def rename_conversation(
        self, info: Info, id: strawberry.ID, title: str
    ) -> RenameConversationPayload:
        # Refused before the cleaning reads it when far too long (a pass over what was sent).
        cleaned = clean_text(title) if len(title) <= MAX_TITLE_CHARS * RAW_FACTOR else title
        if len(cleaned) > MAX_TITLE_CHARS:
            raise InvalidInput(f"a title holds 1 to {MAX_TITLE_CHARS} characters", field="title")
        if not cleaned:
            raise InvalidInput(
                "a title needs a visible character (control and formatting characters and "
                "spaces are removed)",
                field="title",
            )
        record = await info.context.services.conversations.rename_conversation(
            _owner(info), str(id), cleaned
        )
        if record is None:
            raise NotFound("no such conversation", field="id")
        return RenameConversationPayload(conversation=ConversationView.of(record))

    @strawberry.mutation(
        description="Delete one of your conversations with its messages, ratings and the "
        "answers the answer cache keeps from it. "
        "NOT_FOUND as for conversation(id)."
    )
    @with_user_errors
    async def delete_conversation(self, info: Info, id: strawberry.ID) -> DeleteConversationPayload:
        answers = info.context.services.answers
        if not await answers.delete_conversation(_owner(info), str(id)):
            raise NotFound("no such conversation", field="id")
        return DeleteConversationPayload(deleted_conversation_id=id)

    @strawberry.mutation(
        description="Rate one of your answers (`Answer.messageId`) UP or DOWN, with an "
        f"optional comment (at most {MAX_COMMENT_CHARS} characters); rating again replaces "
        "the rating. NOT_FOUND for a message that is not one of your answers."
    )
    @with_user_errors
    async def rate_answer(
        self,
        info: Info,
        message_id: strawberry.ID,
        rating: RatingType,  # type: ignore[valid-type]
        comment: str | None = None,
    ) -> RateAnswerPayload:
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise InvalidInput(
                f"a comment holds at most {MAX_COMMENT_CHARS} characters", field="comment"
            )
        feedback = Feedback(Rating(rating), clean_comment(comment or "") or None)
        return await _set_feedback(info, message_id, feedback)

    @strawberry.mutation(
        description="Remove your rating (and its comment) of one of your answers "
        "(`Answer.messageId`): the answer is un-rated, as if never rated, and leaves "
        "`--export-feedback`. Removing an absent rating is no error (the message comes back "
        "un-rated). NOT_FOUND as for rateAnswer."
    )
    @with_user_errors
    async def clear_rating(self, info: Info, message_id: strawberry.ID) -> RateAnswerPayload:
        return await _set_feedback(info, message_id, None)


async def _set_feedback(
    info: Info, message_id: strawberry.ID, feedback: Feedback | None
) -> RateAnswerPayload:
    """Set or (None) remove the feedback of one of the asker's answers; NotFound for a
    message that is missing, someone else's, or a question (the same error for each)."""
    store = info.context.services.conversations
    owner = _owner(info)
    message = await store.get_message(owner, str(message_id))
    if message is None or message.role is not Role.ASSISTANT:
        raise NotFound("no such answer", field="messageId")
    rated = await store.set_feedback(owner, str(message_id), feedback)
    if rated is None:
        raise NotFound("no such answer", field="messageId")
    return RateAnswerPayload(message=MessageView.of(rated))
