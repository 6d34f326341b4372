"""One change-capture loop per source for the whole deployment, with Redis.

Every process contends for a source's lease (`SET NX PX` with a token of its own, renewed
by compare-and-renew every third of `capture_lease_ms`; chosen over a PostgreSQL advisory
lock because the lease must fence what is written to Redis, and a lock held by a
connection of a process that hangs would outlive its usefulness). The holder polls the
source and writes each poll's events to the source's stream (trimmed to the last
`events_kept`) together with the reader's position (the tail's last id and gaps; for
e-kin the turn and the pending activities, a set changed by what each poll changed) in
one Lua script that first checks the lease is still the holder's: a process that lost
its lease (paused, cut off) cannot write, and the next holder continues from the
position stored with the last events written, so no event is missed or written twice.

A holder that dies stops renewing; its lease lapses after at most `capture_lease_ms`,
and the others, trying every poll interval, take it within that plus one interval. A
holder that stops cleanly hands the lease back, so another takes it at its next try.
While Redis does not answer nobody captures (the lease cannot be renewed, nothing can be
written); when it answers again capture resumes where the stored position says, or, if
Redis came back empty, from where the source stands then, under a new epoch (ids from
before are EXPIRED).

Every process, the holder included, feeds its subscribers from the stream
(`gateway.events.stream`); capture runs whether or not anyone subscribes.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from redis.exceptions import RedisError, ResponseError

from gateway.events import codec
from gateway.events.feed import Polls, cancelled
from gateway.events.ids import new_epoch
from gateway.events.readers import BATCH, PendingChange, Position
from gateway.shared_state import SharedState

log = logging.getLogger("smartgate.events")

E = TypeVar("E")


class StoredReader(Protocol[E]):
    async def start(self) -> None: ...

    async def poll(self) -> tuple[list[E], bool]: ...

    def position(self) -> Position: ...

    def restore(self, position: Position) -> None: ...

    def take_pending_change(self) -> PendingChange: ...


@dataclass(frozen=True, slots=True)
class StreamKeys:
    """The Redis keys of one source's events."""

    lease: str
    epoch: str
    state: str
    stream: str
    pending: str

    @classmethod
    def of(cls, source: str) -> StreamKeys:
        def key(part: str) -> str:
            return SharedState.key("events", source, part)

        return cls(key("lease"), key("epoch"), key("state"), key("stream"), key("pending"))

    @property
    def all(self) -> list[str]:
        return [self.lease, self.epoch, self.state, self.stream, self.pending]


# Both scripts take the keys in `StreamKeys.all` order. The epoch names the stream: when
# it is missing (Redis came back empty) a new one is set and what is left is dropped.
# Returns: won (1/0), the epoch, Redis's clock and the last poll's time (ms, or nil).
ACQUIRE = """
local won = 0
if ARGV[4] == '1' then
  local held = redis.call('get', KEYS[1])
  if held == ARGV[1] then
    redis.call('pexpire', KEYS[1], ARGV[2]); won = 1
  elseif not held then
    redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]); won = 1
  end
end
local epoch = redis.call('get', KEYS[2])
if not epoch then
  epoch = ARGV[3]
  redis.call('set', KEYS[2], epoch)
  redis.call('del', KEYS[3], KEYS[4], KEYS[5])
end
local now = redis.call('time')
local ms = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
return {won, epoch, ms, redis.call('hget', KEYS[3], 'polled_at')}
"""

RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""

RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

# ARGV: token, epoch, events kept, last_id, gaps (JSON), turn, reset pending (1/0), then the
# events (a count, then each), the pending ids added and removed (a count, then each).
PUBLISH = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return redis.error_reply('DEPOSED lease') end
if redis.call('get', KEYS[2]) ~= ARGV[2] then return redis.error_reply('DEPOSED epoch') end
local i = 8
local ids = {}
local n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do
  ids[k] = redis.call('xadd', KEYS[4], '*', 'e', ARGV[i]); i = i + 1
end
-- trimmed a hundred at a time, exactly, noting the last id trimmed: an `after` before it
-- is EXPIRED (Redis notes no such id when it trims)
local excess = redis.call('xlen', KEYS[4]) - tonumber(ARGV[3])
if excess >= 100 then
  local oldest = redis.call('xrange', KEYS[4], '-', '+', 'COUNT', excess + 1)
  redis.call('xtrim', KEYS[4], 'MINID', oldest[excess + 1][1])
  redis.call('hset', KEYS[3], 'trimmed', oldest[excess][1])
end
local now = redis.call('time')
local ms = now[1] .. string.format('%03d', math.floor(tonumber(now[2]) / 1000))
redis.call('hset', KEYS[3], 'last_id', ARGV[4], 'gaps', ARGV[5], 'turn', ARGV[6],
  'polled_at', ms)
if ARGV[7] == '1' then redis.call('del', KEYS[5]) end
for _, command in ipairs({'sadd', 'srem'}) do
  local m = tonumber(ARGV[i]); i = i + 1
  local done = 0
  while done < m do
    local chunk = {}
    for k = 1, math.min(5000, m - done) do chunk[k] = ARGV[i]; i = i + 1 end
    done = done + #chunk
    redis.call(command, KEYS[5], unpack(chunk))
  end
