"""Employees, their positions, supervisors and activities."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Any

from connectors.domain import ReviewStatus
from connectors.ekin.records import (
    Activity,
    ActivityFilter,
    ActivityOrderBy,
    EmployeeOrderBy,
    OwnedActivity,
    Person,
    PersonFilter,
    Placed,
    Position,
)
from connectors.paging import Page
from gateway import cursors
from gateway.context import OperationContext
from gateway.day_windows import check_window
from gateway.loaders import UnitScope


def person(ctx: OperationContext, nip: str) -> Awaitable[Person | None]:
    return ctx.loaders.person.load(nip)


def page_args(
    order: tuple[EmployeeOrderBy, ...], first: int | None, after: str | None
) -> tuple[int, tuple[Any, ...] | None]:
    """The rows of a page of employees and the position it starts after, each checked
    (BAD_USER_INPUT)."""
    return cursors.page_size(first), cursors.employee_after(order, after)


async def employees(
    ctx: OperationContext,
    scope: UnitScope | None,
    person_filter: PersonFilter,
    order: tuple[EmployeeOrderBy, ...],
    size: int,
    position: tuple[Any, ...] | None,
) -> Page[Placed[Person]]:
    """A page of employees of some units (of everybody when scope is None) in a normalised
    ordering (`page_args`); the units' pages of one request are read in one statement."""
    if scope is None:
        return await ctx.reads.ekin.people_page(person_filter, order, position, size)
    return await ctx.loaders.people_page.load((scope, (person_filter, order, position, size)))


async def count_employees(
    ctx: OperationContext, scope: UnitScope | None, person_filter: PersonFilter
) -> int:
    if scope is None:
        return await ctx.reads.ekin.people_count(person_filter)
    return await ctx.loaders.people_count.load((scope, person_filter))


def position(ctx: OperationContext, position_id: int) -> Awaitable[Position | None]:
    return ctx.loaders.position.load(position_id)


def supervisor(ctx: OperationContext, position_id: int) -> Awaitable[Person | None]:
    return ctx.loaders.supervisor.load(position_id)


def subordinates(ctx: OperationContext, position_id: int) -> Awaitable[list[Person]]:
    return ctx.loaders.subordinates.load(position_id)


async def activities(
    ctx: OperationContext, nip: str, start: date, end: date, status: ReviewStatus | None
) -> list[Activity]:
    check_window(start, end)
    return await ctx.loaders.activities.load((nip, (start, end, status)))


async def activity_page(
    ctx: OperationContext,
    activity_filter: ActivityFilter,
    order: tuple[ActivityOrderBy, ...],
    first: int | None,
    after: str | None,
) -> Page[Placed[OwnedActivity]]:
    """A page of the activities a filter matches, in a normalised ordering."""
    size = cursors.page_size(first)
    position = cursors.activity_after(order, after)
    return await ctx.reads.ekin.activity_page(activity_filter, order, position, size)


async def count_activities(ctx: OperationContext, activity_filter: ActivityFilter) -> int:
    return await ctx.reads.ekin.activity_count(activity_filter)
