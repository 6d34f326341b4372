"""`gateway.execution.gathering.gathered` behaves as graphql-core's `gather_with_cancel`,
which the planned engine uses it for: the same results, failures and cancellations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from graphql.pyutils import gather_with_cancel

from gateway.execution.gathering import gathered

Gather = Callable[[list[Awaitable[Any]]], Awaitable[list[Any]]]


async def graphql_cores(awaitables: list[Awaitable[Any]]) -> list[Any]:
    return await gather_with_cancel(*awaitables)


BOTH = pytest.mark.parametrize("gather", [gathered, graphql_cores], ids=["ours", "graphql-core"])


async def answer(value: Any, ticks: int = 0) -> Any:
    for _ in range(ticks):
        await asyncio.sleep(0)
    return value


async def fail(ticks: int) -> None:
    for _ in range(ticks):
        await asyncio.sleep(0)
    raise ValueError("failed")


@BOTH
async def test_results_come_in_order_with_futures_and_coroutines(gather: Gather) -> None:
    ready = asyncio.get_running_loop().create_future()
    ready.set_result("future")
    assert await gather([answer(1, 3), ready, answer(2)]) == [1, "future", 2]


@BOTH
async def test_the_first_failure_cancels_the_rest_and_is_raised_once_they_end(
    gather: Gather,
) -> None:
    slow = asyncio.ensure_future(answer("never", 50))
    finished = asyncio.ensure_future(answer("done"))
    with pytest.raises(ValueError, match="failed"):
        await gather([finished, fail(1), slow, fail(2)])
    assert slow.cancelled(), "cancelled, and ended before the failure was raised"
    assert finished.result() == "done"


@BOTH
async def test_an_awaitable_cancelled_elsewhere_cancels_the_gathering(gather: Gather) -> None:
    victim = asyncio.ensure_future(answer("never", 50))
    other = asyncio.ensure_future(answer("later", 5))
    asyncio.get_running_loop().call_soon(victim.cancel)
    with pytest.raises(asyncio.CancelledError):
        await gather([victim, other])
    assert await other == "later", "the others run on"


@BOTH
async def test_a_cancelled_gathering_cancels_every_awaitable(gather: Gather) -> None:
    first = asyncio.ensure_future(answer("never", 50))
    second = asyncio.ensure_future(answer("never", 50))
    waiting = asyncio.ensure_future(gather([first, second]))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert first.cancelled() and second.cancelled()
