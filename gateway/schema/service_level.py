"""ServiceClock of a payment request and ServiceLevel over a period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from gateway.timebound import clock
from gateway.timebound.service_level import ServiceLevelFigures

strawberry.enum(clock.ClockStage, name="ClockStage")
strawberry.enum(clock.ClockState, name="ClockState")


@strawberry.type(
    description="The clock of the last stage a request reached (see the deadline table):"
    " ORDER from submission to the SPM, DISBURSEMENT from the SPM to the SP2D, DONE once it"
    " has gone as far as it will, NONE before submission."
)
class ServiceClock:
    stage: clock.ClockStage
    state: clock.ClockState = strawberry.field(
        description="ON_TRACK; AT_RISK on the deadline's last working day; BREACHED after"
        " the deadline; MET or MISSED once finished; NOT_STARTED before submission."
    )
    started_at: datetime | None
    deadline: datetime | None = strawberry.field(
        description="The end (24:00 WIB) of the second working day after day 0."
    )
    rejection_deadline: datetime | None = strawberry.field(
        description="A rejection ends the stage on time by this moment (one working day)."
    )
    working_days_left: int | None = strawberry.field(
        description="While open: working days after today up to the deadline's last one."
    )
    ended_at: datetime | None = strawberry.field(description="When the last stage ended.")

    @classmethod
    def from_record(cls, c: clock.ServiceClock) -> ServiceClock:
        return cls(
            stage=c.stage,
            state=c.state,
            started_at=c.started_at,
            deadline=c.deadline,
            rejection_deadline=c.rejection_deadline,
            working_days_left=c.working_days_left,
            ended_at=c.ended_at,
        )


@strawberry.type(
    description="Payment requests submitted on the WIB days from..to, by their clocks (the"
    " last stage reached counts)."
)
class ServiceLevel:
    from_: Annotated[date, strawberry.field(name="from")]
    to: date
    finished: int = strawberry.field(description="Gone as far as they will: onTime + late.")
    on_time: int
    late: int
    open: int
    breached_open: int = strawberry.field(description="Open and past their deadline.")
    on_time_rate: float | None = strawberry.field(description="onTime / finished.")
    median_working_days_to_disbursement: float | None = strawberry.field(
        description="From day 0 of submission to the SP2D's day, of those disbursed."
    )

    @classmethod
    def from_record(cls, f: ServiceLevelFigures) -> ServiceLevel:
        return cls(
            from_=f.start,
            to=f.end,
            finished=f.finished,
            on_time=f.on_time,
            late=f.late,
            open=f.open,
            breached_open=f.breached_open,
            on_time_rate=f.on_time_rate,
            median_working_days_to_disbursement=f.median_working_days_to_disbursement,
        )
