"""Resuming subscribers without Redis: every event carries an id, and a subscriber that
gives the last one it received as `after` gets the events it may see since, then the
live ones, none twice and none missing; ids no longer kept are EVENTS_EXPIRED, ids that
are none are BAD_USER_INPUT. The helpers here serve tests/test_event_capture.py too."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from websockets.asyncio.client import ClientConnection, connect

from gateway.errors import BadUserInput
from gateway.events.feed import Feed
from gateway.events.ids import EventId, EventsExpired
from gateway.events.local import LocalFeed
from gateway.events.readers import BATCH, PendingChange, Position
from tests import test_subscriptions as subscriptions
from tests.conftest import Databases, Gateway, token
from tests.test_payment_writes import Finance, goods, new_line, submit
from tests.test_payment_writes import finance as finance  # noqa: F401 (fixture)
from tests.test_subscriptions import Server

INTERVAL_MS = 50

PAYMENT_EVENTS = """
subscription($dept: String, $after: ID) {
  paymentRequestEvents(departmentCode: $dept, after: $after) {
    id kind at paymentRequest { id }
  }
}
"""


# -- a source of numbered ticks, for the feeds' own rules ---------------------------


@dataclass(frozen=True, slots=True)
class Tick:
    n: int


class Ticks:
    """A reader of a source whose changes are numbered ticks the test adds."""

    def __init__(self, rows: list[int]) -> None:
        self.rows = rows
        self.last = 0
        self.polls = 0

    async def start(self) -> None:
        self.last = len(self.rows)

    async def poll(self) -> tuple[list[Tick], bool]:
        self.polls += 1
        new = self.rows[self.last : self.last + BATCH]  # at most a batch, as readers read
        self.last += len(new)
        return [Tick(n) for n in new], len(new) == BATCH

    def position(self) -> Position:
        return Position(self.last, {})

    def restore(self, position: Position) -> None:
        self.last = position.last_id

    def take_pending_change(self) -> PendingChange:
        return PendingChange()


async def until(condition: Callable[[], bool], within: float = 5.0) -> float:
    """Wait until `condition` holds; how long it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within:
            raise AssertionError(f"not within {within} s")
        await asyncio.sleep(0.005)
    return time.monotonic() - started


async def take(subscriber: Any, count: int, within: float = 5.0) -> list[tuple[EventId, Any]]:
    return [await asyncio.wait_for(subscriber.next(), within) for _ in range(count)]


async def ticking(rows: list[int], upto: int, every_s: float = 0.002) -> None:
    for n in range(len(rows) + 1, upto + 1):
        rows.append(n)
        await asyncio.sleep(every_s)


async def test_a_resume_while_events_flow_misses_none_and_repeats_none() -> None:
    rows: list[int] = []
    feed = LocalFeed("ticks", Ticks(rows), 0.005, kept=1000)
    try:
        async with feed.subscribe() as first:
            producing = asyncio.create_task(ticking(rows, 300))
            received = await take(first, 40)
            assert [e.n for _, e in received] == list(range(1, 41))
            resume_at = received[9][0]
            async with feed.subscribe(resume_at) as second:
                again = await take(second, 290)
            await producing
        assert [e.n for _, e in again] == list(range(11, 301))
        ids = [i for i, _ in again]
        assert ids == sorted(set(ids))  # increasing: nothing twice
    finally:
        await feed.stop()


async def test_only_the_kept_events_can_be_resumed_from() -> None:
    rows: list[int] = []
    feed = LocalFeed("ticks", Ticks(rows), 0.005, kept=5)
    try:
        async with feed.subscribe() as first:
            rows.extend(range(1, 13))
            received = await take(first, 12)
            ids = {e.n: i for i, e in received}
            # events 8 to 12 are kept: resuming after 7 misses nothing, after 6 would
            async with feed.subscribe(ids[7]) as resumed:
                assert [e.n for _, e in await take(resumed, 5)] == [8, 9, 10, 11, 12]
            with pytest.raises(EventsExpired, match="only the last 5 events are kept"):
                async with feed.subscribe(ids[6]):
                    pass
            beyond = EventId(ids[12].epoch, (ids[12].position[0] + 1, 0))
            with pytest.raises(BadUserInput, match="no event has this id"):
                async with feed.subscribe(beyond):
                    pass
    finally:
        await feed.stop()


