"""The root Subscription (graphql-transport-ws on /graphql): payment-request and activity
events, including changes made in the legacy systems' own user interfaces."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry

from gateway.context import Info
from gateway.events import records
from gateway.resolvers import events as resolve
from gateway.schema import finance, people
from gateway.schema.scalars import Nip

# Registered in place, as in `enums`.
strawberry.enum(records.PaymentRequestEventKind)
strawberry.enum(records.ActivityEventKind)


EVENT_ID = (
    "Increases from one event of this subscription to the next; give the last one received"
    " as `after` to resume where you left off."
)
AFTER = (
    "Resume: first the events since the one with this `id` (those kept: see the"
    " deployment's docs), then the live ones. An id no longer kept is refused with"
    " EVENTS_EXPIRED: reload your data and subscribe without `after`."
)


@strawberry.type
class PaymentRequestEvent:
    id: strawberry.ID = strawberry.field(description=EVENT_ID)
    kind: records.PaymentRequestEventKind
    payment_request: finance.PaymentRequest = strawberry.field(
        description="The request as it stood when the change was read."
    )
    at: datetime = strawberry.field(description="When the change was made.")


@strawberry.type
class ActivityEvent:
    id: strawberry.ID = strawberry.field(description=EVENT_ID)
    kind: records.ActivityEventKind
    activity: people.Activity
    at: datetime = strawberry.field(description="When the activity was logged or reviewed.")


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Payment requests created or changing status, of one department (with its"
        " sub-units) or of all the caller may read."
    )
    async def payment_request_events(
        self,
        info: Info,
        department_code: str | None = None,
        after: Annotated[strawberry.ID | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[PaymentRequestEvent, None]:
        async for event_id, event in resolve.payment_events(info.context, department_code, after):
            yield PaymentRequestEvent(
                id=strawberry.ID(str(event_id)),
                kind=event.kind,
                payment_request=finance.PaymentRequest.from_record(event.request),
                at=event.at,
            )

    @strawberry.subscription(
        description="Activities logged or reviewed, of one employee or of all the caller may read."
    )
    async def activity_events(
        self,
        info: Info,
        nip: Nip | None = None,
        after: Annotated[strawberry.ID | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[ActivityEvent, None]:
        async for event_id, event in resolve.activity_events(info.context, nip, after):
            owner = event.owner
            subject = people.Employee.from_record(owner).access_subject()
            yield ActivityEvent(
                id=strawberry.ID(str(event_id)),
                kind=event.kind,
                activity=people.Activity.from_record(event.activity, subject),
                at=event.at,
            )
