"""Query limits: refuse a hostile query before validation and execution, in linear time.

`measure` walks the operation that will run (the one named, else the document's first, as
strawberry picks it) with the schema's types and returns its `QueryShape`:

* **depth**: the deepest field nesting, fragments expanded. Root fields are depth 1.
  `__typename`, `__schema` and `__type` add no depth (nor does anything under the last two).
* **aliases**: aliased fields, counting every expansion of a fragment: a fragment spread
  3 times that holds 10 aliases counts 30. Aliases under introspection fields count too.
* **cost**: an estimate of how many objects the response can hold.

Cost model. Every field has a *multiplier*: its parent's multiplier times its own *list
size* (root fields have parent multiplier 1). A field whose named type is an object,
interface or union costs its multiplier; scalar and enum fields cost 0. List sizes:

* a field returning a Connection (its type's name ends with "Connection") has the size of
  its `first` argument: a literal, or a variable from the request (else the variable's
  default); missing, null or not an integer counts 50, more than 500 counts 500 (the
  resolvers cap `first` there), a negative value counts 0 (the resolver refuses it);
* the Connection's `edges` (and so the edge's `node`) have size 1;
* a statistics field (its type's name ends with "Stats" and it takes `first`) has the size
  of its `first` (missing or null: 1,000; more than 10,000 counts 10,000), and its
  `groups` size 1; its groups, keys and measures (types ending in Group or Key, MoneyStats,
  IntStats) cost nothing of their own, so the field costs its `first` plus `first` for
  each record its keys name (the contract's "its first plus the records its keys name");
* other list fields use `LIST_SIZES`, keyed by "Type.field", else `DEFAULT_LIST_SIZE` (20);
* every other field has size 1.

So `{ employees(first: 100) { edges { node { subordinates { name } } } } }` costs
100 (employees) + 100 (edges) + 100 (node) + 100 * 10 (subordinates) = 1,300.

Unknown operations, fields and types (the document is not validated yet) add depth and
aliases but cost nothing themselves; the selections under an unknown or scalar field are
costed at the parent's multiplier. Introspection (`__schema`, `__type`) costs nothing.

Linear time. A field's cost is its multiplier times a quantity that does not depend on the
multiplier, so every selection set is measured once at multiplier 1 and scaled. A named
fragment is measured once, on its type condition, and memoised as (depth, aliases,
cost at multiplier 1): a spread adds the memo, so a fragment bomb (F0 spreads F1 twice,
F1 spreads F2 twice, ...) takes time linear in the document while its counts grow
exponentially; Python ints do not overflow. A spread of a fragment that is still being
measured (a cycle, which validation refuses anyway) adds nothing. The walk recurses once
per nesting level (selection sets and fragments); past `MAX_NESTING` levels it stops
descending and reports the depth as `MAX_NESTING + 1`.

What validation costs. graphql-core validates every definition of the document, not only
the operation that runs, and its "overlapping fields can be merged" rule compares fields
pair by pair: 1,200 copies of `me { nip }` fit in 5,000 tokens and cost a second of CPU on
the event loop. `measure_document` counts the document's `DocumentShape` over every
operation and every fragment no operation spreads, each spread expanded as validation
compares it:

* **selections**: fields, `__typename` and introspection fields included; a fragment
  spread 3 times that holds 10 fields counts 30.
* **overlaps**: the pairs that rule compares, weighted. In each selection set, with inline
  fragments and spread fragments merged in as validation merges them, two fields with the
  same response name weigh the product of their *sizes* (1 plus the fields and spreads
  beneath, fragments expanded: comparing two fields compares all that); two spreads weigh
  1; a spread weighs 1 for each field of the selection set it is spread into, its own
  included. A fragment's own pairs count at each of its spreads.

So 1,200 copies of `me { nip }` hold 2,400 selections and overlap by 1,200 * 1,199 / 2
pairs of size 2 * 2: 2,877,600. Validation time grows with the selections and, through
this rule, with the overlaps; `bench/validation_cost.py` builds the worst documents the
defaults accept and times them. The rest of validation is linear in the document, which
the parser's token limit bounds.

Linear time, as for the operation: a named fragment is walked once and memoised as a
summary (its counts, and at its top level the total size of its fields per response name);
a spread merges the summary into the selection set around it, one step per response name.
Past `MAX_MERGED_NAMES` steps in a document a spread's fields are taken to share a name
with every field beside them, which can only count more. Past `MAX_NESTING` levels the walk
stops descending, at the very nesting where graphql-core's validation gives up too, and the
document counts as `MAX_NESTING + 1` deep whichever operation runs.

`check` compares both shapes with a caller's `QueryLimits`, in a fixed order: the
operation's depth, aliases and cost, then the document's selections and overlaps; the first
limit exceeded is the one reported. `QueryLimitsExtension` measures and checks at the start
of validation, so a refused query reaches neither validation nor any resolver.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from graphql import (
    DocumentNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from connectors.stats import DEFAULT_GROUPS, MAX_GROUPS
from gateway.cursors import DEFAULT_FIRST, MAX_FIRST
from gateway.document_memo import DocumentMemo

DEFAULT_LIST_SIZE = 20
"""The estimated length of a list field that `LIST_SIZES` does not name."""

LIST_SIZES: Mapping[str, int] = {
    "Query.departments": 60,
    "Query.sources": 2,
    "Query.dataIssues": 200,
    "Department.units": 10,
    "Employee.subordinates": 10,
    "Employee.activities": 40,
    "Employee.financeRoles": 4,
    "PaymentRequest.history": 6,
    "Allowance.paymentRequests": 3,
}
"""Estimated lengths of the schema's plain (not Connection) list fields, by "Type.field"."""