async def test_ids_from_before_the_loop_stopped_are_expired() -> None:
    rows: list[int] = []
    feed = LocalFeed("ticks", Ticks(rows), 0.005, kept=100, linger_s=0.05)
    async with feed.subscribe() as only:
        rows.append(1)
        ((last, _),) = await take(only, 1)
    # reconnecting within the linger resumes
    async with feed.subscribe(last) as back:
        rows.append(2)
        assert [e.n for _, e in await take(back, 1)] == [2]
    await until(lambda: not feed.running)  # nobody came back: capture stopped
    with pytest.raises(EventsExpired, match="no longer exists"):
        async with feed.subscribe(last):
            pass
    assert not feed.running  # a refused resume starts nothing


# -- over graphql-transport-ws ------------------------------------------------------


@asynccontextmanager
async def serving(db: Databases, **settings: Any) -> AsyncIterator[Server]:
    """`test_subscriptions.serving`, polling every `INTERVAL_MS`."""
    async with subscriptions.serving(db, **{"events_poll_ms": INTERVAL_MS, **settings}) as served:
        yield served


@pytest.fixture(scope="module")
async def server(writes_db: Databases) -> AsyncIterator[Server]:
    async with serving(writes_db) as served:
        yield served


@asynccontextmanager
async def socket(url: str, bearer: str) -> AsyncIterator[ClientConnection]:
    async with connect(
        f"ws://{url}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    ) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        yield ws


async def subscribe(ws: ClientConnection, variables: dict[str, Any], op: str = "1") -> None:
    payload = {"query": PAYMENT_EVENTS, "variables": variables}
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))


async def events(ws: ClientConnection, count: int, within: float = 5.0) -> list[dict[str, Any]]:
    """The next `count` events' data."""
    received = []
    for _ in range(count):
        message = json.loads(await asyncio.wait_for(ws.recv(), within))
        assert message["type"] == "next" and "errors" not in message["payload"], message
        received.append(message["payload"]["data"]["paymentRequestEvents"])
    return received


async def error_codes(ws: ClientConnection, within: float = 5.0) -> list[str]:
    """The codes of the errors the subscription ends with."""
    codes: list[str] = []
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), within))
        if message["type"] == "complete":
            return codes
        payload = message["payload"]
        errors = payload if message["type"] == "error" else payload.get("errors", [])
        codes += [e["extensions"]["code"] for e in errors]
        if message["type"] == "error":
            return codes


async def nothing_within(ws: ClientConnection, seconds: float) -> None:
    with pytest.raises(TimeoutError):
        message = await asyncio.wait_for(ws.recv(), seconds)
        pytest.fail(f"unexpected: {message!r}")


async def listening(feed: Feed[Any], subscribers: int) -> None:
    """Until `subscribers` subscribe to `feed` and a poll has followed."""
    await until(lambda: feed.subscribers >= subscribers)
    polls = feed.polls
    await until(lambda: feed.polls > polls)


_moments = itertools.count()


class Changes:
    """History rows written as sppspm's own screens write them, one per transaction, each
    at its own WIB time, so that each is one event, known by its time."""

    def __init__(self, sql: asyncpg.Connection, spp_id: int, verifier: str) -> None:
        self.sql, self.spp_id, self.verifier = sql, spp_id, verifier

    async def make(self, count: int = 1, every_s: float = 0.0) -> list[datetime]:
        """The changes' WIB times, as written."""
        made = []
        for _ in range(count):
            at = datetime(2026, 12, 1, 8) + timedelta(seconds=next(_moments))
            await self.sql.execute(
                "insert into riwayat_status (dokumen, id_dokumen, status_lama, status_baru,"
                " nip, waktu, catatan) values ('SPP', $1, 1, 1, $2, $3, 'uji peristiwa')",
                self.spp_id,
                self.verifier,
                at,
            )
            made.append(at)
            if every_s:
                await asyncio.sleep(every_s)
        return made


