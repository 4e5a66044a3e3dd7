"""The document service: upload intake, delete, reprocess and progress, for one owner.

An upload returns as soon as the file is stored and its job queued; the work happens in
a worker. The record is written before the job is queued, so a job never looks for a
document that does not exist; a document whose job is lost is found again by the
workers' recovery cron (`jobs.JobQueue.recover`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from docent.domain import Access, DocumentRecord, DocumentStatus, Stage, Visibility
from docent.errors import (
    Conflict,
    ErrorCode,
    Forbidden,
    IngestionError,
    InvalidInput,
    NotFound,
    SearchUnavailable,
)
from docent.ingestion.blobs import BlobStore, StagedFile
from docent.ingestion.clamav import ClamAV, ScanFailed, ScannerUnavailable
from docent.ingestion.events import DocumentEvent, DocumentsChanged, EventBus
from docent.ingestion.jobs import JobQueue
from docent.ingestion.labels import clean_filename, clean_tags, clean_title
from docent.ingestion.parsing import check_supported
from docent.ingestion.parsing.sniffing import sniff
from docent.ingestion.quota import Reservation, UploadQuota
from docent.search.backend import DocumentCatalog, DocumentPage, DocumentQuery
from docent.search.cursors import Window
from docent.settings import IngestionSettings

log = logging.getLogger(__name__)

#: How long a progress subscription waits for an event before re-reading the record
#: (Redis pub/sub delivers at most once; the record is the truth).
_RECHECK_S = 5.0


#: How many same-name documents an upload reports (`UploadResult.similar`): enough to
#: offer "replace or keep both", small enough to read at every upload.
SIMILAR_LIMIT = 10


@dataclass(frozen=True, slots=True)
class UploadResult:
    document: DocumentRecord
    #: The uploader had these bytes already: `document` is that copy (see `upload`).
    deduplicated: bool
    #: The uploader's other documents of the same file name or title as `document`, newest
    #: first, SIMILAR_LIMIT at most.
    similar: tuple[DocumentRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class _Labels:
    """The title and tags an upload gives, cleaned; None where it gives none."""

    title: str | None
    tags: tuple[str, ...] | None


class DocumentService:
    def __init__(
        self,
        catalog: DocumentCatalog,
        blobs: BlobStore,
        events: EventBus,
        jobs: JobQueue,
        settings: IngestionSettings,
        *,
        scanner: ClamAV | None = None,
        quota: UploadQuota | None = None,
        on_change: DocumentsChanged | None = None,
    ) -> None:
        self._catalog = catalog
        self._blobs = blobs
        self._events = events
        self._jobs = jobs
        self._settings = settings
        self._scanner = scanner
        self._quota = quota
        self._on_change = on_change

    async def upload(
        self,
        owner: str | Access,
        chunks: AsyncIterator[bytes],
        *,
        filename: str | None,
        title: str | None = None,
        tags: Sequence[str] | None = None,
        visibility: Visibility = Visibility.PRIVATE,
        group: str | None = None,
        replaces: str | None = None,
    ) -> UploadResult:
        """Store an upload and queue it. With GROUP visibility the document is shared with
        `group`, one of the uploader's.

        Bytes the uploader has already (same sha256) are kept once: their document comes
        back (`deduplicated`), with the title and tags given, if any, applied (`_again`).

        `replaces`: the id of one of the uploader's documents whose content the file
        replaces, as its next version under the same id; its title and tags are kept unless
        given, its sharing always (`visibility` and `group` are ignored). NOT_FOUND (field
        `replaces`) when the uploader cannot see it, FORBIDDEN when it is only shared with
        them, CONFLICT when the bytes are another of their documents'. The version being
        processed stops and writes nothing (its fence); its passages stay searchable until
        the new version's replace them.

        Every result names the uploader's other documents of the same file name or title
        (`similar`)."""
        access = Access.of(owner)
        owner = access.owner
        group = check_sharing(access, visibility, group)
        # Bounds first: nothing below is done for a request that breaks one.
        tag_list = clean_tags(tags)
        name = clean_filename(filename)
        labels = _Labels(
            title=clean_title(title, default="") or None, tags=None if tags is None else tag_list
        )
        target = None
        if replaces is not None:
            target = await self.owned(access, replaces, field="replaces")
        if self._quota is not None:
            # Refused before a byte is written when the owner has no room left at all.
            await self._quota.check(owner, adds_document=target is None)
        staged, mime_type, reservation = await self._stage(owner, chunks, name)
        if target is not None and staged.sha256 == target.sha256:
            self._blobs.discard(staged)
            await self._give_back(reservation)  # the same bytes: nothing to replace
            result = UploadResult(await self._again(target, labels), deduplicated=True)
        elif target is not None:
            replaced = await self._replace(target, staged, name, mime_type, labels, reservation)
            result = UploadResult(replaced, deduplicated=False)
        else:
            record = DocumentRecord(
                id=uuid.uuid4().hex,
                owner=owner,
                visibility=visibility,
                group=group,
                title=labels.title or name,
                filename=name,
                mime_type=mime_type,
                size_bytes=staged.size,
                sha256=staged.sha256,
                status=DocumentStatus.QUEUED,
                tags=tag_list,
            )
            result = await self._insert(record, staged, labels, reservation)
        return replace(result, similar=await self._similar(result.document, name))

    async def _stage(
        self, owner: str, chunks: AsyncIterator[bytes], name: str
    ) -> tuple[StagedFile, str, Reservation | None]:
        """The upload staged, scanned and sniffed (its MIME type), and its bytes counted
        against the owner's quota; nothing is left of it when one of these refuses it."""
        staged = await self._blobs.stage(chunks, max_bytes=self._settings.max_upload_bytes)
        reservation: Reservation | None = None
        try:
            await self._scan(staged.path)
            # Reads the file (a ZIP's whole directory, for Office files): on a thread.
            detected = await asyncio.to_thread(sniff, staged.path, name)
            check_supported(detected.mime_type, detected.description)
            if self._quota is not None:
                # Counted before the file is kept; given back if it is a copy.
                reservation = await self._quota.reserve(owner, staged.size)
        except BaseException:
            self._blobs.discard(staged)
            await self._give_back(reservation)
            raise
        return staged, detected.mime_type, reservation

    async def _insert(
        self,
        record: DocumentRecord,
        staged: StagedFile,
        labels: _Labels,
        reservation: Reservation | None,
    ) -> UploadResult:
        """A new document, or the owner's copy of its bytes (`_again`)."""
        try:
            await self._blobs.commit(staged, record.id)
        except BaseException:
            self._blobs.discard(staged)
            await self._give_back(reservation)
            raise
        try:
            stored = await self._catalog.insert_document(record)
        except SearchUnavailable:
            # The index is down, Redis and the blob store are not: accept the upload, and
            # let the job write the record once the index is back.
            log.warning("search backend unavailable: upload %s queued with its record", record.id)
            await self._jobs.enqueue(record, pending=True)
            return UploadResult(document=record, deduplicated=False)
        if stored.id != record.id:
            await self._blobs.delete(record.id)
            await self._give_back(reservation)  # the owner had these bytes already
            return UploadResult(document=await self._again(stored, labels), deduplicated=True)
        await self._jobs.enqueue(stored)
        return UploadResult(document=stored, deduplicated=False)

    async def _again(self, record: DocumentRecord, labels: _Labels) -> DocumentRecord:
        """The owner's document `record`, uploaded again. Queued again as its next version
        (as by `reprocess`) when it FAILED (the parser or a limit may have changed since),
        or when the title or tags given differ from its own (its passages carry them in
        the index; the embeddings come from the cache); as it is otherwise (READY, or
        QUEUED or PROCESSING: its run goes on)."""
        title = labels.title or record.title
        tags = record.tags if labels.tags is None else labels.tags
        if record.status is not DocumentStatus.FAILED and (title, tags) == (
            record.title,
            record.tags,
        ):
            return record
        return await self._requeue(record, title=title, tags=tags)

    async def _replace(
        self,
        target: DocumentRecord,
        staged: StagedFile,
        name: str,
        mime_type: str,
        labels: _Labels,
        reservation: Reservation | None,
    ) -> DocumentRecord:
        """`target` with the staged bytes as its next version, queued."""
        new = target.evolve(
            title=labels.title or target.title,
            tags=target.tags if labels.tags is None else labels.tags,
            filename=name,
            mime_type=mime_type,
            size_bytes=staged.size,
            sha256=staged.sha256,
            status=DocumentStatus.QUEUED,
            version=target.version + 1,
            error_code=None,
            error_message=None,
        )
        try:
            # The record first: from its new version on, the old version's run is fenced
            # off, so it cannot index the new file under the old version.
            written = await self._catalog.replace_content(new, expected_version=target.version)
            if written is None:
                raise Conflict("the document changed meanwhile; try again", field="replaces")
            if written.id != new.id:
                raise Conflict(
                    f"you have this file already, as your document {written.id}; delete that "
                    "one first, or replace it instead",
                    field="file",
                )
            await self._blobs.commit(staged, new.id)
        except BaseException:
            self._blobs.discard(staged)
            await self._give_back(reservation)
            raise
        await self._jobs.enqueue(new)
        return new

    async def _similar(self, document: DocumentRecord, filename: str) -> tuple[DocumentRecord, ...]:
        """The owner's other documents named as the upload (its file name) or as `document`
        (its title), newest first."""
        try:
            named = await self._catalog.documents_named(
                document.owner, filename=filename, title=document.title, limit=SIMILAR_LIMIT + 1
            )
        except SearchUnavailable:  # an upload accepted while the index is down
            return ()
        return tuple(r for r in named if r.id != document.id)[:SIMILAR_LIMIT]

    async def _give_back(self, reservation: Reservation | None) -> None:
        if self._quota is not None and reservation is not None:
            try:
                await self._quota.release(reservation)
            except Exception:
                log.warning("could not give back %d bytes of upload quota", reservation.size)

    async def _scan(self, path: Path) -> None:
        """With DOCENT_CLAMAV_URL, clamd sees every upload before it is stored or queued; an
        infected file, or one that cannot be scanned, is refused (fail closed)."""
        if self._scanner is None:
            return
        try:
            result = await self._scanner.scan_file(path)
        except ScannerUnavailable as exc:
            raise IngestionError(
                ErrorCode.SCANNER_UNAVAILABLE,
                f"the malware scanner is unavailable, so the upload was refused; try again ({exc})",
            ) from exc
        except ScanFailed as exc:
            raise IngestionError(ErrorCode.SCAN_FAILED, exc.message) from exc
        if not result.clean:
            log.warning("upload refused: malware %s", result.signature)
            raise IngestionError(
                ErrorCode.INFECTED,
                f"the file contains malware ({result.signature}); it was not stored",
            )

    async def find(self, reader: str | Access, document_id: str) -> DocumentRecord | None:
        """The document, or None when the reader cannot see it (or it does not exist)."""
        return await self._catalog.get_document(reader, document_id)

    @property
    def files(self) -> BlobStore:
        """The stored originals (`size`, `read`, `local_copy`): check access with `find`."""
        return self._blobs

    async def find_many(self, reader: str | Access, ids: Sequence[str]) -> list[DocumentRecord]:
        """Those of `ids` the reader can see, in one call (the documents behind hits)."""
        return await self._catalog.get_documents(reader, ids)

    async def page(
        self, reader: str | Access, query: DocumentQuery, window: Window
    ) -> DocumentPage:
        """A page of the documents the reader can see, newest first, with the total."""
        return await self._catalog.list_documents(reader, query, **window.arguments())

    async def count(self, reader: str | Access) -> int:
        """How many documents the reader can see."""
        page = await self._catalog.list_documents(reader, DocumentQuery(), first=0, after=None)
        return page.total

    async def get(
        self, reader: str | Access, document_id: str, *, field: str = "id"
    ) -> DocumentRecord:
        """The document, if the reader may see it; another user's document is NOT_FOUND,
        exactly as one that does not exist. `field`: the argument errors name."""
        record = await self._catalog.get_document(reader, document_id)
        if record is None:
            raise NotFound("no document with this id", field=field)
        return record

    async def owned(
        self, reader: str | Access, document_id: str, *, field: str = "id"
    ) -> DocumentRecord:
        """The document, if the reader owns it (to change it): FORBIDDEN when it is only
        shared with them, NOT_FOUND when they cannot see it."""
        record = await self.get(reader, document_id, field=field)
        if record.owner != Access.of(reader).owner:
            raise Forbidden("only the document's owner can change it", field=field)
        return record

    async def share(
        self, reader: str | Access, document_id: str, visibility: Visibility, group: str | None
    ) -> DocumentRecord:
        """Make a document private, or share it with one of its owner's groups."""
        access = Access.of(reader)
        group = check_sharing(access, visibility, group)
        record = await self.owned(access, document_id)
        # The sharing alone: a run's status written since `record` was read stays.
        updated = await self._catalog.share_document(
            record.owner, record.id, visibility, group, expected_version=record.version
        )
        if updated is None:  # queued as another version meanwhile
            raise Conflict("the document changed meanwhile; try again")
        if self._on_change is not None:  # who may see it changed: cached answers go
            await self._on_change(record.owner, record.group, group)
        return updated

    async def update(
        self,
        reader: str | Access,
        document_id: str,
        *,
        title: str | None = None,
        tags: Sequence[str] | None = None,
        visibility: Visibility | None = None,
        group: str | None = None,
    ) -> DocumentRecord:
        """Change what the owner gives a document; None leaves a field as it is. `title`
        and `tags` are cleaned as an upload's are (`labels.py`; an empty title is refused,
        field `title`); `visibility` and `group` as `share` checks them (`group` alone keeps
        the visibility; GROUP without `group` keeps its group). A new title or tags queue the document as its next version: its
        passages carry them in the index (keyword search reads them there; the tag
        filter reads the record, at once), and the embeddings come from the cache; until that run ends, the index
        holds the previous ones. Sharing alone changes the record in place. Errors:
        NOT_FOUND, FORBIDDEN (`owned`), INVALID_INPUT, CONFLICT (changed meanwhile)."""
        access = Access.of(reader)
        record = await self.owned(access, document_id)
        new_title = record.title
        if title is not None:
            new_title = clean_title(title, default="")
            if not new_title:
                raise InvalidInput("a title cannot be empty", field="title")
        new_tags = record.tags if tags is None else clean_tags(tags)
        new_group = record.group
        new_visibility = record.visibility if visibility is None else visibility
        if visibility is not None or group is not None:
            # GROUP without a group name keeps the document's group.
            keep = record.group if new_visibility is Visibility.GROUP else None
            new_group = check_sharing(access, new_visibility, group if group is not None else keep)
        sharing = (new_visibility, new_group) != (record.visibility, record.group)
        sharing_changes = {"visibility": new_visibility, "group": new_group}
        if (new_title, new_tags) != (record.title, record.tags):
            updated = await self._requeue(record, title=new_title, tags=new_tags, **sharing_changes)
        elif sharing:  # checked above: `share` checks the same again
            return await self.share(access, document_id, new_visibility, new_group)
        else:
            return record
        if self._on_change is not None:  # what it is called or who may see it changed
            await self._on_change(record.owner, record.group, new_group)
        return updated

    async def delete(self, owner: str | Access, document_id: str) -> DocumentRecord:
        record = await self.owned(owner, document_id)
        owner = record.owner
        # The file first: when the store is down, STORAGE_UNAVAILABLE and nothing changed
        # (the other way round, a deleted document's file could stay behind, unseen).
        await self._blobs.delete(document_id)
        await self._catalog.delete_document(owner, document_id)
        if self._on_change is not None:
            await self._on_change(owner, record.group)
        await self._events.publish(
            DocumentEvent(
                document_id=document_id,
                status=record.status,
                stage=Stage.DELETED,
                version=record.version,
            )
        )
        return record

    async def reprocess(self, owner: str | Access, document_id: str) -> DocumentRecord:
        """Run ingestion again from the stored file, as a new version of the document."""
        record = await self.owned(owner, document_id)
        if not await self._blobs.exists(document_id):
            raise IngestionError(
                ErrorCode.NOT_FOUND, "the stored file of this document is gone; upload it again"
            )
        return await self._requeue(record)

    async def _requeue(self, record: DocumentRecord, **changes: object) -> DocumentRecord:
        """`record`, with `changes`, queued as its next version (the run of the current
        one, if any, is fenced off)."""
        updated = record.evolve(
            status=DocumentStatus.QUEUED,
            version=record.version + 1,
            error_code=None,
            error_message=None,
            **changes,
        )
        if not await self._catalog.update_document(updated, expected_version=record.version):
            raise Conflict("the document changed meanwhile; try again")
        await self._jobs.enqueue(updated)
        return updated

    async def watch(self, owner: str | Access, document_id: str) -> AsyncIterator[DocumentEvent]:
        """The document's current state, then each change, until it is READY, FAILED or
        deleted. Subscribes before reading the state, so nothing falls in between."""
        await self.get(owner, document_id)
        async with self._events.subscribe(document_id) as subscription:
            record = await self._catalog.get_document(owner, document_id)
            if record is None:
                return
            snapshot = await self._events.snapshot(document_id)
            current = (
                snapshot
                if snapshot is not None
                and snapshot.version == record.version
                and snapshot.status == record.status
                else DocumentEvent.from_record(record)
            )
            yield current
            last = current
            while not last.terminal:
                event = await subscription.next(_RECHECK_S)
                if event is None:
                    record = await self._catalog.get_document(owner, document_id)
                    if record is None:
                        event = DocumentEvent(document_id, last.status, Stage.DELETED, last.version)
                    elif record.status != last.status or record.version != last.version:
                        event = DocumentEvent.from_record(record)
                    else:
                        continue
                if event.version < last.version:
                    continue
                yield event
                last = event


def check_sharing(access: Access, visibility: Visibility, group: str | None) -> str | None:
    """The group a document may be shared with: one of the sharer's own groups, named only
    with GROUP visibility."""
    group = (group or "").strip() or None
    if visibility is Visibility.PRIVATE:
        if group is not None:
            raise InvalidInput("a private document has no group", field="group")
        return None
    if group is None:
        raise InvalidInput("name the group to share the document with", field="group")
    if group not in access.groups:
        raise InvalidInput("you can share only with a group you are in", field="group")
    return group
