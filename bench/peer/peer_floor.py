"""The SQL floor of a gateway query: the statements the gateway sends for it, with their
parameters, run by hand through asyncpg one after another.

PostGraphile serves one database, so the dashboard across e-kin and sppspm (Q4) has no
peer; the floor is what the gateway could not go below if everything but the SQL were
free. Each statement runs ten times on one connection: runs 2-5 have plans made for their
parameters; from the sixth run PostgreSQL may switch a prepared statement to a generic
plan, which for some statements is many times slower (issue 13, part 5).
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from peer_queries import FISCAL_YEAR

from gateway.access.tokens import mint
from gateway.app import build_services, create_app
from gateway.settings import AccessSettings, Settings
from tests.conftest import Databases

RUNS = 10


@dataclass(frozen=True)
class Statement:
    dsn: str
    sql: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Floor:
    statements: int
    custom_plans_ms: float
    after_fifth_run_ms: float
    slowest: str


async def statements_of(db: Databases, query: str) -> list[Statement]:
    """The statements an in-process gateway sends to answer `query` once, in order."""
    secret = secrets.token_urlsafe(32)
    settings = Settings(
        ekin_dsn=db.ekin_dsn,
        sppspm_dsn=db.sppspm_dsn,
        crosswalk=db.crosswalk,
        fiscal_year=FISCAL_YEAR,
        access=AccessSettings(jwt_secret=secret),
    )
    services = build_services(settings)
    sent: list[Statement] = []
    for source in (services.ekin, services.sppspm, *services.analytics):
        source.fetch = _recording(source.fetch, source.settings.dsn, sent)
    headers = {"Authorization": f"Bearer {mint(secret, role='ADMIN', sub='peer-bench')}"}
    transport = httpx.ASGITransport(app=create_app(settings, services))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            response = await client.post("/graphql", json={"query": query}, headers=headers)
            response.raise_for_status()
            if "errors" in response.json():
                raise RuntimeError(f"the gateway answered with errors: {response.text[:500]}")
    finally:
        await services.ekin.close()
        await services.sppspm.close()
    return sent


def _recording(
    fetch: Callable[..., Awaitable[list[asyncpg.Record]]], dsn: str, sent: list[Statement]
) -> Callable[..., Awaitable[list[asyncpg.Record]]]:
    async def recorded(sql: str, *args: Any) -> list[asyncpg.Record]:
        sent.append(Statement(dsn, sql, args))
        return await fetch(sql, *args)

    return recorded


async def timed_runs(statement: Statement) -> list[float]:
    """Milliseconds of each of RUNS runs of one statement on one connection."""
    conn = await asyncpg.connect(statement.dsn)
    try:
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            await conn.fetch(statement.sql, *statement.args)
            times.append((time.perf_counter() - started) * 1000)
        return times
    finally:
        await conn.close()


async def floor(db: Databases, query: str) -> Floor:
    """The statements of `query`, each timed by hand: the sums of their medians before and
    after the fifth run, and the statement that is slowest after it."""
    sent = await statements_of(db, query)
    custom, generic = [], []
    for statement in sent:
        times = await timed_runs(statement)
        custom.append(statistics.median(times[1:5]))
        generic.append(statistics.median(times[5:]))
    slowest = max(range(len(sent)), key=lambda i: generic[i])
    first_line = " ".join(sent[slowest].sql.split())[:70]
    return Floor(
        len(sent),
        sum(custom),
        sum(generic),
        f"{first_line}... {custom[slowest]:.0f} ms, then {generic[slowest]:.0f} ms",
    )
