"""A wait that runs out while the gateway's own event loop runs behind is the gateway's
overload, not the source's: the breaker does not count it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from connectors.breaker import BreakerSettings
from connectors.loop_lag import LOOP_LAG, LoopLag
from connectors.source import LoopBehind, PoolSettings, Source, SourceUnavailable


async def hog(seconds: float) -> None:
    """Keep the loop busy in slices of 150 ms, as a flood of heavy answers would."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.15)  # noqa: ASYNC251 (blocking the loop is the point)
        await asyncio.sleep(0)


async def test_an_idle_loop_is_not_behind_and_a_busy_one_is() -> None:
    lag = LoopLag()
    lag.watch()
    try:
        loop = asyncio.get_running_loop()
        idle_since = loop.time()
        await asyncio.sleep(0.3)
        assert not lag.behind_since(idle_since)
        busy_since = loop.time()
        await hog(0.6)
        assert lag.behind_since(busy_since), lag.mean_since(busy_since)
    finally:
        lag.stop()


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never says a word: a PostgreSQL that does
    not answer, or one the gateway never gets round to hearing."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_wait_run_out_on_a_busy_loop_does_not_count_against_the_breaker(
    silent_server: int,
) -> None:
    settings = PoolSettings(
        dsn=f"postgresql://nobody@127.0.0.1:{silent_server}/nothing",
        min_size=0,
        acquire_timeout_ms=400,
        breaker=BreakerSettings(failure_threshold=5),
    )
    source = Source(settings)
    try:
        with pytest.raises(SourceUnavailable) as quiet:
            await source.fetch("select 1")
        assert not isinstance(quiet.value, LoopBehind)
        assert "could not connect within 400 ms" in quiet.value.reason, quiet.value.reason
        assert source.breaker.consecutive_failures == 1

        busy = asyncio.create_task(hog(1.0))
        with pytest.raises(LoopBehind) as behind:
            await source.fetch("select 1")
        await busy
        assert "while the gateway was busy" in behind.value.reason
        assert behind.value.extensions["code"] == "SOURCE_UNAVAILABLE"
        assert source.breaker.consecutive_failures == 1, "the busy loop's wait is not counted"
    finally:
        await source.close()
        LOOP_LAG.stop()
