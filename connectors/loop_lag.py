"""How far behind the event loop runs: to tell a source that was slow from a gateway
that was too busy to notice its answer.

A wait with a bound (for a connection to open, for a statement's answer) runs out on the
event loop's clock. When the loop is saturated, every step of the wait (each round trip
of a connection's handshake) comes back to the loop and queues behind everything else it
has to do, and the wait runs out though the database answered at once. Counting that
against the source's circuit breaker would let the gateway's own overload open it, and
turn a healthy database into a `SOURCE_UNAVAILABLE` for everyone.

`LoopLag` ticks every `TICK_S` and records how late each tick woke up. The mean lateness
over a wait's span says how busy the loop was meanwhile; `behind_since` answers whether
it was past `BEHIND_S`.
"""

from __future__ import annotations

import asyncio
from collections import deque

TICK_S = 0.05
BEHIND_S = 0.1
"""Mean lateness of the loop's ticks over a wait at which its expiry is the gateway's:
a tick of 50 ms waking 100 ms late on average means the loop spends most of its time on
other work."""
KEPT_S = 120.0


class LoopLag:
    """The lateness of the running loop's ticks over the last `KEPT_S` seconds. Started
    on first use, in the loop it runs in; one per loop."""

    def __init__(self) -> None:
        self._ticks: deque[tuple[float, float]] = deque()  # (loop time, lateness)
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def watch(self) -> None:
        """Start ticking, if not already in this loop."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._ticks.clear()
            self._loop = loop
            self._task = loop.create_task(self._tick())

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + TICK_S
            await asyncio.sleep(TICK_S)
            now = loop.time()
            self._ticks.append((now, max(0.0, now - due)))
            while self._ticks and self._ticks[0][0] < now - KEPT_S:
                self._ticks.popleft()

    def mean_since(self, started: float) -> float:
        """The mean lateness of the ticks since loop time `started` (0 without any). A
        tick still waiting counts as late as it is now: a loop blocked throughout has
        recorded nothing."""
        lateness = [late for at, late in self._ticks if at >= started]
        loop = asyncio.get_running_loop()
        pending = loop.time() - (self._ticks[-1][0] if self._ticks else started) - TICK_S
        if pending > 0:
            lateness.append(pending)
        return sum(lateness) / len(lateness) if lateness else 0.0

    def behind_since(self, started: float) -> bool:
        """Whether the loop ran behind, on average, since loop time `started`."""
        return self.mean_since(started) >= BEHIND_S

    def stop(self) -> None:
        if self._task is not None and self._loop is asyncio.get_running_loop():
            self._task.cancel()
        self._task = None


LOOP_LAG = LoopLag()
"""The process's monitor: the gateway runs one event loop."""
