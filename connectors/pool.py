"""The connections of one source's pool, kept by the gateway rather than by asyncpg.

asyncpg's pool costs a short statement about half as much CPU again as the statement
itself: measured on `bench/peer.py`'s data, a one-row lookup took 27 µs of the client's
CPU on a connection held, 42 µs through `asyncpg.Pool` (a queue, a proxy object per
checkout, and a task per release, `asyncio.shield`, and per timed acquire,
`asyncio.wait_for`), and 27 µs through this pool. A source takes a connection per
statement (`connectors.source.Source`), so that is paid per statement.

What the gateway needs of a pool is small: at most `max_size` connections, `min_size`
opened at start, the most recently used handed out first, waits served in order, a
connection that closed replaced on demand, one left idle for `max_idle_s` closed (an
analytics pool holds none while no analyst asks), one that served `max_checkouts`
statements or transactions replaced (PostgreSQL backends grow with what they cache),
and a close that waits for connections in use. Waiting is unbounded here: the source
bounds it, and only when there may be a wait (`free`). Whatever a connection's session
was left with is the source's to undo (`restore`); a connection given back in a
transaction, or one that cannot be restored, is closed, not handed on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import asyncpg

log = logging.getLogger("smartgate")

C = TypeVar("C", bound=asyncpg.Connection)

MAX_IDLE_S = 300.0
"""asyncpg's default `max_inactive_connection_lifetime`."""
MAX_CHECKOUTS = 50_000
"""As asyncpg's `max_queries`, counted by checkout."""
RETIRE_WITHIN_S = 10.0
"""How long a connection being closed may take to say goodbye before it is cut."""


class PoolClosing(asyncpg.InterfaceError):
    """The pool is closing: no connection is handed out any more (asyncpg's error for it,
    which the source reads as unavailable)."""

    def __init__(self) -> None:
        super().__init__("pool is closing")


