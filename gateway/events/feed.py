"""Subscribers of one source's events, and what every kind of feed shares.

A feed hands each event, with its id, to every subscriber of this process through the
subscriber's own bounded queue; one that falls too far behind is ended (its subscription
ends with an error) instead of holding the others back. A subscriber that resumes with
`after` first gets the events kept since that id (`Feed._since`), then the live ones:
it is registered before the kept events are read, so nothing falls between the two, and
a live event it already got from the kept ones is skipped, so nothing comes twice.

Where the events come from is the subclass's: `local.LocalFeed` captures them in this
process and keeps the last ones in memory; `stream.StreamFeed` reads the deployment's
Redis stream, which one process (`capture.Capture`) writes.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, Generic, Protocol, TypeVar

from gateway.errors import GatewayError
from gateway.events.ids import EventId

log = logging.getLogger("smartgate.events")

E = TypeVar("E")
Item = tuple[EventId, E]
MAX_BACKOFF_SECONDS = 30.0
"""Longest wait between two polls of a source that is down."""


class SubscriberTooSlow(GatewayError):
    code = "SUBSCRIBER_TOO_SLOW"


class Reader(Protocol[E]):
    """Reads one source's changes: `start` notes where the source stands now, `poll`
    returns what changed since, and whether more is waiting."""

    async def start(self) -> None: ...

    async def poll(self) -> tuple[list[E], bool]: ...


class Polls(Generic[E]):
    """A change-capture loop's reads of its source (`LocalFeed`'s and `Capture`'s): a
    read that fails is logged and followed by a pause that doubles with each failure in a
    row, up to `MAX_BACKOFF_SECONDS`; it never ends the loop."""

    def __init__(self, name: str, reader: Reader[E], interval_s: float, started: bool) -> None:
        self._name = name
        self._reader = reader
        self._interval = interval_s
        self.started = started  # the reader knows where the source stands
        self._failures = 0

    async def next(self) -> tuple[list[E], bool] | None:
        """What changed since the last read and whether more is waiting; None when the
        source failed (after the pause)."""
        try:
            if not self.started:
                await self._reader.start()
                self.started = True
            changes = await self._reader.poll()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a source down must not end the loop
            self._failures += 1
            log.warning(
                "event=feed_poll_failed feed=%s failures=%d error=%r",
                self._name,
                self._failures,
                exc,
            )
            await asyncio.sleep(min(self._interval * 2**self._failures, MAX_BACKOFF_SECONDS))
            return None
        self._failures = 0
        return changes


class Subscriber(Generic[E]):
    def __init__(self, capacity: int) -> None:
        self._queue: asyncio.Queue[Item[E] | None] = asyncio.Queue(capacity)
        self._error: GatewayError | None = None
        self._kept: AsyncIterator[list[Item[E]]] | None = None
        self._page: collections.deque[Item[E]] = collections.deque()
        self._seen: EventId | None = None  # live events up to this one came from the kept

    def resume(self, after: EventId, kept: AsyncIterator[list[Item[E]]]) -> None:
        """Deliver `kept` (the events since `after`, page by page) before the live ones."""
        self._seen, self._kept = after, kept

    def offer(self, item: Item[E]) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.end(
                SubscriberTooSlow(
                    "this subscription fell too far behind its events and was ended; subscribe"
                    " again with `after` set to the id of the last event received"
                )
            )

    def end(self, error: GatewayError) -> None:
        """End the subscription with `error`, at its next event."""
        if self._error is None:
            self._error = error
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(None)  # wakes a subscriber waiting for its next event

    async def next(self) -> Item[E]:
        while True:
            if self._error is not None:
                raise self._error
            if self._page:
                item = self._page.popleft()
                self._seen = item[0]
                return item
            if self._kept is not None:
                page = await anext(self._kept, None)
                if page is None:
                    self._kept = None
                else:
                    self._page.extend(page)
                continue
            live = await self._queue.get()
            if live is None:
                continue
            if self._seen is not None and live[0].position <= self._seen.position:
                continue  # already delivered from the kept events
            self._seen = None
            return live


class Feed(Generic[E]):
    """One source's events for the subscribers of this process."""

    def __init__(self, name: str, capacity: int = 1000) -> None:
        self.name = name
        self._capacity = capacity
        self._subscribers: set[Subscriber[E]] = set()
        self._polled_at: float | None = None  # time.monotonic() of the last poll known

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @property
    def polls(self) -> int:
        """Polls of the source made by this process."""
        raise NotImplementedError

    @property
    def running(self) -> bool:
        """Whether this process is receiving the source's events."""
        raise NotImplementedError

    @property
    def polled_at(self) -> float | None:
        """`time.monotonic()` when the source's change-capture loop last completed a
        poll; None while no loop is known to capture."""
        return self._polled_at

    @property
    def capture_lag_seconds(self) -> float | None:
        polled_at = self.polled_at
        return None if polled_at is None else max(0.0, time.monotonic() - polled_at)

    @contextlib.asynccontextmanager
    async def subscribe(self, after: EventId | None = None) -> AsyncIterator[Subscriber[E]]:
        """A subscriber for as long as the block runs: the events since `after` if given,
        then what changes from now on."""
        subscriber: Subscriber[E] = Subscriber(self._capacity)
        self._subscribers.add(subscriber)
        try:
            if after is not None:
                subscriber.resume(after, await self._since(after))
            await self._listen()
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)
            if not self._subscribers:
                await self._unlisten()

    def _deliver(self, item: Item[E]) -> None:
        for subscriber in list(self._subscribers):
            subscriber.offer(item)

    def _end_all(self, error: GatewayError) -> None:
        for subscriber in list(self._subscribers):
            subscriber.end(error)

    async def _since(self, after: EventId) -> AsyncIterator[list[Item[E]]]:
        """The events kept after `after`, page by page; EVENTS_EXPIRED when they are no
        longer all kept, BAD_USER_INPUT when no event had this id."""
        raise NotImplementedError

    async def _listen(self) -> None:
        """Receive the source's events (a subscriber is registered)."""
        raise NotImplementedError

    async def _unlisten(self) -> None:
        """The last subscriber left."""

    async def stop(self) -> None:
        raise NotImplementedError


async def cancelled(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait until it ends. The cancellation is repeated: one that meets
    a timeout of the Redis client's own can be taken for that timeout and swallowed, and
    the task would go on."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    if not task.cancelled():
        task.exception()  # retrieved: the task is over either way


async def pages(*given: list[Item[E]]) -> AsyncIterator[list[Item[E]]]:
    for page in given:
        yield page
