"""Health of the sources and the data issues found when joining them."""

from __future__ import annotations

import asyncio

from connectors.source import Health
from gateway.context import OperationContext
from gateway.data_issues import DataIssue, find_data_issues


async def sources(ctx: OperationContext) -> list[Health]:
    return list(await asyncio.gather(ctx.services.ekin.check(), ctx.services.sppspm.check()))


async def data_issues(ctx: OperationContext, fiscal_year: int | None) -> list[DataIssue]:
    return await find_data_issues(ctx.services, fiscal_year or ctx.fiscal_year)
