"""The root Query: entry points into each domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

import strawberry

from connectors.stats import DEFAULT_GROUPS
from gateway import cursors
from gateway.access.policy import Topic
from gateway.context import Info
from gateway.joins import require_department_code
from gateway.resolvers import finance as finance_resolvers
from gateway.resolvers import organisation as organisation_resolvers
from gateway.resolvers import performance as performance_resolvers
from gateway.resolvers import service_level as service_level_resolvers
from gateway.resolvers import system as system_resolvers
from gateway.schema import enums, finance, organisation, people, performance, statistics, system
from gateway.schema.filtering import LINE_ORDER, PAYMENT_ORDER
from gateway.schema.pagination import Connection, connection
from gateway.schema.scalars import Nip, Period
from gateway.schema.service_level import ServiceLevel


@strawberry.type
class Query:
    @strawberry.field(
        description="The caller, from the token's sub (null when the sub is not an NIP)."
    )
    async def me(self, info: Info) -> people.Employee | None:
        return await people.employee_or_none(info, info.context.caller.nip)

    @strawberry.field(description="A department; fiscalYear defaults to the current year.")
    async def department(
        self, info: Info, code: str, fiscal_year: int | None = None
    ) -> organisation.Department | None:
        record = await organisation_resolvers.department(info.context, code, fiscal_year)
        return organisation.Department.from_record(record)

    @strawberry.field
    async def departments(
        self, info: Info, fiscal_year: int | None = None
    ) -> list[organisation.Department]:
        records = await organisation_resolvers.departments(info.context, fiscal_year)
        return [organisation.Department.from_record(r) for r in records]

    @strawberry.field
    async def employee(self, info: Info, nip: Nip) -> people.Employee | None:
        return await people.employee_or_none(info, nip)

    @strawberry.field
    async def employees(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: people.EmployeeFilter | None = None,
        order_by: Annotated[
            list[enums.EmployeeOrder] | None,
            strawberry.argument(description=people.EMPLOYEE_ORDER_BY),
        ] = None,
    ) -> Connection[people.Employee]:
        person_filter = people.city_employee_filter(info.context, filter or people.EmployeeFilter())
        return await people.employee_connection(info, None, person_filter, order_by, first, after)

    @strawberry.field(
        description="Totals and groups of the employees the caller may see that the filter"
        " matches, as `employees(filter:)` lists them. SUM orders by the count."
    )
    async def employee_stats(
        self,
        info: Info,
        filter: people.EmployeeFilter | None = None,
        group_by: Sequence[enums.EmployeeDimension] | None = (),
        order_by: list[enums.StatsOrder] | None = None,
        first: int | None = DEFAULT_GROUPS,
    ) -> statistics.EmployeeStats:
        return await statistics.employee_stats(
            info,
            filter or people.EmployeeFilter(),
            group_by or (),
            order_by or (),
            DEFAULT_GROUPS if first is None else first,
        )

    @strawberry.field(
        description="Activities that start in a window of WIB days, of the staff the caller"
        " may see: a department system its department's, STAFF their own and those below"
        " them, analysts and administrators everybody's."
    )
    async def activities(
        self,
        info: Info,
        filter: people.ActivityFilter,
        order_by: Annotated[
            list[enums.ActivityOrder] | None,
            strawberry.argument(description=people.ACTIVITY_ORDER_BY),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[people.Activity]:
        return await people.activity_connection(info, filter, order_by, first, after)

    @strawberry.field(
        description="Totals and groups of the activities the caller may see that the filter"
        " matches, as `activities(filter:)` lists them, with their minutes."
    )
    async def activity_stats(
        self,
        info: Info,
        filter: people.ActivityFilter,
        group_by: Sequence[enums.ActivityDimension] | None = (),
        bucket: enums.TimeBucket | None = enums.TimeBucket.WEEK,
        order_by: list[enums.StatsOrder] | None = None,
        first: int | None = DEFAULT_GROUPS,
    ) -> statistics.ActivityStats:
        return await statistics.activity_stats(
            info,
            filter,
            group_by or (),
            bucket or enums.TimeBucket.WEEK,
            order_by or (),
            DEFAULT_GROUPS if first is None else first,
        )

    @strawberry.field
    async def payment_request(self, info: Info, number: str) -> finance.PaymentRequest | None:
        record = await finance_resolvers.payment_request(info.context, number)
        return finance.PaymentRequest.from_record(record) if record else None

    @strawberry.field
    async def payment_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: finance.PaymentRequestFilter | None = None,
        order_by: Annotated[
            list[enums.PaymentRequestOrder] | None,
            strawberry.argument(description=PAYMENT_ORDER),
        ] = None,
    ) -> Connection[finance.PaymentRequest]:
        f = filter or finance.PaymentRequestFilter()
        code = info.context.access.departments_scope(
            Topic.PAYMENTS, f.department_code, f.department_code_in, "filter.departmentCode"
        )
        scope = finance_resolvers.scope_of(code, None)
        return await finance.request_connection(info, scope, f, order_by, first, after)

    @strawberry.field(
        description="Budget lines (DPA) of every department and year the caller sees."
    )
    async def budget_lines(
        self,
        info: Info,
        filter: organisation.BudgetLineFilter | None = None,
        order_by: Annotated[
            list[enums.BudgetLineOrder] | None,
            strawberry.argument(description=LINE_ORDER),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[organisation.BudgetLine]:
        f = filter or organisation.BudgetLineFilter()
        code = info.context.access.departments_scope(
            Topic.DIRECTORY, f.department_code, f.department_code_in, "filter.departmentCode"
        )
        scope = finance_resolvers.scope_of(code, None)
        return await organisation.budget_line_connection(
            info, scope, f.line_filter(), order_by, first, after
        )

    @strawberry.field(
        description="Totals and groups of the payment requests the caller may read that the"
        " filter matches, with their amounts and SP2D net amounts."
    )
    async def payment_request_stats(
        self,
        info: Info,
        filter: finance.PaymentRequestFilter | None = None,
        group_by: Sequence[enums.PaymentRequestDimension] | None = (),
        bucket: enums.TimeBucket | None = enums.TimeBucket.MONTH,
        order_by: list[enums.StatsOrder] | None = None,
        first: int | None = DEFAULT_GROUPS,
    ) -> statistics.PaymentRequestStats:
        return await statistics.payment_request_stats(
            info,
            filter or finance.PaymentRequestFilter(),
            group_by or (),
            bucket or enums.TimeBucket.MONTH,
            order_by or (),
            DEFAULT_GROUPS if first is None else first,
        )

    @strawberry.field(description=statistics.ALLOWANCE_STATS)
    async def allowance_stats(
        self,
        info: Info,
        from_: Annotated[Period, strawberry.argument(name="from")],
        to: Period,
        filter: performance.AllowanceFilter | None = None,
        group_by: Sequence[enums.AllowanceDimension] | None = (),
        order_by: list[enums.StatsOrder] | None = None,
        first: int | None = DEFAULT_GROUPS,
    ) -> statistics.AllowanceStats:
        return await statistics.allowance_stats(
            info,
            from_,
            to,
            filter or performance.AllowanceFilter(),
            group_by or (),
            order_by or (),
            DEFAULT_GROUPS if first is None else first,
        )

    @strawberry.field(description=performance.ALLOWANCES)
    async def allowances(
        self,
        info: Info,
        period: Period,
        department_code: str | None = None,
        status: enums.AllowanceStatus | None = None,
        first: int | None = None,
        after: str | None = None,
        order_by: Annotated[
            list[enums.AllowanceOrder] | None,
            strawberry.argument(description=performance.ALLOWANCE_ORDER_BY),
        ] = None,
    ) -> Connection[performance.Allowance]:
        ctx = info.context
        code = ctx.access.department_scope(Topic.PAYMENTS, department_code, "departmentCode")
        orders = cursors.allowance_orders(order_by or [])
        page, total = await performance_resolvers.allowances(
            ctx, period, code, status.value if status else None, orders, first, after
        )

        async def count() -> int:
            return total

        return connection(
            page.items,
            page.has_next,
            lambda r: cursors.allowance_cursor(orders, r),
            performance.Allowance.from_record,
            count,
        )

    @strawberry.field(
        description="Of the requests submitted on the WIB days from..to, of one department"
        " (with its sub-units) or of the whole city."
    )
    async def service_level(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        department_code: str | None = None,
    ) -> ServiceLevel:
        ctx = info.context
        code = ctx.access.department_scope(Topic.PAYMENTS, department_code, "departmentCode")
        if code is not None:
            require_department_code(code, "departmentCode")
        figures = await service_level_resolvers.figures(ctx, code, from_, to)
        return ServiceLevel.from_record(figures)

    @strawberry.field(description="Health of each connected system.")
    async def sources(self, info: Info) -> list[system.SourceStatus]:
        return [
            system.SourceStatus.from_record(h) for h in await system_resolvers.sources(info.context)
        ]

    @strawberry.field(description="What could not be joined, instead of dropping it.")
    async def data_issues(
        self, info: Info, fiscal_year: int | None = None
    ) -> list[system.DataIssue]:
        records = await system_resolvers.data_issues(info.context, fiscal_year)
        return [system.DataIssue.from_record(r) for r in records]
