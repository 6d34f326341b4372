"""Which fields are plain attribute reads, proven from the built schema.

strawberry gives a field without a resolver (`number: str`) a resolver of its own,
`_get_basic_result`, that calls `field.get_result(source, info=None, args=[], kwargs={})`,
which for a field without a resolver is `field.default_resolver(source, python_name)`:
`getattr` unless the config says otherwise. graphql-core then builds a resolve info for
it, calls it and asks whether the answer is awaitable. The plan reads the attribute
itself, but only where every link of that chain is the one described here; anything else
(the access guard's wrappers, field extensions, a custom field class or default resolver)
keeps its resolver.
"""

from __future__ import annotations

from graphql import GraphQLField
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

BASIC_RESOLVER = "GraphQLCoreConverter.from_resolver.<locals>._get_basic_result"
"""The qualified name of strawberry's resolver of a field that has none."""


def plain_attribute(field: GraphQLField) -> str | None:
    """The attribute `field` reads from its source, or None when its resolver may do more
    than `getattr(source, attribute)`."""
    resolve = field.resolve
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if resolve is None or not isinstance(definition, StrawberryField):
        return None
    if getattr(resolve, "__qualname__", None) != BASIC_RESOLVER:
        return None
    code = getattr(resolve, "__code__", None)
    cells = getattr(resolve, "__closure__", None) or ()
    bound = dict(zip(code.co_freevars, cells, strict=True)) if code else {}
    if "field" not in bound or bound["field"].cell_contents is not definition:
        return None  # strawberry's getter, but of another field than this one
    if type(definition).get_result is not StrawberryField.get_result:
        return None
    if definition.base_resolver is not None or definition.extensions:
        return None
    if definition.default_resolver is not getattr:
        return None
    return definition.python_name
