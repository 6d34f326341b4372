"""What the peer bench measures of one query on one server: single-request latency,
throughput under 16 connections, response bytes and SQL statements per request.

Throughput comes from wrk for quick queries. wrk counts the answers that arrive within a
fixed window, which says little about a slow query: 16 connections get their answers in
bursts about 16 single-request times apart. So when 16 requests one after another would
take more than a second, and when wrk is missing, 16 connections ask until a number of
answers has come, and that number is divided by the time it took.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import psutil
from peer_servers import Server

CONNECTIONS = 16
WRK_SECONDS = 10
WRK_UP_TO_MS = 1000 / CONNECTIONS
"""The slowest single-request median that wrk's window still measures well."""
IDLE_CPU_PERCENT = 5.0
# Top-level statements that are the client library's housekeeping, not the query's:
# asyncpg's reset of a connection on release (`SELECT pg_advisory_unlock_all(); CLOSE ALL;
# UNLISTEN *; RESET ALL`) and its look-up of types on a fresh connection, with JIT turned
# off around it (`SELECT current_setting('jit') AS cur, set_config('jit', 'off', false) AS
# new`, then `SELECT set_config('jit', $1, false)`, each over several lines).
# pg_stat_statements records such a text with its constants as parameters ($1, $2, ...),
# or as sent when the statement was prepared before the counters were reset: the
# patterns match both. (PostGraphile's own `select set_config(el->>0, el->>1, true) ...`,
# for settings a request carries, matches none.)
HOUSEKEEPING = [
    "%pg_advisory_unlock_all%",
    "%typeinfo_tree%",
    "%current_setting(%) AS cur,%set_config(%) AS new%",
    "%SELECT%set_config(%, $1, %)%",
]


@dataclass(frozen=True)
class Latency:
    median_ms: float
    min_ms: float
    response_bytes: int
    answer: dict[str, Any]


@dataclass(frozen=True)
class Throughput:
    per_second: float
    method: str
    failed: int
    first_failure: str | None
    """What went wrong in the first answer that was not a 200 without errors."""


@dataclass(frozen=True)
class Statements:
    per_request: float
    housekeeping: float


async def post(client: httpx.AsyncClient, server: Server, query: str) -> httpx.Response:
    response = await client.post(server.url, json={"query": query}, headers=server.headers)
    response.raise_for_status()
    return response


async def latency(server: Server, query: str, warmup: int, runs: int) -> Latency:
    """Median and minimum of `runs` requests one after another, after `warmup` requests."""
    async with httpx.AsyncClient(timeout=120) as client:
        for _ in range(warmup):
            await post(client, server, query)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = await post(client, server, query)
            times.append((time.perf_counter() - started) * 1000)
    answer = response.json()
    return Latency(statistics.median(times), min(times), len(response.content), answer)


def wrk_script(server: Server, query: str) -> str:
    """A wrk script that POSTs the query and counts answers that are not a 200 without
    GraphQL errors (a rate limit or an open breaker would otherwise pass as throughput)."""
    headers = {"Content-Type": "application/json", **server.headers}
    header_lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    return f"""
wrk.method = "POST"
{header_lines}
wrk.body = [==[{json.dumps({"query": query})}]==]
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) failed = 0 end
function response(status, headers, body)
  local errors = body:find('"errors"', 1, true)
  if status ~= 200 or errors then
    failed = failed + 1
    if failed == 1 then first = status .. " " .. body:sub(errors or 1, (errors or 1) + 300) end
  end
end
function done(summary, latency, requests)
  local n, example = 0, ""
  for _, t in ipairs(threads) do
    n = n + t:get("failed")
    if example == "" and t:get("first") then example = t:get("first") end
  end
  io.write(string.format("answers=%d seconds=%f failed=%d\\n",
                         summary.requests, summary.duration / 1e6, n))
  io.write("first failure: " .. example .. "\\n")
end
"""


