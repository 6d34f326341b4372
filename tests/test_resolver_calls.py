"""The planned engine calls some resolvers without strawberry's wrapper
(`gateway.execution.resolver_calls`): only where the call is the same, and never without
the access guard; and it asks whether a value is awaitable only of classes it has not yet
learnt cannot be (`completion.learning`). That the answers, errors, audit lines and SQL stay those of
graphql-core's execution is shown on the seeded data by `tests/test_planned_execution.py`
and by every query of the suite (see `tests.conftest.Reference`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType
from graphql.pyutils import is_awaitable
from strawberry.extensions import FieldExtension
from strawberry.types import Info

from connectors.domain import PaymentStatus
from gateway.access.guard import GUARDS, unguarded
from gateway.execution.completion import PLAIN_TYPES, learning, never_awaitable
from gateway.execution.executor import ContextOnly
from gateway.execution.resolver_calls import CONTEXT_ONLY, direct_resolver, reads_only_context
from gateway.schema import build_schema


class Uppercase(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs).upper()


@strawberry.input
class Where:
    name_prefix: str
    at_least: int = 1


@strawberry.type
class Thing:
    name: str

    @strawberry.field
    def plain(self) -> str:
        return f"plain {self.name}"

    @strawberry.field
    async def later(self, info: Info) -> str:
        return f"later {self.name} for {info.context['caller']}"

    @strawberry.field
    def with_root(self, root: Any) -> str:
        return f"root {root.name}"

    @strawberry.field
    def argued(self, times: int, info: Info, suffix: str = "!") -> str:
        return f"{self.name * times}{suffix} for {info.context['caller']}"

    @strawberry.field
    def filtered(self, where: Where, but_not: list[Where] | None = None) -> str:
        return f"{where.name_prefix}/{where.at_least} but not {but_not}"

    @strawberry.field(extensions=[Uppercase()])
    def extended(self) -> str:
        return self.name

    @strawberry.field
    @reads_only_context
    def in_context(self, info: Info) -> str:
        return f"context {self.name} for {info.context['caller']}"

    @strawberry.field
    @reads_only_context
    def in_context_argued(self, info: Info, times: int, suffix: str = "!") -> str:
        return f"{self.name * times}{suffix} for {info.context['caller']}"

    @strawberry.field
    @reads_only_context
    def in_context_filtered(self, info: Info, where: Where) -> str:
        return f"{where.name_prefix} for {info.context['caller']}"

    @strawberry.field
    @reads_only_context
    def misread(self, info: Info) -> str:  # breaks its mark: reads more than the context
        return info.field_name


@strawberry.type
class Query:
    @strawberry.field
    def thing(self) -> Thing:
        return Thing(name="x")


def fields() -> dict[str, Any]:
    thing = strawberry.Schema(query=Query)._schema.type_map["Thing"]
    assert isinstance(thing, GraphQLObjectType)
    return thing.fields


def info(context: Any) -> Any:
    """As much of a resolve info as strawberry's `Info` reads here."""
    return SimpleNamespace(context=context)


def test_a_direct_call_answers_what_strawberrys_resolver_answers() -> None:
    thing, raw_info = Thing(name="x"), info({"caller": "ana"})
    for name in ("plain", "later", "withRoot"):
        field = fields()[name]
        direct = direct_resolver(field)
        assert direct is not None, name
        assert field.resolve is not None
        ours, theirs = direct(thing, raw_info), field.resolve(thing, raw_info)
        if name == "later":
            ours, theirs = asyncio.run(ours), asyncio.run(theirs)
        assert ours == theirs, name
    assert asyncio.run(direct_resolver(fields()["later"])(thing, raw_info)) == "later x for ana"  # type: ignore[misc]


def test_arguments_are_converted_as_strawberry_converts_them() -> None:
    thing, raw_info = Thing(name="x"), info({"caller": "ana"})
    given = {
        "argued": [{"times": 3}, {"times": 2, "suffix": "?"}],
        "filtered": [
            {"where": {"namePrefix": "a"}},
            {"where": {"namePrefix": "b", "atLeast": 2}, "butNot": [{"namePrefix": "c"}]},
            {"where": {"namePrefix": "d"}, "butNot": None},
        ],
    }
    for name, calls in given.items():
        field = fields()[name]
        direct = direct_resolver(field)
        assert direct is not None and field.resolve is not None, name
        for arguments in calls:
            ours = direct(thing, raw_info, **arguments)
            assert ours == field.resolve(thing, raw_info, **arguments), (name, arguments)
    assert direct_resolver(fields()["argued"])(thing, raw_info, times=2) == "xx! for ana"  # type: ignore[misc]


def test_extensions_and_plain_attributes_keep_strawberrys_resolver() -> None:
    for name in ("extended", "name"):
        assert direct_resolver(fields()[name]) is None, name


def test_guarded_fields_keep_their_guard_around_the_direct_call() -> None:
    schema = build_schema()._schema
    status_change, employee = schema.type_map["StatusChange"], schema.type_map["Employee"]
    assert isinstance(status_change, GraphQLObjectType)
    assert isinstance(employee, GraphQLObjectType)
    for field in (status_change.fields["by"], employee.fields["supervisor"]):
        assert field.resolve in GUARDS, "hands out people: guarded"
        direct = direct_resolver(field)
        assert direct is not None
        assert GUARDS[direct] == GUARDS[field.resolve], "the same guard"
        assert unguarded(direct) is not unguarded(field.resolve), "around the direct call"
    # a guarded attribute read (a personal field) is the guard's business alone
    assert direct_resolver(employee.fields["birthDate"]) is None


