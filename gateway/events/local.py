"""Change capture in this process, without Redis: one loop per source, shared by every
subscriber of the process, and the last `events_kept` events kept in memory for the
subscribers that resume with `after`.

The loop starts with the first subscriber and runs while someone listens; when the last
one leaves it goes on for `LINGER_S` (a client that lost its connection is usually back
within seconds, and resumes without a gap), then stops, so nobody listening costs
nothing but that minute of polls. The kept events go with it: an id from before the stop
is answered EVENTS_EXPIRED, since what changed while nobody captured is not known.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import itertools
import time
from collections.abc import AsyncIterator

from gateway.errors import BadUserInput
from gateway.events.feed import E, Feed, Item, Polls, Reader, cancelled, pages
from gateway.events.ids import EventId, EventsExpired, new_epoch

LINGER_S = 60.0
"""How long a loop keeps capturing after its last subscriber left."""


class LocalFeed(Feed[E]):
    def __init__(
        self,
        name: str,
        reader: Reader[E],
        interval_s: float,
        kept: int,
        capacity: int = 1000,
        linger_s: float = LINGER_S,
    ) -> None:
        super().__init__(name, capacity)
        self.linger_s = linger_s
        self._reader = reader
        self._interval = interval_s
        self._kept: collections.deque[Item[E]] = collections.deque(maxlen=kept)
        self._epoch = new_epoch()
        self._count = 0  # events captured since the loop started: the last one's number
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._polls = 0

    @property
    def polls(self) -> int:
        return self._polls

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _since(self, after: EventId) -> AsyncIterator[list[Item[E]]]:
        if not self.running or after.epoch != self._epoch:
            raise EventsExpired(
                "this id is from an event log that no longer exists (the gateway restarted,"
                " or nobody listened for a while)"
            )
        number = after.position[0]
        if after.position[1] != 0 or number > self._count:
            raise BadUserInput("after: no event has this id", argument="after")
        first = self._count - len(self._kept) + 1
        if number + 1 < first:
            raise EventsExpired(f"only the last {self._kept.maxlen} events are kept")
        # taken now, with the subscriber registered: later events reach its queue
        return pages(list(itertools.islice(self._kept, number + 1 - first, None)))

    async def _listen(self) -> None:
        if not self.running:
            self._epoch, self._count = new_epoch(), 0
            self._kept.clear()
            self._ready = asyncio.Event()
            # a context of its own: the loop outlives the subscription that started it, and
            # must not inherit its request id or time budget
            self._task = asyncio.create_task(
                self._run(), name=f"feed:{self.name}", context=contextvars.Context()
            )
        # Wait (a few intervals at most) until the loop knows where the source stands,
        # so what changes from then on reaches this subscriber.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout=max(1.0, 5 * self._interval))

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            await cancelled(task)

    async def _run(self) -> None:
        polls = Polls(self.name, self._reader, self._interval, started=False)
        idle_since: float | None = None
        try:
            while True:
                if self._subscribers:
                    idle_since = None
                elif idle_since is None:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since >= self.linger_s:
                    return
                changes = await polls.next()
                if polls.started:
                    self._ready.set()
                if changes is None:
                    continue
                events, more = changes
                self._polls += 1
                self._polled_at = time.monotonic()
                for event in events:
                    self._count += 1
                    item = (EventId(self._epoch, (self._count, 0)), event)
                    self._kept.append(item)
                    self._deliver(item)
                if not more:
                    await asyncio.sleep(self._interval)
        finally:
            self._polled_at = None
