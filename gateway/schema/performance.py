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
from gateway.schema.scalars import Nip, Period


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


ALLOWANCES = (
    "Allowance reconciliation of a month: every employee of the department (or the city),"
    " and every NIP that e-kin does not know but the department's requests (any request)"
    " pay, with status UNKNOWN_EMPLOYEE, so that the sums equal sppspm's. By NIP unless"
    " ordered otherwise."
)
ALLOWANCE_ORDER_BY = (
    "Applied in turn, then by NIP: EXPECTED, PAID and DIFFERENCE order by those amounts,"
    " NIP by the employee's number. A cursor belongs to the ordering that gave it out."
)


@strawberry.type(
    description="TPP of one employee and month: expected by e-kin, paid by sppspm. For an"
    " NIP that e-kin does not know, `employee` is null, nothing is expected and the status"
    " is UNKNOWN_EMPLOYEE."
)
class Allowance:
    nip: Nip = strawberry.field(
        description="Whom sppspm pays, or e-kin expects to be paid; also when e-kin does"
        " not know the NIP (then see dataIssues)."
    )
    period: Period
    basis: Decimal
    percent: int
    expected: Decimal
    paid: Decimal = strawberry.field(description="Paid under an SP2D.")
    in_process: Decimal = strawberry.field(description="On requests not rejected, no SP2D yet.")
    difference: Decimal = strawberry.field(description="paid - expected")
    status: enums.AllowanceStatus
    request_ids: strawberry.Private[tuple[int, ...]]
    known: strawberry.Private[bool] = True

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
            nip=Nip(r.nip),
            request_ids=r.request_ids,
            known=r.known,
        )

    @strawberry.field(description="Null for an NIP that e-kin does not know.")
    async def employee(self, info: Info) -> EmployeeRef | None:
        if not self.known:
            return None  # nobody to look up (nor to refuse: there is no one to see)
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
