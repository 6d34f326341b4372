"""OpenTelemetry spans: one per GraphQL operation, one per loader batch and one per SQL
statement, nested in that order. Off (a no-op tracer) unless SMARTGATE_OTLP_ENDPOINT
names an OTLP/HTTP collector, for example http://127.0.0.1:4318/v1/traces."""

from __future__ import annotations

from collections.abc import Iterator

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import NoOpTracer, Tracer
from strawberry.extensions import SchemaExtension

SERVICE_NAME = "smartgate"


class Tracing:
    """The tracer of one app, and the provider to flush when it stops."""

    def __init__(self, processor: SpanProcessor | None = None) -> None:
        self._provider: TracerProvider | None = None
        self.tracer: Tracer = NoOpTracer()
        if processor is not None:
            provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
            provider.add_span_processor(processor)
            self._provider = provider
            self.tracer = provider.get_tracer("smartgate")

    @classmethod
    def to_collector(cls, endpoint: str | None) -> Tracing:
        if not endpoint:
            return cls()
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return cls(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))

    def shutdown(self) -> None:
        """Send what is buffered and stop."""
        if self._provider is not None:
            self._provider.shutdown()


class OperationSpan(SchemaExtension):
    """A span around each GraphQL operation; loader and SQL spans nest inside it."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        tracing: Tracing | None = getattr(getattr(context, "services", None), "tracing", None)
        if tracing is None or isinstance(tracing.tracer, NoOpTracer):  # nothing to record
            yield
            return
        with tracing.tracer.start_as_current_span("graphql") as span:
            yield
            kind = self.execution_context.operation_type
            name = self.execution_context.operation_name or "anonymous"
            span.update_name(f"graphql {kind.value if kind else 'operation'} {name}")
            span.set_attribute("graphql.operation.name", name)
            span.set_attribute("smartgate.request_id", getattr(context, "request_id", ""))
            result = self.execution_context.result
            if result is not None and result.errors:
                span.set_attribute("graphql.errors", len(result.errors))
