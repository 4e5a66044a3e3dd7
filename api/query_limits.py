"""Limits on every GraphQL operation (HTTP and WebSocket), applied by two Strawberry
extensions before anything runs (RefusedBudget, then QueryLimits), in this order:

1. the caller's `refused` budget (DOCENT_RATE_LIMITS, `rate_limits.py`): a caller whose
   requests were refused too often is refused with RATE_LIMITED before the request is
   parsed (one Redis call), until the budget comes back;
2. parsing stops at MAX_TOKENS tokens (a huge document costs little);
3. the request's shape, measured in time linear in its size (`api/query_shape.py`: depth,
   aliases, cost, operations, fragments, variables, directives, arguments, selections with
   fragments expanded, repeats of one field at one place, the size of the variables);
4. graphql-core's validation (the specified rules and Strawberry's), run here rather than
   by Strawberry so that it can hide suggestions and stop early: with DOCENT_INTROSPECTION
   false, introspection is refused and no error suggests a name ("Did you mean ...?"), and
   validation stops after MAX_VALIDATION_ERRORS errors;
5. a subscription over HTTP is refused: subscriptions are served over WebSocket.

Validation (step 4) depends on the document alone (and on whether introspection is
allowed), so a document that passed it is remembered (`_Passed`: its text's digest, the
last PASSED_CACHE_SIZE of them) and not validated again: clients send the same few
documents again and again (a bulk upload sends one mutation thousands of times), and
validation was a quarter of the API's CPU in such a load (py-spy on
benchmarks/bulk_ingest.py). The shape (step 3) is measured on every request: it is cheap,
and its cost depends on the variables (a tag filter given in one). Refused documents are
not remembered: each is checked again and spends the budget again.

A request refused at 2 to 5 (code INVALID_INPUT, its message saying which limit or rule)
spends one of the caller's `refused` budget, and so does one whose fields were refused
with RATE_LIMITED as it ran (a spent `ask` or `search` budget, a full admission queue):
a client that ignores `retryAfter` and sends again at once (an attack: 250 refused asks a
second, each parsed and run on the event loop, held another user's ask 5-7 s) is then
refused before parsing.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    GraphQLError,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from graphql.language import DocumentNode
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.execution import ExecutionContext

from docent.api.context import introspection_allowed
from docent.api.errors import error_extensions
from docent.api.query_shape import (
    MAX_COST,
    MAX_TOKENS,
    document_refusals,
    refusal,
    variable_refusals,
    variable_usages,
)
from docent.errors import RateLimited
from docent.rate_limits import Bucket

__all__ = ["MAX_COST", "MAX_TOKENS", "MAX_VALIDATION_ERRORS", "QueryLimits", "RefusedBudget"]

#: graphql-core stops at 100 by default; past a few, more errors help nobody and each costs.
MAX_VALIDATION_ERRORS = 20

#: What Strawberry is given instead of parsing a request refused before it is parsed.
_NOT_PARSED = parse("{ __typename }")

_OVER_HTTP = (
    "subscriptions are served over WebSocket (graphql-transport-ws) at /graphql, not over HTTP"
)


class QueryLimits(SchemaExtension):
    """The limits above, on every operation: 2 to 5, and which requests they refused."""

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = MAX_TOKENS
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None:  # RefusedBudget has not answered
            # Set, even when empty: Strawberry then does not validate again.
            context.pre_execution_errors = _refusals(context)
        yield


class RefusedBudget(SchemaExtension):
    """1 above, and the spending: a request refused before it runs (its parsing or its
    validation answered errors) spends one of the caller's `refused` budget. The budget is
    kept in Redis: asynchronous execution only (DocentSchema leaves it out of the
    synchronous one, which tests and tools use)."""

    def __init__(self, *, execution_context: ExecutionContext | None = None) -> None:
        self._over_budget: GraphQLError | None = None
        self._refused = False

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        if self._over_budget is None and _rate_limited(self.execution_context):
            self._refused = True
        if self._refused:
            limiter, user, address = _caller(self.execution_context)
            # When this spends the last of it, the next request is refused before parsing.
            if limiter is not None:
                with contextlib.suppress(RateLimited):
                    await limiter.acquire(Bucket.REFUSED, user=user, address=address)

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        limiter, user, address = _caller(context)
        if limiter is not None:
            try:
                await limiter.check(Bucket.REFUSED, user=user, address=address)
            except RateLimited as exc:
                self._over_budget = GraphQLError(exc.message, extensions=error_extensions(exc))
                # Strawberry parses only when no extension has: given a document holding the
                # operation the request names, it skips parsing, and on_validate refuses it.
                context.graphql_document = _placeholder(context.operation_name)
        yield
        self._refused = self._over_budget is None and bool(context.pre_execution_errors)

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        if self._over_budget is not None:
            context.pre_execution_errors = [self._over_budget]
        yield  # QueryLimits validates (it comes after this extension)
        if self._over_budget is None:
            self._refused = bool(context.pre_execution_errors)


def _rate_limited(context: ExecutionContext) -> bool:
    """Whether a field of the operation was refused with RATE_LIMITED as it ran."""
    result = getattr(context, "result", None)
    errors = getattr(result, "errors", None) or []
    return any(isinstance(getattr(e, "original_error", None), RateLimited) for e in errors)


def _caller(context: ExecutionContext) -> tuple[Any, str, str | None]:
    """The rate limiter, when a `refused` budget applies, and who is calling."""
    request = context.context
    services = getattr(request, "services", None)
    principal = getattr(request, "principal", None)
    limiter = getattr(services, "limiter", None)
    user: str = getattr(principal, "id", None) or ""
    if limiter is None or not user or limiter.config.rate(Bucket.REFUSED) is None:
        return None, "", None
    return limiter, user, getattr(request, "client_host", None)


#: Documents remembered as valid (their digests: a few KB in all).
PASSED_CACHE_SIZE = 1024


class _Passed:
    """The documents that passed validation, by schema, introspection rule and the digest
    of their text; least recently used first out."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._keys: OrderedDict[tuple[int, bool, bytes], None] = OrderedDict()

    @staticmethod
    def key(schema: object, introspection: bool, query: str) -> tuple[int, bool, bytes]:
        digest = hashlib.blake2b(query.encode("utf-8", "surrogatepass"), digest_size=20)
        return id(schema), introspection, digest.digest()

    def __contains__(self, key: tuple[int, bool, bytes]) -> bool:
        if key not in self._keys:
            return False
        self._keys.move_to_end(key)
        return True

    def add(self, key: tuple[int, bool, bytes]) -> None:
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)


