"""An answered operation leaves nothing for the garbage collector: once the answer is sent,
reference counting frees everything the operation made (gateway/acyclic_executor.py,
`Loaders.release`). What is left in a reference cycle waits for a collection, which walks
it again; piled up, it made each young collection of a busy gateway take tens of
milliseconds. (An operation with errors does leave cycles: each error's traceback holds
the frames it passed through. Those are rarer, and their tracebacks are wanted.)

The app is called as an ASGI server calls it (`Gateway.in_process`): an HTTP client in between
would leave cycles of its own."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from tests.conftest import Databases, Gateway, close_gateway, open_gateway
from tests.test_statement_counts import (
    ALLOWANCE_RECONCILIATION,
    DEPARTMENT_DASHBOARD,
    PAYMENT_LEDGER,
    PAYMENT_STATS,
)

OPERATIONS = {
    "one department": '{ department(code: "1.02.0.00.0.00.01.0000") { code name } }',
    "payment ledger": PAYMENT_LEDGER,
    "department dashboard": DEPARTMENT_DASHBOARD,
    "allowance reconciliation": ALLOWANCE_RECONCILIATION,
    "payment statistics": PAYMENT_STATS,
}


@pytest.fixture(scope="module")
async def plain_gateway(small_db: Databases) -> AsyncIterator[Gateway]:
    """The app without the suite's reference engine, whose objects are not at issue."""
    gw = await open_gateway(small_db, differential=False)
    yield gw
    await close_gateway(gw)


@pytest.mark.parametrize("name", OPERATIONS)
async def test_an_answered_operation_leaves_no_reference_cycle(
    plain_gateway: Gateway, name: str
) -> None:
    query = OPERATIONS[name]
    assert "errors" not in await plain_gateway.in_process(query)  # plans and pools made
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            assert "errors" not in await plain_gateway.in_process(query)
        found = gc.collect()
        kinds = Counter(type(thing).__qualname__ for thing in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert found == 0, f"left in reference cycles: {kinds.most_common(12)}"
