"""Analysts' questions at a seeded scale: the recipes of docs/analysts.md, each one query.

    python bench/analytics.py                  # city scale in a throw-away embedded PostgreSQL
    python bench/analytics.py --scale small --runs 5

Prints, per recipe: queries (always 1), SQL statements, groups or rows in the answer, then
the median and worst wall time over the runs (after one warm-up run), as the demo's ANALYST
(through the analytics pools).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from seeded_gateway import arguments, seeded_gateway

from tests.conftest import Gateway, token
from tests.test_analyst_recipes import recipes


def rows(data: Any) -> int:
    """Groups and edges in an answer."""
    if isinstance(data, dict):
        return sum(
            len(value) if key in ("groups", "edges") else rows(value) for key, value in data.items()
        )
    if isinstance(data, list):
        return sum(rows(item) for item in data)
    return 0


async def measure(scale: str, runs: int) -> None:
    async with seeded_gateway(scale) as admin:
        analyst: Gateway = admin.as_caller(token("ANALYST", "bench-analyst"))
        print(f"{'recipe':46} queries statements   rows   median    worst")
        for recipe in recipes():
            name = " ".join(recipe.split())[2:46]
            statements = await analyst.counted(recipe)  # warm-up
            times = []
            answer: dict[str, Any] = {}
            for _ in range(runs):
                begin = time.perf_counter()
                answer = await analyst.data(recipe)
                times.append((time.perf_counter() - begin) * 1000)
            print(
                f"{name:46} {1:7} {statements:10} {rows(answer):6}"
                f" {statistics.median(times):6.0f} ms {max(times):6.0f} ms"
            )


if __name__ == "__main__":
    args = arguments(__doc__, scale="city", runs=5)
    asyncio.run(measure(args.scale, args.runs))
