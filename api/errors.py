"""Expected failures become typed errors with stable codes; everything else is masked."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, get_type_hints

from graphql import GraphQLError
from graphql.pyutils import inspect
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import MaskErrors
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from docent.api.context import introspection_allowed
from docent.api.types import UserError
from docent.errors import DocentError, ErrorCode, RateLimited

log = logging.getLogger("docent.api")

MASKED_MESSAGE = "Unexpected error. It was logged; quote the request id when reporting it."

P = ParamSpec("P")
Payload = TypeVar("Payload")


def retry_after(exc: DocentError) -> float | None:
    """RATE_LIMITED: seconds until the request would pass, when waiting helps."""
    return exc.retry_after if isinstance(exc, RateLimited) else None


def user_error(exc: DocentError) -> UserError:
    return UserError(
        code=exc.code, message=exc.message, field=exc.field, retry_after=retry_after(exc)
    )


def error_extensions(exc: DocentError) -> dict[str, Any]:
    """`code`, and `field` and `retryAfter` (seconds) when they apply."""
    extensions: dict[str, Any] = {"code": exc.code.value}
    if exc.field:
        extensions["field"] = exc.field
    wait = retry_after(exc)
    if wait is not None:
        extensions["retryAfter"] = wait
    return extensions


def public_error(exc: DocentError) -> GraphQLError:
    """`exc` as the GraphQL error MaskUnexpectedErrors would make of it, to raise where a
    DocentError would be caught: it escapes `with_user_errors`, so a mutation gets no
    payload (a resolver that simply fails raises the DocentError itself)."""
    return GraphQLError(exc.message, extensions=error_extensions(exc), original_error=exc)


def with_user_errors(
    resolver: Callable[P, Awaitable[Payload]],
) -> Callable[P, Awaitable[Payload]]:
    """A mutation whose expected failures are its payload's `userErrors`: a `DocentError`
    raised by `resolver` returns the payload type it is annotated with, built with that one
    user error and its other fields left to their defaults (nulls, false). Unexpected
    errors are not caught: MaskUnexpectedErrors masks them."""
    payload: Callable[..., Payload] = get_type_hints(resolver)["return"]

    @functools.wraps(resolver)
    async def resolve(*args: P.args, **kwargs: P.kwargs) -> Payload:
        try:
            return await resolver(*args, **kwargs)
        except DocentError as exc:
            return payload(user_errors=[user_error(exc)])

    return resolve


def without_suggestions(message: str) -> str:
    """`message` without graphql-core's " Did you mean 'x', 'y', or 'z'?" (which always
    ends it): with introspection off, a typo must not reveal the schema's names."""
    head, suggests, _ = message.partition(" Did you mean ")
    return head if suggests else message


#: Python's words for JSON's, where graphql-core's messages print a value.
_PYTHON_WORDS = re.compile(r"(?<![\w'\"])(None|True|False)(?![\w'\"])")
_JSON_WORDS = {"None": "null", "True": "true", "False": "false"}
#: The most of a value a message shows, in characters.
_SHOWN = 200


def _is_coercion(error: GraphQLError) -> bool:
    """graphql-core's refusal of a variable's value (execution/values.py words it so)."""
    return error.message.startswith("Variable '$")


def in_json_terms(message: str, variables: dict[str, Any] | None) -> str:
    """graphql-core's message about a variable's value, with each value it prints (Python's
    repr: `{'a': True}`) printed as the JSON the client sent (`{"a": true}`), at most
    200 characters of it, and Python's None/True/False as null/true/false."""
    pending: list[object] = [variables or {}]
    seen = 0
    while pending and seen < 2000:  # the variables' bound (api/query_shape.py)
        value = pending.pop(0)
        seen += 1
        shown = f": {inspect(value)}"
        if shown in message:
            text = json.dumps(value, ensure_ascii=False, default=str)
            text = text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
            message = message.replace(shown, f": {text}")
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return _PYTHON_WORDS.sub(lambda m: _JSON_WORDS[m.group(1)], message)


#: Strawberry's refusals of the request itself (no query, an unknown or ambiguous
#: operation, a mutation over GET, a subscription over HTTP), worded for the client.
_REQUEST_REFUSALS = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)


def is_expected(error: GraphQLError) -> bool:
    """Validation and syntax errors (no path, no original exception), refusals of a
    variable's value, and DocentErrors are shown as they are; any other exception is not,
    with or without a path: a subscription's stream that raises reaches Strawberry
    without one (graphql-core does not wrap it), and its text is internals."""
    original = error.original_error
    if original is None:
        return True
    if isinstance(original, GraphQLError):
        return is_expected(original)
    if isinstance(original, (DocentError, *_REQUEST_REFUSALS)):
        return True
    # A custom scalar's parse_value raising ValueError: graphql-core's refusal of the
    # variable, worded by it, keeps that exception as its original.
    return error.path is None and _is_coercion(error)


def _docent_error(error: GraphQLError) -> DocentError | None:
    original = error.original_error
    while isinstance(original, GraphQLError):
        original = original.original_error
    return original if isinstance(original, DocentError) else None


class MaskUnexpectedErrors(MaskErrors):
    """Strawberry's MaskErrors, with the code INTERNAL and the request id on masked errors,
    and the original exception logged under that id. An expected failure raised by any
    resolver, query or subscription (a `DocentError`) is the public error itself: its
    message, its stable code, and `field` and `retryAfter` when they apply."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=lambda e: not is_expected(e), error_message=MASKED_MESSAGE
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        if not introspection_allowed(getattr(self.execution_context, "context", None)):
            # Validation hides them (api/query_limits.py); graphql-core's coercion of
            # variables suggests names too, and Strawberry gives it no way to hide them.
            for error in errors:
                error.message = without_suggestions(error.message)
        for error in errors:
            expected = _docent_error(error)
            if expected is not None and not (error.extensions or {}).get("code"):
                # Whatever raised it (a resolver, a subscription's stream), shown as
                # public_error shows it.
                error.message = expected.message
                error.extensions = error_extensions(expected)
            elif error.path is None and error.original_error is None and not error.extensions:
                # The request itself is wrong: a syntax error (the token limit among them)
                # or a validation error. Its message says what; the code says who.
                error.extensions = {"code": ErrorCode.INVALID_INPUT.value}
            elif error.path is None and not error.extensions and _is_coercion(error):
                # A variable's value is wrong: as wrong as the same value written inline
                # (a validation error), and the client wrote JSON, not Python.
                variables = getattr(self.execution_context, "variables", None)
                error.message = in_json_terms(error.message, variables)
                error.extensions = {"code": ErrorCode.INVALID_INPUT.value}
        return super()._process_errors(errors)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        context = getattr(self.execution_context, "context", None)
        request_id = getattr(context, "request_id", None)
        original = error.original_error
        log.error(
            "unexpected error in %s (request %s): %s",
            ".".join(str(p) for p in error.path or []) or "operation", request_id, error.message,
            exc_info=(type(original), original, original.__traceback__) if original else None,
        )  # fmt: skip
        masked = super().anonymise_error(error)
        masked.extensions = {"code": ErrorCode.INTERNAL.value, "requestId": request_id}
        return masked
