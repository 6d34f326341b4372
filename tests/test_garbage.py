"""What an operation loaded is freed with its answer, by reference counting.

Each loader's batch function refers back to the operation's loaders, a cycle reference
counting cannot free; were the loaders not released when the answer is made
(`Loaders.release`), every record an operation loaded would wait, as cyclic garbage, for
the garbage collector, which would walk it again with every collection meanwhile (on a
city's page of 2,000 payment requests, 60,000 status changes and their records). The
garbage an operation leaves is counted by the collector, not timed."""

from __future__ import annotations

import gc

from tests.conftest import Gateway

PAGE = """query($first: Int!) {
  paymentRequests(first: $first) { edges { node {
    number department { name } budgetLine { remaining }
    history { document to at by { nip name } }
  } } }
}"""


async def _garbage_after(gateway: Gateway, first: int) -> int:
    """Objects the collector finds unreachable after one operation: cyclic garbage."""
    gc.collect()
    gc.disable()
    try:
        data = await gateway.data(PAGE, {"first": first})
        assert len(data["paymentRequests"]["edges"]) == first
        del data
        return gc.collect()
    finally:
        gc.enable()


async def test_an_operation_leaves_no_garbage_that_grows_with_its_answer(
    gateway: Gateway,
) -> None:
    await _garbage_after(gateway, 1)  # warm: plans, caches, connections
    one = await _garbage_after(gateway, 1)
    forty = await _garbage_after(gateway, 40)
    assert forty - one < 40, (one, forty)
