"""Which resolvers can be called without strawberry's wrapper, proven from the built schema.

For a field with a resolver function, strawberry gives graphql-core a resolver of its own
(`_resolver`, or `_async_resolver` for a coroutine function) that, on every call, makes a
strawberry `Info`, converts the arguments (`get_arguments`), finds which of the
function's parameters want the source and the info, chains the field's extensions and
calls `field.get_result`, which calls the function; `_async_resolver` adds two coroutines
around it. For a field without extensions or exception handlers all of that but the
`Info`, the conversion of each argument given and the call is decided by the schema alone,
so the plan decides it once: `direct_resolver` gives a function that passes the source,
the arguments converted by strawberry's own `convert_argument` and, when asked for, the
same `Info`, to the same function. Its coroutine, when it has one, is awaited where
strawberry's would have been (a coroutine does nothing until awaited), so DataLoader
batches fill on the same ticks.

A field the access guard wraps keeps its guard: the same guard, around the direct call
(`gateway.access.guard.guarded_again`). Anything this module cannot prove keeps
strawberry's resolver.

A resolver function that takes no info reads nothing of the resolve info but its context
(the guard's only read), so the planned engine gives it the context alone (`CONTEXT_ONLY`)
rather than a resolve info and a strawberry `Info` made for each call. So does one that
takes an info but is marked `reads_only_context`: it reads `info.context` and nothing
else, nor do the functions it hands `info` to (an employee's supervisor, allowance and
finance roles, read for every employee of a page).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from graphql import GraphQLField, GraphQLResolveInfo
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryMaybe, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

from gateway.access.guard import guarded_again, unguarded

Resolver = Callable[..., Any]
F = TypeVar("F", bound=Resolver)

WRAPPERS = frozenset(
    {
        "GraphQLCoreConverter.from_resolver.<locals>._resolver",
        "GraphQLCoreConverter.from_resolver.<locals>._async_resolver",
    }
)
"""The qualified names of strawberry's resolvers of a field with a resolver function."""


def direct_resolver(field: GraphQLField) -> Resolver | None:
    """A resolver for `field` that calls its function directly, with its guard if it has
    one; None when strawberry's resolver may do more than described above."""
    resolve = field.resolve
    if resolve is None:
        return None
    inner = unguarded(resolve)
    direct = _direct_call(field, inner)
    if direct is None:
        return None
    if inner is resolve:
        return direct
    guarded = guarded_again(resolve, direct)
    if direct in CONTEXT_ONLY:
        CONTEXT_ONLY.add(guarded)  # the guard reads only `info.context`
    return guarded


CONTEXT_ONLY: weakref.WeakSet[Resolver] = weakref.WeakSet()
"""Direct calls that read nothing of the resolve info but its `context` (their function
takes no info or is marked `reads_only_context`; a guard around one reads only the
context): the planned engine gives them an object with the operation's context alone
(`executor.ContextOnly`) instead of a resolve info made per call."""

_READS_ONLY_CONTEXT: weakref.WeakSet[Resolver] = weakref.WeakSet()


def reads_only_context(function: F) -> F:
    """Marks a resolver function that reads nothing of its `info` but `info.context`, and
    hands `info` only to functions that do the same: under the planned engine its `info`
    is the operation's context alone, which has no other attribute. Put it below
    `@strawberry.field`. A read of anything else fails with AttributeError, which the
    suite's runs of every query through both engines show (`tests.conftest.Reference`)."""
    _READS_ONLY_CONTEXT.add(function)
    return function


def _direct_call(field: GraphQLField, wrapper: Resolver) -> Resolver | None:
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField):
        return None
    if getattr(wrapper, "__qualname__", None) not in WRAPPERS:
        return None
    wrapper_cells = _cells(wrapper)
    if wrapper_cells.get("field_exception_handlers"):
        return None
    make_info = wrapper_cells.get("_strawberry_info_from_graphql")
    if make_info is None or not _holds(make_info, "field", definition):
        return None  # strawberry's wrapper, but of another field than this one
    converter = _cells(make_info).get("self")
    if not isinstance(converter, GraphQLCoreConverter):
        return None
    resolver = definition.base_resolver
    if resolver is None or definition.extensions:
        return None
    if type(definition).get_result is not StrawberryField.get_result:
        return None
    if type(resolver).__call__ is not StrawberryResolver.__call__:
        return None
    function = resolver.wrapped_func
    if not callable(function):
        return None
    if definition.arguments:
        return _with_arguments(function, resolver, make_info, definition, converter)
    return _caller(function, resolver, make_info)


