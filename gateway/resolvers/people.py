"""Employees, their positions, supervisors and activities."""

from __future__ import annotations

from datetime import date

from connectors.domain import ReviewStatus
from connectors.ekin.records import Activity, Person, PersonFilter, Position
from connectors.paging import Page
from gateway import cursors
from gateway.context import OperationContext
from gateway.errors import BadUserInput
from gateway.joins import units_of_department
from gateway.loaders import UnitScope

MAX_ACTIVITY_DAYS = 366


async def person(ctx: OperationContext, nip: str) -> Person | None:
    return await ctx.loaders.person.load(nip)


def unit_scope(units: list[int] | None, unit_id: int | None) -> UnitScope | None:
    """The e-kin units an employee list covers: some units (a department's), narrowed to
    one unit when asked; None for everybody."""
    if unit_id is not None:
        units = [u for u in (units if units is not None else [unit_id]) if u == unit_id]
    return None if units is None else tuple(sorted(units))


def top_level_scope(
    ctx: OperationContext, department_code: str | None, unit_id: int | None
) -> UnitScope | None:
    """The scope of `employees(filter:)`: an unknown department is an error there."""
    units = None
    if department_code is not None:
        units = units_of_department(ctx.crosswalk, ctx.fiscal_year, department_code)
    return unit_scope(units, unit_id)


async def employees(
    ctx: OperationContext,
    scope: UnitScope | None,
    person_filter: PersonFilter,
    first: int | None,
    after: str | None,
) -> Page[Person]:
    """A page of employees of some units (of everybody when scope is None), by NIP."""
    size = cursors.page_size(first)
    after_nip = cursors.decode_nip("employee", after)
    if scope is None:
        return await ctx.services.ekin.people_page(person_filter, after_nip, size)
    return await ctx.loaders.people_page.load((scope, (person_filter, after_nip, size)))


async def count_employees(
    ctx: OperationContext, scope: UnitScope | None, person_filter: PersonFilter
) -> int:
    if scope is None:
        return await ctx.services.ekin.people_count(person_filter)
    return await ctx.loaders.people_count.load((scope, person_filter))


async def position(ctx: OperationContext, position_id: int) -> Position | None:
    return await ctx.loaders.position.load(position_id)


async def supervisor(ctx: OperationContext, position_id: int) -> Person | None:
    return await ctx.loaders.supervisor.load(position_id)


async def subordinates(ctx: OperationContext, position_id: int) -> list[Person]:
    return await ctx.loaders.subordinates.load(position_id)


async def activities(
    ctx: OperationContext, nip: str, start: date, end: date, status: ReviewStatus | None
) -> list[Activity]:
    if end < start:
        raise BadUserInput(f"to ({end}) is before from ({start})", argument="to")
    if (end - start).days >= MAX_ACTIVITY_DAYS:
        raise BadUserInput(
            f"from..to spans {(end - start).days + 1} days; at most {MAX_ACTIVITY_DAYS}",
            argument="to",
        )
    return await ctx.loaders.activities.load((nip, (start, end, status)))
