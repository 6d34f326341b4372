"""A plan of one operation: for every selection and object type, the fields in response
order, each with how its value is read and how it is completed.

Planning does once what graphql-core does for every object of every request: collect
the fields of a selection set (fragments, inline fragments, `@include`/`@skip` decided
by the variables they name), look up each field's definition, coerce the arguments
written as literals, and walk the return type. The plan depends on the schema, the
document, the operation and the values of the variables that `@include`/`@skip` read,
and on nothing else, so it serves every request that agrees on those (`plan_cache`).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    ListValueNode,
    ObjectValueNode,
    SchemaMetaFieldDef,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    ValueNode,
    VariableNode,
    is_leaf_type,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import (
    CollectedFields,
    FieldDetailsList,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import get_argument_values

from gateway.execution.attribute_reads import plain_attribute
from gateway.execution.compiled import compiled
from gateway.execution.completion import (
    Completion,
    LeafCompletion,
    ListCompletion,
    NonNullCompletion,
    NoValue,
    ObjectCompletion,
)
from gateway.execution.resolver_calls import CONTEXT_ONLY, direct_resolver


class Unplannable(Exception):
    """What the planner leaves to graphql-core; the message says what."""


class FieldPlan:
    """One response key of a selection: the field, its nodes, how its value is read
    (`kind`) and completed, and its arguments when they are all literals."""

    TYPENAME = 0  # `__typename`: the parent type's name
    ATTRIBUTE = 1  # a plain attribute of the source (`attribute_reads`)
    RESOLVER = 2  # the field's resolver, with a resolve info, as graphql-core calls it

    __slots__ = (
        "arguments",
        "attribute",
        "completion",
        "definition",
        "details",
        "key",
        "kind",
        "leaf",
        "name",
        "nodes",
        "parent",
        "context_only",
        "resolve",
        "unchanged",
    )

    def __init__(
        self,
        key: str,
        parent: GraphQLObjectType,
        definition: GraphQLField,
        details: FieldDetailsList,
        attribute: str | None,
        resolve: Any,
        arguments: dict[str, Any] | None,
        completion: Completion,
    ) -> None:
        self.key = key
        self.parent = parent
        self.definition = definition
        self.details = details
        self.nodes: list[FieldNode] = [d.node for d in details]
        self.name = self.nodes[0].name.value
        self.attribute = attribute
        self.resolve = resolve
        """The field's resolver, or the direct call that stands for it (`resolver_calls`)."""
        self.context_only = resolve in CONTEXT_ONLY
        """The resolver reads only the context of its resolve info (`resolver_calls`)."""
        self.arguments = arguments
        """Coerced once when every argument is a literal; None: coerced on each run."""
        self.completion = completion
        self.leaf = isinstance(completion, LeafCompletion)
        """Completed without a path: a path is made only for an error."""
        plain = completion.plain if isinstance(completion, LeafCompletion) else None
        self.unchanged: type = plain if plain is str or plain is bool else NoValue
        """The class whose values the field's completion hands back as they are (a string
        or boolean scalar): the executor does not call the completion for them."""
        if definition is TypeNameMetaFieldDef:
            self.kind = FieldPlan.TYPENAME
        elif attribute is not None:
            self.kind = FieldPlan.ATTRIBUTE
        else:
            self.kind = FieldPlan.RESOLVER


class SelectionPlan:
    """The fields of one selection set on one object type, in response order, and the
    function that runs them (`compiled`)."""

    __slots__ = ("compiled", "fields", "type")

    def __init__(self, type_: GraphQLObjectType, fields: tuple[FieldPlan, ...]) -> None:
        self.type = type_
        self.fields = fields
        self.compiled = compiled(self)


def plan_operation(executor: Executor) -> SelectionPlan:
    """The plan of the executor's operation (a query), or `Unplannable`."""
    schema = executor.schema
    if schema.get_directive("defer") or schema.get_directive("stream"):
        raise Unplannable("a schema with @defer or @stream")
    root = schema.query_type
    assert root is not None
    collected = collect_fields(
        schema,
        executor.fragments,
        executor.variable_values,
        root,
        executor.operation,
        executor.hide_suggestions,
    )
    return Planner(executor).selection(root, collected)


class Planner:
    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def selection(self, parent: GraphQLObjectType, collected: CollectedFields) -> SelectionPlan:
        if collected.new_defer_usages:
            raise Unplannable("@defer")
        fields = []
        for key, details in collected.grouped_field_set.items():
            node = details[0].node
            definition = self.executor.schema.get_field(parent, node.name.value)
            if definition is None:
                continue  # graphql-core leaves it out of the response too
            if definition is SchemaMetaFieldDef or definition is TypeMetaFieldDef:
                raise Unplannable("introspection")
            if any(d.fragment_variable_values is not None for d in details):
                raise Unplannable("fragment arguments")
            attribute = plain_attribute(definition) if not node.arguments else None
            resolve = None if attribute else direct_resolver(definition) or definition.resolve
            fields.append(
                FieldPlan(
                    key,
                    parent,
                    definition,
                    details,
                    attribute,
                    resolve,
                    self.literal_arguments(definition, node),
                    self.completion(definition.type, parent, node.name.value, details),
                )
            )
        return SelectionPlan(parent, tuple(fields))

    def literal_arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any] | None:
        """The coerced arguments when none names a variable, else None. A literal that
        does not coerce is left to each run, which fails as graphql-core does."""
        if not definition.args and not node.arguments:
            return {}
        if any(names_variable(argument.value) for argument in node.arguments or ()):
            return None
        try:
            return get_argument_values(definition, node, None, None, self.executor.hide_suggestions)
        except Exception:  # noqa: BLE001 - see the docstring
            return None

    def completion(
        self,
        type_: GraphQLOutputType,
        parent: GraphQLObjectType,
        field_name: str,
        details: FieldDetailsList,
    ) -> Completion:
        if isinstance(type_, GraphQLNonNull):
            message = f"Cannot return null for non-nullable field {parent.name}.{field_name}."
            if is_leaf_type(type_.of_type):
                return LeafCompletion(type_, type_.of_type, message)
            inner = self.completion(type_.of_type, parent, field_name, details)
            return NonNullCompletion(type_, inner, message)
        if isinstance(type_, GraphQLList):
            return ListCompletion(
                type_,
                self.completion(type_.of_type, parent, field_name, details),
                f"Expected Iterable, but did not find one for field '{parent.name}.{field_name}'.",
            )
        if is_leaf_type(type_):
            return LeafCompletion(type_, type_)
        if isinstance(type_, GraphQLObjectType) and type_.is_type_of is None:
            executor = self.executor
            collected = collect_subfields(
                executor.schema,
                executor.fragments,
                executor.variable_values,
                executor.operation,
                type_,
                details,
                executor.hide_suggestions,
            )
            return ObjectCompletion(type_, self.selection(type_, collected))
        raise Unplannable("an interface, a union or an object type with is_type_of")


def names_variable(value: ValueNode) -> bool:
    """Whether an argument's value is, or holds, a variable."""
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(names_variable(item) for item in value.values)
    if isinstance(value, ObjectValueNode):
        return any(names_variable(field.value) for field in value.fields)
    return False
