"""Search in every language, through the real server, on both backends: keyword search
analysed per language (an inflected form finds the passage), each chunk indexed with its
document title and section path (look-alike documents told apart), and indexes made by an
older keyword analysis analysed again (embedded) or refused until `docent reindex`
(Elasticsearch)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.servers import (
    DocentServer,
    gql,
    running_server,
    subscribe,
    upload_ok,
    wait_ready,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SEARCH = """query Search($input: SearchInput!) {
  search(input: $input) {
    hits { highlights chunk { text section } document { id title } }
  }
}"""

#: One document per language, each on a topic of its own, and an English neighbour.
DOCUMENTS = {
    "reisekosten.md": "# Reisekostenrichtlinie\n\nReisekosten werden innerhalb von zwei "
    "Wochen nach der Reise erstattet. Belege sind im Original einzureichen. "
    "Übernachtungskosten werden bis zu 120 Euro pro Nacht erstattet.\n",
    "frais.md": "# Note de frais\n\nLes frais de repas sont remboursés sous trente jours, "
    "sur présentation des justificatifs.\n",
    "gimnasio.md": "# Gimnasio Olivar\n\nLas clases de yoga se imparten los martes por la "
    "tarde en la sala dos.\n",
    "handbook-zh.md": "# 员工手册\n\n员工每年享有十五天带薪年假。\n",
    "clinic-ar.md": "# دليل العيادات\n\nيحصل الموظفون على إجازة سنوية مدتها ثلاثون يوما.\n",
    "travel-en.md": "# Travel policy\n\nBook trains in second class. Meals on the road are "
    "paid by the company card.\n",
}
#: (question in the document's language, document, the inflected form it must highlight)
KEYWORD_CASES = [
    ("Wie schnell erfolgt die Erstattung?", "reisekosten.md", "<em>erstattet</em>"),
    ("Quel est le délai de remboursement ?", "frais.md", "<em>remboursés</em>"),
    ("¿Quién imparte la clase de yoga?", "gimnasio.md", "<em>imparten</em>"),
    ("كم يوما من الإجازات السنوية يحصل عليها الموظف؟", "clinic-ar.md", "<em>إجازة</em>"),
    ("员工有几天年假？", "handbook-zh.md", None),
]

_OVERVIEW = (
    "## Overview\n\n{name} is a municipal fire engine built on a two-axle chassis for "
    "towns and industrial sites. {name} carries a crew of six in a double cab with "
    "breathing apparatus mounted in the seats, a rescue kit with hydraulic cutters and "
    "spreaders, a 9 metre ladder and a portable generator. Its body is made of aluminium "
    "panels bonded to a stainless frame, with roller shutters on both sides and a pump bay "
    "at the rear. Service intervals are every 500 operating hours; the manufacturer's "
    "dealers carry out the inspection and renew the seals of the pump. The cab has a "
    "radio, a tablet with the site plans and lighting masts that rise to six metres. "
    "Training for drivers and pump operators is included in the price and takes three "
    "days at the customer's station, with a refresher course after a year.\n\n"
)
#: Look-alike brochures: the chunk with the figure does not name its vehicle.
BROCHURES = {
    "panther-brochure.md": _OVERVIEW.format(name="The Panther")
    + "## Technical data\n\nWater tank: 12,500 litres. Foam tank: 1,000 litres.\n",
    "tigon-brochure.md": _OVERVIEW.format(name="The Tigon")
    + "## Technical data\n\nWater tank: 9,000 litres. Foam tank: 600 litres.\n",
}


def _env(request: pytest.FixtureRequest, backend: str) -> dict[str, str]:
    if backend != "elasticsearch":
        return {}
    return {
        "DOCENT_SEARCH_BACKEND": "elasticsearch",
        "DOCENT_ELASTICSEARCH_URL": request.getfixturevalue("es_url"),
        "DOCENT_ELASTICSEARCH_INDEX_PREFIX": f"ml-{uuid.uuid4().hex[:10]}",
    }


async def _upload_all(server: DocentServer, files: dict[str, str]) -> dict[str, str]:
    ids = {}
    for name, text in files.items():
        ids[name] = (await upload_ok(server, name, text.encode()))["document"]["id"]
    for name, document_id in ids.items():
        events = await wait_ready(server, document_id, timeout=300)
        assert events[-1]["status"] == "READY", (name, events)
    return ids


async def _search(server: DocentServer, query: str, mode: str = "KEYWORD") -> list[dict]:
    data = await gql(server.url, SEARCH, {"input": {"query": query, "mode": mode, "topK": 5}})
    hits: list[dict] = data["search"]["hits"]
    return hits


@pytest.fixture(
    scope="module",
    params=["embedded", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)],
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[DocentServer, dict[str, str]]]:
    """A server with the documents above, on each backend, with the product's defaults."""
    data = tmp_path_factory.mktemp("ml")
    with running_server(data, _env(request, request.param), product_defaults=True) as s:
        ids = asyncio.run(_upload_all(s, {**DOCUMENTS, **BROCHURES}))
        yield s, ids
        assert s.network_attempts() == [], s.network_attempts()


