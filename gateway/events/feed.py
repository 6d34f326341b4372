"""One change-capture loop, shared by every subscriber of this process.

The loop runs while someone listens: it starts with the first subscriber, remembers
where the source stood, and stops when the last one leaves, so a subscriber that
disconnects costs nothing, and nobody listening costs nothing. Events reach each
subscriber through its own bounded queue; one that falls too far behind is dropped
(its subscription ends with an error) instead of holding the others back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Generic, Protocol, TypeVar

from gateway.errors import GatewayError

log = logging.getLogger("smartgate.events")

E = TypeVar("E")
MAX_BACKOFF_SECONDS = 30.0


class SubscriberTooSlow(GatewayError):
    code = "SUBSCRIBER_TOO_SLOW"


class Reader(Protocol[E]):
    """Reads one source's changes: `start` notes where the source stands now, `poll`
    returns what changed since, and whether more is waiting."""

    async def start(self) -> None: ...

    async def poll(self) -> tuple[list[E], bool]: ...


class Subscriber(Generic[E]):
    def __init__(self, capacity: int) -> None:
        self._queue: asyncio.Queue[E] = asyncio.Queue(capacity)
        self._overflowed = False

    def offer(self, event: E) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._overflowed = True

    async def next(self) -> E:
        if self._overflowed:
            raise SubscriberTooSlow(
                "this subscription fell too far behind its events and was ended; subscribe again"
            )
        return await self._queue.get()


class Feed(Generic[E]):
    def __init__(
        self, name: str, reader: Reader[E], interval_s: float, capacity: int = 1000
    ) -> None:
        self.name = name
        self._reader = reader
        self._interval = interval_s
        self._capacity = capacity
        self._subscribers: set[Subscriber[E]] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self.polls = 0

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscriber[E]]:
        """A subscriber for as long as the block runs. Waits (a few intervals at most)
        until the loop knows where the source stands, so what changes from then on
        reaches this subscriber."""
        subscriber: Subscriber[E] = Subscriber(self._capacity)
        self._subscribers.add(subscriber)
        if not self.running:
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name=f"feed:{self.name}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=max(1.0, 5 * self._interval))
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)
            if not self._subscribers:
                await self.stop()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        started = False
        failures = 0
        while self._subscribers:
            try:
                if not started:
                    await self._reader.start()
                    started = True
                    self._ready.set()
                events, more = await self._reader.poll()
                self.polls += 1
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a source down must not end the loop
                failures += 1
                log.warning(
                    "event=feed_poll_failed feed=%s failures=%d error=%r", self.name, failures, exc
                )
                await asyncio.sleep(min(self._interval * 2**failures, MAX_BACKOFF_SECONDS))
                continue
            for event in events:
                for subscriber in list(self._subscribers):
                    subscriber.offer(event)
            if not more:
                await asyncio.sleep(self._interval)