MAX_NESTING = 200
"""Selection sets and fragments nested deeper than this are not descended into."""

DEFAULT_MAX_SELECTIONS = 500
"""Field selections a document may hold (`SMARTGATE_MAX_SELECTIONS`): twice GraphiQL's
introspection query (230); 500 selections of any shape validate in about 40 ms at most."""

DEFAULT_MAX_OVERLAPS = 5_000
"""How much a document's fields may overlap (`SMARTGATE_MAX_OVERLAPS`): about 20 ms of
validation at most, where real queries overlap by nothing or a few dozen."""

MAX_MERGED_NAMES = 100_000
"""Response names merged from fragment summaries per document; past them a spread counts as
overlapping every field beside it."""

_INTROSPECTION = frozenset({"__schema", "__type"})

LimitName = Literal["depth", "aliases", "cost", "selections", "overlaps"]


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int
    max_aliases: int
    max_cost: int
    max_selections: int = DEFAULT_MAX_SELECTIONS
    max_overlaps: int = DEFAULT_MAX_OVERLAPS


@dataclass(frozen=True, slots=True)
class QueryShape:
    depth: int
    """Deepest field nesting of the operation, fragments expanded; root fields are 1."""
    aliases: int
    """Aliased fields of the operation, counting every expansion of a fragment."""
    cost: int
    """The sum of the multipliers of its object fields; see the module docstring."""


# (depth, aliases, cost at multiplier 1) of a selection set or fragment.
_Tally = tuple[int, int, int]


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> QueryShape:
    """The shape of the operation `operation_name` (the first one when None) of `document`.
    Never raises: unknown operations measure as zero, unknown fields as described above."""
    operation: OperationDefinitionNode | None = None
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation is None and (
                operation_name is None
                or (definition.name is not None and definition.name.value == operation_name)
            ):
                operation = definition
        elif isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)
    if operation is None:
        return QueryShape(0, 0, 0)

    root: GraphQLNamedType | None = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }.get(operation.operation)
    walker = _Walker(schema, fragments, operation, variables or {})
    depth, aliases, cost = walker.selection_set(operation.selection_set, root, 1)
    if walker.truncated:
        depth = max(depth, MAX_NESTING + 1)
    return QueryShape(depth, aliases, cost)


