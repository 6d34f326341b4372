"""Monthly scores, allowance reconciliation and department performance."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from typing import NamedTuple

from connectors.ekin.records import ExpectedAllowance, MonthlyScore, UnitsPerformance
from connectors.paging import Page, cut
from connectors.sppspm.records import AllowancePayments
from gateway import cursors
from gateway.context import OperationContext, SourcePair
from gateway.joins import (
    AllowanceLedger,
    AllowanceOrderBy,
    DepartmentKey,
    Reconciliation,
    comes_after,
    of_department,
    ordered,
    reconcile,
    units_of_department,
)
from gateway.loaders import answers


def monthly_score(ctx: OperationContext, nip: str, period: str) -> Awaitable[MonthlyScore | None]:
    return ctx.loaders.monthly_score.load((nip, period))


async def allowance(ctx: OperationContext, nip: str, period: str) -> Reconciliation | None:
    expected = await ctx.loaders.expected_allowance.load((nip, period))
    if expected is None:
        return None
    payments = await ctx.loaders.allowance_payments.load((nip, period))
    return reconcile(expected, payments)


class AllowancesAsked(NamedTuple):
    """Both loads of `allowance` for each of some NIPs, asked (`allowances_ahead`)."""

    period: str
    expected: dict[str, Awaitable[ExpectedAllowance | None]]
    payments: dict[str, Awaitable[AllowancePayments | None]]


def allowances_ahead(ctx: OperationContext, nips: Iterable[str], period: str) -> AllowancesAsked:
    """Both loads of `allowance` for each of `nips`, asked now (`reconciled` ends them):
    e-kin's expectations and sppspm's payments are read at the same time rather than one
    after the other. The payments of an NIP that turns out to have no expectation are read
    and left unused, a few lines more in a statement that runs anyway."""
    expected, payments = ctx.loaders.expected_allowance.load, ctx.loaders.allowance_payments.load
    keys = [(nip, period) for nip in nips]
    return AllowancesAsked(
        period,
        {key[0]: expected(key) for key in keys},
        {key[0]: payments(key) for key in keys},
    )


async def reconciled(asked: AllowancesAsked) -> dict[str, Reconciliation | None | BaseException]:
    """What `allowance` answers for each NIP asked, or the error its own loads would have
    failed with: its expectation reconciled with its payments."""
    expected = await answers(asked.expected)
    payments = await answers(asked.payments)
    answered: dict[str, Reconciliation | None | BaseException] = {}
    for nip, owed in expected.items():
        if owed is None or isinstance(owed, BaseException):
            answered[nip] = owed
            continue
        paid = payments[nip]
        answered[nip] = paid if isinstance(paid, BaseException) else reconcile(owed, paid)
    return answered


async def allowances(
    ctx: OperationContext,
    period: str,
    department_code: str | None,
    status: str | None,
    orders: Sequence[AllowanceOrderBy],
    first: int | None,
    after: str | None,
) -> tuple[Page[Reconciliation], int]:
    """The reconciliation of a whole department (or the city) for a period, in `orders`
    (canonical: each key once) then by NIP.

    Nothing sppspm pays is dropped: an NIP e-kin does not know is a row of its own
    (UNKNOWN_EMPLOYEE). The city holds every such NIP with all its lines; a department
    those paid by its own requests (its code or a sub-unit's), with those requests'
    lines only, so a department system sees its own payments and no other department's,
    and the departments' unknown rows add up to the city's. An employee's row is theirs
    wherever they are paid from, as before.

    The status is only known after both systems are read, so the list is joined here,
    ordered and paged in memory: two statements whatever the page (a third, for a
    department, when its requests pay NIPs that are not its staff: are they anybody's?).
    """
    size = cursors.page_size(first)
    position = cursors.allowance_after(orders, after)
    units = (
        units_of_department(ctx.crosswalk, ctx.fiscal_year, department_code)
        if department_code is not None
        else None
    )
    ledger = await allowance_ledger(ctx.reads, [period], units, department_code)
    rows = [r for r in ledger.rows(period, department_code) if status is None or r.status == status]
    total = len(rows)
    rows = ordered(rows, orders)
    if position is not None:
        values, nip = position
        rows = [r for r in rows if comes_after(r, orders, values, nip)]
    return cut(rows[: size + 1], size), total


async def allowance_ledger(
    reads: SourcePair,
    periods: Sequence[str],
    units: Sequence[int] | None,
    department_code: str | None,
) -> AllowanceLedger:
    """Both sides of the reconciliation of `periods`, each source read once for all of
    them: e-kin's expectations of the staff of `units` (None: everybody) and every TPP
    line of the city. When only some units are read, one more statement asks e-kin
    whether the NIPs the department's requests pay that are not among them are anybody's
    (only then is an NIP that e-kin does not know told from another department's staff).
    """
    expected, lines = await asyncio.gather(
        reads.ekin.expected_allowances_of_periods(periods, unit_ids=units),
        reads.sppspm.allowance_payments_by_unit(periods),
    )
    staff: frozenset[str] = frozenset()
    if units is not None:
        paid_by = of_department(department_code) if department_code is not None else None
        strangers = sorted(
            {
                nip
                for period in periods
                for nip, code in lines[period]
                if nip not in expected[period] and (paid_by is None or paid_by(code))
            }
        )
        if strangers:
            staff = frozenset(await reads.ekin.known_nips(strangers))
    return AllowanceLedger(expected, lines, staff)


async def department_performance(
    ctx: OperationContext, key: DepartmentKey, period: str
) -> UnitsPerformance | None:
    return await ctx.loaders.department_performance.load((key, period))
