"""The search backend contract: every backend passes these, unchanged."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import numpy as np
import pytest

from docent.domain import (
    Access,
    Chunk,
    Conversation,
    DocumentRecord,
    DocumentStatus,
    IndexedChunk,
    Message,
    Region,
    Role,
    Visibility,
    utcnow,
)
from docent.errors import IndexMismatch, InvalidInput, SearchUnavailable
from docent.search.backend import DocumentQuery, Fence

from support import vectors
from support.vectors import DIM


def unit(*components: float) -> list[float]:
    return vectors.unit(*components, dimension=DIM).tolist()


def record(doc_id: str, owner: str = "alice", **kw) -> DocumentRecord:
    values = dict(
        id=doc_id,
        owner=owner,
        title=f"Title {doc_id}",
        filename=f"{doc_id}.txt",
        mime_type="text/plain",
        size_bytes=10,
        sha256=f"sha-{owner}-{doc_id}",
        status=DocumentStatus.READY,
    )
    values.update(kw)
    return DocumentRecord(**values)


def chunks(
    doc: DocumentRecord, texts_and_vectors: list[tuple[str, list[float]]]
) -> list[IndexedChunk]:
    return [
        IndexedChunk(
            chunk=Chunk(id=f"{doc.id}-{i}", document_id=doc.id, ordinal=i, text=text, page=i + 1),
            owner=doc.owner,
            title=doc.title,
            vector=vector,
            search_text=text,
        )
        for i, (text, vector) in enumerate(texts_and_vectors)
    ]


async def add(backend, doc: DocumentRecord, content: list[tuple[str, list[float]]]) -> None:
    await backend.insert_document(doc)
    await backend.replace_chunks(doc.owner, doc.id, chunks(doc, content))


async def test_insert_get_and_dedupe_per_owner(backend):
    first = await backend.insert_document(record("d1", sha256="same"))
    again = await backend.insert_document(record("d2", sha256="same"))
    assert again.id == first.id == "d1"
    other_owner = await backend.insert_document(record("d3", owner="bob", sha256="same"))
    assert other_owner.id == "d3"
    assert (await backend.get_document("alice", "d1")).title == "Title d1"
    assert await backend.get_document("bob", "d1") is None
    assert await backend.get_document("alice", "d2") is None


async def test_list_pages_with_cursors_and_total(backend):
    for i in range(7):
        await backend.insert_document(record(f"d{i}", created_at=utcnow() + timedelta(seconds=i)))
    await backend.insert_document(record("x", owner="bob"))
    seen, after = [], None
    while True:
        page = await backend.list_documents("alice", DocumentQuery(), first=3, after=after)
        assert page.total == 7
        seen += [r.id for r, _ in page.items]
        if not page.has_next:
            break
        after = page.items[-1][1]
    assert seen == [f"d{i}" for i in reversed(range(7))]
    empty = await backend.list_documents("alice", DocumentQuery(), first=0, after=None)
    assert empty.items == [] and empty.total == 7 and empty.has_next


async def walk(list_page, size: int) -> list[str]:
    """Every id of a list, forward in pages of `size` and back again from its end, checking
    at each page what it says of the pages beside it; the ids in the list's order."""
    forward, after, first_page = [], None, True
    while True:
        page = await list_page(first=size, after=after)
        assert page.has_previous is not first_page
        forward += [item.id for item, _ in page.items]
        first_page = False
        if not page.has_next:
            break
        assert len(page.items) == size
        after = page.items[-1][1]
    backward, before, last_page = [], None, True
    while True:
        page = await list_page(last=size, before=before)
        assert page.has_next is not last_page
        backward = [item.id for item, _ in page.items] + backward
        last_page = False
        if not page.has_previous:
            break
        assert len(page.items) == size
        before = page.items[0][1]
    assert backward == forward
    return forward


async def paging_edges(list_page, ids: list[str]) -> None:
    """The edges of a list of `ids` (in its order, at least 3): empty pages, both ends,
    a page of one after the first item, and arguments of both directions refused."""
    head = await list_page(first=1)
    tail = await list_page(last=1)
    assert [i.id for i, _ in head.items] == ids[:1] and head.has_next and not head.has_previous
    assert [i.id for i, _ in tail.items] == ids[-1:] and tail.has_previous and not tail.has_next
    # The item the cursor was taken from precedes the page after it.
    second = await list_page(first=1, after=head.items[0][1])
    assert [i.id for i, _ in second.items] == ids[1:2] and second.has_previous
    before_last = await list_page(last=1, before=tail.items[0][1])
    assert [i.id for i, _ in before_last.items] == ids[-2:-1] and before_last.has_next
    past_end = await list_page(first=5, after=tail.items[0][1])
    assert past_end.items == [] and past_end.has_previous and not past_end.has_next
    before_start = await list_page(last=5, before=head.items[0][1])
    assert before_start.items == [] and before_start.has_next and not before_start.has_previous
    assert (await list_page(last=0)).items == []
    everything = await list_page(last=len(ids) + 5)
    assert [i.id for i, _ in everything.items] == ids
    assert not everything.has_next and not everything.has_previous
    cursor = head.items[0][1]
    for arguments, field in (
        ({"first": 1, "last": 1}, "last"),
        ({"last": 1, "after": cursor}, "before"),
        ({"before": cursor, "after": cursor}, "before"),
        ({"first": 1, "before": cursor}, "first"),
        ({"last": 1, "before": "not-a-cursor"}, "before"),
        ({"first": 1, "after": "not-a-cursor"}, "after"),
    ):
        with pytest.raises(InvalidInput) as refused:
            await list_page(**arguments)
        assert refused.value.field == field, arguments


