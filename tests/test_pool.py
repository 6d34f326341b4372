"""The sources' connection pool (connectors.pool), on a real PostgreSQL: sizes, order,
waits, connections that close or are given back unfit, idle ones, and closing."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import asyncpg
import pytest

from connectors.pool import ConnectionPool, PoolClosing
from tests.conftest import create_database

Pool = ConnectionPool[asyncpg.Connection]


@pytest.fixture(scope="module")
async def dsn(pg_server: Any) -> str:
    return await create_database(pg_server, "pool_checks")


APPLICATION = "pool-checks"


def pool_of(dsn: str, min_size: int = 1, max_size: int = 2, **options: Any) -> Pool:
    connect = functools.partial(
        asyncpg.connect, dsn, server_settings={"application_name": APPLICATION}
    )
    return ConnectionPool(connect, min_size, max_size, **options)


@pytest.fixture
async def pool(dsn: str) -> AsyncIterator[Pool]:
    opened = pool_of(dsn)
    await opened.open()
    try:
        yield opened
    finally:
        opened.terminate()


async def backends(dsn: str, expected: int) -> int:
    """The pool's connections that PostgreSQL has, once they are `expected` (a backend
    whose client went away takes a moment to end), or after 5 s."""
    observer = await asyncpg.connect(dsn)
    try:
        for _ in range(100):
            count: int = await observer.fetchval(
                "select count(*) from pg_stat_activity where application_name = $1",
                APPLICATION,
            )
            if count == expected:
                break
            await asyncio.sleep(0.05)
        return count
    finally:
        await observer.close()


async def test_min_size_connections_are_opened_and_no_more_than_max_size(dsn: str) -> None:
    pool = pool_of(dsn, min_size=2, max_size=3)
    await pool.open()
    try:
        assert (pool.size, await backends(dsn, 2)) == (2, 2)
        held = [await pool.acquire() for _ in range(3)]
        assert (pool.size, pool.in_use, pool.free) == (3, 3, False)
        assert await backends(dsn, 3) == 3
        assert len({conn.get_server_pid() for conn in held}) == 3
        for conn in held:
            await pool.release(conn)
        assert (pool.in_use, pool.free) == (0, True)
    finally:
        await pool.close()
    assert pool.size == 0


async def test_the_most_recently_given_back_is_handed_out_first(pool: Pool) -> None:
    first, second = await pool.acquire(), await pool.acquire()
    await pool.release(first)
    await pool.release(second)
    assert await pool.acquire() is second


async def test_waits_are_served_in_order_and_a_cancelled_wait_loses_nothing(pool: Pool) -> None:
    held = [await pool.acquire(), await pool.acquire()]
    cancelled = asyncio.create_task(pool.acquire())
    first = asyncio.create_task(pool.acquire())
    second = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.01)
    cancelled.cancel()
    await pool.release(held[0])
    assert await first is held[0]
    assert not second.done()
    await pool.release(held[1])
    assert await second is held[1]
    assert cancelled.cancelled()
    await pool.release(held[0])
    await pool.release(held[1])
    assert (pool.size, pool.in_use) == (2, 0)


async def test_a_wait_cancelled_as_it_is_served_passes_the_connection_on(pool: Pool) -> None:
    held = [await pool.acquire(), await pool.acquire()]
    waiting = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.01)
    await pool.release(held[0])  # the wait is served, then cancelled before it resumes
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert pool.in_use == 1 and pool.free
    assert await pool.acquire() is held[0]


async def test_a_connection_that_closed_frees_its_slot_for_a_new_one(dsn: str, pool: Pool) -> None:
    held = [await pool.acquire(), await pool.acquire()]
    waiting = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.01)
    held[0].terminate()
    await pool.release(held[0])
    fresh = await waiting
    assert fresh is not held[0] and not fresh.is_closed()
    assert await fresh.fetchval("select 1") == 1
    for conn in (fresh, held[1]):
        await pool.release(conn)
    assert pool.size == 2 and await backends(dsn, 2) == 2


async def test_a_backend_killed_while_idle_is_replaced_on_the_next_checkout(
    dsn: str, pool: Pool
) -> None:
    conn = await pool.acquire()
    pid = conn.get_server_pid()
    await pool.release(conn)
    killer = await asyncpg.connect(dsn)
    try:
        await killer.execute("select pg_terminate_backend($1, 1000)", pid)
    finally:
        await killer.close()
    for _ in range(100):  # asyncpg sees the socket close
        if conn.is_closed():
            break
        await asyncio.sleep(0.01)
    fresh = await pool.acquire()
    assert fresh.get_server_pid() != pid
    assert await fresh.fetchval("select 1") == 1
    await pool.release(fresh)
    assert pool.size == 1


async def test_one_whose_statement_was_cancelled_serves_the_next(pool: Pool) -> None:
    """A statement given up on (its request ran out of time) is cancelled on the server
    while its connection goes back to the pool; the next checkout's statement waits for
    that, not for the abandoned statement to finish."""
    conn = await pool.acquire()
    sleeping = asyncio.create_task(conn.fetchval("select pg_sleep(5)"))
    await asyncio.sleep(0.1)
    sleeping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeping
    await pool.release(conn)
    again = await pool.acquire()
    assert again is conn
    assert await asyncio.wait_for(again.fetchval("select 1"), 2) == 1
    await pool.release(again)


async def test_one_given_back_in_a_transaction_is_closed_not_handed_on(dsn: str) -> None:
    pool = pool_of(dsn, min_size=0, max_size=1)
    try:
        conn = await pool.acquire()
        await conn.execute("begin")
        await pool.release(conn)
        fresh = await pool.acquire()
        assert fresh is not conn and not fresh.is_in_transaction()
        await pool.release(fresh)
        assert conn.is_closed() and pool.size == 1
    finally:
        await pool.close()


async def test_a_session_is_restored_when_the_pool_takes_it_back(dsn: str) -> None:
    restored: list[asyncpg.Connection] = []

    def restore(conn: asyncpg.Connection) -> Awaitable[None] | None:
        if conn in restored:
            return None
        restored.append(conn)
        return conn.execute("reset statement_timeout")

    pool = pool_of(dsn, restore=restore)
    await pool.open()
    try:
        conn = await pool.acquire()
        await conn.execute("set statement_timeout = 1234")
        await pool.release(conn)
        assert restored == [conn]
        assert await conn.fetchval("show statement_timeout") == "0"
        await pool.release(await pool.acquire())  # nothing to do: no statement
        assert await pool.acquire() is conn
        await pool.release(conn)
    finally:
        await pool.close()


async def test_one_whose_session_is_not_restored_in_time_is_closed(dsn: str) -> None:
    pool = pool_of(dsn, restore=lambda conn: conn.execute("select pg_sleep(5)"))
    await pool.open()
    try:
        conn = await pool.acquire()
        await pool.release(conn, timeout_s=0.1)
        assert conn.is_closed()
        fresh = await pool.acquire()
        assert fresh is not conn and await fresh.fetchval("select 1") == 1
    finally:
        pool.terminate()


async def test_a_connection_is_replaced_after_its_checkouts(dsn: str) -> None:
    pool = pool_of(dsn, min_size=1, max_size=1, max_checkouts=3)
    await pool.open()
    try:
        first = await pool.acquire()
        await pool.release(first)
        for _ in range(2):
            assert await pool.acquire() is first
            await pool.release(first)
        fresh = await pool.acquire()
        assert fresh is not first
        await pool.release(fresh)
        assert first.is_closed() and pool.size == 1
    finally:
        await pool.close()


async def test_connections_idle_too_long_are_closed(dsn: str) -> None:
    pool = pool_of(dsn, min_size=2, max_size=2, max_idle_s=0.2)
    await pool.open()
    try:
        busy = await pool.acquire()
        await asyncio.sleep(0.5)
        assert pool.size == 1, "the idle one is closed, the one in use is not"
        await pool.release(busy)
        await asyncio.sleep(0.5)
        assert pool.size == 0 and await backends(dsn, 0) == 0
        conn = await pool.acquire()  # opened again on demand
        assert await conn.fetchval("select 1") == 1
        await pool.release(conn)
    finally:
        await pool.close()


async def test_close_waits_for_connections_in_use_then_refuses(dsn: str) -> None:
    pool = pool_of(dsn, min_size=1, max_size=1)
    await pool.open()
    conn = await pool.acquire()
    waiting = asyncio.create_task(pool.acquire())
    closing = asyncio.create_task(pool.close())
    await asyncio.sleep(0.05)
    with pytest.raises(PoolClosing):
        await waiting
    assert not closing.done(), "a connection is still in use"
    assert await conn.fetchval("select 1") == 1
    await pool.release(conn)
    await closing
    assert conn.is_closed() and await backends(dsn, 0) == 0
    with pytest.raises(PoolClosing):
        await pool.acquire()


async def test_a_pool_that_cannot_open_leaves_no_connection(pg_server: Any) -> None:
    pool = pool_of(pg_server.get_uri(database="no_such_database"), min_size=2)
    with pytest.raises(asyncpg.InvalidCatalogNameError):
        await pool.open()
    assert pool.size == 0
