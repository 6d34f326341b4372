"""What every source connector shares: its pool, its statement counter, its time-outs,
its circuit breaker and its health."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import asyncpg
from opentelemetry.trace import NoOpTracer, Tracer

from connectors.breaker import BreakerSettings, BreakerState, CircuitBreaker, CircuitOpen
from connectors.loop_lag import LOOP_LAG
from connectors.pool import ConnectionPool

T = TypeVar("T")


class SourceUnavailable(Exception):
    """A source system could not answer; the gateway nulls what depends on it."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source} is unavailable: {reason}")
        self.source = source
        self.reason = reason
        # graphql-core copies `extensions` of the original error into the response.
        self.extensions = {"code": "SOURCE_UNAVAILABLE", "source": source}


class PoolExhausted(SourceUnavailable):
    """No pooled connection became free in time. The gateway is busy, the database may
    be fine, so the breaker does not count it; the statements that hold the connections
    count when they fail."""


class LoopBehind(SourceUnavailable):
    """A bounded wait ran out while the gateway's own event loop ran behind
    (`connectors.loop_lag`): the gateway was too busy, the database may be fine, so the
    breaker does not count it."""


class TimeBudgetExceeded(Exception):
    """The request's time budget ran out before or during a statement."""

    def __init__(self, source: str) -> None:
        super().__init__(f"the request's time budget ran out while {source} was answering")
        self.extensions = {"code": "TIME_BUDGET_EXCEEDED", "source": source}


statement_deadline: ContextVar[float | None] = ContextVar("statement_deadline", default=None)
"""The event-loop time by which the current request must be done; statements get at most
what is left of it as their PostgreSQL statement_timeout."""

ASYNCIO_GRACE_S = 1.0
"""How much longer than PostgreSQL's statement_timeout the gateway waits for an answer.
PostgreSQL gets the first chance to cancel (cleanly, the connection stays usable); the
asyncio timeout is for a server or network that does not answer at all."""


MAIN_POOL = "main"
ANALYTICS_POOL = "analytics"


@dataclass(frozen=True, slots=True)
class PoolSettings:
    dsn: str
    min_size: int = 1
    max_size: int = 10
    statement_timeout_ms: int = 10_000
    acquire_timeout_ms: int = 2_000
    """Bounds opening a connection, and waiting for a free one unless `queue_timeout_ms`
    says otherwise."""
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    purpose: str = MAIN_POOL
    """Which of a source's pools this is: the main one, or the analytics one."""
    application_name: str = "smartgate"
    """What PostgreSQL shows in pg_stat_activity for the pool's connections."""
    queue_timeout_ms: int | None = None
    """The longest wait for a free pooled connection, when it differs from
    `acquire_timeout_ms`: analytics statements queue for their small pool rather than fail."""

    @property
    def wait_ms(self) -> int:
        """The longest wait for a free pooled connection."""
        return self.acquire_timeout_ms if self.queue_timeout_ms is None else self.queue_timeout_ms


PLAN_CACHE_MODE = "force_custom_plan"
"""How PostgreSQL plans the pool's statements: each run with its own values.

asyncpg prepares every statement, and from its sixth run on a connection PostgreSQL may
reuse a generic plan, made without the values, whenever that plan's estimate looks no
dearer than the plans made so far. The connectors' statements take batches whose size and
reach differ by orders of magnitude from one request to the next (one NIP or the 7,755
spellings of a city's dashboard, one department or all 52, a day or a month, a filter
part or its absence), so no plan made without the values is right for all of them.
Measured at city scale (bench/statement_plans.py, 7th run): the TPP lines of a dashboard
took 1.9 s instead of 40 ms, the performance of every department 1.3 s instead of 0.5 s,
with 45 times the buffers; 27 statements of the suite's medium data change plan by their
seventh run (tests/test_statement_plans.py). Planning every run costs 0.1-5 ms a
statement there, the most for batches of thousands of keys.

The statements a plan without values would ruin are also written so that it would not
(batches of keys no index serves meet their table as a set, `in (select unnest($1))`);
this setting is the defence for the rest: filters a client composes, optional parts,
windows. One known loser: a city's month of activity statistics by employee and week,
where the generic plan's underestimate happened to pick a faster hash aggregate (2.5 s
against 5 s); its first five runs always took 5 s.

A statement whose every parameter is compared for equality with a column of a primary
key has one right plan whatever its values, and planning it again on every run is all
that this setting costs it: a connector asks for such a statement with `generic_plans`,
and its connection then runs with `GENERIC_PLAN_MODE` (PostgreSQL's default) until a
statement without it comes (`SessionConnection.plan_change`). For one department by its
key (bench/peer.py's Q2, two workers under `wrk -c16`), that took PostgreSQL's CPU from 47
to 23-27 µs a request, and the gateway from 5,800-6,000 to 6,600 answers a second."""
GENERIC_PLAN_MODE = "auto"


