"""Every statement of the connectors keeps its plan on its sixth run and its thousandth.

asyncpg prepares every statement, and from a prepared statement's sixth run on a
connection PostgreSQL may reuse a generic plan, made without the values, instead of
planning each run with its values. For batches whose size and reach differ by orders of
magnitude between requests, that plan can be far worse (at city scale, the TPP lines of a
dashboard took 1.9 s on their seventh run instead of 40 ms). Two defences are checked here:

1. The pool's connections plan each run with its values (`connectors.source`,
   `PLAN_CACHE_MODE`). Every statement of both connectors (the list of
   tests/test_index_use.py, which checks that it is complete) is prepared on a connection
   that starts its session as the pool's do, run seven times with batches of the medium
   data's size, and its seventh run must have the plan of its first: the same shape, no
   more rows read, no more buffers. Compared by `EXPLAIN (ANALYZE, BUFFERS, FORMAT
   JSON)`, never by time.
2. Batches of keys that no index serves meet their table as a set (`in (select
   unnest($1))`, a hash): even the generic plan (`force_generic_plan`) of those statements
   compares no row with every element of an array parameter.

The last tests show that each check fails where it should: on the spelling the statements
had before, and on a connection that lets PostgreSQL switch plans. The pool's release
costs no statement: a session keeps a timeout lowered for a request while the statements
that follow need about as much (`SessionConnection`), and changes it when one needs another.

`bench/statement_plans.py` times the same at city scale."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import pytest

from connectors.domain import BudgetLineOrderBy
from connectors.ekin import queries as ekin_queries
from connectors.nip import spellings
from connectors.source import (
    GENERIC_PLAN_MODE,
    UNKNOWN_TIMEOUT,
    PoolSettings,
    Source,
    session_settings,
    statement_deadline,
)
from connectors.sppspm import queries as sppspm_queries
from connectors.sppspm.filters import budget_line_condition, budget_line_sort_keys
from connectors.sppspm.records import BudgetLineFilter
from connectors.sql import Params
from tests.conftest import Databases
from tests.test_index_use import STATEMENTS, Keys, Statement, read_keys

RUNS = 7
"""PostgreSQL considers a generic plan from the sixth run of a prepared statement on."""


@dataclass(frozen=True)
class Explained:
    """What one run of a statement did, from EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)."""

    plan: dict[str, Any]

    @property
    def shape(self) -> tuple[object, ...]:
        """The plan's nodes: kind, table, index, join type, in tree order."""
        return _shape(self.plan)

    @property
    def rows_read(self) -> int:
        """Rows the plan's scans took from tables and indexes, kept or filtered out (0 for
        a plan that was not run)."""
        total = 0.0
        for node in nodes(self.plan):
            if "Relation Name" in node and "Actual Rows" in node:
                per_loop = (
                    node["Actual Rows"]
                    + node.get("Rows Removed by Filter", 0)
                    + node.get("Rows Removed by Index Recheck", 0)
                )
                total += per_loop * node["Actual Loops"]
        return round(total)

    @property
    def buffers(self) -> int:
        return int(self.plan.get("Shared Hit Blocks", 0) + self.plan.get("Shared Read Blocks", 0))


def _shape(node: dict[str, Any]) -> tuple[object, ...]:
    own = tuple(node.get(key) for key in ("Node Type", "Relation Name", "Index Name", "Join Type"))
    return (*own, tuple(_shape(child) for child in node.get("Plans", [])))


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


_names = itertools.count()


async def literals(conn: asyncpg.Connection, sql: str, args: Sequence[object]) -> list[str]:
    """The arguments as SQL literals of their parameters' types, for EXECUTE."""
    prepared = await conn.prepare(sql)
    return [
        await conn.fetchval(f"select quote_nullable($1::{t.schema}.{t.name}::text)", value)
        for t, value in zip(prepared.get_parameters(), args, strict=True)
    ]


