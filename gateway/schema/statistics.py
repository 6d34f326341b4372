"""Statistics for analysts: totals and groups of payment requests, activities, allowances
and employees, with the measures of each (`MoneyStats`, `IntStats`). A key field is null
unless its dimension is grouped by; a key that names a record resolves to the record."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import strawberry

from connectors.domain import ActivityDimension, EmployeeDimension, PaymentRequestDimension
from connectors.ekin.records import (
    ActivityStatsGroup,
    ActivityStatsKey,
    EmployeeStatsGroup,
    EmployeeStatsKey,
)
from connectors.sppspm.connector import EVERY_YEAR
from connectors.sppspm.records import RequestStatsGroup, RequestStatsKey
from connectors.stats import StatsOrderBy, Summary, TimeBucket
from gateway.access.policy import Topic
from gateway.context import Info
from gateway.joins import AllowanceDimension, opd_key, require_department_code
from gateway.resolvers import finance as finance_resolvers
from gateway.resolvers import organisation as organisation_resolvers
from gateway.resolvers import service_level as service_level_resolvers
from gateway.resolvers import statistics as resolve
from gateway.schema import enums, finance, organisation, people
from gateway.schema.finance import PaymentRequestFilter
from gateway.schema.performance import AllowanceFilter
from gateway.schema.refs import BudgetLineRef, DepartmentRef, EmployeeRef, WorkUnitRef
from gateway.schema.scalars import Nip, Period
from gateway.timebound.clock import ClockState

GROUPS = (
    "Groups by the dimensions asked for (none: no groups), ordered by orderBy (ties by key"
    " ascending) and cut to `first`; `total` is over everything the filter matches."
)


@strawberry.type(
    description="An amount over a group: an exact sum, the average rounded half-up to 2"
    " places; avg, min and max are null for an empty group."
)
class MoneyStats:
    sum: Decimal
    avg: Decimal | None
    min: Decimal | None
    max: Decimal | None

    @classmethod
    def of(cls, summary: Summary) -> MoneyStats:
        return cls(sum=summary.sum, avg=summary.avg, min=summary.min, max=summary.max)


@strawberry.type(description="A whole number over a group; avg, min and max null when empty.")
class IntStats:
    sum: int
    avg: float | None
    min: int | None
    max: int | None

    @classmethod
    def of(cls, summary: Summary) -> IntStats:
        return cls(sum=int(summary.sum), avg=summary.avg, min=summary.min, max=summary.max)


# -- payment requests -----------------------------------------------------------------------


@strawberry.type(description="What a group of payment requests shares.")
class PaymentRequestKey:
    fiscal_year: int | None
    type: enums.PaymentType | None
    ls_kind: enums.LsKind | None
    status: enums.PaymentStatus | None
    account: str | None = strawberry.field(description="The budget line's account code.")
    requested: str | None = strawberry.field(description="The time bucket of requestedAt.")
    disbursed: str | None = strawberry.field(description="The time bucket of the SP2D.")
    clock_state: ClockState | None
    treasurer_nip: Nip | None = strawberry.field(
        description="The treasurer's NIP, also when e-kin does not know it (treasurer: null)."
    )
    department_key: strawberry.Private[tuple[int, str] | None]
    budget_line_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, key: RequestStatsKey) -> PaymentRequestKey:
        return cls(
            fiscal_year=key.fiscal_year,
            type=key.type,
            ls_kind=key.ls_kind,
            status=key.status,
            account=key.account,
            requested=key.requested,
            disbursed=key.disbursed,
            clock_state=ClockState(key.clock_state) if key.clock_state else None,
            department_key=key.department,
            treasurer_nip=Nip(key.treasurer_nip) if key.treasurer_nip else None,
            budget_line_id=key.budget_line_id,
        )

    @strawberry.field(description="The department (OPD code, its sub-units included) of a year.")
    async def department(self, info: Info) -> DepartmentRef | None:
        if self.department_key is None:
            return None
        year, code = self.department_key
        record = await organisation_resolvers.department_by_key(info.context, opd_key(year, code))
        return organisation.Department.from_record(record) if record else None

    @strawberry.field(description="The BENDAHARA_PENGELUARAN as an e-kin employee.")
    async def treasurer(self, info: Info) -> EmployeeRef | None:
        return await people.employee_or_none(info, self.treasurer_nip)

    @strawberry.field
    async def budget_line(self, info: Info) -> BudgetLineRef | None:
        if self.budget_line_id is None:
            return None
        record = await organisation_resolvers.budget_line(info.context, self.budget_line_id)
        return organisation.BudgetLine.from_record(record) if record else None


@strawberry.type
class PaymentRequestGroup:
    key: PaymentRequestKey
    count: int
    amount: MoneyStats = strawberry.field(description="Of the requests' amounts.")
    disbursed_net: MoneyStats = strawberry.field(
        description="Of their SP2Ds' net amounts; a request without an SP2D counts 0."
    )

    @classmethod
    def of(cls, group: RequestStatsGroup) -> PaymentRequestGroup:
        return cls(
            key=PaymentRequestKey.of(group.key),
            count=group.count,
            amount=MoneyStats.of(group.amount),
            disbursed_net=MoneyStats.of(group.disbursed_net),
        )


@strawberry.type
class PaymentRequestStats:
    total: PaymentRequestGroup
    groups: list[PaymentRequestGroup] = strawberry.field(description=GROUPS)


async def payment_request_stats(
    info: Info,
    f: PaymentRequestFilter,
    group_by: Sequence[PaymentRequestDimension],
    bucket: TimeBucket,
    order_by: Sequence[StatsOrderBy],
    first: int,
) -> PaymentRequestStats:
    """Statistics of the payment requests the caller may read that `f` matches: one
    statement on sppspm's analytics pool (plus the clocks' steps, when a clock is asked)."""
    ctx = info.context
    code = ctx.access.departments_scope(
        Topic.PAYMENTS, f.department_code, f.department_code_in, "filter.departmentCode"
    )
    scope = finance_resolvers.scope_of(code, None)
    payment_filter = await finance.payment_filter_of(ctx, scope, f)
    states: dict[int, ClockState] = {}
    if PaymentRequestDimension.CLOCK_STATE in group_by:
        years = finance.years_of(scope, f)
        states = await service_level_resolvers.clock_states(ctx, years or [EVERY_YEAR])
    total, groups = await resolve.payment_request_stats(
        ctx, scope, payment_filter, group_by, bucket, order_by, first, states
    )
    return PaymentRequestStats(
        total=PaymentRequestGroup.of(total), groups=[PaymentRequestGroup.of(g) for g in groups]
    )


# -- activities and employees (e-kin) ---------------------------------------------------


def _department_of(unit: str) -> str:
    return (
        f"The department the crosswalk of the current fiscal year maps {unit} to; with"
        " DEPARTMENT grouped by, null is the group of the units it maps to no department."
    )


async def _ekin_department(info: Info, code: str | None) -> DepartmentRef | None:
    """A department of the current fiscal year, as a key of e-kin statistics names it."""
    if code is None:
        return None
    ctx = info.context
    record = await organisation_resolvers.department_by_key(ctx, (ctx.fiscal_year, code))
    return organisation.Department.from_record(record) if record else None


async def _unit(info: Info, unit_id: int | None) -> WorkUnitRef | None:
    if unit_id is None:
        return None
    ctx = info.context
    record = await organisation_resolvers.unit(ctx, unit_id)
    return organisation.WorkUnit.from_record(record, ctx.fiscal_year) if record else None


@strawberry.type(description="What a group of activities shares.")
class ActivityKey:
    kind: enums.ActivityKind | None
    status: enums.ActivityStatus | None
    started: str | None = strawberry.field(
        description="The time bucket of the activity's start, in WIB."
    )
    nip: Nip | None = strawberry.field(
        description="The owner's NIP (EMPLOYEE), to group without reading the employee."
    )
    department_code: strawberry.Private[str | None]
    unit_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, key: ActivityStatsKey) -> ActivityKey:
        return cls(
            kind=key.kind,
            status=key.status,
            started=key.started,
            nip=Nip(key.nip) if key.nip else None,
            department_code=key.department_code,
            unit_id=key.unit_id,
        )

    @strawberry.field(description=_department_of("the owner's unit"))
    async def department(self, info: Info) -> DepartmentRef | None:
        return await _ekin_department(info, self.department_code)

    @strawberry.field(description="The owner's e-kin unit.")
    async def unit(self, info: Info) -> WorkUnitRef | None:
        return await _unit(info, self.unit_id)

    @strawberry.field(description="The owner.")
    async def employee(self, info: Info) -> EmployeeRef | None:
        return await people.employee_or_none(info, self.nip)


@strawberry.type
class ActivityGroup:
    key: ActivityKey
    count: int
    minutes: IntStats = strawberry.field(description="Of the activities' durations.")

    @classmethod
    def of(cls, group: ActivityStatsGroup) -> ActivityGroup:
        return cls(
            key=ActivityKey.of(group.key), count=group.count, minutes=IntStats.of(group.minutes)
        )


@strawberry.type
class ActivityStats:
    total: ActivityGroup
    groups: list[ActivityGroup] = strawberry.field(description=GROUPS)


async def activity_stats(
    info: Info,
    f: people.ActivityFilter,
    group_by: Sequence[ActivityDimension],
    bucket: TimeBucket,
    order_by: Sequence[StatsOrderBy],
    first: int,
) -> ActivityStats:
    """Statistics of the activities the caller may see that `f` matches, under the
    activity list's own condition (`people.city_activity_condition`): one statement on
    e-kin's analytics pool."""
    condition = people.city_activity_condition(info.context, f)
    total, groups = await resolve.activity_stats(
        info.context, condition, group_by, bucket, order_by, first
    )
    return ActivityStats(
        total=ActivityGroup.of(total), groups=[ActivityGroup.of(g) for g in groups]
    )


