"""Conversations through a real server: a three-turn conversation over the policy documents
(turns two and three are answered right only if the follow-up was understood), over HTTP
and over the WebSocket; listing, reading back, renaming, rating, deleting; a cited document
deleted afterwards; and tenancy on every new path (another user's conversation or answer
is, everywhere, exactly a missing one)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from docent.api.auth import DevAuth
from docent.domain import WITHHELD_TEXT

from support.servers import DocentServer, running_server, subscribe, upload

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

DEVSET = Path(__file__).resolve().parents[1] / "eval" / "devset" / "documents"
SECRET = "conversation-test-secret-" + "x" * 32
TOKENS = {name: DevAuth(SECRET).mint(name) for name in ("alice", "bob", "carol")}
# Two members of one group: erin shares a document with it, frank asks about it.
TOKENS |= {name: DevAuth(SECRET).mint(name, groups=("eng",)) for name in ("erin", "frank")}

ASK = """query($input: AskInput!) { ask(input: $input) {
  text grounded conversationId messageId standaloneQuestion
  citations { document { id filename } } } }"""
ANSWER = """subscription($input: AskInput!) { answer(input: $input) { __typename
  ... on AnswerDone { answer { text conversationId messageId standaloneQuestion
      citations { document { filename } } } }
  ... on AnswerError { code message } } }"""
CONVERSATIONS = """query($first: Int, $after: String, $filter: ConversationFilter) {
  conversations(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id title } } } }"""
CONVERSATION = """query($id: ID!) { conversation(id: $id) { id title
  messages(first: 10) { totalCount edges { node {
    id role text textWithheld standaloneQuestion feedback { rating comment }
    citations { documentId documentDeleted text title document { filename } }
    answer { text messageId conversationId citations { document { filename } } } } } } } }"""
RENAME = """mutation($id: ID!, $title: String!) { renameConversation(id: $id, title: $title) {
  conversation { id title } userErrors { code field } } }"""
DELETE = """mutation($id: ID!) { deleteConversation(id: $id) {
  deletedConversationId userErrors { code field } } }"""
RATE = """mutation($id: ID!, $rating: Rating!, $comment: String) {
  rateAnswer(messageId: $id, rating: $rating, comment: $comment) {
    message { id feedback { rating comment } } userErrors { code field } } }"""
CLEAR = """mutation($id: ID!) { clearRating(messageId: $id) {
  message { id feedback { rating comment } } userErrors { code field } } }"""
DELETE_DOCUMENT = "mutation($id: ID!) { deleteDocument(id: $id) { userErrors { code } } }"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    env = {"DOCENT_AUTH": "dev", "DOCENT_DEV_SECRET": SECRET}
    # The product's embedder (e5) and answerer: the follow-ups are judged on what people get.
    with running_server(tmp_path_factory.mktemp("conversations"), env, product_defaults=True) as s:

        async def load() -> None:
            for name in ("halden-leave-policy.pdf", "corvid-holiday-and-absence-policy.docx"):
                response = await upload(
                    s.url, name, (DEVSET / name).read_bytes(),
                    headers={"authorization": f"Bearer {TOKENS['alice']}",
                             "Apollo-Require-Preflight": "true"},
                )  # fmt: skip
                payload = response.json()["data"]["uploadDocument"]
                assert payload["userErrors"] == [], payload
                events = await wait_ready_as(s, payload["document"]["id"], "alice")
                assert events[-1]["status"] == "READY", events

        asyncio.run(load())
        yield s


async def wait_ready_as(server: DocentServer, document_id: str, user: str) -> list[Any]:
    from support.servers import WATCH

    return [
        e["documentEvents"]
        async for e in subscribe(server.ws_url, WATCH, {"id": document_id}, token=TOKENS[user])
    ]


def upload_ready_as(server: DocentServer, user: str, name: str, content: bytes) -> str:
    """Upload `content` as `user` and wait for READY; the document's id."""

    async def load() -> str:
        response = await upload(
            server.url, name, content,
            headers={"authorization": f"Bearer {TOKENS[user]}",
                     "Apollo-Require-Preflight": "true"},
        )  # fmt: skip
        document_id = str(response.json()["data"]["uploadDocument"]["document"]["id"])
        events = await wait_ready_as(server, document_id, user)
        assert events[-1]["status"] == "READY"
        return document_id

    return asyncio.run(load())