async def first_and_last_run(
    conn: asyncpg.Connection,
    sql: str,
    args: Sequence[object],
    runs: int = RUNS,
    *,
    analyze: bool = True,
) -> tuple[Explained, Explained]:
    """The first and the `runs`-th run of `sql` prepared on `conn`, run with `args` each
    time, as PostgreSQL's plan cache chooses for the connection's session. Runs in a
    transaction that is rolled back, each run under a savepoint of its own, so that
    writes see the same rows every time and leave nothing behind. Not `analyze`: each run
    is planned (the plan cache counts it) but not run."""
    values = await literals(conn, sql, args)
    name = f"statement_plans_{next(_names)}"
    execute = f"execute {name}({', '.join(values)})" if values else f"execute {name}"
    explain = "explain (analyze, buffers, format json)" if analyze else "explain (format json)"
    explained: list[Explained] = []
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(f"prepare {name} as {sql}")
        for run in range(1, runs + 1):
            await conn.execute("savepoint run")
            if run in (1, runs):
                text = await conn.fetchval(f"{explain} {execute}")
                explained.append(Explained(json.loads(text)[0]["Plan"]))
            else:
                await conn.execute(execute if analyze else f"{explain} {execute}")
            await conn.execute("rollback to savepoint run")
    finally:
        await transaction.rollback()
        await conn.execute(f"deallocate {name}")  # a prepared statement outlives its transaction
    return explained[0], explained[-1]


def kept_its_plan(first: Explained, last: Explained) -> list[str]:
    """How the last run did worse than the first: another plan, more rows or buffers.
    Parallel workers may share a scan differently between runs: a little slack."""
    problems = []
    if last.shape != first.shape:
        problems.append(f"another plan: {first.shape} became {last.shape}")
    if last.rows_read > first.rows_read * 1.1 + 10:
        problems.append(f"rows read {first.rows_read} became {last.rows_read}")
    if last.buffers > first.buffers * 1.25 + 10:
        problems.append(f"buffers {first.buffers} became {last.buffers}")
    return problems


async def batch_keys(ekin: asyncpg.Connection, sppspm: asyncpg.Connection) -> Keys:
    """Keys in batches of the size the gateway sends on the medium data: every employee
    who logged activities, every request and budget line, every NIP in the three
    spellings sppspm uses (a department dashboard asks for thousands)."""
    keys = await read_keys(ekin, sppspm)
    logged = [r["nip"] for r in await ekin.fetch("select distinct nip from kinerja order by nip")]
    people = await ekin.fetch("select nip, id_skpd, id_jabatan from pegawai order by nip")
    requests = await sppspm.fetch("select id, nomor_spp from spp order by id")
    return replace(
        keys,
        nips=logged,
        unit_ids=sorted({r["id_skpd"] for r in people}),
        position_ids=sorted({r["id_jabatan"] for r in people}),
        request_ids=[r["id"] for r in requests],
        request_numbers=[r["nomor_spp"] for r in requests],
        budget_line_ids=[r["id"] for r in await sppspm.fetch("select id from anggaran")],
        official_nips=[spelling for r in people for spelling in spellings(r["nip"])],
    )


@pytest.fixture(scope="module")
async def pool_like(medium_db: Databases) -> AsyncIterator[dict[str, asyncpg.Connection]]:
    """A connection to each medium database whose session starts as the pool's do."""
    connections = {
        name: await asyncpg.connect(dsn, server_settings=session_settings(PoolSettings(dsn)))
        for name, dsn in (("ekin", medium_db.ekin_dsn), ("sppspm", medium_db.sppspm_dsn))
    }
    yield connections
    for conn in connections.values():
        await conn.close()


@pytest.fixture(scope="module")
async def keys(pool_like: dict[str, asyncpg.Connection]) -> Keys:
    return await batch_keys(pool_like["ekin"], pool_like["sppspm"])


PLANNED_NOT_RUN = {"INSERT_ORDER", "INSERT_DISBURSEMENT"}
"""Writes whose arguments from tests/test_index_use.py name a request that has its order,
and an order that has its disbursement, already (one of each per request): their runs are
planned, not run. One row by its key, the plan has nothing to read anyway."""


@pytest.mark.parametrize("statement", STATEMENTS, ids=lambda s: f"{s.database}.{s.name}")
async def test_the_seventh_run_keeps_the_plan_of_the_first(
    statement: Statement, pool_like: dict[str, asyncpg.Connection], keys: Keys
) -> None:
    conn = pool_like[statement.database]
    first, seventh = await first_and_last_run(
        conn, statement.sql, statement.args(keys), analyze=statement.name not in PLANNED_NOT_RUN
    )
    problems = kept_its_plan(first, seventh)
    assert not problems, f"{statement.name}: {problems}\n{json.dumps(seventh.plan, indent=1)}"


# A key compared with every element of an array parameter, row by row: `col = ANY ($2)` in
# a filter. In an index condition the array is looked up element by element instead.
ROW_BY_ROW = re.compile(r"= ANY \(\$\d+\)")


