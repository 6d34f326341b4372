"""Several gateway processes on this machine: throughput, change capture, take-over, resume.

    python bench/scale_out.py                 # medium scale, wrk for 10 s per server
    python bench/scale_out.py --scale small --seconds 5

Seeds a scale into an embedded PostgreSQL of its own (pg_stat_statements preloaded, to
count statements), starts a Redis of its own (the machine's `redis-server`), and prints:

- throughput of a mid-size query (50 payment requests with their department, budget line
  and history; 6 statements) by `wrk -t2 -c16`, as an ADMIN whose limits are lifted:
  `smartgate serve` with 1 worker, with 2 (`--workers 2`: one SO_REUSEPORT socket per
  worker), uvicorn's own `--workers 2` (one shared socket, the alternative not taken), and
  3 processes sharing Redis behind HAProxy (round robin); for the 2-worker servers, how
  wrk's 16 connections were shared by the workers, and how 16 connections opened at once
  (as a client's pool opens them) were shared, over 10 tries;
- change-capture statements per poll interval at the sources, with a subscriber on every
  process: 1 process, 3 without Redis (each its own loop), 3 sharing Redis (one loop);
- the take-over time of the change-capture lease (SMARTGATE_CAPTURE_LEASE_MS and
  SMARTGATE_EVENTS_POLL_MS at their defaults): from SIGKILL of the holder, and from
  SIGTERM (the lease handed back), to the first poll by another process;
- the resume delay: a subscriber that was away while 20 changes were made subscribes with
  `after`; time to the first replayed event and to the 20th.

The load generator, PostgreSQL, Redis and HAProxy share the machine's cores with the
gateway: compare figures within one run. It prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.domain import WIB  # noqa: E402
from tests.cluster import (  # noqa: E402
    Gateways,
    counting_postgres,
    gateways,
    haproxy,
    haproxy_binary,
    statement_calls,
    wait_healthy,
)
from tests.conftest import Databases, free_port, gateway_env, seeded, token  # noqa: E402
from tests.redis_server import redis_server  # noqa: E402

MID_SIZE_QUERY = """{ paymentRequests(first: 50, filter: {fiscalYear: 2026}) { totalCount
  edges { node { number status department { name } budgetLine { remaining }
  history { document to by { nip } } } } } }"""

LIFTED = {  # the ADMIN of the bench is neither rate-limited nor budgeted
    "admin_rate_per_minute": "1000000",
    "admin_time_budget_ms": "600000",
    "pool_acquire_timeout_ms": "30000",
}

CAPTURE_POLLS = {  # the statement each poll of a source's changes runs once
    "e-kin": "from kinerja where id > $1 order by id limit $3",
    "sppspm": "from riwayat_status where id > $1 order by id limit $3",
}

ACTIVITY_EVENTS = """subscription($after: ID) {
  activityEvents(after: $after) { id kind activity { id } } }"""
PAYMENT_EVENTS = "subscription { paymentRequestEvents { id kind } }"


def app_from_env() -> Any:
    """The gateway for uvicorn's own `--workers` (an import string): each worker reads
    the settings from the environment it inherits."""
    from gateway.app import create_app
    from gateway.logs import configure_logging
    from gateway.settings import Settings

    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.audit_log)
    return create_app(settings)


# -- throughput ---------------------------------------------------------------------------


def wrk_script(query: str) -> str:
    """POSTs the query as an ADMIN; counts answers that are not a 200 without errors."""
    return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token("ADMIN", "bench")}"
wrk.body = [==[{json.dumps({"query": query})}]==]
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) failed = 0 end
function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then failed = failed + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("failed") end
  io.write(string.format("answers=%d seconds=%f failed=%d p50=%d p99=%d\\n",
    summary.requests, summary.duration / 1e6, n,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


async def wrk(base: str, seconds: int, during: Any = None) -> str:
    """`wrk -t2 -c16` on /graphql for `seconds`; `during()` is awaited half-way."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(wrk_script(MID_SIZE_QUERY))
        script.flush()
        process = await asyncio.create_subprocess_exec(
            "wrk",
            "-t2",
            "-c16",
            f"-d{seconds}s",
            "-s",
            script.name,
            f"http://{base}/graphql",
            stdout=asyncio.subprocess.PIPE,
        )
        await asyncio.sleep(seconds / 2)
        noted = await during() if during else ""
        output = (await process.communicate())[0].decode()
    found = re.search(r"answers=(\d+) seconds=([\d.]+) failed=(\d+) p50=(\d+) p99=(\d+)", output)
    if found is None:
        return f"wrk printed no summary: {output!r}"
    answers, elapsed, failed = int(found[1]), float(found[2]), int(found[3])
    return (
        f"{answers / elapsed:6.1f} answers/s  p50 {found[4]} ms  p99 {found[5]} ms"
        f"  failed {failed}{noted}"
    )


def serving_pids(root: int, port: int) -> list[int]:
    """The processes under `root` (itself included) listening on `port`."""
    tree = [psutil.Process(root), *psutil.Process(root).children(recursive=True)]
    return [
        p.pid
        for p in tree
        if any(
            c.status == psutil.CONN_LISTEN and c.laddr.port == port
            for c in p.net_connections(kind="tcp")
        )
    ]


