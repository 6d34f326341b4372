"""Three `smartgate serve` processes behind a real HAProxy, sharing one Redis, behave as one
gateway: a caller's rate limit, one change-capture poll per interval for the whole
deployment, a subscriber that loses its process and resumes elsewhere, writes that
survive a process killed under load."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from connectors.domain import WIB
from tests.cluster import (
    SERVED_BY,
    Gateways,
    HAProxy,
    Process,
    StatementCountingPostgres,
    counting_postgres,
    gateways,
    haproxy,
    haproxy_binary,
    statement_calls,
)
from tests.conftest import Databases, seeded, token
from tests.test_activity_writes import LOG
from tests.test_event_log import until

if haproxy_binary() is None:
    pytest.fail("haproxy is missing: apt-get install haproxy", pytrace=False)

INTERVAL_S = 0.1  # between two polls of a source's changes
ANALYST_LIMIT = 6  # requests per minute of an ANALYST, so that the limit is reached at once
NAMES = ("a", "b", "c")
CAPTURE_POLLS = {  # the statement each poll of a source's changes runs once
    "e-kin": "from kinerja where id > $1 order by id limit $3",
    "sppspm": "from riwayat_status where id > $1 order by id limit $3",
}


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StatementCountingPostgres]:
    with counting_postgres(tmp_path_factory.mktemp("scale-out-pg")) as server:
        yield server


@pytest.fixture(scope="module")
async def db(
    postgres: StatementCountingPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Databases:
    return await seeded(postgres, tmp_path_factory.mktemp("scale-out"), "scale", "small")


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.redis_server import redis_server

    with redis_server(tmp_path_factory.mktemp("scale-out-redis")) as server:
        yield server.url


@pytest.fixture(scope="module")
async def deployment(db: Databases, redis: str) -> AsyncIterator[Gateways]:
    async with gateways(
        db,
        NAMES,
        redis_url=redis,
        events_poll_ms=str(int(INTERVAL_S * 1000)),
        capture_lease_ms="1000",
        analyst_rate_per_minute=str(ANALYST_LIMIT),
        admin_rate_per_minute="100000",
        shutdown_grace_s="2",
    ) as started:
        yield started


@pytest.fixture(scope="module")
async def balancer(deployment: Gateways, tmp_path_factory: pytest.TempPathFactory) -> Any:
    async with haproxy(tmp_path_factory.mktemp("haproxy"), deployment.processes) as proxy:
        yield proxy


async def test_a_callers_limit_holds_across_the_processes(balancer: HAProxy) -> None:
    analyst = token("ANALYST", f"analyst-{uuid.uuid4().hex[:8]}")
    answered: list[tuple[str, str | None]] = []
    for _ in range(ANALYST_LIMIT + 1):
        async with httpx.AsyncClient() as client:  # a connection per request: round robin
            answer = await client.post(
                f"http://{balancer.base}/graphql",
                json={"query": "{ paymentRequests(first: 1) { totalCount } }"},
                headers={"Authorization": f"Bearer {analyst}"},
            )
        errors = answer.json().get("errors") or [{}]
        answered.append((answer.headers[SERVED_BY], errors[0].get("extensions", {}).get("code")))
    assert {process for process, _ in answered} == set(NAMES)
    assert [code for _, code in answered] == [None] * ANALYST_LIMIT + ["RATE_LIMITED"]


ACTIVITY_EVENTS = """
subscription($nip: Nip, $after: ID) {
  activityEvents(nip: $nip, after: $after) { id kind activity { id } }
}
"""

PAYMENT_EVENTS = "subscription { paymentRequestEvents { id kind } }"


@asynccontextmanager
async def subscribed(
    base: str, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[ClientConnection]:
    """A WebSocket to `base` with one subscription started, as an ADMIN."""
    async with connect(
        f"ws://{base}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    ) as ws:
        admin = token("ADMIN", "scale-out-admin")
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {admin}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": query, "variables": variables or {}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        yield ws


async def test_the_sources_see_one_capture_poll_per_interval(
    deployment: Gateways, postgres: StatementCountingPostgres
) -> None:
    admin_dsn = postgres.get_uri()
    polls = CAPTURE_POLLS.values()
    async with AsyncExitStack() as stack:
        for process in deployment.processes:  # each process has subscribers to feed
            await stack.enter_async_context(subscribed(process.base, ACTIVITY_EVENTS))
            await stack.enter_async_context(subscribed(process.base, PAYMENT_EVENTS))
        await asyncio.sleep(1)  # every feed running
        before = [await statement_calls(admin_dsn, text) for text in polls]
        started = time.monotonic()
        await asyncio.sleep(3)
        after = [await statement_calls(admin_dsn, text) for text in polls]
        intervals = (time.monotonic() - started) / INTERVAL_S
    for source, b, a in zip(CAPTURE_POLLS, before, after, strict=True):
        # one capture loop per source polls once an interval; three would poll thrice
        assert 0.5 * intervals <= a - b <= 1.3 * intervals + 2, (source, a - b, intervals)


async def test_a_subscriber_whose_process_is_killed_resumes_without_a_gap_or_a_repeat(
    deployment: Gateways, balancer: HAProxy, db: Databases
) -> None:
    ekin = await asyncpg.connect(db.ekin_dsn)
    nip = await ekin.fetchval("select min(nip) from pegawai where aktif")
    variables = {"nip": nip}
    inserted: list[str] = []
    received: list[tuple[str, str]] = []  # (event id, activity id)

    async def burst() -> None:
        start = datetime(2028, 3, 1, 8, 0, tzinfo=WIB)
        for n in range(50):
            at = start + timedelta(hours=n)
            inserted.append(
                str(
                    await ekin.fetchval(
                        "insert into kinerja (nip, tgl_mulai, tgl_selesai, jenis_kinerja,"
                        " rincian_kinerja, durasi_menit) values ($1, $2, $3, 'kinerja',"
                        " 'Entri dari e-kin', 30) returning id",
                        nip,
                        at,
                        at + timedelta(minutes=30),
                    )
                )
            )
            await asyncio.sleep(0.05)  # 50 changes in about 3 s

    # the worst case: the process the subscriber is on also captures e-kin's changes
    killed = await capturing(deployment, "ekin")
    async with AsyncExitStack() as attempts:
        while True:  # round robin: a new connection until one reaches that process
            ws = await attempts.enter_async_context(
                subscribed(balancer.base, ACTIVITY_EVENTS, variables)
            )
            if ws.response.headers[SERVED_BY] == killed.name:  # type: ignore[union-attr]
                break
        await asyncio.sleep(3 * INTERVAL_S)  # the subscription reaches its feed
        writing = asyncio.create_task(burst())
        try:
            while True:
                event = await next_activity_event(ws, 5)
                received.append(event)
                if len(received) == 10:
                    assert not writing.done()
                    await killed.kill()  # in the middle of the burst
        except ConnectionClosed:
            pass
    assert 10 <= len(received) < 50
    deadline = time.monotonic() + 20
    while len(received) < 50 and time.monotonic() < deadline:
        try:
            async with subscribed(
                balancer.base, ACTIVITY_EVENTS, {**variables, "after": received[-1][0]}
            ) as ws:
                while len(received) < 50:
                    received.append(await next_activity_event(ws, 10))
        except (ConnectionClosed, InvalidStatus, OSError):
            await asyncio.sleep(0.2)  # the balancer has not yet seen the process go
    await writing
    await ekin.close()
    await killed.restart()
    assert [activity for _, activity in received] == inserted


async def capturing(deployment: Gateways, source: str) -> Process:
    """The process that holds `source`'s change-capture lease: the one whose count of
    polls of it goes up."""

    async def polls() -> dict[str, float]:
        counts = {}
        async with httpx.AsyncClient() as client:
            for process in deployment.processes:
                metrics = (await client.get(f"http://{process.base}/metrics")).text
                line = f'smartgate_events_polls_total{{source="{source}"}} '
                counts[process.name] = next(
                    float(row.removeprefix(line))
                    for row in metrics.splitlines()
                    if row.startswith(line)
                )
        return counts

    before = await polls()
    await asyncio.sleep(5 * INTERVAL_S)
    after = await polls()
    (holder,) = [name for name in after if after[name] > before[name]]
    return deployment.by_name(holder)


async def next_activity_event(ws: ClientConnection, within: float) -> tuple[str, str]:
    message = json.loads(await asyncio.wait_for(ws.recv(), within))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message["payload"]
    event = message["payload"]["data"]["activityEvents"]
    assert event["kind"] == "LOGGED", event
    return event["id"], event["activity"]["id"]


@dataclass
class Load:
    """What the clients saw: writes acknowledged (key to activity id) and reads answered."""

    written: dict[str, str]
    reads_after_kill: int = 0
    retries: int = 0


async def test_killing_a_process_under_load_loses_no_accepted_write(
    deployment: Gateways, balancer: HAProxy, db: Databases
) -> None:
    ekin = await asyncpg.connect(db.ekin_dsn)
    writers = [
        r["nip"]
        for r in await ekin.fetch("select nip from pegawai where aktif order by nip desc limit 4")
    ]
    run = uuid.uuid4().hex[:8]
    load = Load({})
    stop = asyncio.Event()
    killed_at: list[float] = []

    async def post(body: dict[str, Any], bearer: str) -> dict[str, Any]:
        """Asked through the balancer until answered: a process that dies mid-request
        drops the connection or HAProxy answers 502/503, and the same request (the same
        idempotency key) is asked again."""
        for _ in range(100):
            try:
                async with httpx.AsyncClient(timeout=10) as client:
                    answer = await client.post(
                        f"http://{balancer.base}/graphql",
                        json=body,
                        headers={"Authorization": f"Bearer {bearer}"},
                    )
                if answer.status_code not in (502, 503, 504):
                    result: dict[str, Any] = answer.json()
                    return result
            except httpx.TransportError:
                pass
            load.retries += 1
            await asyncio.sleep(0.05)
        raise AssertionError("no answer after 100 tries")

    async def writer(i: int, nip: str) -> None:
        bearer = token("ADMIN", f"writer-{run}-{i}")
        start = datetime(2028, 6, 1, 8, 0, tzinfo=WIB)
        n = 0
        while not stop.is_set():
            key = f"scale-{run}-{i}-{n}"
            at = start + timedelta(days=n)
            given = {
                "nip": nip,
                "kind": "WORK",
                "startsAt": at.isoformat(),
                "endsAt": (at + timedelta(minutes=60)).isoformat(),
                "description": "Menyusun laporan",
                "output": "Laporan",
                "volume": 1,
                "idempotencyKey": key,
            }
            body = await post({"query": LOG, "variables": {"input": given}}, bearer)
            payload = body["data"]["logActivity"]
            assert payload["errors"] == [], payload
            load.written[key] = payload["activity"]["id"]
            n += 1

    async def reader() -> None:
        bearer = token("ADMIN", f"reader-{run}")
        while not stop.is_set():
            body = await post({"query": "{ departments { code } }"}, bearer)
            assert body["data"]["departments"], body
            if killed_at:
                load.reads_after_kill += 1

    tasks = [asyncio.create_task(writer(i, nip)) for i, nip in enumerate(writers)]
    tasks += [asyncio.create_task(reader()) for _ in range(2)]
    victim = deployment.by_name("b")
    try:
        # counts, not seconds: how many requests a second this machine answers varies
        await until(lambda: len(load.written) >= 8, within=60)  # writes are flowing
        await victim.kill()
        killed_at.append(time.monotonic())
        before = len(load.written)
        await until(
            lambda: len(load.written) > before + 12 and load.reads_after_kill > 10, within=60
        )  # the deployment goes on answering both without the killed process
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    await victim.restart()

    rows = await ekin.fetch(
        "select ref_eksternal, id from kinerja where ref_eksternal like $1", f"%:scale-{run}-%"
    )
    await ekin.close()
    # every write acknowledged is there, once; nothing is there that was not acknowledged
    stored = {r["ref_eksternal"].split(":", 1)[1]: str(r["id"]) for r in rows}  # tag:key
    assert stored == load.written
    assert len(rows) == len(load.written), "a write stored twice"
