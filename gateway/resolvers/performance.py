"""Monthly scores, allowance reconciliation and department performance."""

from __future__ import annotations

from connectors.ekin.records import MonthlyScore, UnitsPerformance
from connectors.paging import Page, cut
from gateway import cursors
from gateway.context import OperationContext
from gateway.joins import (
    DepartmentKey,
    Reconciliation,
    reconcile,
    reconcile_all,
    units_of_department,
)


async def monthly_score(ctx: OperationContext, nip: str, period: str) -> MonthlyScore | None:
    return await ctx.loaders.monthly_score.load((nip, period))


async def allowance(ctx: OperationContext, nip: str, period: str) -> Reconciliation | None:
    expected = await ctx.loaders.expected_allowance.load((nip, period))
    if expected is None:
        return None
    payments = await ctx.loaders.allowance_payments.load((nip, period))
    return reconcile(expected, payments)


async def allowances(
    ctx: OperationContext,
    period: str,
    department_code: str | None,
    status: str | None,
    first: int | None,
    after: str | None,
) -> tuple[Page[Reconciliation], int]:
    """The reconciliation of a whole department (or the city) for a period.

    The status is only known after both systems are read, so the list is joined here
    and paged in memory: two statements whatever the page.
    """
    size = cursors.page_size(first)
    after_nip = cursors.decode_nip("allowance", after)
    units = (
        units_of_department(ctx.crosswalk, ctx.fiscal_year, department_code)
        if department_code is not None
        else None
    )
    expected = await ctx.services.ekin.expected_allowances(period, unit_ids=units)
    payments = await ctx.services.sppspm.allowance_payments(
        period, list(expected) if units is not None else None
    )
    rows = [r for r in reconcile_all(expected, payments) if status is None or r.status == status]
    total = len(rows)
    if after_nip is not None:
        rows = [r for r in rows if r.nip > after_nip]
    return cut(rows[: size + 1], size), total


async def department_performance(
    ctx: OperationContext, key: DepartmentKey, period: str
) -> UnitsPerformance | None:
    return await ctx.loaders.department_performance.load((key, period))
