"""The circuit breaker: its state machine on a hand-moved clock, and what a source counts
as a failure, on real PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from connectors.breaker import BreakerSettings, BreakerState, CircuitBreaker, CircuitOpen
from connectors.ekin.connector import EkinConnector
from connectors.source import (
    PoolSettings,
    SourceUnavailable,
    TimeBudgetExceeded,
    statement_deadline,
)
from tests.conftest import Databases, create_database


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def breaker(clock: FakeClock, failures: int = 3, cool_down_s: float = 10.0) -> CircuitBreaker:
    return CircuitBreaker(BreakerSettings(failures, cool_down_s), clock)


def fail(b: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        b.failed(b.admit())


# -- the state machine ------------------------------------------------------------------


def test_a_closed_breaker_lets_calls_through_and_opens_after_consecutive_failures() -> None:
    b = breaker(FakeClock())
    fail(b, 2)
    assert b.state is BreakerState.CLOSED and b.consecutive_failures == 2
    fail(b, 1)
    assert b.state is BreakerState.OPEN


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    b = breaker(FakeClock())
    fail(b, 2)
    b.succeeded(b.admit())
    fail(b, 2)
    assert b.state is BreakerState.CLOSED and b.consecutive_failures == 2


def test_an_open_breaker_refuses_and_says_when_it_will_probe() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 3)
    clock.advance(2.5)
    with pytest.raises(
        CircuitOpen, match=r"open after 3 consecutive failures; next probe in 7\.5 s"
    ):
        b.admit()
    assert b.seconds_until_probe() == pytest.approx(7.5)


def test_after_the_cool_down_one_probe_goes_through_and_others_wait() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 3)
    clock.advance(10)
    assert b.state is BreakerState.HALF_OPEN
    assert b.admit() is True
    with pytest.raises(CircuitOpen, match="probe is in flight"):
        b.admit()


def test_a_probe_that_succeeds_closes_the_breaker() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 3)
    clock.advance(10)
    b.succeeded(b.admit())
    assert b.state is BreakerState.CLOSED and b.consecutive_failures == 0
    assert b.admit() is False


def test_a_probe_that_fails_opens_the_breaker_for_another_cool_down() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 3)
    clock.advance(10)
    b.failed(b.admit())
    assert b.state is BreakerState.OPEN
    clock.advance(9.9)
    assert b.state is BreakerState.OPEN
    clock.advance(0.1)
    assert b.state is BreakerState.HALF_OPEN


def test_an_abandoned_probe_lets_the_next_call_probe() -> None:
    clock = FakeClock()
    b = breaker(clock)
    fail(b, 3)
    clock.advance(10)
    b.abandoned(b.admit())
    assert b.state is BreakerState.HALF_OPEN
    assert b.admit() is True


def test_late_outcomes_of_calls_admitted_before_the_breaker_opened_change_nothing() -> None:
    clock = FakeClock()
    b = breaker(clock)
    early = [b.admit() for _ in range(5)]
    for probe in early[:3]:
        b.failed(probe)
    assert b.state is BreakerState.OPEN
    b.succeeded(early[3])  # a slow call that answered after all
    b.failed(early[4])
    assert b.state is BreakerState.OPEN
    assert b.seconds_until_probe() == pytest.approx(10)


# -- what a source counts, on real PostgreSQL --------------------------------------------


def source(dsn: str, clock: FakeClock, failures: int = 3) -> EkinConnector:
    return EkinConnector(
        PoolSettings(dsn, breaker=BreakerSettings(failures, cool_down_s=10)), clock=clock
    )


async def test_bad_input_and_constraint_violations_do_not_count(small_db: Databases) -> None:
    s = source(small_db.ekin_dsn, FakeClock())
    try:
        for _ in range(5):
            with pytest.raises(asyncpg.DataError):  # refused by asyncpg before it is sent
                await s.fetch("select $1::int", "not a number")
            with pytest.raises(asyncpg.DivisionByZeroError):
                await s.fetch("select 1 / 0")
            with pytest.raises(asyncpg.UniqueViolationError):
                async with s.transaction() as tx:
                    await tx.execute("create temporary table t (id int primary key)")
                    await tx.execute("insert into t values (1), (1)")
        assert s.breaker.state is BreakerState.CLOSED
        assert s.breaker.consecutive_failures == 0
    finally:
        await s.close()


async def test_a_call_asyncpg_refuses_does_not_count(small_db: Databases) -> None:
    # asyncpg says this with the same InterfaceError as "connection is closed"; the
    # connection, still open, tells that the statement was wrong, not the source.
    s = source(small_db.ekin_dsn, FakeClock())
    try:
        for _ in range(5):
            with pytest.raises(asyncpg.InterfaceError, match="expects 1 argument"):
                await s.fetch("select $1::int")
        assert s.breaker.state is BreakerState.CLOSED
        assert s.breaker.consecutive_failures == 0
        assert [row["one"] for row in await s.fetch("select 1 as one")] == [1]
    finally:
        await s.close()


async def test_an_unreachable_source_opens_its_breaker_and_a_probe_closes_it(
    pg_server: object,
) -> None:
    clock = FakeClock()
    dsn = pg_server.get_uri(database="breaker_not_yet")  # type: ignore[attr-defined]
    s = source(dsn, clock)
    try:
        for _ in range(3):
            with pytest.raises(SourceUnavailable, match="does not exist"):
                await s.fetch("select 1")
        assert s.breaker.state is BreakerState.OPEN
        statements = s.statements
        with pytest.raises(SourceUnavailable, match="circuit breaker open") as refused:
            await s.fetch("select 1")
        assert refused.value.extensions == {"code": "SOURCE_UNAVAILABLE", "source": "ekin"}
        with pytest.raises(SourceUnavailable, match="circuit breaker open"):
            async with s.transaction():
                pass
        assert s.statements == statements, "nothing was sent while the breaker is open"
        health = await s.check()
        assert not health.healthy and health.breaker is BreakerState.OPEN
        assert health.last_error and "does not exist" in health.last_error

        await create_database(pg_server, "breaker_not_yet")  # the source comes back
        clock.advance(10)
        assert [row["one"] for row in await s.fetch("select 1 as one")] == [1]
        assert s.breaker.state is BreakerState.CLOSED
        assert (await s.check()).healthy
    finally:
        await s.close()


async def test_a_write_that_times_out_is_rolled_back_and_counts(small_db: Databases) -> None:
    s = EkinConnector(PoolSettings(small_db.ekin_dsn, statement_timeout_ms=200))
    try:
        with pytest.raises(SourceUnavailable, match="statement timeout of 200 ms"):
            async with s.transaction() as tx:
                await tx.execute("create table breaker_half_written (id int)")
                await tx.execute("select pg_sleep(2)")
        assert s.breaker.consecutive_failures == 1
        exists = await s.fetch("select to_regclass('breaker_half_written') is not null as x")
        assert exists[0]["x"] is False, "nothing of the write is left"
    finally:
        await s.close()


async def test_a_request_out_of_its_time_budget_does_not_count(small_db: Databases) -> None:
    s = EkinConnector(PoolSettings(small_db.ekin_dsn))
    token = statement_deadline.set(asyncio.get_running_loop().time() + 0.2)
    try:
        with pytest.raises(TimeBudgetExceeded):
            await s.fetch("select pg_sleep(2)")
        assert s.breaker.consecutive_failures == 0
    finally:
        statement_deadline.reset(token)
        await s.close()
