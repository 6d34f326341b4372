"""Per-caller rate limits: a token bucket per `sub` (or client address when anonymous).

Buckets live in this process: with several gateway processes each one counts its own
requests, so the city-wide limit is the per-process limit times the processes.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allows `per_minute` requests a minute per key, in bursts of up to `per_minute`."""

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