async def test_every_list_pages_forward_and_back(backend):
    """Relay's backward pagination, on the three lists: documents (newest first),
    conversations (most recently continued first), messages (oldest first)."""
    now = utcnow()
    for i in range(23):
        await backend.insert_document(record(f"d{i:02}", created_at=now + timedelta(seconds=i)))
    await backend.insert_document(record("x", owner="bob"))

    def documents(**arguments):
        return backend.list_documents("alice", DocumentQuery(), **arguments)

    newest_first = [f"d{i:02}" for i in reversed(range(23))]
    for size in (1, 5, 10, 23, 30):
        assert await walk(documents, size) == newest_first
    await paging_edges(documents, newest_first)
    assert (await documents(last=5)).total == 23

    conversations = [
        Conversation(id=f"c{i:02}", owner="alice", title=f"Topic {i}",
                     updated_at=now - timedelta(minutes=i))
        for i in range(12)
    ]  # fmt: skip
    for conv in conversations:
        await backend.create_conversation(conv)
    await backend.create_conversation(Conversation(id="cb", owner="bob", title="Topic bob"))

    def listed(**arguments):
        return backend.list_conversations("alice", **arguments)

    recent_first = [c.id for c in conversations]
    for size in (1, 5, 12):
        assert await walk(listed, size) == recent_first
    await paging_edges(listed, recent_first)

    talk = conversations[0]
    messages = [
        Message(f"m{i:02}", talk.id, "alice", Role.USER if i % 2 == 0 else Role.ASSISTANT,
                f"turn {i}", seq=i * 10)
        for i in range(9)
    ]  # fmt: skip
    assert await backend.add_messages("alice", talk.id, messages)

    def read(**arguments):
        return backend.list_messages("alice", talk.id, **arguments)

    oldest_first = [m.id for m in messages]
    for size in (1, 4, 9):
        assert await walk(read, size) == oldest_first
    await paging_edges(read, oldest_first)
    # The item a cursor was taken from, once gone, no longer counts; those before it do.
    page = await documents(first=1, after=(await documents(first=1)).items[0][1])
    cursor = page.items[0][1]
    assert await backend.delete_document("alice", newest_first[0])
    after = await documents(first=1, after=cursor)
    assert [r.id for r, _ in after.items] == newest_first[2:3] and after.has_previous
    assert await backend.delete_document("alice", newest_first[1])
    alone = await documents(first=1, after=cursor)
    assert [r.id for r, _ in alone.items] == newest_first[2:3] and not alone.has_previous


async def test_list_filters(backend):
    await backend.insert_document(record("a", tags=("hr", "2024"), title="Holiday policy"))
    await backend.insert_document(record("b", tags=("hr",), status=DocumentStatus.FAILED))
    await backend.insert_document(record("c", tags=("it",)))

    async def ids(query: DocumentQuery) -> set[str]:
        page = await backend.list_documents("alice", query, first=50, after=None)
        return {r.id for r, _ in page.items}

    assert await ids(DocumentQuery(tags=("hr",))) == {"a", "b"}
    assert await ids(DocumentQuery(tags=("hr", "2024"))) == {"a"}
    assert await ids(DocumentQuery(statuses=(DocumentStatus.FAILED,))) == {"b"}
    assert await ids(DocumentQuery(title_contains="HOLIDAY")) == {"a"}
    digest = {r.id: r.sha256 for r, _ in (await backend.list_documents(
        "alice", DocumentQuery(), first=50, after=None)).items}  # fmt: skip
    assert await ids(DocumentQuery(sha256=(digest["a"], digest["c"]))) == {"a", "c"}
    assert await ids(DocumentQuery(sha256=("0" * 64,))) == set()
    # An empty list of digests matches nothing (it returned every document).
    assert await ids(DocumentQuery(sha256=())) == set()
    assert (
        await backend.list_documents("alice", DocumentQuery(sha256=()), first=5, after=None)
    ).total == 0
    assert (
        await ids(DocumentQuery(sha256=(digest["b"],), statuses=(DocumentStatus.READY,))) == set()
    )