def _with_arguments(
    function: Resolver,
    resolver: StrawberryResolver[Any],
    make_info: Resolver,
    definition: StrawberryField,
    converter: GraphQLCoreConverter,
) -> Resolver:
    """`get_arguments`' conversion of each argument given (`convert_argument`, with the
    same `Info`), its GraphQL name found once rather than on every call."""
    config, registry = converter.config, converter.scalar_registry
    as_is: list[tuple[str, str]] = []
    arguments: list[tuple[str, str, Any]] = []  # converted on each call
    for a in definition.arguments:
        name = config.name_converter.from_argument(a)
        if _given_as_is(a.type, registry):
            as_is.append((name, a.python_name))
        else:
            arguments.append((name, a.python_name, a.type))
    takes_self = resolver.self_parameter is not None
    as_source = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    if takes_self and not as_source and not arguments and function in _READS_ONLY_CONTEXT:
        return _with_context_and_arguments(function, as_is, info_name)

    def with_arguments(source: Any, info: GraphQLResolveInfo, **given: Any) -> Any:
        strawberry_info = make_info(info)
        keywords = _as_given(as_is, given)
        for name, python_name, type_ in arguments:
            if name in given:
                keywords[python_name] = convert_argument(
                    value=given[name],
                    type_=type_,
                    config=config,
                    scalar_registry=registry,
                    info=strawberry_info,
                    path=(name,),
                )
        for name in as_source:
            keywords[name] = source
        if info_name is not None:
            keywords[info_name] = strawberry_info
        return function(source, **keywords) if takes_self else function(**keywords)

    return with_arguments


def _with_context_and_arguments(
    function: Resolver, as_is: list[tuple[str, str]], info_name: str | None
) -> Resolver:
    """A method marked `reads_only_context` whose arguments all pass as they are given:
    called with the context alone for its info (`CONTEXT_ONLY`)."""

    def with_context_and_arguments(source: Any, context_only: Any, **given: Any) -> Any:
        keywords = _as_given(as_is, given)
        if info_name is not None:
            keywords[info_name] = context_only
        return function(source, **keywords)

    CONTEXT_ONLY.add(with_context_and_arguments)
    return with_context_and_arguments


def _as_given(as_is: list[tuple[str, str]], given: dict[str, Any]) -> dict[str, Any]:
    """The arguments given that pass as they are, by their Python names."""
    return {python_name: given[name] for name, python_name in as_is if name in given}


def _given_as_is(type_: object, registry: Any) -> bool:
    """Whether `convert_argument` hands an argument of `type_` back as it is given: a
    scalar (not a relay `GlobalID`, which it decodes), or an optional one (None and UNSET
    pass as they are). Such an argument is passed on without the call: `allowance(period:
    "2026-10")` on every employee of a page made one each."""
    if isinstance(type_, StrawberryMaybe):
        return False
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    return type_ is not GlobalID and is_scalar(type_, registry)


def _caller(function: Resolver, resolver: StrawberryResolver[Any], make_info: Resolver) -> Resolver:
    """The call `get_arguments` and `get_result` would make, decided once."""
    takes_self = resolver.self_parameter is not None
    as_source = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    if takes_self and not as_source and info_name is None:

        def with_self(source: Any, info: GraphQLResolveInfo) -> Any:
            return function(source)

        CONTEXT_ONLY.add(with_self)
        return with_self
    if takes_self and not as_source and info_name is not None and function in _READS_ONLY_CONTEXT:

        def with_self_and_context(source: Any, context_only: Any) -> Any:
            return function(source, **{info_name: context_only})

        CONTEXT_ONLY.add(with_self_and_context)
        return with_self_and_context
    if takes_self and not as_source and info_name is not None:

        def with_self_and_info(source: Any, info: GraphQLResolveInfo) -> Any:
            return function(source, **{info_name: make_info(info)})

        return with_self_and_info

    def with_parameters(source: Any, info: GraphQLResolveInfo) -> Any:
        keywords = dict.fromkeys(as_source, source)
        if info_name is not None:
            keywords[info_name] = make_info(info)
        return function(source, **keywords) if takes_self else function(**keywords)

    return with_parameters


def _holds(function: Resolver, name: str, value: object) -> bool:
    """Whether the closure `function` holds `value` as its variable `name`."""
    return _cells(function).get(name, None) is value


def _cells(function: Resolver) -> dict[str, Any]:
    """The variables a closure holds, by name."""
    code = getattr(function, "__code__", None)
    cells = getattr(function, "__closure__", None) or ()
    if code is None:
        return {}
    try:
        return {
            name: cell.cell_contents for name, cell in zip(code.co_freevars, cells, strict=True)
        }
    except ValueError:  # a cell not yet filled
        return {}
