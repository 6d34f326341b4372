"""Build the look-alike e-kin and sppspm databases: the `seed` entry point.

The data is generated in memory first (see the two connectors' generator modules), then
each database is created and loaded in one transaction: its DDL, one COPY per table,
serial sequences moved past the loaded ids. ANALYZE runs after the commit.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

from connectors.ekin.generator import COLUMNS as EKIN_COLUMNS
from connectors.ekin.generator import generate_ekin
from connectors.lookalike.plan import Plan, build_plan, parse_scale
from connectors.sppspm.generator import COLUMNS as SPPSPM_COLUMNS
from connectors.sppspm.generator import generate_sppspm
from gateway.crosswalk import Crosswalk, CrosswalkEntry

Row = tuple[object, ...]

# Serial columns whose sequences must continue after the loaded ids.
_SERIALS: dict[str, tuple[tuple[str, str], ...]] = {
    "ekin": (("skpd", "id"), ("jabatan", "id"), ("kinerja", "id")),
    "sppspm": (
        ("pejabat", "id"),
        ("anggaran", "id"),
        ("spp", "id"),
        ("spm", "id"),
        ("sp2d", "id"),
        ("riwayat_status", "id"),
        ("tpp_rincian", "id"),
    ),
}
_COLUMNS = {"ekin": EKIN_COLUMNS, "sppspm": SPPSPM_COLUMNS}

_DROP_PUBLIC_TABLES = """
do $$
declare t record;
begin
    for t in select tablename from pg_tables where schemaname = 'public' loop
        execute format('drop table if exists public.%I cascade', t.tablename);
    end loop;
end $$
"""


def demo_crosswalk(plan: Plan) -> Crosswalk:
    """The crosswalk file for a look-alike organisation."""
    return Crosswalk(CrosswalkEntry(*row) for row in plan.crosswalk_rows())


class SeedError(RuntimeError):
    """The seed cannot run; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class SeedReport:
    scale: str
    seed: int
    counts: dict[str, int]  # 'ekin.kinerja' -> rows loaded
    elapsed_seconds: float
    crosswalk_path: Path | None

    def summary(self) -> str:
        """Human-readable lines: the elapsed time, then one line per table."""
        lines = [f"seed scale={self.scale} seed={self.seed} in {self.elapsed_seconds:.1f}s"]
        lines += [f"  {table:<24} {count:>9,}" for table, count in self.counts.items()]
        if self.crosswalk_path:
            lines.append(f"  crosswalk written to {self.crosswalk_path}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True, slots=True)
class SeedData:
    """Everything the seed loads, generated in memory."""

    plan: Plan
    ekin: dict[str, list[Row]]
    sppspm: dict[str, list[Row]]


def build_seed_data(scale: str, seed: int) -> SeedData:
    """Generate both databases' rows; the same scale and seed always give the same rows."""
    plan = build_plan(scale)
    ekin = generate_ekin(plan, random.Random(f"smartgate:{seed}:ekin"))
    sppspm = generate_sppspm(plan, ekin.employees, random.Random(f"smartgate:{seed}:sppspm"))
    return SeedData(plan=plan, ekin=ekin.tables, sppspm=sppspm.tables)


async def seed(
    ekin_dsn: str,
    sppspm_dsn: str,
    *,
    scale: str = "small",
    seed: int = 1,
    crosswalk_path: Path | None = None,
    reset: bool = False,
) -> SeedReport:
    """Create and fill look-alike e-kin and sppspm databases.

    Refuses (SeedError) when either database already has tables in schema public,
    unless `reset`, which drops them first. Writes the crosswalk CSV to
    `crosswalk_path` when given.
    """
    started = time.perf_counter()
    try:
        parse_scale(scale)
    except ValueError as exc:
        raise SeedError(str(exc)) from None
    ekin = await _connect(ekin_dsn, "ekin")
    try:
        sppspm = await _connect(sppspm_dsn, "sppspm")
        try:
            await _check_targets(ekin, sppspm, reset)
            data = await asyncio.to_thread(build_seed_data, scale, seed)
            await asyncio.gather(
                _load(ekin, "ekin", data.ekin, reset),
                _load(sppspm, "sppspm", data.sppspm, reset),
            )
            await asyncio.gather(ekin.execute("analyze"), sppspm.execute("analyze"))
        finally:
            await sppspm.close()
    finally:
        await ekin.close()
    if crosswalk_path is not None:
        demo_crosswalk(data.plan).write(crosswalk_path)
    counts = {f"ekin.{t}": len(rows) for t, rows in data.ekin.items()}
    counts |= {f"sppspm.{t}": len(rows) for t, rows in data.sppspm.items()}
    return SeedReport(
        scale=scale,
        seed=seed,
        counts=counts,
        elapsed_seconds=round(time.perf_counter() - started, 3),
        crosswalk_path=crosswalk_path,
    )


async def _connect(dsn: str, name: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise SeedError(f"cannot connect to the {name} database: {exc}") from exc


async def _check_targets(ekin: asyncpg.Connection, sppspm: asyncpg.Connection, reset: bool) -> None:
    # Both systems have a table called skpd: they cannot share one database.
    sppspm_pid = await sppspm.fetchval("select pg_backend_pid()")
    same = await ekin.fetchval(
        "select exists(select 1 from pg_stat_activity"
        " where pid = $1 and datname = current_database())",
        sppspm_pid,
    )
    if same:
        raise SeedError("ekin and sppspm point to the same database; give each its own")
    if reset:
        return
    for name, conn in (("ekin", ekin), ("sppspm", sppspm)):
        tables = await conn.fetch(
            "select tablename from pg_tables where schemaname = 'public' order by tablename"
        )
        if tables:
            listed = ", ".join(t["tablename"] for t in tables[:4])
            more = ", ..." if len(tables) > 4 else ""
            raise SeedError(
                f"the {name} database already has {len(tables)} tables in schema public"
                f" ({listed}{more}); reset (--reset) drops them"
            )


async def _load(
    conn: asyncpg.Connection, system: str, tables: dict[str, list[Row]], reset: bool
) -> None:
    ddl = resources.files(f"connectors.{system}").joinpath("ddl.sql").read_text("utf-8")
    async with conn.transaction():
        if reset:
            await conn.execute(_DROP_PUBLIC_TABLES)
        await conn.execute(ddl)
        for table, columns in _COLUMNS[system].items():
            await conn.copy_records_to_table(
                table, records=tables[table], columns=columns, schema_name="public"
            )
        for table, column in _SERIALS[system]:
            # Identifiers come from _SERIALS above, never from input.
            await conn.execute(
                f"select setval(pg_get_serial_sequence('public.{table}', '{column}'),"
                f" coalesce(max({column}), 0) + 1, false) from public.{table}"
            )