@pytest.mark.parametrize(("question", "document", "highlight"), KEYWORD_CASES)
async def test_a_keyword_query_finds_an_inflected_form_in_its_language(
    server: tuple[DocentServer, dict[str, str]],
    question: str,
    document: str,
    highlight: str | None,
) -> None:
    s, ids = server
    hits = await _search(s, question)
    assert hits and hits[0]["document"]["id"] == ids[document], hits
    if highlight is not None:  # the match is the inflected form, not a shared word
        assert any(highlight in h for h in hits[0]["highlights"]), hits[0]["highlights"]


@pytest.mark.parametrize("mode", ["KEYWORD", "HYBRID"])
async def test_a_chunk_is_found_by_its_documents_title(
    server: tuple[DocentServer, dict[str, str]], mode: str
) -> None:
    s, ids = server
    for vehicle, document, figure in (
        ("Panther", "panther-brochure.md", "12,500 litres"),
        ("Tigon", "tigon-brochure.md", "9,000 litres"),
    ):
        hits = await _search(s, f"How big is the {vehicle}'s water tank?", mode)
        top = hits[0]
        assert top["document"]["id"] == ids[document], (vehicle, hits)
        # the right chunk, shown as the passage alone (its title is indexed, not shown)
        assert figure in top["chunk"]["text"], top
        assert top["chunk"]["text"].startswith("Technical data"), top
        assert vehicle not in top["chunk"]["text"]


ANSWER = """subscription Answer($input: AskInput!) {
  answer(input: $input) {
    __typename
    ... on AnswerDone { answer { text grounded citations { document { id } } } }
    ... on AnswerError { code message }
  }
}"""


async def test_an_english_question_finds_and_cites_a_german_passage(
    server: tuple[DocentServer, dict[str, str]],
) -> None:
    # The case: a German policy, an English question, an English travel policy
    # that does not answer it (MiniLM ranked it first).
    s, ids = server
    question = "How much is reimbursed for a hotel per night?"
    for mode in ("SEMANTIC", "HYBRID"):
        hits = await _search(s, question, mode)
        assert hits[0]["document"]["id"] == ids["reisekosten.md"], (mode, hits)
    events = [
        e["answer"] async for e in subscribe(s.ws_url, ANSWER, {"input": {"question": question}})
    ]
    done = events[-1]
    assert done["__typename"] == "AnswerDone", done
    cited = {c["document"]["id"] for c in done["answer"]["citations"]}
    assert done["answer"]["grounded"] and ids["reisekosten.md"] in cited, done


