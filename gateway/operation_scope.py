"""One scope for every operation, whatever the transport.

An HTTP request, each operation of a batch, each query, mutation or subscription on a
WebSocket, and each event of a subscription get the same things, set up here and only
here:

* **admission** before the document is parsed: the caller's token is still valid (a
  WebSocket outlives tokens) and the operation spends one request of the caller's rate
  limit, which HTTP and WebSocket share (`gateway.access.rate_limit`: in Redis for the
  whole deployment when it has one);
* **a time budget** (the caller's role's): the deadline of every SQL statement
  (`connectors.source.statement_deadline`) and an overall timeout;
* **the check of every argument** (`gateway.input_check`), once the operation has
  passed validation and before any SQL;
* **an `OperationContext`**, opened then (a refused query costs no SQL): fresh loaders,
  an access policy that is ready to use, an audit trail;
* **an audit line** for every mutation and every read of personal fields.

A subscription is one operation, and each of its events is run by `EventScopedExecutor`
with fresh loaders, its own budget and its own audit line.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.graphql import OperationType

from connectors.source import statement_deadline
from gateway.access.audit import AuditTrail, write_line
from gateway.access.rate_limit import RateLimiter, RateLimitUnavailable
from gateway.context import Channel, OperationContext
from gateway.errors import refuse_before_parse
from gateway.input_check import refusals
from gateway.load_shedding import Overloaded
from gateway.logs import current_request_id


async def admission(channel: Channel) -> GraphQLError | None:
    """Why an operation may not run now (an expired token, the rate limit), or None."""
    caller = channel.caller
    if caller.expires_at is not None and caller.expires_at <= time.time():
        return GraphQLError(
            "the token this connection was opened with has expired; reconnect with a new one",
            extensions={"code": "UNAUTHENTICATED"},
        )
    services = channel.services
    per_minute = channel.limits.requests_per_minute
    try:
        spent = await services.rate_limits.spend(channel.rate_key, per_minute)
    except RateLimitUnavailable as unavailable:
        services.metrics.rate_limit_fallback.labels("refused").inc()
        channel.retry_after = unavailable.retry_after
        return GraphQLError(str(unavailable), extensions=unavailable.extensions)
    if spent.without_redis:
        services.metrics.rate_limit_fallback.labels("local").inc()
    if spent.wait is None:
        return None
    services.metrics.rate_limited.labels(channel.limits_role).inc()
    retry = RateLimiter.retry_after_header(spent.wait)
    channel.retry_after = retry
    return GraphQLError(
        f"more than {per_minute} requests a minute; retry after {retry} s",
        extensions={"code": "RATE_LIMITED", "retryAfter": retry},
    )


def refused(error: Overloaded) -> GraphQLError:
    """An operation refused before it ran, as its answer's one error."""
    return GraphQLError(str(error), extensions=error.extensions)


def time_budget_exceeded(budget_ms: int) -> GraphQLError:
    return GraphQLError(
        f"the operation ran out of its time budget of {budget_ms} ms",
        extensions={"code": "TIME_BUDGET_EXCEEDED", "budgetMs": budget_ms},
    )


@contextlib.contextmanager
def statements_due_by(deadline: float) -> Iterator[None]:
    """SQL statements run in this block get at most what is left until `deadline`."""
    token = statement_deadline.set(deadline)
    try:
        yield
    finally:
        statement_deadline.reset(token)


class OperationScope(SchemaExtension):
    """Admission, time budget, context and audit of each operation (see the module)."""

    deadline: float | None = None
    failed = False

    async def on_operation(self) -> AsyncIterator[None]:
        ec = self.execution_context
        channel = ec.context
        if not isinstance(channel, Channel):
            yield
            return
        current_request_id.set(channel.request_id)
        refusal = await admission(channel)
        if refusal is not None:
            refuse_before_parse(ec, refusal)
        self.deadline = asyncio.get_running_loop().time() + channel.limits.time_budget_ms / 1000
        with statements_due_by(self.deadline):
            try:
                yield
            except Exception:
                self.failed = True
                raise
            finally:
                self._audit(channel)

    async def on_execute(self) -> AsyncIterator[None]:
        ec = self.execution_context
        channel = ec.context
        if not isinstance(channel, Channel) or self.deadline is None:
            yield
            return
        assert ec.graphql_document is not None
        found = refusals(ec.schema._schema, ec.graphql_document, ec.operation_name, ec.variables)
        subscription = ec.operation_type is OperationType.SUBSCRIPTION
        if found.errors:
            if subscription:  # strawberry answers a subscription's refusal with one error
                raise found.errors[0]
            ec.result = ExecutionResult(None, found.errors)  # strawberry runs nothing then
            yield
            return
        in_flight = channel.services.in_flight
        weight: int | None = None
        if not subscription:  # it lasts while the client listens: not counted in flight
            try:
                weight = await in_flight.enter(channel.operation_cost)
            except Overloaded as refusal:
                channel.services.metrics.overloaded.inc()
                ec.result = ExecutionResult(None, [refused(refusal)])
                yield
                return
        try:
            ec.context = context = await OperationContext.open(channel)
            context.document = ec.query
            context.input_refusals = found.mutation_inputs
            if subscription:
                yield  # it lasts while the client listens; each event has its own budget
                return
            try:
                async with asyncio.timeout_at(self.deadline):
                    yield
            except TimeoutError:
                raise time_budget_exceeded(channel.limits.time_budget_ms) from None
            finally:
                context.release()
        finally:
            if weight is not None:
                in_flight.leave(weight)

    def _audit(self, channel: Channel) -> None:
        ec = self.execution_context
        try:
            kind = ec.operation_type
        except RuntimeError:  # the document did not parse
            return
        if kind is OperationType.SUBSCRIPTION:
            return  # its events are audited one by one
        context = ec.context
        result = ec.result
        write_line(
            channel.caller,
            channel.request_id,
            context.audit if isinstance(context, OperationContext) else AuditTrail(),
            mutation=kind is OperationType.MUTATION,
            operation_name=ec.operation_name,
            query=ec.query,
            variables=ec.variables,
            errors=1 if self.failed else len(result.errors or []) if result else 0,
        )


class EventScopedExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, running each event of a subscription like an operation of
    its own: fresh loaders (nothing cached from an earlier event), the caller's time budget
    for its statements and as an overall timeout, and its own audit line."""

    event = False

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        context = self.context_value
        if isinstance(executor, EventScopedExecutor) and isinstance(context, OperationContext):
            executor.context_value = context.for_event()
            executor.event = True
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        if not self.event:
            return super().execute_operation(serially)
        return self._execute_event(serially)

    async def _execute_event(self, serially: bool | None) -> Any:
        context: OperationContext = self.context_value
        budget_ms = context.limits.time_budget_ms
        deadline = asyncio.get_running_loop().time() + budget_ms / 1000
        result: Any = ExecutionResult(None, [time_budget_exceeded(budget_ms)])
        with statements_due_by(deadline):
            try:
                async with asyncio.timeout_at(deadline):
                    result = super().execute_operation(serially)
                    if self.is_awaitable(result):
                        result = await result
            except TimeoutError:
                pass
            finally:
                context.release()
        write_line(
            context.caller,
            context.request_id,
            context.audit,
            mutation=False,
            operation_name=self.operation.name.value if self.operation.name else None,
            query=context.document,
            variables=None,
            errors=len(result.errors or []),
        )
        return result
