"""Latency and SQL statements of representative queries, on a seeded scale.

    python bench/queries.py                  # city scale in a throw-away embedded PostgreSQL
    python bench/queries.py --scale small --runs 20

Prints, per query: statements issued, then median and worst wall time over the runs
(after one warm-up run). Figures depend on the machine; the statement counts do not.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from seeded_gateway import arguments, seeded_gateway

from tests.test_statement_counts import PINNED


async def measure(scale: str, runs: int) -> None:
    async with seeded_gateway(scale) as gateway:
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


if __name__ == "__main__":
    args = arguments(__doc__, scale="city", runs=10)
    asyncio.run(measure(args.scale, args.runs))
