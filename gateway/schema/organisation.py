"""Department, WorkUnit, Budget and BudgetLine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import strawberry

from connectors.domain import BudgetLineOrderBy
from connectors.ekin.records import Unit
from connectors.sppspm.records import BudgetLine as BudgetLineRecord
from connectors.sppspm.records import BudgetLineFilter as BudgetLineFilterRecord
from connectors.sppspm.records import FinanceUnit, PaymentScope
from gateway import cursors
from gateway.access.policy import DepartmentSubject
from gateway.context import Info
from gateway.joins import DepartmentKey, opd_key
from gateway.resolvers import finance as finance_resolvers
from gateway.resolvers import organisation as resolve
from gateway.resolvers import performance as performance_resolvers
from gateway.resolvers import service_level as service_level_resolvers
from gateway.schema import enums, finance, people, performance
from gateway.schema.filtering import (
    DEPARTMENT_CODE,
    DEPARTMENT_CODE_IN,
    LINE_ORDER,
    PAYMENT_ORDER,
    department_codes,
    values_of,
)
from gateway.schema.pagination import Connection, connection, empty_connection
from gateway.schema.refs import (
    DepartmentPerformanceRef,
    EmployeeFilterRef,
    EmployeeRef,
    PaymentRequestFilterRef,
    PaymentRequestRef,
)
from gateway.schema.scalars import Period
from gateway.schema.service_level import ServiceLevel


@strawberry.type(description="An OPD-level finance code in one fiscal year, with its sub-units.")
class Department:
    id: strawberry.ID
    code: str
    name: str
    fiscal_year: int

    @classmethod
    def from_record(cls, unit: FinanceUnit) -> Department:
        return cls(
            id=strawberry.ID(f"{unit.fiscal_year}:{unit.code}"),
            code=unit.code,
            name=unit.name,
            fiscal_year=unit.fiscal_year,
        )

    @property
    def key(self) -> DepartmentKey:
        return (self.fiscal_year, self.code)

    def access_subject(self) -> DepartmentSubject:
        return DepartmentSubject(self.code, self.fiscal_year)

    @strawberry.field(description="e-kin units mapped to this department by the crosswalk.")
    async def units(self, info: Info) -> list[WorkUnit] | None:
        units = await resolve.department_units(info.context, self.key)
        return [WorkUnit.from_record(u, self.fiscal_year) for u in units]

    @strawberry.field(description="Staff of the department's e-kin units.")
    async def employees(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: EmployeeFilterRef | None = None,
        order_by: Annotated[
            list[enums.EmployeeOrder] | None,
            strawberry.argument(description=people.EMPLOYEE_ORDER_BY),
        ] = None,
    ) -> Connection[EmployeeRef] | None:
        f = filter or people.EmployeeFilter()
        if f.scope_excludes(self.code):
            return empty_connection()
        ctx = info.context
        scope = tuple(ctx.crosswalk.units_of(*self.key))
        departments = people.Departments(ctx.crosswalk, self.fiscal_year)
        person_filter = f.person_filter(departments, ctx.access.people_rows())
        return await people.employee_connection(info, scope, person_filter, order_by, first, after)

    @strawberry.field
    async def budget(self) -> Budget:
        return Budget(fiscal_year=self.fiscal_year, department=self.key)

    @strawberry.field
    async def payment_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: PaymentRequestFilterRef | None = None,
        order_by: Annotated[
            list[enums.PaymentRequestOrder] | None,
            strawberry.argument(description=PAYMENT_ORDER),
        ] = None,
    ) -> Connection[PaymentRequestRef] | None:
        f = filter or finance.PaymentRequestFilter()
        if f.department_code is not None and f.department_code != self.code:
            return empty_connection()
        scope = finance_resolvers.scope_of(self.code, self.fiscal_year)
        return await finance.request_connection(info, scope, f, order_by, first, after)

    @strawberry.field(description="Of the requests submitted on the WIB days from..to.")
    async def service_level(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> ServiceLevel:
        figures = await service_level_resolvers.figures(info.context, self.code, from_, to)
        return ServiceLevel.from_record(figures)

    @strawberry.field
    async def performance(self, info: Info, period: Period) -> DepartmentPerformanceRef | None:
        record = await performance_resolvers.department_performance(info.context, self.key, period)
        return performance.DepartmentPerformance.from_record(period, record) if record else None


@strawberry.type(description="An e-kin organisation unit: an OPD or a sub-unit of one.")
class WorkUnit:
    ekin_id: int
    name: str
    abbreviation: str | None
    parent_id: strawberry.Private[int | None]
    fiscal_year: strawberry.Private[int]

    @classmethod
    def from_record(cls, unit: Unit, fiscal_year: int) -> WorkUnit:
        return cls(
            ekin_id=unit.id,
            name=unit.name,
            abbreviation=unit.abbreviation,
            parent_id=unit.parent_id,
            fiscal_year=fiscal_year,
        )

    @strawberry.field
    async def parent(self, info: Info) -> WorkUnit | None:
        if self.parent_id is None:
            return None
        unit = await resolve.unit(info.context, self.parent_id)
        return WorkUnit.from_record(unit, self.fiscal_year) if unit else None

    @strawberry.field(description="The department the crosswalk maps this unit to.")
    async def department(self, info: Info) -> Department | None:
        unit = await resolve.unit_department(info.context, self.ekin_id, self.fiscal_year)
        return Department.from_record(unit) if unit else None


@strawberry.type(description="A department's budget (DPA) for its fiscal year.")
class Budget:
    fiscal_year: int
    department: strawberry.Private[DepartmentKey]

    @strawberry.field
    async def ceiling(self, info: Info) -> Decimal:
        return (await resolve.budget_totals(info.context, self.department)).ceiling

    @strawberry.field
    async def committed(self, info: Info) -> Decimal:
        return (await resolve.budget_totals(info.context, self.department)).committed

    @strawberry.field
    async def disbursed(self, info: Info) -> Decimal:
        return (await resolve.budget_totals(info.context, self.department)).disbursed

    @strawberry.field
    async def remaining(self, info: Info) -> Decimal:
        return (await resolve.budget_totals(info.context, self.department)).remaining

    @strawberry.field
    async def lines(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: Annotated[
            list[enums.BudgetLineOrder] | None,
            strawberry.argument(description=LINE_ORDER),
        ] = None,
    ) -> Connection[BudgetLine]:
        scope = resolve.budget_scope(self.department)
        return await budget_line_connection(
            info, scope, BudgetLineFilterRecord(), order_by, first, after
        )


@strawberry.type(description="One line of a DPA: a sub-activity and account with a ceiling.")
class BudgetLine:
    id: strawberry.ID
    fiscal_year: int
    sub_activity_code: str
    account_code: str
    description: str
    ceiling: Decimal
    committed: Decimal
    disbursed: Decimal
    remaining: Decimal
    absorption: float | None = strawberry.field(
        description="disbursed / ceiling; null when the ceiling is 0."
    )
    code: strawberry.Private[str]

    @classmethod
    def from_record(cls, line: BudgetLineRecord) -> BudgetLine:
        return cls(
            id=strawberry.ID(str(line.id)),
            fiscal_year=line.fiscal_year,
            sub_activity_code=line.sub_activity_code,
            account_code=line.account_code,
            description=line.description,
            ceiling=line.money.ceiling,
            committed=line.money.committed,
            disbursed=line.money.disbursed,
            remaining=line.money.remaining,
            absorption=float(line.absorption) if line.absorption is not None else None,
            code=line.code,
        )

    @strawberry.field(description="The department whose budget holds the line.")
    async def department(self, info: Info) -> Department | None:
        record = await resolve.department_by_key(info.context, opd_key(self.fiscal_year, self.code))
        return Department.from_record(record) if record else None


@strawberry.input(
    description="Every field given must hold. A list of values (`...In`) holds when the"
    " value is one of them; an empty list matches nothing. `not` and `anyOf` nest at most"
    " 3 levels deep."
)
class BudgetLineFilter:
    department_code: str | None = strawberry.field(default=None, description=DEPARTMENT_CODE)
    department_code_in: list[str] | None = strawberry.field(
        default=None, description=DEPARTMENT_CODE_IN
    )
    fiscal_year: int | None = None
    fiscal_year_in: list[int] | None = None
    account_code_prefix: str | None = strawberry.field(
        default=None, description='The account code starts with this, e.g. "5.1.02".'
    )
    not_: BudgetLineFilter | None = strawberry.field(
        default=None, name="not", description="None of what this filter matches."
    )
    any_of: list[BudgetLineFilter] | None = strawberry.field(
        default=None, description="At least one of these filters holds; [] matches nothing."
    )

    def line_filter(self, top: bool = True) -> BudgetLineFilterRecord:
        """The connector's filter. At the top of a list `departmentCode` is the list's
        scope, not a condition."""
        return BudgetLineFilterRecord(
            fiscal_years=values_of(self.fiscal_year, self.fiscal_year_in),
            department_codes=department_codes(
                None if top else self.department_code,
                self.department_code_in,
                "filter.departmentCode",
            ),
            account_code_prefix=self.account_code_prefix,
            none_of=self.not_.line_filter(top=False) if self.not_ else None,
            any_of=tuple(g.line_filter(top=False) for g in self.any_of)
            if self.any_of is not None
            else None,
        )


async def budget_line_connection(
    info: Info,
    scope: PaymentScope,
    line_filter: BudgetLineFilterRecord,
    order_by: list[BudgetLineOrderBy] | None,
    first: int | None,
    after: str | None,
) -> Connection[BudgetLine]:
    ctx = info.context
    orders = cursors.canonical(order_by or ())
    page = await resolve.budget_lines(ctx, scope, line_filter, orders, first, after)
    return connection(
        page.items,
        page.has_next,
        lambda line: cursors.line_cursor(orders, line),
        BudgetLine.from_record,
        lambda: resolve.count_budget_lines(ctx, scope, line_filter),
    )


__all__ = ["Budget", "BudgetLine", "BudgetLineFilter", "Department", "WorkUnit"]