async def test_bad_cursor_is_invalid_input(backend):
    with pytest.raises(InvalidInput):
        await backend.list_documents("alice", DocumentQuery(), first=5, after="not-a-cursor!")


async def test_update_with_expected_version(backend):
    doc = await backend.insert_document(record("d", status=DocumentStatus.QUEUED))
    assert await backend.update_document(
        doc.evolve(status=DocumentStatus.PROCESSING), expected_version=1
    )
    assert not await backend.update_document(
        doc.evolve(status=DocumentStatus.READY), expected_version=2
    )
    assert (await backend.get_document("alice", "d")).status is DocumentStatus.PROCESSING
    # another owner's update changes nothing
    assert not await backend.update_document(record("d", owner="bob"))


async def test_keyword_search_stems_and_ranks(backend):
    doc = record("d")
    await add(
        backend,
        doc,
        [
            ("Refunds are paid within ten days of the return.", unit(1)),
            ("Our office is closed on public holidays.", unit(0, 1)),
            ("A refund needs the original receipt.", unit(1, 1)),
        ],
    )
    matches = await backend.keyword_search("alice", "how do I get refunded?", limit=10)
    assert {m.chunk.id for m in matches} == {"d-0", "d-2"}
    assert [m.rank for m in matches] == [1, 2]
    assert matches[0].score >= matches[1].score > 0
    assert matches[0].document_title == "Title d"
    assert await backend.keyword_search("alice", "the of and", limit=10) == []
    assert await backend.keyword_search("alice", '"; DROP TABLE chunks; -- OR NEAR(', limit=5) == []


async def test_semantic_search_prefilters_by_owner(backend):
    mine = record("mine")
    theirs = record("theirs", owner="bob")
    await add(backend, mine, [(f"mine {i}", unit(1, 0.1 * i + 0.5)) for i in range(5)])
    # bob's chunks are all closer to the query than any of alice's
    await add(backend, theirs, [(f"theirs {i}", unit(1, 0.01 * i)) for i in range(20)])
    matches = await backend.semantic_search("alice", np.array(unit(1), dtype=np.float32), limit=3)
    assert len(matches) == 3
    assert all(m.chunk.document_id == "mine" for m in matches)
    assert [m.rank for m in matches] == [1, 2, 3]
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True) and -1 <= scores[-1] <= scores[0] <= 1.0001


async def test_document_filter_in_both_modes(backend):
    a, b = record("a"), record("b")
    await add(backend, a, [("apple pie recipe", unit(1))])
    await add(backend, b, [("apple tart recipe", unit(1, 0.2))])
    only_b = await backend.keyword_search("alice", "apple", limit=10, document_ids=["b"])
    assert [m.chunk.document_id for m in only_b] == ["b"]
    vec = np.array(unit(1), dtype=np.float32)
    only_b = await backend.semantic_search("alice", vec, limit=10, document_ids=["b"])
    assert [m.chunk.document_id for m in only_b] == ["b"]
    assert await backend.keyword_search("alice", "apple", limit=10, document_ids=[]) == []
    # another owner's document id filters to nothing
    await add(backend, record("z", owner="bob"), [("apple crumble", unit(1))])
    assert await backend.keyword_search("alice", "apple", limit=10, document_ids=["z"]) == []
    assert await backend.semantic_search("alice", vec, limit=10, document_ids=["z"]) == []


async def test_owner_isolation_in_keyword_search(backend):
    await add(backend, record("a"), [("secret merger plans", unit(1))])
    await add(backend, record("b", owner="bob"), [("public merger news", unit(1))])
    assert [
        m.chunk.document_id for m in await backend.keyword_search("bob", "merger", limit=10)
    ] == ["b"]


