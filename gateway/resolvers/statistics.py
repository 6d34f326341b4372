"""Statistics for analysts, read through the analytics pools (`OperationContext.analytics`)
whoever asks: ad-hoc questions never hold the frontends' connections."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cmp_to_key, partial
from typing import Any

from connectors.domain import (
    ActivityDimension,
    EmployeeDimension,
    EmploymentType,
    PaymentRequestDimension,
    PositionKind,
)
from connectors.ekin.records import (
    ActivityFilter,
    ActivityStatsGroup,
    EmployeeStatsGroup,
    PersonFilter,
)
from connectors.sppspm.records import PaymentFilter, PaymentScope, RequestStatsGroup
from connectors.stats import StatsOrderBy, Summary, TimeBucket
from gateway.context import OperationContext
from gateway.errors import BadUserInput
from gateway.joins import (
    AllowanceDimension,
    AllowanceFact,
    DepartmentKey,
    Reconciliation,
    allowance_facts,
    unit_departments,
)
from gateway.resolvers import performance
from gateway.timebound.clock import ClockState


async def payment_request_stats(
    ctx: OperationContext,
    scope: PaymentScope,
    payment_filter: PaymentFilter,
    group_by: Sequence[PaymentRequestDimension],
    bucket: TimeBucket,
    order_by: Sequence[StatsOrderBy],
    first: int,
    clock_states: Mapping[int, ClockState],
) -> tuple[RequestStatsGroup, list[RequestStatsGroup]]:
    return await ctx.analytics.sppspm.request_stats(
        scope,
        payment_filter,
        list(dict.fromkeys(group_by)),
        bucket,
        order_by,
        first,
        {request_id: state.value for request_id, state in clock_states.items()},
    )


async def activity_stats(
    ctx: OperationContext,
    activity_filter: ActivityFilter,
    group_by: Sequence[ActivityDimension],
    bucket: TimeBucket,
    order_by: Sequence[StatsOrderBy],
    first: int,
) -> tuple[ActivityStatsGroup, list[ActivityStatsGroup]]:
    """Activity statistics in one statement on e-kin. DEPARTMENT groups the owners' units
    by the crosswalk of the current fiscal year, handed to that statement."""
    dimensions = list(dict.fromkeys(group_by))
    departments = (
        unit_departments(ctx.crosswalk, ctx.fiscal_year)
        if ActivityDimension.DEPARTMENT in dimensions
        else {}
    )
    return await ctx.analytics.ekin.activity_stats(
        activity_filter, dimensions, bucket, order_by, first, departments
    )


async def employee_stats(
    ctx: OperationContext,
    person_filter: PersonFilter,
    group_by: Sequence[EmployeeDimension],
    order_by: Sequence[StatsOrderBy],
    first: int,
) -> tuple[EmployeeStatsGroup, list[EmployeeStatsGroup]]:
    """Employee statistics in one statement on e-kin; DEPARTMENT as in `activity_stats`."""
    dimensions = list(dict.fromkeys(group_by))
    departments = (
        unit_departments(ctx.crosswalk, ctx.fiscal_year)
        if EmployeeDimension.DEPARTMENT in dimensions
        else {}
    )
    return await ctx.analytics.ekin.employee_stats(
        person_filter, dimensions, order_by, first, departments
    )


# -- allowances: both sources read once, met, filtered and grouped here ---------------------

MAX_ALLOWANCE_PERIODS = 24
"""How many months allowance statistics span at most (from..to, both included)."""

_CENT = Decimal("0.01")


def allowance_periods(start: str, end: str) -> list[str]:
    """The periods start..end, both included. `end` before `start`, or a span of more than
    MAX_ALLOWANCE_PERIODS months, is the client's error, refused before any SQL."""
    first = int(start[:4]) * 12 + int(start[5:7]) - 1
    last = int(end[:4]) * 12 + int(end[5:7]) - 1
    if last < first:
        raise BadUserInput(f"to ({end}) is before from ({start})", argument="to")
    if last - first >= MAX_ALLOWANCE_PERIODS:
        raise BadUserInput(
            f"from..to spans {last - first + 1} months; at most {MAX_ALLOWANCE_PERIODS}",
            argument="to",
        )
    return [f"{month // 12:04d}-{month % 12 + 1:02d}" for month in range(first, last + 1)]