def compared_row_by_row(root: dict[str, Any]) -> list[str]:
    """The filters of a plan that compare each row with every element of an array
    parameter (a plan made with the values hashes a constant array; a generic one cannot)."""
    return [
        f"{node['Node Type']} {key}: {node[key]}"
        for node in nodes(root)
        for key in ("Filter", "Join Filter", "Hash Cond")
        if ROW_BY_ROW.search(node.get(key, ""))
    ]


BATCHES_NO_INDEX_SERVES = {
    # NIP spellings in tpp_rincian and pejabat, positions in jabatan.id_atasan, budget
    # lines in spp.id_anggaran, periods in tpp_rincian, documents in riwayat_status: no
    # index on any of them.
    "ALLOWANCE_LINES": (sppspm_queries.ALLOWANCE_LINES, "sppspm"),
    "HISTORY": (sppspm_queries.HISTORY, "sppspm"),
    "OFFICIALS_BY_NIP": (sppspm_queries.OFFICIALS_BY_NIP, "sppspm"),
    "BUDGET_LINES_BY_ID": (sppspm_queries.BUDGET_LINES_BY_ID, "sppspm"),
    "SUBORDINATES": (ekin_queries.SUBORDINATES, "ekin"),
}


def _statement(name: str) -> Statement:
    return next(s for s in STATEMENTS if s.name == name)


async def generic_plan(conn: asyncpg.Connection, sql: str, args: Sequence[object]) -> Explained:
    """The run of `sql` with the plan PostgreSQL makes without the values."""
    await conn.execute("set plan_cache_mode = force_generic_plan")
    try:
        _, run = await first_and_last_run(conn, sql, args, runs=1)
    finally:
        await conn.execute("reset plan_cache_mode")
    return run


@pytest.mark.parametrize("name", sorted(BATCHES_NO_INDEX_SERVES))
async def test_a_batch_no_index_serves_meets_its_table_as_a_set_even_in_a_generic_plan(
    name: str, pool_like: dict[str, asyncpg.Connection], keys: Keys
) -> None:
    sql, database = BATCHES_NO_INDEX_SERVES[name]
    statement = _statement(name)
    assert statement.sql == sql
    run = await generic_plan(pool_like[database], sql, statement.args(keys))
    assert not compared_row_by_row(run.plan), f"{name}: {compared_row_by_row(run.plan)}"


# -- statements that were slow at city scale whatever the plan cache did -------------------


async def one_run(conn: asyncpg.Connection, sql: str, args: Sequence[object]) -> Explained:
    """The first run of `sql` on `conn`, planned with its values."""
    run, _ = await first_and_last_run(conn, sql, args, runs=1)
    return run


def hashes_table(root: dict[str, Any], table: str) -> bool:
    """Whether the plan builds a hash table of `table`'s rows."""
    return any(
        node["Node Type"] == "Hash" and any(n.get("Relation Name") == table for n in nodes(node))
        for node in nodes(root)
    )


def aggregates_run_again(root: dict[str, Any]) -> list[int]:
    """How many times each aggregate that runs more than once runs (a nested loop that
    scans its output again for each row of the other side)."""
    return [
        node["Actual Loops"]
        for node in nodes(root)
        if node["Node Type"] == "Aggregate" and node["Actual Loops"] > 1
    ]


async def test_a_page_of_requests_reads_the_history_once_and_hashes_only_its_documents(
    pool_like: dict[str, asyncpg.Connection], keys: Keys
) -> None:
    """One scan of the history, in this process, which keeps a row by one hashed look-up
    of its document id: anything hashed later holds the rows kept, not the history."""
    conn = pool_like["sppspm"]
    history = await conn.fetchval("select count(*) from riwayat_status")
    run = await one_run(conn, sppspm_queries.HISTORY, (keys.request_ids[:200],))
    shown = json.dumps(run.plan, indent=1)
    scans = [n for n in nodes(run.plan) if n.get("Relation Name") == "riwayat_status"]
    assert len(scans) == 1, shown
    (scan,) = scans
    assert scan["Node Type"] == "Seq Scan" and not scan["Parallel Aware"], shown
    assert "hashed SubPlan" in scan.get("Filter", ""), shown
    assert scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0) == history, shown
    assert scan["Actual Rows"] < history / 10, shown
    assert not any(n["Node Type"] in ("Gather", "Gather Merge") for n in nodes(run.plan)), shown


