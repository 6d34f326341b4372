"""The same rules over a real TCP socket, served by uvicorn as `smartgate serve` does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from tests.conftest import Databases, settings_for, token, uvicorn_serving


@pytest.fixture(scope="module")
async def base_url(small_db: Databases) -> AsyncIterator[str]:
    async with uvicorn_serving(create_app(settings_for(small_db))) as base:
        yield f"http://{base}"


async def test_over_a_socket_tokens_and_rules_hold(base_url: str) -> None:
    query = {"query": "{ paymentRequests(first: 1) { totalCount } }"}
    async with httpx.AsyncClient(base_url=base_url) as client:
        anonymous = await client.post("/graphql", json=query)
        assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        bad = await client.post("/graphql", json=query, headers={"Authorization": "Bearer x.y.z"})
        assert bad.status_code == 401
        staff = token("STAFF", "199001012020121001")
        refused = await client.post(
            "/graphql", json=query, headers={"Authorization": f"Bearer {staff}"}
        )
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        analyst = await client.post(
            "/graphql", json=query, headers={"Authorization": f"Bearer {token('ANALYST')}"}
        )
        assert analyst.json()["data"]["paymentRequests"]["totalCount"] > 0
        assert analyst.headers["x-request-id"]