@dataclass(frozen=True, slots=True)
class AllowanceCondition:
    """What an AllowanceFilter asks of a row of the reconciliation: every condition given
    holds. None is no condition; an empty tuple matches nothing. The rows are joined in
    the gateway, so the condition is checked here rather than in SQL."""

    department_codes: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    employment_types: tuple[EmploymentType, ...] | None = None
    position_kinds: tuple[PositionKind, ...] | None = None
    none_of: AllowanceCondition | None = None
    any_of: tuple[AllowanceCondition, ...] | None = None

    def holds(self, fact: AllowanceFact) -> bool:
        """Whether the row matches; a row without a department, employment type or
        position kind is matched by no list of them (so `not` of such a list keeps it)."""
        if self.department_codes is not None and (
            fact.department is None or fact.department[1] not in self.department_codes
        ):
            return False
        if self.statuses is not None and fact.row.status not in self.statuses:
            return False
        if self.employment_types is not None and fact.employment_type not in self.employment_types:
            return False
        if self.position_kinds is not None and fact.position_kind not in self.position_kinds:
            return False
        if self.none_of is not None and self.none_of.holds(fact):
            return False
        return self.any_of is None or any(c.holds(fact) for c in self.any_of)


@dataclass(frozen=True, slots=True)
class AllowanceStatsKey:
    """What a group of allowance rows shares: the dimensions asked for, None elsewhere."""

    department: DepartmentKey | None = None
    status: str | None = None
    period: str | None = None
    employment_type: EmploymentType | None = None
    position_kind: PositionKind | None = None


@dataclass(frozen=True, slots=True)
class AllowanceStatsGroup:
    key: AllowanceStatsKey
    count: int
    expected: Summary
    paid: Summary
    in_process: Summary
    difference: Summary


_ALLOWANCE_KEYS: dict[AllowanceDimension, tuple[str, Callable[[AllowanceFact], Any]]] = {
    AllowanceDimension.DEPARTMENT: ("department", lambda f: f.department),
    AllowanceDimension.STATUS: ("status", lambda f: f.row.status),
    AllowanceDimension.PERIOD: ("period", lambda f: f.row.period),
    AllowanceDimension.EMPLOYMENT_TYPE: ("employment_type", lambda f: f.employment_type),
    AllowanceDimension.POSITION_KIND: ("position_kind", lambda f: f.position_kind),
}
"""Each dimension's field of `AllowanceStatsKey` and its value for a row."""


async def allowance_stats(
    ctx: OperationContext,
    periods: Sequence[str],
    scope: str | None,
    condition: AllowanceCondition | None,
    group_by: Sequence[AllowanceDimension],
    order_by: Sequence[StatsOrderBy],
    first: int,
) -> tuple[AllowanceStatsGroup, list[AllowanceStatsGroup]]:
    """Allowance statistics over `periods`: both sources read once for all of them on the
    analytics pools, by the path of the `allowances` list (`performance.allowance_ledger`),
    reconciled per period, then filtered, grouped, measured, ordered and cut here. `scope`,
    a department, keeps only its rows, as its list shows them; its staff are read from the
    units the crosswalk gives it in the periods' years."""
    units = None
    if scope is not None:
        years = sorted({int(period[:4]) for period in periods})
        units = sorted({u for year in years for u in ctx.crosswalk.units_of(year, scope)})
    ledger = await performance.allowance_ledger(ctx.analytics, periods, units, scope)
    facts = [
        fact
        for period in periods
        for fact in allowance_facts(ledger, ctx.crosswalk, period)
        if (scope is None or (fact.department is not None and fact.department[1] == scope))
        and (condition is None or condition.holds(fact))
    ]
    return allowance_groups(facts, group_by, order_by, first)