def test_a_minilm_index_meets_a_clear_message_and_reindex_moves_it(tmp_path: Path) -> None:
    """The default embedder changed from MiniLM to e5: a data directory made before is
    refused at start, saying what to do, and `docent reindex` moves it."""
    data = tmp_path / "data"
    with running_server(data, {"DOCENT_EMBEDDER": "local"}) as s:
        ids = asyncio.run(_upload_all(s, {"reisekosten.md": DOCUMENTS["reisekosten.md"],
                                          "travel-en.md": DOCUMENTS["travel-en.md"]}))  # fmt: skip
    env = {"DOCENT_DATA_DIR": str(data)}  # the product's default embedder
    refused = _docent("serve", "--port", "0", env=env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    message = " ".join(refused.stderr.split())  # as the terminal wrapped it
    assert "all-MiniLM-L6-v2" in message and "multilingual-e5-small" in message
    assert "run `docent reindex`" in message
    done = _docent("reindex", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "chunks re-embedded, index switched" in done.stdout
    with running_server(data, product_defaults=True) as s:
        hits = asyncio.run(_search(s, "How much is reimbursed for a hotel per night?", "SEMANTIC"))
        assert hits[0]["document"]["id"] == ids["reisekosten.md"], hits


# -- indexes made by an older keyword analysis ------------------------------------------


def _docent(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DOCENT_")}
    return subprocess.run(
        [sys.executable, "-m", "docent.cli", *args],
        capture_output=True, text=True, timeout=600, env={**clean, "COLUMNS": "200", **env},
    )  # fmt: skip


async def test_an_embedded_index_of_an_older_analysis_is_analysed_again(tmp_path: Path) -> None:
    import apsw

    data = tmp_path / "data"
    with running_server(data) as s:
        ids = await _upload_all(s, {"reisekosten.md": DOCUMENTS["reisekosten.md"]})
    # What docent 1 left: English terms ("erstattet" unstemmed), analysis version absent.
    conn = apsw.Connection(str(data / "index" / "docent.sqlite3"))
    conn.execute("DELETE FROM meta WHERE key = 'analysis_version'")
    conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('delete-all')")
    for (rowid,) in conn.execute("SELECT rowid FROM chunks").fetchall():
        conn.execute(
            "INSERT INTO chunks_fts (rowid, terms) VALUES (?, 'reisekosten erstattet')", (rowid,)
        )
    conn.close()
    with running_server(data) as s:
        hits = await _search(s, "Wie schnell erfolgt die Erstattung?")
        assert hits and hits[0]["document"]["id"] == ids["reisekosten.md"]
        assert "re-analysing the 1 chunks" in s.log()


@pytest.mark.elasticsearch
async def test_an_elasticsearch_index_of_an_older_analysis_asks_for_reindex(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from elasticsearch import AsyncElasticsearch

    # One embedder throughout (the server, `serve` and `reindex`): only the analysis differs.
    env = {
        "DOCENT_DATA_DIR": str(tmp_path / "data"),
        "DOCENT_EMBEDDER": "local",
        **_env(request, "elasticsearch"),
    }
    with running_server(tmp_path / "data", env) as s:
        ids = await _upload_all(s, {"reisekosten.md": DOCUMENTS["reisekosten.md"]})
    client = AsyncElasticsearch(env["DOCENT_ELASTICSEARCH_URL"])
    try:
        alias = f"{env['DOCENT_ELASTICSEARCH_INDEX_PREFIX']}-chunks"
        [index] = (await client.indices.get_alias(name=alias)).body
        meta = (await client.indices.get_mapping(index=index)).body[index]["mappings"]["_meta"]
        assert meta["analysis_version"] == 2
        meta.pop("analysis_version")  # as docent 1 made it
        await client.indices.put_mapping(index=index, meta=meta)
        refused = _docent("serve", "--port", "0", env=env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        message = " ".join(refused.stderr.split())  # as the terminal wrapped it
        assert "analysis version 1" in message and "run `docent reindex`" in message
        done = _docent("reindex", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        with running_server(tmp_path / "data", env) as s:
            hits = await _search(s, "Wie schnell erfolgt die Erstattung?")
            assert hits and hits[0]["document"]["id"] == ids["reisekosten.md"]
    finally:
        await client.indices.delete(
            index=f"{env['DOCENT_ELASTICSEARCH_INDEX_PREFIX']}-*", ignore_unavailable=True
        )
        await client.close()
