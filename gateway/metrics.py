"""Prometheus metrics of one gateway process, served on /metrics.

Each app has its own registry (tests run several apps in one process). Counters and
histograms are moved where things happen; gauges (breakers, pools, subscriptions) are
read from the live objects when Prometheus scrapes.

The `source` label of the source metrics names the pool (`Source.label`): `ekin` and
`sppspm` for the main pools, `ekin-analytics` and `sppspm-analytics` for the analytics
pools, so `sum by (source)` keeps them apart and `source=~"ekin.*"` adds them up.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from graphql import GraphQLError
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from connectors.breaker import BreakerState
from connectors.source import Source
from gateway.events.feed import Feed

_OPERATION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
MAX_OPERATIONS = 200
"""Operation names are chosen by clients: past this many distinct names, or for names
that are no GraphQL name, the label is 'other', so a client cannot flood the registry."""

BREAKER_VALUE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STATEMENT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    def __init__(self, sources: Sequence[Source], feeds: Sequence[Feed[Any]]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "smartgate_requests",
            "GraphQL operations by operation name and outcome (ok, partial, error, refused)",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "smartgate_request_duration_seconds",
            "Time to answer a GraphQL operation",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.statements = Counter(
            "smartgate_source_statements",
            "SQL statements sent to each source",
            ["source"],
            registry=self.registry,
        )
        self.statement_latency = Histogram(
            "smartgate_source_statement_duration_seconds",
            "Time each source took to answer a statement (failures included)",
            ["source"],
            buckets=STATEMENT_BUCKETS,
            registry=self.registry,
        )
        self.source_errors = Counter(
            "smartgate_source_errors",
            "Times a source was unavailable: down, slow, out of connections or breaker open",
            ["source"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "smartgate_rate_limited",
            "Requests refused by the rate limit, by the caller's roles",
            ["role"],
            registry=self.registry,
        )
        self.overloaded = Counter(
            "smartgate_overloaded",
            "Operations refused because the gateway had no room to run them in time",
            registry=self.registry,
        )
        self.rate_limit_fallback = Counter(
            "smartgate_rate_limit_fallback",
            "Rate-limit decisions made without Redis, which did not answer: counted in this"
            " process (local) or refused (refused), by SMARTGATE_RATE_LIMIT_WITHOUT_REDIS",
            ["decision"],
            registry=self.registry,
        )
        self.registry.register(_LiveState(sources, feeds))
        self._operations: set[str] = set()
        self._per_source: dict[str, tuple[Counter, Histogram]] = {}
        self._per_answer: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
        """By operation label (at most `MAX_OPERATIONS` and two more) and outcome."""
        for source in sources:
            source.observer = self

    def statement(self, source: str, seconds: float) -> None:
        """Called by a source after each statement, answered or not."""
        counted = self._per_source.get(source)
        if counted is None:
            # a source's labelled series, found once (`labels` checks and locks each time)
            counted = self._per_source[source] = (
                self.statements.labels(source),
                self.statement_latency.labels(source),
            )
        counted[0].inc()
        counted[1].observe(seconds)

    def failure(self, source: str) -> None:
        """Called by a source each time it is reported unavailable (breaker open included)."""
        self.source_errors.labels(source).inc()

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if name in self._operations:
            return name
        if not _OPERATION.match(name) or len(self._operations) >= MAX_OPERATIONS:
            return "other"
        self._operations.add(name)
        return name

    def answered(self, operation: str | None, outcome: str, seconds: float | None) -> None:
        label = self.operation_label(operation)
        counted = self._per_answer.get((label, outcome))
        if counted is None:  # labelled series found once, as for statements
            counted = self._per_answer[label, outcome] = (
                self.requests.labels(label, outcome),
                self.latency.labels(label),
            )
        counted[0].inc()
        if seconds is not None:
            counted[1].observe(seconds)


class _LiveState(Collector):
    """Breaker states, pools and subscriptions, read when scraped."""

    def __init__(self, sources: Sequence[Source], feeds: Sequence[Feed[Any]]) -> None:
        self._sources = sources
        self._feeds = feeds

    def collect(self) -> Iterable[Metric]:
        breaker = GaugeMetricFamily(
            "smartgate_breaker_state",
            "Circuit breaker of each source: 0 closed, 1 half-open, 2 open",
            labels=["source"],
        )
        in_use = GaugeMetricFamily(
            "smartgate_pool_connections_in_use", "Pooled connections in use", labels=["source"]
        )
        waiting = GaugeMetricFamily(
            "smartgate_pool_waiting",
            "Statements waiting for a pooled connection",
            labels=["source"],
        )
        size = GaugeMetricFamily(
            "smartgate_pool_max_size", "Most connections each pool opens", labels=["source"]
        )
        for source in self._sources:
            breaker.add_metric([source.label], BREAKER_VALUE[source.breaker.state])
            in_use.add_metric([source.label], source.connections_in_use)
            waiting.add_metric([source.label], source.connections_waiting)
            size.add_metric([source.label], source.settings.max_size)
        subscriptions = GaugeMetricFamily(
            "smartgate_subscriptions_active",
            "Open subscriptions, by the source whose changes they follow",
            labels=["source"],
        )
        for feed in self._feeds:
            subscriptions.add_metric([feed.name], feed.subscribers)
        # Change capture (gateway.events): with Redis, the deployment's loop as this process
        # last saw it; without, this process's loop, absent while it does not run.
        lag = GaugeMetricFamily(
            "smartgate_events_capture_lag_seconds",
            "Seconds since the change-capture loop of each source last completed a poll",
            labels=["source"],
        )
        polls = CounterMetricFamily(
            "smartgate_events_polls",
            "Polls of each source's changes made by this process",
            labels=["source"],
        )
        for feed in self._feeds:
            seconds = feed.capture_lag_seconds
            if seconds is not None:
                lag.add_metric([feed.name], seconds)
            polls.add_metric([feed.name], feed.polls)
        yield from (lag, polls)
        yield from (breaker, in_use, waiting, size, subscriptions)

    def describe(self) -> Iterator[Metric]:
        return iter(())


class RequestMetrics(SchemaExtension):
    """Counts each GraphQL operation by name and outcome and times it."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self._count(time.perf_counter() - started)

    def _count(self, seconds: float) -> None:
        context = self.execution_context.context
        metrics: Metrics | None = getattr(getattr(context, "services", None), "metrics", None)
        if metrics is None:
            return
        result = self.execution_context.result
        if result is not None and _refused(result.errors or [], result.data):
            outcome = "refused"
        elif result is None or (result.errors and result.data is None):
            outcome = "error"
        elif result.errors:
            outcome = "partial"
        else:
            outcome = "ok"
        # A subscription's operation lasts as long as the client listens: it is counted,
        # but its duration would say nothing about answering.
        try:
            subscription = self.execution_context.operation_type is OperationType.SUBSCRIPTION
        except RuntimeError:  # the document did not parse
            subscription = False
        metrics.answered(
            self.execution_context.operation_name,
            outcome,
            None if subscription else seconds,
        )


_REFUSALS = frozenset({"RATE_LIMITED", "UNAUTHENTICATED", "OVERLOADED", "RATE_LIMIT_UNAVAILABLE"})


def _refused(errors: list[GraphQLError], data: object) -> bool:
    """Whether an operation was refused before it ran (admission)."""
    return (
        data is None
        and bool(errors)
        and all((e.extensions or {}).get("code") in _REFUSALS for e in errors)
    )