# The history of requests by ids, written plainly: every document joined with its rows.
PLAIN_HISTORY = """
select d.spp_id, r.dokumen, r.status_lama, r.status_baru, r.nip, r.waktu, r.catatan
from riwayat_status r
join (
    select 'SPP' as kind, s.id, s.id as spp_id from spp s
    union all select 'SPM', m.id, m.id_spp from spm m
    union all select 'SP2D', d.id, m.id_spp from sp2d d join spm m on m.id = d.id_spm
) d on d.kind = r.dokumen and d.id = r.id_dokumen
where d.spp_id = any($1::int[])
order by 1, r.waktu, r.id
"""


async def test_the_history_compares_document_ids_before_it_looks_them_up(
    pool_like: dict[str, asyncpg.Connection], keys: Keys
) -> None:
    """A row whose document id lies outside the documents' least and greatest is dropped
    by comparison before the hashed look-up; the rows kept are the plain join's, for the
    newest requests, requests from all over and the two ends alone."""
    conn = pool_like["sppspm"]
    newest = [r["id"] for r in await conn.fetch("select id from spp order by id desc limit 200")]
    run = await one_run(conn, sppspm_queries.HISTORY, (newest,))
    (scan,) = (n for n in nodes(run.plan) if n.get("Relation Name") == "riwayat_status")
    condition = scan.get("Filter", "")
    assert -1 < condition.find("id_dokumen >=") < condition.find("hashed SubPlan"), condition
    ends = [min(keys.request_ids), max(keys.request_ids)]
    for ids in (newest, keys.request_ids, ends, []):
        kept = await conn.fetch(sppspm_queries.HISTORY, ids)
        assert kept == await conn.fetch(PLAIN_HISTORY, ids)
        assert kept or ids == [], ids


def budget_lines_page(scopes: sppspm_queries.Scopes | bool, year: int) -> tuple[str, list[Any]]:
    """A page of the city's budget lines of a year (one group without a department or a
    year), by absorption, and its arguments."""
    params = Params(start=sppspm_queries.PAGE_PARAMETERS_FROM)
    condition = budget_line_condition(BudgetLineFilter(fiscal_years=(year,)), params)
    sort = budget_line_sort_keys([BudgetLineOrderBy.ABSORPTION_DESC])
    sql = sppspm_queries.budget_lines_page(sort, condition, scopes)
    return sql, [[0], [None], [None], 101, *params.values]


async def test_a_city_wide_page_of_budget_lines_sums_their_use_once(
    pool_like: dict[str, asyncpg.Connection], keys: Keys
) -> None:
    city_wide = sppspm_queries.Scopes.of([None], [None])
    run = await one_run(pool_like["sppspm"], *budget_lines_page(city_wide, keys.fiscal_year))
    assert not aggregates_run_again(run.plan), json.dumps(run.plan, indent=1)


async def steps_of_one_request(conn: asyncpg.Connection, sql: str, keys: Keys) -> Explained:
    return await one_run(conn, sql, (keys.request_ids[:1],))


async def test_the_steps_of_one_request_group_only_its_history(
    pool_like: dict[str, asyncpg.Connection], keys: Keys
) -> None:
    """Grouped per document: one request's SPP history, and the SPM rejections (few)."""
    conn = pool_like["sppspm"]
    rejected_orders = await conn.fetchval(
        "select count(distinct id_dokumen) from riwayat_status"
        " where dokumen = 'SPM' and status_baru = 3"
    )
    run = await steps_of_one_request(conn, sppspm_queries.STEPS_BY_ID, keys)
    groups = [n["Actual Rows"] for n in nodes(run.plan) if n["Node Type"] == "Aggregate"]
    assert max(groups) <= max(rejected_orders, 1), json.dumps(run.plan, indent=1)


# -- each check fails where it should -------------------------------------------------------

ALLOWANCE_LINES_BEFORE = """
select r.periode, r.nip, r.nilai, s.id as spp_id, s.kode_skpd, s.status, m.status_spm,
       d.id is not null as disbursed
from tpp_rincian r
join spp s on s.id = r.id_spp
left join spm m on m.id_spp = s.id
left join sp2d d on d.id_spm = m.id
where r.periode = any($1::bpchar[]) and ($2::text[] is null or r.nip = any($2::text[]))
order by s.id, r.id
"""
"""The TPP lines as they were spelled before (`= any($2)`)."""


