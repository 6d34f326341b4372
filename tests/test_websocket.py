"""GraphQL over a WebSocket (graphql-transport-ws): callers authenticate in the
connection_init payload, and each operation is scoped like an HTTP request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from gateway.app import create_app
from gateway.settings import DEFAULT_ROLE_LIMITS, RoleLimits
from tests.conftest import Databases, settings_for, token

PROTOCOL = ["graphql-transport-ws"]


@contextmanager
def connected(db: Databases, payload: dict[str, Any], **access: Any) -> Iterator[Any]:
    """A WebSocket to a fresh app on `db` that has sent its connection_init `payload`."""
    with (
        TestClient(create_app(settings_for(db, **access))) as client,
        client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": payload})
        yield ws


def bearer(role: str, sub: str = "client") -> dict[str, Any]:
    return {"Authorization": f"Bearer {token(role, sub)}"}


def test_a_websocket_with_a_good_token_is_served_as_its_caller(small_db: Databases) -> None:
    with connected(small_db, bearer("ADMIN")) as ws:
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": "{ employees(first: 1) { totalCount } }"},
            }
        )
        message = ws.receive_json()
        assert message["type"] == "next"
        assert message["payload"]["data"]["employees"]["totalCount"] > 0


@pytest.mark.parametrize(
    "payload",
    [
        {"headers": {"Authorization": f"Bearer {token('ANALYST')}"}},
        {"authToken": token("ANALYST")},
    ],
    ids=["inside headers", "bare authToken"],
)
def test_a_websocket_token_may_come_in_the_common_payload_shapes(
    small_db: Databases, payload: dict[str, Any]
) -> None:
    with connected(small_db, payload) as ws:
        assert ws.receive_json()["type"] == "connection_ack"
        data = _ask(ws, "1", "{ employees(first: 1) { totalCount } }")["data"]
        assert data["employees"]["totalCount"] > 0


def test_a_websocket_without_a_token_is_anonymous(small_db: Databases) -> None:
    with connected(small_db, {}) as ws:
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": "{ employees { totalCount } }"}}
        )
        message = ws.receive_json()
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_websocket_with_a_bad_token_is_closed_with_4403(small_db: Databases) -> None:
    with connected(small_db, {"Authorization": "Bearer garbage"}) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403


def _ask(ws: Any, operation_id: str, query: str) -> dict[str, Any]:
    ws.send_json({"id": operation_id, "type": "subscribe", "payload": {"query": query}})
    message: dict[str, Any] = ws.receive_json()
    assert message["type"] == "next", message
    payload: dict[str, Any] = message["payload"]
    assert ws.receive_json()["type"] == "complete"
    return payload


def test_each_operation_on_a_connection_reads_fresh_data(small_db: Databases) -> None:
    """Loaders are per operation: a change between two operations is seen by the second."""
    import asyncio

    import asyncpg

    async def sql(statement: str, *args: Any) -> Any:
        conn = await asyncpg.connect(small_db.ekin_dsn)
        try:
            return await conn.fetchval(statement, *args)
        finally:
            await conn.close()

    nip = asyncio.run(sql("select min(nip) from pegawai"))
    name = asyncio.run(sql("select nama from pegawai where nip = $1", nip))
    query = f'{{ employee(nip: "{nip}") {{ name }} }}'
    with connected(small_db, bearer("ADMIN")) as ws:
        assert ws.receive_json()["type"] == "connection_ack"
        first = _ask(ws, "1", query)["data"]["employee"]["name"]
        try:
            asyncio.run(sql("update pegawai set nama = 'Renamed Person' where nip = $1", nip))
            second = _ask(ws, "2", query)["data"]["employee"]["name"]
        finally:
            asyncio.run(sql("update pegawai set nama = $2 where nip = $1", nip, name))
    assert "Renamed Person" not in first and "Renamed Person" in second


def test_query_limits_apply_on_websockets(small_db: Databases) -> None:
    with connected(small_db, bearer("STAFF", "199001012020121001")) as ws:
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {
                    "query": "{ employees(first: 500) { edges { node { subordinates "
                    "{ subordinates { nip } } } } } }"
                },
            }
        )
        message = ws.receive_json()
        assert message["type"] == "error"  # refused before execution
        assert message["payload"][0]["extensions"]["limit"] == "cost"


def test_operations_on_a_websocket_spend_the_callers_rate_limit(small_db: Databases) -> None:
    limits = dict(DEFAULT_ROLE_LIMITS)
    limits["ANALYST"] = RoleLimits(cost=100_000, time_budget_ms=30_000, requests_per_minute=3)
    with connected(small_db, bearer("ANALYST"), role_limits=limits) as ws:
        assert ws.receive_json()["type"] == "connection_ack"
        answers = []
        for n in range(5):
            payload = {"query": "{ departments { code } }"}
            ws.send_json({"id": str(n), "type": "subscribe", "payload": payload})
            message = ws.receive_json()
            while message["type"] not in ("next", "error"):
                message = ws.receive_json()
            answers.append(message)
    # graphql-transport-ws: a result is "next", an operation refused before it ran "error"
    assert [a["type"] for a in answers] == ["next", "next", "next", "error", "error"]
    refused = answers[3]["payload"][0]
    assert refused["extensions"]["code"] == "RATE_LIMITED"
    assert int(refused["extensions"]["retryAfter"]) >= 1
