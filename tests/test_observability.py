"""Metrics on /metrics, spans of operations, loader batches and SQL statements, and JSON
log lines carrying the request id."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from gateway.logs import JsonLines
from gateway.tracing import Tracing
from tests.conftest import Databases, Gateway, close_gateway, open_gateway, settings_for

DEPARTMENTS = "query Departments { departments { code name budget { ceiling } } }"


@pytest.fixture(scope="module")
async def observed(small_db: Databases) -> AsyncIterator[Gateway]:
    """A gateway of its own, so that its counters move only with these tests."""
    gateway = await open_gateway(small_db, settings_for(small_db))
    yield gateway
    await close_gateway(gateway)


async def scrape(gateway: Gateway) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await gateway.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_requests_and_statements_move_the_counters(observed: Gateway) -> None:
    before = await scrape(observed)
    statements = await observed.counted(DEPARTMENTS)
    after = await scrape(observed)

    ok = ("smartgate_requests_total", {"operation": "Departments", "outcome": "ok"})
    assert value(after, ok[0], **ok[1]) - value(before, ok[0], **ok[1]) == 1
    count = "smartgate_request_duration_seconds_count"
    assert (
        value(after, count, operation="Departments") - value(before, count, operation="Departments")
        == 1
    )
    sent = sum(
        value(after, "smartgate_source_statements_total", source=s)
        - value(before, "smartgate_source_statements_total", source=s)
        for s in ("ekin", "sppspm")
    )
    assert sent == statements > 0
    assert value(after, "smartgate_breaker_state", source="sppspm") == 0
    assert value(after, "smartgate_pool_max_size", source="ekin") == 10
    assert ("smartgate_pool_waiting", (("source", "ekin"),)) in after
    assert value(after, "smartgate_subscriptions_active", source="sppspm") == 0


async def test_errors_and_refusals_are_counted_by_outcome(observed: Gateway) -> None:
    before = await scrape(observed)
    await observed.query("query Broken { departments { nope } }")
    await observed.as_caller("not-a-token").post(DEPARTMENTS)
    after = await scrape(observed)
    error = {"operation": "Broken", "outcome": "error"}
    assert (
        value(after, "smartgate_requests_total", **error)
        - value(before, "smartgate_requests_total", **error)
        == 1
    )
    refused = {"operation": "anonymous", "outcome": "refused"}
    assert (
        value(after, "smartgate_requests_total", **refused)
        - value(before, "smartgate_requests_total", **refused)
        == 1
    )


async def test_client_chosen_operation_names_cannot_flood_the_metrics(observed: Gateway) -> None:
    metrics = observed.services.metrics
    for n in range(300):
        metrics.operation_label(f"Op{n}")
    assert metrics.operation_label("Op299") == "other"
    assert metrics.operation_label("not a name!") == "other"
    assert metrics.operation_label("Op1") == "Op1"


async def test_rate_limit_refusals_are_counted(small_db: Databases) -> None:
    gateway = await open_gateway(small_db, settings_for(small_db))
    try:
        anonymous = gateway.as_caller(None)
        limit = gateway.services.settings.access.limits_of(frozenset()).requests_per_minute
        for _ in range(limit + 2):
            await anonymous.post("{ sources { name } }")
        samples = await scrape(gateway)
        assert value(samples, "smartgate_rate_limited_total", role="ANONYMOUS") >= 2
    finally:
        await close_gateway(gateway)


async def test_an_operation_span_holds_its_loader_batches_and_statements(
    small_db: Databases,
) -> None:
    gateway = await open_gateway(small_db, settings_for(small_db))
    exporter = InMemorySpanExporter()
    gateway.services.trace_with(Tracing(SimpleSpanProcessor(exporter)))
    try:
        statements = await gateway.counted(DEPARTMENTS)
    finally:
        await close_gateway(gateway)
    spans = exporter.get_finished_spans()
    by_id = {span.context.span_id: span for span in spans}
    roots = [s for s in spans if s.parent is None]
    assert [r.name for r in roots] == ["graphql query Departments"]
    sql = [s for s in spans if s.name.startswith("sql ")]
    assert len(sql) == statements
    assert all(s.attributes and s.attributes["db.system"] == "postgresql" for s in sql)
    loaders = [s for s in spans if s.name.startswith("loader ")]
    assert loaders, "a batch of departments' budgets is loaded"
    for span in sql + loaders:
        parent = span
        while parent.parent is not None:
            parent = by_id[parent.parent.span_id]
        assert parent is roots[0]
    assert any(by_id[s.parent.span_id].name.startswith("loader ") for s in sql if s.parent)


def test_log_lines_are_json_with_the_request_id() -> None:
    from gateway.logs import current_request_id

    token = current_request_id.set("req-42")
    try:
        record = logging.LogRecord(
            "smartgate", logging.WARNING, __file__, 1, "event=%s source=%s", ("x", "sppspm"), None
        )
        line = json.loads(JsonLines().format(record))
    finally:
        current_request_id.reset(token)
    assert line["request_id"] == "req-42"
    assert (line["level"], line["event"], line["source"]) == ("warning", "x", "sppspm")
    assert line["message"] == "event=x source=sppspm"
