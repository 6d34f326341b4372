"""Per-caller rate limits: each operation spends one request of its caller's (`sub`, or
client address when anonymous) allowance of `requests_per_minute`.

Without Redis the allowance is a token bucket in this process (`RateLimiter`), so with
several processes each counts its own requests. With `SMARTGATE_REDIS_URL` set it is a
moving window in Redis (`RateLimits`, by the `limits` library), counted once for the
whole deployment: a caller gets `per_minute` requests in any 60 seconds, whichever
processes answer them, and the next one is refused until the oldest of those is a
minute old. A moving window rather than `limits`' sliding-window counter because the
counter estimates the previous minute's share from its total and so lets a burst through
or refuses one early; the window holds a timestamp per request (at most `per_minute` per
caller, gone a minute after the caller's last request) and decides exactly, in one
script run per request.

When Redis does not answer, `SMARTGATE_RATE_LIMIT_WITHOUT_REDIS` decides, and Redis is
left alone for `REDIS_BACKOFF_S` so that a dead or hung Redis costs one request a
timeout, not every request: `local` counts in this process's buckets (a caller gets the
limit from each process until Redis is back), `refuse` refuses the operation with
`RATE_LIMIT_UNAVAILABLE`. Nothing is let through uncounted. The first request after the
back-off asks Redis again (while it waits, the others decide without it), so a Redis
that is back is used again without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from gateway.errors import GatewayError
from gateway.shared_state import COMMAND_TIMEOUT_S, SharedState

log = logging.getLogger("smartgate.rate_limit")

REDIS_BACKOFF_S = 1.0
"""After Redis failed to answer, how long rate limits decide without it before asking
again. A hung Redis costs the request that asks `COMMAND_TIMEOUT_S`; the back-off keeps
that to one request a second instead of every request."""


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allows `per_minute` requests a minute per key, in bursts of up to `per_minute`, in
    this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._max_keys = max_keys

    def take(self, key: str, per_minute: int) -> float | None:
        """Spend one token: None when allowed, else the seconds until the next one."""
        now = self._clock()
        rate = per_minute / 60.0
        bucket = self._buckets.pop(key, None) or _Bucket(float(per_minute), now)
        bucket.tokens = min(float(per_minute), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        self._buckets[key] = bucket  # most recently used last
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / rate

    @staticmethod
    def retry_after_header(seconds: float) -> str:
        return str(max(1, math.ceil(seconds)))


class RateLimitUnavailable(GatewayError):
    """Redis, where the deployment counts rate limits, does not answer, and the setting
    says to refuse rather than count in this process; `retryAfter` says when to retry."""

    code = "RATE_LIMIT_UNAVAILABLE"

    def __init__(self, retry_after: str) -> None:
        super().__init__(
            "the rate limit cannot be counted now (its shared store does not answer);"
            f" retry after {retry_after} s",
            retryAfter=retry_after,
        )
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Spent:
    """What spending one request decided."""

    wait: float | None
    """None: allowed; else the seconds until the caller may try again."""
    without_redis: bool = False
    """Decided in this process because the deployment's Redis did not answer."""


class RateLimits:
    """Where operations spend their caller's requests: Redis when the deployment has one,
    else this process's buckets (see the module)."""

    def __init__(
        self,
        local: RateLimiter,
        shared: SharedState | None = None,
        without_redis: str = "local",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._local = local
        self._shared = shared
        self._refuse_without_redis = without_redis == "refuse"
        self._clock = clock
        self._window: MovingWindowRateLimiter | None = None
        if shared is not None:
            # The shared client's pool: its timeouts, and one set of connections a process.
            pool: Any = shared.client.connection_pool  # `limits` types options as scalars
            storage = RedisStorage(
                _storage_uri(shared.url),
                implementation="redispy",
                key_prefix=shared.key("rate"),
                connection_pool=pool,
            )
            self._window = MovingWindowRateLimiter(storage)
        self._away = False  # Redis failed the last time it was asked
        self._ask_again_at = 0.0  # on `clock`
        self._asking = False  # a request is asking a Redis that was away; others go on

    async def spend(self, key: str, per_minute: int) -> Spent:
        """One request of `key`'s `per_minute`; raises `RateLimitUnavailable` when Redis
        does not answer and the setting says to refuse."""
        if self._window is None:
            return Spent(self._local.take(key, per_minute))
        asking_again = self._away and not self._asking and self._clock() >= self._ask_again_at
        if not self._away or asking_again:
            if asking_again:
                self._asking = True
            try:
                async with asyncio.timeout(COMMAND_TIMEOUT_S):
                    wait = await self._spend_shared(self._window, key, per_minute)
            except (RedisError, OSError, TimeoutError) as exc:
                self._went_away(exc)
            else:
                self._came_back()
                return Spent(wait)
            finally:
                if asking_again:
                    self._asking = False
        if self._refuse_without_redis:
            left = self._ask_again_at - self._clock()
            raise RateLimitUnavailable(RateLimiter.retry_after_header(left))
        return Spent(self._local.take(key, per_minute), without_redis=True)

    @staticmethod
    async def _spend_shared(
        window: MovingWindowRateLimiter, key: str, per_minute: int
    ) -> float | None:
        item = RateLimitItemPerMinute(per_minute)
        if await window.hit(item, key):
            return None
        # Refused: free again when the oldest request in the window is a minute old.
        stats = await window.get_window_stats(item, key)
        return max(stats.reset_time - time.time(), 0.0)

    def _went_away(self, exc: BaseException) -> None:
        assert self._shared is not None
        self._ask_again_at = self._clock() + REDIS_BACKOFF_S
        if not self._away:
            self._away = True
            decided = "refused" if self._refuse_without_redis else "counted in this process"
            log.warning(
                "event=rate_limit_without_redis error=%r until_redis_answers=%r",
                f"{type(exc).__name__}: {exc}",
                decided,
            )
        self._shared.failed(exc)

    def _came_back(self) -> None:
        if self._away:
            self._away = False
            log.info("event=rate_limit_shared_again")
        assert self._shared is not None
        self._shared.answered()


def _storage_uri(url: str) -> str:
    """The `limits` storage URI of a Redis URL (`unix://` is `redis+unix://` there)."""
    return f"async+{url}" if url.startswith("redis") else f"async+redis+{url}"
