"""The shape of a GraphQL request, measured in time linear in its size before graphql-core
validates it, so that no document under the token limit costs much to refuse.

graphql-core's validation is not linear in the size of a document: the overlapping-fields
rule compares every pair of fields that share a response name at one place (inline
fragments and fragment spreads merged), and every pair of fragments; other rules walk each
operation's fragments again. 495 repeats of `viewer{id}` (5.4 KB, under the token limit)
cost ~2 s of CPU, and graphql-core costs ~15 µs a node even when nothing repeats. So the
request is measured first, and refused above these limits (each measured with fragments
expanded where that is what the rules do, each fragment measured once and reused wherever it
is spread):

- per operation: fields nested MAX_DEPTH deep, MAX_ALIASES aliases, a cost of MAX_COST
  (FIELD_COSTS: what a field costs each time it is selected);
- per document, as written: MAX_OPERATIONS operations, MAX_FRAGMENTS fragments,
  MAX_VARIABLES variable definitions, MAX_DIRECTIVES directives, MAX_ARGUMENTS arguments;
- per document, fragments expanded: MAX_SELECTIONS selections (fields, fragment spreads and
  inline fragments), and no response name selected more than MAX_REPEATS times at one
  place (the pairs the overlapping-fields rule compares grow as its square);
- variable values: no list longer than MAX_LIST_ITEMS, and MAX_VARIABLE_VALUES values in
  all (graphql-core coerces each value in Python, ~2 µs each, before any resolver can check
  a list's bound).

The limits were set by measuring graphql-core 3.3's validation of the worst documents each
allows under the token limit (`tests/test_query_shape.py` keeps them): at most ~30 ms of
CPU, against ~25 ms for a plain 2,000-token document; GraphiQL's introspection query (~250
selections with its fragments expanded) passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
)
from graphql.language import ExecutableDefinitionNode

from docent.errors import ErrorCode

MAX_TOKENS = 2000
#: The longest GraphQL document (the `query` text, not its variables), in characters.
#: graphql-core's lexer reads ~1 µs a character even where the token limit sees nothing (a
#: comment, a string, commas): 255 KB of comment took ~290 ms of the event loop (BENCHMARKS).
#: The longest document docent answers, 1,000 ids and a 2,000-character question written
#: inline, is ~40 KB; anything longer belongs in variables.
MAX_DOCUMENT_CHARS = 64 * 1024
DOCUMENT_TOO_LONG = (
    f"the GraphQL document (`query`) is longer than {MAX_DOCUMENT_CHARS // 1024} K characters; "
    "pass long values as variables"
)
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_COST = 100
MAX_OPERATIONS = 20
MAX_FRAGMENTS = 50
MAX_VARIABLES = 50
MAX_DIRECTIVES = 50
MAX_ARGUMENTS = 200
MAX_SELECTIONS = 500
MAX_REPEATS = 20
#: The longest list argument (`documentIds`, api/types.py) fits, with room for the rest.
MAX_LIST_ITEMS = 1000
MAX_VARIABLE_VALUES = 2000

#: What a field costs each time a request selects it (unlisted fields cost nothing): the
#: calls behind them, relative to one record read. Aliases and spreads each count.
FIELD_COSTS: Mapping[tuple[str, str], int] = {
    ("Query", "ask"): 20,
    ("Subscription", "answer"): 20,
    ("Query", "search"): 10,
    ("Mutation", "uploadDocument"): 10,
    ("Mutation", "reprocessDocument"): 10,
    ("Query", "documents"): 5,
    ("Query", "conversations"): 5,
    ("Conversation", "messages"): 5,
    ("Message", "citations"): 1,
    ("Message", "answer"): 1,
    ("Mutation", "rateAnswer"): 2,
    ("Mutation", "clearRating"): 2,
    ("Mutation", "renameConversation"): 2,
    ("Mutation", "deleteConversation"): 2,
    ("Mutation", "deleteDocument"): 2,
    ("Mutation", "setDocumentVisibility"): 2,
    ("Query", "document"): 1,
    ("Query", "conversation"): 1,
    ("Query", "viewer"): 1,
    ("Subscription", "documentEvents"): 1,
}

#: A tag filter (`input: {filter: {tags}}` on search, ask and answer, written or in a
#: variable) adds a catalogue read to the field (`retrieval.filtered_ids`): it costs what a
#: page of `documents` does. Document ids cost nothing more: they filter the same searches.
TAG_FILTER_COST = 5
_FILTERED_FIELDS = {("Query", "search"), ("Query", "ask"), ("Subscription", "answer")}

#: Measures stop growing here (a fragment fan-out's size doubles with each fragment).
_CAP = 10**9


@dataclass(frozen=True, slots=True)
class Shape:
    depth: int = 0
    aliases: int = 0
    cost: int = 0
    selections: int = 0


_NOTHING = Shape()


@dataclass(slots=True)
class _Counts:
    operations: int = 0
    fragments: int = 0
    variables: int = 0
    directives: int = 0
    arguments: int = 0


def refusal(message: str, nodes: Any = None, **extensions: Any) -> GraphQLError:
    """A request refused for its shape: INVALID_INPUT, with the message saying which limit."""
    return GraphQLError(
        message, nodes, extensions={"code": ErrorCode.INVALID_INPUT.value, **extensions}
    )


def _costs() -> str:
    """The costs, for messages: `ask, answer: 20; search, ...: 10; ...`."""
    by_cost: dict[int, list[str]] = {}
    for (_, field), cost in FIELD_COSTS.items():
        by_cost.setdefault(cost, []).append(field)
    costs = "; ".join(f"{', '.join(names)}: {cost}" for cost, names in by_cost.items())
    return f"{costs}; a tag filter on search, ask or answer: {TAG_FILTER_COST} more"


def document_refusals(
    document: DocumentNode, schema: GraphQLSchema, variables: Any = None
) -> list[GraphQLError]:
    """Why `document` is refused (the limits above), or nothing: in time linear in its size.
    It need not be valid: unknown fields and fragments, and fragment cycles, are measured as
    empty (validation reports them). `variables`: the request's, which a tag filter may be
    given in (TAG_FILTER_COST)."""
    return _Measure(document, schema, variables).refusals()


def _given(value: Any, variables: Any, *path: str) -> Any:
    """The value at `path` (input field names) in an argument's `value` (a literal, a
    variable, or a variable's value), or None: no deeper than `path`, so linear in it."""
    for name in path:
        if isinstance(value, VariableNode):
            value = variables.get(value.name.value) if isinstance(variables, dict) else None
        if isinstance(value, ObjectValueNode):
            value = next((f.value for f in value.fields if f.name.value == name), None)
        elif isinstance(value, dict):
            value = value.get(name)
        else:
            return None
    if isinstance(value, VariableNode):
        value = variables.get(value.name.value) if isinstance(variables, dict) else None
    return value


