"""Overload is the gateway's: past its room for work in flight an operation waits its
turn, then is refused with OVERLOADED (503, Retry-After), and the sources' breakers never
hear of it."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from connectors.breaker import BreakerState
from gateway.load_shedding import InFlight, Overloaded
from tests.conftest import Databases, close_gateway, open_gateway, settings_for

# -- InFlight ------------------------------------------------------------------------------


async def hold(in_flight: InFlight, cost: int, release: asyncio.Event, log: list[str]) -> None:
    async with in_flight.admitted(cost):
        log.append(f"in {cost}")
        await release.wait()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_operations_past_the_room_wait_their_turn_in_order() -> None:
    in_flight = InFlight(max_operations=2, max_cost=1_000, queue_timeout_s=5)
    release = [asyncio.Event() for _ in range(4)]
    log: list[str] = []
    tasks = [asyncio.create_task(hold(in_flight, n, release[n], log)) for n in range(4)]
    await settle()
    assert log == ["in 0", "in 1"] and in_flight.running == 2
    release[1].set()
    await settle()
    assert log == ["in 0", "in 1", "in 2"]
    release[0].set()
    await settle()
    assert log == ["in 0", "in 1", "in 2", "in 3"]
    for event in release:
        event.set()
    await asyncio.gather(*tasks)
    assert (in_flight.running, in_flight.cost) == (0, 0)


async def test_cost_counts_and_the_heaviest_runs_alone() -> None:
    in_flight = InFlight(max_operations=10, max_cost=100, queue_timeout_s=5)
    release = asyncio.Event()
    log: list[str] = []
    light = asyncio.create_task(hold(in_flight, 60, release, log))
    await settle()
    heavy = asyncio.create_task(hold(in_flight, 500, asyncio.Event(), log))
    after = asyncio.create_task(hold(in_flight, 10, release, log))
    await settle()
    assert log == ["in 60"], "the heavy one waits, and the light one behind it too"
    release.set()
    await settle()
    assert log == ["in 60", "in 500"] and in_flight.running == 1
    heavy.cancel()
    await asyncio.gather(light, after, heavy, return_exceptions=True)
    assert log == ["in 60", "in 500", "in 10"] and (in_flight.running, in_flight.cost) == (0, 0)


async def test_a_wait_past_the_queue_timeout_is_refused_and_leaves_nothing_behind() -> None:
    in_flight = InFlight(max_operations=1, max_cost=1_000, queue_timeout_s=0.05)
    release = asyncio.Event()
    busy = asyncio.create_task(hold(in_flight, 1, release, []))
    await settle()
    with pytest.raises(Overloaded) as refused:
        async with in_flight.admitted(1):
            pass
    assert refused.value.extensions == {
        "code": "OVERLOADED",
        "retryAfter": "1",
    }
    assert in_flight.refused == 1 and not in_flight._queue
    release.set()
    await busy
    assert (in_flight.running, in_flight.cost) == (0, 0)


async def test_a_cancelled_wait_leaves_the_queue() -> None:
    in_flight = InFlight(max_operations=1, max_cost=1_000, queue_timeout_s=5)
    release = asyncio.Event()
    busy = asyncio.create_task(hold(in_flight, 1, release, []))
    await settle()
    waiting = asyncio.create_task(hold(in_flight, 1, asyncio.Event(), []))
    await settle()
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    assert not in_flight._queue
    release.set()
    await busy
    assert (in_flight.running, in_flight.cost) == (0, 0)


# -- a flood of heavy queries ------------------------------------------------------------------

HEAVY = """{ departments { code budget { ceiling committed remaining }
  paymentRequests(first: 50) { totalCount edges { node { number amount status
    budgetLine { accountCode remaining } history { to at } } } } } }"""


async def test_a_flood_is_served_or_refused_with_overloaded_and_no_breaker_opens(
    small_db: Databases,
) -> None:
    settings = dataclasses.replace(
        settings_for(small_db), max_in_flight=2, overload_queue_ms=0, pool_max_size=2
    )
    gw = await open_gateway(small_db, settings)
    try:
        answers = await asyncio.gather(*(gw.post(HEAVY) for _ in range(24)))
        served = [a for a in answers if a.status_code == 200]
        refused = [a for a in answers if a.status_code == 503]
        assert len(served) + len(refused) == 24
        assert served and refused
        for answer in served:
            assert "errors" not in answer.json(), answer.json()["errors"][:1]
        for answer in refused:
            body = answer.json()
            assert body["data"] is None
            assert [e["extensions"]["code"] for e in body["errors"]] == ["OVERLOADED"]
            assert answer.headers["Retry-After"] == "1"
        for source in gw.services.main:
            assert source.breaker.state is BreakerState.CLOSED
            assert source.breaker.consecutive_failures == 0
        assert gw.services.in_flight.refused == len(refused)
        assert (gw.services.in_flight.running, gw.services.in_flight.cost) == (0, 0)
        metrics = (await gw.client.get("/metrics")).text
        assert f"smartgate_overloaded_total {float(len(refused))}" in metrics
    finally:
        await close_gateway(gw)