def session_settings(settings: PoolSettings) -> dict[str, str]:
    """The settings each of the pool's connections starts its session with: what
    `restoration` returns a session to, since RESET goes back to them."""
    return {
        "statement_timeout": str(settings.statement_timeout_ms),
        "application_name": settings.application_name,
        "plan_cache_mode": PLAN_CACHE_MODE,
    }


UNKNOWN_TIMEOUT = -1
"""A session whose statement_timeout is not known: a change to it failed half way."""

TIMEOUT_SLACK_MS = 250
"""How far a session's statement_timeout may be from what a statement needs and still be
kept, at most (and at most a tenth of what it needs): below `ASYNCIO_GRACE_S`, so that
PostgreSQL still cancels first."""


def close_enough(has_ms: int, needs_ms: int) -> bool:
    """Whether a session's statement_timeout of `has_ms` serves a statement that needs
    `needs_ms`: a request's budget is kept to within the slack, early or late."""
    return abs(has_ms - needs_ms) <= min(TIMEOUT_SLACK_MS, needs_ms // 10)


class SessionConnection(asyncpg.Connection):
    """A pooled connection that remembers its session's statement_timeout and
    plan_cache_mode, so that a statement changes them only when it needs others
    (`Source._connection`), and a release costs no statement (`restoration`)."""

    timeout_ms: int | None = None
    """The session's statement_timeout: None for the pool's own, `UNKNOWN_TIMEOUT`."""

    generic_plans: bool | None = False
    """Whether the session's plan_cache_mode is `GENERIC_PLAN_MODE` rather than the pool's
    own; None when not known (a change to it failed half way)."""

    def plan_change(self, generic: bool) -> Awaitable[None] | None:
        """The statement that gives the session the plan_cache_mode a statement needs, or
        None when it has it."""
        if self.generic_plans is generic:
            return None
        return self.set_plan_cache_mode(generic)

    async def set_plan_cache_mode(self, generic: bool) -> None:
        """`GENERIC_PLAN_MODE` when `generic`, else the pool's own (`PLAN_CACHE_MODE`)."""
        self.generic_plans = None  # first: a change that fails half way is undone
        if generic:
            await self.execute(f"set plan_cache_mode = {GENERIC_PLAN_MODE}")
        else:
            await self.execute("reset plan_cache_mode")
        self.generic_plans = generic

    async def restore(self) -> None:
        """The pool's own settings, for what a change that failed half way left unknown."""
        if self.timeout_ms == UNKNOWN_TIMEOUT:
            await self.set_statement_timeout(None)
        if self.generic_plans is None:
            await self.set_plan_cache_mode(False)

    def timeout_change(self, needs_ms: int | None, usual_ms: int) -> Awaitable[None] | None:
        """The statement that gives the session the timeout a statement needs (None: the
        pool's own, `usual_ms`), or None when the one it has is close enough: requests of
        one role, and the statements of one request, need about the same."""
        has = self.timeout_ms
        if has != UNKNOWN_TIMEOUT and close_enough(
            usual_ms if has is None else has, usual_ms if needs_ms is None else needs_ms
        ):
            return None
        return self.set_statement_timeout(needs_ms)

    async def set_statement_timeout(self, ms: int | None) -> None:
        """Bound the session's statements by `ms` (None: the pool's own setting)."""
        self.timeout_ms = UNKNOWN_TIMEOUT  # first: a change that fails half way is undone
        if ms is None:
            await self.execute("reset statement_timeout")
        else:
            await self.execute(f"set statement_timeout = {int(ms)}")  # an int, never input
        self.timeout_ms = ms


def restoration(conn: SessionConnection) -> Awaitable[None] | None:
    """What the pool runs on a connection it takes back (None: nothing), instead of what
    asyncpg's pool runs (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL`), which costs a round trip on every release, that is per statement.

    Safe because the gateway changes a session in two ways only: its statement_timeout,
    lowered to what is left of a request's budget, and its plan_cache_mode, for a
    statement with one right plan (`PLAN_CACHE_MODE`). The connection remembers both
    (`SessionConnection`) and the next statement changes them if it needs others. Only a
    change that failed half way is undone here, to the pool's own setting (RESET returns
    to the settings the session started with). The rest of the default undoes what the
    gateway never does: it takes no session advisory locks (writes take transaction
    locks, `pg_advisory_xact_lock`, released at commit or rollback), opens no cursors
    (asyncpg's live in a transaction), listens to nothing and sets nothing else (the
    pool's settings are given at connect, `session_settings`). A connection given back in
    a transaction is closed by the pool, and so is one that this fails on."""
    if conn.timeout_ms == UNKNOWN_TIMEOUT or conn.generic_plans is None:
        return conn.restore()
    return None


@dataclass(frozen=True, slots=True)
class Health:
    name: str
    healthy: bool
    latency_ms: float | None
    last_error: str | None
    checked_at: datetime
    breaker: BreakerState = BreakerState.CLOSED


def is_source_failure(exc: BaseException) -> bool:
    """Whether an error says that the source, or our connection to it, failed (what the
    breaker counts), as opposed to an error in the statement or its input: PostgreSQL
    answered with one (bad input, a constraint), or asyncpg refused the call before
    sending it (its DataError for an argument it cannot encode, a wrong number of
    arguments; both our bug or bad input, never the source's).

    asyncpg's InterfaceError says either; `Source` tells them apart by whether the
    connection it came from is still open, which the error alone does not say."""
    return isinstance(
        exc,
        OSError  # refused, reset, no route, and TimeoutError
        | asyncpg.PostgresConnectionError  # lost or never made
        # asyncpg's protocol lost track of the conversation, as when a backend is
        # terminated while its connection waits in the pool: "cannot switch to state 12;
        # another operation (2) is in progress". Includes its ProtocolError.
        | asyncpg.InternalClientError
        | asyncpg.OperatorInterventionError  # 57xxx: shutting down, starting up, cancelled
        | asyncpg.InsufficientResourcesError  # 53xxx: too many connections, disk full
        | asyncpg.PostgresSystemError,  # 58xxx: I/O error
    )


class SourceObserver(Protocol):
    """What watches a source's statements (the gateway's metrics); `source` is the pool's
    `Source.label`: "ekin", or "ekin-analytics"."""

    def statement(self, source: str, seconds: float) -> None: ...

    def failure(self, source: str) -> None: ...


class Source:
    """One legacy PostgreSQL database reached through one pool of asyncpg connections
    (`connectors.pool`).

    Every statement goes through `fetch` or `transaction`, which count it (tests pin
    statements per request), ask the circuit breaker first, wait a bounded time for a
    pooled connection, bound the statement by PostgreSQL's statement_timeout and an
    asyncio timeout, and turn failures of the source into `SourceUnavailable`.

    A source may have an `analytics` twin: the same system (or a read replica of it)
    reached through a small pool of its own, with its own breaker, time-outs and
    application_name, so that ad-hoc questions never wait for, or hold, the connections
    the frontends use. The twin is opened and closed with its source, and its statements
    count in its source's `statements`; errors name the system alike (`name`), metrics
    tell the pools apart (`label`).
    """

    name = "source"

    def __init__(self, settings: PoolSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.sent = 0
        self.analytics: Source | None = None
        self.breaker = CircuitBreaker(settings.breaker, clock)
        self._pool: ConnectionPool[SessionConnection] | None = None
        self._pool_creation: asyncio.Task[ConnectionPool[SessionConnection]] | None = None
        self._last_error: str | None = None
        self.observer: SourceObserver | None = None
        self.tracer: Tracer = NoOpTracer()
        self._waiting = 0

    @property
    def label(self) -> str:
        """The pool's name in metrics and spans: the system's, and which pool."""
        purpose = self.settings.purpose
        return self.name if purpose == MAIN_POOL else f"{self.name}-{purpose}"

    @property
    def statements(self) -> int:
        """Statements sent to this system, through this pool and its analytics twin."""
        return self.sent + (self.analytics.statements if self.analytics is not None else 0)

    async def open(self) -> None:
        """Create the pool (and the twin's); a source that is down now is retried on first
        use."""
        with contextlib.suppress(SourceUnavailable):
            async with self._admitted():
                await self._ensure_pool()
        if self.analytics is not None:
            await self.analytics.open()

    async def close(self, wait_s: float = 10.0) -> None:
        """Close the pool (and the twin's), waiting up to `wait_s` for connections in use to
        be released; then the rest are closed hard (PostgreSQL rolls back what they had
        begun)."""
        pool, self._pool = self._pool, None
        closing = [self.analytics.close(wait_s)] if self.analytics is not None else []
        if pool is not None:
            closing.append(_closed(pool, wait_s))
        await asyncio.gather(*closing)

    @property
    def connections_in_use(self) -> int:
        """Pooled connections held by a statement or transaction now, or on their way back
        to the pool."""
        return self._pool.in_use if self._pool is not None else 0

    @property
    def connections_waiting(self) -> int:
        """Statements waiting for a pooled connection now."""
        return self._waiting

    async def _ensure_pool(self) -> ConnectionPool[SessionConnection]:
        """The pool. The first statement that finds none creates it, and statements that
        come meanwhile wait for that attempt: pools of their own would be left open, one
        per statement, when a source that was down at start-up comes back under load."""
        if self._pool is not None:
            return self._pool
        if self._pool_creation is None or self._pool_creation.done():
            self._pool_creation = asyncio.create_task(self._create_pool())
        # Shielded: a statement that gives up does not cancel the attempt others wait on.
        return await asyncio.shield(self._pool_creation)

    async def _create_pool(self) -> ConnectionPool[SessionConnection]:
        settings = self.settings
        pool = ConnectionPool(
            functools.partial(
                asyncpg.connect,
                settings.dsn,
                # Bounds making a connection, at start and when the pool replaces one.
                timeout=settings.acquire_timeout_ms / 1000,
                server_settings=session_settings(settings),
                connection_class=SessionConnection,
            ),
            min_size=settings.min_size,
            max_size=settings.max_size,
            restore=restoration,
        )
        await _refused_as_unavailable(self.name, pool.open())
        self._pool = pool
        return pool

    def _time_left_ms(self) -> int | None:
        """What is left of the request's time budget, when it is tighter than the pool's
        statement_timeout; raises when nothing is left."""
        deadline = statement_deadline.get()
        if deadline is None:
            return None
        left = int((deadline - asyncio.get_running_loop().time()) * 1000)
        if left <= 0:
            raise TimeBudgetExceeded(self.name)
        return left if left < self.settings.statement_timeout_ms else None

    @contextlib.asynccontextmanager
    async def _admitted(self) -> AsyncIterator[None]:
        """Ask the breaker, run the block, report its outcome, and turn failures of the
        source into `SourceUnavailable`."""
        try:
            probe = self.breaker.admit()
        except CircuitOpen as exc:
            self._observe_failure()
            raise SourceUnavailable(self.name, str(exc)) from None
        try:
            yield
        except SourceUnavailable as exc:
            self._observe_failure()
            if exc.source != self.name:  # another source failed inside our transaction
                self.breaker.abandoned(probe)
            elif isinstance(exc, PoolExhausted | LoopBehind):
                self._last_error = exc.reason
                self.breaker.abandoned(probe)
            else:
                self._last_error = exc.reason
                self.breaker.failed(probe)
            raise
        except (TimeBudgetExceeded, asyncio.CancelledError):
            self.breaker.abandoned(probe)
            raise
        except Exception as exc:
            if not is_source_failure(exc):
                self.breaker.succeeded(probe)  # the source answered, with an error
                raise
            reason = str(exc) or type(exc).__name__
            self._last_error = reason
            self.breaker.failed(probe)
            self._observe_failure()
            raise SourceUnavailable(self.name, reason) from exc
        else:
            self.breaker.succeeded(probe)

    @contextlib.asynccontextmanager
    async def _connection(
        self, generic_plans: bool = False
    ) -> AsyncIterator[tuple[asyncpg.Connection, float]]:
        """A pooled connection, admitted by the breaker, and the time each statement on
        it may take before the gateway gives up on it; its statements are planned for
        their values unless `generic_plans` (see `PLAN_CACHE_MODE`)."""
        async with self._admitted():
            pool = await self._ensure_pool()
            self._time_left_ms()  # nothing left: no need to wait for a connection
            conn = await self._acquire(pool)
            try:
                left_ms = self._time_left_ms()  # after the wait for the connection
                limit_ms = self.settings.statement_timeout_ms if left_ms is None else left_ms
                timeout_s = limit_ms / 1000 + ASYNCIO_GRACE_S
                change = conn.timeout_change(left_ms, self.settings.statement_timeout_ms)
                if change is not None:
                    await self._answer(conn, timeout_s, change)
                planning = conn.plan_change(generic_plans)
                if planning is not None:
                    await self._answer(conn, timeout_s, planning)
                try:
                    yield conn, timeout_s
                except asyncpg.QueryCanceledError as exc:
                    if left_ms is not None:
                        raise TimeBudgetExceeded(self.name) from exc
                    raise SourceUnavailable(
                        self.name, f"no answer within the statement timeout of {limit_ms} ms"
                    ) from exc
            except asyncpg.InterfaceError as exc:
                if not conn.is_closed():
                    raise  # asyncpg refused the call: the statement or its arguments
                # "connection is closed": it closed under the statement, or before.
                raise SourceUnavailable(self.name, f"connection lost: {exc}") from exc
            except Exception as exc:
                if is_source_failure(exc):
                    # Its state is unknown, asyncpg's protocol may be mid-conversation:
                    # dropped rather than reset and handed to the next statement.
                    conn.terminate()  # the pool makes a new one on demand
                raise
            finally:
                # A connection that cannot be restored is closed by the pool, which makes
                # a new one on demand; the outcome of the block is what the caller needs.
                with contextlib.suppress(Exception):
                    await pool.release(conn, self.settings.wait_ms / 1000)

    async def _acquire(self, pool: ConnectionPool[SessionConnection]) -> SessionConnection:
        """A connection from the pool, waiting at most `PoolSettings.wait_ms` for one.
        The wait is timed only when there may be one (a timer costs a short statement a
        tenth of its CPU); making a connection is bounded on its own (`acquire_timeout_ms`,
        at connect)."""
        wait_ms = self.settings.wait_ms
        LOOP_LAG.watch()
        started = asyncio.get_running_loop().time()
        free = pool.free
        self._waiting += 1
        try:
            if free:
                conn = await _refused_as_unavailable(self.name, pool.acquire())
            else:
                async with asyncio.timeout(wait_ms / 1000):
                    conn = await _refused_as_unavailable(self.name, pool.acquire())
        except TimeoutError:
            if free:  # none to wait for: making a connection timed out
                wait_ms = self.settings.acquire_timeout_ms
            elif pool.in_use >= self.settings.max_size:
                purpose = self.settings.purpose
                which = "pool" if purpose == MAIN_POOL else f"{purpose} pool"
                raise PoolExhausted(
                    self.name,
                    f"no connection free within {wait_ms} ms"
                    f" ({which} of {self.settings.max_size} in use)",
                ) from None
            reason = f"could not connect within {wait_ms} ms"
            raise self._unavailable(reason, started) from None
        finally:
            self._waiting -= 1
        return conn

    async def _answer(self, conn: asyncpg.Connection, timeout_s: float, call: Awaitable[T]) -> T:
        """Await one statement on `conn`; a connection that does not answer in time is
        dropped, since its state is unknown, and the source is reported unavailable."""
        started = asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(timeout_s):
                return await call
        except TimeoutError:
            conn.terminate()
            reason = f"no answer within {timeout_s * 1000:.0f} ms; connection dropped"
            raise self._unavailable(reason, started) from None

    def _unavailable(self, reason: str, waiting_since: float) -> SourceUnavailable:
        """A wait that ran out: the source's failure, unless the loop ran behind meanwhile."""
        if LOOP_LAG.behind_since(waiting_since):
            late_ms = LOOP_LAG.mean_since(waiting_since) * 1000
            return LoopBehind(
                self.name, f"{reason}, while the gateway was busy ({late_ms:.0f} ms behind)"
            )
        return SourceUnavailable(self.name, reason)

    def _observe_failure(self) -> None:
        if self.observer is not None:
            self.observer.failure(self.label)

    async def _statement(
        self, conn: asyncpg.Connection, timeout_s: float, sql: str, call: Awaitable[T]
    ) -> T:
        """One statement: counted (tests pin statements per request), timed for the
        metrics and, when tracing is on, in a span of its own."""
        self.sent += 1
        started = time.perf_counter()
        try:
            if isinstance(self.tracer, NoOpTracer):  # tracing off: no span to make
                return await self._answer(conn, timeout_s, call)
            with self.tracer.start_as_current_span(
                f"sql {self.label}",
                attributes={"db.system": "postgresql", "db.statement": " ".join(sql.split())},
            ):
                return await self._answer(conn, timeout_s, call)
        finally:
            if self.observer is not None:
                self.observer.statement(self.label, time.perf_counter() - started)

    async def fetch(
        self, sql: str, *args: Any, generic_plans: bool = False
    ) -> list[asyncpg.Record]:
        """Run one read statement and return its rows, within the request's time budget.
        `generic_plans`: the statement has one right plan whatever its values (see
        `PLAN_CACHE_MODE`)."""
        async with self._connection(generic_plans) as (conn, timeout_s):
            rows: list[asyncpg.Record] = await self._statement(
                conn, timeout_s, sql, conn.fetch(sql, *args)
            )
            return rows

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One connection in one READ COMMITTED transaction: committed when the block ends,
        rolled back when it raises. It goes through the breaker like a read, and every
        statement, the commit included, is bounded like a read; failures of the source
        become `SourceUnavailable`. A commit that does not answer leaves all of the
        transaction or none of it; which one, a repeat with the idempotency key tells."""
        async with self._connection() as (conn, timeout_s):
            transaction = conn.transaction()
            await self._answer(conn, timeout_s, transaction.start())
            try:
                yield Transaction(self, conn, timeout_s)
            except BaseException:
                if not conn.is_closed():
                    # The error that got here is the one to report; PostgreSQL rolls
                    # back by itself a transaction whose connection is gone.
                    with contextlib.suppress(Exception):
                        await self._answer(conn, timeout_s, transaction.rollback())
                raise
            await self._answer(conn, timeout_s, transaction.commit())

    async def check(self) -> Health:
        """A reachability probe: one `select 1`, timed, through the breaker (while it is
        open the probe is refused at once and reported unhealthy)."""
        started = time.perf_counter()
        try:
            await self.fetch("select 1")
        except SourceUnavailable as exc:
            # While the breaker refuses, the failure that opened it says more than the
            # refusal does (the `breaker` field tells that it is open).
            last_error = self._last_error or exc.reason
            return Health(self.name, False, None, last_error, _now(), self.breaker.state)
        except TimeBudgetExceeded as exc:
            return Health(self.name, False, None, str(exc), _now(), self.breaker.state)
        latency = round((time.perf_counter() - started) * 1000, 2)
        return Health(self.name, True, latency, self._last_error, _now(), self.breaker.state)


async def _refused_as_unavailable(source: str, connecting: Awaitable[T]) -> T:
    """Await something that may open a connection. Whatever PostgreSQL or asyncpg says
    then (no such database, wrong password, too many clients, an authentication method
    asyncpg lacks, a pool that is closing) makes the source unusable, unlike the same
    error classes from a statement."""
    try:
        return await connecting
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        if isinstance(exc, ValueError):  # ClientConfigurationError: our settings are wrong
            raise
        raise SourceUnavailable(source, str(exc)) from exc


async def _closed(pool: ConnectionPool[SessionConnection], wait_s: float) -> None:
    """Close `pool`, waiting up to `wait_s` for its connections in use, then hard."""
    try:
        await asyncio.wait_for(pool.close(), wait_s)
    except TimeoutError:
        pool.terminate()


def _now() -> datetime:
    return datetime.now(UTC)


class Transaction:
    """The statements of one write, on one connection; each is counted by its source and
    bounded like a read."""

    def __init__(self, source: Source, conn: asyncpg.Connection, timeout_s: float) -> None:
        self._source = source
        self._conn = conn
        self._timeout_s = timeout_s

    async def _answer(self, sql: str, call: Awaitable[T]) -> T:
        return await self._source._statement(self._conn, self._timeout_s, sql, call)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._answer(sql, self._conn.fetch(sql, *args))
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self._answer(sql, self._conn.fetchrow(sql, *args))
        return row

    async def execute(self, sql: str, *args: Any) -> None:
        await self._answer(sql, self._conn.execute(sql, *args))

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """One round trip for many rows of one statement."""
        await self._answer(sql, self._conn.executemany(sql, rows))
