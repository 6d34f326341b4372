"""The service clock of a payment request, by the deadline table of legacy-systems.md.

| stage        | starts at        | ends when                          | deadline | rejection |
|--------------|------------------|------------------------------------|----------|-----------|
| ORDER        | SPP submitted    | SPM issued, or SPP rejected        | 2 days   | 1 day     |
| DISBURSEMENT | SPM issued       | SP2D issued, or SPM rejected       | 2 days   | 1 day     |

Days are working days, counted from day 0 (see `WorkingCalendar`). A stage ended by a
rejection is on time when the rejection came by the rejection deadline; one ended by the
next document when it came by the deadline. The clock of a request is the clock of the
last stage it reached: NONE before submission, the stage while it is open (ON_TRACK,
AT_RISK on the deadline's last working day, BREACHED after the deadline) and DONE once
the request has gone as far as it will (MET or MISSED, by its last stage).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from connectors.domain import WIB
from connectors.sppspm.records import RequestSteps
from connectors.working_days import WorkingCalendar

DEADLINE_DAYS = 2
REJECTION_DAYS = 1


class ClockStage(enum.Enum):
    ORDER = "ORDER"
    DISBURSEMENT = "DISBURSEMENT"
    DONE = "DONE"
    NONE = "NONE"


class ClockState(enum.Enum):
    ON_TRACK = "ON_TRACK"
    AT_RISK = "AT_RISK"
    BREACHED = "BREACHED"
    MET = "MET"
    MISSED = "MISSED"
    NOT_STARTED = "NOT_STARTED"


@dataclass(frozen=True, slots=True)
class ServiceClock:
    stage: ClockStage
    state: ClockState
    started_at: datetime | None = None
    deadline: datetime | None = None
    rejection_deadline: datetime | None = None
    working_days_left: int | None = None
    ended_at: datetime | None = None


NOT_STARTED = ServiceClock(ClockStage.NONE, ClockState.NOT_STARTED)


def service_clock(times: RequestSteps, calendar: WorkingCalendar, now: datetime) -> ServiceClock:
    """The clock of a request whose steps happened at `times`, as it stands at `now`."""
    if times.order_issued_at is not None:
        stage, started = ClockStage.DISBURSEMENT, times.order_issued_at
        finished = times.disbursed_at is not None or times.order_rejected
        ended_at = times.disbursed_at or times.order_rejected_at
        by_rejection = times.disbursed_at is None and times.order_rejected
    elif times.submitted_at is not None:
        stage, started = ClockStage.ORDER, times.submitted_at
        finished = times.request_rejected
        ended_at = times.request_rejected_at
        by_rejection = True
    else:
        return NOT_STARTED
    deadline = calendar.deadline(started, DEADLINE_DAYS)
    rejection_deadline = calendar.deadline(started, REJECTION_DAYS)
    if finished:
        limit = rejection_deadline if by_rejection else deadline
        # A stage that ended at no recorded time cannot be shown to be on time.
        met = ended_at is not None and ended_at <= limit
        state = ClockState.MET if met else ClockState.MISSED
        return ServiceClock(
            ClockStage.DONE, state, started, deadline, rejection_deadline, None, ended_at
        )
    last_day = calendar.nth_working_day(started, DEADLINE_DAYS)
    today = now.astimezone(WIB).date()
    if now >= deadline:
        state, left = ClockState.BREACHED, 0
    elif today == last_day:
        state, left = ClockState.AT_RISK, 0
    else:
        state, left = ClockState.ON_TRACK, calendar.working_days_after(today, last_day)
    return ServiceClock(stage, state, started, deadline, rejection_deadline, left)
