"""One change-capture loop per source for a deployment sharing a Redis: one process
polls, every process delivers from the stream, a subscriber resumes on another process,
another process takes over when the polling one dies, and a Redis that goes away ends
subscriptions with EVENTS_UNAVAILABLE, then capture resumes without a restart.

Each "process" is a gateway's Services (or app) in this test process, with connectors of
its own, so that statements are counted per process."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as redis

from gateway.app import build_services
from gateway.context import Services
from gateway.events.capture import Capture
from gateway.events.ids import EventId, EventsExpired
from gateway.events.records import ActivityEventKind, PaymentEvent
from gateway.events.stream import StreamFeed
from gateway.shared_state import SharedState
from tests.conftest import Databases, settings_for, token
from tests.redis_server import redis_server
from tests.test_activity_writes import Office, free_morning
from tests.test_activity_writes import office as office  # noqa: F401 (fixture)
from tests.test_event_log import (
    INTERVAL_MS,
    Changes,
    Tick,
    Ticks,
    error_codes,
    events,
    nothing_within,
    serving,
    shown,
    socket,
    subscribe,
    take,
    until,
)
from tests.test_event_log import finance as finance  # noqa: F401 (fixture)
from tests.test_event_log import own_and_other as own_and_other  # noqa: F401 (fixture)

LEASE_MS = 500
INTERVAL = INTERVAL_MS / 1000
TAKE_OVER_BOUND = LEASE_MS / 1000 + INTERVAL  # as documented: the lease plus one poll interval


@pytest.fixture
async def events_redis(redis_url: str) -> str:
    """The suite's Redis, on a database of these tests' own, emptied."""
    url = redis_url.rsplit("/", 1)[0] + "/5"
    client = redis.Redis.from_url(url)
    await client.flushdb()
    await client.aclose()
    return url


@asynccontextmanager
async def gateway_process(db: Databases, redis_url: str) -> AsyncIterator[Services]:
    settings = dataclasses.replace(
        settings_for(db),
        redis_url=redis_url,
        events_poll_ms=INTERVAL_MS,
        capture_lease_ms=LEASE_MS,
    )
    services = build_services(settings)
    await services.ekin.open()
    await services.sppspm.open()
    services.events.start()
    try:
        yield services
    finally:
        await services.events.close()
        await services.ekin.close()
        await services.sppspm.close()
        assert services.shared is not None
        await services.shared.close()


def capture_of(services: Services, source: str) -> Capture[Any]:
    (capture,) = [c for c in services.events.captures if c.name == source]
    return capture


async def killed(services: Services) -> None:
    """As SIGKILL would: the process stops capturing and delivering, and hands back no
    lease."""
    for capture in services.events.captures:
        await capture.stop(release=False)
    await services.events.payments.stop()
    await services.events.activities.stop()


async def test_one_process_polls_each_source_for_the_whole_deployment(
    writes_db: Databases, events_redis: str
) -> None:
    async with (
        gateway_process(writes_db, events_redis) as a,
        gateway_process(writes_db, events_redis) as b,
    ):

        def led(source: str) -> bool:
            return capture_of(a, source).leading or capture_of(b, source).leading

        await until(lambda: led("sppspm") and led("ekin"))
        before = [
            (p.sppspm.statements, p.ekin.statements, capture_of(p, "sppspm").polls) for p in (a, b)
        ]
        await asyncio.sleep(10 * INTERVAL)
        for source in ("sppspm", "ekin"):
            assert capture_of(a, source).leading != capture_of(b, source).leading
        for p, (sppspm, ekin, polls) in zip((a, b), before, strict=True):
            capture = capture_of(p, "sppspm")
            if capture.leading:
                assert capture.polls - polls >= 5
                # one statement per poll when nothing changed (a poll may be half done)
                assert abs(p.sppspm.statements - sppspm - (capture.polls - polls)) <= 1
            else:
                assert (capture.polls, p.sppspm.statements) == (polls, sppspm)
            if not capture_of(p, "ekin").leading:
                assert p.ekin.statements == ekin
        lags = [p.events.payments.capture_lag_seconds for p in (a, b)]
        assert all(lag is not None and lag < 2 * TAKE_OVER_BOUND for lag in lags), lags


async def test_a_subscriber_resumes_on_another_process(
    writes_db: Databases, events_redis: str, own_and_other: tuple[Changes, Changes]
) -> None:
    own, _ = own_and_other
    async with (
        gateway_process(writes_db, events_redis) as a,
        gateway_process(writes_db, events_redis) as b,
    ):
        async with a.events.payments.subscribe() as on_a:
            made = await own.make(2)
            received = await take(on_a, 2)
        assert [_at(e) for _, e in received] == [shown(at) for at in made]
        missed = await own.make(3)
        await asyncio.sleep(3 * INTERVAL)
        started = time.monotonic()
        async with b.events.payments.subscribe(received[-1][0]) as on_b:
            first = await take(on_b, 1)
            resume_delay = time.monotonic() - started
            rest = await take(on_b, 2)
            live = await own.make(1)
            then = await take(on_b, 1)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(on_b.next(), 3 * INTERVAL)
    assert [_at(e) for _, e in first + rest + then] == [shown(at) for at in missed + live]
    ids = [i for i, _ in received + first + rest + then]
    assert ids == sorted(set(ids))
    print(f"resume delay (subscribe with after to first kept event): {resume_delay * 1000:.1f} ms")


async def test_another_process_takes_over_when_the_polling_one_dies(
    writes_db: Databases, events_redis: str, own_and_other: tuple[Changes, Changes]
) -> None:
    own, _ = own_and_other
    async with gateway_process(writes_db, events_redis) as a:
        await until(lambda: capture_of(a, "sppspm").leading)
        async with (
            gateway_process(writes_db, events_redis) as b,
            b.events.payments.subscribe() as on_b,
        ):
            producing = asyncio.create_task(own.make(40, every_s=0.01))
            await asyncio.sleep(0.1)
            await killed(a)
            took = await until(lambda: capture_of(b, "sppspm").leading, within=5)
            made = await producing
            received = await take(on_b, 40)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(on_b.next(), 3 * INTERVAL)
    assert [_at(e) for _, e in received] == [shown(at) for at in made]  # once each, in order
    assert took <= TAKE_OVER_BOUND + 0.1, took
    print(
        f"take-over after the polling process died: {took * 1000:.0f} ms (bound {TAKE_OVER_BOUND * 1000:.0f} ms)"
    )


async def test_a_take_over_keeps_the_activities_still_pending_review(
    writes_db: Databases,
    events_redis: str,
    writes_ekin: asyncpg.Connection,
    office: Office,  # noqa: F811
) -> None:
    async with gateway_process(writes_db, events_redis) as a:
        await until(lambda: capture_of(a, "ekin").leading)
        async with (
            gateway_process(writes_db, events_redis) as b,
            b.events.activities.subscribe() as on_b,
        ):
            start = free_morning()
            legacy_id = await writes_ekin.fetchval(
                "insert into kinerja (nip, tgl_mulai, tgl_selesai, jenis_kinerja,"
                " rincian_kinerja, durasi_menit) values ($1, $2, $3, 'kinerja', 'Rapat', 60)"
                " returning id",
                office.report,
                start,
                start + timedelta(minutes=60),
            )
            ((_, logged),) = await take(on_b, 1)
            assert (logged.kind, logged.activity.id) == (ActivityEventKind.LOGGED, legacy_id)
            await killed(a)
            await until(lambda: capture_of(b, "ekin").leading)
            # reviewed while b captures: b knows it was pending from what a stored
            await writes_ekin.execute(
                "update kinerja set approve = true, approved_by = $2, approved_at = now()"
                " where id = $1",
                legacy_id,
                office.head,
            )
            ((_, reviewed),) = await take(on_b, 1)
            assert (reviewed.kind, reviewed.activity.id) == (ActivityEventKind.REVIEWED, legacy_id)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(on_b.next(), 3 * INTERVAL)


async def test_redis_going_away_ends_subscriptions_and_capture_resumes_when_it_is_back(
    writes_db: Databases, tmp_path: Path, own_and_other: tuple[Changes, Changes]
) -> None:
    own, _ = own_and_other
    with redis_server(tmp_path) as private:
        async with serving(writes_db, redis_url=private.url, capture_lease_ms=LEASE_MS) as server:
            services = server.services
            capture = capture_of(services, "sppspm")
            feed = services.events.payments
            await until(lambda: capture.leading)
            async with socket(server.url, token("ADMIN", "admin")) as ws:
                await subscribe(ws, {})
                await until(lambda: feed.running)
                made = await own.make()
                (seen,) = await events(ws, 1)
                assert seen["at"] == shown(made[0])

                private.stop()
                assert await error_codes(ws) == ["EVENTS_UNAVAILABLE"]
                await subscribe(ws, {"after": seen["id"]}, op="2")
                assert await error_codes(ws) == ["EVENTS_UNAVAILABLE"]
                await until(lambda: not capture.leading)
                assert services.shared is not None and not services.shared.available

                private.start()  # empty: what was kept is gone
                await until(lambda: capture.leading)
                await subscribe(ws, {"after": seen["id"]}, op="3")
                assert await error_codes(ws) == ["EVENTS_EXPIRED"]
                await subscribe(ws, {}, op="4")
                await until(lambda: feed.running)
                made = await own.make()
                (back,) = await events(ws, 1)
                assert back["at"] == shown(made[0])
                await nothing_within(ws, 3 * INTERVAL)


async def test_an_id_of_another_event_log_is_expired(
    writes_db: Databases, events_redis: str
) -> None:
    async with gateway_process(writes_db, events_redis) as a:
        with pytest.raises(EventsExpired, match="no longer exists"):
            async with a.events.payments.subscribe(EventId("0badc0de", (1, 0))):
                pass


def _at(event: PaymentEvent) -> str:
    return event.at.isoformat()


async def test_only_the_kept_events_of_the_stream_can_be_resumed_from(events_redis: str) -> None:
    shared = SharedState(events_redis)
    rows: list[int] = []
    capture: Capture[Tick] = Capture("ticks", shared, lambda: Ticks(rows), 0.005, LEASE_MS, 100)
    feed = StreamFeed("ticks", shared, capture, Tick, kept=100)
    capture.start()
    try:
        await until(lambda: capture.polls > 0)
        async with feed.subscribe() as first:
            rows.extend(range(1, 801))  # within the subscriber's queue of 1,000
            received = await take(first, 800)
            rows.extend(range(801, 1601))
            received += await take(first, 800)
        assert [t.n for _, t in received] == list(range(1, 1601))  # live: none trimmed
        ids = [i for i, _ in received]
        # at least two polls' worth (1,000) are kept, whatever the setting says
        async with feed.subscribe(ids[-1001]) as resumed:
            assert [t.n for _, t in await take(resumed, 1000)] == list(range(601, 1601))
        with pytest.raises(EventsExpired, match="events are kept"):
            async with feed.subscribe(ids[0]) as too_old:
                await take(too_old, 1)
    finally:
        await feed.stop()
        await capture.stop()
        await shared.close()
