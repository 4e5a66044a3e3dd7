"""The Elasticsearch document catalogue: one record per document in the documents index,
and a claims index that makes upload deduplication race-free."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from elasticsearch import ConflictError, NotFoundError
from elasticsearch.helpers import async_scan

from docent.domain import Access, DocumentRecord, DocumentStatus, utcnow
from docent.search.backend import DocumentPage, DocumentQuery
from docent.search.cursors import decode_cursor, encode_cursor
from docent.search.elasticsearch.access import visible
from docent.search.elasticsearch.chunks import delete_chunks
from docent.search.elasticsearch.indices import Indices, needs_open
from docent.search.records import STORED_RECORD_NAMES, iso, record_from_dict, record_to_dict


class ElasticsearchCatalog(Indices):
    """`DocumentCatalog` on the documents and claims indices."""

    def _claim_id(self, owner: str, sha256: str) -> str:
        return hashlib.sha256(f"{owner}\x00{sha256}".encode()).hexdigest()

    @needs_open
    async def insert_document(
        self, record: DocumentRecord, *, deduplicate: bool = True
    ) -> DocumentRecord:
        claim = self._claim_id(record.owner, record.sha256)
        for _ in range(3 if deduplicate else 0):
            try:
                await self._call(
                    self._client.create(
                        index=self.claims_index, id=claim, document={"document_id": record.id},
                        refresh=False,  # claims are only read by id (a realtime GET)
                    )
                )  # fmt: skip
                break
            except ConflictError:
                existing = await self._call(self._client.get(index=self.claims_index, id=claim))
                found = await self.get_document(record.owner, existing["_source"]["document_id"])
                if found is not None:
                    return found
                # a claim left by a deleted document: take it over
                await self._call(
                    self._client.delete(index=self.claims_index, id=claim, refresh=False)
                )
        await self._call(
            self._client.index(
                index=self.documents_alias, id=record.id, document=_source(record),
                refresh=self._refresh, op_type="create",
            )
        )  # fmt: skip
        return record

    @needs_open
    async def get_document(self, owner: str | Access, document_id: str) -> DocumentRecord | None:
        try:
            hit = await self._call(self._client.get(index=self.documents_alias, id=document_id))
        except NotFoundError:
            return None
        record = _record(hit["_source"])
        return record if Access.of(owner).can_see(record) else None

    @needs_open
    async def get_documents(self, owner: str | Access, ids: Sequence[str]) -> list[DocumentRecord]:
        if not ids:
            return []
        response = await self._call(self._client.mget(index=self.documents_alias, ids=list(ids)))
        records = [_record(d["_source"]) for d in response["docs"] if d.get("found")]
        access = Access.of(owner)
        return [r for r in records if access.can_see(r)]

    @needs_open
    async def list_documents(
        self, owner: str | Access, query: DocumentQuery, *, first: int, after: str | None
    ) -> DocumentPage:
        filters: list[dict[str, Any]] = [visible(Access.of(owner))]
        if query.statuses:
            filters.append({"terms": {"status": [s.value for s in query.statuses]}})
        filters.extend({"term": {"tags": tag}} for tag in query.tags)
        if query.title_contains:
            pattern = f"*{_escape_wildcard(query.title_contains.lower())}*"
            filters.append({"bool": {"should": [
                {"wildcard": {"title.lower": pattern}}, {"wildcard": {"filename.lower": pattern}},
            ], "minimum_should_match": 1}})  # fmt: skip
        body: dict[str, Any] = {
            "query": {"bool": {"filter": filters}},
            "sort": [{"created_at": "desc"}, {"id": "desc"}],
            "size": first + 1,
            "track_total_hits": True,
        }
        if after:  # the sort values: created_at in epoch nanoseconds, the id
            body["search_after"] = decode_cursor(after, int, str)
        response = await self._call(self._client.search(index=self.documents_alias, **body))
        hits = response["hits"]["hits"]
        items = [(_record(h["_source"]), encode_cursor(h["sort"])) for h in hits[:first]]
        return DocumentPage(
            items=items, total=response["hits"]["total"]["value"], has_next=len(hits) > first
        )

    @needs_open
    async def update_document(
        self, record: DocumentRecord, *, expected_version: int | None = None
    ) -> bool:
        try:
            current = await self._call(self._client.get(index=self.documents_alias, id=record.id))
        except NotFoundError:
            return False
        source = current["_source"]
        if source["owner"] != record.owner:
            return False
        if expected_version is not None and source["version"] != expected_version:
            return False
        try:
            await self._call(
                self._client.index(
                    index=current["_index"], id=record.id, document=_source(record),
                    if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"],
                    # Status changes are read by id (realtime) and by the progress events;
                    # lists see them within the refresh interval. Waiting here would cost
                    # each ingestion job a second per update.
                    refresh=self._refresh is True,
                )
            )  # fmt: skip
        except ConflictError:
            return False  # changed meanwhile: the caller's expectation no longer holds
        return True

    @needs_open
    async def delete_document(self, owner: str, document_id: str) -> bool:
        record = await self.get_document(owner, document_id)
        if record is None:
            return False
        await delete_chunks(self, owner, document_id)
        await self._call(
            self._client.delete(index=self.documents_alias, id=document_id, refresh=self._refresh)
        )
        with contextlib.suppress(NotFoundError):
            await self._call(
                self._client.delete(
                    index=self.claims_index,
                    id=self._claim_id(owner, record.sha256),
                    refresh=False,
                )
            )
        return True

    @needs_open
    async def documents_in_status(
        self, statuses: Sequence[DocumentStatus], *, older_than_s: float = 0
    ) -> list[DocumentRecord]:
        cutoff = iso(utcnow() - timedelta(seconds=older_than_s))
        query = {"bool": {"filter": [
            {"terms": {"status": [s.value for s in statuses]}},
            {"range": {"updated_at": {"lte": cutoff}}},
        ]}}  # fmt: skip
        records = []
        async for hit in async_scan(
            self._client, index=self.documents_alias, query={"query": query}
        ):
            records.append(_record(hit["_source"]))
        return sorted(records, key=lambda r: r.updated_at)


def _source(record: DocumentRecord) -> dict[str, Any]:
    return record_to_dict(record, STORED_RECORD_NAMES)


def _record(source: dict[str, Any]) -> DocumentRecord:
    return record_from_dict(source, STORED_RECORD_NAMES)


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