def shares(pids: list[int], port: int) -> list[int]:
    """Client connections on `port` held by each of `pids`, most first."""
    held = [
        sum(
            1
            for c in psutil.Process(pid).net_connections(kind="tcp")
            if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
        )
        for pid in pids
    ]
    return sorted(held, reverse=True)


async def burst_shares(pids: list[int], port: int, tries: int = 10) -> str:
    """16 connections opened at once, `tries` times: the busiest worker's share each time."""
    busiest = []
    for _ in range(tries):
        opened = await asyncio.gather(
            *(asyncio.open_connection("127.0.0.1", port) for _ in range(16))
        )
        await asyncio.sleep(0.2)  # accepted by now
        busiest.append(shares(pids, port)[0])
        for _, writer in opened:
            writer.close()
        await asyncio.sleep(0.2)
    return f"busiest worker held {sorted(busiest)} of 16"


@asynccontextmanager
async def server(command: list[str], env: dict[str, str], port: int) -> AsyncIterator[int]:
    """A server process, its pid once it answers; SIGTERM after the block."""
    process = await asyncio.create_subprocess_exec(*command, env=env, cwd=ROOT)
    try:
        await wait_healthy(f"127.0.0.1:{port}", process)
        await asyncio.sleep(1)  # every worker up
        yield process.pid
    finally:
        process.terminate()
        await process.wait()


async def throughput(db: Databases, redis: str, seconds: int, folder: Path) -> None:
    print(f"\nthroughput of a mid-size query, wrk -t2 -c16 -d{seconds}s")
    serve = [sys.executable, "-m", "gateway.cli", "serve"]
    for label, extra in (("1 worker", []), ("2 workers (SO_REUSEPORT)", ["--workers", "2"])):
        port = free_port()
        async with server(serve + extra, gateway_env(db, port, **LIFTED), port) as pid:
            pids = serving_pids(pid, port)

            async def spread(pids: list[int] = pids, port: int = port) -> str:
                return f"  wrk's connections per worker {shares(pids, port)}"

            print(f"  {label:34} {await wrk(f'127.0.0.1:{port}', seconds, spread)}")
            if len(pids) > 1:
                print(f"  {'':34} opened at once: {await burst_shares(pids, port)}")

    port = free_port()
    uvicorn = [
        sys.executable, "-m", "uvicorn", "--factory", "--workers", "2", "--port", str(port),
        "--log-level", "warning", "--app-dir", str(ROOT / "bench"), "scale_out:app_from_env",
    ]  # fmt: skip
    env = {**gateway_env(db, port, **LIFTED), "PYTHONPATH": str(ROOT)}
    async with server(uvicorn, env, port) as pid:
        pids = [
            p.pid for p in psutil.Process(pid).children() if "spawn_main" in " ".join(p.cmdline())
        ]

        async def spread_shared() -> str:
            return f"  wrk's connections per worker {shares(pids, port)}"

        label = "2 workers (uvicorn, shared socket)"
        print(f"  {label:34} {await wrk(f'127.0.0.1:{port}', seconds, spread_shared)}")
        print(f"  {'':34} opened at once: {await burst_shares(pids, port)}")

    if haproxy_binary() is None:
        print("  3 processes behind HAProxy: not measured: haproxy is missing")
        return
    async with (
        gateways(db, ("a", "b", "c"), redis_url=redis, **LIFTED) as three,
        haproxy(folder, three.processes) as balancer,
    ):
        label = "3 processes, Redis, HAProxy"
        print(f"  {label:34} {await wrk(balancer.base, seconds)}")


# -- change capture -----------------------------------------------------------------------


async def capture_statements(db: Databases, redis: str, admin_dsn: str) -> None:
    interval_ms = 200
    print(f"\nchange-capture statements per poll interval ({interval_ms} ms), a subscriber on each")
    for label, count, shared in (
        ("1 process", 1, {}),
        ("3 processes, no Redis", 3, {}),
        ("3 processes, Redis", 3, {"redis_url": redis}),
    ):
        names = [f"p{i}" for i in range(count)]
        async with (
            gateways(db, names, events_poll_ms=str(interval_ms), **shared) as started,
            AsyncExitStack() as stack,
        ):
            for process in started.processes:
                for query in (ACTIVITY_EVENTS, PAYMENT_EVENTS):
                    await stack.enter_async_context(subscribed(process.base, query))
            await asyncio.sleep(2)
            before = [await statement_calls(admin_dsn, t) for t in CAPTURE_POLLS.values()]
            began = time.monotonic()
            await asyncio.sleep(5)
            after = [await statement_calls(admin_dsn, t) for t in CAPTURE_POLLS.values()]
            intervals = (time.monotonic() - began) / (interval_ms / 1000)
        per = "  ".join(
            f"{source} {(a - b) / intervals:.2f}"
            for source, b, a in zip(CAPTURE_POLLS, before, after, strict=True)
        )
        print(f"  {label:24} {per}")