class _Walker:
    """Measures the selection sets of one operation; memoises its named fragments."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.variable_defaults: dict[str, ValueNode] = {
            d.variable.name.value: d.default_value
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        self.memo: dict[str, _Tally] = {}
        self.in_progress: set[str] = set()
        self.truncated = False

    def selection_set(
        self, node: SelectionSetNode | None, parent: GraphQLNamedType | None, level: int
    ) -> _Tally:
        if node is None:
            return 0, 0, 0
        if level > MAX_NESTING:
            self.truncated = True
            return 0, 0, 0
        depth = aliases = cost = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if selection.alias is not None:
                    aliases += 1
                if name == "__typename":
                    continue
                if name in _INTROSPECTION:
                    aliases += self.selection_set(selection.selection_set, None, level + 1)[1]
                    continue
                field = (
                    parent.fields.get(name)
                    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType))
                    else None
                )
                field_type = get_named_type(field.type) if field is not None else None
                composite = isinstance(
                    field_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)
                )
                sub_depth, sub_aliases, sub_cost = self.selection_set(
                    selection.selection_set, field_type if composite else None, level + 1
                )
                depth = max(depth, 1 + sub_depth)
                aliases += sub_aliases
                if composite and parent is not None and field is not None and field_type:
                    own = 0 if _shapes_statistics(field_type.name) else 1
                    cost += self._size(selection, parent, name, field, field_type) * (
                        own + sub_cost
                    )
                else:
                    cost += sub_cost
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition is not None
                    else parent
                )
                sub = self.selection_set(selection.selection_set, condition, level + 1)
                depth = max(depth, sub[0])
                aliases += sub[1]
                cost += sub[2]
            elif isinstance(selection, FragmentSpreadNode):
                sub = self._fragment(selection.name.value, level + 1)
                depth = max(depth, sub[0])
                aliases += sub[1]
                cost += sub[2]
        return depth, aliases, cost

    def _fragment(self, name: str, level: int) -> _Tally:
        tally = self.memo.get(name)
        if tally is not None:
            return tally
        fragment = self.fragments.get(name)
        if fragment is None or name in self.in_progress:
            return 0, 0, 0
        self.in_progress.add(name)
        condition = self.schema.get_type(fragment.type_condition.name.value)
        tally = self.selection_set(fragment.selection_set, condition, level)
        self.in_progress.discard(name)
        self.memo[name] = tally
        return tally

    def _size(
        self,
        node: FieldNode,
        parent: GraphQLNamedType,
        name: str,
        field: GraphQLField,
        field_type: GraphQLNamedType,
    ) -> int:
        """The field's list size: how many times its selections repeat per parent object."""
        if field_type.name.endswith("Connection"):
            return self._first(node, field, DEFAULT_FIRST, MAX_FIRST)
        if parent.name.endswith("Connection") and name == "edges":
            return 1
        if field_type.name.endswith("Stats") and "first" in field.args:
            # statistics: their groups, each with its key's records, count `first` times
            return self._first(node, field, DEFAULT_GROUPS, MAX_GROUPS)
        if parent.name.endswith("Stats") and name == "groups":
            return 1
        field_type_wrapped = field.type
        if isinstance(field_type_wrapped, GraphQLNonNull):
            field_type_wrapped = field_type_wrapped.of_type
        if isinstance(field_type_wrapped, GraphQLList):
            return LIST_SIZES.get(f"{parent.name}.{name}", DEFAULT_LIST_SIZE)
        return 1

    def _first(self, node: FieldNode, field: GraphQLField, default: int, maximum: int) -> int:
        value: Any = None
        for argument in node.arguments or ():
            if argument.name.value == "first":
                value = self._value(argument.value)
                break
        else:
            definition = field.args.get("first")
            if definition is not None:
                value = definition.default_value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            value = default
        return min(max(value, 0), maximum)

    def _value(self, node: ValueNode) -> Any:
        """The value of an argument literal or variable, when it may be an integer."""
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                return self.variables[name]
            default = self.variable_defaults.get(name)
            if default is None or isinstance(default, VariableNode):
                return None
            return self._value(default)
        if isinstance(node, IntValueNode | FloatValueNode):
            try:
                return int(node.value) if isinstance(node, IntValueNode) else float(node.value)
            except ValueError:
                return None
        return None


@dataclass(frozen=True, slots=True)
class DocumentShape:
    selections: int
    """Field selections of every definition, fragments expanded; see the module docstring."""
    overlaps: int
    """The weighted pairs validation compares; see the module docstring."""
    too_deep: bool = False
    """Whether selection sets and fragments nest deeper than `MAX_NESTING` somewhere."""