class ConnectionPool(Generic[C]):
    """At most `max_size` connections that `connect` makes (see the module)."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[C]],
        min_size: int,
        max_size: int,
        restore: Callable[[C], Awaitable[None] | None] | None = None,
        max_idle_s: float = MAX_IDLE_S,
        max_checkouts: int = MAX_CHECKOUTS,
    ) -> None:
        if not 0 <= min_size <= max_size or max_size < 1:
            raise ValueError(f"pool sizes must be 0 <= min {min_size} <= max {max_size} >= 1")
        self._connect = connect
        self.min_size = min_size
        self.max_size = max_size
        self._restore = restore
        self._max_idle_s = max_idle_s
        self._max_checkouts = max_checkouts
        self._idle: list[tuple[C, float, int]] = []  # (connection, idle since, checkouts)
        """Newest last."""
        self._in_use: dict[C, int] = {}  # checkouts served so far, the current one included
        self._opened = 0  # connections open, being opened, or whose slot a waiter holds
        self._waiters: deque[asyncio.Future[C | None]] = deque()
        self._pruning: asyncio.TimerHandle | None = None
        self._retiring: set[asyncio.Future[None]] = set()
        self._closing = False
        self._all_back = asyncio.Event()
        self._all_back.set()

    @property
    def size(self) -> int:
        """Connections open or being opened."""
        return self._opened

    @property
    def in_use(self) -> int:
        return len(self._in_use)

    @property
    def free(self) -> bool:
        """Whether `acquire` returns without waiting for another's connection (it may
        still have to open one)."""
        return bool(self._idle) or self._opened < self.max_size

    async def open(self) -> None:
        """Open `min_size` connections; if one fails, close the others and raise."""
        self._opened += self.min_size
        opened = await asyncio.gather(
            *(self._connect() for _ in range(self.min_size)), return_exceptions=True
        )
        failed = [c for c in opened if isinstance(c, BaseException)]
        if failed:
            self._opened -= self.min_size
            for conn in opened:
                if not isinstance(conn, BaseException):
                    conn.terminate()
            raise failed[0]
        now = asyncio.get_running_loop().time()
        for conn in opened:
            assert not isinstance(conn, BaseException)
            self._idle.append((conn, now, 0))
        self._schedule_pruning()

    async def acquire(self) -> C:
        """A connection: the most recently used idle one, a new one while there are
        fewer than `max_size`, else the first one given back (waiting for it)."""
        if self._closing:
            raise PoolClosing()
        while self._idle:
            conn, _, served = self._idle.pop()
            if conn.is_closed():
                self._opened -= 1
                continue
            return self._checked_out(conn, served)
        if self._opened < self.max_size:
            self._opened += 1
            return await self._new()
        waiter: asyncio.Future[C | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            handed = await waiter
        except BaseException:
            if not waiter.done():
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            elif not waiter.cancelled() and waiter.exception() is None:
                self._pass_back(waiter.result())  # served as the wait was cancelled
            raise
        if handed is None:  # a connection closed: its slot is this wait's to fill
            return await self._new()
        return handed

    async def release(self, conn: C, timeout_s: float | None = None) -> None:
        """Take `conn` back: hand it to the first waiting, or keep it idle. One closed,
        in a transaction, due for replacement, or whose session is not restored within
        `timeout_s`, is closed instead, and its slot freed."""
        reusable = False
        try:
            reusable = await self._reusable(conn, timeout_s)
        except BaseException:  # cancelled while its session was being restored
            conn.terminate()
            raise
        finally:
            served = self._in_use.pop(conn)
            if not self._in_use:
                self._all_back.set()
            if reusable:
                self._pass_on(conn, served)
            elif conn.is_closed():
                self._slot_freed()
            else:
                self._retire(conn)

    async def close(self) -> None:
        """Refuse new checkouts, wait until every connection is given back, then close
        them all (`terminate` ends what does not close)."""
        self._closing = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(PoolClosing())
        await self._all_back.wait()
        if self._pruning is not None:
            self._pruning.cancel()
        idle, self._idle = self._idle, []
        for conn, _, _ in idle:
            self._retire(conn)
        await asyncio.gather(*self._retiring, return_exceptions=True)

    def terminate(self) -> None:
        """Close every connection at once, in use or not."""
        self._closing = True
        if self._pruning is not None:
            self._pruning.cancel()
        for conn in [*self._in_use, *(c for c, _, _ in self._idle)]:
            conn.terminate()
        self._idle.clear()

    async def _reusable(self, conn: C, timeout_s: float | None) -> bool:
        if (
            conn.is_closed()
            or conn.is_in_transaction()
            or self._closing
            or self._in_use[conn] >= self._max_checkouts
        ):
            return False
        restoring = self._restore(conn) if self._restore is not None else None
        if restoring is not None:
            try:
                await asyncio.wait_for(restoring, timeout_s)
            except Exception as exc:
                log.warning("event=pool_connection_dropped reason=%r", exc)
                conn.terminate()
                return False
        return True

    async def _new(self) -> C:
        """A new connection in a slot already counted in `_opened`."""
        try:
            conn = await self._connect()
        except BaseException:
            self._slot_freed()
            raise
        if self._closing:
            conn.terminate()
            self._slot_freed()
            raise PoolClosing()
        return self._checked_out(conn, 0)

    def _checked_out(self, conn: C, served: int) -> C:
        self._in_use[conn] = served + 1
        self._all_back.clear()
        return conn

    def _pass_on(self, conn: C | None, served: int = 0) -> None:
        """Hand `conn` (None: a free slot) to the first waiter still waiting, or keep it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                if conn is not None:
                    self._checked_out(conn, served)
                waiter.set_result(conn)
                return
        if conn is None:
            self._opened -= 1
            return
        self._idle.append((conn, asyncio.get_running_loop().time(), served))
        self._schedule_pruning()

    def _pass_back(self, handed: C | None) -> None:
        """Pass on what a wait was served and did not take."""
        if handed is None:
            self._slot_freed()
            return
        served = self._in_use.pop(handed) - 1
        if not self._in_use:
            self._all_back.set()
        self._pass_on(handed, served)

    def _slot_freed(self) -> None:
        self._pass_on(None)

    def _retire(self, conn: C) -> None:
        """Close `conn` in the background; its slot is free once it is closed."""
        task = asyncio.ensure_future(conn.close(timeout=RETIRE_WITHIN_S))
        self._retiring.add(task)
        task.add_done_callback(self._retired)

    def _retired(self, task: asyncio.Future[None]) -> None:
        self._retiring.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("event=pool_close_failed error=%r", task.exception())
        self._slot_freed()

    def _schedule_pruning(self) -> None:
        if self._pruning is None and self._idle:
            since = self._idle[0][1]
            loop = asyncio.get_running_loop()
            self._pruning = loop.call_at(since + self._max_idle_s, self._prune)

    def _prune(self) -> None:
        """Close the connections idle for `max_idle_s` (the oldest are first)."""
        self._pruning = None
        cutoff = asyncio.get_running_loop().time() - self._max_idle_s
        while self._idle and self._idle[0][1] <= cutoff:
            conn, _, _ = self._idle.pop(0)
            self._retire(conn)
        self._schedule_pruning()
