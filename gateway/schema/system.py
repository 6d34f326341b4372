"""SourceStatus and DataIssue: is each source healthy, and what did not join."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.source import Health
from gateway.data_issues import DataIssue as DataIssueRecord
from gateway.schema import enums


@strawberry.type(description="Health of one connected system, probed when asked.")
class SourceStatus:
    name: str
    healthy: bool
    latency_ms: float | None
    breaker: enums.BreakerState
    last_error: str | None
    checked_at: datetime

    @classmethod
    def from_record(cls, health: Health) -> SourceStatus:
        return cls(
            name=health.name,
            healthy=health.healthy,
            latency_ms=health.latency_ms,
            breaker=enums.BreakerState(health.breaker.value),
            last_error=health.last_error,
            checked_at=health.checked_at,
        )


@strawberry.type(description="A record that could not be joined across systems.")
class DataIssue:
    kind: enums.DataIssueKind
    source: str
    key: str
    detail: str

    @classmethod
    def from_record(cls, issue: DataIssueRecord) -> DataIssue:
        return cls(
            kind=enums.DataIssueKind(issue.kind),
            source=issue.source,
            key=issue.key,
            detail=issue.detail,
        )
