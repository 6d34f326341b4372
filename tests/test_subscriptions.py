"""Subscriptions over graphql-transport-ws on real sockets: events of gateway mutations and
of direct changes to the legacy tables, filtered by the access policy, from every
gateway process."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gateway.access.tokens import mint
from gateway.app import create_app
from gateway.context import Services
from gateway.events.local import LocalFeed
from tests.conftest import TEST_SECRET, Databases, settings_for, token, uvicorn_serving
from tests.test_activity_writes import LOG, Office, free_morning, work
from tests.test_activity_writes import office as office  # noqa: F401 (fixture)
from tests.test_payment_writes import SUBMIT, Finance, goods, new_line
from tests.test_payment_writes import finance as finance  # noqa: F401 (fixture)

INTERVAL = 0.25  # seconds between polls of the sources in these tests

PAYMENT_EVENTS = """
subscription($dept: String) {
  paymentRequestEvents(departmentCode: $dept) {
    kind at paymentRequest { id number status department { code } }
  }
}
"""

ACTIVITY_EVENTS = """
subscription($nip: Nip) {
  activityEvents(nip: $nip) { kind at activity { id status employee { nip } } }
}
"""


@dataclass
class Server:
    url: str
    services: Services


@asynccontextmanager
async def serving(db: Databases, **settings: Any) -> AsyncIterator[Server]:
    """The app on `db` served by uvicorn, polling every `INTERVAL` unless `settings`
    (fields of `Settings`) say otherwise."""
    settings.setdefault("events_poll_ms", int(INTERVAL * 1000))
    app = create_app(dataclasses.replace(settings_for(db), **settings))
    async with uvicorn_serving(app) as base:
        yield Server(base, app.state.services)


@pytest.fixture(scope="module")
async def first(writes_db: Databases) -> AsyncIterator[Server]:
    async with serving(writes_db) as server:
        yield server


@pytest.fixture(scope="module")
async def second(writes_db: Databases) -> AsyncIterator[Server]:
    async with serving(writes_db) as server:
        yield server


@asynccontextmanager
async def subscribed(
    server: Server, bearer: str, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[ClientConnection]:
    """A socket with one subscription started and reaching its feed."""
    async with connect(
        f"ws://{server.url}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    ) as ws:
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": query, "variables": variables or {}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        await asyncio.sleep(2 * INTERVAL)  # the server's subscription reaches its feed
        yield ws


async def received(ws: ClientConnection, within: float) -> list[dict[str, Any]]:
    """Every message that arrives within `within` seconds."""
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        try:
            messages.append(json.loads(await asyncio.wait_for(ws.recv(), left)))
        except TimeoutError:
            break
    return messages


async def next_event(ws: ClientConnection, within: float) -> tuple[dict[str, Any], float]:
    """The next event's data and how long it took to come."""
    started = time.monotonic()
    message = json.loads(await asyncio.wait_for(ws.recv(), within))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message["payload"]
    data: dict[str, Any] = message["payload"]["data"]
    return data, time.monotonic() - started


async def legacy_verifies(sql: asyncpg.Connection, number: str, verifier: str) -> None:
    """What sppspm's own user interface writes when the PPK-SKPD accepts an SPP."""
    async with sql.transaction():
        spp_id = await sql.fetchval(
            "update spp set status = 2 where nomor_spp = $1 returning id", number
        )
        await sql.execute(
            "insert into riwayat_status (dokumen, id_dokumen, status_lama, status_baru, nip,"
            " waktu, catatan) values ('SPP', $1, 1, 2, $2, localtimestamp, 'diterima')",
            spp_id,
            verifier,
        )


