"""The Elasticsearch node of scripts/elasticsearch.py is real and fit for docent's backend."""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from support.es_node import is_external
from support.scripts import load_script

pytestmark = pytest.mark.elasticsearch


def pinned_version() -> str:
    return str(load_script("elasticsearch").ES_VERSION)


@pytest.fixture
def es(es_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=es_url, timeout=30) as client:
        yield client


def test_version_is_the_pinned_one(es: httpx.Client) -> None:
    # The minimal distribution has no rest-root module: `GET /` answers 405 there, so the version
    # is read from the node info (and from `GET /` where a fuller distribution serves it).
    nodes = es.get("/_nodes/_local", params={"filter_path": "nodes.*.version"}).raise_for_status()
    [node] = nodes.json()["nodes"].values()
    assert node["version"] == pinned_version()
    root = es.get("/")
    assert root.headers.get("x-elastic-product") == "Elasticsearch"
    if root.status_code == 200:
        assert root.json()["version"]["number"] == pinned_version()
    else:
        assert root.status_code == 405, root.text


def test_cluster_is_healthy(es: httpx.Client) -> None:
    health = es.get("/_cluster/health", params={"wait_for_status": "yellow", "timeout": "30s"})
    assert health.raise_for_status().json()["status"] in ("green", "yellow")


def test_int8_hnsw_vectors_and_filtered_knn(es: httpx.Client) -> None:
    index = f"docent-test-knn-{uuid.uuid4().hex[:8]}"
    mappings = {
        "properties": {
            "owner": {"type": "keyword"},
            "vector": {
                "type": "dense_vector", "dims": 4, "index": True, "similarity": "cosine",
                "index_options": {"type": "int8_hnsw", "m": 16, "ef_construction": 100},
            },
        }
    }  # fmt: skip
    created = es.put(
        f"/{index}", json={"settings": {"number_of_replicas": 0}, "mappings": mappings}
    )
    assert created.status_code == 200, created.text
    try:
        got = es.get(f"/{index}/_mapping").raise_for_status().json()
        vector = got[index]["mappings"]["properties"]["vector"]
        assert vector["index_options"]["type"] == "int8_hnsw"

        docs = {
            "a1": ("alice", [1.0, 0.0, 0.0, 0.0]),
            "a2": ("alice", [0.9, 0.1, 0.0, 0.0]),
            "a3": ("alice", [0.0, 0.0, 1.0, 0.0]),
            "b1": ("bob", [1.0, 0.0, 0.0, 0.01]),  # nearest of all, but bob's
            "b2": ("bob", [0.0, 1.0, 0.0, 0.0]),
        }
        lines = []
        for doc_id, (owner, values) in docs.items():
            lines.append(json.dumps({"index": {"_id": doc_id}}))
            lines.append(json.dumps({"owner": owner, "vector": values}))
        bulk = es.post(
            f"/{index}/_bulk", params={"refresh": "true"}, content="\n".join(lines) + "\n",
            headers={"content-type": "application/x-ndjson"},
        ).raise_for_status()  # fmt: skip
        assert not bulk.json()["errors"], bulk.text

        def knn(owner: str | None) -> list[str]:
            query: dict[str, Any] = {
                "field": "vector",
                "query_vector": [1.0, 0.0, 0.0, 0.0],
                "k": 3,
                "num_candidates": 10,
            }
            if owner is not None:
                query["filter"] = {"term": {"owner": owner}}
            response = es.post(f"/{index}/_search", json={"knn": query, "_source": False})
            hits = response.raise_for_status().json()["hits"]["hits"]
            assert all(hit["_score"] > 0 for hit in hits)
            return [hit["_id"] for hit in hits]

        assert knn(None)[:1] in (["a1"], ["b1"])
        assert knn("alice") == ["a1", "a2", "a3"]
        assert knn("bob") == ["b1", "b2"]
    finally:
        es.delete(f"/{index}")


def test_listens_on_loopback_only(es: httpx.Client, es_url: str) -> None:
    if is_external():
        pytest.skip("DOCENT_TEST_ELASTICSEARCH_URL: a node started elsewhere binds where it likes")
    info = es.get("/_nodes/_local/http,transport").raise_for_status().json()
    [node] = info["nodes"].values()
    bound = node["http"]["bound_address"] + node["transport"]["bound_address"]
    assert bound, node
    for address in bound:
        host = address.rsplit(":", 1)[0].strip("[]")
        assert ipaddress.ip_address(host) == ipaddress.ip_address("127.0.0.1"), bound
    # And as the kernel sees it: every listening socket on the HTTP port is 127.0.0.1's.
    port = urlsplit(es_url).port
    listening = _listeners(port)
    if listening is not None:
        assert listening == {"127.0.0.1"}, listening


def _listeners(port: int | None) -> set[str] | None:
    """The local addresses of the sockets listening on `port` (None without /proc/net)."""
    found = set()
    for table, width in (("tcp", 4), ("tcp6", 16)):
        path = Path("/proc/net") / table
        if not path.exists():
            return None
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, _, port_hex = local.partition(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # /proc/net shows each 32-bit word in host (little-endian) order.
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, width, 4))
            ip = ipaddress.ip_address(words)
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
                ip = ip.ipv4_mapped
            found.add(str(ip))
    return found
