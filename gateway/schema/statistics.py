"""Statistics for analysts: totals and groups of payment requests, activities, allowances
and employees, with the measures of each (`MoneyStats`, `IntStats`). A key field is null
unless its dimension is grouped by; a key that names a record resolves to the record."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import strawberry

from connectors.domain import PaymentRequestDimension
from connectors.sppspm.connector import EVERY_YEAR
from connectors.sppspm.records import RequestStatsGroup, RequestStatsKey
from connectors.stats import StatsOrderBy, Summary, TimeBucket
from gateway.access.policy import Topic
from gateway.context import Info
from gateway.joins import opd_key
from gateway.resolvers import finance as finance_resolvers
from gateway.resolvers import organisation as organisation_resolvers
from gateway.resolvers import service_level as service_level_resolvers
from gateway.resolvers import statistics as resolve
from gateway.schema import enums, finance, organisation, people
from gateway.schema.finance import PaymentRequestFilter
from gateway.schema.refs import BudgetLineRef, DepartmentRef, EmployeeRef
from gateway.schema.scalars import Nip
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
