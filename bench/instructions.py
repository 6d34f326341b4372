"""Instructions a request costs the gateway's own process, counted by valgrind's callgrind:
the same figure on a busy machine as on an idle one, where CPU time swings by a third.

    python bench/instructions.py                                   # small scale, every query
    python bench/instructions.py --scale city --query dashboard --requests 2 --warmup 3

It seeds a scale into a throw-away PostgreSQL (natively), then runs a second Python
process under `valgrind --tool=callgrind` that opens the gateway on it, asks each query
--warmup times (plans, pools and parsed documents made), zeroes callgrind's counters
(`callgrind_control -z`), asks the query --requests times as `bench/request_cost.py`
does (in-process, no HTTP server or client), and dumps the counts. It prints the
instructions per request. PostgreSQL is not counted (valgrind follows no child process;
the server is not one). Counts include the process's own work on each answer (the bench
decodes it, as `Gateway.in_process` does); compare commits, not absolute figures. Two
runs of one commit differ by about 0.3%. Needs valgrind (Debian's package); it prints;
it asserts nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from request_cost import QUERIES, query_parser, unlimited_admin  # noqa: E402
from seeded_gateway import seeded_databases  # noqa: E402

from tests.conftest import Databases, close_gateway, open_gateway  # noqa: E402

COUNTED = "SMARTGATE_BENCH_COUNTED"
"""Set in the process valgrind runs: the JSON of what it is to count."""


async def counted(task: dict[str, object]) -> None:
    """Inside valgrind: ask the query, zero the counters, ask it again and dump."""
    databases = Databases(str(task["ekin"]), str(task["sppspm"]), Path(str(task["crosswalk"])))
    # the process is some fifty times slower under valgrind: nothing may time out
    settings = replace(
        unlimited_admin(databases, time_budget_ms=3_600_000),
        statement_timeout_ms=3_600_000,
        pool_acquire_timeout_ms=600_000,
    )
    gateway = await open_gateway(databases, settings, differential=False)
    query = QUERIES[str(task["query"])]
    try:
        for _ in range(int(str(task["warmup"]))):
            answer = await gateway.in_process(query)
            if "errors" in answer:
                raise SystemExit(f"{task['query']}: {answer['errors']}")
        _control("-z")
        for _ in range(int(str(task["requests"]))):
            await gateway.in_process(query)
        _control("-d", "counted")
    finally:
        await close_gateway(gateway)


def _control(*arguments: str) -> None:
    """`callgrind_control` on this process, blocking: nothing of the event loop's runs
    between zeroing the counters and the requests counted, nor after them."""
    command = ["callgrind_control", *arguments, str(os.getpid())]
    subprocess.run(command, check=True, capture_output=True)


def count(task: dict[str, object], folder: Path) -> int:
    """Instructions per request of one query, from a process run under callgrind."""
    output = folder / f"callgrind.{task['query']}"
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={output}.%p"]
    command += [sys.executable, __file__]
    env = {**os.environ, COUNTED: json.dumps(task), "PYTHONHASHSEED": "0"}
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    dumps = sorted(folder.glob(f"callgrind.{task['query']}.*.1"))
    if run.returncode != 0 or not dumps:
        raise SystemExit(f"{task['query']}: the counted run failed:\n{run.stderr[-3000:]}")
    summary = next(
        line for line in dumps[0].read_text().splitlines() if line.startswith("summary:")
    )
    return int(summary.split()[1]) // int(str(task["requests"]))


async def main() -> None:
    parser = query_parser(__doc__, "small")
    parser.add_argument("--requests", type=int, default=50, help="counted, per query")
    parser.add_argument("--warmup", type=int, default=10, help="asked first, not counted")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is missing: apt-get install valgrind")
    async with seeded_databases(args.scale) as databases:
        folder = Path(tempfile.mkdtemp(prefix="smartgate-instructions-"))
        try:
            print("| query | instructions a request | requests counted |")
            print("| --- | --- | --- |")
            for name in args.query or list(QUERIES):
                task: dict[str, object] = {
                    "ekin": databases.ekin_dsn,
                    "sppspm": databases.sppspm_dsn,
                    "crosswalk": str(databases.crosswalk),
                    "query": name,
                    "requests": args.requests,
                    "warmup": args.warmup,
                }
                instructions = await asyncio.to_thread(count, task, folder)
                print(f"| {name} | {instructions:,} | {args.requests} |", flush=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if COUNTED in os.environ:
        import uvloop  # the event loop `smartgate serve` runs on

        uvloop.run(counted(json.loads(os.environ[COUNTED])))
    else:
        asyncio.run(main())