_passed = _Passed(PASSED_CACHE_SIZE)


def _refusals(context: ExecutionContext) -> list[GraphQLError]:
    document = context.graphql_document
    assert document is not None  # parsed, or the placeholder
    if context._provided_operation_name is None and _operations(document) > 1:
        # Strawberry would run the first (its operation_name falls back to it); the spec
        # (GetOperation, 6.1) and graphql-core refuse it.
        return [refusal("Must provide operation name if query contains multiple operations.")]
    schema = context.schema._schema
    errors = document_refusals(document, schema, context.variables)
    if errors:
        return errors
    errors = variable_refusals(context.variables, variable_usages(document))
    if errors:
        return errors
    introspection = introspection_allowed(context.context)
    key = _Passed.key(schema, introspection, context.query) if context.query else None
    if key is None or key not in _passed:
        errors = _validation_errors(context, document, introspection)
        if errors:
            return errors
        if key is not None:
            _passed.add(key)
    if _subscription_over_http(context):
        return [refusal(_OVER_HTTP)]
    return []


def _operations(document: DocumentNode) -> int:
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


def _validation_errors(
    context: ExecutionContext, document: DocumentNode, introspection: bool
) -> list[GraphQLError]:
    """graphql-core's validation (step 4), with the rules the caller is under."""
    rules: tuple[type[ASTValidationRule], ...] = (
        *context.validation_rules,
        MaybeNullValidationRule,
        OneOfInputValidationRule,
    )
    if not introspection:
        rules += (NoSchemaIntrospectionCustomRule,)
    return validate(
        context.schema._schema,
        document,
        rules,
        max_errors=MAX_VALIDATION_ERRORS,
        hide_suggestions=not introspection,
    )


def _subscription_over_http(context: ExecutionContext) -> bool:
    """A subscription sent in an HTTP request (docent serves no HTTP streaming transport:
    graphql-core would run it as a query, and fail)."""
    request = context.context
    over_http = hasattr(request, "websocket") and request.websocket is None
    return over_http and context.operation_type.value == "subscription"


def _placeholder(operation_name: str | None) -> DocumentNode:
    """`{ __typename }`, as the operation the request names (so Strawberry finds it)."""
    if operation_name is None:
        return _NOT_PARSED
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=NameNode(value=operation_name),
        variable_definitions=(),
        directives=(),
        selection_set=_NOT_PARSED.definitions[0].selection_set,  # type: ignore[attr-defined]
    )
    return DocumentNode(definitions=(operation,))