@strawberry.type(description="What a group of employees shares.")
class EmployeeKey:
    employment_type: enums.EmploymentType | None
    rank: str | None = strawberry.field(
        description="The golongan; with RANK grouped by, null is the group without one."
    )
    position_kind: enums.PositionKind | None
    active: bool | None
    department_code: strawberry.Private[str | None]
    unit_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, key: EmployeeStatsKey) -> EmployeeKey:
        return cls(
            employment_type=key.employment_type,
            rank=key.rank,
            position_kind=key.position_kind,
            active=key.active,
            department_code=key.department_code,
            unit_id=key.unit_id,
        )

    @strawberry.field(description=_department_of("the employee's unit"))
    async def department(self, info: Info) -> DepartmentRef | None:
        return await _ekin_department(info, self.department_code)

    @strawberry.field(description="The e-kin unit.")
    async def unit(self, info: Info) -> WorkUnitRef | None:
        return await _unit(info, self.unit_id)


@strawberry.type
class EmployeeGroup:
    key: EmployeeKey
    count: int

    @classmethod
    def of(cls, group: EmployeeStatsGroup) -> EmployeeGroup:
        return cls(key=EmployeeKey.of(group.key), count=group.count)


@strawberry.type
class EmployeeStats:
    total: EmployeeGroup
    groups: list[EmployeeGroup] = strawberry.field(description=GROUPS)


