"""How a field's value is completed by its type, decided once per field of a plan.

graphql-core's `complete_value` asks of every value, at run time, whether its type is
non-null, a list, a leaf, abstract or an object. A plan knows, so each field gets a
chain of completions built for its type. Each mirrors the branch of graphql-core's
`Executor` it replaces, with the same checks in the same order and the same errors;
the rare values a plan does not expect (async iterables, awaitable list items) are
completed by graphql-core's own methods.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from types import CoroutineType, GeneratorType
from typing import TYPE_CHECKING, Any, TypeGuard

from graphql import (
    GraphQLError,
    GraphQLLeafType,
    GraphQLList,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Undefined,
)
from graphql.execution.executor import collect_iterator_awaitables
from graphql.pyutils import Path, is_iterable
from graphql.type.scalars import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    serialize_boolean,
    serialize_id,
    serialize_int,
    serialize_string,
)
from strawberry.schema.schema_converter import CustomGraphQLEnumType

if TYPE_CHECKING:
    from gateway.execution.executor import PlannedExecution
    from gateway.execution.plans import FieldPlan, SelectionPlan

new_path = tuple.__new__
"""`new_path(Path, (prev, key, typename))` is `Path(prev, key, typename)` without the
`__new__` a NamedTuple generates (a lambda around this call): a path is made for every
object and list item of an answer, and this takes two thirds of the time."""

PLAIN_TYPES: set[type] = {str, int, float, bool, type(None), Decimal, datetime, date, dict, list}
"""Types whose values are never awaitable: a value's exact class is looked up here before
`is_awaitable` (strawberry's: several isinstance checks) is asked, which most values pass.
It learns the schema's own classes as their values are met (`learning`)."""

AwaitableCheck = Callable[[Any], TypeGuard[Awaitable[Any]]]

PLAIN_TYPES_KEPT = 4096
"""At most this many classes are learnt: the schema's objects and records are far fewer."""


def learning(is_awaitable: AwaitableCheck) -> AwaitableCheck:
    """`is_awaitable`, noting in `PLAIN_TYPES` the class of a value it finds not awaitable
    when no value of that class can be (`never_awaitable`)."""

    def check(value: Any) -> TypeGuard[Awaitable[Any]]:
        cls = value.__class__
        if cls in PLAIN_TYPES:
            return False
        if is_awaitable(value):
            return True
        if len(PLAIN_TYPES) < PLAIN_TYPES_KEPT and never_awaitable(cls):
            PLAIN_TYPES.add(cls)
        return False

    return check


def never_awaitable(cls: type) -> bool:
    """Whether no instance of `cls` is awaitable as graphql-core's `is_awaitable` decides:
    not a coroutine or generator, and no `__await__` an attribute look-up could find: none
    defined, no `__getattr__`, no `__getattribute__` but a built-in type's. (An instance
    given an `__await__` of its own would not be seen: no value of the schema is.)"""
    if issubclass(cls, (CoroutineType, GeneratorType)):
        return False
    for ancestor in cls.__mro__:
        defined = vars(ancestor)
        if "__await__" in defined or "__getattr__" in defined:
            return False
        if "__getattribute__" in defined and ancestor.__module__ != "builtins":
            return False
    return True


class NoValue:
    """A class no value has (`FieldPlan.unchanged` of a field whose values are completed)."""


PLAIN_VALUES: dict[Any, type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
    serialize_int: int,
}
"""graphql-core's serializers of the built-in scalars, and the type of the values each
returns as they are (an `int` only within 32 bits): a value of exactly that type needs
no call."""


class Completion:
    """Completes a value of `type` (see `graphql.execution.Executor.complete_value`):
    the completed value, or an awaitable of it."""

    __slots__ = ("type",)

    def __init__(self, type_: GraphQLOutputType) -> None:
        self.type = type_

    def complete(
        self,
        run: PlannedExecution,
        field: FieldPlan,
        info: GraphQLResolveInfo | None,
        path: Path,
        value: Any,
    ) -> Any:
        raise NotImplementedError


class NonNullCompletion(Completion):
    __slots__ = ("inner", "message")

    def __init__(self, type_: GraphQLOutputType, inner: Completion, message: str) -> None:
        super().__init__(type_)
        self.inner = inner
        self.message = message

    def complete(
        self,
        run: PlannedExecution,
        field: FieldPlan,
        info: GraphQLResolveInfo | None,
        path: Path,
        value: Any,
    ) -> Any:
        if isinstance(value, Exception):
            raise value
        completed = self.inner.complete(run, field, info, path, value)
        if completed is None:
            raise TypeError(self.message)
        return completed


class LeafCompletion(Completion):
    """A scalar or enum (`leaf`), of `type` non-null when `null_message` is given (the
    non-null wrapper and the leaf in one, as this is every other field of an answer)."""

    __slots__ = ("coerce", "enum", "leaf", "names", "null_message", "plain")

    def __init__(
        self, type_: GraphQLOutputType, leaf: GraphQLLeafType, null_message: str | None = None
    ) -> None:
        super().__init__(type_)
        self.leaf = leaf
        self.coerce = leaf.coerce_output_value
        self.null_message = null_message
        self.plain = PLAIN_VALUES.get(self.coerce)
        """The Python type whose values graphql-core's serializer hands back unchanged."""
        self.enum = leaf.wrapped_cls if isinstance(leaf, CustomGraphQLEnumType) else None
        self.names: dict[int, str] = {}
        """The GraphQL names of the strawberry enum's members seen so far, by the member's
        identity (an enum's `__hash__` is Python code; its members live as long as it):
        strawberry finds one by scanning the enum's values, and a member's name never
        changes."""

    def complete(
        self,
        run: PlannedExecution,
        field: FieldPlan,
        info: GraphQLResolveInfo | None,
        path: Path | None,
        value: Any,
    ) -> Any:
        kind = type(value)
        if kind is self.plain and (kind is not int or GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT):
            return value
        if kind is self.enum:
            name = self.names.get(id(value))
            if name is not None:
                return name
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            if self.null_message is not None:
                raise TypeError(self.null_message)
            return None
        coerced = self.coerce(value)
        if coerced is None or coerced is Undefined:
            # graphql-core's own refusal, with its message (coercion has no side effects)
            return run.complete_leaf_value(self.leaf, value)
        if kind is self.enum:
            self.names[id(value)] = coerced
        return coerced


class ObjectCompletion(Completion):
    """An object type without `is_type_of`: its fields, as planned for this selection."""

    __slots__ = ("selection",)

    def __init__(self, type_: GraphQLOutputType, selection: SelectionPlan) -> None:
        super().__init__(type_)
        self.selection = selection

    def complete(
        self,
        run: PlannedExecution,
        field: FieldPlan,
        info: GraphQLResolveInfo | None,
        path: Path,
        value: Any,
    ) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            return None
        return self.selection.compiled(run, value, path)


class ListCompletion(Completion):
    """Each item completed in turn, awaitable ones gathered (`complete_iterable_value`)."""

    __slots__ = ("item", "not_iterable")

    def __init__(self, type_: GraphQLList[Any], item: Completion, not_iterable: str) -> None:
        super().__init__(type_)
        self.item = item
        self.not_iterable = not_iterable

    def complete(
        self,
        run: PlannedExecution,
        field: FieldPlan,
        info: GraphQLResolveInfo | None,
        path: Path,
        value: Any,
    ) -> Any:
        if isinstance(value, Exception):
            raise value
        if value is None or value is Undefined:
            return None
        if run.is_async_iterable(value):
            return run.complete_list_value(
                self.type,  # type: ignore[arg-type]
                field.details,
                run.info_of(field, info, path),
                path,
                value,
                None,
            )
        if not is_iterable(value):
            raise GraphQLError(self.not_iterable)
        item = self.item
        item_type = item.type
        is_awaitable = run.is_awaitable
        completed: list[Any] = []
        append = completed.append
        awaitable_indices: list[int] = []
        iterator = iter(value)
        index = 0
        try:
            for entry in iterator:
                item_path = new_path(Path, (path, index, None))
                if entry.__class__ not in PLAIN_TYPES and is_awaitable(entry):
                    append(
                        run.complete_awaitable_list_item_value(
                            entry,
                            item_type,
                            field.details,
                            run.info_of(field, info, path),
                            item_path,
                            None,
                        )
                    )
                    awaitable_indices.append(index)
                else:
                    try:
                        done = item.complete(run, field, info, item_path, entry)
                        if done.__class__ not in PLAIN_TYPES and is_awaitable(done):
                            append(run.settled(done, item_type, field, item_path))
                            awaitable_indices.append(index)
                        else:
                            append(done)
                    except Exception as raw_error:
                        run.handle_field_error(raw_error, item_type, field.details, item_path)
                        append(None)
                index += 1
        except Exception:
            # as graphql-core does: what was started, and what the iterator still holds,
            # is settled in the background so that its errors are observed
            pending: list[Awaitable[Any]] = [completed[i] for i in awaitable_indices]
            pending.extend(collect_iterator_awaitables(iterator, is_awaitable))
            if pending:
                run.settle_in_background(pending)
            raise
        if not awaitable_indices:
            return completed
        return run.gathered_items(completed, awaitable_indices)
