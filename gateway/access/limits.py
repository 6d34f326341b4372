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

`check` compares a shape with a caller's `QueryLimits`, and `QueryLimitsExtension` runs
both at the start of validation, so a refused query reaches neither validation nor any
resolver.
"""

from __future__ import annotations

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

DEFAULT_FIRST = 50
"""A Connection's size when `first` is missing or null (the resolvers' default page)."""

MAX_FIRST = 500
"""The largest page the resolvers serve; a larger `first` counts as this."""

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

_INTROSPECTION = frozenset({"__schema", "__type"})

LimitName = Literal["depth", "aliases", "cost"]


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int
    max_aliases: int
    max_cost: int


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
                    cost += self._size(selection, parent, name, field, field_type) * (1 + sub_cost)
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
            return self._first(node, field)
        if parent.name.endswith("Connection") and name == "edges":
            return 1
        field_type_wrapped = field.type
        if isinstance(field_type_wrapped, GraphQLNonNull):
            field_type_wrapped = field_type_wrapped.of_type
        if isinstance(field_type_wrapped, GraphQLList):
            return LIST_SIZES.get(f"{parent.name}.{name}", DEFAULT_LIST_SIZE)
        return 1

    def _first(self, node: FieldNode, field: GraphQLField) -> int:
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
            value = DEFAULT_FIRST
        return min(max(value, 0), MAX_FIRST)

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


def check(shape: QueryShape, limits: QueryLimits, role: str) -> GraphQLError | None:
    """None when `shape` is within `limits`, else the error for the first limit exceeded,
    in the order depth, aliases, cost."""
    measured: tuple[tuple[LimitName, int, int], ...] = (
        ("depth", shape.depth, limits.max_depth),
        ("aliases", shape.aliases, limits.max_aliases),
        ("cost", shape.cost, limits.max_cost),
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


class QueryLimitsExtension(SchemaExtension):
    """Refuses a query over the caller's limits before validation and execution.

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
            shape = measure(
                execution_context.schema._schema,
                document,
                execution_context.operation_name,
                execution_context.variables,
            )
            error = check(shape, limits, str(role))
            if error is not None:
                execution_context.pre_execution_errors = [error]
        yield