def test_only_calls_that_take_no_info_are_given_the_context_alone() -> None:
    assert direct_resolver(fields()["plain"]) in CONTEXT_ONLY
    for name in ("later", "withRoot", "argued"):
        assert direct_resolver(fields()[name]) not in CONTEXT_ONLY, name
    status_change = build_schema()._schema.type_map["StatusChange"]
    assert isinstance(status_change, GraphQLObjectType)
    assert direct_resolver(status_change.fields["by"]) in CONTEXT_ONLY, "its guard too"


def test_calls_marked_as_reading_only_the_context_are_given_it_alone() -> None:
    """A method marked `reads_only_context` whose arguments all pass as given is called
    with the context alone, and answers what strawberry's resolver answers with a whole
    resolve info; one with an argument strawberry converts keeps the resolve info."""
    thing, raw_info = Thing(name="x"), info({"caller": "ana"})
    context_only = ContextOnly(raw_info.context)
    given: dict[str, list[dict[str, Any]]] = {
        "inContext": [{}],
        "inContextArgued": [{"times": 2}, {"times": 3, "suffix": "?"}],
    }
    for name, calls in given.items():
        field = fields()[name]
        direct = direct_resolver(field)
        assert direct in CONTEXT_ONLY and field.resolve is not None, name
        for arguments in calls:
            ours = direct(thing, context_only, **arguments)
            assert ours == field.resolve(thing, raw_info, **arguments), (name, arguments)
    filtered = direct_resolver(fields()["inContextFiltered"])
    assert filtered is not None and filtered not in CONTEXT_ONLY, "its input is converted"
    assert filtered(thing, raw_info, where={"namePrefix": "a"}) == "a for ana"


def test_a_marked_call_that_reads_more_than_the_context_fails() -> None:
    """What the suite's runs through both engines would show of a resolver that breaks
    its mark: an error where graphql-core's execution answers."""
    misread = direct_resolver(fields()["misread"])
    assert misread in CONTEXT_ONLY
    with pytest.raises(AttributeError, match="field_name"):
        misread(Thing(name="x"), ContextOnly({"caller": "ana"}))


def test_an_employees_people_and_allowance_fields_are_given_the_context_alone() -> None:
    """The fields read for every employee of a page and every request of a ledger, each
    inside its guard."""
    schema = build_schema()._schema
    read_per_row = {
        "Employee": ("position", "unit", "department", "supervisor", "allowance", "financeRoles"),
        "PaymentRequest": ("department", "budgetLine", "treasurer"),
        "PaymentOrder": ("authorizer",),
        "Disbursement": ("authorizer",),
    }
    for type_name, names in read_per_row.items():
        type_ = schema.type_map[type_name]
        assert isinstance(type_, GraphQLObjectType)
        for name in names:
            direct = direct_resolver(type_.fields[name])
            assert direct in CONTEXT_ONLY, (type_name, name)
    history = schema.type_map["PaymentRequest"]
    assert isinstance(history, GraphQLObjectType)
    assert direct_resolver(history.fields["history"]) not in CONTEXT_ONLY, "reads its selection"


def test_only_classes_that_cannot_be_awaited_are_learnt_as_plain() -> None:
    class Record:
        pass

    class Proxy:  # not awaitable now, but another instance might be
        def __getattr__(self, name: str) -> Any:
            raise AttributeError(name)

    class Later:
        def __await__(self) -> Any:
            return iter(())

    async def coroutine() -> None:
        return None

    check = learning(is_awaitable)
    pending = coroutine()
    assert check(pending) and check(Later())
    pending.close()
    assert not check(Record()) and not check(Proxy())
    assert Record in PLAIN_TYPES
    assert Proxy not in PLAIN_TYPES, "__getattr__ may hand out __await__"
    assert Later not in PLAIN_TYPES


def test_the_schemas_values_are_learnt_as_plain() -> None:
    @dataclass
    class Record:
        status: PaymentStatus

    for cls in (PaymentStatus, Record, Thing):
        assert never_awaitable(cls), cls
    assert not never_awaitable(asyncio.Future)

    class Custom:
        def __getattribute__(self, name: str) -> Any:
            return object.__getattribute__(self, name)

    assert not never_awaitable(Custom)


def test_arguments_passed_as_given_are_those_strawberry_would_not_change() -> None:
    """Every argument of the gateway's schema that the direct call passes on as it is
    given (`_given_as_is`: scalars, optional or not) comes back from strawberry's own
    `convert_argument` as the same object, for any value the scalar takes, None and UNSET;
    and the rule holds back enums, lists and input objects, which it converts."""
    from strawberry.types.arguments import convert_argument
    from strawberry.types.unset import UNSET

    from gateway.execution.resolver_calls import _given_as_is

    schema = build_schema()
    converter = schema.schema_converter
    registry, config = converter.scalar_registry, converter.config
    passed, held = 0, 0
    for type_definition in schema.schema_converter.type_map.values():
        definition = type_definition.definition
        for field in getattr(definition, "fields", ()):
            for argument in getattr(field, "arguments", ()):
                if not _given_as_is(argument.type, registry):
                    held += 1
                    continue
                passed += 1
                for value in ("2026-10", 7, None, UNSET, object()):
                    converted = convert_argument(value, argument.type, registry, config)
                    assert converted is value, (field.name, argument.python_name, value)
    assert passed and held, (passed, held)
