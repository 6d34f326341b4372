"""One operation scope for every transport: each operation of a batch and each operation
on a WebSocket is admitted, bounded and audited like an HTTP request."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import asyncpg
from starlette.testclient import TestClient

from gateway.access.caller import Caller, Role
from gateway.app import create_app
from gateway.context import Channel
from gateway.logs import AUDIT_LOGGER, configure_logging
from gateway.operation_scope import admission
from gateway.settings import DEFAULT_ROLE_LIMITS
from tests.conftest import Databases, Gateway, close_gateway, open_gateway, settings_for, token
from tests.test_websocket import PROTOCOL, bearer

DEPARTMENTS = {"query": "{ departments { code } }"}


def limits_of(role: str, **changes: int) -> MappingProxyType[str, Any]:
    limits = dict(DEFAULT_ROLE_LIMITS)
    limits[role] = replace(limits[role], **changes)
    return MappingProxyType(limits)


async def test_each_operation_of_a_batch_spends_one_request_of_the_rate(
    small_db: Databases,
) -> None:
    settings = settings_for(small_db, role_limits=limits_of("ANALYST", requests_per_minute=3))
    gw = await open_gateway(small_db, settings)
    headers = {"Authorization": f"Bearer {token('ANALYST', 'batcher')}"}
    try:
        first = await gw.client.post("/graphql", json=[DEPARTMENTS, DEPARTMENTS], headers=headers)
        assert first.status_code == 200
        assert all("errors" not in answer for answer in first.json())
        second = await gw.client.post("/graphql", json=[DEPARTMENTS, DEPARTMENTS], headers=headers)
        assert second.status_code == 200  # one of the two ran
        codes = [a.get("errors", [{}])[0].get("extensions", {}).get("code") for a in second.json()]
        assert sorted(codes, key=str) == [None, "RATE_LIMITED"]
        third = await gw.client.post("/graphql", json=[DEPARTMENTS, DEPARTMENTS], headers=headers)
        assert third.status_code == 429  # none ran
        assert int(third.headers["retry-after"]) >= 1
    finally:
        await close_gateway(gw)


async def test_the_operations_of_a_batch_do_not_share_loaders(gateway: Gateway) -> None:
    query = {"query": "{ employees(first: 3) { edges { node { nip unit { name } } } } }"}
    headers = {"Authorization": f"Bearer {gateway.token}"}
    before = gateway.statements()
    single = await gateway.client.post("/graphql", json=query, headers=headers)
    alone = gateway.statements() - before
    before = gateway.statements()
    batch = await gateway.client.post("/graphql", json=[query, query], headers=headers)
    together = gateway.statements() - before
    assert batch.json() == [single.json(), single.json()]
    assert together == 2 * alone  # nothing one operation loaded served the other


def test_a_query_on_a_websocket_answers_within_its_time_budget(small_db: Databases) -> None:
    settings = settings_for(small_db, role_limits=limits_of("ADMIN", time_budget_ms=500))

    async def lock() -> tuple[asyncpg.Connection, Any]:
        blocker = await asyncpg.connect(small_db.ekin_dsn)
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("lock table pegawai in access exclusive mode")
        return blocker, transaction

    with (
        TestClient(create_app(settings)) as client,
        client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws,
    ):
        blocker, transaction = client.portal.call(lock)
        try:
            ws.send_json({"type": "connection_init", "payload": bearer("ADMIN")})
            assert ws.receive_json()["type"] == "connection_ack"
            started = time.monotonic()
            payload = {"query": "{ employees(first: 1) { edges { node { nip } } } }"}
            ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
            message = ws.receive_json()
            elapsed = time.monotonic() - started
        finally:
            client.portal.call(transaction.rollback)
            client.portal.call(blocker.close)
    assert elapsed < 3, f"answered after {elapsed:.1f} s"
    # Two clocks run to the same deadline: the operation's (it fails as a whole, which
    # graphql-transport-ws says with "error") and the statement's own timeout, set to
    # what is left of the budget (the field fails, the answer is "next" with it null).
    # Which one PostgreSQL and the loop see first is a race; either way no data and
    # the budget's code.
    if message["type"] == "error":
        errors = message["payload"]
    else:
        assert message["type"] == "next", message
        assert message["payload"]["data"] in (None, {"employees": None}), message
        errors = message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["TIME_BUDGET_EXCEEDED"], message


async def test_an_operation_under_an_expired_token_is_refused() -> None:
    channel = Channel(services=None, caller=Caller("x", frozenset({Role.ADMIN}), None, 1.0))  # type: ignore[arg-type]
    refusal = await admission(channel)
    assert refusal is not None and refusal.extensions == {"code": "UNAUTHENTICATED"}


async def test_every_mutation_is_audited_in_the_audit_file(
    writes_gateway: Gateway, tmp_path: Path
) -> None:
    audit_file = tmp_path / "audit.jsonl"
    audit = logging.getLogger(AUDIT_LOGGER)
    handlers, propagate = list(audit.handlers), audit.propagate
    configure_logging("info", audit_file)
    try:
        refused = await writes_gateway.post(
            'mutation Review { reviewActivity(input: {activityId: "1", approve: false})'
            " { errors { code } } }"
        )
        assert refused.status_code == 200
        in_a_batch = {
            "query": 'mutation { reviewActivity(input: {activityId: "0", approve: true})'
            " { errors { code } } }"
        }
        batch = await writes_gateway.client.post(
            "/graphql",
            json=[in_a_batch, DEPARTMENTS],
            headers={"Authorization": f"Bearer {writes_gateway.token}"},
        )
        assert batch.status_code == 200
    finally:
        for handler in audit.handlers[len(handlers) :]:
            handler.close()
            audit.removeHandler(handler)
        audit.propagate = propagate
    lines = [json.loads(line) for line in audit_file.read_text().splitlines()]
    mutations = [line for line in lines if line["operation_type"] == "mutation"]
    assert [m["operation_name"] for m in mutations] == ["Review", None]
    assert all(m["sub"] == "test-admin" and m["roles"] == ["ADMIN"] for m in mutations)
    assert all(len(m["document_sha256"]) == 64 for m in mutations)
    # the batch's query read nothing personal: no line of its own
    assert len(lines) == 2
