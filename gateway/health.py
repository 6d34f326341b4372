"""Readiness: may a load balancer send this gateway requests? Probes every source at
once and answers with what each one said."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from connectors.breaker import BreakerState
from connectors.domain import WIB
from connectors.source import Health, Source


def counts_as_up(health: Health) -> bool:
    """A source that answers, or whose failures have not yet opened its breaker (one
    failed probe is not an outage; the breaker decides when failures become one)."""
    return health.healthy or health.breaker is not BreakerState.OPEN


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    sources: list[Health]

    def body(self) -> dict[str, Any]:
        """The JSON answer of /readyz."""
        return {
            "status": "ready" if self.ready else "not ready",
            "sources": {
                h.name: {
                    "healthy": h.healthy,
                    "breaker": h.breaker.value,
                    "latencyMs": h.latency_ms,
                    "error": h.last_error,
                    "checkedAt": h.checked_at.astimezone(WIB).isoformat(),
                }
                for h in self.sources
            },
        }


async def readiness(sources: list[Source], requires_all: bool) -> Readiness:
    """Ready when every source counts as up, or (when `requires_all` is off) when at
    least one does: then the gateway still serves partial answers."""
    checks = list(await asyncio.gather(*(source.check() for source in sources)))
    up = [counts_as_up(h) for h in checks]
    return Readiness(all(up) if requires_all else any(up), checks)
