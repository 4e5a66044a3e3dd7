"""The conversation store contract: both backends pass these, unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from docent.domain import (
    CitedPassage,
    Conversation,
    Feedback,
    Message,
    Rating,
    Role,
    new_id,
    utcnow,
)
from docent.errors import InvalidInput


def conversation(owner: str = "alice", title: str = "Parental leave", **kw) -> Conversation:
    return Conversation(id=new_id("c"), owner=owner, title=title, **kw)


def turn(conv: Conversation, question: str, answer: str, seq: int) -> list[Message]:
    return [
        Message(new_id("m"), conv.id, conv.owner, Role.USER, question, seq=seq * 10),
        Message(
            new_id("m"), conv.id, conv.owner, Role.ASSISTANT, answer, seq=seq * 10 + 1,
            standalone_question=f"{question} (standalone)", model="extractive", grounded=True,
            citations=(CitedPassage(1, "doc-1", "doc-1-0", "Leave policy", "Sixteen weeks.", 2),),
        ),
    ]  # fmt: skip


async def test_a_conversation_round_trips_with_its_messages_in_order(backend) -> None:
    conv = conversation()
    await backend.create_conversation(conv)
    assert await backend.get_conversation("alice", conv.id) == conv
    first, second = turn(conv, "How long?", "16 weeks [1]", 1), turn(conv, "And B?", "4", 2)
    assert await backend.add_messages("alice", conv.id, first)
    assert await backend.add_messages("alice", conv.id, second)
    page = await backend.list_messages("alice", conv.id, first=10, after=None)
    assert [m for m, _ in page.items] == first + second
    assert page.total == 4 and not page.has_next
    stored = page.items[1][0]
    assert stored.standalone_question == "How long? (standalone)"
    assert stored.citations[0].text == "Sixteen weeks." and stored.citations[0].page == 2
    # Pages follow the cursor; the total stays the conversation's.
    page1 = await backend.list_messages("alice", conv.id, first=3, after=None)
    assert page1.has_next and len(page1.items) == 3
    page2 = await backend.list_messages("alice", conv.id, first=3, after=page1.items[-1][1])
    assert [m for m, _ in page2.items] == second[1:] and page2.total == 4
    assert await backend.recent_messages("alice", conv.id, 3) == [first[1], *second]
    assert await backend.recent_messages("alice", conv.id, 0) == []
    # Adding a turn moves the conversation's updated time on.
    stored_conv = await backend.get_conversation("alice", conv.id)
    assert stored_conv.updated_at == second[-1].created_at


async def test_conversations_list_most_recent_first_with_totals_and_filter(backend) -> None:
    now = utcnow()
    convs = [
        conversation(title=f"Topic {i}", updated_at=now - timedelta(minutes=i)) for i in range(5)
    ]
    for conv in convs:
        await backend.create_conversation(conv)
    await backend.create_conversation(conversation(owner="bob", title="Topic bob"))
    page = await backend.list_conversations("alice", first=2, after=None)
    assert [c.id for c, _ in page.items] == [convs[0].id, convs[1].id]
    assert page.total == 5 and page.has_next
    rest = await backend.list_conversations("alice", first=10, after=page.items[-1][1])
    assert [c.id for c, _ in rest.items] == [c.id for c in convs[2:]] and not rest.has_next
    found = await backend.list_conversations("alice", first=10, after=None, title_contains="pic 3")
    assert [c.id for c, _ in found.items] == [convs[3].id] and found.total == 1
    with pytest.raises(InvalidInput):
        await backend.list_conversations("alice", first=10, after="not-a-cursor")


async def test_another_owners_conversation_is_missing_to_every_call(backend) -> None:
    conv = conversation()
    await backend.create_conversation(conv)
    messages = turn(conv, "q", "a", 1)
    await backend.add_messages("alice", conv.id, messages)
    assert await backend.get_conversation("bob", conv.id) is None
    assert await backend.list_conversations("bob", first=10, after=None) == (
        await backend.list_conversations("nobody", first=10, after=None)
    )
    assert not await backend.add_messages("bob", conv.id, turn(conv, "x", "y", 2))
    page = await backend.list_messages("bob", conv.id, first=10, after=None)
    assert page.items == [] and page.total == 0
    assert await backend.recent_messages("bob", conv.id, 10) == []
    assert await backend.get_message("bob", messages[1].id) is None
    assert await backend.set_feedback("bob", messages[1].id, Feedback(Rating.DOWN)) is None
    await backend.set_feedback("alice", messages[1].id, Feedback(Rating.UP))
    assert await backend.set_feedback("bob", messages[1].id, None) is None  # no clearing either
    assert (await backend.get_message("alice", messages[1].id)).feedback.rating is Rating.UP
    await backend.set_feedback("alice", messages[1].id, None)
    assert await backend.rename_conversation("bob", conv.id, "mine") is None
    assert not await backend.delete_conversation("bob", conv.id)
    # Nothing of alice's changed.
    assert (await backend.get_conversation("alice", conv.id)).title == conv.title
    assert (await backend.list_messages("alice", conv.id, first=10, after=None)).total == 2
    assert (await backend.get_message("alice", messages[1].id)).feedback is None


async def test_rename_feedback_and_delete(backend) -> None:
    conv = conversation()
    await backend.create_conversation(conv)
    messages = turn(conv, "q", "a", 1)
    await backend.add_messages("alice", conv.id, messages)
    renamed = await backend.rename_conversation("alice", conv.id, "Leave, renamed")
    assert renamed.title == "Leave, renamed" and renamed.updated_at > conv.updated_at
    assert (await backend.get_conversation("alice", conv.id)).title == "Leave, renamed"
    rated = await backend.set_feedback(
        "alice", messages[1].id, Feedback(Rating.DOWN, comment="wrong week count")
    )
    assert rated.feedback.rating is Rating.DOWN
    stored = await backend.get_message("alice", messages[1].id)
    assert stored.feedback == rated.feedback and stored.citations == messages[1].citations
    await backend.set_feedback("alice", messages[1].id, Feedback(Rating.UP))
    assert (await backend.get_message("alice", messages[1].id)).feedback.rating is Rating.UP
    # None removes the rating, and the rest of the message stays as it was.
    cleared = await backend.set_feedback("alice", messages[1].id, None)
    assert cleared.feedback is None and cleared.text == messages[1].text
    stored = await backend.get_message("alice", messages[1].id)
    assert stored.feedback is None and stored.citations == messages[1].citations
    assert (await backend.set_feedback("alice", messages[1].id, None)).feedback is None
    assert await backend.delete_conversation("alice", conv.id)
    assert await backend.get_conversation("alice", conv.id) is None
    assert await backend.get_message("alice", messages[1].id) is None
    assert (await backend.list_messages("alice", conv.id, first=10, after=None)).total == 0
    assert not await backend.delete_conversation("alice", conv.id)
    assert not await backend.add_messages("alice", conv.id, turn(conv, "x", "y", 2))


async def test_expiry_removes_old_conversations_of_every_owner_only(backend) -> None:
    now = utcnow()
    old = [conversation(owner=o, updated_at=now - timedelta(days=40)) for o in ("alice", "bob")]
    fresh = conversation(updated_at=now - timedelta(days=1))
    for conv in [*old, fresh]:
        await backend.create_conversation(conv)
    old_messages = turn(old[0], "q", "a", 1)
    await backend.add_messages("alice", old[0].id, old_messages)
    # add_messages moved the first one's updated time to now: set it back by hand-made
    # messages of an old time instead.
    await backend.delete_conversation("alice", old[0].id)
    await backend.create_conversation(old[0])
    stale = [m.evolve(created_at=now - timedelta(days=40)) for m in old_messages]
    await backend.add_messages("alice", old[0].id, stale)
    assert await backend.expire_conversations(now - timedelta(days=30)) == 2
    assert await backend.get_conversation("alice", old[0].id) is None
    assert await backend.get_conversation("bob", old[1].id) is None
    assert await backend.get_message("alice", stale[0].id) is None
    assert await backend.get_conversation("alice", fresh.id) == fresh
    assert await backend.expire_conversations(now - timedelta(days=30)) == 0


async def test_conversations_survive_reopening(backend_factory) -> None:
    from support.vectors import DIM

    first = backend_factory()
    await first.open(model="test-model", dimension=DIM)
    conv = conversation()
    await first.create_conversation(conv)
    await first.add_messages("alice", conv.id, turn(conv, "q", "a", 1))
    again = backend_factory()
    await again.open(model="test-model", dimension=DIM)
    assert (await again.get_conversation("alice", conv.id)).title == conv.title
    assert (await again.list_messages("alice", conv.id, first=5, after=None)).total == 2


async def test_the_worker_cron_expires_conversations_past_retention(backend) -> None:
    """The hourly cron (`ingestion/worker.expire_conversations`) with the retention the
    composition root gives it."""
    from types import SimpleNamespace

    from docent.ingestion.worker import expire_conversations

    now = utcnow()
    old = conversation(updated_at=now - timedelta(days=91))
    kept = conversation(updated_at=now - timedelta(days=89))
    for conv in (old, kept):
        await backend.create_conversation(conv)

    async def expire() -> int:  # DOCENT_CONVERSATION_RETENTION_DAYS=90
        return int(await backend.expire_conversations(utcnow() - timedelta(days=90)))

    ctx = {"docent": SimpleNamespace(expire_conversations=expire)}
    assert await expire_conversations(ctx) == 1
    assert await backend.get_conversation("alice", old.id) is None
    assert await backend.get_conversation("alice", kept.id) == kept
    assert await expire_conversations({"docent": SimpleNamespace(expire_conversations=None)}) == 0


def raw_cursor(position: object) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


async def test_every_cursor_field_is_type_and_range_checked(backend) -> None:
    # Found by a trial user: a sequence number past 64 bits was an OverflowError (INTERNAL),
    # and -1, true and a non-date or offset-less timestamp were taken as positions.
    conv = conversation()
    await backend.create_conversation(conv)
    await backend.add_messages("alice", conv.id, turn(conv, "q", "a", 1))
    for position in ([99999999999999999999999999], [-1], [True], [1.5], ["1"], [1, 2], []):
        with pytest.raises(InvalidInput) as caught:
            await backend.list_messages("alice", conv.id, first=2, after=raw_cursor(position))
        assert caught.value.field == "after", position
    bad_conversation_cursors = (
        ["not-a-date", "c_x"],
        ["2025-03-01T12:30:00", "c_x"],
        [99999999999999999999999999, "c_x"],
        [True, "c_x"],
        [1, 2],
        [None, "c_x"],
    )
    for position in bad_conversation_cursors:
        with pytest.raises(InvalidInput) as caught:
            await backend.list_conversations("alice", first=2, after=raw_cursor(position))
        assert caught.value.field == "after", position
    # The cursors the store makes still page.
    page = await backend.list_messages("alice", conv.id, first=1, after=None)
    rest = await backend.list_messages("alice", conv.id, first=5, after=page.items[-1][1])
    assert len(rest.items) == 1
