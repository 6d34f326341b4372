"""A source's events as every process of a Redis deployment receives them: read from the
source's stream (`XREAD BLOCK`), which one process writes (`capture.Capture`), and
handed to this process's subscribers. The stream id is the event id, so a subscriber
can resume with `after` on any process.

A follower reads the stream while this process has subscribers. When Redis does not
answer, every subscription of the process ends with EVENTS_UNAVAILABLE, and new ones are
refused with it, so that clients subscribe again, with `after`, once it is back.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Generic

from redis.exceptions import RedisError

from gateway.errors import BadUserInput
from gateway.events import codec
from gateway.events.capture import Capture
from gateway.events.feed import E, Feed, Item, cancelled
from gateway.events.ids import EventId, EventsExpired, EventsUnavailable, stream_position
from gateway.shared_state import SharedState

BLOCK_MS = 500
"""Longest wait of one `XREAD BLOCK`, well below the Redis client's timeout."""
PAGE = 500
"""Events read at once, when following and when resuming."""

# Sets `last` to the last id the stream KEYS[2] gave ('0-0' before the first event).
_LAST_GIVEN = """
local info = redis.pcall('xinfo', 'stream', KEYS[2])
local last = '0-0'
if type(info) == 'table' and not info.err then
  for k = 1, #info, 2 do
    if info[k] == 'last-generated-id' then last = info[k + 1] end
  end
end
"""

# The events after ARGV[1] (a stream id), ARGV[2] at most, with the stream's epoch, the
# greatest id trimmed from it (noted by the capture's PUBLISH) and the last id it gave,
# read in one step. KEYS: epoch, stream, state.
SINCE = (
    _LAST_GIVEN
    + """
local trimmed = redis.call('hget', KEYS[3], 'trimmed') or '0-0'
return {redis.call('get', KEYS[1]), trimmed, last,
        redis.call('xrange', KEYS[2], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])}
"""
)

# The stream's epoch and the last id it gave. KEYS: epoch, stream.
HEAD = _LAST_GIVEN + "return {redis.call('get', KEYS[1]), last}\n"


@dataclass(frozen=True, slots=True)
class Read(Generic[E]):
    epoch: str | None  # the stream's now; None if Redis lost it
    trimmed: tuple[int, int]  # the greatest id trimmed from the stream
    newest: tuple[int, int]  # the last id the stream gave
    items: list[Item[E]]


class StreamFeed(Feed[E]):
    def __init__(
        self,
        name: str,
        shared: SharedState,
        capture: Capture[E],
        event_type: type[E],
        kept: int,
        capacity: int = 1000,
    ) -> None:
        super().__init__(name, capacity)
        self.capture = capture
        self._shared = shared
        self._event_type = event_type
        self._kept = kept
        self._keys = capture.keys
        self._task: asyncio.Task[None] | None = None

    @property
    def polls(self) -> int:
        return self.capture.polls

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def polled_at(self) -> float | None:
        return self.capture.polled_at  # the deployment's loop, wherever it runs

    async def _since(self, after: EventId) -> AsyncIterator[list[Item[E]]]:
        first = await self._page_after(after, after)
        return self._pages_from(after, first)

    async def _pages_from(
        self, after: EventId, first: list[Item[E]]
    ) -> AsyncIterator[list[Item[E]]]:
        # Read until a read finds nothing: that last read is made when the subscriber has
        # been receiving live events, so none falls between the kept ones and the live.
        last, page = after, first
        while True:
            if page:
                yield page
                last = page[-1][0]
            page = await self._page_after(after, last)
            if not page:
                return

    async def _page_after(self, after: EventId, last: EventId) -> list[Item[E]]:
        try:
            read = await self._read(last.stream_id, after.epoch)
        except (RedisError, OSError) as exc:
            self._shared.failed(exc)
            raise EventsUnavailable() from exc
        if read.epoch != after.epoch:
            raise EventsExpired(
                "this id is from an event log that no longer exists (the deployment's Redis"
                " restarted empty)"
            )
        if last.position > read.newest:
            raise BadUserInput("after: no event has this id", argument="after")
        if last.position < read.trimmed:
            raise EventsExpired(f"only the last {self._kept} or so events are kept")
        return read.items

    async def _read(self, last: str, epoch: str) -> Read[E]:
        """The events after stream id `last` (a page at most), labelled with `epoch`."""
        found, trimmed, newest, entries = await self._shared.client.eval(
            SINCE, 3, self._keys.epoch, self._keys.stream, self._keys.state, last, PAGE
        )
        return Read(
            found.decode() if found is not None else None,
            stream_position(trimmed),
            stream_position(newest),
            [self._item(epoch, stream_id, fields) for stream_id, fields in entries],
        )

    def _item(self, epoch: str, stream_id: bytes, fields: list[bytes]) -> Item[E]:
        data = dict(zip(fields[::2], fields[1::2], strict=True))[b"e"]  # [name, value]
        return EventId(epoch, stream_position(stream_id)), codec.decode(self._event_type, data)

    async def _listen(self) -> None:
        if self.running:
            return
        try:
            _, epoch = await self.capture.acquire(contend=False)  # sets the epoch if missing
            _, newest = await self._shared.client.eval(HEAD, 2, self._keys.epoch, self._keys.stream)
        except (RedisError, OSError) as exc:
            self._shared.failed(exc)
            raise EventsUnavailable() from exc
        self._task = asyncio.create_task(
            self._follow(epoch, newest.decode()),
            name=f"follow:{self.name}",
            context=contextvars.Context(),  # not the first subscription's
        )

    async def _follow(self, epoch: str, last: str) -> None:
        """Deliver the stream's events after `last`. Each read says what was trimmed: a
        process that fell behind the events kept (or whose Redis restarted empty) ends
        its subscriptions with EVENTS_EXPIRED rather than skip events silently."""
        client = self._shared.client
        try:
            while self._subscribers:
                read = await self._read(last, epoch)
                self._shared.answered()
                if read.epoch != epoch or stream_position(last) < read.trimmed:
                    self._end_all(EventsExpired("this process fell behind the events kept"))
                    return
                for item in read.items:
                    self._deliver(item)
                if read.items:
                    last = read.items[-1][0].stream_id
                    continue
                # nothing new: wait until something is (the reply is read above, with
                # what was trimmed meanwhile)
                await client.xread({self._keys.stream: last}, count=1, block=BLOCK_MS)
        except (RedisError, OSError) as exc:
            self._shared.failed(exc)
            self._end_all(EventsUnavailable())

    async def _unlisten(self) -> None:
        await self.stop()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            await cancelled(task)
