"""MonthlyPerformance, Allowance and DepartmentPerformance."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from connectors.ekin.records import MonthlyScore, UnitsPerformance
from gateway.context import Info
from gateway.joins import Reconciliation
from gateway.resolvers import finance as finance_resolvers
from gateway.schema import enums, finance, people
from gateway.schema.refs import EmployeeRef, PaymentRequestRef
from gateway.schema.scalars import Period


@strawberry.type(description="e-kin's month-end result for one employee.")
class MonthlyPerformance:
    period: Period
    score: Decimal
    work_minutes: int
    effective_minutes: int
    allowance_percent: int | None = strawberry.field(
        description="Share of the TPP basis the score's band pays."
    )

    @classmethod
    def from_record(cls, score: MonthlyScore) -> MonthlyPerformance:
        return cls(
            period=Period(score.period),
            score=score.score,
            work_minutes=score.work_minutes,
            effective_minutes=score.effective_minutes,
            allowance_percent=score.allowance_percent,
        )


@strawberry.type(description="TPP of one employee and month: expected by e-kin, paid by sppspm.")
class Allowance:
    period: Period
    basis: Decimal
    percent: int
    expected: Decimal
    paid: Decimal = strawberry.field(description="Paid under an SP2D.")
    in_process: Decimal = strawberry.field(description="On requests not rejected, no SP2D yet.")
    difference: Decimal = strawberry.field(description="paid - expected")
    status: enums.AllowanceStatus
    nip: strawberry.Private[str]
    request_ids: strawberry.Private[tuple[int, ...]]

    @classmethod
    def from_record(cls, r: Reconciliation) -> Allowance:
        return cls(
            period=Period(r.period),
            basis=r.basis,
            percent=r.percent,
            expected=r.expected,
            paid=r.paid,
            in_process=r.in_process,
            difference=r.difference,
            status=enums.AllowanceStatus(r.status),
            nip=r.nip,
            request_ids=r.request_ids,
        )

    @strawberry.field
    async def employee(self, info: Info) -> EmployeeRef | None:
        return await people.employee_or_none(info, self.nip)

    @strawberry.field(description="Requests carrying TPP lines for this employee and month.")
    async def payment_requests(self, info: Info) -> list[PaymentRequestRef] | None:
        records = await finance_resolvers.payment_requests_by_id(
            info.context, list(self.request_ids)
        )
        return [finance.PaymentRequest.from_record(r) for r in records]


@strawberry.type(description="The active staff of a department in one month.")
class DepartmentPerformance:
    period: Period
    headcount: int
    average_score: Decimal | None
    below_sixty: int
    approved_minutes: int
    pending_activities: int

    @classmethod
    def from_record(cls, period: str, p: UnitsPerformance) -> DepartmentPerformance:
        return cls(
            period=Period(period),
            headcount=p.headcount,
            average_score=p.average_score,
            below_sixty=p.below_sixty,
            approved_minutes=p.approved_minutes,
            pending_activities=p.pending_activities,
        )
