"""What one request costs the gateway's own process, with no HTTP server or client between:
the app is called as an ASGI server calls it (`tests.conftest.Gateway.in_process`), one
request after another, on a seeded scale in a throw-away PostgreSQL (`seeded_gateway`).

    python bench/request_cost.py                                  # medium scale, every query
    python bench/request_cost.py --scale city --query tiny --requests 3000

Per query it prints the process's CPU time and the wall time per request (the minimum over
--repeats rounds of --requests each: other work on the machine only adds), the garbage
collections that ran meanwhile and how long they took, and the objects one request left in
reference cycles (which only a collection frees; tests/test_acyclic.py pins them at none).
The process is tuned for serving first and runs uvloop, as `smartgate serve` does
(`gateway.garbage_collection`). It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from seeded_gateway import scale_parser, seeded_gateway

from gateway.garbage_collection import tune_for_serving
from gateway.settings import DEFAULT_ROLE_LIMITS, Settings
from tests.conftest import Databases, Gateway, settings_for
from tests.test_statement_counts import DEPARTMENT_DASHBOARD, PAYMENT_LEDGER

QUERIES = {
    "tiny": '{ department(code: "1.02.0.00.0.00.01.0000") { code name fiscalYear } }',
    "ledger": PAYMENT_LEDGER,
    "dashboard": DEPARTMENT_DASHBOARD,
}


def query_parser(doc: str, scale: str) -> argparse.ArgumentParser:
    """`scale_parser`, and --query: one of QUERIES, repeatable (every one when none)."""
    parser = scale_parser(doc, scale)
    parser.add_argument("--query", choices=sorted(QUERIES), action="append")
    return parser


def unlimited_admin(databases: Databases, time_budget_ms: int | None = None) -> Settings:
    """The suite's settings with the ADMIN's rate limit lifted (the bench asks thousands of
    times a minute), and its time budget `time_budget_ms` when given."""
    admin = replace(DEFAULT_ROLE_LIMITS["ADMIN"], requests_per_minute=1_000_000)
    if time_budget_ms is not None:
        admin = replace(admin, time_budget_ms=time_budget_ms)
    limits = {**DEFAULT_ROLE_LIMITS, "ADMIN": admin}
    return settings_for(databases, role_limits=MappingProxyType(limits))


class Collections:
    """The garbage collections that run while it is installed, and their time."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.seconds += time.perf_counter() - self._started


async def cyclic_garbage(gateway: Gateway, query: str) -> int:
    """Objects one request leaves in reference cycles."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        await gateway.in_process(query)
        return gc.collect()
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def measure(gateway: Gateway, name: str, requests: int, repeats: int) -> None:
    query = QUERIES[name]
    answer = await gateway.in_process(query)
    if "errors" in answer:
        raise SystemExit(f"{name}: {answer['errors']}")
    for _ in range(min(requests, 50)):  # plans, parsed documents and pools made
        await gateway.in_process(query)
    left = await cyclic_garbage(gateway, query)
    collections = Collections()
    gc.callbacks.append(collections)
    cpu_us, wall_us = [], []
    try:
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(requests):
                await gateway.in_process(query)
            cpu_us.append((time.process_time() - cpu) / requests * 1e6)
            wall_us.append((time.perf_counter() - wall) / requests * 1e6)
    finally:
        gc.callbacks.remove(collections)
    print(
        f"| {name} | {min(cpu_us):,.0f} | {min(wall_us):,.0f} | {requests * repeats:,}"
        f" | {collections.count} ({collections.seconds * 1000:,.0f} ms) | {left} |"
    )


async def main() -> None:
    parser = query_parser(__doc__, "medium")
    parser.add_argument("--requests", type=int, default=300, help="per round")
    parser.add_argument("--repeats", type=int, default=5, help="rounds; the minimum is shown")
    args = parser.parse_args()
    async with seeded_gateway(args.scale, unlimited_admin) as gateway:
        tune_for_serving()
        columns = ["query", "CPU µs a request", "wall µs a request", "requests"]
        columns += ["collections", "left in cycles"]
        print("| " + " | ".join(columns) + " |")
        print("|" + " --- |" * len(columns))
        for name in args.query or list(QUERIES):
            await measure(gateway, name, args.requests, args.repeats)


if __name__ == "__main__":
    try:  # the event loop `smartgate serve` runs on, where uvicorn finds it
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
