"""The planned engine completes every kind of value as graphql-core does, including
values the gateway's resolvers never give: nulls where the type says non-null, at every
depth of lists, exceptions returned as values, numbers out of range, values of the wrong
type, iterables that are not lists, awaitable list items, async iterables, resolvers
that fail after an await while their siblings run, and arguments that fail only when
the request's variables are coerced into them.

A small schema of graphql-core's own (no strawberry, no database) is executed by
graphql-core's `Executor` and by the same class with `PlannedExecution` mixed in; the
answers must be equal, errors in the same order.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from graphql import (
    ExecutionResult,
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    execute,
    parse,
)
from graphql.execution import Executor

from gateway.execution import PlanCache, planned


def value(result: Any) -> Any:
    """A field whose resolver answers `result`, or calls it with the field's arguments."""

    def resolve(_source: Any, _info: Any, **arguments: Any) -> Any:
        return result(**arguments) if callable(result) else result

    return resolve


async def later(result: Any) -> Any:
    await asyncio.sleep(0)
    if isinstance(result, Exception):
        raise result
    return result


def soon(result: Any) -> Any:
    """A resolver answering `result` (raising it if an exception) after an await."""
    return value(lambda: later(result))


def generated() -> Iterator[int]:
    yield from (1, 2, 3)


async def streamed() -> AsyncIterator[int]:
    for n in (4, 5):
        yield n


Colour = GraphQLEnumType("Colour", {"RED": 1, "GREEN": 2})

Item: GraphQLObjectType = GraphQLObjectType(
    "Item",
    lambda: {
        "name": GraphQLField(GraphQLNonNull(GraphQLString), resolve=value(lambda: "item")),
        "missing": GraphQLField(GraphQLNonNull(GraphQLString), resolve=value(None)),
        "late": GraphQLField(GraphQLString, resolve=soon("late")),
        "failing": GraphQLField(GraphQLNonNull(GraphQLString), resolve=soon(ValueError("no"))),
        "child": GraphQLField(Item, resolve=value(lambda: {})),
    },
)

QUERY = GraphQLObjectType(
    "Query",
    {
        "text": GraphQLField(GraphQLString, resolve=value(5)),
        "flag": GraphQLField(GraphQLString, resolve=value(True)),
        "number": GraphQLField(GraphQLInt, resolve=value(True)),
        "huge": GraphQLField(GraphQLInt, resolve=value(2**40)),
        "fraction": GraphQLField(GraphQLInt, resolve=value(1.5)),
        "colour": GraphQLField(Colour, resolve=value(2)),
        "badColour": GraphQLField(Colour, resolve=value(7)),
        "returned": GraphQLField(GraphQLString, resolve=value(ValueError("returned"))),
        "raised": GraphQLField(GraphQLString, resolve=value(lambda: 1 / 0)),
        "nonNull": GraphQLField(GraphQLNonNull(GraphQLString), resolve=value(None)),
        "names": GraphQLField(
            GraphQLList(GraphQLNonNull(GraphQLString)), resolve=value(["a", None, "c"])
        ),
        "maybeNames": GraphQLField(
            GraphQLNonNull(GraphQLList(GraphQLString)), resolve=value(["a", None, 3])
        ),
        "grid": GraphQLField(
            GraphQLList(GraphQLList(GraphQLNonNull(GraphQLInt))),
            resolve=value([[1, 2], [3, None], [4]]),
        ),
        "generated": GraphQLField(GraphQLList(GraphQLInt), resolve=value(generated)),
        "pair": GraphQLField(GraphQLList(GraphQLInt), resolve=value((7, 8))),
        "notAList": GraphQLField(GraphQLList(GraphQLInt), resolve=value(5)),
        "text2": GraphQLField(GraphQLList(GraphQLInt), resolve=value("text")),
        "awaitedItems": GraphQLField(
            GraphQLList(GraphQLInt), resolve=value(lambda: [later(1), 2, later(ValueError("x"))])
        ),
        "stream": GraphQLField(GraphQLList(GraphQLInt), resolve=value(streamed)),
        "item": GraphQLField(Item, resolve=value(lambda: {})),
        "items": GraphQLField(GraphQLNonNull(GraphQLList(Item)), resolve=value([{}, None, {}])),
        "strictItems": GraphQLField(
            GraphQLList(GraphQLNonNull(Item)), resolve=value([{}, None, {}])
        ),
        "lateItem": GraphQLField(Item, resolve=soon({})),
        "lateNull": GraphQLField(GraphQLNonNull(Item), resolve=soon(None)),
        "echo": GraphQLField(
            GraphQLString,
            args={
                "word": GraphQLArgument(GraphQLNonNull(GraphQLString)),
                "times": GraphQLArgument(GraphQLInt, default_value=2),
            },
            resolve=value(lambda word, times: word * times),
        ),
    },
)

SCHEMA = GraphQLSchema(QUERY)

DOCUMENTS = [
    "{ text flag number colour __typename }",
    "{ huge }",
    "{ fraction text }",
    "{ badColour colour }",
    "{ returned raised text }",
    "{ nonNull text }",
    "{ names maybeNames grid }",
    "{ generated pair notAList text2 }",
    "{ awaitedItems stream }",
    "{ item { name missing } text }",
    "{ item { name late child { late child { name } } } }",
    "{ item { late failing } text }",
    "{ items { name late } strictItems { name } }",
    "{ lateItem { late } lateNull { name } text }",
    "{ a: item { late } b: item { failing } c: lateItem { child { failing } } }",
    '{ echo(word: "ab") again: echo(word: "c", times: 3) }',
    "query($w: String!) { echo(word: $w) }",
    'query($w: String = "z") { echo(word: $w) text }',
    "query($on: Boolean!) { text @include(if: $on) item { name @skip(if: $on) } }",
    "{ ...Fields item { ... on Item { name } ... { late } } } fragment Fields on Query { text }",
]

VARIABLES: list[dict[str, Any]] = [{}, {"w": "q"}, {"w": None}, {"on": True}, {"on": False}]


@pytest.fixture(scope="module")
def planned_executor() -> type[Executor]:
    return planned(Executor, PlanCache())


async def executed(document: str, variables: dict[str, Any], executor: type[Executor]) -> Any:
    result = execute(SCHEMA, parse(document), variable_values=variables, executor_class=executor)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, ExecutionResult)
    errors = [(e.message, e.path, e.locations) for e in result.errors or ()]
    return result.data, errors


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_a_value_is_completed_as_graphql_core_completes_it(
    document: str, planned_executor: type[Executor]
) -> None:
    for variables in VARIABLES:
        for _ in range(2):  # the second time from the plan cache
            planned_answer = await executed(document, variables, planned_executor)
            assert planned_answer == await executed(document, variables, Executor), variables


async def test_the_planned_engine_ran_the_documents(planned_executor: type[Executor]) -> None:
    """Not a silent fallback: each document above, but for introspection, has a plan."""
    cache: PlanCache = planned_executor.plans  # type: ignore[attr-defined]
    for document in DOCUMENTS:
        built = Executor.build(SCHEMA, parse(document), raw_variable_values={"w": "q", "on": True})
        assert isinstance(built, Executor)
        assert cache.plan(built) is not None, document
