"""Service clocks of payment requests and service levels over periods."""

from __future__ import annotations

from datetime import date

from connectors.sppspm.connector import EVERY_YEAR
from connectors.sppspm.records import PaymentScope
from gateway.context import OperationContext
from gateway.crosswalk import department_code_of
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


async def requests_in_state(
    ctx: OperationContext, scope: PaymentScope, fiscal_year: int | None, state: ClockState
) -> tuple[int, ...]:
    """Ids of the requests in `scope` whose clock is in `state` now (for the clockState
    filter, which the lists then apply in SQL like any other condition)."""
    year = fiscal_year if fiscal_year is not None else scope.fiscal_year
    requests = await ctx.loaders.steps_of_year.load(year if year is not None else EVERY_YEAR)
    calendar = await ctx.services.calendar.current()
    department = scope.department_code and department_code_of(scope.department_code)
    return tuple(
        steps.id
        for steps in requests
        if (department is None or department_code_of(steps.code) == department)
        and service_clock(steps, calendar, ctx.now).state is state
    )
