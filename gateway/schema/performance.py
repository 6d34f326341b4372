"""MonthlyPerformance, Allowance and DepartmentPerformance."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from connectors.ekin.records import MonthlyScore, UnitsPerformance
from gateway.context import Info
from gateway.joins import Reconciliation
from gateway.resolvers import finance as finance_resolvers
from gateway.resolvers.statistics import AllowanceCondition
from gateway.schema import enums, finance, people
from gateway.schema.filtering import department_codes, values_of
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


@strawberry.input(
    description="Which rows of the reconciliation count. Every field given must hold. A list"
    " of values (`...In`) holds when the value is one of them; an empty list matches nothing."
    " `not` and `anyOf` nest at most 3 levels deep."
)
class AllowanceFilter:
    department_code: str | None = strawberry.field(
        default=None,
        description="Rows of the department (an OPD code, with its sub-units): its staff"
        " through the crosswalk of each period's year, and the NIPs that e-kin does not know"
        " that its requests pay. At the top it is also the scope, which a department system"
        " may name only as its own.",
    )
    department_code_in: list[str] | None = strawberry.field(
        default=None, description="Rows of any of these departments."
    )
    status: enums.AllowanceStatus | None = None
    status_in: list[enums.AllowanceStatus] | None = None
    employment_type: enums.EmploymentType | None = strawberry.field(
        default=None,
        description="e-kin's employment type; an NIP that e-kin does not know has none.",
    )
    employment_type_in: list[enums.EmploymentType] | None = None
    position_kind: enums.PositionKind | None = strawberry.field(
        default=None,
        description="The kind of e-kin position; an NIP that e-kin does not know has none.",
    )
    position_kind_in: list[enums.PositionKind] | None = None
    not_: AllowanceFilter | None = strawberry.field(
        default=None,
        name="not",
        description="None of what this filter matches (a row without an employment type is"
        " not matched by `employmentTypeIn`, so `not: {employmentTypeIn: [...]}` keeps it).",
    )
    any_of: list[AllowanceFilter] | None = strawberry.field(
        default=None, description="At least one of these filters holds; [] matches nothing."
    )

    def condition(self) -> AllowanceCondition:
        """The filter as the reconciliation's rows are checked against it."""
        statuses = values_of(self.status, self.status_in)
        return AllowanceCondition(
            department_codes=department_codes(
                self.department_code, self.department_code_in, "filter.departmentCode"
            ),
            statuses=tuple(s.value for s in statuses) if statuses is not None else None,
            employment_types=values_of(self.employment_type, self.employment_type_in),
            position_kinds=values_of(self.position_kind, self.position_kind_in),
            none_of=self.not_.condition() if self.not_ is not None else None,
            any_of=tuple(f.condition() for f in self.any_of) if self.any_of is not None else None,
        )


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
