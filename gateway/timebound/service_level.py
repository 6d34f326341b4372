"""Service levels: how many payment requests met their deadlines, over a period."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from connectors.domain import WIB
from connectors.sppspm.records import RequestSteps
from connectors.working_days import WorkingCalendar
from gateway.timebound.clock import ClockStage, ClockState, service_clock


@dataclass(frozen=True, slots=True)
class ServiceLevelFigures:
    """Requests submitted on the WIB days start..end, by their clocks (the last stage
    reached counts): finished on time or late, still open, open past the deadline."""

    start: date
    end: date
    finished: int
    on_time: int
    late: int
    open: int
    breached_open: int
    median_working_days_to_disbursement: float | None

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.finished, 4) if self.finished else None


def service_level(
    requests: Iterable[RequestSteps],
    calendar: WorkingCalendar,
    now: datetime,
    start: date,
    end: date,
) -> ServiceLevelFigures:
    on_time = late = still_open = breached = 0
    to_disbursement: list[int] = []
    for steps in requests:
        clock = service_clock(steps, calendar, now)
        if clock.stage is ClockStage.NONE:
            continue
        if clock.state is ClockState.MET:
            on_time += 1
        elif clock.state is ClockState.MISSED:
            late += 1
        else:
            still_open += 1
            breached += clock.state is ClockState.BREACHED
        if steps.disbursed_at is not None and steps.submitted_at is not None:
            day_zero = calendar.day_zero(steps.submitted_at)
            paid = steps.disbursed_at.astimezone(WIB).date()
            to_disbursement.append(calendar.working_days_after(day_zero, paid))
    return ServiceLevelFigures(
        start=start,
        end=end,
        finished=on_time + late,
        on_time=on_time,
        late=late,
        open=still_open,
        breached_open=breached,
        median_working_days_to_disbursement=(
            float(statistics.median(to_disbursement)) if to_disbursement else None
        ),
    )
