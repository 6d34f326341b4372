"""The same rules over a real TCP socket, served by uvicorn as `smartgate serve` does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from gateway.app import create_app
from tests.conftest import Databases, settings_for, token


@pytest.fixture(scope="module")
async def base_url(small_db: Databases) -> AsyncIterator[str]:
    config = uvicorn.Config(
        create_app(settings_for(small_db)), host="127.0.0.1", port=0, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


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
