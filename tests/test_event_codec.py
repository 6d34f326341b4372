"""Events as they are written to the deployment's Redis stream and read back: real
records of both kinds, and generated ones, come back equal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.domain import LsKind, PaymentStatus, PaymentType, ReviewStatus
from connectors.ekin import changes as ekin_changes
from connectors.sppspm.records import Disbursement, PaymentRequest
from gateway.events import codec
from gateway.events.records import (
    ActivityEvent,
    ActivityEventKind,
    PaymentEvent,
    PaymentRequestEventKind,
)
from tests.conftest import Gateway

WIB = timezone(timedelta(hours=7))


async def test_payment_events_of_real_requests_come_back_equal(gateway: Gateway) -> None:
    sppspm = gateway.services.sppspm
    ids = [
        row["id"]
        for row in await sppspm.fetch(
            "(select id from spp order by id limit 150)"
            " union (select s.id from spp s join spm m on m.id_spp = s.id"
            " join sp2d d on d.id_spm = m.id limit 50)"
        )
    ]
    requests = await sppspm.requests_by_id(ids)
    assert any(r.disbursement is not None for r in requests.values())
    assert any(r.ls_kind is None for r in requests.values())
    for request in requests.values():
        event = PaymentEvent(PaymentRequestEventKind.STATUS_CHANGED, request, request.requested_at)
        assert codec.decode(PaymentEvent, codec.encode(event)) == event


async def test_activity_events_of_real_activities_come_back_equal(gateway: Gateway) -> None:
    ekin = gateway.services.ekin
    activities = await ekin_changes.activities_after(ekin, 0, [], 300)  # as events read them
    people = await ekin.people(sorted({a.nip for a in activities}))
    assert {a.status for a in activities} == set(ReviewStatus)
    assert all(a.logged_at is not None for a in activities)
    for activity in activities:
        event = ActivityEvent(
            ActivityEventKind.REVIEWED,
            activity,
            people[activity.nip],
            activity.reviewed_at or datetime.now(UTC),
        )
        assert codec.decode(ActivityEvent, codec.encode(event)) == event


amounts = st.decimals(min_value=0, max_value=Decimal("1e15"), places=2, allow_nan=False)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(WIB)
)


@settings(max_examples=200, deadline=None)
@given(
    amount=amounts,
    net=st.none() | amounts,
    at=moments,
    ls_kind=st.none() | st.sampled_from(LsKind),
    status=st.sampled_from(PaymentStatus),
    purpose=st.text(),
    treasurer=st.none() | st.from_regex(r"\A[0-9]{18}\Z"),
)
def test_any_payment_event_comes_back_equal(
    amount: Decimal,
    net: Decimal | None,
    at: datetime,
    ls_kind: LsKind | None,
    status: PaymentStatus,
    purpose: str,
    treasurer: str | None,
) -> None:
    request = PaymentRequest(
        id=1,
        number="000001/SPP-LS/1.02.0.00.0.00.01.0000/2026",
        fiscal_year=2026,
        code="1.02.0.00.0.00.01.0000",
        type=PaymentType.LS,
        ls_kind=ls_kind,
        budget_line_id=None,
        amount=amount,
        purpose=purpose,
        treasurer_nip=treasurer,
        requested_at=at,
        status=status,
        rejection_reason=None,
        order=None,
        disbursement=None if net is None else Disbursement("1/SP2D", at, net, treasurer),
    )
    event = PaymentEvent(PaymentRequestEventKind.CREATED, request, at.astimezone(UTC))
    back = codec.decode(PaymentEvent, codec.encode(event))
    assert back == event
    assert back.at.utcoffset() == timedelta(0)  # the offset is kept, not only the instant