@asynccontextmanager
async def subscribed(base: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    from websockets.asyncio.client import connect

    async with connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        bearer = token("ADMIN", "bench")
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": query, "variables": variables or {}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        yield ws


async def polls_by_process(deployment: Gateways, source: str) -> dict[str, float]:
    counts = {}
    async with httpx.AsyncClient() as client:
        for process in deployment.processes:
            if process.popen.returncode is not None:
                continue
            try:
                metrics = (await client.get(f"http://{process.base}/metrics", timeout=1)).text
            except httpx.TransportError:
                continue
            line = f'smartgate_events_polls_total{{source="{source}"}} '
            counts[process.name] = next(
                (float(r.removeprefix(line)) for r in metrics.splitlines() if r.startswith(line)),
                0.0,
            )
    return counts


async def holder(deployment: Gateways, source: str) -> str | None:
    """The process whose polls of `source` go up, alone, over a few intervals."""
    for _ in range(5):
        before = await polls_by_process(deployment, source)
        await asyncio.sleep(2.5)
        after = await polls_by_process(deployment, source)
        moving = [name for name in after if after[name] > before.get(name, 0)]
        if len(moving) == 1:
            return moving[0]
    print(f"  polls of {source} by process: {before} then {after}")
    return None


async def take_over(db: Databases, redis: str) -> None:
    print("\ntake-over of e-kin's change-capture lease (lease and poll interval at defaults)")
    names = ("a", "b", "c")
    for how in ("SIGKILL", "SIGTERM"):
        async with gateways(db, names, redis_url=redis) as deployment:
            first = await holder(deployment, "ekin")
            if first is None:
                print(f"  {how}: not measured: no single process polls e-kin")
                continue
            process = deployment.by_name(first)
            others = [p for p in deployment.processes if p is not process]
            before = await polls_by_process(Gateways(others), "ekin")
            killed_at = time.monotonic()
            if how == "SIGKILL":
                await process.kill()
            else:
                process.popen.terminate()
            while time.monotonic() - killed_at < 30:
                now = await polls_by_process(Gateways(others), "ekin")
                if any(now[n] > before[n] for n in now):
                    took = time.monotonic() - killed_at
                    print(f"  {how} of the holder: another polls after {took:.2f} s")
                    break
                await asyncio.sleep(0.05)
            else:
                print(f"  {how} of the holder: nobody polled within 30 s")
            await process.stop()


async def resume(db: Databases, redis: str) -> None:
    changes = 20
    print(f"\nresume: a subscriber away while {changes} changes were made subscribes with `after`")
    ekin = await asyncpg.connect(db.ekin_dsn)
    nip = await ekin.fetchval("select min(nip) from pegawai where aktif")
    start = datetime(2029, 1, 1, 8, 0, tzinfo=WIB)

    async def insert(n: int) -> None:
        at = start + timedelta(hours=n)
        await ekin.execute(
            "insert into kinerja (nip, tgl_mulai, tgl_selesai, jenis_kinerja, rincian_kinerja,"
            " durasi_menit) values ($1, $2, $3, 'kinerja', 'bench', 30)",
            nip, at, at + timedelta(minutes=30),
        )  # fmt: skip

    for label, shared in (("in-process", {}), ("Redis", {"redis_url": redis})):
        async with gateways(db, ("a",), events_poll_ms="100", **shared) as deployment:
            base = deployment.processes[0].base
            async with subscribed(base, ACTIVITY_EVENTS) as ws:
                await asyncio.sleep(0.5)
                await insert(0)
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                last = message["payload"]["data"]["activityEvents"]["id"]
            for n in range(1, changes + 1):
                await insert(n)
            await asyncio.sleep(0.5)  # captured while nobody listens
            asked = time.monotonic()
            async with subscribed(base, ACTIVITY_EVENTS, {"after": last}) as ws:
                arrivals = []
                for _ in range(changes):
                    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if message["type"] != "next" or "errors" in message["payload"]:
                        print(f"  {label}: not measured: {message}")
                        break
                    arrivals.append(time.monotonic() - asked)
            if len(arrivals) == changes:
                print(
                    f"  {label:12} first replayed event after {arrivals[0] * 1000:.0f} ms,"
                    f" the {changes}th after {arrivals[-1] * 1000:.0f} ms"
                )
    await ekin.close()


async def main(scale: str, seconds: int) -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix="smartgate-scale-out-"))
    try:
        with counting_postgres(folder) as postgres, redis_server(folder) as redis:
            began = time.perf_counter()
            db = await seeded(postgres, folder, "bench", scale)
            print(f"seeded {scale} in {time.perf_counter() - began:.0f} s;"
                  f" {psutil.cpu_count()} cores, load {psutil.getloadavg()[0]:.1f}")  # fmt: skip
            await throughput(db, redis.url, seconds, folder)
            await capture_statements(db, redis.url, postgres.get_uri())
            await take_over(db, redis.url)
            await resume(db, redis.url)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "medium", "city"), default="medium")
    parser.add_argument("--seconds", type=int, default=10, help="of each wrk run")
    args = parser.parse_args()
    asyncio.run(main(args.scale, args.seconds))
