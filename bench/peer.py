"""The gateway side by side with PostGraphile v5 on the same seeded data (issue 13, part 7).

    python bench/peer.py                           # city scale in a throw-away PostgreSQL
    python bench/peer.py --keep /var/tmp/peer      # keep the data: the next run skips seeding
    python bench/peer.py --queries Q1,Q2 --rounds 2 --scale small
    python bench/peer.py --workers 2               # the gateway as `smartgate serve --workers 2`

It seeds a scale into an embedded PostgreSQL of its own (pg_stat_statements preloaded, to
count statements; with --keep DIR the data stays in DIR and a later run with the same DIR
and scale does not seed again), copies sppspm for PostGraphile and adds there, only
there, what PostGraphile needs (bench/peer/bench_copy.sql, bench/peer/postgraphile.tags.json5).
It installs Node 22 and PostGraphile as bench/peer/package-lock.json pins them, into
bench/peer/node_modules, and Debian's wrk, when they are missing. Then, one server at a
time (PostGraphile with the amber preset, `smartgate serve` asked by an ADMIN), each query
of issue 13 (bench/peer/peer_queries.py) is measured, and both sides' answers are reduced to
plain rows and compared. Q4, the dashboard across both databases, has no peer: it is
compared with its own statements run by hand (bench/peer/peer_floor.py). At city scale on
two busy cores, seeding takes about two minutes and a round with every query half an hour.

It prints one Markdown table, a row per round and query:
- load avg: the 1-minute load average when that server started on that query;
- ms median / min: of --runs single requests one after another, after --warmup;
- req/s: under 16 connections, by wrk or by awaiting --answers (see
  bench/peer/peer_measure.py); answers that are not a 200 without errors are counted apart
  (awaiting answers, a request refused as overloaded is asked again after Retry-After);
- GW/PG: the gateway's figure divided by PostGraphile's;
- bytes: of one answer; statements: top-level SQL statements per request from
  pg_stat_statements, in brackets the client library's housekeeping (pool resets, type
  look-ups on a fresh connection).
Below it: the gateway's workers, how throughput was measured, where the two answers
differ, the SQL floor of Q4, the load average and the versions. It asserts nothing: on a
shared machine absolute times swing, so compare only within a round, and alternate the
servers' order with --rounds.

The gateway runs as one process, or with --workers N as `smartgate serve --workers N`
for the whole of its side (N processes, each with its own pools on its own SO_REUSEPORT
socket; the line below the table says which). Issue 13 allows worker processes for
throughput; latency, one request after another on one connection, meets one worker
either way. Under 16 heavy requests each waits many seconds for its turn, so the bench
lifts the limits that would turn that wait into refusals: the ADMIN's rate limit, time
budget and statement timeout, and the wait for a pooled connection (at 2 s the busy event
loop misses it and the breaker opens, issue 13 part 6).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The repository (gateway, connectors, tests) and the bench's own modules in bench/peer.
sys.path[:0] = [str(HERE.parent), str(HERE / "peer")]

import peer_measure as measure  # noqa: E402
import peer_servers as servers  # noqa: E402
from peer_floor import Floor, floor  # noqa: E402
from peer_postgres import BenchDatabases, prepare, start_postgres  # noqa: E402
from peer_queries import QUERIES, PeerQuery, differences, row_count  # noqa: E402


@dataclass(frozen=True)
class Plan:
    """What to run, from the command line, and where."""

    queries: list[PeerQuery]
    rounds: int
    runs: int
    warmup: int
    answers: int
    wrk: str | None
    workdir: Path
    workers: int


@dataclass(frozen=True)
class Measurement:
    latency: measure.Latency
    throughput: measure.Throughput
    statements: measure.Statements
    load: float


Results = dict[str, dict[str, Measurement]]
"""Of one round: server name -> query name -> what was measured."""


@dataclass(frozen=True)
class Side:
    """A server of the comparison: how to start it and what it is asked for a query."""

    name: str
    start: Callable[[], AbstractAsyncContextManager[servers.Server]]
    document: Callable[[PeerQuery], str | None]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "medium", "city"), default="city")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the seeded data in DIR")
    parser.add_argument("--queries", default="Q1,Q2,Q3,Q4", help="a subset, e.g. Q1,Q2")
    parser.add_argument("--rounds", type=int, default=1, help="alternating the servers' order")
    parser.add_argument("--runs", type=int, default=50, help="single requests measured")
    parser.add_argument("--warmup", type=int, default=10, help="requests before measuring")
    parser.add_argument(
        "--answers", type=int, default=48, help="answers awaited under load (slow queries)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="gateway processes (smartgate serve --workers N)"
    )
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers: at least 1")
    unknown = set(args.queries.split(",")) - QUERIES.keys()
    if unknown:
        parser.error(f"--queries: no such query {', '.join(sorted(unknown))}")
    return args


# -- measuring -------------------------------------------------------------------------------


async def measure_query(
    server: servers.Server, query: str, plan: Plan, admin_dsn: str
) -> Measurement:
    """Latency, then statements (on a warm server), then throughput; each load starts on
    an idle server, as one that still works on abandoned requests would skew it."""
    await measure.wait_until_idle(server, admin_dsn)
    load = measure.load_average()
    latency = await measure.latency(server, query, plan.warmup, plan.runs)
    statements = await measure.statements(server, query, admin_dsn, repeats=3)
    await measure.wait_until_idle(server, admin_dsn)
    throughput = await measure.throughput(plan.wrk, server, query, latency, plan.answers)
    return Measurement(latency, throughput, statements, load)


async def measure_side(side: Side, plan: Plan, admin_dsn: str) -> dict[str, Measurement]:
    """Every query the side can answer, on one start of its server."""
    found = {}
    async with side.start() as server:
        for q in plan.queries:
            document = side.document(q)
            if document is not None:
                print(f"  {side.name} {q.name} ...", flush=True)
                found[q.name] = await measure_query(server, document, plan, admin_dsn)
    return found


def sides(db: BenchDatabases, logs: Path, workers: int) -> list[Side]:
    return [
        Side(
            "PostGraphile",
            lambda: servers.postgraphile(db.postgraphile_dsn, logs / "postgraphile.log"),
            lambda q: q.postgraphile,
        ),
        Side(
            "gateway",
            lambda: servers.smartgate(db.gateway, logs / "gateway.log", workers),
            lambda q: q.gateway,
        ),
    ]


async def run_round(number: int, plan: Plan, db: BenchDatabases) -> Results:
    """One server after the other, PostGraphile first in odd rounds."""
    order = sides(db, plan.workdir, plan.workers)
    if number % 2 == 0:
        order.reverse()
    return {side.name: await measure_side(side, plan, db.admin_dsn) for side in order}


# -- the report ------------------------------------------------------------------------------


def milliseconds(m: Measurement | None) -> str:
    return f"{m.latency.median_ms:.1f} / {m.latency.min_ms:.1f}" if m else "—"


def per_second(m: Measurement | None) -> str:
    if m is None:
        return "—"
    failed = f" ({m.throughput.failed} failed)" if m.throughput.failed else ""
    return f"{m.throughput.per_second:,.1f}{failed}"


def statements(m: Measurement | None) -> str:
    if m is None:
        return "—"
    other = m.statements.housekeeping
    return f"{m.statements.per_request:.3g}" + (f" (+{other:.3g})" if other else "")


def response_bytes(m: Measurement | None) -> str:
    return f"{m.latency.response_bytes:,}" if m else "—"


def load(m: Measurement | None) -> str:
    return f"{m.load:.1f}" if m else "—"


def ratio(ours: float, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}×" if theirs else "—"


TABLE_HEADER = (
    "round",
    "query",
    "load avg PG / GW",
    "PostGraphile ms median / min",
    "gateway ms median / min",
    "latency GW/PG",
    "PostGraphile req/s",
    "gateway req/s",
    "throughput GW/PG",
    "bytes PG / GW",
    "statements PG / GW",
)


def table_row(number: int, q: PeerQuery, gw: Measurement, pg: Measurement | None) -> list[str]:
    return [
        str(number),
        f"{q.name} {q.title}",
        f"{load(pg)} / {load(gw)}",
        milliseconds(pg),
        milliseconds(gw),
        ratio(gw.latency.median_ms, pg.latency.median_ms if pg else None),
        per_second(pg),
        per_second(gw),
        ratio(gw.throughput.per_second, pg.throughput.per_second if pg else None),
        f"{response_bytes(pg)} / {response_bytes(gw)}",
        f"{statements(pg)} / {statements(gw)}",
    ]


def table(rounds: list[Results], queries: list[PeerQuery]) -> list[str]:
    rows = [list(TABLE_HEADER), ["---"] * len(TABLE_HEADER)]
    for number, results in enumerate(rounds, start=1):
        for q in queries:
            pg = results["PostGraphile"].get(q.name)
            rows.append(table_row(number, q, results["gateway"][q.name], pg))
    return ["| " + " | ".join(cells) + " |" for cells in rows]


def answers_compared(query: PeerQuery, gw: Measurement, pg: Measurement | None) -> list[str]:
    """What differs between the two answers reduced to rows, or that nothing does."""
    if pg is None or query.gateway_rows is None or query.postgraphile_rows is None:
        return []
    for side, m in (("gateway", gw), ("PostGraphile", pg)):
        if "errors" in m.latency.answer:
            return [f"{side} answered with errors: {m.latency.answer['errors']}"]
    ours = query.gateway_rows(gw.latency.answer["data"])
    theirs = query.postgraphile_rows(pg.latency.answer["data"])
    return differences(ours, theirs) or [f"same rows ({row_count(ours)})"]


def throughput_notes(rounds: list[Results]) -> list[str]:
    notes = []
    for number, results in enumerate(rounds, start=1):
        for side, measured in results.items():
            for name, m in measured.items():
                t = m.throughput
                failed = f"; {t.failed} failed, the first: {t.first_failure}" if t.failed else ""
                notes.append(f"round {number} {name} {side} throughput: {t.method}{failed}")
    return notes


def floor_note(f: Floor) -> str:
    return (
        f"Q4 SQL floor: the gateway's {f.statements} statements by hand, one after another:"
        f" {f.custom_plans_ms:.0f} ms planned for their parameters (runs 2-5),"
        f" {f.after_fifth_run_ms:.0f} ms from the sixth run on (generic plans possible);"
        f" slowest: {f.slowest}"
    )


def report(rounds: list[Results], plan: Plan, dashboard_floor: Floor | None, postgres: str) -> None:
    print("\n" + "\n".join(table(rounds, plan.queries)) + "\n")
    print(f"gateway: smartgate serve --workers {plan.workers}")
    for line in throughput_notes(rounds):
        print(line)
    first = rounds[0]
    for q in plan.queries:
        for line in answers_compared(
            q, first["gateway"][q.name], first["PostGraphile"].get(q.name)
        ):
            print(f"{q.name} answers: {line}")
    if dashboard_floor is not None:
        print(floor_note(dashboard_floor))
    print(f"load average now: {measure.load_average():.2f} (1 min), {time.strftime('%F %T')}")
    print(
        "versions: "
        + ", ".join(f"{k} {v}" for k, v in servers.versions(plan.wrk, postgres).items())
    )


# -- the run ---------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    servers.ensure_node_modules()
    wrk = servers.ensure_wrk()
    if wrk is None:
        print("wrk is missing and could not be installed: a Python loop loads every query")
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="smartgate-peer-"))
    workdir.mkdir(parents=True, exist_ok=True)
    queries = [QUERIES[name] for name in args.queries.split(",")]
    plan = Plan(
        queries, args.rounds, args.runs, args.warmup, args.answers, wrk, workdir, args.workers
    )
    postgres = start_postgres(workdir, keep=args.keep is not None)
    try:
        db = await prepare(postgres, workdir, args.scale)
        print(f"load average before measuring: {measure.load_average():.2f} (1 min)")
        rounds = []
        for number in range(1, plan.rounds + 1):
            print(f"round {number}:")
            rounds.append(await run_round(number, plan, db))
        dashboard = QUERIES["Q4"]
        dashboard_floor = (
            await floor(db.gateway, dashboard.gateway) if dashboard in queries else None
        )
        report(rounds, plan, dashboard_floor, db.postgres_version)
    finally:
        postgres.cleanup()
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main(arguments()))
