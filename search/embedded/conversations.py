"""The embedded engine's conversation store: the `conversations` and `messages` tables of
the index's SQLite file (`schema.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import apsw

from docent.domain import Conversation, Feedback, Message, utcnow
from docent.search.conversations import (
    ConversationPage,
    MessagePage,
    conversation_from_dict,
    conversation_to_dict,
    message_from_dict,
    message_to_dict,
    with_details,
)
from docent.search.cursors import (
    Window,
    decode_cursor,
    encode_cursor,
    identifier,
    sequence_number,
    timestamp,
)
from docent.search.embedded.database import Database, marks, scalar
from docent.search.embedded.paging import keyset_page
from docent.search.records import iso

_CONVERSATION_COLUMNS = ("id", "owner", "title", "created_at", "updated_at")
_MESSAGE_COLUMNS = (
    "id", "conversation_id", "owner", "role", "text", "seq", "created_at", "details",
)  # fmt: skip


class EmbeddedConversations:
    """`ConversationStore` on the `conversations` and `messages` tables."""

    _db: Database

    async def create_conversation(self, conversation: Conversation) -> None:
        row = conversation_to_dict(conversation)
        await self._db.write(
            lambda conn: conn.execute(
                f"INSERT INTO conversations ({', '.join(row)}) VALUES ({marks(row)})",
                tuple(row.values()),
            )
        )

    async def get_conversation(self, owner: str, conversation_id: str) -> Conversation | None:
        return await self._db.run(lambda conn: _conversation(conn, owner, conversation_id))

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
        where, params = "owner = ?", [owner]
        if title_contains:
            where += " AND instr(lower(title), lower(?)) > 0"
            params.append(title_contains)
        window = Window.of(first, after, last, before)
        position = None
        if window.cursor is not None:
            position = decode_cursor(window.cursor, timestamp, identifier, field=window.field)

        def read(conn: apsw.Connection) -> ConversationPage:
            total = scalar(conn, f"SELECT count(*) FROM conversations WHERE {where}", params)

            def rows(condition: str, values: list[Any], order: str, limit: int) -> list[Any]:
                return _rows(
                    conn,
                    f"SELECT {', '.join(_CONVERSATION_COLUMNS)} FROM conversations WHERE "
                    f"{where}{' AND ' + condition if condition else ''} ORDER BY {order} LIMIT ?",
                    [*params, *values, limit],
                    _CONVERSATION_COLUMNS,
                )

            found, has_next, has_previous = keyset_page(
                window, position, ("updated_at", "id"), descending=True, read=rows
            )
            items = [
                (conversation_from_dict(r), encode_cursor([r["updated_at"], r["id"]]))
                for r in found
            ]
            return ConversationPage(items, total, has_next, has_previous)

        return await self._db.run(read)

    async def rename_conversation(
        self, owner: str, conversation_id: str, title: str
    ) -> Conversation | None:
        def rename(conn: apsw.Connection) -> Conversation | None:
            conn.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE owner = ? AND id = ?",
                (title, iso(utcnow()), owner, conversation_id),
            )
            return _conversation(conn, owner, conversation_id)

        return await self._db.write(rename)

    async def delete_conversation(self, owner: str, conversation_id: str) -> bool:
        def delete(conn: apsw.Connection) -> bool:
            conn.execute(
                "DELETE FROM messages WHERE owner = ? AND conversation_id = ?",
                (owner, conversation_id),
            )
            conn.execute(
                "DELETE FROM conversations WHERE owner = ? AND id = ?", (owner, conversation_id)
            )
            return bool(conn.changes())

        return await self._db.write(delete)

    async def add_messages(self, owner: str, conversation_id: str, messages: list[Message]) -> bool:
        def add(conn: apsw.Connection) -> bool:
            if _conversation(conn, owner, conversation_id) is None:
                return False
            for message in messages:
                row = message_to_dict(message)
                conn.execute(
                    f"INSERT INTO messages ({', '.join(row)}) VALUES ({marks(row)})",
                    tuple(row.values()),
                )
            if messages:
                conn.execute(
                    "UPDATE conversations SET updated_at = ? WHERE owner = ? AND id = ?",
                    (iso(messages[-1].created_at), owner, conversation_id),
                )
            return True

        return await self._db.write(add)

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
        window = Window.of(first, after, last, before, default=50)
        position = None
        if window.cursor is not None:
            position = decode_cursor(window.cursor, sequence_number, field=window.field)

        def read(conn: apsw.Connection) -> MessagePage:
            where, params = "owner = ? AND conversation_id = ?", [owner, conversation_id]
            total = scalar(conn, f"SELECT count(*) FROM messages WHERE {where}", params)

            def rows(condition: str, values: list[Any], order: str, limit: int) -> list[Message]:
                conditions = f"{where} AND {condition}" if condition else where
                return _messages(
                    conn, f"{conditions} ORDER BY {order} LIMIT ?", [*params, *values, limit]
                )

            found, has_next, has_previous = keyset_page(
                window, position, ("seq",), descending=False, read=rows
            )
            items = [(m, encode_cursor([m.seq])) for m in found]
            return MessagePage(items, total, has_next, has_previous)

        return await self._db.run(read)

    async def recent_messages(self, owner: str, conversation_id: str, limit: int) -> list[Message]:
        rows = await self._db.run(
            lambda conn: _messages(
                conn,
                "owner = ? AND conversation_id = ? ORDER BY seq DESC LIMIT ?",
                [owner, conversation_id, limit],
            )
        )
        return rows[::-1]

    async def get_message(self, owner: str, message_id: str) -> Message | None:
        rows = await self._db.run(
            lambda conn: _messages(conn, "owner = ? AND id = ?", [owner, message_id])
        )
        return rows[0] if rows else None

    async def set_feedback(
        self, owner: str, message_id: str, feedback: Feedback | None
    ) -> Message | None:
        def rate(conn: apsw.Connection) -> Message | None:
            rows = _messages(conn, "owner = ? AND id = ?", [owner, message_id])
            if not rows:
                return None
            message = rows[0].evolve(feedback=feedback)
            details = with_details(message_to_dict(rows[0]), message)
            conn.execute("UPDATE messages SET details = ? WHERE id = ?", (details, message_id))
            return message

        return await self._db.write(rate)

    async def expire_conversations(self, updated_before: datetime) -> int:
        def expire(conn: apsw.Connection) -> int:
            cutoff = iso(updated_before)
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM conversations WHERE updated_at < ?", (cutoff,)
            )]  # fmt: skip
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                conn.execute(
                    f"DELETE FROM messages WHERE conversation_id IN ({marks(batch)})", batch
                )
                conn.execute(f"DELETE FROM conversations WHERE id IN ({marks(batch)})", batch)
            return len(ids)

        return await self._db.write(expire)


def _rows(
    conn: apsw.Connection, sql: str, params: list[Any], columns: tuple[str, ...]
) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in conn.execute(sql, tuple(params))]


def _conversation(conn: apsw.Connection, owner: str, conversation_id: str) -> Conversation | None:
    rows = _rows(
        conn,
        f"SELECT {', '.join(_CONVERSATION_COLUMNS)} FROM conversations WHERE owner = ? AND id = ?",
        [owner, conversation_id],
        _CONVERSATION_COLUMNS,
    )
    return conversation_from_dict(rows[0]) if rows else None


def _messages(conn: apsw.Connection, where: str, params: list[Any]) -> list[Message]:
    rows = _rows(
        conn,
        f"SELECT {', '.join(_MESSAGE_COLUMNS)} FROM messages WHERE {where}",
        params,
        _MESSAGE_COLUMNS,
    )
    return [message_from_dict(r) for r in rows]
