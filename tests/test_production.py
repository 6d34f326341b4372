"""Production mode: no introspection, GraphiQL or suggestions, crashes masked behind a
request id, and optionally only trusted documents."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.access.trusted import TrustedDocuments, TrustedDocumentsError
from tests.conftest import Databases, Gateway, close_gateway, open_gateway, settings_for

TRUSTED = "query Departments { departments { code name } }"
TRUSTED_HASH = hashlib.sha256(TRUSTED.encode()).hexdigest()


@pytest.fixture(scope="module")
async def production(
    small_db: Databases, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Gateway]:
    manifest = tmp_path_factory.mktemp("trusted") / "manifest.json"
    manifest.write_text(json.dumps({TRUSTED_HASH: TRUSTED}))
    settings = settings_for(small_db, production=True, trusted_documents=manifest)
    gw = await open_gateway(small_db, settings)
    yield gw
    await close_gateway(gw)


@pytest.fixture(scope="module")
async def production_open(small_db: Databases) -> AsyncIterator[Gateway]:
    """Production without trusted documents, to reach the schema's own checks."""
    gw = await open_gateway(small_db, settings_for(small_db, production=True))
    yield gw
    await close_gateway(gw)


async def test_introspection_is_refused(production_open: Gateway) -> None:
    body = await production_open.query("{ __schema { types { name } } }")
    assert body["data"] is None and "introspection" in body["errors"][0]["message"].lower()


async def test_field_suggestions_are_off(production_open: Gateway) -> None:
    body = await production_open.query("{ departmentz { code } }")
    assert "Did you mean" not in body["errors"][0]["message"]


MISSPELT = {
    "field": ("{ departmentz { code } }", None, "GRAPHQL_VALIDATION_FAILED"),
    "argument": ("{ departments(fiscalYaer: 2026) { code } }", None, "GRAPHQL_VALIDATION_FAILED"),
    "enum value": (
        "{ paymentRequests(orderBy: AMOUNT_DSC) { totalCount } }",
        None,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "enum value of a variable": (
        "query($o: [PaymentRequestOrder!]) { paymentRequests(orderBy: $o) { totalCount } }",
        {"o": "AMOUNT_DSC"},
        "BAD_USER_INPUT",
    ),
    "input field": (
        '{ paymentRequests(filter: {departmentCod: "x"}) { totalCount } }',
        None,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "input field of a variable": (
        "query($f: PaymentRequestFilter) { paymentRequests(filter: $f) { totalCount } }",
        {"f": {"departmentCod": "x"}},
        "BAD_USER_INPUT",
    ),
    "type of a fragment": (
        "{ ...F } fragment F on Querry { sources { name } }",
        None,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "type of a variable": (
        "query($o: PaymentRequestOrdr) { paymentRequests(orderBy: $o) { totalCount } }",
        None,
        "GRAPHQL_VALIDATION_FAILED",
    ),
}
"""A misspelt name of each kind, as a literal and as a variable where it can be one."""


@pytest.mark.parametrize("kind", MISSPELT)
async def test_no_name_is_suggested_in_production(production_open: Gateway, kind: str) -> None:
    query, variables, code = MISSPELT[kind]
    body = await production_open.query(query, variables)
    assert "Did you mean" not in json.dumps(body)
    assert [e["extensions"]["code"] for e in body["errors"]] == [code], "not masked as INTERNAL"


@pytest.mark.parametrize("kind", MISSPELT)
async def test_names_are_suggested_in_development(gateway: Gateway, kind: str) -> None:
    query, variables, code = MISSPELT[kind]
    body = await gateway.query(query, variables)
    assert "Did you mean" in body["errors"][0]["message"]
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]


async def test_graphiql_is_off(production_open: Gateway) -> None:
    response = await production_open.client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 404


async def test_a_crash_is_masked_behind_a_request_id(
    production_open: Gateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(fiscal_year: int) -> Any:
        raise RuntimeError("connection string postgres://secret@db")

    monkeypatch.setattr(production_open.services.sppspm, "departments", broken)
    with caplog.at_level(logging.ERROR, logger="smartgate"):
        response = await production_open.client.post(
            "/graphql",
            json={"query": "{ departments { code } }"},
            headers={"Authorization": f"Bearer {production_open.token}", "X-Request-ID": "r-42"},
        )
    error = response.json()["errors"][0]
    assert "secret" not in json.dumps(response.json())
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "r-42"}
    assert "r-42" in error["message"]
    logged = [r for r in caplog.records if "r-42" in r.getMessage()]
    assert logged and logged[0].exc_info is not None, "the log keeps the traceback"


async def test_expected_errors_are_not_masked(production_open: Gateway) -> None:
    body = await production_open.query('{ department(code: "nonsense") { name } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_unknown_document_is_refused_when_only_trusted_ones_run(
    production: Gateway,
) -> None:
    before = production.statements()
    body = await production.query("{ departments { code } }")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert production.statements() == before


async def test_trusted_documents_hold_for_every_way_of_sending_a_query(
    production: Gateway,
) -> None:
    headers = {"Authorization": f"Bearer {production.token}"}
    as_graphql = await production.client.post(
        "/graphql",
        content="{ departments { code } }",
        headers={**headers, "Content-Type": "application/graphql"},
    )
    by_get = await production.client.get(
        "/graphql", params={"query": "{ departments { code } }"}, headers=headers
    )
    batch = await production.client.post(
        "/graphql", json=[{"query": TRUSTED}, {"query": "{ sources { name } }"}], headers=headers
    )
    refused = [as_graphql.json(), by_get.json(), batch.json()[1]]
    for body in refused:
        assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND", body
    assert batch.json()[0]["data"]["departments"], "the trusted one of the batch runs"


async def test_a_trusted_document_runs_by_text_or_by_apollo_hash(production: Gateway) -> None:
    by_text = await production.post(TRUSTED)
    assert by_text.status_code == 200 and by_text.json()["data"]["departments"]
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": TRUSTED_HASH}}
    response = await production.client.post(
        "/graphql",
        json={"extensions": persisted},
        headers={"Authorization": f"Bearer {production.token}"},
    )
    assert response.status_code == 200 and response.json()["data"]["departments"]


def test_a_manifest_whose_hash_does_not_match_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"0" * 64: TRUSTED}))
    with pytest.raises(TrustedDocumentsError, match="not the SHA-256"):
        TrustedDocuments.load(manifest)


def test_an_apollo_manifest_is_read(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    operations = [{"id": TRUSTED_HASH, "body": TRUSTED, "name": "Departments", "type": "query"}]
    manifest.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        )
    )
    assert len(TrustedDocuments.load(manifest)) == 1


def test_trusted_documents_hold_on_websockets(small_db: Databases, tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from gateway.app import create_app
    from tests.conftest import token

    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({TRUSTED_HASH: TRUSTED}))
    app = create_app(settings_for(small_db, production=True, trusted_documents=manifest))
    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        bearer = {"Authorization": f"Bearer {token('ADMIN')}"}
        ws.send_json({"type": "connection_init", "payload": bearer})
        assert ws.receive_json()["type"] == "connection_ack"
        untrusted = {"query": "{ departments { code } }"}
        ws.send_json({"id": "1", "type": "subscribe", "payload": untrusted})
        refused = ws.receive_json()
        errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
