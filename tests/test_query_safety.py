"""Requests that must be refused before they cost anything: bad tokens, hostile queries,
oversized bodies and batches, cross-site form posts, floods; and the time budget."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import asyncpg
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.settings import DEFAULT_ROLE_LIMITS
from tests.conftest import (
    TEST_SECRET,
    Databases,
    Gateway,
    close_gateway,
    open_gateway,
    settings_for,
    token,
)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _signed(claims: dict[str, Any], key: str = TEST_SECRET, **headers: Any) -> str:
    now = datetime.now(UTC)
    base = {"sub": "client", "roles": ["ANALYST"], "exp": now + timedelta(hours=1)}
    return jwt.encode({**base, **claims}, key, algorithm="HS256", headers=headers or None)


def _rs256_token() -> str:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    exp = datetime.now(UTC) + timedelta(hours=1)
    return jwt.encode({"sub": "c", "roles": ["ADMIN"], "exp": exp}, pem, algorithm="RS256")


BAD_TOKENS = {
    "expired": (lambda: _signed({"exp": datetime.now(UTC) - timedelta(hours=1)}), "expired"),
    "not yet valid": (
        lambda: _signed({"nbf": datetime.now(UTC) + timedelta(hours=1)}),
        "not valid before",
    ),
    "wrong signature": (lambda: _signed({}, key="another-secret-of-at-least-32-bytes!!"), "sig"),
    "alg none": (
        lambda: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': 'x', 'roles': ['ADMIN']})}.",
        "alg none",
    ),
    "RS256 where HS256 is configured": (_rs256_token, "RS256"),
    "garbage": (lambda: "not-a-token", "not a JWT"),
    "missing sub": (
        lambda: jwt.encode(
            {"roles": ["ADMIN"], "exp": datetime.now(UTC) + timedelta(hours=1)},
            TEST_SECRET,
            algorithm="HS256",
        ),
        "sub",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_a_bad_token_gets_401_with_a_reason(gateway: Gateway, case: str) -> None:
    make, reason = BAD_TOKENS[case]
    response = await gateway.as_caller(make()).post("{ sources { name } }")
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert reason in error["message"]
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


@pytest.fixture(scope="module")
async def strict_issuer(small_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(
        small_db, settings_for(small_db, jwt_issuer="https://sso.semarang", jwt_audience="gw")
    )
    yield gw
    await close_gateway(gw)


async def test_wrong_issuer_or_audience_gets_401(strict_issuer: Gateway) -> None:
    exp = datetime.now(UTC) + timedelta(hours=1)
    claims = {"sub": "c", "roles": ["ADMIN"], "exp": exp, "iss": "https://sso.semarang"}
    good = jwt.encode({**claims, "aud": "gw"}, TEST_SECRET, algorithm="HS256")
    assert (await strict_issuer.as_caller(good).post("{ sources { name } }")).status_code == 200
    wrong_issuer = jwt.encode({**claims, "iss": "x", "aud": "gw"}, TEST_SECRET, algorithm="HS256")
    wrong_audience = jwt.encode({**claims, "aud": "other"}, TEST_SECRET, algorithm="HS256")
    for bad, reason in ((wrong_issuer, "issuer"), (wrong_audience, "audience")):
        response = await strict_issuer.as_caller(bad).post("{ sources { name } }")
        assert response.status_code == 401 and reason in response.json()["errors"][0]["message"]


async def test_a_malformed_authorization_header_gets_401(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/graphql", json={"query": "{ sources { name } }"}, headers={"Authorization": "Basic x"}
    )
    assert response.status_code == 401
    assert "Bearer" in response.json()["errors"][0]["message"]


# -- hostile queries: refused before any SQL -----------------------------------------------


def _nested_employees(levels: int, first: int) -> str:
    inner = "nip"
    for _ in range(levels):
        inner = f"department {{ employees(first: {first}) {{ edges {{ node {{ {inner} }} }} }} }}"
    return f"{{ employees(first: {first}) {{ edges {{ node {{ {inner} }} }} }} }}"


HOSTILE = {
    "depth 50": (
        "{ employees { edges { node { " + "supervisor { " * 50 + "nip" + " }" * 50 + " } } } }",
        "depth",
    ),
    "1,000 aliases": ("{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }", "aliases"),
    "aliases behind fragment spreads": (
        "query { ...F ...F ...F ...F } fragment F on Query { "
        + " ".join(f"a{i}: sources {{ name }}" for i in range(10))
        + " }",
        "aliases",
    ),
    "a cyclic fragment": (
        "query { ...A } fragment A on Query { sources { name } ...B } fragment B on Query { ...A }",
        "",
    ),
    "first 100000 nested three deep": (_nested_employees(2, 100_000), "cost"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_hostile_queries_are_refused_before_any_sql(gateway: Gateway, case: str) -> None:
    query, limit = HOSTILE[case]
    before = gateway.statements()
    body = await gateway.query(query)
    assert body.get("data") is None and body["errors"], body
    assert gateway.statements() == before, "no statement ran"
    if limit:
        error = body["errors"][0]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert error["extensions"]["limit"] == limit and " by " in error["message"]


async def test_a_query_over_the_token_limit_is_refused(gateway: Gateway) -> None:
    before = gateway.statements()
    body = await gateway.query("{ sources { " + "name " * 6000 + "} }")
    assert body["data"] is None and "tokens" in body["errors"][0]["message"]
    assert gateway.statements() == before


async def test_cost_limits_differ_by_role(gateway: Gateway) -> None:
    query = _nested_employees(1, 100)  # 100 x 100 employees
    staff = await gateway.as_caller(token("STAFF", "199001012020121001")).query(query)
    assert staff["errors"][0]["extensions"]["limit"] == "cost"
    assert "STAFF limit of 5,000" in staff["errors"][0]["message"]
    analyst = await gateway.as_caller(token("ANALYST")).query(query)
    assert "errors" not in analyst


async def test_a_2_mb_body_is_refused_with_413(gateway: Gateway) -> None:
    before = gateway.statements()
    query = "{ sources { name } }" + " " * (2 * 1024 * 1024)
    response = await gateway.post(query)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert gateway.statements() == before


async def test_100_batched_operations_are_refused(gateway: Gateway) -> None:
    before = gateway.statements()
    batch = [{"query": "{ departments { code } }"}] * 100
    response = await gateway.client.post(
        "/graphql", json=batch, headers={"Authorization": f"Bearer {gateway.token}"}
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BATCH_TOO_LARGE" and "by 90" in error["message"]
    assert gateway.statements() == before


async def test_a_small_batch_is_served(gateway: Gateway) -> None:
    batch = [{"query": "{ sources { name } }"}, {"query": "{ departments { code } }"}]
    response = await gateway.client.post(
        "/graphql", json=batch, headers={"Authorization": f"Bearer {gateway.token}"}
    )
    assert response.status_code == 200 and len(response.json()) == 2


# -- browser safety --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_posts_a_browser_can_send_cross_site_are_refused(
    gateway: Gateway, content_type: str
) -> None:
    response = await gateway.client.post(
        "/graphql",
        content=json.dumps({"query": "{ sources { name } }"}),
        headers={"Content-Type": content_type, "Authorization": f"Bearer {gateway.token}"},
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_CONTENT_TYPE"


async def test_application_graphql_bodies_are_served(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/graphql",
        content="{ sources { name } }",
        headers={"Content-Type": "application/graphql", "Authorization": f"Bearer {gateway.token}"},
    )
    assert response.status_code == 200 and response.json()["data"]["sources"]


async def test_no_cors_headers_unless_origins_are_configured(gateway: Gateway) -> None:
    response = await gateway.client.options(
        "/graphql",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_configured_origins_get_cors_headers(small_db: Databases) -> None:
    gw = await open_gateway(small_db, settings_for(small_db, cors_origins=("https://app.kota",)))
    try:
        preflight = {"Access-Control-Request-Method": "POST"}
        allowed = await gw.client.options(
            "/graphql", headers={"Origin": "https://app.kota", **preflight}
        )
        assert allowed.headers["access-control-allow-origin"] == "https://app.kota"
        other = await gw.client.options(
            "/graphql", headers={"Origin": "https://evil.example", **preflight}
        )
        assert "access-control-allow-origin" not in other.headers
    finally:
        await close_gateway(gw)


# -- rate limit --------------------------------------------------------------------------


async def open_with_limits(db: Databases, role: str, **changes: int) -> Gateway:
    """A gateway whose `role` has the default limits but for `changes`."""
    limits = dict(DEFAULT_ROLE_LIMITS)
    limits[role] = replace(limits[role], **changes)
    return await open_gateway(db, settings_for(db, role_limits=MappingProxyType(limits)))


async def test_the_request_over_the_rate_gets_429_with_retry_after(small_db: Databases) -> None:
    gw = await open_with_limits(small_db, "ANONYMOUS", requests_per_minute=3)
    try:
        anonymous = gw.as_caller(None)
        statuses = [(await anonymous.post("{ sources { name } }")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = await anonymous.post("{ sources { name } }")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # another caller has its own bucket
        assert (await gw.post("{ sources { name } }")).status_code == 200
    finally:
        await close_gateway(gw)


# -- time budget -------------------------------------------------------------------------


async def test_a_blocked_source_answers_within_the_time_budget(small_db: Databases) -> None:
    gw = await open_with_limits(small_db, "ADMIN", time_budget_ms=500)
    blocker = await asyncpg.connect(small_db.ekin_dsn)
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("lock table pegawai in access exclusive mode")
        started = time.monotonic()
        body = await gw.query("{ employees(first: 1) { edges { node { nip } } } }")
        elapsed = time.monotonic() - started
        assert elapsed < 3, f"answered after {elapsed:.1f} s"
        assert body["errors"][0]["extensions"]["code"] == "TIME_BUDGET_EXCEEDED"
        await asyncio.sleep(0.2)
        waiting = await blocker.fetchval(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
            " and application_name = 'smartgate'"
        )
        assert waiting == 0, "PostgreSQL stopped the statement too (statement_timeout)"
        await transaction.rollback()
    finally:
        await blocker.close()
        await close_gateway(gw)


# -- aliases per role ---------------------------------------------------------------------


async def test_alias_limits_differ_by_role(gateway: Gateway) -> None:
    query = "{ " + " ".join(f"m{i}: __typename" for i in range(40)) + " }"
    before = gateway.statements()
    admin = await gateway.query(query)
    assert admin["errors"][0]["extensions"]["limit"] == "aliases"
    assert admin["errors"][0]["message"] == "40 aliases exceed the limit of 30 by 10"
    analyst = await gateway.as_caller(token("ANALYST")).query(query)
    assert "errors" not in analyst and len(analyst["data"]) == 40
    assert gateway.statements() == before