def measure_document(document: DocumentNode) -> DocumentShape:
    """What validating `document` compares, over every operation and every fragment no
    operation spreads (a second definition of a name included). Never raises."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)
    walker = _DocumentWalker(fragments)
    levels = [
        walker.selection_set(definition.selection_set, 1)
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    for definition in document.definitions:
        if not isinstance(definition, FragmentDefinitionNode):
            continue
        name = definition.name.value
        if fragments[name] is not definition:
            levels.append(walker.selection_set(definition.selection_set, 1))
        elif name not in walker.memo:
            levels.append(walker.fragment(name, 1) or _Level())
    return DocumentShape(
        selections=sum(level.selections for level in levels),
        overlaps=sum(level.overlaps + level.spread_pairs() for level in levels),
        too_deep=walker.truncated,
    )


@dataclass(slots=True)
class _Level:
    """One selection set as validation compares it: inline fragments and the top levels of
    spread fragments merged in; everything beneath counted, fragments expanded."""

    selections: int = 0
    """Fields here and beneath."""
    size: int = 0
    """Fields and spreads here and beneath: what a field holding this set adds to its size."""
    overlaps: int = 0
    """Weighted pairs here and beneath, but for this level's spreads (`spread_pairs`)."""
    fields: int = 0
    """Fields at this level."""
    spreads: int = 0
    """Fragment spreads at this level."""
    weight: int = 0
    """The total size of the fields at this level."""
    weights: dict[str, int] = dataclasses.field(default_factory=dict)
    """The total size of the fields at this level, by response name."""
    unnamed: int = 0
    """The part of `weight` merged without names: it overlaps every field."""

    def add_field(self, name: str, size: int) -> None:
        self.overlaps += size * (self.weights.get(name, 0) + self.unnamed)
        self.weights[name] = self.weights.get(name, 0) + size
        self.weight += size
        self.selections += 1
        self.size += size
        self.fields += 1

    def add_nested(self, level: _Level) -> None:
        """Counts a field's selection set: its own pairs and its spreads' pairs."""
        self.selections += level.selections
        self.overlaps += level.overlaps + level.spread_pairs()

    def add_spread(self, fragment: _Level | None, by_name: bool) -> None:
        """Merges a spread fragment's top level into this one; by response name, or as
        overlapping every field here."""
        self.spreads += 1
        self.size += 1
        if fragment is None:
            return
        self.selections += fragment.selections
        self.size += fragment.size
        self.overlaps += fragment.overlaps
        self.fields += fragment.fields
        self.spreads += fragment.spreads
        if by_name and not fragment.unnamed:
            for name, weight in fragment.weights.items():
                self.overlaps += weight * (self.weights.get(name, 0) + self.unnamed)
                self.weights[name] = self.weights.get(name, 0) + weight
        else:
            self.overlaps += fragment.weight * self.weight
            self.unnamed += fragment.weight
        self.weight += fragment.weight

    def spread_pairs(self) -> int:
        """This level's spreads, compared with each other and with its fields."""
        return self.spreads * (self.spreads - 1) // 2 + self.spreads * self.fields


class _DocumentWalker:
    """Counts the selection sets of a document; memoises its named fragments."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, _Level] = {}
        self.in_progress: set[str] = set()
        self.merged_names = 0
        self.truncated = False

    def selection_set(self, node: SelectionSetNode, level: int) -> _Level:
        counted = _Level()
        self._collect(node, counted, level)
        return counted

    def _collect(self, node: SelectionSetNode, into: _Level, level: int) -> None:
        if level > MAX_NESTING:
            self.truncated = True
            return
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                size = 1
                if selection.selection_set is not None:
                    nested = self.selection_set(selection.selection_set, level + 1)
                    into.add_nested(nested)
                    size += nested.size
                into.add_field((selection.alias or selection.name).value, size)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, into, level + 1)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragment(selection.name.value, level + 1)
                by_name = False
                if fragment is not None and (
                    self.merged_names + len(fragment.weights) <= MAX_MERGED_NAMES
                ):
                    self.merged_names += len(fragment.weights)
                    by_name = True
                into.add_spread(fragment, by_name)

    def fragment(self, name: str, level: int) -> _Level | None:
        counted = self.memo.get(name)
        if counted is not None:
            return counted
        fragment = self.fragments.get(name)
        if fragment is None or name in self.in_progress:
            return None
        self.in_progress.add(name)
        counted = self.selection_set(fragment.selection_set, level)
        self.in_progress.discard(name)
        self.memo[name] = counted
        return counted


def _shapes_statistics(type_name: str) -> bool:
    """A statistics field's groups, keys and measures: they cost nothing of their own (the
    field costs its `first`, and each record a key names counts `first` times more)."""
    return type_name.endswith(("Group", "Key")) or type_name in ("MoneyStats", "IntStats")


class QueryRefused(GraphQLError):
    """A query over one of the caller's limits; `extensions` say which and by how much."""

    def __init__(self, limit: LimitName, allowed: int, actual: int, role: str) -> None:
        over = _number(actual - allowed)
        if limit == "depth":
            message = (
                f"query depth {_number(actual)} exceeds the limit of {_number(allowed)} by {over}"
            )
        elif limit == "aliases":
            message = f"{_number(actual)} aliases exceed the limit of {_number(allowed)} by {over}"
        elif limit == "selections":
            message = (
                f"{_number(actual)} field selections exceed the limit of {_number(allowed)} "
                f"by {over}"
            )
        elif limit == "overlaps":
            message = (
                f"field overlaps {_number(actual)} exceed the limit of {_number(allowed)} "
                f"by {over} (fields that share a response name in one selection set, and "
                "fragments spread side by side, are compared pair by pair: select each field "
                "once)"
            )
        else:
            message = (
                f"query cost {_number(actual)} exceeds the {role} limit of "
                f"{_number(allowed)} by {over} "
                "(cost multiplies list sizes: lower `first` or select fewer nested lists)"
            )
        super().__init__(
            message,
            extensions={
                "code": "QUERY_TOO_COMPLEX",
                "limit": limit,
                "allowed": allowed,
                "actual": actual if _printable(actual) else _number(actual),
            },
        )


