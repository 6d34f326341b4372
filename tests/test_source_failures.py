"""A source's failures, on real PostgreSQL. Whatever asyncpg raises when the gateway's
backends are killed under load (the server's FATAL, a connection closed in the middle of
an operation, or its own "cannot switch to state 12; another operation (2) is in
progress"), callers see `SourceUnavailable`, the breaker counts it, the broken
connections are not handed out again, and the source answers once the killing stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import pytest

from connectors.breaker import BreakerSettings, CircuitBreaker
from connectors.source import Health, PoolSettings, Source, SourceUnavailable, is_source_failure
from tests.conftest import (
    Databases,
    close_gateway,
    create_database,
    open_gateway,
    seeded,
    settings_for,
)
from tests.test_partial_failure import EMPLOYEES

# -- what counts as a failure of the source, error by error -----------------------------


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress"
        ),
        asyncpg.ProtocolError("unexpected message"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError(),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_lost_connection_or_a_confused_protocol_is_a_failure_of_the_source(
    error: Exception,
) -> None:
    assert is_source_failure(error)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.DataError("invalid input for query argument $1: 'x'"),
        asyncpg.UnsupportedClientFeatureError("no binary format encoder for type"),
        # Said of a connection that is still open: asyncpg refused the call (`Source`
        # counts it when the connection is gone, see test_breaker.py).
        asyncpg.InterfaceError("the server expects 1 argument for this query, 0 were passed"),
        asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
        asyncpg.DivisionByZeroError("division by zero"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_an_error_in_the_statement_or_its_arguments_is_not(error: Exception) -> None:
    assert not is_source_failure(error)


# -- killing the backends of a busy source ----------------------------------------------

KILL_THE_GATEWAYS_BACKENDS = """
    select count(pg_terminate_backend(pid, $1)) from pg_stat_activity
    where application_name = 'smartgate' and datname = current_database()"""
"""$1: how long to wait for each backend to exit, in ms (0: not at all)."""

CONFUSED = "another operation"
"""What asyncpg says when a statement meets a connection whose backend was killed while
it waited in the pool: "cannot switch to state 12; another operation (2) is in progress"."""


@dataclass
class Killing:
    backends: int = 0


@contextlib.asynccontextmanager
async def killing_backends(dsn: str, every_s: float = 0.02) -> AsyncIterator[Killing]:
    """Terminates the gateway's backends in the database of `dsn`, as an operator or a
    failover would, over and over until the block ends."""
    killer = await asyncpg.connect(dsn)
    killing = Killing()
    done = asyncio.Event()

    async def kill() -> None:
        while not done.is_set():
            killing.backends += await killer.fetchval(KILL_THE_GATEWAYS_BACKENDS, 0)
            await asyncio.sleep(every_s)

    task = asyncio.create_task(kill())
    try:
        yield killing
    finally:
        done.set()
        await task
        # A last round that waits for the backends to exit: no kill is left on its way
        # when the block ends.
        killing.backends += await killer.fetchval(KILL_THE_GATEWAYS_BACKENDS, 1000)
        await killer.close()
        await asyncio.sleep(0.1)  # the gateway's connections read the end of theirs


class TalliedBreaker(CircuitBreaker):
    """A breaker that stays closed (every call reaches the source) and tallies the
    verdicts it is told."""

    def __init__(self) -> None:
        super().__init__(BreakerSettings(failure_threshold=1_000_000))
        self.verdicts: Counter[str] = Counter()

    def succeeded(self, probe: bool) -> None:
        self.verdicts["succeeded"] += 1
        super().succeeded(probe)

    def failed(self, probe: bool) -> None:
        self.verdicts["failed"] += 1
        super().failed(probe)

    def abandoned(self, probe: bool) -> None:
        self.verdicts["abandoned"] += 1
        super().abandoned(probe)


async def outcome(call: Awaitable[Any]) -> Any:
    """What a caller gets: the answer, or the exception it raised."""
    try:
        return await call
    except Exception as exc:
        return exc


async def read(s: Source) -> list[asyncpg.Record]:
    return await s.fetch("select pg_sleep(0.05)")


async def write(s: Source) -> None:
    async with s.transaction() as tx:
        await tx.execute("select pg_sleep(0.02)")
        await tx.execute("select pg_sleep(0.02)")


def busy(s: Source) -> list[Awaitable[Any]]:
    """Fifty callers at once: reads, writes and health checks."""
    return (
        [outcome(read(s)) for _ in range(30)]
        + [outcome(write(s)) for _ in range(15)]
        + [outcome(s.check()) for _ in range(5)]
    )


def verdict(answer: Any) -> str:
    """What the breaker should have been told of a caller's outcome."""
    if isinstance(answer, Health):
        return "succeeded" if answer.healthy else "failed"
    if isinstance(answer, SourceUnavailable):
        return "failed"
    if isinstance(answer, Exception):
        return f"raised {type(answer).__name__}: {answer}"
    return "succeeded"


def confused(answer: Any) -> bool:
    return isinstance(answer, SourceUnavailable) and isinstance(
        answer.__cause__, asyncpg.InternalClientError
    )


