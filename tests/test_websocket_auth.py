"""WebSocket callers authenticate in the connection_init payload (graphql-transport-ws)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from gateway.app import create_app
from tests.conftest import Databases, settings_for, token

PROTOCOL = ["graphql-transport-ws"]


def test_a_websocket_with_a_good_token_is_served_as_its_caller(small_db: Databases) -> None:
    with (
        TestClient(create_app(settings_for(small_db))) as client,
        client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws,
    ):
        ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token('ADMIN')}"}}
        )
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


def test_a_websocket_without_a_token_is_anonymous(small_db: Databases) -> None:
    with (
        TestClient(create_app(settings_for(small_db))) as client,
        client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": "{ employees { totalCount } }"}}
        )
        message = ws.receive_json()
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_websocket_with_a_bad_token_is_closed_with_4403(small_db: Databases) -> None:
    with (
        TestClient(create_app(settings_for(small_db))) as client,
        client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {"Authorization": "Bearer garbage"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
