"""Asking within a conversation: the turns before a question, the standalone question
docent searches for (`rewriting.py`), and the turn kept once answered.

A conversation id that the asker does not own is, here as in the store, exactly a missing
one (NOT_FOUND, field `conversationId`). Without an id a new conversation is started,
titled by its first question; it is stored with its first turn, so a question that fails
leaves no empty conversation behind.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from docent.answering.answers import Answer
from docent.answering.rewriting import Rewrite, Rewriter
from docent.domain import (
    WITHHELD_TEXT,
    Access,
    CitedPassage,
    Conversation,
    DocumentRecord,
    Message,
    Role,
    new_id,
    title_from,
    utcnow,
)
from docent.errors import NotFound
from docent.search.conversations import ConversationStore

#: The characters of one earlier message shown to a generator or a rewriting model (a long
#: answer is cut: the turns are there for reference, not as sources).
MAX_TURN_CHARS = 600

#: The documents of `ids` a reader can read (a catalog's `get_documents`).
Readable = Callable[[Access, Sequence[str]], Awaitable[list[DocumentRecord]]]


@dataclass(frozen=True, slots=True)
class PastTurn:
    """One earlier question and its answer, as a generator or rewriter sees it."""

    question: str
    standalone_question: str
    answer: str


@dataclass(slots=True)
class Turn:
    """A question on its way through a conversation."""

    conversation: Conversation
    is_new: bool
    history: list[PastTurn] = field(default_factory=list)
    rewrite: Rewrite | None = None
    #: The documents the history drew on (`Message.context_documents` of the answer).
    context_documents: tuple[str, ...] = ()
    #: When the turn began (`time.perf_counter`): the answer's timings count the rewrite.
    started: float = field(default_factory=time.perf_counter)

    @property
    def standalone_question(self) -> str:
        assert self.rewrite is not None
        return self.rewrite.question


class Conversations:
    """Begins and ends turns over a `ConversationStore`."""

    def __init__(
        self, store: ConversationStore, rewriter: Rewriter, readable: Readable, *, max_turns: int
    ) -> None:
        """`max_turns` (DOCENT_CONVERSATION_MAX_TURNS): the earlier turns read for the
        rewrite and shown to the generator; `readable`: which cited documents the asker can
        still read (an earlier answer that cited another is withheld from them too,
        `Message.withheld`)."""
        self._store = store
        self._rewriter = rewriter
        self._readable = readable
        self._max_turns = max_turns

    async def begin(self, reader: Access, conversation_id: str | None, question: str) -> Turn:
        """The turn of `question`, with its history and standalone question. Raises
        `NotFound` for a conversation the reader does not own."""
        owner = reader.owner
        if conversation_id is None:
            now = utcnow()
            conversation = Conversation(
                new_id("c"), owner, title_from(question), created_at=now, updated_at=now
            )
            turn = Turn(conversation, is_new=True)
        else:
            found = await self._store.get_conversation(owner, conversation_id)
            if found is None:
                raise NotFound("no such conversation", field="conversationId")
            messages = await self._store.recent_messages(
                owner, conversation_id, 2 * self._max_turns
            )
            sources = set().union(*(m.sources for m in messages))
            readable = (
                {r.id for r in await self._readable(reader, sorted(sources))} if sources else set()
            )
            turn = Turn(
                found,
                is_new=False,
                history=past_turns(messages, readable),
                # What the rewrite could see: a document already unreadable was withheld.
                context_documents=tuple(sorted(sources & readable)),
            )
        turn.rewrite = await self._rewriter.rewrite(question, turn.history)
        return turn

    async def delete(self, owner: str, conversation_id: str) -> bool:
        """Remove the owner's conversation with its messages and their feedback; False
        when the owner has no such conversation."""
        return await self._store.delete_conversation(owner, conversation_id)

    async def finish(self, turn: Turn, question: str, answer: Answer) -> Answer:
        """Keep the turn (the question, then the answer) and return the answer with its
        conversation, message and standalone question. NOT_FOUND when the conversation was
        deleted meanwhile."""
        owner = turn.conversation.owner
        if turn.is_new:
            await self._store.create_conversation(turn.conversation)
        now = utcnow()
        seq = int(now.timestamp() * 1_000_000) * 10
        asked = Message(
            new_id("m"), turn.conversation.id, owner, Role.USER, question, seq=seq, created_at=now
        )
        answered = Message(
            new_id("m"), turn.conversation.id, owner, Role.ASSISTANT, answer.text, seq=seq + 1,
            created_at=now, standalone_question=turn.standalone_question, model=answer.model,
            grounded=answer.grounded, citations=tuple(cited(answer)),
            context_documents=turn.context_documents,
        )  # fmt: skip
        if not await self._store.add_messages(owner, turn.conversation.id, [asked, answered]):
            raise NotFound("no such conversation", field="conversationId")
        return answer.evolve(
            conversation_id=turn.conversation.id,
            message_id=answered.id,
            standalone_question=turn.standalone_question,
        )


def past_turns(messages: list[Message], readable: set[str]) -> list[PastTurn]:
    """Questions paired with the answers that followed them, oldest first; an answer that
    cited a document not in `readable` (ids) reads as WITHHELD_TEXT, and a standalone
    question withheld (`Message.standalone_withheld`) as the question typed."""
    turns: list[PastTurn] = []
    pending: Message | None = None
    for message in messages:
        if message.role is Role.USER:
            pending = message
        elif pending is not None:
            turns.append(
                PastTurn(
                    question=pending.text,
                    standalone_question=pending.text
                    if message.standalone_withheld(readable)
                    else message.standalone_question or pending.text,
                    answer=WITHHELD_TEXT
                    if message.withheld(readable)
                    else message.text[:MAX_TURN_CHARS],
                )
            )
            pending = None
    return turns


def cited(answer: Answer) -> list[CitedPassage]:
    """The passages the answer cited, as kept with its message."""
    return [
        CitedPassage(
            index=s.index,
            document_id=s.hit.chunk.document_id,
            chunk_id=s.hit.chunk.id,
            title=s.hit.document_title,
            text=s.hit.chunk.text,
            page=s.hit.chunk.page,
            section=s.hit.chunk.section,
        )
        for s in answer.citations
    ]
