"""The Elasticsearch conversation store: the `<prefix>-conversations` and `<prefix>-messages`
indices (`indices.py`), one document per conversation and per message, by id.

Reads by id are realtime GETs checked against the owner; lists and counts are searches
filtered by owner. A turn's messages are written only after the conversation was found
(a conversation deleted in between leaves at most one turn, which the delete's second
sweep removes, as a document's delete does with its chunks).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import ConnectionError, ConnectionTimeout, NotFoundError, TransportError
from elasticsearch.helpers import async_scan

from docent.domain import Conversation, Feedback, Message, utcnow
from docent.errors import SearchUnavailable
from docent.search.conversations import (
    ConversationPage,
    MessagePage,
    conversation_from_dict,
    conversation_to_dict,
    message_from_dict,
    message_to_dict,
    with_details,
)
from docent.search.cursors import Window, sequence_number
from docent.search.elasticsearch.catalog import _escape_wildcard, newest_first
from docent.search.elasticsearch.indices import Indices, needs_open
from docent.search.elasticsearch.paging import keyset_page
from docent.search.records import iso


class ElasticsearchConversations(Indices):
    """`ConversationStore` on two indices."""

    @needs_open
    async def create_conversation(self, conversation: Conversation) -> None:
        await self._call(
            self._client.index(
                index=self.conversations_index, id=conversation.id,
                document=conversation_to_dict(conversation), op_type="create",
                refresh=self._refresh,
            )
        )  # fmt: skip

    async def _conversation_source(self, owner: str, conversation_id: str) -> dict[str, Any] | None:
        try:
            hit = await self._call(
                self._client.get(index=self.conversations_index, id=conversation_id)
            )
        except NotFoundError:
            return None
        source: dict[str, Any] = hit["_source"]
        return source if source["owner"] == owner else None

    @needs_open
    async def get_conversation(self, owner: str, conversation_id: str) -> Conversation | None:
        source = await self._conversation_source(owner, conversation_id)
        return conversation_from_dict(source) if source else None

    @needs_open
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
        filters: list[dict[str, Any]] = [{"term": {"owner": owner}}]
        if title_contains:
            pattern = f"*{_escape_wildcard(title_contains.lower())}*"
            filters.append({"wildcard": {"title.lower": pattern}})
        hits, total, has_next, has_previous = await newest_first(
            self._call, self._client, self.conversations_index, filters,
            field="updated_at", window=Window.of(first, after, last, before),
        )  # fmt: skip
        items = [(conversation_from_dict(h["_source"]), cursor) for h, cursor in hits]
        return ConversationPage(items, total, has_next, has_previous)

    @needs_open
    async def rename_conversation(
        self, owner: str, conversation_id: str, title: str
    ) -> Conversation | None:
        source = await self._conversation_source(owner, conversation_id)
        if source is None:
            return None
        source.update(title=title, updated_at=iso(utcnow()))
        await self._call(
            self._client.index(
                index=self.conversations_index, id=conversation_id, document=source,
                refresh=self._refresh,
            )
        )  # fmt: skip
        return conversation_from_dict(source)

    async def _delete_where(self, index: str, query: dict[str, Any]) -> None:
        """Delete what `query` finds in `index`: ids by a scan, then bulk deletes (the
        minimal distribution has no _delete_by_query)."""
        try:
            actions = [
                {"_op_type": "delete", "_index": hit["_index"], "_id": hit["_id"]}
                async for hit in async_scan(
                    self._client, index=index, query={"query": query, "_source": False}
                )
            ]
        except (ConnectionError, ConnectionTimeout, TransportError) as exc:
            raise SearchUnavailable(f"Elasticsearch at {self.where} failed: {exc}") from exc
        await self.bulk(actions)

    async def _delete_messages(self, query: dict[str, Any]) -> None:
        await self._delete_where(self.messages_index, query)

    @needs_open
    async def delete_conversation(self, owner: str, conversation_id: str) -> bool:
        if await self._conversation_source(owner, conversation_id) is None:
            return False
        of_it = {"bool": {"filter": [
            {"term": {"owner": owner}}, {"term": {"conversation_id": conversation_id}},
        ]}}  # fmt: skip
        await self._delete_messages(of_it)
        try:
            await self._call(
                self._client.delete(
                    index=self.conversations_index, id=conversation_id, refresh=self._refresh
                )
            )
        except NotFoundError:
            return False
        await self._delete_messages(of_it)
        return True

    @needs_open
    async def add_messages(self, owner: str, conversation_id: str, messages: list[Message]) -> bool:
        source = await self._conversation_source(owner, conversation_id)
        if source is None:
            return False
        if not messages:
            return True
        await self.bulk(
            [
                {"_index": self.messages_index, "_id": m.id, "_source": message_to_dict(m)}
                for m in messages
            ]
        )
        source["updated_at"] = iso(messages[-1].created_at)
        await self._call(
            self._client.index(
                index=self.conversations_index, id=conversation_id, document=source,
                refresh=self._refresh,
            )
        )  # fmt: skip
        return True

    def _of_conversation(self, owner: str, conversation_id: str) -> list[dict[str, Any]]:
        return [{"term": {"owner": owner}}, {"term": {"conversation_id": conversation_id}}]

    @needs_open
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
        hits, total, has_next, has_previous = await keyset_page(
            self._call, self._client, self.messages_index,
            self._of_conversation(owner, conversation_id), sort=[("seq", "asc")],
            fields=(sequence_number,), window=Window.of(first, after, last, before, default=50),
        )  # fmt: skip
        items = [(message_from_dict(h["_source"]), cursor) for h, cursor in hits]
        return MessagePage(items, total, has_next, has_previous)

    @needs_open
    async def recent_messages(self, owner: str, conversation_id: str, limit: int) -> list[Message]:
        if limit <= 0:
            return []
        response = await self._call(
            self._client.search(
                index=self.messages_index,
                query={"bool": {"filter": self._of_conversation(owner, conversation_id)}},
                sort=[{"seq": "desc"}],
                size=limit,
            )
        )
        return [message_from_dict(h["_source"]) for h in response["hits"]["hits"]][::-1]

    async def _message_source(self, owner: str, message_id: str) -> dict[str, Any] | None:
        try:
            hit = await self._call(self._client.get(index=self.messages_index, id=message_id))
        except NotFoundError:
            return None
        source: dict[str, Any] = hit["_source"]
        return source if source["owner"] == owner else None

    @needs_open
    async def get_message(self, owner: str, message_id: str) -> Message | None:
        source = await self._message_source(owner, message_id)
        return message_from_dict(source) if source else None

    @needs_open
    async def set_feedback(
        self, owner: str, message_id: str, feedback: Feedback | None
    ) -> Message | None:
        source = await self._message_source(owner, message_id)
        if source is None:
            return None
        message = message_from_dict(source).evolve(feedback=feedback)
        source["details"] = with_details(source, message)
        await self._call(
            self._client.index(
                index=self.messages_index, id=message_id, document=source, refresh=self._refresh
            )
        )
        return message

    @needs_open
    async def expire_conversations(self, updated_before: datetime) -> int:
        old = {"range": {"updated_at": {"lt": iso(updated_before)}}}
        expired = 0
        while True:  # a page of 1,000 at a time: no search window limit is met
            response = await self._call(
                self._client.search(
                    index=self.conversations_index, query=old, size=1000, source=False,
                    track_total_hits=False,
                )
            )  # fmt: skip
            ids = [h["_id"] for h in response["hits"]["hits"]]
            if not ids:
                return expired
            await self._delete_messages({"terms": {"conversation_id": ids}})
            await self.bulk([
                {"_op_type": "delete", "_index": self.conversations_index, "_id": i} for i in ids
            ])  # fmt: skip
            expired += len(ids)
