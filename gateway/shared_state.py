"""Redis, where the gateway processes of one deployment keep what they share.

With `SMARTGATE_REDIS_URL` set, every process talks to the same Redis: the rate limits
count each caller once (`gateway.access.rate_limit`), one process captures each source's
changes and the others read them from a stream (`gateway.events`). Without it, nothing
here is built and each process keeps its own state, as a single process always has.

Redis is treated like a source: every command has a short timeout, a failure is
reported (health, logs, metrics) and the next command tries again, so a Redis that comes
back is used again without a restart. What each user of Redis does while it is away is
its own decision, documented where it is made.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from connectors.source import Health

log = logging.getLogger("smartgate.shared")

COMMAND_TIMEOUT_S = 1.0
"""Longest wait for one Redis command (and for connecting): a Redis that does not answer
costs a request this much at most, then counts as away."""

KEY_PREFIX = "smartgate:"
"""Every key the gateway writes starts with this, so one Redis can serve other uses too."""


class SharedState:
    """One deployment's Redis, as this process sees it."""

    name = "redis"

    def __init__(self, url: str) -> None:
        self.url = url
        self.client: redis.Redis = redis.Redis.from_url(
            url,
            socket_timeout=COMMAND_TIMEOUT_S,
            socket_connect_timeout=COMMAND_TIMEOUT_S,
            # A pooled connection that Redis closed (it restarted, or dropped idle clients)
            # fails its next command at once: that command is sent once more, on a new
            # connection. A Redis that is down refuses that one too, at once; one that
            # hangs is not asked twice (a timeout is not retried).
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            retry_on_timeout=False,
            decode_responses=False,
        )
        self._last_error: str | None = None

    @staticmethod
    def key(*parts: str) -> str:
        return KEY_PREFIX + ":".join(parts)

    def failed(self, exc: BaseException) -> None:
        """Note that a command failed (users of Redis call this when they degrade)."""
        reason = f"{type(exc).__name__}: {exc}"
        if reason != self._last_error:
            log.warning("event=redis_unavailable error=%r", reason)
        self._last_error = reason

    def answered(self) -> None:
        if self._last_error is not None:
            log.info("event=redis_back")
        self._last_error = None

    @property
    def available(self) -> bool:
        """Whether the last command answered."""
        return self._last_error is None

    async def check(self) -> Health:
        """A PING, timed; reported by `/readyz` and the status page."""
        started = time.perf_counter()
        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            self.failed(exc)
            return Health(self.name, False, None, self._last_error, datetime.now(UTC))
        self.answered()
        latency = round((time.perf_counter() - started) * 1000, 2)
        return Health(self.name, True, latency, None, datetime.now(UTC))

    async def close(self) -> None:
        await self.client.aclose()