async def test_the_spelling_that_compared_row_by_row_would_be_caught(
    pool_like: dict[str, asyncpg.Connection], keys: Keys
) -> None:
    args = _statement("ALLOWANCE_LINES").args(keys)
    run = await generic_plan(pool_like["sppspm"], ALLOWANCE_LINES_BEFORE, args)
    assert compared_row_by_row(run.plan)


HISTORY_BEFORE = """
select h.spp_id, r.id, r.dokumen, r.status_lama, r.status_baru, r.nip, r.waktu, r.catatan
from (
    select s.id as spp_id, 'SPP' as dokumen, s.id as id_dokumen
    from spp s where s.id = any($1::int[])
  union all
    select m.id_spp, 'SPM', m.id from spm m where m.id_spp = any($1::int[])
  union all
    select m.id_spp, 'SP2D', d.id from spm m join sp2d d on d.id_spm = m.id
    where m.id_spp = any($1::int[])
) h
join riwayat_status r on r.dokumen = h.dokumen and r.id_dokumen = h.id_dokumen
order by h.spp_id, r.waktu, r.id
"""
"""A request's history as it was spelled before: joined with a union of the documents."""


async def test_the_history_joined_with_a_union_would_be_caught(
    pool_like: dict[str, asyncpg.Connection], keys: Keys
) -> None:
    run = await one_run(pool_like["sppspm"], HISTORY_BEFORE, (keys.request_ids[:200],))
    assert hashes_table(run.plan, "riwayat_status")


async def test_a_scope_written_as_a_disjunction_would_be_caught(
    pool_like: dict[str, asyncpg.Connection], keys: Keys
) -> None:
    """`False` spells the scope as before: `(g.prefix is null or ...)`."""
    run = await one_run(pool_like["sppspm"], *budget_lines_page(False, keys.fiscal_year))
    assert aggregates_run_again(run.plan)


async def test_steps_that_group_every_request_s_history_would_be_caught(
    pool_like: dict[str, asyncpg.Connection], keys: Keys
) -> None:
    every = sppspm_queries.request_steps("s.id = any($1::int[])")  # not narrowed: as before
    run = await steps_of_one_request(pool_like["sppspm"], every, keys)
    groups = [n["Actual Rows"] for n in nodes(run.plan) if n["Node Type"] == "Aggregate"]
    assert max(groups) > len(keys.request_ids) / 2


async def test_a_connection_that_lets_postgresql_switch_plans_would_be_caught(
    medium_db: Databases, keys: Keys
) -> None:
    """Without the pool's plan_cache_mode, the TPP lines as spelled before switch to the
    generic plan on their sixth run, which reads more: the check sees it."""
    settings = session_settings(PoolSettings(medium_db.sppspm_dsn)) | {"plan_cache_mode": "auto"}
    conn = await asyncpg.connect(medium_db.sppspm_dsn, server_settings=settings)
    try:
        args = _statement("ALLOWANCE_LINES").args(keys)
        first, seventh = await first_and_last_run(conn, ALLOWANCE_LINES_BEFORE, args)
    finally:
        await conn.close()
    assert kept_its_plan(first, seventh)


# -- the pool's session ---------------------------------------------------------------------


@pytest.fixture
async def one_connection(small_db: Databases) -> AsyncIterator[Source]:
    """A source whose pool holds one connection, so that each statement reuses it."""
    source = Source(
        PoolSettings(small_db.ekin_dsn, max_size=1, application_name="statement-plans-test")
    )
    await source.open()
    yield source
    await source.close()


async def _half_changed(source: Source, change: str) -> None:
    """Give the source's one connection back after `change`, with the setting it changed
    not known, as `SessionConnection` leaves a change that failed half way."""
    pool = await source._ensure_pool()
    conn = await pool.acquire()
    await conn.execute(change)
    if "statement_timeout" in change:
        conn.timeout_ms = UNKNOWN_TIMEOUT
    else:
        conn.generic_plans = None
    await pool.release(conn)


async def _last_statement_of(source: Source, sql_conn: asyncpg.Connection) -> str:
    """The last statement the source's one connection sent, as PostgreSQL saw it."""
    query: str = await sql_conn.fetchval(
        "select query from pg_stat_activity where application_name = $1",
        source.settings.application_name,
    )
    return query


