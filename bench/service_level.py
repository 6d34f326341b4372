"""What serviceLevel over a full year of the whole city costs, at city scale.

    python bench/service_level.py                 # city scale in a throw-away PostgreSQL
    python bench/service_level.py --scale small --runs 5

Prints the statements and wall time of `serviceLevel` for a year of the city and of every
department at once, and separately the in-memory clock computation for all the year's
requests (no SQL), so the SQL and the Python can be told apart.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import date, datetime

from seeded_gateway import arguments, seeded_gateway

from connectors.domain import WIB
from gateway.timebound.service_level import service_level
from tests.conftest import Gateway

YEAR = """{ serviceLevel(from: "2026-01-01", to: "2026-12-31") {
  finished onTime late open breachedOpen onTimeRate medianWorkingDaysToDisbursement } }"""
EVERY_DEPARTMENT = """{ departments(fiscalYear: 2026) { code
  serviceLevel(from: "2026-01-01", to: "2026-12-31") { finished onTime open } } }"""


async def timed(gateway: Gateway, query: str, runs: int) -> tuple[int, list[float]]:
    statements = await gateway.counted(query)  # warm-up, and the calendar read once
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        await gateway.data(query)
        times.append((time.perf_counter() - begin) * 1000)
    return statements, times


async def measure(scale: str, runs: int) -> None:
    async with seeded_gateway(scale) as gateway:
        for name, query in (("city, one year", YEAR), ("every department", EVERY_DEPARTMENT)):
            statements, times = await timed(gateway, query, runs)
            print(
                f"serviceLevel {name:18} statements={statements}"
                f"  median={statistics.median(times):7.1f} ms  worst={max(times):7.1f} ms"
            )
        sppspm = gateway.services.sppspm
        start, end = date(2026, 1, 1), date(2026, 12, 31)
        begin = time.perf_counter()
        steps = await sppspm.steps_submitted_between(None, start, end)
        fetched = (time.perf_counter() - begin) * 1000
        calendar = await gateway.services.calendar.current()
        now = datetime.now(WIB)
        clock_times = []
        for _ in range(runs):
            begin = time.perf_counter()
            figures = service_level(steps, calendar, now, start, end)
            clock_times.append((time.perf_counter() - begin) * 1000)
        per_request = statistics.median(clock_times) * 1000 / max(len(steps), 1)
        print(
            f"{len(steps)} requests of 2026: one statement {fetched:.1f} ms;"
            f" their clocks in Python {statistics.median(clock_times):.1f} ms"
            f" ({per_request:.1f} µs each); finished={figures.finished} open={figures.open}"
        )


if __name__ == "__main__":
    args = arguments(__doc__, scale="city", runs=5)
    asyncio.run(measure(args.scale, args.runs))