async def submit_over_http(server: Server, dept: str, given: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://{server.url}") as client:
        response = await client.post(
            "/graphql",
            json={"query": SUBMIT, "variables": {"input": given}},
            headers={"Authorization": f"Bearer {token('DEPT_SYSTEM', 'simda', dept)}"},
        )
    payload: dict[str, Any] = response.json()["data"]["submitPaymentRequest"]
    assert payload["errors"] == []
    return payload


async def test_a_subscriber_gets_gateway_and_legacy_changes_and_another_department_neither(
    first: Server,
    writes_sppspm: asyncpg.Connection,
    finance: Finance,  # noqa: F811
) -> None:
    own = token("DEPT_SYSTEM", "simda", finance.dept)
    other = token("DEPT_SYSTEM", "simda-other", finance.other_dept)
    line = await new_line(writes_sppspm, finance.dept, "5000000")
    async with (
        subscribed(first, own, PAYMENT_EVENTS) as ws,
        subscribed(first, other, PAYMENT_EVENTS) as other_ws,
    ):
        submitted = await submit_over_http(first, finance.dept, goods(finance.dept, line))
        number = submitted["paymentRequest"]["number"]
        created, delay = await next_event(ws, 2 * INTERVAL + 1)
        event = created["paymentRequestEvents"]
        assert event["kind"] == "CREATED"
        assert event["paymentRequest"]["number"] == number
        assert event["paymentRequest"]["status"] == "SUBMITTED"
        assert event["paymentRequest"]["department"]["code"] == finance.dept

        await legacy_verifies(writes_sppspm, number, finance.verifier)
        changed, delay = await next_event(ws, 2 * INTERVAL + 1)
        event = changed["paymentRequestEvents"]
        assert (event["kind"], event["paymentRequest"]["status"]) == ("STATUS_CHANGED", "VERIFIED")
        assert delay < 2 * INTERVAL, f"the event came {delay:.3f} s after the SQL change"

        assert await received(other_ws, 2 * INTERVAL) == []


async def test_each_gateway_process_delivers_the_same_event_to_its_subscribers(
    first: Server,
    second: Server,
    writes_sppspm: asyncpg.Connection,
    finance: Finance,  # noqa: F811
) -> None:
    line = await new_line(writes_sppspm, finance.dept, "5000000")
    submitted = await submit_over_http(first, finance.dept, goods(finance.dept, line))
    number = submitted["paymentRequest"]["number"]
    await asyncio.sleep(2 * INTERVAL)  # read by a loop still lingering from an earlier test
    admin = token("ADMIN", "admin")
    variables = {"dept": finance.dept}
    async with (
        subscribed(first, admin, PAYMENT_EVENTS, variables) as on_first,
        subscribed(second, admin, PAYMENT_EVENTS, variables) as on_second,
    ):
        await legacy_verifies(writes_sppspm, number, finance.verifier)
        one, _ = await next_event(on_first, 2 * INTERVAL + 1)
        two, _ = await next_event(on_second, 2 * INTERVAL + 1)
    assert one == two
    assert one["paymentRequestEvents"]["paymentRequest"]["number"] == number


async def test_activity_events_come_from_the_gateway_and_from_e_kin_itself(
    first: Server,
    writes_ekin: asyncpg.Connection,
    office: Office,  # noqa: F811
) -> None:
    head = token("STAFF", office.head)
    stranger = token("STAFF", office.stranger)
    async with (
        subscribed(first, head, ACTIVITY_EVENTS) as ws,
        subscribed(first, stranger, ACTIVITY_EVENTS) as stranger_ws,
    ):
        async with httpx.AsyncClient(base_url=f"http://{first.url}") as client:
            response = await client.post(
                "/graphql",
                json={"query": LOG, "variables": {"input": work(office.report, free_morning())}},
                headers={"Authorization": f"Bearer {token('STAFF', office.report)}"},
            )
        logged_id = response.json()["data"]["logActivity"]["activity"]["id"]
        logged, _ = await next_event(ws, 2 * INTERVAL + 1)
        assert logged["activityEvents"]["kind"] == "LOGGED"
        assert logged["activityEvents"]["activity"]["id"] == logged_id

        start = free_morning()
        legacy_id = await writes_ekin.fetchval(
            "insert into kinerja (nip, tgl_mulai, tgl_selesai, jenis_kinerja, rincian_kinerja,"
            " durasi_menit) values ($1, $2, $3, 'kinerja', 'Entri dari e-kin', 60) returning id",
            office.report,
            start,
            start + timedelta(minutes=60),
        )
        typed, delay = await next_event(ws, 2 * INTERVAL + 1)
        assert typed["activityEvents"]["activity"]["id"] == str(legacy_id)
        assert delay < 2 * INTERVAL

        await writes_ekin.execute(
            "update kinerja set approve = true, approved_by = $2, approved_at = now()"
            " where id = $1",
            legacy_id,
            office.head,
        )
        reviewed, delay = await next_event(ws, 2 * INTERVAL + 1)
        assert reviewed["activityEvents"]["kind"] == "REVIEWED"
        assert reviewed["activityEvents"]["activity"]["status"] == "APPROVED"
        assert delay < 2 * INTERVAL

        assert await received(stranger_ws, 2 * INTERVAL) == []


async def test_a_subscriber_that_leaves_stops_costing_anything_after_the_linger(
    first: Server,
    finance: Finance,  # noqa: F811
) -> None:
    feed = first.services.events.payments
    assert isinstance(feed, LocalFeed)
    feed.linger_s = 0.5  # a minute in service: long enough for a client to come back
    async with subscribed(first, token("ANALYST", "a"), PAYMENT_EVENTS):
        assert feed.subscribers == 1
        assert feed.running
    for _ in range(40):
        if not feed.running:
            break
        await asyncio.sleep(0.05)
    assert feed.subscribers == 0
    assert not feed.running
    polls = feed.polls
    await asyncio.sleep(3 * INTERVAL)
    assert feed.polls == polls


async def test_many_subscribers_share_one_poll_per_interval(
    first: Server,
    finance: Finance,  # noqa: F811
) -> None:
    feed = first.services.events.payments
    sppspm = first.services.sppspm
    analyst = token("ANALYST", "a")
    async with (
        subscribed(first, analyst, PAYMENT_EVENTS),
        subscribed(first, analyst, PAYMENT_EVENTS),
        subscribed(first, analyst, PAYMENT_EVENTS),
    ):
        polls, statements = feed.polls, sppspm.statements
        await asyncio.sleep(8 * INTERVAL)
        assert feed.subscribers == 3
        polled = feed.polls - polls
        assert polled >= 3
        # one statement per poll when nothing changed, whatever the number of subscribers
        assert sppspm.statements - statements == polled


@pytest.mark.parametrize(
    ("role", "variables"),
    [("STAFF", {}), ("DEPT_SYSTEM", {"dept": "other"})],
    ids=["staff read no payments", "another department"],
)
async def test_a_subscription_the_caller_could_not_query_is_refused(
    first: Server,
    finance: Finance,
    role: str,
    variables: dict[str, Any],  # noqa: F811
) -> None:
    bearer = token(role, finance.staff[0], finance.dept if role == "DEPT_SYSTEM" else None)
    if variables:
        variables = {"dept": finance.other_dept}
    async with subscribed(first, bearer, PAYMENT_EVENTS, variables) as ws:
        messages = await received(ws, 2 * INTERVAL)
    errors = [e for m in messages if m["type"] in ("next", "error") for e in _errors(m)]
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]


