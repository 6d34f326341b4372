"""Employees, their positions, supervisors and activities."""

from __future__ import annotations

from datetime import date

from connectors.domain import ReviewStatus
from connectors.ekin.records import Activity, Person, PersonFilter, Position
from connectors.paging import Page
from gateway import cursors
from gateway.context import RequestContext
from gateway.errors import BadUserInput
from gateway.joins import DepartmentKey, units_of_department

MAX_ACTIVITY_DAYS = 366


async def person(ctx: RequestContext, nip: str) -> Person | None:
    return await ctx.loaders.person.load(nip)


async def people(ctx: RequestContext, nips: list[str]) -> list[Person]:
    found = await ctx.loaders.person.load_many(nips)
    return [p for p in found if p is not None]


def _after_nip(after: str | None) -> str | None:
    value = cursors.decode("employee", after)
    if value is not None and not isinstance(value, str):
        raise BadUserInput("after: not an employee cursor", argument="after")
    return value


def employee_scope(
    ctx: RequestContext, department_code: str | None, unit_id: int | None
) -> dict[int, list[int]] | None:
    """The units a top-level employee list covers; None for everybody."""
    scope: list[int] | None = None
    if department_code is not None:
        scope = units_of_department(ctx.crosswalk, ctx.fiscal_year, department_code)
    if unit_id is not None:
        scope = [u for u in (scope if scope is not None else [unit_id]) if u == unit_id]
    return None if scope is None else {0: scope}


async def employees(
    ctx: RequestContext,
    scope: dict[int, list[int]] | None,
    person_filter: PersonFilter,
    first: int | None,
    after: str | None,
) -> Page[Person]:
    """A page of employees, optionally within a department and/or one unit."""
    page = await ctx.services.ekin.people_pages(
        scope, person_filter, _after_nip(after), cursors.page_size(first)
    )
    return page if isinstance(page, Page) else page[0]


async def count_employees(
    ctx: RequestContext, scope: dict[int, list[int]] | None, person_filter: PersonFilter
) -> int:
    counts = await ctx.services.ekin.people_counts(scope, person_filter)
    return counts if isinstance(counts, int) else counts[0]


async def department_employees(
    ctx: RequestContext,
    key: DepartmentKey,
    person_filter: PersonFilter,
    first: int | None,
    after: str | None,
) -> Page[Person]:
    size = cursors.page_size(first)
    return await ctx.loaders.department_people.load((key, (person_filter, _after_nip(after), size)))


async def department_employee_count(
    ctx: RequestContext, key: DepartmentKey, person_filter: PersonFilter
) -> int:
    return await ctx.loaders.department_people_count.load((key, person_filter))


async def position(ctx: RequestContext, position_id: int) -> Position | None:
    return await ctx.loaders.position.load(position_id)


async def supervisor(ctx: RequestContext, position_id: int) -> Person | None:
    return await ctx.loaders.supervisor.load(position_id)


async def subordinates(ctx: RequestContext, position_id: int) -> list[Person]:
    return await ctx.loaders.subordinates.load(position_id)


async def activities(
    ctx: RequestContext, nip: str, start: date, end: date, status: ReviewStatus | None
) -> list[Activity]:
    if end < start:
        raise BadUserInput(f"to ({end}) is before from ({start})", argument="to")
    if (end - start).days >= MAX_ACTIVITY_DAYS:
        raise BadUserInput(
            f"from..to spans {(end - start).days + 1} days; at most {MAX_ACTIVITY_DAYS}",
            argument="to",
        )
    return await ctx.loaders.activities.load((nip, (start, end, status)))
