"""Health of the sources and the data issues found when joining them."""

from __future__ import annotations

import asyncio

from connectors.source import Health
from gateway.context import OperationContext
from gateway.data_issues import DataIssue, find_data_issues


async def sources(ctx: OperationContext) -> list[Health]:
    """The health of the pools the caller's reads go through: an ANALYST-only caller
    learns about the analytics pools that serve them, everyone else about the main ones
    (`/readyz` reports both)."""
    return list(await asyncio.gather(*(source.check() for source in ctx.reads)))


async def data_issues(ctx: OperationContext, fiscal_year: int | None) -> list[DataIssue]:
    """A whole-city report (every unit, NIP and allowance line of a year): it reads
    through the analytics pools, whoever asks."""
    return await find_data_issues(ctx.analytics, ctx.crosswalk, fiscal_year or ctx.fiscal_year)
