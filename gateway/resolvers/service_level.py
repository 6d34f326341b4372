"""Service clocks of payment requests and service levels over periods."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from connectors.sppspm.connector import EVERY_YEAR
from gateway.context import OperationContext
from gateway.errors import BadUserInput
from gateway.timebound.clock import NOT_STARTED, ClockState, ServiceClock, service_clock
from gateway.timebound.service_level import ServiceLevelFigures, service_level

MAX_DAYS = 731  # two years of a whole city is still a handful of statements


async def clock(ctx: OperationContext, request_id: int) -> ServiceClock:
    steps = await ctx.loaders.request_steps.load(request_id)
    if steps is None:
        return NOT_STARTED
    calendar = await ctx.services.calendar.current()
    return service_clock(steps, calendar, ctx.now)


def _check_days(start: date, end: date) -> None:
    if end < start:
        raise BadUserInput("to is before from", argument="to")
    if (end - start).days >= MAX_DAYS:
        raise BadUserInput(
            f"from..to spans {(end - start).days + 1} days; at most {MAX_DAYS} are summed at once",
            argument="to",
        )


async def figures(
    ctx: OperationContext, department_code: str | None, start: date, end: date
) -> ServiceLevelFigures:
    """The service level of requests submitted on the WIB days start..end, of one
    department (None: the whole city)."""
    _check_days(start, end)
    steps = await ctx.loaders.steps_submitted.load((department_code, (start, end)))
    calendar = await ctx.services.calendar.current()
    return service_level(steps, calendar, ctx.now, start, end)


async def requests_in_states(
    ctx: OperationContext,
    fiscal_years: tuple[int, ...] | None,
    wanted: Iterable[frozenset[ClockState]],
) -> dict[frozenset[ClockState], tuple[int, ...]]:
    """Ids of the requests of these fiscal years (None: every year) whose clock is now in
    each set of states: the clock conditions of a filter, which the lists then apply in
    SQL like any other condition. Each year's clocks are worked out once per operation,
    and for the whole city, so that the pages of several departments share one filter
    (and one statement)."""
    wanted = set(wanted)
    if not wanted:
        return {}
    states = await clock_states(ctx, [EVERY_YEAR] if fiscal_years is None else fiscal_years)
    return {
        asked: tuple(sorted(i for i, state in states.items() if state in asked)) for asked in wanted
    }


async def clock_states(ctx: OperationContext, years: Sequence[int]) -> dict[int, ClockState]:
    """The clock state of every request of these fiscal years, by id (each year worked
    out once per operation)."""
    found = await ctx.loaders.steps_of_year.load_many(list(years))
    calendar = await ctx.services.calendar.current()
    known = ctx.loaders.clock_states  # no await from here on: one computation per year
    states: dict[int, ClockState] = {}
    for year, requests in zip(years, found, strict=True):
        if year not in known:
            known[year] = {
                steps.id: service_clock(steps, calendar, ctx.now).state for steps in requests
            }
        states.update(known[year])
    return states