def _errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    payload = message["payload"]
    return list(payload if isinstance(payload, list) else payload.get("errors", []))


async def test_a_socket_is_closed_with_4403_when_its_token_expires(
    first: Server,
    finance: Finance,  # noqa: F811
) -> None:
    short = mint(TEST_SECRET, role="ANALYST", sub="analyst", ttl=timedelta(seconds=3))
    messages: list[dict[str, Any]] = []
    async with subscribed(first, short, PAYMENT_EVENTS) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                messages.append(json.loads(await asyncio.wait_for(ws.recv(), 6)))
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    # the subscription may say why before the socket closes; it says nothing else
    errors = [e for m in messages if m["type"] in ("next", "error") for e in _errors(m)]
    assert {e["extensions"]["code"] for e in errors} <= {"UNAUTHENTICATED"}


async def test_a_staff_subscription_follows_a_change_of_supervisor(
    first: Server,
    writes_ekin: asyncpg.Connection,
    office: Office,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gateway.resolvers import events

    monkeypatch.setattr(events, "SCOPE_REFRESH_S", 0.0)  # read the scope at every event
    position = await writes_ekin.fetchval(
        "select id_jabatan from pegawai where nip = $1", office.report
    )
    supervisor = await writes_ekin.fetchval("select id_atasan from jabatan where id = $1", position)
    new_head = await writes_ekin.fetchval(
        "select id_jabatan from pegawai where nip = $1", office.stranger
    )
    async with subscribed(first, token("STAFF", office.stranger), ACTIVITY_EVENTS) as ws:
        try:
            # the report now works for the stranger, as a reorganisation would have it
            await writes_ekin.execute(
                "update jabatan set id_atasan = $2 where id = $1", position, new_head
            )
            start = free_morning()
            logged = await writes_ekin.fetchval(
                "insert into kinerja (nip, tgl_mulai, tgl_selesai, jenis_kinerja,"
                " rincian_kinerja, durasi_menit) values ($1, $2, $3, 'kinerja', 'Rapat', 30)"
                " returning id",
                office.report,
                start,
                start + timedelta(minutes=30),
            )
            event, _ = await next_event(ws, 2 * INTERVAL + 1)
        finally:
            await writes_ekin.execute(
                "update jabatan set id_atasan = $2 where id = $1", position, supervisor
            )
    assert event["activityEvents"]["activity"]["id"] == str(logged)
