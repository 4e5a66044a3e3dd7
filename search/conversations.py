"""The conversation store role: conversations and their messages, kept by the search backend
where it keeps documents' records (the embedded engine's SQLite file, or Elasticsearch
indices), always per owner; and the codec both engines share for a message's details.

Every call takes the owner: another owner's conversation or message is, to every call,
exactly a missing one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from docent.domain import CitedPassage, Conversation, Feedback, Message, Rating, Role
from docent.search.records import iso, parse_iso


@dataclass(frozen=True, slots=True)
class ConversationPage:
    items: list[tuple[Conversation, str]]  # conversation and its cursor
    total: int
    has_next: bool
    has_previous: bool = False  # as DocumentPage's


@dataclass(frozen=True, slots=True)
class MessagePage:
    items: list[tuple[Message, str]]  # message and its cursor
    total: int
    has_next: bool
    has_previous: bool = False  # as DocumentPage's


class ConversationStore(Protocol):
    """Conversations and messages of one owner at a time."""

    async def create_conversation(self, conversation: Conversation) -> None: ...

    async def get_conversation(self, owner: str, conversation_id: str) -> Conversation | None: ...

    async def list_conversations(
        self,
        owner: str,
        *,
        first: int | None = None,
        after: str | None = None,
        title_contains: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ConversationPage:
        """Most recently updated first, a page as `DocumentCatalog.list_documents` reads one
        (`InvalidInput` for a cursor this backend did not make); `title_contains` matches
        without regard to case."""
        ...

    async def rename_conversation(
        self, owner: str, conversation_id: str, title: str
    ) -> Conversation | None:
        """The conversation renamed (and its `updated_at` moved on), or None if absent."""
        ...

    async def delete_conversation(self, owner: str, conversation_id: str) -> bool:
        """Remove the conversation and every message (with its feedback)."""
        ...

    async def add_messages(self, owner: str, conversation_id: str, messages: list[Message]) -> bool:
        """Append a turn's messages and move the conversation's `updated_at` to the last
        one's time. False, writing nothing, when the owner has no such conversation."""
        ...

    async def list_messages(
        self,
        owner: str,
        conversation_id: str,
        *,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> MessagePage:
        """Oldest first (by `Message.seq`), a page as `list_conversations` reads one."""
        ...

    async def recent_messages(self, owner: str, conversation_id: str, limit: int) -> list[Message]:
        """The last `limit` messages, oldest first."""
        ...

    async def get_message(self, owner: str, message_id: str) -> Message | None: ...

    async def set_feedback(
        self, owner: str, message_id: str, feedback: Feedback | None
    ) -> Message | None:
        """Replace the message's feedback (None removes it); the message as now stored, or
        None if absent."""
        ...

    async def expire_conversations(self, updated_before: datetime) -> int:
        """Delete every owner's conversations last updated before `updated_before`, with
        their messages (the retention, DOCENT_CONVERSATION_RETENTION_DAYS). Returns how many
        conversations went."""
        ...


def conversation_to_dict(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "owner": conversation.owner,
        "title": conversation.title,
        "created_at": iso(conversation.created_at),
        "updated_at": iso(conversation.updated_at),
    }


def conversation_from_dict(row: dict[str, Any]) -> Conversation:
    return Conversation(
        id=row["id"],
        owner=row["owner"],
        title=row["title"],
        created_at=_time(row["created_at"]),
        updated_at=_time(row["updated_at"]),
    )


def message_to_dict(message: Message) -> dict[str, Any]:
    """A message as stored: its columns, with the rest as JSON text in `details`."""
    details = {
        "standalone_question": message.standalone_question,
        "citations": [asdict(c) for c in message.citations],
        "model": message.model,
        "grounded": message.grounded,
        "feedback": feedback_to_dict(message.feedback),
        "context_documents": list(message.context_documents),
    }
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "owner": message.owner,
        "role": message.role.value,
        "text": message.text,
        "seq": message.seq,
        "created_at": iso(message.created_at),
        "details": json.dumps(details, ensure_ascii=False),
    }


def message_from_dict(row: dict[str, Any]) -> Message:
    details = json.loads(row.get("details") or "{}")
    feedback = details.get("feedback")
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        owner=row["owner"],
        role=Role(row["role"]),
        text=row["text"],
        seq=int(row["seq"]),
        created_at=_time(row["created_at"]),
        standalone_question=details.get("standalone_question"),
        citations=tuple(CitedPassage(**c) for c in details.get("citations", ())),
        model=details.get("model"),
        grounded=bool(details.get("grounded")),
        context_documents=tuple(details.get("context_documents", ())),
        feedback=None
        if not feedback
        else Feedback(
            rating=Rating(feedback["rating"]),
            comment=feedback.get("comment"),
            created_at=_time(feedback["created_at"]),
        ),
    )


def feedback_to_dict(feedback: Feedback | None) -> dict[str, Any] | None:
    if feedback is None:
        return None
    return {
        "rating": feedback.rating.value,
        "comment": feedback.comment,
        "created_at": iso(feedback.created_at),
    }


def with_details(row: dict[str, Any], message: Message) -> str:
    """The `details` JSON of `row` (a stored message) with `message`'s feedback."""
    details = json.loads(row.get("details") or "{}")
    details["feedback"] = feedback_to_dict(message.feedback)
    return json.dumps(details, ensure_ascii=False)


def _time(value: str) -> datetime:
    parsed = parse_iso(value)
    assert parsed is not None
    return parsed
