"""First and seventh run of every statement the gateway sends, at a seeded scale.

    python bench/statement_plans.py                  # city scale in a throw-away PostgreSQL
    python bench/statement_plans.py --scale medium --rounds 1
    python bench/statement_plans.py --databases EKIN_DSN SPPSPM_DSN CROSSWALK   # seeded already

The gateway answers the representative queries of tests/test_statement_counts.py and a
few more (service levels, clocks, data issues), and every statement it sends is recorded
with its arguments. Each is then prepared on a fresh connection and run seven times, as a
pooled connection would run it: from the sixth run on, PostgreSQL may reuse a generic plan
made without the values. Printed per statement, in milliseconds (median over the rounds):
the first and the seventh run in a session as the pool starts it now
(`connectors.source.session_settings`: every run planned with its values), then the same
with PostgreSQL left to choose (plan_cache_mode auto, as the pool's sessions were before).
Then the cost of giving a connection back to the pool: asyncpg's default reset against
the gateway's (`restore_session`).

It prints; it asserts nothing. Times swing with the machine: compare within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from seeded_gateway import seeded_gateway

from connectors.source import (
    PoolSettings,
    SessionConnection,
    Source,
    restore_session,
    session_settings,
)
from tests.conftest import Databases, Gateway, close_gateway, open_gateway
from tests.test_statement_counts import PINNED

MORE = {
    "service_levels": """{ serviceLevel(from: "2026-01-01", to: "2026-10-31") { finished onTime }
      departments { code budget { ceiling committed disbursed }
        serviceLevel(from: "2026-01-01", to: "2026-10-31") { finished onTime }
        performance(period: "2026-10") { headcount averageScore pendingActivities } } }""",
    "clocks": """{ paymentRequests(first: 200, filter: {fiscalYear: 2026}) {
        edges { node { number clock { state deadline } history { document } } } }
      paymentRequestStats(filter: {fiscalYear: 2026}, groupBy: [CLOCK_STATE]) {
        groups { key { clockState } count } } }""",
    "data_issues": "{ dataIssues(fiscalYear: 2026) { kind source key } }",
    "departments_requests": """{ departments { code paymentRequests(first: 40) { edges { node {
        number budgetLine { remaining } history { document at } } } } } }""",
}
"""Queries beyond the pinned ones, for the statements those do not send."""

RUNS = 7
MODES = {"pool": None, "auto": "auto"}
"""Sessions compared: as the pool starts them now, and with PostgreSQL left to choose."""


@dataclass(frozen=True)
class Sent:
    query: str
    source: str  # "ekin" or "sppspm"
    sql: str
    args: tuple[Any, ...]


@contextmanager
def recording(sent: list[Sent], query: list[str]) -> Iterator[None]:
    """Record every read the connectors send, with the name of the query being answered."""
    fetch = Source.fetch

    async def recorded(self: Source, sql: str, *args: Any) -> list[asyncpg.Record]:
        sent.append(Sent(query[0], self.name, sql, args))
        return await fetch(self, sql, *args)

    Source.fetch = recorded  # type: ignore[method-assign]
    try:
        yield
    finally:
        Source.fetch = fetch  # type: ignore[method-assign]


async def statements_sent(gateway: Gateway) -> list[Sent]:
    """Each distinct statement (text and arguments) the queries make the gateway send."""
    sent: list[Sent] = []
    query = [""]
    with recording(sent, query):
        for name, text in {**{n: q for n, (q, _) in PINNED.items()}, **MORE}.items():
            query[0] = name
            await gateway.data(text)
    distinct: dict[tuple[str, str, str], Sent] = {}
    for s in sent:
        distinct.setdefault((s.source, s.sql, repr(s.args)), s)
    return list(distinct.values())


async def runs_ms(dsn: str, mode: str | None, sql: str, args: Sequence[Any]) -> list[float]:
    """Wall time of each of RUNS runs of `sql` on a fresh connection (asyncpg prepares it
    once and keeps it, as on a pooled connection)."""
    settings = session_settings(PoolSettings(dsn))
    if mode is not None:
        settings["plan_cache_mode"] = mode
    conn = await asyncpg.connect(dsn, server_settings=settings)
    try:
        times = []
        for _ in range(RUNS):
            begin = time.perf_counter()
            await conn.fetch(sql, *args)
            times.append((time.perf_counter() - begin) * 1000)
        return times
    finally:
        await conn.close()


def shown(sql: str) -> str:
    return " ".join(sql.split())[:64]


async def compare(gateway: Gateway, rounds: int) -> None:
    settings = gateway.services.settings
    dsns = {"ekin": settings.ekin_dsn, "sppspm": settings.sppspm_dsn}
    sent = await statements_sent(gateway)
    print(f"\n{len(sent)} statements, {RUNS} runs each on a fresh connection, ms")
    print(f"{'query':24} {'db':6} {'pool 1st':>9} {'pool 7th':>9} {'auto 1st':>9} {'auto 7th':>9}")
    totals = {mode: [0.0, 0.0] for mode in MODES}
    for s in sent:
        cells = []
        for mode_name, mode in MODES.items():
            rounds_ms = [await runs_ms(dsns[s.source], mode, s.sql, s.args) for _ in range(rounds)]
            first = statistics.median(r[0] for r in rounds_ms)
            seventh = statistics.median(r[RUNS - 1] for r in rounds_ms)
            totals[mode_name][0] += first
            totals[mode_name][1] += seventh
            cells += [first, seventh]
        print(
            f"{s.query[:24]:24} {s.source:6}" + "".join(f"{c:9.1f}" for c in cells),
            f"  {shown(s.sql)}",
        )
    sums = [totals[name][run] for name in MODES for run in (0, 1)]
    print(f"{'sum':31}" + "".join(f"{c:9.1f}" for c in sums))


async def release_cost(dsn: str, statements: int = 1000) -> None:
    """Median time of one statement through a pool of one connection (acquire, statement,
    release), with asyncpg's default reset on release and with the gateway's."""
    settings = session_settings(PoolSettings(dsn))
    pools = {
        "asyncpg's reset": await asyncpg.create_pool(
            dsn, min_size=1, max_size=1, server_settings=settings
        ),
        "gateway's": await asyncpg.create_pool(
            dsn,
            min_size=1,
            max_size=1,
            server_settings=settings,
            connection_class=SessionConnection,
            reset=restore_session,
        ),
    }
    try:
        print(f"\nOne statement through a pool of one connection, median of {statements}, ms")
        for name, pool in pools.items():
            times = []
            for _ in range(statements):
                begin = time.perf_counter()
                async with pool.acquire() as conn:
                    await conn.fetch("select 1")
                times.append((time.perf_counter() - begin) * 1000)
            print(f"  {name:16} {statistics.median(times):6.3f}")
    finally:
        for pool in pools.values():
            await pool.close()


@asynccontextmanager
async def seeded_already(ekin: str, sppspm: str, crosswalk: str) -> AsyncIterator[Gateway]:
    gateway = await open_gateway(Databases(ekin, sppspm, Path(crosswalk)))
    try:
        yield gateway
    finally:
        await close_gateway(gateway)


async def main(args: argparse.Namespace) -> None:
    opened = seeded_already(*args.databases) if args.databases else seeded_gateway(args.scale)
    async with opened as gateway:
        await compare(gateway, args.rounds)
        await release_cost(gateway.services.settings.sppspm_dsn)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "medium", "city"), default="city")
    parser.add_argument("--rounds", type=int, default=3, help="fresh connections per mode")
    parser.add_argument(
        "--databases",
        nargs=3,
        metavar=("EKIN_DSN", "SPPSPM_DSN", "CROSSWALK"),
        help="databases seeded already (and their crosswalk file), instead of seeding",
    )
    asyncio.run(main(parser.parse_args()))