end
return ids
"""


MIN_STREAM_LENGTH = 2 * BATCH
"""The stream keeps at least two polls' worth of events whatever `events_kept` says, so
a follower one poll behind never has events trimmed before it reads them."""


class Deposed(Exception):
    """The lease is no longer this process's."""


class Capture(Generic[E]):
    """This process's part in capturing one source: contending for the lease, and
    polling while it holds it."""

    def __init__(
        self,
        name: str,
        shared: SharedState,
        make_reader: Callable[[], StoredReader[E]],
        interval_s: float,
        lease_ms: int,
        kept: int,
    ) -> None:
        self.name = name
        self.keys = StreamKeys.of(name)
        self._shared = shared
        self._make_reader = make_reader
        self._interval = interval_s
        self._lease_ms = lease_ms
        self._kept = kept
        self._token = secrets.token_hex(8)
        self._task: asyncio.Task[None] | None = None
        self.polls = 0
        self.leading = False
        self.polled_at: float | None = None  # time.monotonic() of the deployment's last poll

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(
                self._run(), name=f"capture:{self.name}", context=contextvars.Context()
            )

    async def stop(self, release: bool = True) -> None:
        """Stop capturing; `release` hands the lease back so another process takes it at
        its next try (without it, as when a process dies, the lease has to lapse)."""
        task, self._task = self._task, None
        if task is not None:
            await cancelled(task)
        if release:
            with contextlib.suppress(RedisError, OSError):
                await self._shared.client.eval(RELEASE, 1, self.keys.lease, self._token)

    async def acquire(self, contend: bool) -> tuple[bool, str]:
        """Take (or keep) the lease if `contend`; the stream's epoch either way."""
        won, epoch, now_ms, polled_at = await self._shared.client.eval(
            ACQUIRE,
            len(self.keys.all),
            *self.keys.all,
            self._token,
            self._lease_ms,
            new_epoch(),
            "1" if contend else "0",
        )
        if polled_at is not None and not self.leading:
            seconds_ago = max(0, int(now_ms) - int(polled_at)) / 1000
            self.polled_at = time.monotonic() - seconds_ago
        return bool(won), epoch.decode()

    async def _run(self) -> None:
        while self._task is asyncio.current_task():  # `stop` clears it
            try:
                won, epoch = await self.acquire(contend=True)
                self._shared.answered()
                if won:
                    log.info("event=capture_lead source=%s", self.name)
                    self.leading = True
                    try:
                        await self._lead(epoch)
                    finally:
                        self.leading = False
            except Deposed as exc:
                log.warning("event=capture_deposed source=%s reason=%s", self.name, exc)
            except (RedisError, OSError) as exc:
                self._shared.failed(exc)
            await asyncio.sleep(self._interval)

    async def _lead(self, epoch: str) -> None:
        renewing = asyncio.create_task(self._renew())
        polling = asyncio.create_task(self._poll(epoch))
        try:
            done, _ = await asyncio.wait({renewing, polling}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # shielded: a second cancellation of this task must not leave them running
            await asyncio.shield(asyncio.gather(cancelled(renewing), cancelled(polling)))
        for task in done:
            task.result()  # raises what ended it

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            renewed = await self._shared.client.eval(
                RENEW, 1, self.keys.lease, self._token, self._lease_ms
            )
            if not renewed:
                raise Deposed("the lease lapsed before it was renewed")

    async def _load(self, reader: StoredReader[E]) -> bool:
        """Restore the position stored by the last holder; False when there is none."""
        client = self._shared.client
        state = await client.hgetall(self.keys.state)
        if b"last_id" not in state:
            return False
        gaps = {int(k): float(v) for k, v in json.loads(state[b"gaps"]).items()}
        pending = {int(i) for i in await client.smembers(self.keys.pending)}
        reader.restore(Position(int(state[b"last_id"]), gaps, int(state[b"turn"]), pending))
        return True

    async def _poll(self, epoch: str) -> None:
        reader = self._make_reader()
        restored = await self._load(reader)
        reset = not restored  # the first write of a fresh start replaces the pending set
        polls = Polls(self.name, reader, self._interval, started=restored)
        while True:
            changes = await polls.next()
            if changes is None:
                continue
            events, more = changes
            await self._publish(epoch, reader, events, reset)
            reset = False
            self.polls += 1
            self.polled_at = time.monotonic()
            if not more:
                await asyncio.sleep(self._interval)

    async def _publish(
        self, epoch: str, reader: StoredReader[E], events: list[E], reset: bool
    ) -> None:
        position = reader.position()
        change = reader.take_pending_change()
        args: list[bytes | str | int | float] = [
            self._token,
            epoch,
            max(self._kept, MIN_STREAM_LENGTH),
            position.last_id,
            json.dumps(position.gaps),
            position.turn,
            "1" if reset else "0",
            len(events),
            *(codec.encode(event) for event in events),
            len(change.added),
            *change.added,
            len(change.removed),
            *change.removed,
        ]
        try:
            await self._shared.client.eval(PUBLISH, len(self.keys.all), *self.keys.all, *args)
        except ResponseError as exc:
            if str(exc).startswith("DEPOSED"):
                raise Deposed(str(exc)) from None
            raise