async def test_the_pools_connections_plan_each_run_with_its_values(
    one_connection: Source,
) -> None:
    rows = await one_connection.fetch("select current_setting('plan_cache_mode') as mode")
    assert rows[0]["mode"] == "force_custom_plan"


async def test_a_statement_with_one_right_plan_may_reuse_a_generic_one(
    one_connection: Source, ekin_sql: asyncpg.Connection
) -> None:
    """A statement asked for with `generic_plans` runs with PostgreSQL's own choice; the
    session keeps it for the next such statement (no statement to switch), and the next
    statement without it, a transaction's included, is planned for its values again."""
    mode = "select current_setting('plan_cache_mode') as mode"
    generic = await one_connection.fetch(mode, generic_plans=True)
    assert generic[0]["mode"] == GENERIC_PLAN_MODE == "auto"
    await one_connection.fetch("select 'kept' as mark", generic_plans=True)
    assert await _last_statement_of(one_connection, ekin_sql) == "select 'kept' as mark"
    assert (await one_connection.fetch(mode))[0]["mode"] == "force_custom_plan"
    await one_connection.fetch(mode, generic_plans=True)
    async with one_connection.transaction() as tx:
        assert (await tx.fetch(mode))[0]["mode"] == "force_custom_plan"


async def test_a_change_of_plan_mode_that_failed_half_way_is_undone_on_release(
    one_connection: Source, ekin_sql: asyncpg.Connection
) -> None:
    await _half_changed(one_connection, "set plan_cache_mode = force_generic_plan")
    assert await _last_statement_of(one_connection, ekin_sql) == "reset plan_cache_mode"
    rows = await one_connection.fetch("select current_setting('plan_cache_mode') as mode")
    assert rows[0]["mode"] == "force_custom_plan"


async def test_a_released_connection_costs_no_statement(
    one_connection: Source, ekin_sql: asyncpg.Connection
) -> None:
    await one_connection.fetch("select 'released' as mark")
    assert await _last_statement_of(one_connection, ekin_sql) == "select 'released' as mark"


async def _timeout(source: Source, seconds_left: float | None = None) -> int:
    """The statement_timeout of the source's session, in ms, as a statement of a request
    with `seconds_left` of its budget sees it (None: no budget)."""
    token = None
    if seconds_left is not None:
        token = statement_deadline.set(asyncio.get_running_loop().time() + seconds_left)
    try:
        rows = await source.fetch(
            "select setting::int as ms from pg_settings where name = 'statement_timeout'"
        )
    finally:
        if token is not None:
            statement_deadline.reset(token)
    ms: int = rows[0]["ms"]
    return ms


async def test_a_timeout_lowered_for_a_request_is_kept_while_statements_need_about_as_much(
    one_connection: Source, ekin_sql: asyncpg.Connection
) -> None:
    """The session keeps a lowered timeout across a release, for the next statement that
    needs it to within the slack: requests of one role and the statements of one request
    pay no round trip for it."""
    usual = await _timeout(one_connection)
    lowered = await _timeout(one_connection, 3)
    await asyncio.sleep(0.05)  # a timeout set again would be 50 ms lower
    kept = await _timeout(one_connection, 3 - 0.05)
    assert usual == one_connection.settings.statement_timeout_ms
    assert 2_900 <= lowered <= 3_000
    assert kept == lowered
    assert await _last_statement_of(one_connection, ekin_sql) == (
        "select setting::int as ms from pg_settings where name = 'statement_timeout'"
    ), "the release cost a statement"


async def test_a_statement_that_needs_another_timeout_changes_the_sessions(
    one_connection: Source,
) -> None:
    lowered = await _timeout(one_connection, 3)
    tighter = await _timeout(one_connection, 1.5)
    usual = await _timeout(one_connection)
    about_usual = await _timeout(one_connection, 9.95)  # within the slack of the usual 10 s
    assert 2_900 <= lowered <= 3_000
    assert 1_400 <= tighter <= 1_500
    assert usual == about_usual == one_connection.settings.statement_timeout_ms


async def test_a_change_of_timeout_that_failed_half_way_is_undone_on_release(
    one_connection: Source, ekin_sql: asyncpg.Connection
) -> None:
    """A session whose timeout is not known (a change to it failed) is reset to the
    pool's own when the pool takes it back."""
    await _half_changed(one_connection, "set statement_timeout = 1234")
    assert await _last_statement_of(one_connection, ekin_sql) == "reset statement_timeout"
    assert await _timeout(one_connection) == one_connection.settings.statement_timeout_ms
