"""`gateway.schema.GatewayExecutionContext` answers strawberry's `ExecutionContext`'s own
`operation_name` and `operation_type`, working each out once per document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql import parse
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType
from strawberry.utils import operation

from gateway.schema import GatewayExecutionContext, build_schema
from tests.conftest import Databases, Gateway, close_gateway, open_gateway

DOCUMENTS = [
    "{ departments { code } }",
    "query Ledger { departments { code } }",
    "mutation Log { __typename } query Read { __typename }",
    "fragment F on Query { __typename } subscription Watch { __typename }",
    "fragment F on Query { __typename }",
]


def contexts(provided: str | None) -> tuple[ExecutionContext, GatewayExecutionContext]:
    schema = build_schema()
    options: dict[str, Any] = {"query": None, "schema": schema, "allowed_operations": ()}
    return (
        ExecutionContext(**options, provided_operation_name=provided),
        GatewayExecutionContext(**options, provided_operation_name=provided),
    )


def answers(context: ExecutionContext) -> tuple[object, object]:
    """The context's operation name and type, or what each raised."""
    found: list[object] = []
    for read in (lambda: context.operation_name, lambda: context.operation_type):
        try:
            found.append(read())
        except RuntimeError as refused:
            found.append(("raised", str(refused)))
    return found[0], found[1]


@pytest.mark.parametrize("provided", [None, "Read", "Ledger", "Missing"])
def test_the_operation_is_strawberrys_before_and_after_the_document_changes(
    provided: str | None,
) -> None:
    theirs, ours = contexts(provided)
    assert answers(ours) == answers(theirs), "no document yet"
    for text in DOCUMENTS:
        document = parse(text)
        theirs.graphql_document = ours.graphql_document = document
        assert answers(ours) == answers(theirs), text
        assert answers(ours) == answers(theirs), text  # read again: as found
    theirs.graphql_document = ours.graphql_document = None
    assert answers(ours) == answers(theirs), "document taken away"


@pytest.fixture(scope="module")
async def plain_gateway(small_db: Databases) -> AsyncIterator[Gateway]:
    """The app without the suite's reference engine, which has execution contexts of its
    own."""
    gw = await open_gateway(small_db, differential=False)
    yield gw
    await close_gateway(gw)


async def test_an_operation_is_looked_for_in_its_document_once_a_request(
    plain_gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """strawberry, the extensions and the audit line read the operation's type about ten
    times a request; the document's definitions are walked for it once."""
    walks = 0
    walk = operation.get_operation_type

    def counted(*args: Any) -> OperationType:
        nonlocal walks
        walks += 1
        return walk(*args)

    query = '{ department(code: "1.02.0.00.0.00.01.0000") { code name } }'
    assert "errors" not in await plain_gateway.in_process(query)
    monkeypatch.setattr("strawberry.types.execution.get_operation_type", counted)
    for _ in range(3):
        assert "errors" not in await plain_gateway.in_process(query)
    assert walks == 3
