"""Departments, work units and budgets."""

from __future__ import annotations

from collections.abc import Awaitable

from connectors.domain import BudgetLineOrderBy
from connectors.ekin.records import Unit
from connectors.paging import Page
from connectors.sppspm.records import (
    BudgetLine,
    BudgetLineFilter,
    FinanceUnit,
    Money,
    PaymentScope,
)
from gateway import cursors
from gateway.context import OperationContext
from gateway.errors import NotFound
from gateway.joins import DepartmentKey, department_of_unit, require_department_code


async def department(ctx: OperationContext, code: str, fiscal_year: int | None) -> FinanceUnit:
    year = fiscal_year or ctx.fiscal_year
    require_department_code(code)
    unit = await ctx.loaders.finance_unit.load((year, code))
    if unit is None:
        raise NotFound(f"code: no department {code} in fiscal year {year}", argument="code")
    return unit


def department_by_key(ctx: OperationContext, key: DepartmentKey) -> Awaitable[FinanceUnit | None]:
    return ctx.loaders.finance_unit.load(key)


async def departments(ctx: OperationContext, fiscal_year: int | None) -> list[FinanceUnit]:
    return await ctx.reads.sppspm.departments(fiscal_year or ctx.fiscal_year)


async def department_units(ctx: OperationContext, key: DepartmentKey) -> list[Unit]:
    ids = ctx.crosswalk.units_of(*key)
    units = await ctx.loaders.unit.load_many(ids)
    return [u for u in units if u is not None]


def unit(ctx: OperationContext, unit_id: int) -> Awaitable[Unit | None]:
    return ctx.loaders.unit.load(unit_id)


async def unit_department(
    ctx: OperationContext, unit_id: int, fiscal_year: int
) -> FinanceUnit | None:
    key = department_of_unit(ctx.crosswalk, fiscal_year, unit_id)
    return await ctx.loaders.finance_unit.load(key) if key else None


def budget_scope(key: DepartmentKey) -> PaymentScope:
    return PaymentScope(department_code=key[1], fiscal_year=key[0])


def budget_totals(ctx: OperationContext, key: DepartmentKey) -> Awaitable[Money]:
    return ctx.loaders.budget_totals.load(budget_scope(key))


async def budget_lines(
    ctx: OperationContext,
    scope: PaymentScope,
    line_filter: BudgetLineFilter,
    orders: tuple[BudgetLineOrderBy, ...],
    first: int | None,
    after: str | None,
) -> Page[BudgetLine]:
    """A page of the budget lines of `scope` (a department's budget of its year, or what
    the caller may see of the city) that match the filter, in these orderings."""
    size = cursors.page_size(first)
    args = (line_filter, orders, cursors.line_after(orders, after), size)
    return await ctx.loaders.budget_line_pages.load((scope, args))


async def count_budget_lines(
    ctx: OperationContext, scope: PaymentScope, line_filter: BudgetLineFilter
) -> int:
    return await ctx.loaders.budget_line_counts.load((scope, line_filter))


def budget_line(ctx: OperationContext, line_id: int) -> Awaitable[BudgetLine | None]:
    return ctx.loaders.budget_line.load(line_id)
