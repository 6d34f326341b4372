"""An answered operation leaves nothing for the garbage collector: once the answer is sent,
reference counting frees everything the operation made (gateway/acyclic_executor.py,
`Loaders.release`). What is left in a reference cycle waits for a collection, which walks
it again; piled up, it made each young collection of a busy gateway take tens of
milliseconds. (An operation with errors does leave cycles: each error's traceback holds
the frames it passed through. Those are rarer, and their tracebacks are wanted.)

The app is called as an ASGI server calls it (`asgi_post`): an HTTP client in between
would leave cycles of its own."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette

from gateway.app import build_services, create_app
from tests.conftest import Databases, asgi_post, settings_for, token
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
async def app(small_db: Databases) -> AsyncIterator[Starlette]:
    settings = settings_for(small_db)
    services = build_services(settings)
    await services.ekin.open()
    await services.sppspm.open()
    yield create_app(settings, services)
    await services.ekin.close()
    await services.sppspm.close()


async def answer(app: Starlette, query: str) -> dict[str, Any]:
    return await asgi_post(app, query, token("ADMIN", "acyclic"))


@pytest.mark.parametrize("name", OPERATIONS)
async def test_an_answered_operation_leaves_no_reference_cycle(app: Starlette, name: str) -> None:
    assert "errors" not in await answer(app, OPERATIONS[name])  # plans and pools made
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            assert "errors" not in await answer(app, OPERATIONS[name])
        found = gc.collect()
        kinds = Counter(type(thing).__qualname__ for thing in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert found == 0, f"left in reference cycles: {kinds.most_common(12)}"