def allowance_groups(
    facts: Sequence[AllowanceFact],
    group_by: Sequence[AllowanceDimension],
    order_by: Sequence[StatsOrderBy],
    first: int,
) -> tuple[AllowanceStatsGroup, list[AllowanceStatsGroup]]:
    """The total over `facts`, and one group per distinct key of the dimensions, ordered
    by `order_by` (ties by the key ascending, nulls last) and cut to `first`."""
    dimensions = list(dict.fromkeys(group_by))
    if not dimensions:
        return _allowance_group(AllowanceStatsKey(), [f.row for f in facts]), []
    members: dict[tuple[Any, ...], list[Reconciliation]] = {}
    values = [_ALLOWANCE_KEYS[d][1] for d in dimensions]
    for fact in facts:
        members.setdefault(tuple([value(fact) for value in values]), []).append(fact.row)
    names = [_ALLOWANCE_KEYS[d][0] for d in dimensions]
    groups = [
        (key, _allowance_group(AllowanceStatsKey(**dict(zip(names, key, strict=True))), rows))
        for key, rows in members.items()
    ]
    total = _allowance_total([group for _key, group in groups])
    groups.sort(key=cmp_to_key(partial(_compare_groups, order_by=order_by)))
    return total, [group for _key, group in groups[:first]]


def _allowance_total(groups: Sequence[AllowanceStatsGroup]) -> AllowanceStatsGroup:
    """The total of groups that part the rows among them (each row in one group)."""
    count = sum(g.count for g in groups)

    def merged(parts: list[Summary]) -> Summary:
        if count == 0:
            return _money([])
        total = sum((p.sum for p in parts), Decimal(0))
        return Summary(
            total,
            (total / count).quantize(_CENT, ROUND_HALF_UP),
            min(p.min for p in parts),
            max(p.max for p in parts),
        )

    return AllowanceStatsGroup(
        AllowanceStatsKey(),
        count,
        merged([g.expected for g in groups]),
        merged([g.paid for g in groups]),
        merged([g.in_process for g in groups]),
        merged([g.difference for g in groups]),
    )


def _allowance_group(key: AllowanceStatsKey, rows: Sequence[Reconciliation]) -> AllowanceStatsGroup:
    return AllowanceStatsGroup(
        key,
        len(rows),
        _money([r.expected for r in rows]),
        _money([r.paid for r in rows]),
        _money([r.in_process for r in rows]),
        _money([r.difference for r in rows]),
    )


def _money(values: Sequence[Decimal]) -> Summary:
    """An exact sum, the average rounded half-up to 2 places; avg, min, max None if empty."""
    if not values:
        return Summary(Decimal(0), None, None, None)
    total = sum(values, Decimal(0))
    average = (total / len(values)).quantize(_CENT, ROUND_HALF_UP)
    return Summary(total, average, min(values), max(values))


def _printed(value: Any) -> Any:
    """A key as it is compared: as printed (an enum by its name; a department by fiscal
    year, then code)."""
    return value.value if isinstance(value, enum.Enum) else value


def _compare_keys(a: Iterable[Any], b: Iterable[Any], descending: bool) -> int:
    """Keys dimension by dimension, nulls last either way."""
    for x, y in zip(map(_printed, a), map(_printed, b), strict=True):
        if x == y:
            continue
        if x is None or y is None:
            return 1 if x is None else -1
        return (1 if x < y else -1) if descending else (-1 if x < y else 1)
    return 0


def _compare_groups(
    a: tuple[tuple[Any, ...], AllowanceStatsGroup],
    b: tuple[tuple[Any, ...], AllowanceStatsGroup],
    order_by: Sequence[StatsOrderBy],
) -> int:
    """`order_by` applied in turn (SUM is the difference's sum), then the keys ascending."""
    (key_a, group_a), (key_b, group_b) = a, b
    for order in order_by:
        descending = order.name.endswith("_DESC")
        if order in (StatsOrderBy.KEY_ASC, StatsOrderBy.KEY_DESC):
            by_key = _compare_keys(key_a, key_b, descending)
            if by_key:
                return by_key
            continue
        if order in (StatsOrderBy.COUNT_ASC, StatsOrderBy.COUNT_DESC):
            x, y = Decimal(group_a.count), Decimal(group_b.count)
        else:
            x, y = group_a.difference.sum, group_b.difference.sum
        if x != y:
            return (1 if x < y else -1) if descending else (-1 if x < y else 1)
    return _compare_keys(key_a, key_b, False)
