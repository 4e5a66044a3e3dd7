"""The pre-check of a GraphQL request's shape (api/query_shape.py), in process: each limit
refuses what is over it, in time linear in the document, and what each limit lets through
is cheap for graphql-core to validate (the measurements behind the limits' values). CPU
time, not wall-clock time: the machine is shared."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from graphql import GraphQLSchema, get_introspection_query, parse, validate

from docent.api import query_shape as shape
from docent.api.multipart import MAX_FILE_PATHS, MultipartError, place_files
from docent.api.schema import build_schema
from docent.errors import InvalidInput
from docent.search.cursors import decode_cursor, encode_cursor


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def cpu_ms(work: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best * 1000


def messages(schema: GraphQLSchema, query: str) -> list[str]:
    return [e.message for e in shape.document_refusals(parse(query), schema)]


R, S = shape.MAX_REPEATS, shape.MAX_SELECTIONS
DOCUMENT_FIELDS = "id title filename mimeType sizeBytes sha256 status pageCount chunkCount tags"

#: Documents just over each limit, and the words of their refusal.
OVER: dict[str, tuple[str, str]] = {
    "operations": (" ".join(f"query Q{i} {{ __typename }}" for i in range(shape.MAX_OPERATIONS + 1)), f"{shape.MAX_OPERATIONS + 1} operations"),
    "fragments": ("{ ...F0 } " + " ".join(f"fragment F{i} on Query {{ __typename {'...F' + str(i + 1) if i < shape.MAX_FRAGMENTS else ''} }}" for i in range(shape.MAX_FRAGMENTS + 1)), f"{shape.MAX_FRAGMENTS + 1} fragments"),
    "variables": ("query(" + " ".join(f"$v{i}: Int" for i in range(shape.MAX_VARIABLES + 1)) + ") { __typename }", f"{shape.MAX_VARIABLES + 1} variables"),
    "directives": ("{ __typename " + "@skip(if: false) " * (shape.MAX_DIRECTIVES + 1) + "}", f"{shape.MAX_DIRECTIVES + 1} directives"),
    "arguments": ("{ viewer(" + " ".join(f"a{i}: 1" for i in range(shape.MAX_ARGUMENTS + 1)) + ") { id } }", f"{shape.MAX_ARGUMENTS + 1} arguments"),
    "selections": ("{ " + " ".join(f"a{i % 30}: __typename" for i in range(S + 1)) + " }", f"{S + 1} selections"),
    "repeats": ("{ viewer { " + "id " * (R + 1) + "} }", f"`id` is selected {R + 1} times at `viewer`"),
    "repeats through fragments": ("{ document(id: \"d\") { ...A ...B ... on Document { id } } } fragment A on Document { id id " + "id " * (R - 3) + "} fragment B on Document { id }", f"`id` is selected {R + 1} times at `document`"),
    "repeats in an unused fragment": ("{ __typename } fragment U on Viewer { " + "id " * (R + 1) + "}", f"`id` is selected {R + 1} times at the top level"),
    "depth": ("{" + " documents { edges { node {" * 5 + " id" + " } } }" * 5 + " }", "nested 15 levels deep"),
    "aliases": ("{ " + " ".join(f"a{i}: __typename" for i in range(shape.MAX_ALIASES + 1)) + " }", f"{shape.MAX_ALIASES + 1} aliases"),
    "cost": ("{ " + " ".join(f"s{i}: search(input: {{query: \"x\"}}) {{ tookMs }}" for i in range(11)) + " }", "costs 110"),
    "a fragment fan-out": ("{ ...F0 } " + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40)) + " fragment F40 on Query { __typename }", "selections"),
}  # fmt: skip


@pytest.mark.parametrize("limit", list(OVER))
def test_each_limit_refuses_what_is_over_it(schema: GraphQLSchema, limit: str) -> None:
    query, words = OVER[limit]
    found = messages(schema, query)
    assert any(words in m for m in found), found


#: Documents at the limits, built to cost graphql-core's validation the most they can.
AT_LIMITS: dict[str, str] = {
    "a field repeated at every place": "{ " + ("__schema { types { name kind description fields { name description } } directives { name description } queryType { name kind } } " * R) + "}",
    "fragments spread together": "{ document(id: \"1\") { " + " ".join(f"...P{j}" for j in range(shape.MAX_FRAGMENTS)) + " } } " + " ".join(f"fragment P{i} on Document {{ {DOCUMENT_FIELDS.split()[i % 10]} }}" for i in range(shape.MAX_FRAGMENTS)),
    "operations sharing a fragment chain": " ".join(f"query Q{i} {{ ...F0 }}" for i in range(shape.MAX_OPERATIONS)) + " " + " ".join(f"fragment F{i} on Query {{ __typename ...F{i + 1} }}" for i in range(11)) + " fragment F11 on Query { __typename }",
    "variables and directives": "query(" + " ".join(f"$v{i}: Boolean" for i in range(shape.MAX_VARIABLES)) + ") { " + " ".join(f"a{i}: viewer @include(if: $v{i}) {{ id }}" for i in range(shape.MAX_ALIASES)) + " }",
    "unknown arguments": "{ " + " ".join(f"v{i}: viewer(" + " ".join(f"a{j}: 1" for j in range(10)) + ") { id }" for i in range(shape.MAX_ARGUMENTS // 10)) + " }",
}  # fmt: skip


@pytest.mark.parametrize("case", list(AT_LIMITS))
def test_what_the_limits_let_through_validates_cheaply(schema: GraphQLSchema, case: str) -> None:
    document = parse(AT_LIMITS[case], max_tokens=shape.MAX_TOKENS)
    assert shape.document_refusals(document, schema) == []
    # ~30 ms measured on 2 cores; a repeated field over the limits cost seconds.
    assert cpu_ms(lambda: validate(schema, document, max_errors=20)) < 150, case
    assert cpu_ms(lambda: shape.document_refusals(document, schema)) < 15, case


def test_the_pre_check_is_linear_where_validation_is_not(schema: GraphQLSchema) -> None:
    """495 repeats of one field (the issue's 5.4 KB query): graphql-core needs ~1-2 s to
    validate it, the pre-check a few milliseconds to refuse it."""
    document = parse("{" + "viewer{id} " * 495 + "}", max_tokens=shape.MAX_TOKENS)
    refusing = cpu_ms(lambda: shape.document_refusals(document, schema))
    assert refusing < 20, refusing
    validating = cpu_ms(lambda: validate(schema, document), repeat=1)
    assert validating > 20 * refusing, (validating, refusing)


def test_graphiql_introspection_passes(schema: GraphQLSchema) -> None:
    full = get_introspection_query(
        descriptions=True, input_value_deprecation=True, specified_by_url=True,
        directive_is_repeatable=True, schema_description=True,
    )  # fmt: skip
    assert shape.document_refusals(parse(full), schema) == []


def test_variables_are_bounded_before_they_are_coerced() -> None:
    usages = shape.variable_usages(parse('query ($ids: [ID!]) { search(input: {query: "x", documentIds: $ids}) { tookMs } }'))  # fmt: skip
    assert usages == {"ids": "documentIds"}
    [error] = shape.variable_refusals({"ids": ["d"] * 40_000}, usages)
    assert error.extensions == {"code": "INVALID_INPUT", "field": "documentIds"}
    assert "40000 values" in error.message
    [error] = shape.variable_refusals({"input": {"query": "x", "documentIds": ["d"] * 1001}}, {})
    assert error.extensions["field"] == "documentIds"
    many = {f"v{i}": ["x"] * 900 for i in range(3)}
    [error] = shape.variable_refusals(many, {})
    assert f"more than {shape.MAX_VARIABLE_VALUES} values" in error.message
    assert shape.variable_refusals({"ids": ["d"] * 1000, "q": "x"}, usages) == []
    deep: Any = []
    for depth in range(1, 100_001):  # walked without recursion
        deep = [deep]
        if depth == 1000:
            assert shape.variable_refusals({"x": deep}, {}) == []
    [error] = shape.variable_refusals({"x": deep}, {})
    assert "values in all" in error.message
    assert shape.variable_refusals(None, {}) == []


def test_a_file_goes_only_where_the_spec_allows() -> None:
    part = object()
    operations = {"query": "q", "variables": {"file": None, "files": [None, None]}}
    placed = place_files(operations, {"0": ["variables.file", "variables.files.1"]}, {"0": part})
    assert placed["variables"] == {"file": part, "files": [None, part]}
    for operations, files_map, words in [
        ([{"query": "q"}], {}, "JSON object"),
        ({"variables": {"file": None}}, [["variables.file"]], "`map` must be a JSON object"),
        ({"variables": {"file": None}}, {"0": "variables.file"}, "list of paths"),
        ({"variables": {"file": None}}, {"0": []}, "list of paths"),
        ({"variables": {"file": None}}, {"7": ["variables.file"]}, "lacks"),
        ({"variables": {"file": None}}, {"0": ["variables.file.x.y"]}, "does not lead to a null"),
        ({"variables": {"file": "text"}}, {"0": ["variables.file"]}, "does not lead to a null"),
        ({"variables": {"file": None}}, {"0": ["query"]}, "into the variables"),
        ({"variables": {"files": [None]}}, {"0": ["variables.files.3"]}, "does not lead to a null"),
        (
            {"variables": {"file": None}},
            {"0": ["variables.file"] * (MAX_FILE_PATHS + 1)},
            "at most",
        ),
    ]:
        with pytest.raises(MultipartError, match=words):
            place_files(operations, files_map, {"0": part})


def test_a_cursor_is_refused_before_it_can_nest_deeply() -> None:
    import base64

    assert decode_cursor(encode_cursor(["2025-01-01", "d1"]), str, str) == ["2025-01-01", "d1"]
    for raw in (b"[" * 100_000 + b"]" * 100_000, b"[" * 400 + b"]" * 400):
        with pytest.raises(InvalidInput) as refused:
            decode_cursor(base64.urlsafe_b64encode(raw).decode(), str, str)
        assert refused.value.field == "after"
