"""What access control and query safety cost per request: the same queries, the same
data and the same run, executed with and without them.

    python bench/access_overhead.py                 # medium scale, 30 runs per query
    python bench/access_overhead.py --scale small --runs 50

"with": the bearer token is verified, the rate limit taken, the query measured against
the caller's limits, every guarded field checked and the audit hook run. "without":
the same resolvers on a schema built with none of that, for an ADMIN caller given
directly. Runs alternate between the two in random order, each after a garbage
collection, so drift and collections hit both alike. Prints medians in ms, and
the fastest run of each, which is less disturbed by other work on the machine.
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import time

import strawberry
from seeded_gateway import arguments, seeded_gateway
from strawberry.schema.config import StrawberryConfig

from gateway.access.caller import Caller, Role
from gateway.context import Channel, OperationContext
from gateway.schema import build_schema
from gateway.schema.query import Query
from gateway.schema.scalars import SCALARS
from tests.conftest import Gateway, token
from tests.test_statement_counts import PINNED

QUERIES = {"departments (tiny)": "{ departments { code name } }"} | {
    name: query for name, (query, _) in PINNED.items()
}


async def measure(scale: str, runs: int) -> None:
    async with seeded_gateway(scale) as gateway:
        await compare(gateway, scale, runs)


async def compare(gateway: Gateway, scale: str, runs: int) -> None:
    services = gateway.services
    guarded = build_schema(services.settings.access)
    bare = strawberry.Schema(query=Query, config=StrawberryConfig(scalar_map=SCALARS))
    bearer = token("ADMIN", "bench-admin")
    admin = Caller("bench-admin", frozenset({Role.ADMIN}))
    assert services.tokens is not None

    async def with_access(query: str) -> None:
        caller = services.tokens.verify(bearer)  # type: ignore[union-attr]
        # the operation scope takes the rate limit and opens the access policy
        result = await guarded.execute(query, context_value=Channel(services, caller))
        assert not result.errors, result.errors

    async def without(query: str) -> None:
        context = await OperationContext.open(Channel(services, admin))
        result = await bare.execute(query, context_value=context)
        assert not result.errors, result.errors

    print(f"{scale} scale, {runs} runs each, medians")
    print(f"{'query':28} {'without':>9} {'with':>9} {'cost':>9}   (fastest runs: without, with)")
    for name, query in QUERIES.items():
        timings: dict[str, list[float]] = {"with": [], "without": []}
        await with_access(query)
        await without(query)
        pair = [("without", without), ("with", with_access)]
        for _ in range(runs):
            random.shuffle(pair)
            for label, run in pair:
                gc.collect()  # neither run pays for the other's garbage
                begin = time.perf_counter()
                await run(query)
                timings[label].append((time.perf_counter() - begin) * 1000)
        off, on = (statistics.median(timings[k]) for k in ("without", "with"))
        fastest = f"{min(timings['without']):7.2f}ms {min(timings['with']):7.2f}ms"
        print(
            f"{name:28} {off:7.2f}ms {on:7.2f}ms {on - off:+7.2f}ms ({(on / off - 1):+.1%})"
            f"   ({fastest})"
        )


if __name__ == "__main__":
    args = arguments(__doc__, scale="medium", runs=30)
    asyncio.run(measure(args.scale, args.runs))