def _tag_filtered(field: FieldNode, variables: Any) -> bool:
    """Whether `field`'s `input` gives a non-empty `filter.tags`."""
    for argument in field.arguments or ():
        if argument.name.value == "input":
            tags = _given(argument.value, variables, "filter", "tags")
            return bool(tags.values if isinstance(tags, ListValueNode) else tags)
    return False


class _Measure:
    def __init__(self, document: DocumentNode, schema: GraphQLSchema, variables: Any) -> None:
        self.schema = schema
        self.variables = variables
        self.document = document
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.shapes: dict[str, Shape] = {}
        self.measuring: set[str] = set()
        self.unused: list[FragmentDefinitionNode] = []
        self.written = _Counts()

    def refusals(self) -> list[GraphQLError]:
        errors: list[GraphQLError] = []
        selections = 0
        operations = [
            d for d in self.document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        try:
            for operation in operations:
                shape = self.operation(operation)
                errors += self.operation_refusals(operation, shape)
                selections += shape.selections
            # Fragments no operation spreads are validated too: measured on their own.
            self.unused = [f for name, f in self.fragments.items() if name not in self.shapes]
            for fragment in self.unused:
                selections += self.fragment(fragment.name.value).selections
        except RecursionError:
            return [refusal("this document is nested too deeply")]
        errors += self.census_refusals()
        if selections > MAX_SELECTIONS:
            errors.append(
                refusal(
                    f"this document makes {selections} selections (fields, fragment "
                    f"spreads and inline fragments, fragments expanded), more than the limit "
                    f"of {MAX_SELECTIONS}"
                )
            )
        else:  # the expansion is bounded: walk it
            errors += self.repeat_refusals(operations)
        return errors

    def operation(self, node: OperationDefinitionNode) -> Shape:
        return self.measure(node.selection_set, self.schema.get_root_type(node.operation))

    def operation_refusals(self, node: OperationDefinitionNode, shape: Shape) -> list[GraphQLError]:
        what = f"this {node.operation.value}"
        errors = []
        if shape.depth > MAX_DEPTH:
            errors.append(refusal(
                f"{what} is nested {shape.depth} levels deep, more than the limit of {MAX_DEPTH}",
                node,
            ))  # fmt: skip
        if shape.aliases > MAX_ALIASES:
            errors.append(refusal(
                f"{what} uses {shape.aliases} aliases (fragments expanded), more than the "
                f"limit of {MAX_ALIASES}",
                node,
            ))  # fmt: skip
        if shape.cost > MAX_COST:
            errors.append(refusal(
                f"{what} costs {shape.cost}, more than the limit of {MAX_COST} a request "
                f"({_costs()}; each alias and fragment spread counts); split it into "
                "several requests",
                node,
                cost=shape.cost,
                maxCost=MAX_COST,
            ))  # fmt: skip
        return errors

    def measure(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> Shape:
        """The shape of a selection set. Every selection of the document is measured once
        (a fragment's shape is kept and reused), so its directives and arguments, as
        written, are counted here too."""
        depth = aliases = cost = selections = 0
        written = self.written
        for selection in selection_set.selections:
            selections += 1
            for directive in selection.directives or ():
                written.directives += 1
                written.arguments += len(directive.arguments or ())
            if isinstance(selection, FieldNode):
                name = selection.name.value
                written.arguments += len(selection.arguments or ())
                aliases += 1 if selection.alias else 0
                # Introspection is free, and MaxIntrospectionDepthRule bounds its depth.
                free = name.startswith("__")
                if not free and parent is not None:
                    cost += FIELD_COSTS.get((parent.name, name), 0)
                    if (parent.name, name) in _FILTERED_FIELDS and _tag_filtered(
                        selection, self.variables
                    ):
                        cost += TAG_FILTER_COST
                if selection.selection_set:
                    inner = self.measure(selection.selection_set, _field_type(parent, name))
                    aliases += inner.aliases
                    selections += inner.selections
                    if not free:
                        cost += inner.cost
                        depth = max(depth, 1 + inner.depth)
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner_type = self.schema.get_type(condition.name.value) if condition else parent
                inner = self.measure(selection.selection_set, inner_type)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
            else:  # pragma: no cover - the grammar has no other selection
                continue
            depth = max(depth, inner.depth)
            aliases += inner.aliases
            cost += inner.cost
            selections += inner.selections
        return Shape(min(depth, _CAP), min(aliases, _CAP), min(cost, _CAP), min(selections, _CAP))

    def fragment(self, name: str) -> Shape:
        known = self.shapes.get(name)
        if known is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.measuring:
            return _NOTHING  # unknown fragments and cycles are validation's errors
        self.measuring.add(name)
        try:
            shape = self.measure(
                fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value)
            )
        finally:
            self.measuring.discard(name)
        self.shapes[name] = shape
        return shape

    def census_refusals(self) -> list[GraphQLError]:
        """The document's parts as written: what every rule visits once."""
        written = self.written
        for definition in self.document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                written.operations += 1
                written.variables += len(definition.variable_definitions or ())
                for variable in definition.variable_definitions or ():
                    _count_directives(variable.directives, written)
            elif isinstance(definition, FragmentDefinitionNode):
                written.fragments += 1
            _count_directives(getattr(definition, "directives", None), written)
        return [
            refusal(f"this document has {count} {what}, more than the limit of {limit}")
            for what, count, limit in (
                ("operations", written.operations, MAX_OPERATIONS),
                ("fragments", written.fragments, MAX_FRAGMENTS),
                ("variables", written.variables, MAX_VARIABLES),
                ("directives", written.directives, MAX_DIRECTIVES),
                ("arguments", written.arguments, MAX_ARGUMENTS),
            )
            if count > limit
        ]

    def repeat_refusals(self, operations: list[OperationDefinitionNode]) -> list[GraphQLError]:
        """A response name selected more than MAX_REPEATS times at one place (fragments
        merged, as the overlapping-fields rule merges them). Walks the expansion, which
        MAX_SELECTIONS bounds."""
        roots = [[d.selection_set] for d in (*operations, *self.unused)]
        stack: list[tuple[str, list[SelectionSetNode]]] = [("", sets) for sets in roots]
        while stack:
            path, sets = stack.pop()
            groups: dict[str, list[SelectionSetNode | None]] = {}
            for selection_set in sets:
                self.merge(selection_set, groups, frozenset())
            for name, subsets in groups.items():
                if len(subsets) > MAX_REPEATS:
                    place = f"`{path.rstrip('.')}`" if path else "the top level"
                    return [refusal(
                        f"`{name}` is selected {len(subsets)} times at {place}, more than the "
                        f"limit of {MAX_REPEATS} (fields that share a response name are compared "
                        "in pairs): select it once there, or give each selection its own alias"
                    )]  # fmt: skip
                children = [s for s in subsets if s is not None]
                if children:
                    stack.append((f"{path}{name}.", children))
        return []

    def merge(
        self,
        selection_set: SelectionSetNode,
        groups: dict[str, list[SelectionSetNode | None]],
        within: frozenset[str],
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                groups.setdefault(key, []).append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                self.merge(selection.selection_set, groups, within)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in within:
                    self.merge(fragment.selection_set, groups, within | {name})


def _count_directives(directives: Any, counts: _Counts) -> None:
    for directive in directives or ():
        counts.directives += 1
        counts.arguments += len(directive.arguments or ())


def _field_type(parent: GraphQLNamedType | None, name: str) -> GraphQLNamedType | None:
    if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return None
    field = parent.fields.get(name)
    return get_named_type(field.type) if field is not None else None


def variable_usages(document: DocumentNode) -> dict[str, str]:
    """Where each variable is used: the argument or input field it is given to (its first
    use), so that a refusal names what the client knows (`documentIds`, not `$ids`)."""
    usages: dict[str, str] = {}
    values: list[tuple[str, ValueNode]] = []
    stack = [
        d.selection_set for d in document.definitions if isinstance(d, ExecutableDefinitionNode)
    ]
    while stack:
        for selection in stack.pop().selections:
            arguments = list(getattr(selection, "arguments", None) or ())
            for directive in selection.directives or ():
                arguments += directive.arguments or ()
            values += [(argument.name.value, argument.value) for argument in arguments]
            nested = getattr(selection, "selection_set", None)
            if nested is not None:
                stack.append(nested)
    while values:
        name, value = values.pop()
        if isinstance(value, VariableNode):
            usages.setdefault(value.name.value, name)
        elif isinstance(value, ObjectValueNode):
            values += [(field.name.value, field.value) for field in value.fields]
        elif isinstance(value, ListValueNode):
            values += [(name, item) for item in value.values]
    return usages


def variable_refusals(variables: Any, usages: Mapping[str, str]) -> list[GraphQLError]:
    """Variable values too many to coerce: a list longer than MAX_LIST_ITEMS, or more than
    MAX_VARIABLE_VALUES values in all. Visits at most MAX_VARIABLE_VALUES values (a list's
    length is read before its items), so a huge list costs nothing more. `usages`
    (variable_usages) names the field a variable is given to."""
    if not isinstance(variables, dict):
        return []
    count = 0
    stack: list[tuple[str, dict[str, Any] | list[Any]]] = [("", variables)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, list) and len(value) > MAX_LIST_ITEMS:
            return [refusal(
                f"`{where}` holds {len(value)} values; a list holds at most {MAX_LIST_ITEMS} "
                "(and the argument's own limit, in its description, may be lower)",
                field=where,
            )]  # fmt: skip
        count += len(value)
        if count > MAX_VARIABLE_VALUES:
            return [refusal(
                f"the variables hold more than {MAX_VARIABLE_VALUES} values in all (lists, "
                "objects and what they hold)"
            )]  # fmt: skip
        if isinstance(value, dict):
            named = [(usages.get(k, k) if value is variables else k, v) for k, v in value.items()]
        else:
            named = [(where, v) for v in value]
        stack += [(k, v) for k, v in named if isinstance(v, dict | list)]
    return []