async def test_group_sharing_in_every_read(backend):
    """A document shared with a group is read by its members, through every read; private
    documents, and groups the reader is not in, stay invisible, whatever ids are asked for."""
    shared = record("shared", visibility=Visibility.GROUP, group="eng")
    private = record("private")
    elsewhere = record("ops-doc", owner="dave", visibility=Visibility.GROUP, group="ops")
    await add(backend, shared, [("the deployment runbook for the cluster", unit(1, 0))])
    await add(backend, private, [("the deployment salary sheet", unit(1, 0.1))])
    await add(backend, elsewhere, [("the deployment checklist of ops", unit(1, 0.2))])
    bob = Access("bob", groups=("eng", "qa"))
    vector = np.asarray(unit(1, 0), dtype=np.float32)

    assert (await backend.get_document(bob, "shared")).owner == "alice"
    for hidden in ("private", "ops-doc"):
        assert await backend.get_document(bob, hidden) is None
        assert await backend.get_chunks(bob, hidden) == []
    assert [r.id for r in await backend.get_documents(bob, ["shared", "private", "ops-doc"])] == [
        "shared"
    ]
    page = await backend.list_documents(bob, DocumentQuery(), first=10, after=None)
    assert [r.id for r, _ in page.items] == ["shared"] and page.total == 1
    assert [c.id for c in await backend.get_chunks(bob, "shared")] == ["shared-0"]
    for search in (
        backend.keyword_search(bob, "deployment", limit=10),
        backend.semantic_search(bob, vector, limit=10),
        backend.keyword_search(
            bob, "deployment", limit=10, document_ids=["private", "shared", "ops-doc"]
        ),
        backend.semantic_search(
            bob, vector, limit=10, document_ids=["private", "shared", "ops-doc"]
        ),
    ):
        assert {m.chunk.document_id for m in await search} == {"shared"}
    # Without the group (or as a bare owner id) nothing of alice's is visible.
    for stranger in (Access("bob"), Access("bob", groups=("ops-team",)), "bob"):
        assert await backend.get_document(stranger, "shared") is None
        assert await backend.keyword_search(stranger, "deployment", limit=10) == []
        assert await backend.semantic_search(stranger, vector, limit=10) == []
    # The owner sees both of hers; the record says how it is shared.
    alice = await backend.list_documents(
        Access("alice", ("eng",)), DocumentQuery(), first=10, after=None
    )
    assert {r.id for r, _ in alice.items} == {"shared", "private"}
    assert {r.id: (r.visibility, r.group) for r, _ in alice.items}["shared"] == (
        Visibility.GROUP,
        "eng",
    )
    # Made private again, it leaves bob's view at once.
    assert await backend.update_document(shared.evolve(visibility=Visibility.PRIVATE, group=None))
    assert await backend.get_document(bob, "shared") is None
    assert await backend.semantic_search(bob, vector, limit=10) == []


async def test_document_ids_match_tags_ids_and_access_as_the_list_does(backend):
    """The catalogue read a search's tag filter is resolved by: the documents the reader may
    read that carry every tag, of the ids given (when given), and the record's tags as they
    are now (a retag counts at once)."""
    await backend.insert_document(record("a", tags=("hr", "2024")))
    await backend.insert_document(record("b", tags=("hr",)))
    await backend.insert_document(record("c", tags=("it",)))
    await backend.insert_document(
        record("s", owner="dave", tags=("hr",), visibility=Visibility.GROUP, group="eng")
    )
    await backend.insert_document(record("x", owner="dave", tags=("hr",)))
    alice = Access("alice", ("eng",))

    async def ids(reader, query: DocumentQuery, limit: int = 50) -> set[str]:
        found = await backend.document_ids(reader, query, limit=limit)
        assert len(found) == len(set(found)) <= limit
        return set(found)

    assert await ids(alice, DocumentQuery(tags=("hr",))) == {"a", "b", "s"}
    assert await ids("alice", DocumentQuery(tags=("hr",))) == {"a", "b"}
    assert await ids(alice, DocumentQuery(tags=("hr", "2024"))) == {"a"}
    assert await ids(alice, DocumentQuery(tags=("hr",), ids=("b", "c", "s", "x"))) == {"b", "s"}
    assert await ids(alice, DocumentQuery(tags=("hr",), ids=())) == set()
    assert await ids(alice, DocumentQuery(tags=("nope",))) == set()
    assert len(await ids(alice, DocumentQuery(tags=("hr",)), limit=2)) == 2
    # Retagged: the read follows the record at once.
    stored = await backend.get_document("alice", "c")
    assert await backend.update_document(stored.evolve(tags=("hr", "it")))
    assert await ids(alice, DocumentQuery(tags=("hr", "it"))) == {"c"}
    assert await ids(alice, DocumentQuery(tags=("hr",))) == {"a", "b", "c", "s"}