@pytest.fixture
async def busy_source(pg_server: Any) -> AsyncIterator[Source]:
    dsn = await create_database(pg_server, "killed_backends")
    # Waits for a free connection long enough that no caller gives up on the pool.
    s = Source(PoolSettings(dsn, acquire_timeout_ms=10_000))
    s.breaker = TalliedBreaker()  # counts from the first statement, which opens the pool
    try:
        yield s
    finally:
        await s.close()


async def test_under_killed_backends_every_failure_is_source_unavailable_and_counts(
    busy_source: Source,
) -> None:
    s = busy_source
    answers: list[Any] = []
    async with killing_backends(s.settings.dsn) as killing:
        for _ in range(60):
            answers += await asyncio.gather(*busy(s))
            if any(confused(a) for a in answers):
                break
    assert killing.backends > 0

    seen = Counter(verdict(a) for a in answers)
    assert set(seen) <= {"succeeded", "failed"}, seen
    assert seen["failed"] > 0, seen
    assert isinstance(s.breaker, TalliedBreaker)
    assert s.breaker.verdicts == seen, "the breaker is told of every outcome, as it was"
    failures = [a for a in answers if isinstance(a, SourceUnavailable)]
    assert all(f.extensions == {"code": "SOURCE_UNAVAILABLE", "source": "source"} for f in failures)
    causes = Counter(type(f.__cause__).__name__ for f in failures)
    assert any(confused(a) for a in answers), f"asyncpg's own error did not occur: {causes}"

    # The connections the killing broke are not handed out again.
    answered = await asyncio.gather(*(s.fetch("select 1 as one") for _ in range(50)))
    assert [rows[0]["one"] for rows in answered] == [1] * 50
    assert (await s.check()).healthy
    assert s.connections_in_use == 0


async def test_a_write_whose_backend_is_killed_between_statements_is_source_unavailable(
    busy_source: Source,
) -> None:
    s = busy_source
    killer = await asyncpg.connect(s.settings.dsn)
    try:
        with pytest.raises(SourceUnavailable, match="connection lost") as lost:
            async with s.transaction() as tx:
                rows = await tx.fetch("select pg_backend_pid() as pid")
                await killer.execute("select pg_terminate_backend($1, 1000)", rows[0]["pid"])
                await asyncio.sleep(0.1)  # the pool sees the connection close, takes it back
                await tx.execute("select 1")
    finally:
        await killer.close()
    # asyncpg refuses the next statement ("released back to the pool"): an InterfaceError,
    # like a wrong number of arguments, but this one says that the source was lost.
    assert isinstance(lost.value.__cause__, asyncpg.InterfaceError)
    assert isinstance(s.breaker, TalliedBreaker)
    assert s.breaker.verdicts == {"failed": 1}
    assert [row["one"] for row in await s.fetch("select 1 as one")] == [1]


# -- a source that comes back -----------------------------------------------------------


async def test_a_source_down_at_start_up_opens_one_pool_when_it_comes_back_under_load(
    pg_server: Any,
) -> None:
    dsn = pg_server.get_uri(database="late_source")
    s = Source(PoolSettings(dsn, max_size=5, acquire_timeout_ms=10_000))
    await s.open()  # refused: the database does not exist yet
    try:
        await create_database(pg_server, "late_source")
        await asyncio.gather(*(s.fetch("select pg_sleep(0.05)") for _ in range(30)))
        observer = await asyncpg.connect(dsn)
        try:
            backends = await observer.fetchval(
                "select count(*) from pg_stat_activity"
                " where application_name = 'smartgate' and datname = current_database()"
            )
        finally:
            await observer.close()
        assert 0 < backends <= 5, "one pool, not one per statement that found none"
    finally:
        await s.close()


# -- through the API --------------------------------------------------------------------


@pytest.fixture(scope="module")
async def killed_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return await seeded(pg_server, tmp_path_factory.mktemp("killed"), "killed", "small")


def ekin_part(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    edges = body["data"]["employees"]["edges"]
    return [(e["node"]["nip"], e["node"]["name"], e["node"]["unit"]) for e in edges]


async def test_through_the_api_every_error_under_killed_backends_is_source_unavailable(
    killed_db: Databases,
) -> None:
    settings = replace(
        settings_for(killed_db), breaker_failures=1_000_000, pool_acquire_timeout_ms=10_000
    )
    gw = await open_gateway(killed_db, settings)
    try:
        healthy = await gw.data(EMPLOYEES)
        bodies: list[dict[str, Any]] = []
        async with killing_backends(killed_db.sppspm_dsn) as killing:
            for _ in range(15):  # 25 a round: well under the ADMIN's requests a minute
                bodies += await asyncio.gather(*(gw.query(EMPLOYEES) for _ in range(25)))
                errors = [e for body in bodies for e in body.get("errors", [])]
                if any(CONFUSED in e["message"] for e in errors):
                    break
        assert killing.backends > 0 and errors

        unavailable = {"code": "SOURCE_UNAVAILABLE", "source": "sppspm"}
        assert [e for e in errors if e.get("extensions") != unavailable] == []
        assert all(ekin_part(body) == ekin_part({"data": healthy}) for body in bodies)
        assert any(CONFUSED in e["message"] for e in errors), "asyncpg's own error did not occur"

        assert await gw.data(EMPLOYEES) == healthy
    finally:
        await close_gateway(gw)