async def employee_stats(
    info: Info,
    f: people.EmployeeFilter,
    group_by: Sequence[EmployeeDimension],
    order_by: Sequence[StatsOrderBy],
    first: int,
) -> EmployeeStats:
    """Statistics of the employees the caller may see that `f` matches, under the
    employee list's own filter (`people.city_employee_filter`): one statement on e-kin's
    analytics pool."""
    person_filter = people.city_employee_filter(info.context, f)
    total, groups = await resolve.employee_stats(
        info.context, person_filter, group_by, order_by, first
    )
    return EmployeeStats(
        total=EmployeeGroup.of(total), groups=[EmployeeGroup.of(g) for g in groups]
    )


# -- allowances (both sources) ----------------------------------------------------------


@strawberry.type(description="What a group of allowance rows shares.")
class AllowanceKey:
    status: enums.AllowanceStatus | None
    period: Period | None
    employment_type: enums.EmploymentType | None = strawberry.field(
        description="e-kin's; with EMPLOYMENT_TYPE grouped by, null is the group of the NIPs"
        " that e-kin does not know."
    )
    position_kind: enums.PositionKind | None = strawberry.field(
        description="Of the e-kin position; with POSITION_KIND grouped by, null is the group"
        " of the NIPs that e-kin does not know."
    )
    department_key: strawberry.Private[tuple[int, str] | None]

    @classmethod
    def of(cls, key: resolve.AllowanceStatsKey) -> AllowanceKey:
        return cls(
            status=enums.AllowanceStatus(key.status) if key.status else None,
            period=Period(key.period) if key.period else None,
            employment_type=key.employment_type,
            position_kind=key.position_kind,
            department_key=key.department,
        )

    @strawberry.field(
        description="The department (OPD code, its sub-units included) of the employee's"
        " unit through the crosswalk of the period's year; for an NIP that e-kin does not"
        " know, the department whose requests pay it (in each such department's group, with"
        " that department's lines, when several do). With DEPARTMENT grouped by, null is the"
        " group of the units the crosswalk maps to no department."
    )
    async def department(self, info: Info) -> DepartmentRef | None:
        if self.department_key is None:
            return None
        record = await organisation_resolvers.department_by_key(info.context, self.department_key)
        return organisation.Department.from_record(record) if record else None