async def test_a_share_changes_the_sharing_only_and_keeps_a_status_written_meanwhile(backend):
    """A share reads the record, then writes the sharing: a job's status written between
    the two stays (the embedded engine wrote the whole record read, putting the status
    back; Elasticsearch refused the share)."""
    queued = record("d", status=DocumentStatus.QUEUED, version=2)
    await backend.insert_document(queued)
    read = await backend.get_document("alice", "d")  # what the share was decided on
    claimed = await backend.claim_document("alice", "d", 2)  # a job starts meanwhile
    assert claimed is not None
    shared = await backend.share_document(
        "alice", "d", Visibility.GROUP, "eng", expected_version=read.version
    )
    assert shared is not None
    assert (shared.status, shared.run) == (DocumentStatus.PROCESSING, claimed.run)
    stored = await backend.get_document("alice", "d")
    assert (stored.visibility, stored.group) == (Visibility.GROUP, "eng")
    assert (stored.status, stored.run, stored.version) == (
        DocumentStatus.PROCESSING,
        claimed.run,
        2,
    )
    # The job's own write, fenced, keeps the sharing (and the share kept its status).
    done = claimed.evolve(status=DocumentStatus.READY, chunk_count=3)
    assert await backend.update_document(done, fence=Fence.of(claimed))
    private = await backend.share_document(
        "alice", "d", Visibility.PRIVATE, None, expected_version=2
    )
    assert (private.status, private.chunk_count, private.group) == (DocumentStatus.READY, 3, None)
    stored = await backend.get_document("alice", "d")
    assert (stored.status, stored.chunk_count, stored.visibility) == (
        DocumentStatus.READY, 3, Visibility.PRIVATE,
    )  # fmt: skip
    # Another version, another owner, or no document: nothing changes.
    assert await backend.share_document("alice", "d", Visibility.GROUP, "eng",
                                        expected_version=1) is None  # fmt: skip
    assert await backend.share_document("bob", "d", Visibility.GROUP, "eng",
                                        expected_version=2) is None  # fmt: skip
    assert await backend.share_document("alice", "nope", Visibility.GROUP, "eng",
                                        expected_version=2) is None  # fmt: skip
    assert (await backend.get_document("alice", "d")).visibility is Visibility.PRIVATE


async def test_replace_is_idempotent_and_delete_removes_everything(backend):
    doc = record("d")
    await add(backend, doc, [("alpha text", unit(1)), ("beta text", unit(0, 1))])
    await backend.replace_chunks(
        "alice", "d", chunks(doc, [("alpha text", unit(1)), ("beta text", unit(0, 1))])
    )
    assert len(await backend.get_chunks("alice", "d")) == 2
    assert len(await backend.keyword_search("alice", "text", limit=10)) == 2
    await backend.replace_chunks("alice", "d", chunks(doc, [("gamma", unit(1))]))
    assert [c.text for c in await backend.get_chunks("alice", "d")] == ["gamma"]
    assert await backend.keyword_search("alice", "alpha", limit=10) == []
    assert await backend.delete_document("bob", "d") is False
    assert await backend.delete_document("alice", "d") is True
    assert await backend.get_document("alice", "d") is None
    assert await backend.get_chunks("alice", "d") == []
    vec = np.array(unit(1), dtype=np.float32)
    assert await backend.semantic_search("alice", vec, limit=10) == []
    assert (await backend.index_info()).chunk_count == 0


async def test_chunks_of_a_deleted_document_are_refused(backend):
    """A run that writes after its document was deleted leaves nothing in the index, with
    or without its fence; so does a write for a document of another owner."""
    doc = await backend.insert_document(record("d", status=DocumentStatus.QUEUED))
    run = await backend.claim_document("alice", "d", 1)
    assert await backend.delete_document("alice", "d")
    late = chunks(doc, [("orphan passage", unit(1)), ("another orphan", unit(0, 1))])
    assert await backend.replace_chunks("alice", "d", late, fence=Fence.of(run)) is False
    assert await backend.replace_chunks("alice", "d", late) is False
    await backend.insert_document(record("b", owner="bob"))
    bobs = chunks(record("b"), [("x y", unit(1))])
    assert await backend.replace_chunks("alice", "b", bobs) is False
    assert await backend.keyword_search("alice", "orphan", limit=5) == []
    assert await backend.get_chunks("bob", "b") == []
    assert (await backend.index_info()).chunk_count == 0


async def test_a_later_claim_fences_off_earlier_runs(backend):
    """Each claim of a document version is a new run with a larger token; from then on the
    store refuses every write of the earlier runs, chunks and record alike."""
    doc = await backend.insert_document(record("d", status=DocumentStatus.QUEUED))
    first = await backend.claim_document("alice", "d", 1)
    assert (first.status, first.run) == (DocumentStatus.PROCESSING, 1)
    assert (await backend.get_document("alice", "d")).run == 1
    assert await backend.replace_chunks(
        "alice", "d", chunks(doc, [("first run", unit(1))]), fence=Fence.of(first)
    )
    second = await backend.claim_document("alice", "d", 1)
    assert second.run == 2
    assert await backend.replace_chunks(
        "alice", "d", chunks(doc, [("second run", unit(0, 1))]), fence=Fence.of(second)
    )
    stale = chunks(doc, [("stale run", unit(1, 1)), ("stale extra", unit(1, 2))])
    assert await backend.replace_chunks("alice", "d", stale, fence=Fence.of(first)) is False
    assert await backend.replace_chunks("alice", "d", [], fence=Fence.of(first)) is False
    ready = DocumentStatus.READY
    assert not await backend.update_document(first.evolve(status=ready), fence=Fence.of(first))
    assert [c.text for c in await backend.get_chunks("alice", "d")] == ["second run"]
    assert await backend.keyword_search("alice", "stale", limit=5) == []
    assert await backend.update_document(second.evolve(status=ready), fence=Fence.of(second))
    assert (await backend.get_document("alice", "d")).status is ready
    # Only an unfinished document of the owner, at that version, is claimed.
    assert await backend.claim_document("alice", "d", 1) is None
    assert await backend.claim_document("bob", "d", 1) is None
    assert await backend.claim_document("alice", "missing", 1) is None


