"""Overload is the gateway's to handle, not the sources'.

One process runs every operation on one event loop. Past some amount of work in flight the
loop itself falls behind: answers slow down for everyone, and waits that have their own
bounds (a pooled connection's, a statement's) run out because the loop came back to them
late, not because a source was slow. Five of those open a source's circuit breaker, and a
healthy database looks down.

So queries and mutations are admitted by `InFlight` before they run: at most
`max_operations` at once and at most `max_cost` of query cost (`gateway.access.limits`) in
flight, the cost an estimate of the objects an answer can hold. An operation that does not
fit waits its turn, first come first served, for up to `queue_timeout_s`; past that it is
refused with `OVERLOADED` (HTTP 503 and `Retry-After`), quickly and without touching a
source, and its client retries. An operation costing more than `max_cost` alone runs when
nothing else does. Subscriptions are not counted: they last as long as their listeners,
and each event is small.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from gateway.errors import GatewayError


class Overloaded(GatewayError):
    """No room for the operation within its wait: retry after `retry_after` seconds."""

    code = "OVERLOADED"

    def __init__(self, waited_s: float, retry_after: int) -> None:
        super().__init__(
            f"the gateway is busy: no room for this operation within {waited_s:g} s;"
            f" retry after {retry_after} s",
            retryAfter=str(retry_after),
        )
        self.retry_after = retry_after


@dataclass(slots=True)
class _Waiting:
    cost: int
    admitted: asyncio.Future[None]


@dataclass(slots=True)
class InFlight:
    """Operations running now, and their cost; see the module."""

    max_operations: int
    max_cost: int
    queue_timeout_s: float
    running: int = 0
    cost: int = 0
    refused: int = 0  # how many were refused since the start, for metrics and tests
    _queue: deque[_Waiting] = field(default_factory=deque)

    @asynccontextmanager
    async def admitted(self, cost: int) -> AsyncIterator[None]:
        """Run the block once the operation fits; `Overloaded` when it does not in time."""
        weight = await self.enter(cost)
        try:
            yield
        finally:
            self.leave(weight)

    async def enter(self, cost: int) -> int:
        """Wait until an operation of `cost` fits (`Overloaded` when it does not in time),
        and count it in; its weight, for `leave` once it ends. `admitted`, for a caller
        that has its own `try` around the operation."""
        weight = max(0, cost)
        if self._queue or not self._fits(weight):
            await self._wait(weight)
        else:
            self._take(weight)
        return weight

    def leave(self, weight: int) -> None:
        """An operation `enter` counted in has ended."""
        self.running -= 1
        self.cost -= weight
        self._admit_waiting()

    def _fits(self, weight: int) -> bool:
        if self.running == 0:
            return True  # the heaviest operation still runs, alone
        return self.running < self.max_operations and self.cost + weight <= self.max_cost

    def _take(self, weight: int) -> None:
        self.running += 1
        self.cost += weight

    async def _wait(self, weight: int) -> None:
        waiting = _Waiting(weight, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        try:
            await asyncio.wait_for(asyncio.shield(waiting.admitted), self.queue_timeout_s)
        except TimeoutError:
            if waiting.admitted.done():  # admitted just as the wait ran out: take it
                return
            self._queue.remove(waiting)
            self._admit_waiting()  # it may have held back smaller ones behind it
            self.refused += 1
            retry = max(1, math.ceil(self.queue_timeout_s))
            raise Overloaded(self.queue_timeout_s, retry) from None
        except asyncio.CancelledError:
            if waiting.admitted.done():
                self.running -= 1
                self.cost -= weight
                self._admit_waiting()
            else:
                self._queue.remove(waiting)
            raise

    def _admit_waiting(self) -> None:
        """Admit waiting operations in order while the first of them fits."""
        while self._queue and self._fits(self._queue[0].cost):
            waiting = self._queue.popleft()
            self._take(waiting.cost)
            waiting.admitted.set_result(None)
