"""NIP lookups at city scale: the activity statement timed, and every statement's plan checked.

    python bench/index_use.py                  # city scale in a throw-away embedded PostgreSQL
    python bench/index_use.py --scale small --runs 50

First it times, with asyncpg as the gateway runs it, the activities of one person's month
and of a batch of 250 people: as custom plans, as the generic plan, and as PostgreSQL
chooses by itself (it considers the generic plan from the sixth run on). The same
statement with the `::text[]` spelling it had before is timed alongside: compared with
`text`, e-kin's `char(18)` NIP column is cast and its index goes unused.

Then it plans every statement of both connectors (the list in tests/test_index_use.py,
with its realistic parameters), custom and generic, and prints each table read whole that
the list does not expect: once as the test plans, with the alternatives to an index
disabled (any line there is a regression), and once with the planner's normal settings.
At this scale a hash join over a whole table, or a scan of a tiny one, can be the
planner's honest choice; those lines are for a reader to judge.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence

import asyncpg
from seeded_gateway import arguments, seeded_gateway

from connectors.ekin import queries as ekin_queries
from tests.test_index_use import STATEMENTS, index_leaders, plan, read_keys, tables_read_whole

TEXT_SPELLING = ekin_queries.ACTIVITIES.replace("$1::bpchar[]", "$1::text[]")
assert TEXT_SPELLING != ekin_queries.ACTIVITIES, "the activity statement's NIP cast moved"

PLAN_MODES = {"custom": "force_custom_plan", "generic": "force_generic_plan", "auto": "auto"}

BATCH = 250


async def median_ms(dsn: str, mode: str, sql: str, args: Sequence[object], runs: int) -> float:
    """Median wall time of `sql` on one connection in a plan cache mode, after a first run
    that prepares it (asyncpg keeps it prepared, as in the gateway's pool)."""
    conn = await asyncpg.connect(dsn, server_settings={"plan_cache_mode": mode})
    try:
        await conn.fetch(sql, *args)
        times = []
        for _ in range(runs):
            begin = time.perf_counter()
            await conn.fetch(sql, *args)
            times.append((time.perf_counter() - begin) * 1000)
        return statistics.median(times)
    finally:
        await conn.close()


async def time_activities(ekin_dsn: str, sppspm_dsn: str, runs: int) -> None:
    ekin = await asyncpg.connect(ekin_dsn)
    sppspm = await asyncpg.connect(sppspm_dsn)
    try:
        keys = await read_keys(ekin, sppspm)
        people = [
            r["nip"]
            for r in await ekin.fetch(
                "select nip from pegawai where aktif order by md5(nip) limit $1", BATCH
            )
        ]
        rows = {
            n: len(await ekin.fetch(ekin_queries.ACTIVITIES, people[:n], *keys.month, False, None))
            for n in (1, BATCH)
        }
    finally:
        await ekin.close()
        await sppspm.close()
    month = keys.month[0].strftime("%Y-%m")
    print(f"\nACTIVITIES, month {month}, median of {runs} runs (ms)")
    print(f"{'spelling':12} {'people':>6} {'rows':>6}" + "".join(f"{m:>10}" for m in PLAN_MODES))
    for spelling, sql in (("::bpchar[]", ekin_queries.ACTIVITIES), ("::text[]", TEXT_SPELLING)):
        for n in (1, BATCH):
            args = (people[:n], *keys.month, False, None)
            cells = [await median_ms(ekin_dsn, m, sql, args, runs) for m in PLAN_MODES.values()]
            print(f"{spelling:12} {n:6} {rows[n]:6}" + "".join(f"{c:10.2f}" for c in cells))


TABLE_ROWS = "select relname, reltuples::bigint as n from pg_class where relkind = 'r'"


async def check_plans(ekin_dsn: str, sppspm_dsn: str, planner: dict[str, str]) -> None:
    """Print each table a statement's plan reads whole that STATEMENTS does not expect."""
    dsns = {"ekin": ekin_dsn, "sppspm": sppspm_dsn}
    connections = {
        db: await asyncpg.connect(dsn, server_settings=planner) for db, dsn in dsns.items()
    }
    try:
        keys = await read_keys(connections["ekin"], connections["sppspm"])
        leaders = {db: await index_leaders(conn) for db, conn in connections.items()}
        sizes = {
            db: {r["relname"]: r["n"] for r in await conn.fetch(TABLE_ROWS)}
            for db, conn in connections.items()
        }
        print(f"\nPlans of {len(STATEMENTS)} statements, {planner or 'normal planner settings'}:")
        found = 0
        for statement in STATEMENTS:
            conn = connections[statement.database]
            for kind in ("custom", "generic"):
                args = statement.args(keys)
                root = await plan(conn, statement.sql, args, generic=kind == "generic")
                unexpected = tables_read_whole(root, leaders[statement.database])
                unexpected -= statement.reads_whole
                if unexpected:
                    found += 1
                    tables = ", ".join(
                        f"{t} ({sizes[statement.database][t]} rows)" for t in sorted(unexpected)
                    )
                    print(f"  {statement.database}.{statement.name} {kind}: reads {tables} whole")
        if not found:
            print("  no table read whole that an index could serve")
    finally:
        for conn in connections.values():
            await conn.close()


# As the test plans: with every alternative to an index disabled, a table read whole is
# one no index serves.
STRICT = {"enable_seqscan": "off", "enable_hashjoin": "off", "enable_mergejoin": "off"}


async def main(scale: str, runs: int) -> None:
    async with seeded_gateway(scale) as gateway:
        settings = gateway.services.settings
        await time_activities(settings.ekin_dsn, settings.sppspm_dsn, runs)
        await check_plans(settings.ekin_dsn, settings.sppspm_dsn, STRICT)
        await check_plans(settings.ekin_dsn, settings.sppspm_dsn, {})


if __name__ == "__main__":
    args = arguments(__doc__, scale="city", runs=20)
    asyncio.run(main(args.scale, args.runs))