async def test_a_running_job_does_not_undo_a_share(backend):
    """Sharing changes a document's record in place while its job runs; the job's record,
    read before, writes its progress and leaves the sharing as it now is."""
    await backend.insert_document(record("d", status=DocumentStatus.QUEUED))
    run = await backend.claim_document("alice", "d", 1)
    stored = await backend.get_document("alice", "d")
    shared = stored.evolve(visibility=Visibility.GROUP, group="eng")
    assert await backend.update_document(shared, expected_version=stored.version)
    done = run.evolve(status=DocumentStatus.READY)  # the job's copy: still private
    assert await backend.update_document(done, fence=Fence.of(run))
    after = await backend.get_document("alice", "d")
    assert after.status is DocumentStatus.READY
    assert (after.visibility, after.group) == (Visibility.GROUP, "eng")


async def test_a_superseded_version_writes_nothing(backend):
    """A reprocess makes a new version: the run of the old one is refused, and claims
    are for the new version only. An update never changes `run`."""
    doc = await backend.insert_document(record("d", status=DocumentStatus.QUEUED))
    old = await backend.claim_document("alice", "d", 1)
    newer = old.evolve(status=DocumentStatus.QUEUED, version=2, run=99)
    assert await backend.update_document(newer, expected_version=1)
    stored = await backend.get_document("alice", "d")
    assert (stored.version, stored.run, stored.status) == (2, 1, DocumentStatus.QUEUED)
    late = chunks(doc, [("old version text", unit(1))])
    assert await backend.replace_chunks("alice", "d", late, fence=Fence.of(old)) is False
    assert not await backend.update_document(old, fence=Fence.of(old))
    assert await backend.claim_document("alice", "d", 1) is None
    run = await backend.claim_document("alice", "d", 2)
    assert (run.version, run.run) == (2, 2)
    text = chunks(doc, [("new version text", unit(1))])
    assert await backend.replace_chunks("alice", "d", text, fence=Fence.of(run))
    assert [c.text for c in await backend.get_chunks("alice", "d")] == ["new version text"]


@pytest.mark.parametrize("vector", [[0.0] * DIM, [1.0] * (DIM - 1), [float("nan")] * DIM, None])
async def test_bad_vectors_never_reach_the_index(backend, vector):
    doc = record("d")
    await backend.insert_document(doc)
    bad = IndexedChunk(
        Chunk(id="d-0", document_id="d", ordinal=0, text="x y z"), "alice", "t", vector
    )
    with pytest.raises(ValueError):
        await backend.replace_chunks("alice", "d", [bad])
    assert await backend.get_chunks("alice", "d") == []


async def test_documents_in_status(backend):
    await backend.insert_document(record("q", status=DocumentStatus.QUEUED))
    await backend.insert_document(record("p", owner="bob", status=DocumentStatus.PROCESSING))
    await backend.insert_document(record("r", status=DocumentStatus.READY))
    found = await backend.documents_in_status([DocumentStatus.QUEUED, DocumentStatus.PROCESSING])
    assert {r.id for r in found} == {"q", "p"}
    assert await backend.documents_in_status([DocumentStatus.QUEUED], older_than_s=3600) == []


async def test_concurrent_writes_and_reads(backend):
    docs = [record(f"d{i}") for i in range(10)]
    await asyncio.gather(
        *(add(backend, d, [(f"shared word {d.id}", unit(1, i))]) for i, d in enumerate(docs))
    )
    assert len(await backend.keyword_search("alice", "shared", limit=50)) == 10


async def test_model_guard(backend_factory) -> None:
    first = backend_factory()
    await first.open(model="model-a", dimension=DIM)
    await add(first, record("d"), [("text here", unit(1))])

    again = backend_factory()
    await again.open(model="model-a", dimension=DIM)  # same model: fine
    for model, dim in (("model-b", DIM), ("model-a", DIM * 2)):
        other = backend_factory()
        with pytest.raises(IndexMismatch, match="model-a") as info:
            await other.open(model=model, dimension=dim)
        assert "reindex" in str(info.value) and str(DIM) in str(info.value)


async def test_empty_index_adopts_a_new_model(backend_factory) -> None:
    first = backend_factory()
    await first.open(model="model-a", dimension=DIM)
    second = backend_factory()
    await second.open(model="model-b", dimension=DIM * 2)
    info = await second.index_info()
    assert (info.model, info.dimension) == ("model-b", DIM * 2)


