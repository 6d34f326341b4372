"""graphql-core's `gather_with_cancel`, without `asyncio.gather` inside it.

The planned engine gathers the awaitable fields of every object, and the awaitable items
of every list: on a page of requests, thousands of gathers of two or three awaitables.
graphql-core's `gather_with_cancel` wraps each awaitable in a future, then
`asyncio.gather` wraps each again and builds its result in Python. `gathered` does the
same with one callback per awaitable and a counter, with graphql-core's semantics: the
awaitables run concurrently (a coroutine as a task, started on the loop's next turn as
`ensure_future` starts it); the first failure cancels those still running, is raised
once they have finished, and leaves the rest's errors observed; a cancelled awaitable
cancels the gathering; a cancelled gathering cancels every awaitable. A result arrives
on the same turn of the loop as `asyncio.gather`'s would, so DataLoader batches fill as
before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any


class _Gathering:
    __slots__ = ("failure", "futures", "outer", "remaining")

    def __init__(self, futures: list[asyncio.Future[Any]], outer: asyncio.Future[list[Any]]):
        self.futures = futures
        self.outer = outer
        self.remaining = len(futures)
        self.failure: BaseException | None = None

    def done(self, future: asyncio.Future[Any]) -> None:
        self.remaining -= 1
        outer = self.outer
        if outer.done():
            if not future.cancelled():
                future.exception()  # observed
            return
        if self.failure is None:
            if future.cancelled():  # cancelled by someone else: the gathering is too
                outer.set_exception(asyncio.CancelledError())
                return
            error = future.exception()
            if error is not None:
                self.failure = error
                for other in self.futures:
                    other.cancel()  # a no-op for those done
        elif not future.cancelled():
            future.exception()  # observed
        if self.remaining:
            return
        if self.failure is not None:
            outer.set_exception(self.failure)
        else:
            outer.set_result([f.result() for f in self.futures])


async def gathered(awaitables: Sequence[Awaitable[Any]]) -> list[Any]:
    """The results of `awaitables`, run concurrently (see the module)."""
    loop = asyncio.get_running_loop()
    futures: list[asyncio.Future[Any]] = [
        asyncio.ensure_future(awaitable, loop=loop) for awaitable in awaitables
    ]
    outer: asyncio.Future[list[Any]] = loop.create_future()
    gathering = _Gathering(futures, outer)
    for future in futures:
        future.add_done_callback(gathering.done)
    try:
        return await outer
    except asyncio.CancelledError:
        if outer.cancelled():  # this gathering was cancelled, not one of its awaitables
            for future in futures:
                future.cancel()
            await asyncio.gather(*futures, return_exceptions=True)
        raise