@strawberry.type
class AllowanceGroup:
    key: AllowanceKey
    count: int = strawberry.field(
        description="Rows of the reconciliation as the departments' lists hold them: an"
        " employee and month; an NIP that e-kin does not know and month once per department"
        " whose requests pay it (with that department's lines), so groups add up to the total."
    )
    expected: MoneyStats = strawberry.field(description="By e-kin's allowance rule.")
    paid: MoneyStats = strawberry.field(description="Under an SP2D.")
    in_process: MoneyStats = strawberry.field(
        description="On requests not rejected, without an SP2D yet."
    )
    difference: MoneyStats = strawberry.field(description="paid - expected, row by row.")

    @classmethod
    def of(cls, group: resolve.AllowanceStatsGroup) -> AllowanceGroup:
        return cls(
            key=AllowanceKey.of(group.key),
            count=group.count,
            expected=MoneyStats.of(group.expected),
            paid=MoneyStats.of(group.paid),
            in_process=MoneyStats.of(group.in_process),
            difference=MoneyStats.of(group.difference),
        )


@strawberry.type
class AllowanceStats:
    total: AllowanceGroup
    groups: list[AllowanceGroup] = strawberry.field(description=GROUPS)


ALLOWANCE_STATS = (
    "Totals and groups of the allowance reconciliation of the months from..to (both"
    f" included, at most {resolve.MAX_ALLOWANCE_PERIODS}), row by row as `allowances` lists"
    " it: every employee and month, and the NIPs that e-kin does not know (UNKNOWN_EMPLOYEE),"
    " so that the city's sums equal sppspm's. A department system reads its department's"
    " rows only. SUM orders by the difference."
)


async def allowance_stats(
    info: Info,
    start: str,
    end: str,
    f: AllowanceFilter,
    group_by: Sequence[AllowanceDimension],
    order_by: Sequence[StatsOrderBy],
    first: int,
) -> AllowanceStats:
    """Statistics of the reconciliation rows the caller may read that `f` matches, over
    the periods start..end (checked before any SQL): each source read once on its
    analytics pool, the rows met in the gateway."""
    ctx = info.context
    periods = resolve.allowance_periods(start, end)
    scope = ctx.access.departments_scope(
        Topic.PAYMENTS, f.department_code, f.department_code_in, "filter.departmentCode"
    )
    if scope is not None:
        require_department_code(scope, "filter.departmentCode")
    condition = f.condition()
    total, groups = await resolve.allowance_stats(
        ctx, periods, scope, condition, group_by, order_by, first
    )
    return AllowanceStats(
        total=AllowanceGroup.of(total), groups=[AllowanceGroup.of(g) for g in groups]
    )