async def test_a_process_notices_a_reindex_to_another_model(backend_factory) -> None:
    serving = backend_factory()
    await serving.open(model="model-a", dimension=DIM)
    await add(serving, record("d"), [("alpha text", unit(1))])
    admin = backend_factory()
    await admin.open(model="model-b", dimension=DIM + 4, check_model=False)
    await admin.reindex(fake_embed(DIM + 4), model="model-b", dimension=DIM + 4)
    with pytest.raises(SearchUnavailable, match="model-b"):
        await serving.ping()


def fake_embed(dimension: int):  # type: ignore[no-untyped-def]
    """A deterministic 'model': words hashed into `dimension` buckets."""
    import hashlib

    async def embed(texts: list[str]) -> np.ndarray:
        rows = np.zeros((len(texts), dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                rows[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % dimension] += 1.0
            rows[i, 0] += 0.01
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    return embed


async def test_reindex_switches_model_and_keeps_serving(backend) -> None:
    for i in range(12):
        await add(
            backend,
            record(f"d{i}"),
            [(f"alpha document {i} text", unit(1, i)), (f"beta part {i}", unit(0, 1, i))],
        )
    embed = fake_embed(DIM + 4)
    searches: list[int] = []
    written = False

    async def embed_and_write(texts: list[str]) -> np.ndarray:
        # a document arrives while the reindex runs (written with the old model)
        nonlocal written
        if not written:
            written = True
            await add(backend, record("late"), [("gamma latecomer text", unit(1, 1))])
        searches.append(len(await backend.keyword_search("alice", "alpha", limit=50)))
        return await embed(texts)

    progress: list[tuple[int, int]] = []
    done = await backend.reindex(
        embed_and_write, model="model-b", dimension=DIM + 4, batch=5,
        progress=lambda d, t: progress.append((d, t)),
    )  # fmt: skip
    assert done >= 24
    assert searches and all(n == 12 for n in searches)  # the old index kept serving
    assert progress and progress[-1][0] >= 24
    info = await backend.index_info()
    assert (info.model, info.dimension, info.chunk_count) == ("model-b", DIM + 4, 25)
    query = (await embed(["gamma latecomer text"]))[0]
    matches = await backend.semantic_search("alice", query, limit=3)
    assert matches[0].chunk.document_id == "late"  # caught up with the new model
    assert [
        m.chunk.document_id for m in await backend.keyword_search("alice", "latecomer", limit=5)
    ] == ["late"]
    # writes now need the new model's vectors
    await add(backend, record("after"), [("delta text", (await embed(["delta text"]))[0].tolist())])


def test_credentials_never_appear_in_elasticsearch_messages() -> None:
    from docent.search.elasticsearch.store import ElasticsearchBackend

    backend = ElasticsearchBackend("https://docent:s3cret-pass@es.internal:9243")
    assert backend.where == "https://es.internal:9243"
    assert "s3cret" not in backend.where


async def test_embedded_index_of_schema_2_is_upgraded(tmp_path) -> None:
    """An index written before documents could be shared opens, upgraded in place, with
    every document private."""
    import apsw

    from docent.search.embedded.store import EmbeddedBackend

    path = tmp_path / "docent.sqlite3"
    backend = EmbeddedBackend(path)
    await backend.open(model="m", dimension=DIM)
    await add(backend, record("old"), [("an old document", unit(1, 0))])
    await backend.aclose()
    conn = apsw.Connection(str(path))
    conn.execute("DROP INDEX documents_shared")
    conn.execute("ALTER TABLE documents DROP COLUMN share_group")
    conn.execute("ALTER TABLE documents DROP COLUMN visibility")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.close()

    backend = EmbeddedBackend(path)
    await backend.open(model="m", dimension=DIM)
    old = await backend.get_document("alice", "old")
    assert old is not None and old.visibility is Visibility.PRIVATE and old.group is None
    assert await backend.update_document(old.evolve(visibility=Visibility.GROUP, group="eng"))
    assert (await backend.get_document(Access("bob", ("eng",)), "old")) is not None
    await backend.aclose()


async def test_embedded_index_of_schema_3_is_upgraded(tmp_path) -> None:
    """An index written before documents counted their runs opens with every document at
    run 0, and its documents are claimed as any other."""
    import apsw

    from docent.search.embedded.store import EmbeddedBackend

    path = tmp_path / "docent.sqlite3"
    backend = EmbeddedBackend(path)
    await backend.open(model="m", dimension=DIM)
    await backend.insert_document(record("old", status=DocumentStatus.QUEUED))
    await backend.aclose()
    conn = apsw.Connection(str(path))
    conn.execute("ALTER TABLE documents DROP COLUMN run")
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    conn.close()

    backend = EmbeddedBackend(path)
    await backend.open(model="m", dimension=DIM)
    assert (await backend.get_document("alice", "old")).run == 0
    claimed = await backend.claim_document("alice", "old", 1)
    assert claimed is not None and claimed.run == 1
    assert await backend.replace_chunks(
        "alice", "old", chunks(claimed, [("upgraded text", unit(1))]), fence=Fence.of(claimed)
    )
    await backend.aclose()


async def test_replace_content_moves_the_deduplication_to_the_new_bytes(backend):
    old = record("d1", sha256="old", status=DocumentStatus.READY)
    await add(backend, old, [("old words", unit(1, 0))])
    await backend.insert_document(record("d2", sha256="theirs"))
    new = old.evolve(sha256="new", filename="d1-v2.txt", version=2, status=DocumentStatus.QUEUED)

    assert await backend.replace_content(new, expected_version=2) is None  # not its version
    assert await backend.replace_content(new.evolve(id="nope"), expected_version=1) is None
    clash = await backend.replace_content(new.evolve(sha256="theirs"), expected_version=1)
    assert clash is not None
    assert clash.id == "d2"  # the owner's copy of those bytes: nothing written
    assert (await backend.get_document("alice", "d1")).sha256 == "old"

    written = await backend.replace_content(new, expected_version=1)
    assert written == new
    stored = await backend.get_document("alice", "d1")
    assert (stored.sha256, stored.filename, stored.version) == ("new", "d1-v2.txt", 2)
    # The new bytes are this document's; the old ones are free for a new upload.
    assert (await backend.insert_document(record("d3", sha256="new"))).id == "d1"
    assert (await backend.insert_document(record("d4", sha256="old"))).id == "d4"
    # Another owner's bytes never clash.
    await backend.insert_document(record("b1", owner="bob", sha256="bobs"))
    moved = await backend.replace_content(new.evolve(sha256="bobs", version=3), expected_version=2)
    assert moved is not None
    assert moved.id == "d1"


async def test_replace_content_keeps_the_run(backend):
    await backend.insert_document(record("d1", sha256="old", status=DocumentStatus.QUEUED))
    claimed = await backend.claim_document("alice", "d1", 1)
    new = claimed.evolve(sha256="new", version=2, status=DocumentStatus.QUEUED, run=0)
    assert await backend.replace_content(new, expected_version=1) is not None
    stored = await backend.get_document("alice", "d1")
    assert stored.run == claimed.run
    # The first version's run is fenced off.
    assert not await backend.update_document(claimed, fence=Fence.of(claimed))


async def test_documents_named_are_the_owners_own_same_names_newest_first(backend):
    start = utcnow()

    def at(seconds: int) -> dict:
        return {"created_at": start + timedelta(seconds=seconds)}

    await backend.insert_document(record("a", filename="report.pdf", title="Q1", **at(1)))
    await backend.insert_document(record("b", filename="other.pdf", title="report.pdf", **at(2)))
    await backend.insert_document(record("c", filename="Report.pdf", title="report.PDF", **at(3)))
    await backend.insert_document(record("d", filename="report.pdf", **at(4)))
    shared = record(
        "e", owner="bob", filename="report.pdf", visibility=Visibility.GROUP, group="eng"
    )
    await backend.insert_document(shared)

    async def named(filename: str, title: str, limit: int = 10) -> list[str]:
        found = await backend.documents_named("alice", filename=filename, title=title, limit=limit)
        return [r.id for r in found]

    assert await named("report.pdf", "report.pdf") == ["d", "b", "a"]
    assert await named("report.pdf", "report.pdf", limit=2) == ["d", "b"]
    assert await named("x.pdf", "Q1") == ["a"]
    assert await named("x.pdf", "nothing") == []


async def test_a_chunks_regions_are_kept_and_found(backend):
    """Where a passage is drawn (issue 16) comes back from get_chunks and from both
    searches, as stored."""
    doc = record("drawn", mime_type="application/pdf")
    regions = (Region(1, 0.1, 0.2, 0.9, 0.25), Region(2, 0.12, 0.05, 0.5, 0.0625))
    await backend.insert_document(doc)
    indexed = chunks(doc, [("the drawn passage about zeppelins", unit(1))])
    placed = [
        dataclasses.replace(i, chunk=dataclasses.replace(i.chunk, regions=regions)) for i in indexed
    ]
    await backend.replace_chunks(doc.owner, doc.id, placed)
    assert [c.regions for c in await backend.get_chunks("alice", "drawn")] == [regions]
    keyword = await backend.keyword_search("alice", "zeppelins", limit=5)
    assert [m.chunk.regions for m in keyword] == [regions]
    vector = await backend.semantic_search("alice", np.array(unit(1), dtype=np.float32), limit=5)
    assert [m.chunk.regions for m in vector] == [regions]
