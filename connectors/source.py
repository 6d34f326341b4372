"""What every source connector shares: its pool, its statement counter and its health."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg


class SourceUnavailable(Exception):
    """A source system could not answer; the gateway nulls what depends on it."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source} is unavailable: {reason}")
        self.source = source
        self.reason = reason
        # graphql-core copies `extensions` of the original error into the response.
        self.extensions = {"code": "SOURCE_UNAVAILABLE", "source": source}


class TimeBudgetExceeded(Exception):
    """The request's time budget ran out before or during a statement."""

    def __init__(self, source: str) -> None:
        super().__init__(f"the request's time budget ran out while {source} was answering")
        self.extensions = {"code": "TIME_BUDGET_EXCEEDED", "source": source}


statement_deadline: ContextVar[float | None] = ContextVar("statement_deadline", default=None)
"""The event-loop time by which the current request must be done; statements get at most
what is left of it as their PostgreSQL statement_timeout."""


@dataclass(frozen=True, slots=True)
class PoolSettings:
    dsn: str
    min_size: int = 1
    max_size: int = 10
    statement_timeout_ms: int = 10_000


@dataclass(frozen=True, slots=True)
class Health:
    name: str
    healthy: bool
    latency_ms: float | None
    last_error: str | None
    checked_at: datetime


class Source:
    """One legacy PostgreSQL database reached through one asyncpg pool.

    Every statement goes through `fetch`, which counts it (tests pin statements per
    request) and turns connection failures into `SourceUnavailable`.
    """

    name = "source"

    def __init__(self, settings: PoolSettings) -> None:
        self.settings = settings
        self.statements = 0
        self._pool: asyncpg.Pool | None = None
        self._last_error: str | None = None

    async def open(self) -> None:
        """Create the pool; a source that is down now is retried on first use."""
        with contextlib.suppress(SourceUnavailable):
            await self._ensure_pool()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _ensure_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            try:
                self._pool = await asyncpg.create_pool(
                    self.settings.dsn,
                    min_size=self.settings.min_size,
                    max_size=self.settings.max_size,
                    server_settings={
                        "statement_timeout": str(self.settings.statement_timeout_ms),
                        "application_name": "smartgate",
                    },
                )
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                self._last_error = str(exc)
                raise SourceUnavailable(self.name, str(exc)) from exc
        return self._pool

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

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """Run one read statement and return its rows, within the request's time budget."""
        pool = await self._ensure_pool()
        left_ms = self._time_left_ms()
        self.statements += 1
        try:
            async with pool.acquire() as conn:
                if left_ms is not None:
                    # An int, never input. The pool's reset (RESET ALL) undoes it on release.
                    await conn.execute(f"set statement_timeout = {left_ms}")
                rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
                return rows
        except asyncpg.QueryCanceledError as exc:
            if left_ms is not None:
                raise TimeBudgetExceeded(self.name) from exc
            self._last_error = str(exc)
            raise SourceUnavailable(self.name, str(exc)) from exc
        except (OSError, asyncpg.PostgresConnectionError) as exc:
            self._last_error = str(exc)
            raise SourceUnavailable(self.name, str(exc)) from exc
        except asyncpg.InterfaceError as exc:
            self._last_error = str(exc)
            raise SourceUnavailable(self.name, str(exc)) from exc

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One connection in one READ COMMITTED transaction: committed when the block ends,
        rolled back when it raises. Connection failures become `SourceUnavailable`."""
        pool = await self._ensure_pool()
        left_ms = self._time_left_ms()
        try:
            async with pool.acquire() as conn:
                if left_ms is not None:
                    await conn.execute(f"set statement_timeout = {left_ms}")
                async with conn.transaction():
                    yield Transaction(self, conn)
        except asyncpg.QueryCanceledError as exc:
            if left_ms is not None:
                raise TimeBudgetExceeded(self.name) from exc
            self._last_error = str(exc)
            raise SourceUnavailable(self.name, str(exc)) from exc
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
            self._last_error = str(exc)
            raise SourceUnavailable(self.name, str(exc)) from exc

    async def check(self) -> Health:
        """A reachability probe: one `select 1`, timed."""
        started = time.perf_counter()
        try:
            await self.fetch("select 1")
        except SourceUnavailable as exc:
            return Health(self.name, False, None, exc.reason, datetime.now(UTC))
        latency = (time.perf_counter() - started) * 1000
        return Health(self.name, True, round(latency, 2), self._last_error, datetime.now(UTC))


class Transaction:
    """The statements of one write, on one connection; each is counted by its source."""

    def __init__(self, source: Source, conn: asyncpg.Connection) -> None:
        self._source = source
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self._source.statements += 1
        rows: list[asyncpg.Record] = await self._conn.fetch(sql, *args)
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        self._source.statements += 1
        row: asyncpg.Record | None = await self._conn.fetchrow(sql, *args)
        return row

    async def execute(self, sql: str, *args: Any) -> None:
        self._source.statements += 1
        await self._conn.execute(sql, *args)

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """One round trip for many rows of one statement."""
        self._source.statements += 1
        await self._conn.executemany(sql, rows)
