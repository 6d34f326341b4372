"""The HTTP surface: GraphQL over POST and GET, GraphiQL, health, and a source that is down."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.crosswalk import Crosswalk, CrosswalkEntry, CrosswalkError
from tests.conftest import Databases, Gateway, close_gateway, open_gateway, settings_for, token


async def test_get_queries_are_served(gateway: Gateway) -> None:
    response = await gateway.client.get(
        "/graphql",
        params={"query": "{ departments { code } }"},
        headers={"Authorization": f"Bearer {gateway.token}"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["departments"]


async def test_browsers_get_graphiql(gateway: Gateway) -> None:
    response = await gateway.client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()


async def test_health_and_readiness(gateway: Gateway) -> None:
    assert (await gateway.client.get("/healthz")).json() == {"status": "ok"}
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_sources_report_both_systems(gateway: Gateway) -> None:
    data = await gateway.data("{ sources { name healthy latencyMs breaker checkedAt } }")
    assert [(s["name"], s["healthy"]) for s in data["sources"]] == [
        ("ekin", True),
        ("sppspm", True),
    ]
    assert data["sources"][0]["checkedAt"].endswith("+07:00")


@pytest.fixture
async def sppspm_down(small_db: Databases) -> Any:
    broken = replace(small_db, sppspm_dsn=small_db.sppspm_dsn.replace("/small_sppspm", "/missing"))
    gw = await open_gateway(broken)
    yield gw
    await close_gateway(gw)


async def test_a_source_that_is_down_nulls_only_what_depends_on_it(sppspm_down: Gateway) -> None:
    body = await sppspm_down.query(
        """{ employees(first: 3) { edges { node { nip name department { name } } } } }"""
    )
    edges = body["data"]["employees"]["edges"]
    assert len(edges) == 3 and all(e["node"]["nip"] and e["node"]["name"] for e in edges)
    assert all(e["node"]["department"] is None for e in edges)
    assert body["errors"], "each failed path carries an error"
    for error in body["errors"]:
        assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "sppspm"}
        assert error["path"][-1] == "department"


async def test_readiness_fails_once_a_down_source_opens_its_breaker(sppspm_down: Gateway) -> None:
    # One failed probe is not an outage; enough consecutive failures open the breaker.
    statuses = [(await sppspm_down.client.get("/readyz")).status_code for _ in range(5)]
    assert statuses[0] == 200 and statuses[-1] == 503
    response = await sppspm_down.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["sources"]["sppspm"]["healthy"] is False
    assert response.json()["sources"]["sppspm"]["breaker"] == "OPEN"


async def test_a_crosswalk_code_unknown_to_sppspm_stops_start_up(
    small_db: Databases, tmp_path: Path
) -> None:
    crosswalk = tmp_path / "bad.csv"
    Crosswalk([CrosswalkEntry(2026, 1, "9.99.0.00.0.00.01.0000")]).write(crosswalk)
    app = create_app(settings_for(replace(small_db, crosswalk=crosswalk)))
    with pytest.raises(CrosswalkError, match=r"9\.99\.0\.00\.0\.00\.01\.0000 \(2026\)"):
        async with app.router.lifespan_context(app):
            pass


async def test_lifespan_opens_and_closes_the_pools(small_db: Databases) -> None:
    app = create_app(settings_for(small_db))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            response = await client.post(
                "/graphql",
                json={"query": "{ departments { code } }"},
                headers={"Authorization": f"Bearer {token('ANALYST')}"},
            )
            assert response.json()["data"]["departments"]


async def test_graphiql_can_introspect_without_a_token(gateway: Gateway) -> None:
    from graphql import get_introspection_query

    body = await gateway.as_caller(None).query(get_introspection_query())
    assert "errors" not in body and body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_every_answer_carries_its_request_id(gateway: Gateway) -> None:
    answered = await gateway.client.post(
        "/graphql", json={"query": "{ sources { name } }"}, headers={"X-Request-ID": "abc-1"}
    )
    assert answered.headers["x-request-id"] == "abc-1"
    refused = await gateway.as_caller("garbage").post("{ sources { name } }")
    request_id = refused.headers["x-request-id"]
    assert refused.json()["errors"][0]["extensions"]["requestId"] == request_id
