"""Limits on the shape of a GraphQL request, checked before anything runs.

- tokens: at most MAX_TOKENS (the parser stops counting there, so a huge document costs
  little);
- depth: fields nested at most MAX_DEPTH levels (introspection fields aside: graphql-core's
  MaxIntrospectionDepthRule, one of the specified rules, bounds those);
- aliases: at most MAX_ALIASES, counted with every fragment spread expanded;
- cost: the expensive fields (FIELD_COSTS: `ask`, `search`, `documents`, uploads...) summed
  over the request, aliases and fragment spreads included, at most MAX_COST;
- introspection: refused when DOCENT_INTROSPECTION is false (read per request from the
  context's settings; on by default, and then GraphiQL's introspection query passes).

Depth, aliases and cost are measured in one pass that measures each fragment once and
reuses the result wherever it is spread, so the work is linear in the size of the document.
Strawberry's QueryDepthLimiter and MaxAliasesLimiter, which this replaces, walk a fragment
again at every spread: `fragment A on Query { ...B ...B }`, `fragment B on Query { ...C
...C }`... is 2^n walks for n fragments, seconds of CPU for a few hundred bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)
from graphql.language import SKIP, FragmentDefinitionNode, VisitorAction
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from docent.errors import ErrorCode

MAX_TOKENS = 2000
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_COST = 100

#: What a field costs each time a request selects it (unlisted fields cost nothing): the
#: calls behind them, relative to one record read. Aliases and spreads each count.
FIELD_COSTS: Mapping[tuple[str, str], int] = {
    ("Query", "ask"): 20,
    ("Subscription", "answer"): 20,
    ("Query", "search"): 10,
    ("Mutation", "uploadDocument"): 10,
    ("Mutation", "reprocessDocument"): 10,
    ("Query", "documents"): 5,
    ("Mutation", "deleteDocument"): 2,
    ("Mutation", "setDocumentVisibility"): 2,
    ("Query", "document"): 1,
    ("Query", "viewer"): 1,
    ("Subscription", "documentEvents"): 1,
}


@dataclass(frozen=True, slots=True)
class Shape:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


_NOTHING = Shape()


#: Measures stop growing here (a fragment fan-out's cost doubles with each fragment).
_CAP = 10**9


def _costs() -> str:
    """The costs, for messages: `ask, answer: 20; search, ...: 10; ...`."""
    by_cost: dict[int, list[str]] = {}
    for (_, field), cost in FIELD_COSTS.items():
        by_cost.setdefault(cost, []).append(field)
    return "; ".join(f"{', '.join(names)}: {cost}" for cost, names in by_cost.items())


class QueryShapeRule(ValidationRule):
    """Refuses an operation deeper than MAX_DEPTH, with more than MAX_ALIASES aliases, or
    costing more than MAX_COST (see FIELD_COSTS)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._fragments: dict[str, Shape] = {}
        self._measuring: set[str] = set()

    def enter_operation_definition(
        self, node: OperationDefinitionNode, *_args: Any
    ) -> VisitorAction:
        root = self.context.schema.get_root_type(node.operation)
        what = f"this {node.operation.value}"
        try:
            shape = self._measure(node.selection_set, root)
        except RecursionError:
            self._refuse(f"{what} is nested too deeply", node)
            return SKIP
        if shape.depth > MAX_DEPTH:
            self._refuse(
                f"{what} is nested {shape.depth} levels deep, more than the limit of {MAX_DEPTH}",
                node,
            )
        if shape.aliases > MAX_ALIASES:
            self._refuse(
                f"{what} uses {shape.aliases} aliases (fragments expanded), more than the "
                f"limit of {MAX_ALIASES}",
                node,
            )
        if shape.cost > MAX_COST:
            self._refuse(
                f"{what} costs {shape.cost}, more than the limit of {MAX_COST} a request "
                f"({_costs()}; each alias and fragment spread counts); split it into "
                "several requests",
                node,
                cost=shape.cost,
            )
        return SKIP

    def enter_fragment_definition(self, *_args: Any) -> VisitorAction:
        return SKIP  # measured where it is spread

    def _refuse(self, message: str, node: OperationDefinitionNode, **extra: Any) -> None:
        extensions: dict[str, Any] = {"code": ErrorCode.INVALID_INPUT.value, **extra}
        if "cost" in extra:
            extensions["maxCost"] = MAX_COST
        self.report_error(GraphQLError(message, [node], extensions=extensions))

    def _measure(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> Shape:
        depth = aliases = cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                aliases += 1 if selection.alias else 0
                child = self._field_type(parent, name)
                inner = (
                    self._measure(selection.selection_set, child)
                    if selection.selection_set
                    else _NOTHING
                )
                aliases += inner.aliases
                if name.startswith("__"):
                    continue  # introspection: free, and MaxIntrospectionDepthRule bounds it
                if parent is not None:
                    cost += FIELD_COSTS.get((parent.name, name), 0)
                cost += inner.cost
                if selection.selection_set:
                    depth = max(depth, 1 + inner.depth)
            else:
                if isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    inner = self._measure(
                        selection.selection_set,
                        self.context.schema.get_type(condition.name.value) if condition else parent,
                    )
                elif isinstance(selection, FragmentSpreadNode):
                    inner = self._fragment(selection.name.value)
                else:  # pragma: no cover - the grammar has no other selection
                    continue
                depth = max(depth, inner.depth)
                aliases += inner.aliases
                cost += inner.cost
        return Shape(min(depth, _CAP), min(aliases, _CAP), min(cost, _CAP))

    def _fragment(self, name: str) -> Shape:
        known = self._fragments.get(name)
        if known is not None:
            return known
        fragment: FragmentDefinitionNode | None = self.context.get_fragment(name)
        if fragment is None or name in self._measuring:
            return _NOTHING  # unknown fragments and cycles are other rules' errors
        self._measuring.add(name)
        try:
            shape = self._measure(
                fragment.selection_set,
                self.context.schema.get_type(fragment.type_condition.name.value),
            )
        finally:
            self._measuring.discard(name)
        self._fragments[name] = shape
        return shape

    @staticmethod
    def _field_type(parent: GraphQLNamedType | None, name: str) -> GraphQLNamedType | None:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return None
        field = parent.fields.get(name)
        return get_named_type(field.type) if field is not None else None


class QueryLimits(SchemaExtension):
    """The limits above, on every operation (HTTP and WebSocket)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        rules: tuple[type[ValidationRule], ...] = (QueryShapeRule,)
        if not _introspection_allowed(context.context):
            rules += (NoSchemaIntrospectionCustomRule,)
        context.validation_rules = (*context.validation_rules, *rules)
        yield


def _introspection_allowed(context: Any) -> bool:
    """DOCENT_INTROSPECTION of the running server; allowed without one (tests, print-schema)."""
    services = getattr(context, "services", None)
    settings = getattr(services, "settings", None)
    return bool(settings.introspection) if settings is not None else True