def call(server: DocentServer, user: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        server.url,
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {TOKENS[user]}"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def data(server: DocentServer, user: str, query: str, **variables: Any) -> dict[str, Any]:
    body = call(server, user, query, **variables)
    assert "errors" not in body, body
    return dict(body["data"])


def ask(server: DocentServer, question: str, conversation: str | None = None) -> dict[str, Any]:
    variables = {"input": {"question": question, "conversationId": conversation}}
    return dict(data(server, "alice", ASK, **variables)["ask"])


def stream(server: DocentServer, user: str, question: str, conversation: str | None) -> list[Any]:
    async def run() -> list[Any]:
        variables = {"input": {"question": question, "conversationId": conversation}}
        return [
            e["answer"]
            async for e in subscribe(server.ws_url, ANSWER, variables, token=TOKENS[user])
        ]

    return asyncio.run(run())


def files(answer: dict[str, Any]) -> set[str]:
    return {c["document"]["filename"] for c in answer["citations"]}


@pytest.fixture(scope="module")
def conversation(server: DocentServer) -> dict[str, Any]:
    """Three turns over the leave policy's table of other leave: moving house, then "And
    for jury service?", then the evidence "it" needs (asked alone, that question is
    answered with another row)."""
    first = ask(server, "How much paid leave is given for moving house?")
    second = ask(server, "And for jury service?", first["conversationId"])
    third = ask(server, "What evidence is required for it?", first["conversationId"])
    return {"turns": [first, second, third], "id": first["conversationId"]}


def test_a_three_turn_conversation_understands_its_follow_ups(conversation) -> None:
    first, second, third = conversation["turns"]
    assert first["conversationId"] and first["messageId"]
    assert "1 day per year" in first["text"] and files(first) == {"halden-leave-policy.pdf"}
    assert first["standaloneQuestion"] == "How much paid leave is given for moving house?"
    assert second["conversationId"] == first["conversationId"]
    assert second["standaloneQuestion"] == "How much paid leave is given for jury service?"
    assert "up to 10 days" in second["text"] and "1 day per year" not in second["text"]
    # "it" is jury service: its evidence is the court summons, not another row's.
    assert "jury service" in third["standaloneQuestion"]
    assert "court summons" in third["text"], third
    assert files(third) == {"halden-leave-policy.pdf"}
    assert len({first["messageId"], second["messageId"], third["messageId"]}) == 3


def test_the_follow_up_alone_would_be_answered_wrong(server) -> None:
    """What the conversation test proves: without the conversation, the third question is
    not answered with jury service's evidence."""
    alone = ask(server, "What evidence is required for it?")
    assert alone["standaloneQuestion"] == "What evidence is required for it?"
    assert "court summons" not in alone["text"]


def test_the_conversation_reads_back_lists_renames_and_rates(server, conversation) -> None:
    conv_id = conversation["id"]
    read = data(server, "alice", CONVERSATION, id=conv_id)["conversation"]
    assert read["title"] == "How much paid leave is given for moving house?"
    messages = [e["node"] for e in read["messages"]["edges"]]
    assert read["messages"]["totalCount"] == 6
    assert [m["role"] for m in messages] == ["USER", "ASSISTANT"] * 3
    assert messages[2]["text"] == "And for jury service?"
    second_answer = messages[3]
    assert second_answer["id"] == conversation["turns"][1]["messageId"]
    assert second_answer["standaloneQuestion"] == conversation["turns"][1]["standaloneQuestion"]
    assert second_answer["answer"]["text"] == conversation["turns"][1]["text"]
    assert second_answer["answer"]["conversationId"] == conv_id
    assert second_answer["citations"] and not second_answer["citations"][0]["documentDeleted"]
    assert "up to 10 days" in second_answer["citations"][0]["text"]
    listed = data(server, "alice", CONVERSATIONS, first=10)["conversations"]
    assert conv_id in [e["node"]["id"] for e in listed["edges"]]
    renamed = data(server, "alice", RENAME, id=conv_id, title="  Other leave:   Halden ")
    assert renamed["renameConversation"] == {
        "conversation": {"id": conv_id, "title": "Other leave: Halden"}, "userErrors": [],
    }  # fmt: skip
    found = data(server, "alice", CONVERSATIONS, filter={"titleContains": "LEAVE: hal"})
    assert [e["node"]["id"] for e in found["conversations"]["edges"]] == [conv_id]
    rated = data(server, "alice", RATE, id=second_answer["id"], rating="DOWN", comment="too short")
    assert rated["rateAnswer"]["message"]["feedback"] == {"rating": "DOWN", "comment": "too short"}
    again = data(server, "alice", CONVERSATION, id=conv_id)["conversation"]
    assert again["messages"]["edges"][3]["node"]["feedback"]["rating"] == "DOWN"
    # The rating can be taken back: the answer reads as never rated (twice is no error).
    for _ in range(2):
        cleared = data(server, "alice", CLEAR, id=second_answer["id"])["clearRating"]
        assert cleared == {"message": {"id": second_answer["id"], "feedback": None},
                           "userErrors": []}  # fmt: skip
    again = data(server, "alice", CONVERSATION, id=conv_id)["conversation"]
    assert again["messages"]["edges"][3]["node"]["feedback"] is None
    # A question is not an answer: it cannot be rated, nor its rating cleared.
    refused = data(server, "alice", RATE, id=messages[0]["id"], rating="UP")["rateAnswer"]
    assert refused["userErrors"] == [{"code": "NOT_FOUND", "field": "messageId"}]
    refused = data(server, "alice", CLEAR, id=messages[0]["id"])["clearRating"]
    assert refused == {"message": None,
                       "userErrors": [{"code": "NOT_FOUND", "field": "messageId"}]}  # fmt: skip
    bad = data(server, "alice", RENAME, id=conv_id, title="   ")["renameConversation"]
    assert bad["userErrors"] == [{"code": "INVALID_INPUT", "field": "title"}]


def test_a_follow_up_streams_over_the_websocket(server, conversation) -> None:
    events = stream(server, "alice", "And for volunteering?", conversation["id"])
    done = events[-1]
    assert done["__typename"] == "AnswerDone", events
    answer = done["answer"]
    assert answer["conversationId"] == conversation["id"]
    # The last turn asked for the evidence jury service needs: now, volunteering's.
    assert answer["standaloneQuestion"] == "What evidence is required for volunteering?"
    assert "confirmation from the charity" in answer["text"]


def test_another_users_conversation_is_missing_on_every_path(server, conversation) -> None:
    conv_id = conversation["id"]
    message_id = conversation["turns"][0]["messageId"]
    missing = "c_0000000000000deadbeef"
    for target in (conv_id, missing):
        assert data(server, "bob", CONVERSATION, id=target) == {"conversation": None}
        assert data(server, "bob", RENAME, id=target, title="mine")["renameConversation"] == {
            "conversation": None, "userErrors": [{"code": "NOT_FOUND", "field": "id"}],
        }  # fmt: skip
        assert data(server, "bob", DELETE, id=target)["deleteConversation"] == {
            "deletedConversationId": None, "userErrors": [{"code": "NOT_FOUND", "field": "id"}],
        }  # fmt: skip
        body = call(
            server, "bob", ASK, input={"question": "And at Corvid?", "conversationId": target}
        )
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", body
        assert body["errors"][0]["message"] == "no such conversation"
        events = stream(server, "bob", "And at Corvid?", target)
        assert events == [
            {"__typename": "AnswerError", "code": "NOT_FOUND", "message": "no such conversation"}
        ]
    for target in (message_id, "m_0000000000000deadbeef"):
        assert data(server, "bob", RATE, id=target, rating="UP")["rateAnswer"] == {
            "message": None, "userErrors": [{"code": "NOT_FOUND", "field": "messageId"}],
        }  # fmt: skip
        assert data(server, "bob", CLEAR, id=target)["clearRating"] == {
            "message": None, "userErrors": [{"code": "NOT_FOUND", "field": "messageId"}],
        }  # fmt: skip
    listed = data(server, "bob", CONVERSATIONS, first=10)["conversations"]
    assert listed["totalCount"] == 0 and listed["edges"] == []
    # Nothing of alice's changed.
    mine = data(server, "alice", CONVERSATION, id=conv_id)["conversation"]
    assert mine["id"] == conv_id and mine["messages"]["totalCount"] >= 6


def test_a_cited_document_deleted_later_leaves_the_message_readable_without_its_text(
    server,
) -> None:
    document_id = upload_ready_as(
        server,
        "alice",
        "parking.txt",
        b"Brightwell visitor parking: visitors park on level minus two, bay 40 to 55.",
    )
    answer = ask(server, "Where do Brightwell visitors park?")
    assert "level minus two" in answer["text"]
    assert document_id in {c["document"]["id"] for c in answer["citations"]}
    deleted = data(server, "alice", DELETE_DOCUMENT, id=document_id)
    assert deleted["deleteDocument"]["userErrors"] == []
    read = data(server, "alice", CONVERSATION, id=answer["conversationId"])["conversation"]
    asked, reply = (e["node"] for e in read["messages"]["edges"][:2])
    # The thread stays readable: the question as asked, the answer as a notice (its text
    # quoted the deleted document), its citations marked deleted.
    assert asked["text"] == "Where do Brightwell visitors park?" and not asked["textWithheld"]
    assert reply["textWithheld"] and reply["text"] == WITHHELD_TEXT
    assert "minus two" not in reply["text"] and reply["answer"]["text"] == WITHHELD_TEXT
    gone = [c for c in reply["citations"] if c["documentId"] == document_id]
    assert gone and all(
        c["documentDeleted"] and c["text"] is None and c["document"] is None and c["title"] is None
        for c in gone
    )
    assert document_id not in {c["document"]["filename"] for c in reply["answer"]["citations"]}
    assert reply["answer"]["citations"] == []


def test_deleting_a_conversation_removes_it_and_its_messages(server) -> None:
    first = ask(server, "How many days of paid holiday does Corvid Analytics give per year?")
    conv_id, message_id = first["conversationId"], first["messageId"]
    deleted = data(server, "alice", DELETE, id=conv_id)["deleteConversation"]
    assert deleted == {"deletedConversationId": conv_id, "userErrors": []}
    assert data(server, "alice", CONVERSATION, id=conv_id) == {"conversation": None}
    assert data(server, "alice", RATE, id=message_id, rating="UP")["rateAnswer"]["userErrors"] == [
        {"code": "NOT_FOUND", "field": "messageId"}
    ]
    body = call(server, "alice", ASK, input={"question": "And Halden?", "conversationId": conv_id})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    again = data(server, "alice", DELETE, id=conv_id)["deleteConversation"]
    assert again["userErrors"] == [{"code": "NOT_FOUND", "field": "id"}]


def test_conversation_lists_are_bounded_and_paged(server) -> None:
    body = call(server, "alice", CONVERSATIONS, first=100_000)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    page = data(server, "alice", CONVERSATIONS, first=1)["conversations"]
    assert page["totalCount"] >= 2 and page["pageInfo"]["hasNextPage"]
    rest = data(server, "alice", CONVERSATIONS, first=50, after=page["pageInfo"]["endCursor"])[
        "conversations"
    ]
    assert len(rest["edges"]) == page["totalCount"] - 1
    bad = call(server, "alice", CONVERSATIONS, first=5, after="garbage")
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_the_cli_continues_a_conversation_and_prints_its_id(server) -> None:
    import re

    from support.commands import docent

    auth = ("--url", server.url, "--token", TOKENS["alice"])
    first = docent("ask", "How much paid leave is given for moving house?", *auth)
    assert first.returncode == 0, first.stderr
    assert "1 day per year" in first.stdout
    match = re.search(r"Conversation: (c_\w+)", first.stdout)
    assert match, first.stdout
    second = docent("ask", "And for jury service?", "--conversation", match.group(1), *auth)
    assert second.returncode == 0, second.stderr
    assert "up to 10 days" in second.stdout
    assert "Understood as: How much paid leave is given for jury service?" in second.stdout
    assert f"Conversation: {match.group(1)}" in second.stdout
    # Another user's conversation is not found.
    other = docent(
        "ask", "And for jury service?", "--conversation", match.group(1),
        "--url", server.url, "--token", TOKENS["bob"],
    )  # fmt: skip
    assert other.returncode == 1 and "NOT_FOUND" in other.stderr


MESSAGES_AFTER = """query($id: ID!, $after: String) { conversation(id: $id) {
  messages(first: 2, after: $after) { totalCount } } }"""


def raw_cursor(position: object) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def test_a_forged_cursor_is_invalid_input_on_after(server, conversation) -> None:
    # A 26-digit sequence number was INTERNAL (OverflowError); -1, true and a timestamp
    # that is no date (or has no offset) were taken as positions.
    for position in ([99999999999999999999999999], [-1], [True]):
        body = call(
            server, "alice", MESSAGES_AFTER, id=conversation["id"], after=raw_cursor(position)
        )
        error = body["errors"][0]["extensions"]
        assert (error["code"], error["field"]) == ("INVALID_INPUT", "after"), body
    for position in (["not-a-date", "c_x"], ["2025-03-01T12:30:00", "c_x"]):
        body = call(server, "alice", CONVERSATIONS, first=5, after=raw_cursor(position))
        error = body["errors"][0]["extensions"]
        assert (error["code"], error["field"]) == ("INVALID_INPUT", "after"), body


def test_titles_and_comments_lose_controls_and_bidi_overrides(server, conversation) -> None:
    conv_id = conversation["id"]
    renamed = data(server, "alice", RENAME, id=conv_id, title="Pay\x00roll \u202eslip\u202c\n")
    assert renamed["renameConversation"]["conversation"]["title"] == "Payroll slip"
    bad = data(server, "alice", RENAME, id=conv_id, title="\x00\u202e")["renameConversation"]
    assert bad["userErrors"] == [{"code": "INVALID_INPUT", "field": "title"}]
    said = data(server, "alice", RENAME.replace("code field", "code field message"),
                id=conv_id, title="\x00\u202e \t")["renameConversation"]  # fmt: skip
    assert "visible character" in said["userErrors"][0]["message"], said
    answer = conversation["turns"][0]["messageId"]
    comment = "Wrong\x00 row.\r\n\r\n\r\nSee \u202etable\u202c 2\x1b[31m."
    rated = data(server, "alice", RATE, id=answer, rating="DOWN", comment=comment)
    kept = rated["rateAnswer"]["message"]["feedback"]["comment"]
    assert kept == "Wrong row.\n\nSee table 2[31m."


SHARE = """mutation($id: ID!, $visibility: Visibility!, $group: String) {
  setDocumentVisibility(id: $id, visibility: $visibility, group: $group) {
    userErrors { code } } }"""


def test_an_answer_from_a_document_no_longer_shared_is_withheld_from_that_reader(
    server,
) -> None:
    """frank asked about a document erin shared with their group; once erin makes it
    private, frank's answer (which quoted it) is withheld from him, in the thread and in
    the turns a follow-up is read with; shared again, it reads as before."""

    document_id = upload_ready_as(
        server,
        "erin",
        "door-codes.txt",
        b"Harbour lab door code: the side entrance code is 4711-ZX, changed monthly.",
    )
    shared = data(server, "erin", SHARE, id=document_id, visibility="GROUP", group="eng")
    assert shared["setDocumentVisibility"]["userErrors"] == []
    question = {"input": {"question": "What is the side entrance code of the Harbour lab?"}}
    answer = data(server, "frank", ASK, **question)["ask"]
    assert "4711-ZX" in answer["text"], answer
    conversation_id = answer["conversationId"]

    def reply() -> dict[str, Any]:
        read = data(server, "frank", CONVERSATION, id=conversation_id)["conversation"]
        return dict(read["messages"]["edges"][1]["node"])

    assert not reply()["textWithheld"] and "4711-ZX" in reply()["text"]
    private = data(server, "erin", SHARE, id=document_id, visibility="PRIVATE")
    assert private["setDocumentVisibility"]["userErrors"] == []
    hidden = reply()
    assert hidden["textWithheld"] and hidden["text"] == WITHHELD_TEXT
    assert "4711" not in str(hidden), hidden
    # A follow-up is not answered from the withheld turn (nor from the document).
    follow = {"input": {"question": "Is it changed monthly?", "conversationId": conversation_id}}
    later = data(server, "frank", ASK, **follow)["ask"]
    assert "4711" not in later["text"] and later["citations"] == []
    # erin, the owner, still reads her own document's passages in her answers.
    mine = data(server, "erin", ASK, **question)["ask"]
    assert "4711-ZX" in mine["text"]
    again = data(server, "erin", SHARE, id=document_id, visibility="GROUP", group="eng")
    assert again["setDocumentVisibility"]["userErrors"] == []
    assert not reply()["textWithheld"] and "4711-ZX" in reply()["text"]


def docent_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docent.cli", *map(str, args)],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def test_rated_answers_are_exported_and_read_back_by_docent_eval(server, tmp_path: Path) -> None:
    """bob rates three answers (UP on an answer, UP on a "not found", DOWN on a follow-up),
    exports them, and `docent eval answers` asks them again: the UP ones judged, the DOWN
    one listed as needing review and counted in no figure."""
    from docent.evaluation.qa import load_questions

    for name in ("halden-leave-policy.pdf",):
        (tmp_path / "docs").mkdir(exist_ok=True)
        (tmp_path / "docs" / name).write_bytes((DEVSET / name).read_bytes())

    def ask_as_bob(question: str, conversation: str | None = None) -> dict[str, Any]:
        variables = {"input": {"question": question, "conversationId": conversation}}
        return dict(data(server, "bob", ASK, **variables)["ask"])

    async def load() -> None:
        response = await upload(
            server.url, "halden-leave-policy.pdf", (tmp_path / "docs" / "halden-leave-policy.pdf").read_bytes(),
            headers={"authorization": f"Bearer {TOKENS['bob']}", "Apollo-Require-Preflight": "true"},
        )  # fmt: skip
        document_id = response.json()["data"]["uploadDocument"]["document"]["id"]
        events = await wait_ready_as(server, document_id, "bob")
        assert events[-1]["status"] == "READY"

    asyncio.run(load())
    first = ask_as_bob("How much paid leave is given for moving house?")
    second = ask_as_bob("And for jury service?", first["conversationId"])
    off = ask_as_bob("Who won the 1954 World Cup?")
    assert "1 day per year" in first["text"] and not off["grounded"]
    for message, rating, comment in ((first, "UP", None), (off, "UP", "right to refuse"),
                                     (second, "DOWN", "wrong row\nof the table")):  # fmt: skip
        rated = data(server, "bob", RATE, id=message["messageId"], rating=rating, comment=comment)
        assert rated["rateAnswer"]["userErrors"] == []
    ask_as_bob("How many days of paid annual leave do full-time employees get?")  # not rated
    # Rated, then the rating taken back: un-rated, so not exported.
    retracted = ask_as_bob("How much paid leave is given for volunteering?")
    data(server, "bob", RATE, id=retracted["messageId"], rating="DOWN", comment="oops")
    assert data(server, "bob", CLEAR, id=retracted["messageId"])["clearRating"]["userErrors"] == []

    exported = tmp_path / "feedback.jsonl"
    run = docent_cli("eval", "--export-feedback", exported, "--url", server.url,
                     "--token", TOKENS["bob"])  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 rated answers written" in run.stderr and "1 DOWN" in run.stderr
    lines = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    by_message = {line["feedback"]["message_id"]: line for line in lines}
    assert set(by_message) == {first["messageId"], second["messageId"], off["messageId"]}
    up = by_message[first["messageId"]]
    assert up["question"] == first["standaloneQuestion"]
    assert (up["document"], up["kind"]) == ("halden-leave-policy.pdf", "feedback-up")
    assert up["feedback"]["answer"] == first["text"] and up["feedback"]["rating"] == "UP"
    assert up["feedback"]["citations"][0]["document"] == "halden-leave-policy.pdf"
    refused = by_message[off["messageId"]]
    assert refused["unanswerable"] is True and refused["feedback"]["comment"] == "right to refuse"
    down = by_message[second["messageId"]]
    assert down["needs_review"] is True and "answer_contains" not in down
    assert down["question"] == second["standaloneQuestion"] != "And for jury service?"
    assert down["feedback"]["question"] == "And for jury service?"
    assert down["feedback"]["comment"] == "wrong row\nof the table"
    assert len(lines) == 3  # alice's ratings (other tests) are hers: none is exported
    assert [q.needs_review for q in load_questions(exported)].count(True) == 1

    report_path = tmp_path / "report.json"
    run = docent_cli("eval", "answers", "--qa", exported, "--documents", tmp_path / "docs",
                     "--url", server.url, "--token", TOKENS["bob"], "--json", report_path)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    summary = report["summary"]
    assert (summary["questions"], summary["needs_review"]) == (3, 1)
    assert (summary["answerable"], summary["correct"], summary["cited"]) == (1, 1, 1)
    assert (summary["unanswerable"], summary["refused_unanswerable"]) == (1, 1)
    review = next(q for q in report["questions"] if q["needs_review"])
    assert review["failure"] is None and review["correct"] is None and review["answer"]
    out = " ".join(run.stdout.split())
    assert "needs review (1: the right answer is not known)" in out, run.stdout


def test_the_export_counts_ratings_apart_from_answers_that_need_review(
    server, tmp_path: Path
) -> None:
    """An UP answer whose cited document is gone is exported as needing review, and is
    still an UP rating: the summary counted every needs_review line as DOWN (a trial:
    "1 UP, 1 DOWN" for two UP ratings)."""
    document_id = upload_ready_as(
        server, "carol", "canteen.txt",
        b"Canteen\n\nThe canteen is open from 11:30 to 14:30 on weekdays.\n",
    )  # fmt: skip
    variables = {"input": {"question": "When is the canteen open on weekdays?"}}
    answer = data(server, "carol", ASK, **variables)["ask"]
    assert answer["grounded"] and "11:30" in answer["text"], answer
    rated = data(server, "carol", RATE, id=answer["messageId"], rating="UP", comment=None)
    assert rated["rateAnswer"]["userErrors"] == []
    deleted = data(server, "carol", DELETE_DOCUMENT, id=document_id)
    assert deleted["deleteDocument"]["userErrors"] == []
    exported = tmp_path / "feedback.jsonl"
    run = docent_cli("eval", "--export-feedback", exported, "--url", server.url,
                     "--token", TOKENS["carol"])  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    [line] = [json.loads(x) for x in exported.read_text(encoding="utf-8").splitlines()]
    assert line["needs_review"] is True and line["feedback"]["rating"] == "UP", line
    summary = " ".join(run.stderr.split())
    assert "1 rated answers written" in summary and "(1 UP, 0 DOWN;" in summary, summary
    assert "1 marked needs_review" in summary, summary


THREAD = """query($id: ID!) { conversation(id: $id) { messages(first: 20) { edges { node {
  role text textWithheld standaloneQuestion answer { text standaloneQuestion } } } } } }"""


def test_a_follow_up_rewritten_from_a_withheld_answer_does_not_restate_it(server) -> None:
    """The trial's leak: "Where does he live?" was rewritten to "Where does he (Dr. Ignatius
    Quackenbush; Umbrella) live?" from an answer quoting a shared document; once the
    document is private, that standalone question is withheld from the reader (null), in
    the thread and the answer read back, and a later follow-up's rewrite no longer sees the
    name. Shared again, it reads as before."""
    document_id = upload_ready_as(
        server,
        "erin",
        "umbrella-board.txt",
        b"Dr. Ignatius Quackenbush is the chairman of Umbrella Holdings. He lives in Oslo.",
    )
    shared = data(server, "erin", SHARE, id=document_id, visibility="GROUP", group="eng")
    assert shared["setDocumentVisibility"]["userErrors"] == []
    first = data(
        server, "frank", ASK, input={"question": "Who is the chairman of Umbrella Holdings?"}
    )
    assert "Quackenbush" in first["ask"]["text"], first
    conversation_id = first["ask"]["conversationId"]
    follow = {"question": "Where does he live?", "conversationId": conversation_id}
    second = data(server, "frank", ASK, input=follow)["ask"]
    assert "Quackenbush" in (second["standaloneQuestion"] or ""), second

    def thread() -> list[dict[str, Any]]:
        read = data(server, "frank", THREAD, id=conversation_id)["conversation"]
        return [edge["node"] for edge in read["messages"]["edges"]]

    assert "Quackenbush" in str(thread())
    private = data(server, "erin", SHARE, id=document_id, visibility="PRIVATE")
    assert private["setDocumentVisibility"]["userErrors"] == []
    hidden = thread()
    assert "Quackenbush" not in str(hidden) and "Oslo" not in str(hidden), hidden
    answers = [m for m in hidden if m["role"] == "ASSISTANT"]
    assert all(m["standaloneQuestion"] is None for m in answers), answers
    assert all(m["answer"]["standaloneQuestion"] is None for m in answers), answers
    later = data(server, "frank", ASK, input={
        "question": "How old is he?", "conversationId": conversation_id})["ask"]  # fmt: skip
    assert "Quackenbush" not in str(later), later
    again = data(server, "erin", SHARE, id=document_id, visibility="GROUP", group="eng")
    assert again["setDocumentVisibility"]["userErrors"] == []
    assert "Quackenbush" in str(thread())


def test_a_long_conversation_keeps_its_standalone_questions_short(server: DocentServer) -> None:
    """A tester's 40 entity swaps grew the standalone question a referent a turn (506
    characters at turn 40), and turns of 2,000 characters passed search's limit at turn 128:
    every follow-up after it was refused. The carried referents are bounded
    (answering/followup_bounds.py), and a question near the limit is searched as asked."""
    first = ask(server, "How many days of annual leave do full-time employees get?")
    conversation = first["conversationId"]
    for n in range(1, 25):
        question = f"What about the carry-over for employees of site {n}?"
        got = ask(server, question, conversation)
        assert got["conversationId"] == conversation
        assert len(got["standaloneQuestion"]) - len(question) <= 300, got["standaloneQuestion"]
    assert len(got["standaloneQuestion"]) < 160, got["standaloneQuestion"]
    # The longest question taken, as a follow-up: answered, not refused on `query`.
    long = "And for part-time employees " + "with a long explanation " * 82 + "?"
    assert 1900 < len(long) <= 2000
    body = call(server, "alice", ASK, input={"question": long, "conversationId": conversation})
    assert "errors" not in body, body
    assert len(body["data"]["ask"]["standaloneQuestion"]) <= 2000
