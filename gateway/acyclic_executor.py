"""graphql-core's executor without its reference cycle.

`Executor.__init__` hands resolvers two of its own bound methods (`async_helpers`, which
every resolve info carries), so each executor refers to itself, and through its context
to everything an operation touched: the request, the channel, the operation's context,
its loaders and access policy. Reference counting cannot free a cycle, so all of that
waited for the garbage collector: a tiny query left 62 objects a request in such a
cycle, they piled up to the young generation's threshold (`gateway.garbage_collection`),
and each young collection then walked about 160,000 of them, 66 ms, in-process on
`bench/peer.py`'s Q2 (5 collections in 15,000 requests, 22 µs a request on average).

Here the helpers reach the executor weakly. They are called only while the operation
executes, and an executing operation's frames hold its executor; once it is done, the
last reference to go frees the whole operation at once. A copy of the executor (one per
event of a subscription) shares the helpers, as it shares them in graphql-core: the
subscription's own executor, which they reach, lives while its events are executed.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any, TypeVar

from graphql import GraphQLResolveInfoHelpers
from graphql.execution import Executor

E = TypeVar("E", bound=Executor)


class AcyclicExecutor(Executor):
    """Mixed in before graphql-core's executor: its resolve infos' helpers are weak."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        executor = weakref.ref(self)

        def gather(values: Sequence[Any]) -> Any:
            return _alive(executor).gather_async_work(values)

        def track(values: Sequence[Any]) -> Any:
            return _alive(executor).track_async_work(values)

        self.async_helpers = GraphQLResolveInfoHelpers(gather=gather, track=track)


def _alive(executor: weakref.ref[E]) -> E:
    """The executor a helper reaches, while it executes the operation."""
    found = executor()
    if found is None:  # nothing executes the operation any more
        raise RuntimeError("the operation's execution has ended")
    return found