def shown(at: datetime) -> str:
    """A WIB time written to sppspm as the API shows it."""
    return at.isoformat() + "+07:00"


async def new_request(writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, dept: str) -> int:
    line = await new_line(writes_sppspm, dept, "5000000")
    caller = writes_gateway.as_caller(token("DEPT_SYSTEM", "simda", dept))
    submitted = await submit(caller, goods(dept, line))
    return int(submitted["paymentRequest"]["id"])


@pytest.fixture(scope="module")
async def own_and_other(
    writes_gateway: Gateway,
    writes_sppspm: asyncpg.Connection,
    finance: Finance,  # noqa: F811
) -> tuple[Changes, Changes]:
    """Changes to a request of the finance department, and of another department."""
    own = await new_request(writes_gateway, writes_sppspm, finance.dept)
    other = await new_request(writes_gateway, writes_sppspm, finance.other_dept)
    return (
        Changes(writes_sppspm, own, finance.verifier),
        Changes(writes_sppspm, other, finance.other_verifier),
    )


async def test_a_subscriber_resumes_with_what_it_may_see_since_its_last_event(
    server: Server,
    finance: Finance,  # noqa: F811
    own_and_other: tuple[Changes, Changes],
) -> None:
    own, other = own_and_other
    feed = server.services.events.payments
    department = token("DEPT_SYSTEM", "simda", finance.dept)
    async with socket(server.url, token("ADMIN", "admin")) as admin:
        await subscribe(admin, {})  # sees everything, and keeps the loop running
        async with socket(server.url, department) as ws:
            await subscribe(ws, {})
            await listening(feed, 2)
            first = await own.make()
            (seen,) = await events(ws, 1)
            assert seen["at"] == shown(first[0])
            await events(admin, 1)
        # disconnected: three changes, one of another department
        missed = [*await own.make(), *await other.make(), *await own.make()]
        await events(admin, 3)  # read by the loop
        async with socket(server.url, department) as ws:
            await subscribe(ws, {"after": seen["id"]})
            resumed = await events(ws, 2)
            assert [e["at"] for e in resumed] == [shown(missed[0]), shown(missed[2])]
            live = await own.make()
            (then,) = await events(ws, 1)
            assert then["at"] == shown(live[0])
            await nothing_within(ws, 3 * INTERVAL_MS / 1000)
    ids = [seen["id"], *(e["id"] for e in resumed), then["id"]]
    assert len(set(ids)) == 4


@pytest.mark.parametrize(
    ("after", "code"),
    [
        ("12", "BAD_USER_INPUT"),
        ("not-an-id", "BAD_USER_INPUT"),
        ("0badc0de:1-0", "EVENTS_EXPIRED"),  # a log of another run of the gateway
    ],
)
async def test_an_id_that_cannot_be_resumed_from_ends_the_subscription_with_a_code(
    server: Server, after: str, code: str
) -> None:
    async with socket(server.url, token("ANALYST", "a")) as ws:
        await subscribe(ws, {"after": after})
        assert await error_codes(ws) == [code]


async def test_metrics_show_the_capture_lag_and_polls_while_capturing(server: Server) -> None:
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    services = server.services
    async with socket(server.url, token("ANALYST", "a")) as ws:
        await subscribe(ws, {})
        await listening(services.events.payments, 1)
        scraped = generate_latest(services.metrics.registry).decode()
    samples = {
        (s.name, s.labels.get("source")): s.value
        for family in text_string_to_metric_families(scraped)
        for s in family.samples
    }
    assert 0 <= samples["smartgate_events_capture_lag_seconds", "sppspm"] < 1.0
    assert samples["smartgate_events_polls_total", "sppspm"] >= 1