def check(
    shape: QueryShape, limits: QueryLimits, role: str, document: DocumentShape | None = None
) -> GraphQLError | None:
    """None when `shape` (and `document`, when given) is within `limits`, else the error for
    the first limit exceeded, in the order depth, aliases, cost, selections, overlaps. A
    document nesting deeper than `MAX_NESTING` has depth `MAX_NESTING + 1`."""
    depth = shape.depth
    if document is not None and document.too_deep:
        depth = max(depth, MAX_NESTING + 1)
    measured: tuple[tuple[LimitName, int, int], ...] = (
        ("depth", depth, limits.max_depth),
        ("aliases", shape.aliases, limits.max_aliases),
        ("cost", shape.cost, limits.max_cost),
    )
    if document is not None:
        measured += (
            ("selections", document.selections, limits.max_selections),
            ("overlaps", document.overlaps, limits.max_overlaps),
        )
    for limit, actual, allowed in measured:
        if actual > allowed:
            return QueryRefused(limit, allowed, actual, role)
    return None


def _printable(n: int) -> bool:
    """Whether `n` converts to decimal well within Python's 4,300-digit limit."""
    return n.bit_length() <= 4096


def _number(n: int) -> str:
    """`n` with thousands separators; an astronomically large `n` by its order."""
    if _printable(n):
        return f"{n:,}"
    return f"more than 10^{math.floor((n.bit_length() - 1) * math.log10(2)):,}"


SHAPES: DocumentMemo[tuple[QueryShape, DocumentShape]] = DocumentMemo(maxsize=512)
"""The shapes of operations sent without variables, kept for the same document sent again
(the parser cache's size times two operation names)."""


def shapes_of(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> tuple[QueryShape, DocumentShape]:
    """The operation's `measure` and the document's `measure_document`; kept in `SHAPES`
    when no variables are given, on which alone they depend besides the document."""

    def shapes() -> tuple[QueryShape, DocumentShape]:
        return measure(schema, document, operation_name, variables), measure_document(document)

    if variables:
        return shapes()
    return SHAPES.get(schema, document, operation_name, shapes)


class QueryLimitsExtension(SchemaExtension):
    """Refuses a query over the caller's limits before validation and execution; the
    document's selections and overlaps are measured whichever operation runs.

    The request context supplies `query_limits` (a `QueryLimits`; none, no check) and the
    role name the cost message quotes (`limits_role`, else `caller_role_name`)."""

    def on_validate(self) -> Iterator[None]:
        execution_context = self.execution_context
        context = execution_context.context
        limits = getattr(context, "query_limits", None)
        document = execution_context.graphql_document
        if isinstance(limits, QueryLimits) and document is not None:
            role = (
                getattr(context, "limits_role", None)
                or getattr(context, "caller_role_name", None)
                or "ANONYMOUS"
            )
            shape, document_shape = shapes_of(
                execution_context.schema._schema,
                document,
                execution_context.operation_name,
                execution_context.variables,
            )
            error = check(shape, limits, str(role), document_shape)
            if error is not None:
                execution_context.pre_execution_errors = [error]
            if hasattr(context, "operation_cost"):  # what the operation weighs in flight
                context.operation_cost = shape.cost
        yield
