"""The root Query: entry points into each domain."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from gateway import cursors
from gateway.access.policy import Topic
from gateway.context import Info
from gateway.joins import require_department_code
from gateway.resolvers import finance as finance_resolvers
from gateway.resolvers import organisation as organisation_resolvers
from gateway.resolvers import people as people_resolvers
from gateway.resolvers import performance as performance_resolvers
from gateway.resolvers import service_level as service_level_resolvers
from gateway.resolvers import system as system_resolvers
from gateway.schema import enums, finance, organisation, people, performance, system
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
    ) -> Connection[people.Employee]:
        ctx = info.context
        f = filter or people.EmployeeFilter()
        code = ctx.access.department_scope(Topic.PEOPLE, f.department_code, "filter.departmentCode")
        scope = people_resolvers.top_level_scope(ctx, code, f.unit_id)
        person_filter = f.person_filter(ctx.access.people_rows())
        page = await people_resolvers.employees(ctx, scope, person_filter, first, after)
        return connection(
            page.items,
            page.has_next,
            people.cursor_of,
            people.Employee.from_record,
            lambda: people_resolvers.count_employees(ctx, scope, person_filter),
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
        order_by: enums.PaymentRequestOrder = enums.PaymentRequestOrder.REQUESTED_AT_DESC,
    ) -> Connection[finance.PaymentRequest]:
        f = filter or finance.PaymentRequestFilter()
        code = info.context.access.department_scope(
            Topic.PAYMENTS, f.department_code, "filter.departmentCode"
        )
        scope = finance_resolvers.scope_of(code, None)
        return await finance.request_connection(info, scope, f, order_by, first, after)

    @strawberry.field(description="Allowance reconciliation of a month, by NIP.")
    async def allowances(
        self,
        info: Info,
        period: Period,
        department_code: str | None = None,
        status: enums.AllowanceStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[performance.Allowance]:
        ctx = info.context
        code = ctx.access.department_scope(Topic.PAYMENTS, department_code, "departmentCode")
        page, total = await performance_resolvers.allowances(
            ctx, period, code, status.value if status else None, first, after
        )

        async def count() -> int:
            return total

        return connection(
            page.items,
            page.has_next,
            lambda r: cursors.encode("allowance", r.nip),
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
