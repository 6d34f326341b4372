"""What each GraphQL operation gets of its own, wherever it arrives.

Once an operation has passed validation, the access policy reads what its rules need
(a STAFF caller's positions below), so a refused query still costs no SQL.

Over HTTP a context is made per request. A WebSocket keeps one context for the whole
connection, so each operation on it gets fresh loaders and access scope (nothing cached
from an earlier operation) and its own audit trail, and its SQL statements get the
caller's time budget as their deadline (HTTP requests get theirs in `gateway.http`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension

from connectors.source import statement_deadline
from gateway.context import RequestContext, new_context
from gateway.errors import RateLimited
from gateway.http import rate_limited
from gateway.logs import current_request_id


class OperationScope(SchemaExtension):
    """Per-operation state and the access policy's reads, for every transport."""

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context.context
        if not isinstance(ctx, RequestContext) or not isinstance(ctx.request, WebSocket):
            yield
            return
        current_request_id.set(ctx.request_id)
        fresh = new_context(ctx.services, ctx.caller, ctx.request, ctx.request_id)
        ctx.loaders, ctx.access, ctx.audit = fresh.loaders, fresh.access, fresh.audit
        deadline = asyncio.get_running_loop().time() + ctx.limits.time_budget_ms / 1000
        token = statement_deadline.set(deadline)
        try:
            yield
        finally:
            statement_deadline.reset(token)

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context.context
        if isinstance(ctx, RequestContext):
            if isinstance(ctx.request, WebSocket):
                # Over HTTP the rate limit is taken per request, before GraphQL runs.
                refused = rate_limited(ctx.services, ctx.caller, ctx.request)
                if refused is not None:
                    raise RateLimited(refused.message, retryAfter=refused.headers["Retry-After"])
            await ctx.access.prepare()
        yield
