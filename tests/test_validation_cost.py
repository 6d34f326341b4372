"""Validation cannot stall the event loop: a document's field selections and their overlaps
are counted before graphql-core validates it, and a document over either limit is refused
then, whichever of its operations runs; real queries, GraphiQL's introspection included,
stay well inside the limits. `bench/validation_cost.py` times the largest accepted ones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import graphql
import httpx
import pytest

from gateway.access.limits import DEFAULT_MAX_OVERLAPS, DEFAULT_MAX_SELECTIONS, measure_document
from tests.conftest import (
    Databases,
    Gateway,
    close_gateway,
    open_gateway,
    settings_for,
    smartgate_serve,
    token,
)
from tests.test_statement_counts import DEPARTMENT_DASHBOARD

STAFF_NIP = "199001012020121001"

DUPLICATES = "{ " + "me { nip } " * 1200 + "}"
"""The issue's document: inside every other limit, about a second of validation."""

FRAGMENTS_SIDE_BY_SIDE = (
    "{ "
    + " ".join(f"...F{i}" for i in range(400))
    + " }\n"
    + "\n".join(f"fragment F{i} on Query {{ me {{ nip }} }}" for i in range(400))
)
"""The same fields spread from 400 fragments into one selection set."""

HIDDEN_IN_ANOTHER_OPERATION = "query Run { __typename }\nquery Hidden " + DUPLICATES
"""Validation checks every operation, not only the one that runs."""

OVERLAPPING = "{ " + "me { nip } " * 100 + "}"
"""Few selections, but 4,950 pairs of them compared with each other."""

GRAPHIQL_INTROSPECTION = graphql.get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
    one_of=True,
)


def staff(gateway: Gateway) -> Gateway:
    return gateway.as_caller(token("STAFF", STAFF_NIP))


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None and len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    return error


# -- refused before validation ---------------------------------------------------------------


async def test_1200_duplicate_fields_are_refused_for_their_selections(gateway: Gateway) -> None:
    error = refusal(await staff(gateway).query(DUPLICATES))
    assert error["message"] == "2,400 field selections exceed the limit of 500 by 1,900"
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": "selections",
        "allowed": DEFAULT_MAX_SELECTIONS,
        "actual": 2_400,
    }


async def test_fragments_spread_side_by_side_are_refused_for_their_selections(
    gateway: Gateway,
) -> None:
    error = refusal(await staff(gateway).query(FRAGMENTS_SIDE_BY_SIDE))
    assert error["extensions"]["limit"] == "selections"
    assert error["extensions"]["actual"] == 800


async def test_duplicates_in_an_operation_that_does_not_run_are_refused_too(
    gateway: Gateway,
) -> None:
    response = await staff(gateway).post(HIDDEN_IN_ANOTHER_OPERATION, operationName="Run")
    error = refusal(response.json())
    assert error["extensions"]["limit"] == "selections"
    assert error["extensions"]["actual"] == 2_401


async def test_a_hundred_duplicates_are_refused_for_their_overlaps(gateway: Gateway) -> None:
    error = refusal(await staff(gateway).query(OVERLAPPING))
    # 100 * 99 / 2 pairs of `me { nip }`, each of size 2 * 2
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": "overlaps",
        "allowed": DEFAULT_MAX_OVERLAPS,
        "actual": 19_800,
    }
    assert error["message"].startswith(
        "field overlaps 19,800 exceed the limit of 5,000 by 14,800 (fields that share"
    )


async def test_the_refusal_comes_before_validation_would_complain(gateway: Gateway) -> None:
    # Unknown fields fail validation; the only error is the refusal, so validation never ran.
    unknown = "{ nothing " + "me { nip } " * 1200 + "}"
    before = gateway.statements()
    error = refusal(await staff(gateway).query(unknown))
    assert error["extensions"]["limit"] == "selections"
    assert gateway.statements() == before


