"""The Elasticsearch document catalogue: one record per document in the documents index,
and a claims index that makes upload deduplication race-free."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from elasticsearch import AsyncElasticsearch, ConflictError, NotFoundError
from elasticsearch.helpers import async_scan

from docent.domain import Access, DocumentRecord, DocumentStatus, Visibility, utcnow
from docent.search.backend import DocumentPage, DocumentQuery, Fence
from docent.search.cursors import Window, identifier, sort_integer
from docent.search.elasticsearch.access import visible
from docent.search.elasticsearch.chunks import delete_chunks
from docent.search.elasticsearch.indices import Indices, needs_open
from docent.search.elasticsearch.paging import Call, keyset_page
from docent.search.records import STORED_RECORD_NAMES, iso, record_from_dict, record_to_dict

#: A claim reads and writes the record again this many times when others write between.
_CLAIM_TRIES = 5
_UNFINISHED = (DocumentStatus.QUEUED, DocumentStatus.PROCESSING)
#: `documents_named` reads this many rows more than asked, for titles that differ in case.
_NAMED_SPARE = 20


class ElasticsearchCatalog(Indices):
    """`DocumentCatalog` on the documents and claims indices."""

    def _claim_id(self, owner: str, sha256: str) -> str:
        return hashlib.sha256(f"{owner}\x00{sha256}".encode()).hexdigest()

    @needs_open
    async def insert_document(
        self, record: DocumentRecord, *, deduplicate: bool = True
    ) -> DocumentRecord:
        if deduplicate and (holder := await self._claim_bytes(record)) is not None:
            return holder
        await self._call(
            self._client.index(
                index=self.documents_alias, id=record.id, document=_source(record),
                refresh=self._refresh, op_type="create",
            )
        )  # fmt: skip
        return record

    async def _claim_bytes(self, record: DocumentRecord) -> DocumentRecord | None:
        """Claim the owner's bytes `record.sha256` for `record` (a create, so that of two
        uploads at once one wins). Returns the owner's document that holds them already,
        or None when `record` holds them now."""
        claim = self._claim_id(record.owner, record.sha256)
        for _ in range(3):
            try:
                await self._call(
                    self._client.create(
                        index=self.claims_index, id=claim, document={"document_id": record.id},
                        refresh=False,  # claims are only read by id (a realtime GET)
                    )
                )  # fmt: skip
                return None
            except ConflictError:
                existing = await self._call(self._client.get(index=self.claims_index, id=claim))
                holder = existing["_source"]["document_id"]
                if holder == record.id:
                    return None
                found = await self.get_document(record.owner, holder)
                if found is not None and found.sha256 == record.sha256:
                    return found
                # a claim left by a deleted document, or one whose bytes were replaced
                await self._call(
                    self._client.delete(index=self.claims_index, id=claim, refresh=False)
                )
        return None

    async def _drop_claim(self, owner: str, sha256: str, document_id: str) -> None:
        """Remove the claim of the owner's bytes `sha256` if `document_id` holds it."""
        claim = self._claim_id(owner, sha256)
        with contextlib.suppress(NotFoundError, ConflictError):
            existing = await self._call(self._client.get(index=self.claims_index, id=claim))
            if existing["_source"]["document_id"] == document_id:
                await self._call(
                    self._client.delete(
                        index=self.claims_index, id=claim, refresh=False,
                        if_seq_no=existing["_seq_no"], if_primary_term=existing["_primary_term"],
                    )
                )  # fmt: skip

    @needs_open
    async def share_document(
        self,
        owner: str,
        document_id: str,
        visibility: Visibility,
        group: str | None,
        *,
        expected_version: int,
    ) -> DocumentRecord | None:
        # The record as stored now, with the sharing changed: a status a job wrote
        # meanwhile stays; a write between the read and this one makes it read again (as a
        # claim does), instead of refusing the share.
        def share(stored: DocumentRecord) -> DocumentRecord | None:
            if stored.version != expected_version:
                return None
            return stored.evolve(visibility=visibility, group=group)

        return await self._compare_and_set(owner, document_id, share, visible=True)

    @needs_open
    async def replace_content(
        self, record: DocumentRecord, *, expected_version: int
    ) -> DocumentRecord | None:
        current = await self._current(record.owner, record.id)
        if current is None:
            return None
        stored = _record(current["_source"])
        if stored.version != expected_version:
            return None
        moved = stored.sha256 != record.sha256
        # The new bytes' claim first: of this and an upload of the same bytes, one wins.
        if moved and (holder := await self._claim_bytes(record)) is not None:
            return holder
        if not await self._write(current, replace(record, run=stored.run), visible=True):
            if moved:
                await self._drop_claim(record.owner, record.sha256, record.id)
            return None
        if moved:
            await self._drop_claim(record.owner, stored.sha256, record.id)
        return record

    @needs_open
    async def documents_named(
        self, owner: str, *, filename: str, title: str, limit: int
    ) -> list[DocumentRecord]:
        # `title` is analysed text: its lowercase keyword finds the candidates, and only
        # those of exactly this title are kept (a few spare rows for case variants).
        named = {"bool": {"should": [
            {"term": {"filename": filename}}, {"term": {"title.lower": title.lower()}},
        ], "minimum_should_match": 1}}  # fmt: skip
        response = await self._call(
            self._client.search(
                index=self.documents_alias,
                query={"bool": {"filter": [{"term": {"owner": owner}}, named]}},
                sort=[{"created_at": "desc"}, {"id": "desc"}],
                size=limit + _NAMED_SPARE,
            )
        )
        records = [_record(hit["_source"]) for hit in response["hits"]["hits"]]
        return [r for r in records if r.filename == filename or r.title == title][:limit]

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
        self,
        owner: str | Access,
        query: DocumentQuery,
        *,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> DocumentPage:
        hits, total, has_next, has_previous = await newest_first(
            self._call, self._client, self.documents_alias, _matching(Access.of(owner), query),
            field="created_at", window=Window.of(first, after, last, before),
        )  # fmt: skip
        items = [(_record(h["_source"]), cursor) for h, cursor in hits]
        return DocumentPage(items, total, has_next, has_previous)

    @needs_open
    async def document_ids(
        self, owner: str | Access, query: DocumentQuery, *, limit: int
    ) -> list[str]:
        response = await self._call(
            self._client.search(
                index=self.documents_alias,
                query={"bool": {"filter": _matching(Access.of(owner), query)}},
                size=limit, source=False, track_total_hits=False,
            )
        )  # fmt: skip
        return [hit["_id"] for hit in response["hits"]["hits"]]

    @needs_open
    async def update_document(
        self,
        record: DocumentRecord,
        *,
        expected_version: int | None = None,
        fence: Fence | None = None,
    ) -> bool:
        current = await self._current(record.owner, record.id)
        if current is None:
            return False
        stored = _record(current["_source"])
        if expected_version is not None and stored.version != expected_version:
            return False
        if fence is not None and Fence.of(stored) != fence:
            return False
        # Only a claim changes `run` (the fencing token); a job (under a fence) writes its
        # progress, never who may read the document (sharing changes it in place meanwhile).
        if fence is not None:
            record = replace(record, visibility=stored.visibility, group=stored.group)
        # A person's edit (no fence) is listed at once, as an upload is; a job's progress is
        # read by id and by its events, and lists see it within the refresh interval.
        return await self._write(current, replace(record, run=stored.run), visible=fence is None)

    @needs_open
    async def claim_document(
        self, owner: str, document_id: str, version: int
    ) -> DocumentRecord | None:
        def claim(stored: DocumentRecord) -> DocumentRecord | None:
            if stored.version != version or stored.status not in _UNFINISHED:
                return None
            return stored.evolve(status=DocumentStatus.PROCESSING, run=stored.run + 1)

        return await self._compare_and_set(owner, document_id, claim)

    async def _compare_and_set(
        self,
        owner: str,
        document_id: str,
        change: Callable[[DocumentRecord], DocumentRecord | None],
        *,
        visible: bool = False,
    ) -> DocumentRecord | None:
        """`change` of the owner's record as stored, written only if nobody wrote it since
        it was read (compare-and-set on its sequence number); when another writer got in
        between, read again and decide again (up to _CLAIM_TRIES). The record written, or
        None when there is none, `change` declines (None) or every try lost. `visible` as
        for `_write`."""
        for _ in range(_CLAIM_TRIES):
            current = await self._current(owner, document_id)
            if current is None:
                return None
            changed = change(_record(current["_source"]))
            if changed is None:
                return None
            if await self._write(current, changed, visible=visible):
                return changed
        return None

    async def _current(self, owner: str, document_id: str) -> dict[str, Any] | None:
        """The owner's record as stored, with its sequence number (a realtime GET)."""
        try:
            current = await self._call(self._client.get(index=self.documents_alias, id=document_id))
        except NotFoundError:
            return None
        return current.body if current["_source"]["owner"] == owner else None

    async def _write(
        self, current: dict[str, Any], record: DocumentRecord, *, visible: bool = False
    ) -> bool:
        """Write `record` over `current` if it has not changed since it was read. `visible`:
        a person's edit (title, tags, sharing, new bytes), which lists must show when the
        call returns (the cluster's refresh policy, `wait_for` by default)."""
        try:
            await self._call(
                self._client.index(
                    index=current["_index"], id=record.id, document=_source(record),
                    if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"],
                    # Status changes are read by id (realtime) and by the progress events;
                    # lists see them within the refresh interval. Waiting here would cost
                    # each ingestion job a second per update.
                    refresh=self._refresh if visible else self._refresh is True,
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
        # Chunks, record, chunks again: a run that wrote after the first sweep either saw
        # the record gone and took its chunks back (`replace_chunks`), or finished writing
        # before the record went, and the second sweep finds them.
        await delete_chunks(self, owner, document_id)
        await self._call(
            self._client.delete(index=self.documents_alias, id=document_id, refresh=self._refresh)
        )
        await delete_chunks(self, owner, document_id)
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


def _matching(access: Access, query: DocumentQuery) -> list[dict[str, Any]]:
    """The filters of the documents `access` reads that match `query`."""
    filters: list[dict[str, Any]] = [visible(access)]
    if query.statuses:
        filters.append({"terms": {"status": [s.value for s in query.statuses]}})
    filters.extend({"term": {"tags": tag}} for tag in query.tags)
    if query.title_contains:
        pattern = f"*{_escape_wildcard(query.title_contains.lower())}*"
        filters.append({"bool": {"should": [
            {"wildcard": {"title.lower": pattern}}, {"wildcard": {"filename.lower": pattern}},
        ], "minimum_should_match": 1}})  # fmt: skip
    # () matches nothing: `terms` over no values
    if query.sha256 is not None:
        filters.append({"terms": {"sha256": list(query.sha256)}})
    if query.ids is not None:
        filters.append({"terms": {"id": list(query.ids)}})
    return filters


def _source(record: DocumentRecord) -> dict[str, Any]:
    return record_to_dict(record, STORED_RECORD_NAMES)


def _record(source: dict[str, Any]) -> DocumentRecord:
    return record_from_dict(source, STORED_RECORD_NAMES)


async def newest_first(
    call: Call,
    client: AsyncElasticsearch,
    index: str,
    filters: list[dict[str, Any]],
    *,
    field: str,
    window: Window,
) -> tuple[list[tuple[dict[str, Any], str]], int, bool, bool]:
    """The page `window` asks for of the documents matching `filters`, newest first by
    `field` (a date) then by id (`paging.keyset_page`: the hits with their cursors, the
    total, whether hits follow and whether hits precede)."""
    return await keyset_page(
        call, client, index, filters, sort=[(field, "desc"), ("id", "desc")],
        fields=(sort_integer, identifier), window=window,
    )  # fmt: skip


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