def throughput_wrk(wrk: str, server: Server, query: str) -> Throughput:
    """Answers per second of `wrk -c16` over a fixed window."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(wrk_script(server, query))
        script.flush()
        command = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{WRK_SECONDS}s", "-s", script.name]
        output = subprocess.run(
            [*command, server.url], capture_output=True, text=True, check=True
        ).stdout
    found = re.search(r"answers=(\d+) seconds=([\d.]+) failed=(\d+)", output)
    if found is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    answers, seconds, failed = int(found[1]), float(found[2]), int(found[3])
    failure = output.split("first failure: ", 1)[1].strip() or None
    return Throughput(answers / seconds, f"wrk -c{CONNECTIONS} {WRK_SECONDS}s", failed, failure)


async def throughput_answers(server: Server, query: str, answers: int) -> Throughput:
    """Answers per second of 16 connections asking one request after another until
    `answers` have come back. A request the server refuses as overloaded (503) is asked
    again after its Retry-After, as a client would: it is no answer, and counted apart."""
    started = time.perf_counter()
    left, refused = answers, 0
    failures: list[str] = []

    async def connection(client: httpx.AsyncClient) -> None:
        nonlocal left, refused
        while left > 0:
            left -= 1
            response = await client.post(server.url, json={"query": query}, headers=server.headers)
            if response.status_code == 503:
                left, refused = left + 1, refused + 1
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            elif response.status_code != 200 or "errors" in response.json():
                failures.append(f"{response.status_code} {failure(response)}")

    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        await asyncio.gather(*(connection(client) for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    method = f"{CONNECTIONS} connections until {answers} answers"
    if refused:
        method += f", {refused} requests refused as overloaded and asked again"
    return Throughput(answers / elapsed, method, len(failures), next(iter(failures), None))


def failure(response: httpx.Response) -> str:
    """What went wrong in an answer, briefly: its first error, else its start."""
    errors = response.json().get("errors") if response.status_code == 200 else None
    return json.dumps(errors[0])[:300] if errors else response.text[:300]


async def throughput(
    wrk: str | None, server: Server, query: str, latency: Latency, answers: int
) -> Throughput:
    """By wrk when the query is quick enough for its window, else by answers."""
    if wrk is not None and latency.median_ms <= WRK_UP_TO_MS:
        return throughput_wrk(wrk, server, query)
    return await throughput_answers(server, query, answers)


async def statements(server: Server, query: str, admin_dsn: str, repeats: int) -> Statements:
    """Top-level SQL statements per request, from pg_stat_statements over `repeats`
    requests; the client library's housekeeping counted apart."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute("select pg_stat_statements_reset()")
        async with httpx.AsyncClient(timeout=120) as client:
            for _ in range(repeats):
                await post(client, server, query)
        row = await conn.fetchrow(
            """select coalesce(sum(s.calls) filter (where not s.query like any($2)), 0) as query,
                      coalesce(sum(s.calls) filter (where s.query like any($2)), 0) as other
               from pg_stat_statements s join pg_database d on d.oid = s.dbid
               where d.datname = any($1::text[])""",
            list(server.databases),
            HOUSEKEEPING,
        )
    finally:
        await conn.close()
    return Statements(row["query"] / repeats, row["other"] / repeats)


async def wait_until_idle(server: Server, admin_dsn: str, within_s: float = 120) -> None:
    """Wait until the server uses (almost) no CPU and runs no SQL: after a load it keeps
    working on requests whose clients have gone. Its CPU is that of its process and its
    children (`smartgate serve --workers N`: the workers of a supervisor)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            cpu = await asyncio.to_thread(cpu_percent, server.pid, 0.5)
            active = await conn.fetchval(
                """select count(*) from pg_stat_activity
                   where state = 'active' and datname = any($1::text[])""",
                list(server.databases),
            )
            if cpu < IDLE_CPU_PERCENT and active == 0:
                return
    finally:
        await conn.close()
    print(f"  ({server.name} still busy after {within_s:.0f} s; measuring anyway)")


def cpu_percent(pid: int, interval: float) -> float:
    """CPU used over `interval` by the process `pid` and all its children together."""
    root = psutil.Process(pid)
    tree = [root, *root.children(recursive=True)]

    def since_last_call(process: psutil.Process) -> float:
        try:
            return process.cpu_percent(None)
        except psutil.NoSuchProcess:
            return 0.0

    for process in tree:
        since_last_call(process)
    time.sleep(interval)
    return sum(since_last_call(process) for process in tree)


def load_average() -> float:
    return os.getloadavg()[0]
