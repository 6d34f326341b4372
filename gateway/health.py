"""Readiness: may a load balancer send this gateway requests? Probes every source at
once and answers with what each one said.

Redis, when configured, is probed and reported too (`shared`), and does not decide
readiness either: every process shares the same Redis, so taking a process out of
rotation for it would take them all out; each user of Redis degrades instead.

The analytics pools are probed and reported too (`analytics` in the body), but they do
not decide readiness: a read replica that is down stops analysts, not the frontends, and
taking the gateway out of rotation would stop both. The probe also lets their breakers
close again without traffic."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.breaker import BreakerState
from connectors.domain import WIB
from connectors.source import Health, Source
from gateway.shared_state import SharedState


def counts_as_up(health: Health) -> bool:
    """A source that answers, or whose failures have not yet opened its breaker (one
    failed probe is not an outage; the breaker decides when failures become one)."""
    return health.healthy or health.breaker is not BreakerState.OPEN


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    sources: list[Health]
    analytics: list[Health] = field(default_factory=list)
    shared: Health | None = None

    def body(self) -> dict[str, Any]:
        """The JSON answer of /readyz."""
        body: dict[str, Any] = {
            "status": "ready" if self.ready else "not ready",
            "sources": _detail(self.sources),
        }
        if self.analytics:
            body["analytics"] = _detail(self.analytics)
        if self.shared is not None:
            body["shared"] = _detail([self.shared])
        return body


def _detail(checks: list[Health]) -> dict[str, Any]:
    return {
        h.name: {
            "healthy": h.healthy,
            "breaker": h.breaker.value,
            "latencyMs": h.latency_ms,
            "error": h.last_error,
            "checkedAt": h.checked_at.astimezone(WIB).isoformat(),
        }
        for h in checks
    }


async def readiness(
    sources: list[Source],
    requires_all: bool,
    analytics: Sequence[Source] = (),
    shared: SharedState | None = None,
) -> Readiness:
    """Ready when every source counts as up, or (when `requires_all` is off) when at
    least one does: then the gateway still serves partial answers. The `analytics` pools
    and Redis are probed alongside and reported, whatever they answer."""
    probes = [s.check() for s in (*sources, *analytics)]
    if shared is not None:
        probes.append(shared.check())
    checks = list(await asyncio.gather(*probes))
    redis = checks.pop() if shared is not None else None
    main, extra = checks[: len(sources)], checks[len(sources) :]
    up = [counts_as_up(h) for h in main]
    return Readiness(all(up) if requires_all else any(up), main, extra, redis)
