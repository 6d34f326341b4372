"""What each subscriber receives: the shared feeds' events, filtered by the same policy
as queries, so nobody receives what they could not query. With `after`, the events kept
since that id come first, filtered alike, then the live ones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TypeVar

from gateway.access.caller import Caller, Role
from gateway.access.policy import EmployeeSubject, PaymentSubject, Topic
from gateway.context import OperationContext
from gateway.crosswalk import department_code_of
from gateway.errors import Forbidden, Unauthenticated
from gateway.events.feed import Item, Subscriber
from gateway.events.ids import EventId
from gateway.events.records import ActivityEvent, PaymentEvent
from gateway.joins import require_department_code

E = TypeVar("E")

SCOPE_REFRESH_S = 300.0
"""How long a subscription trusts a STAFF caller's scope (the people below them) before
reading it again, at its next event."""


async def next_while_valid(subscriber: Subscriber[E], caller: Caller) -> Item[E]:
    """The next event, unless the caller's token expires first: a subscription lives no
    longer than the token it was opened with."""
    if caller.expires_at is None:
        return await subscriber.next()
    left = caller.expires_at - time.time()
    try:
        return await asyncio.wait_for(subscriber.next(), timeout=max(left, 0))
    except TimeoutError:
        raise Unauthenticated(
            "the token this subscription was opened with has expired; reconnect with a new one"
        ) from None


async def payment_events(
    ctx: OperationContext, department_code: str | None, after: str | None = None
) -> AsyncIterator[Item[PaymentEvent]]:
    """Events of the payment requests the caller may read, of one department if named."""
    access = ctx.access  # this operation's; a later operation on the socket gets its own
    access.require(Topic.PAYMENTS, "paymentRequestEvents")
    if department_code is not None:
        require_department_code(department_code, "departmentCode")
    department = access.department_scope(Topic.PAYMENTS, department_code, "departmentCode")
    since = EventId.parse(after) if after is not None else None
    async with ctx.services.events.payments.subscribe(since) as subscriber:
        while True:
            event_id, event = await next_while_valid(subscriber, ctx.caller)
            request = event.request
            if department is not None and department_code_of(request.code) != department:
                continue
            if access.admits(PaymentSubject(request.code, request.fiscal_year)):
                yield event_id, event


async def activity_events(
    ctx: OperationContext, nip: str | None, after: str | None = None
) -> AsyncIterator[Item[ActivityEvent]]:
    """Events of the activities the caller may read, of one employee if named."""
    access = ctx.access
    access.require(Topic.ACTIVITIES, "activityEvents")
    if nip is not None:
        person = await ctx.loaders.person.load(nip)
        subject = EmployeeSubject(nip, person.unit_id, person.position_id) if person else None
        if subject is None or not access.permits(Topic.ACTIVITIES, subject):
            raise Forbidden(
                f"activityEvents: the activities of {nip} are not readable by this caller"
            )
    since = EventId.parse(after) if after is not None else None
    scoped_at = time.monotonic()
    async with ctx.services.events.activities.subscribe(since) as subscriber:
        while True:
            event_id, event = await next_while_valid(subscriber, ctx.caller)
            if access.caller.has(Role.STAFF) and time.monotonic() - scoped_at > SCOPE_REFRESH_S:
                # People move: read again who is below the caller (one statement). The
                # events that follow are resolved with it (`OperationContext.for_event`).
                await ctx.renew_access()
                access = ctx.access
                scoped_at = time.monotonic()
            owner = event.owner
            if nip is not None and owner.nip != nip:
                continue
            subject = EmployeeSubject(owner.nip, owner.unit_id, owner.position_id)
            if access.permits(Topic.ACTIVITIES, subject):
                yield event_id, event
