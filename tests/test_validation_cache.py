"""A document that passed validation is not validated again
(api/query_limits.py `_Passed`), and the memory never lets through what a fresh check
would refuse: it is per introspection rule, and refused documents are not remembered."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from docent.api import query_limits
from docent.api.query_shape import MAX_LIST_ITEMS
from docent.api.schema import build_schema


def context(introspection: bool) -> Any:
    return SimpleNamespace(services=SimpleNamespace(settings=SimpleNamespace(
        introspection=introspection)))  # fmt: skip


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The documents graphql-core validated, in order (a fresh memory for each test)."""
    seen: list[str] = []
    real = query_limits.validate

    def counting(schema: Any, document: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(document.loc.source.body)
        return real(schema, document, *args, **kwargs)

    monkeypatch.setattr(query_limits, "validate", counting)
    monkeypatch.setattr(query_limits, "_passed", query_limits._Passed(4))
    return seen


def test_a_valid_document_is_validated_once(validations: list[str]) -> None:
    schema = build_schema()
    query = "{ __typename }"
    for _ in range(3):
        result = schema.execute_sync(query, context_value=context(True))
        assert result.errors is None
    assert validations == [query]


def test_passing_with_introspection_on_does_not_pass_it_when_off(
    validations: list[str],
) -> None:
    schema = build_schema()
    query = "{ __schema { queryType { name } } }"
    assert schema.execute_sync(query, context_value=context(True)).errors is None
    refused = schema.execute_sync(query, context_value=context(False)).errors
    assert refused and "introspection" in refused[0].message.lower()
    assert len(validations) == 2


def test_refused_documents_are_checked_every_time(validations: list[str]) -> None:
    schema = build_schema()
    query = "{ nosuchfield }"
    for _ in range(2):
        assert schema.execute_sync(query, context_value=context(True)).errors
    assert validations == [query, query]


def test_variables_are_checked_on_a_remembered_document(validations: list[str]) -> None:
    schema = build_schema()
    query = "query ($ids: [ID!]) { documents(filter: {sha256: $ids}) { totalCount } }"
    few = schema.execute_sync(query, variable_values={"ids": ["a"]}, context_value=context(True))
    assert not any("values" in e.message for e in few.errors or [])
    many = {"ids": ["a"] * (MAX_LIST_ITEMS + 1)}
    refused = schema.execute_sync(query, variable_values=many, context_value=context(True))
    assert refused.errors and "holds" in refused.errors[0].message, refused.errors
    assert validations == [query]


def test_the_memory_is_bounded_least_recently_used_first_out() -> None:
    passed = query_limits._Passed(2)
    keys = [query_limits._Passed.key(object, True, q) for q in ("a", "b", "c")]
    passed.add(keys[0])
    passed.add(keys[1])
    assert keys[0] in passed  # now the most recently used
    passed.add(keys[2])
    assert keys[0] in passed and keys[2] in passed and keys[1] not in passed