# -- real queries stay accepted --------------------------------------------------------------


def test_graphiql_introspection_is_well_inside_the_limits() -> None:
    shape = measure_document(graphql.parse(GRAPHIQL_INTROSPECTION))
    assert 2 * shape.selections <= DEFAULT_MAX_SELECTIONS
    assert 20 * shape.overlaps <= DEFAULT_MAX_OVERLAPS


async def test_graphiql_introspection_is_answered_for_staff(gateway: Gateway) -> None:
    data = (await staff(gateway).query(GRAPHIQL_INTROSPECTION))["data"]
    assert data["__schema"]["queryType"]["name"] == "Query"


async def test_the_dashboard_query_is_answered(gateway: Gateway) -> None:
    shape = measure_document(graphql.parse(DEPARTMENT_DASHBOARD))
    assert (shape.selections, shape.overlaps) == (27, 0)
    assert (await gateway.data(DEPARTMENT_DASHBOARD))["departments"]


async def test_a_document_exactly_at_the_selection_limit_is_answered(gateway: Gateway) -> None:
    def document(aliases: int) -> str:
        fields = " ".join(f"a{i}: nip" for i in range(aliases))
        return f"query Run {{ __typename }}\nquery Hidden {{ me {{ {fields} }} }}"

    # __typename, me and the aliased fields
    at_limit = await staff(gateway).post(document(DEFAULT_MAX_SELECTIONS - 2), operationName="Run")
    assert at_limit.json() == {"data": {"__typename": "Query"}}
    over = await staff(gateway).post(document(DEFAULT_MAX_SELECTIONS - 1), operationName="Run")
    assert refusal(over.json())["extensions"]["actual"] == DEFAULT_MAX_SELECTIONS + 1


async def test_fifty_duplicates_are_within_the_overlap_limit(gateway: Gateway) -> None:
    body = await staff(gateway).query("{ " + "me { nip } " * 50 + "}")
    assert "errors" not in body and "me" in body["data"]


# -- the event loop stays free ---------------------------------------------------------------


async def test_the_settings_set_the_limits(small_db: Databases) -> None:
    gw = await open_gateway(small_db, settings_for(small_db, max_selections=4, max_overlaps=0))
    try:
        body = await gw.query("{ me { nip name } departments { code } }")
        assert refusal(body)["extensions"]["limit"] == "selections"
        body = await gw.query("{ sources { name } sources { name } }")
        assert refusal(body)["extensions"]["limit"] == "overlaps"
    finally:
        await close_gateway(gw)


@pytest.fixture
async def served(small_db: Databases) -> AsyncIterator[str]:
    """`smartgate serve` in a process of its own, with the default limits."""
    async with smartgate_serve(small_db) as (_, base):
        yield f"http://{base}"


async def test_healthz_answers_while_hostile_documents_are_refused(served: str) -> None:
    hostile = [DUPLICATES, FRAGMENTS_SIDE_BY_SIDE, OVERLAPPING, DUPLICATES] * 2
    headers = {"Authorization": f"Bearer {token('STAFF', STAFF_NIP)}"}
    async with httpx.AsyncClient(base_url=served, timeout=60) as client:
        requests = [
            asyncio.create_task(client.post("/graphql", json={"query": q}, headers=headers))
            for q in hostile
        ]
        # Validating these took a second each on the server's one event loop: /healthz
        # waited behind them. Now each is refused in milliseconds.
        waits = []
        while True:
            started = time.perf_counter()
            health = await client.get("/healthz")
            waits.append(time.perf_counter() - started)
            assert health.status_code == 200
            if all(request.done() for request in requests):
                break
            await asyncio.sleep(0.05)
        answers = [request.result() for request in requests]
    assert max(waits) < 1, f"/healthz waited {max(waits):.2f} s"
    for answer in answers:
        assert answer.status_code == 200
        assert refusal(answer.json())["extensions"]["limit"] in ("selections", "overlaps")
