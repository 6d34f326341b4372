"""The working-day calendar and the service clock: the worked examples of
legacy-systems.md, and a property test against a day-by-day reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.domain import WIB
from connectors.sppspm.records import RequestSteps
from connectors.working_days import WorkingCalendar
from gateway.timebound.clock import ClockStage, ClockState, service_clock

NYEPI = WorkingCalendar([date(2026, 3, 19), date(2026, 3, 20)])


def wib(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=WIB)  # type: ignore[misc]


def test_submitted_on_a_friday_the_spm_is_due_by_wednesday_midnight() -> None:
    assert NYEPI.deadline(wib(2026, 3, 13, 10, 0), 2) == wib(2026, 3, 18)


def test_submitted_on_a_saturday_day_zero_is_monday() -> None:
    assert NYEPI.day_zero(wib(2026, 3, 14, 9, 0)) == date(2026, 3, 16)
    assert NYEPI.deadline(wib(2026, 3, 14, 9, 0), 2) == wib(2026, 3, 19)


def test_submitted_before_nyepi_the_holidays_do_not_count() -> None:
    assert NYEPI.deadline(wib(2026, 3, 18, 16, 30), 2) == wib(2026, 3, 25)


def test_a_time_given_in_another_offset_is_read_in_wib() -> None:
    friday_evening_utc = datetime(2026, 3, 13, 20, 0, tzinfo=UTC)  # Saturday 03:00 WIB
    assert NYEPI.day_zero(friday_evening_utc) == date(2026, 3, 16)


def steps(
    submitted: datetime | None,
    *,
    rejected: datetime | None = None,
    ordered: datetime | None = None,
    order_rejected: datetime | None = None,
    disbursed: datetime | None = None,
) -> RequestSteps:
    return RequestSteps(
        id=1,
        code="1.02.0.00.0.00.01.0000",
        fiscal_year=2026,
        submitted_at=submitted,
        request_rejected_at=rejected,
        request_rejected=rejected is not None,
        order_issued_at=ordered,
        order_rejected_at=order_rejected,
        order_rejected=order_rejected is not None,
        disbursed_at=disbursed,
    )


def test_an_open_order_stage_is_on_track_then_at_risk_then_breached() -> None:
    request = steps(wib(2026, 3, 13, 10, 0))
    on_track = service_clock(request, NYEPI, wib(2026, 3, 16, 9, 0))
    assert (on_track.stage, on_track.state, on_track.working_days_left) == (
        ClockStage.ORDER,
        ClockState.ON_TRACK,
        1,
    )
    at_risk = service_clock(request, NYEPI, wib(2026, 3, 17, 23, 59))
    assert (at_risk.state, at_risk.working_days_left) == (ClockState.AT_RISK, 0)
    assert service_clock(request, NYEPI, wib(2026, 3, 18)).state is ClockState.BREACHED


def test_a_rejection_is_on_time_only_within_one_working_day() -> None:
    submitted = wib(2026, 3, 13, 10, 0)  # rejection due by Tuesday 03-17 00:00
    in_time = service_clock(
        steps(submitted, rejected=wib(2026, 3, 16, 15, 0)), NYEPI, wib(2026, 4, 1)
    )
    late = service_clock(steps(submitted, rejected=wib(2026, 3, 17, 8, 0)), NYEPI, wib(2026, 4, 1))
    assert (in_time.stage, in_time.state) == (ClockStage.DONE, ClockState.MET)
    assert late.state is ClockState.MISSED
    assert in_time.rejection_deadline == wib(2026, 3, 17)


def test_the_last_stage_reached_counts() -> None:
    request = steps(
        wib(2026, 3, 13, 10, 0),
        ordered=wib(2026, 3, 17, 11, 0),  # order stage met; disbursement due by 03-24
        disbursed=wib(2026, 3, 24, 9, 0),
    )
    clock = service_clock(request, NYEPI, wib(2026, 4, 1))
    assert (clock.stage, clock.state, clock.started_at) == (
        ClockStage.DONE,
        ClockState.MISSED,
        wib(2026, 3, 17, 11, 0),
    )
    assert clock.deadline == wib(2026, 3, 24)
    open_disbursement = service_clock(
        steps(wib(2026, 3, 13, 10, 0), ordered=wib(2026, 3, 17, 11, 0)), NYEPI, wib(2026, 3, 18)
    )
    assert (open_disbursement.stage, open_disbursement.state) == (
        ClockStage.DISBURSEMENT,
        ClockState.ON_TRACK,
    )


def test_a_draft_has_no_clock() -> None:
    clock = service_clock(steps(None), NYEPI, wib(2026, 4, 1))
    assert (clock.stage, clock.state, clock.deadline) == (
        ClockStage.NONE,
        ClockState.NOT_STARTED,
        None,
    )


# -- against a deliberately simple reference ----------------------------------------------


def reference_deadline(received: datetime, holidays: set[date], n: int) -> tuple[date, datetime]:
    """Walk day by day: day 0, then n more working days; the deadline is the next midnight."""

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in holidays

    day = received.astimezone(WIB).date()
    while not working(day):
        day += timedelta(days=1)
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if working(day):
            counted += 1
    return day, datetime.combine(day + timedelta(days=1), time(), WIB)


def reference_state(
    start: datetime, end: datetime | None, rejected: bool, holidays: set[date], now: datetime
) -> ClockState:
    last_day, deadline = reference_deadline(start, holidays, 2)
    if end is not None:
        limit = reference_deadline(start, holidays, 1)[1] if rejected else deadline
        return ClockState.MET if end <= limit else ClockState.MISSED
    if now >= deadline:
        return ClockState.BREACHED
    if now.date() == last_day:
        return ClockState.AT_RISK
    return ClockState.ON_TRACK


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 1)).map(
    lambda d: d.replace(tzinfo=WIB)
)
holiday_sets = st.sets(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), max_size=60
)


gaps = st.one_of(st.none(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=12)))


@settings(max_examples=500, deadline=None)
@given(
    holidays=holiday_sets,
    start=moments,
    order_after=gaps,
    order_rejected=st.booleans(),
    payment_after=gaps,
    payment_rejected=st.booleans(),
    waited=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_the_clock_agrees_with_a_day_by_day_reference(
    holidays: set[date],
    start: datetime,
    order_after: timedelta | None,
    order_rejected: bool,
    payment_after: timedelta | None,
    payment_rejected: bool,
    waited: timedelta,
) -> None:
    calendar = WorkingCalendar(holidays)
    now = start + waited
    # the last stage reached: its start, its end (None while open), ended by a rejection?
    if order_after is None:
        request = steps(start)
        stage, began, end, by_rejection = ClockStage.ORDER, start, None, False
    elif order_rejected:
        request = steps(start, rejected=start + order_after)
        stage, began, end, by_rejection = ClockStage.ORDER, start, start + order_after, True
    else:
        ordered = start + order_after
        finished = ordered + payment_after if payment_after is not None else None
        if finished is None:
            request = steps(start, ordered=ordered)
        elif payment_rejected:
            request = steps(start, ordered=ordered, order_rejected=finished)
        else:
            request = steps(start, ordered=ordered, disbursed=finished)
        stage, began, end = ClockStage.DISBURSEMENT, ordered, finished
        by_rejection = payment_rejected

    clock = service_clock(request, calendar, now)

    assert clock.stage is (stage if end is None else ClockStage.DONE)
    assert clock.started_at == began
    assert clock.deadline == reference_deadline(began, holidays, 2)[1]
    assert clock.rejection_deadline == reference_deadline(began, holidays, 1)[1]
    assert clock.state is reference_state(began, end, by_rejection, holidays, now)
