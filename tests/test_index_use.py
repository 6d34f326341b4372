"""Statements keyed by an indexed column reach their rows through that index.

e-kin's NIP columns are `char(18)`. Compared with a `text` parameter
(`nip = any($1::text[])`) PostgreSQL casts the column, not the parameter, and the index
on it goes unused: at city scale a month of one person's activities becomes a scan of
every activity. Here every statement of both connectors is planned on the suite's
PostgreSQL with sequential scans, hash joins and merge joins disabled, so that even on
small data the planner reaches rows through an index wherever one can serve. That is done
twice: as a custom plan for realistic values, and as the generic plan PostgreSQL switches
a prepared statement to after its fifth run (asyncpg prepares every statement). A table
still read whole (by a sequential scan, or through an index without a condition on its
leading column) is one no index serves: the statement must be known to read it whole,
with the reason written next to it below.

`bench/index_use.py` runs the same check at city scale and times the difference."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

import asyncpg
import pytest

from connectors.domain import (
    WIB,
    ActivityDimension,
    ActivityKind,
    BudgetLineOrderBy,
    EmployeeDimension,
    EmploymentType,
    LsKind,
    PaymentOrderBy,
    PaymentStatus,
    PaymentType,
    ReviewStatus,
)
from connectors.ekin import changes as ekin_changes
from connectors.ekin import connector as ekin_connector
from connectors.ekin import queries as ekin_queries
from connectors.ekin import statistics as ekin_statistics
from connectors.ekin import writes as ekin_writes
from connectors.ekin.connector import next_period_start, period_start, wib_midnight
from connectors.ekin.records import (
    ActivityFilter,
    ActivityOrderBy,
    EmployeeOrderBy,
    PersonFilter,
    VisibleRows,
)
from connectors.keyset import after as keyset_after
from connectors.sppspm import changes as sppspm_changes
from connectors.sppspm import connector as sppspm_connector
from connectors.sppspm import queries as sppspm_queries
from connectors.sppspm import writes as sppspm_writes
from connectors.sppspm.filters import (
    budget_line_condition,
    budget_line_sort_keys,
    payment_condition,
    payment_sort_keys,
)
from connectors.sppspm.records import BudgetLineFilter, PaymentFilter
from connectors.sql import Params, all_of
from connectors.stats import StatsOrderBy, TimeBucket
from tests.conftest import Databases

EKIN_MODULES = (ekin_queries, ekin_writes, ekin_changes, ekin_connector, ekin_statistics)
SPPSPM_MODULES = (sppspm_queries, sppspm_writes, sppspm_changes, sppspm_connector)


@dataclass(frozen=True)
class Keys:
    """Realistic parameters, read from the seeded databases."""

    nips: list[str]  # e-kin employees who logged activities
    month: tuple[datetime, datetime]  # WIB midnights: the first month with activities
    period: str  # a month with scores, 'YYYY-MM'
    unit_ids: list[int]
    position_ids: list[int]
    activity_ids: list[int]
    last_activity_id: int  # the newest activity
    fiscal_year: int
    department_code: str  # an OPD-level finance code of that year
    request_ids: list[int]
    request_numbers: list[str]
    budget_line_ids: list[int]
    official_nips: list[str]  # as `pejabat` spells them
    last_history_id: int  # the newest status change

    @property
    def prefixes(self) -> list[str]:
        return [self.department_code[: sppspm_queries.PREFIX_LENGTH]]


async def read_keys(ekin: asyncpg.Connection, sppspm: asyncpg.Connection) -> Keys:
    """Keys that exist in these databases, so that custom plans see real selectivity."""
    nips = [r["nip"] for r in await ekin.fetch("select nip from kinerja group by nip limit 3")]
    first = await ekin.fetchval("select min(tgl_mulai) from kinerja")
    month = first.astimezone(WIB).strftime("%Y-%m")
    people = await ekin.fetch(
        "select id_skpd, id_jabatan from pegawai where nip = any($1::bpchar[])", nips
    )
    year, code = await sppspm.fetchrow(
        "select tahun, kode_skpd from skpd where right(kode_skpd, 4) = '0000'"
        " order by tahun desc, kode_skpd limit 1"
    )
    requests = await sppspm.fetch("select id, nomor_spp from spp order by id limit 3")
    return Keys(
        nips=nips,
        month=(wib_midnight(period_start(month)), wib_midnight(next_period_start(month))),
        period=await ekin.fetchval("select max(periode) from skp_bulanan"),
        unit_ids=[r["id_skpd"] for r in people],
        position_ids=[r["id_jabatan"] for r in people],
        activity_ids=[
            r["id"] for r in await ekin.fetch("select id from kinerja order by id limit 3")
        ],
        last_activity_id=await ekin.fetchval("select max(id) from kinerja"),
        fiscal_year=year,
        department_code=code,
        request_ids=[r["id"] for r in requests],
        request_numbers=[r["nomor_spp"] for r in requests],
        budget_line_ids=[
            r["id"] for r in await sppspm.fetch("select id from anggaran order by id limit 3")
        ],
        official_nips=[
            r["nip"] for r in await sppspm.fetch("select nip from pejabat order by id limit 3")
        ],
        last_history_id=await sppspm.fetchval("select max(id) from riwayat_status"),
    )


@dataclass(frozen=True)
class Statement:
    """A connector's statement, its parameters, and the tables it may read whole."""

    database: str  # 'ekin' or 'sppspm'
    name: str  # the constant, for messages
    sql: str
    args: Callable[[Keys], Sequence[object]]
    reads_whole: frozenset[str] = frozenset()


def ekin(
    module: ModuleType, name: str, args: Callable[[Keys], Sequence[object]], *whole: str
) -> Statement:
    return Statement("ekin", name, getattr(module, name), args, frozenset(whole))


def sppspm(
    module: ModuleType, name: str, args: Callable[[Keys], Sequence[object]], *whole: str
) -> Statement:
    return Statement("sppspm", name, getattr(module, name), args, frozenset(whole))


def _ekin_keys(k: Keys | None) -> tuple[list[str], list[int], list[int], tuple[datetime, ...]]:
    """NIPs, units, positions and a month: the seed's (`k`), or stand-ins of the same shape
    that build the same statement text."""
    if k is None:
        month = (datetime(2026, 10, 1, tzinfo=WIB), datetime(2026, 11, 1, tzinfo=WIB))
        return ["0" * 18] * 3, [1, 2], [1, 2], month
    return k.nips, k.unit_ids, k.position_ids, k.month


def _people(k: Keys | None, order: tuple[EmployeeOrderBy, ...], grouped: bool) -> eq.Built:
    """A page of employees as a client composes it: a row rule, lists of values, `not` and
    `anyOf`, an ordering, after a position."""
    nips, units, positions, _ = _ekin_keys(k)
    f = PersonFilter(
        active=True,
        visible=VisibleRows(tuple(units), tuple(positions), tuple(nips[:1])),
        rank_in=("III/a", "IV/b"),
        none_of=PersonFilter(name_contains="budi", employment_type=EmploymentType.PPPK),
        any_of=(PersonFilter(unit_ids=tuple(units)), PersonFilter(rank="IX")),
    )
    position = {"NIP": (nips[0],), "RANK": (30, "Budi", nips[0]), "NAME": ("Budi", nips[0])}
    after = position[order[0].value.rsplit("_", 1)[0]]
    if grouped:
        return eq.grouped_people_page([0], units[:1], f, order, after, 21)
    return eq.people_page(f, order, after, 21)


def _people_count(k: Keys | None, grouped: bool) -> eq.Built:
    nips, units, positions, _ = _ekin_keys(k)
    f = PersonFilter(visible=VisibleRows((), tuple(positions), tuple(nips[:1])), active=True)
    return eq.grouped_people_count([0], units[:1], f) if grouped else eq.people_count(f)


def _activities(k: Keys | None, owner: str, count: bool) -> eq.Built:
    """A page (or the count) of activities in a month: of the city, of some NIPs, or of
    some units as a STAFF caller sees them, with lists of values, `not` and `anyOf`."""
    nips, units, positions, month = _ekin_keys(k)
    window = ActivityFilter(starts_from=month[0], starts_before=month[1])
    f = {
        "city": window,
        "nips": replace(
            window,
            nips=tuple(nips),
            statuses=(ReviewStatus.PENDING, ReviewStatus.APPROVED),
            none_of=ActivityFilter(kinds=(ActivityKind.LEAVE,)),
        ),
        "units": replace(
            window,
            unit_ids=tuple(units),
            visible=VisibleRows((), tuple(positions), tuple(nips[:1])),
            any_of=(ActivityFilter(kinds=(ActivityKind.WORK,)), ActivityFilter(nips=(nips[0],))),
        ),
    }[owner]
    kinds = {kind.value: code for kind, code in ekin_connector.KINERJA_KIND.items()}
    if count:
        return eq.activity_count(f, kinds)
    order = (ActivityOrderBy.MINUTES_DESC, ActivityOrderBy.STARTS_AT_ASC)
    return eq.activity_page(f, kinds, order, (60, month[0], 5), 21)


def _activity_stats(k: Keys | None, owner: str) -> eq.Built:
    """Activity statistics of a month as analysts ask them: of the city by department, unit
    and week; of some NIPs by department, employee, kind, status and day; of some units as
    STAFF see them, by employee."""
    nips, units, positions, month = _ekin_keys(k)
    window = ActivityFilter(starts_from=month[0], starts_before=month[1])
    d = ActivityDimension
    f, dimensions, bucket = {
        "city": (window, (d.DEPARTMENT, d.UNIT, d.STARTED), TimeBucket.WEEK),
        "nips": (
            replace(window, nips=tuple(nips), none_of=ActivityFilter(kinds=(ActivityKind.LEAVE,))),
            (d.DEPARTMENT, d.EMPLOYEE, d.KIND, d.STATUS, d.STARTED),
            TimeBucket.DAY,
        ),
        "units": (
            replace(
                window,
                unit_ids=tuple(units),
                visible=VisibleRows((), tuple(positions), tuple(nips[:1])),
            ),
            (d.EMPLOYEE,),
            TimeBucket.WEEK,
        ),
    }[owner]
    kinds = {kind.value: code for kind, code in ekin_connector.KINERJA_KIND.items()}
    departments = dict.fromkeys(units, "1.02.0.00.0.00.01.0000")
    statement, _ = ekin_statistics.activity_stats(
        f, kinds, dimensions, bucket, (StatsOrderBy.SUM_DESC,), 50, departments
    )
    return statement


def _employee_stats(k: Keys | None) -> eq.Built:
    """Employee statistics by every dimension, with a row rule, `not` and `anyOf`."""
    nips, units, positions, _ = _ekin_keys(k)
    f = PersonFilter(
        visible=VisibleRows(tuple(units), tuple(positions), tuple(nips[:1])),
        none_of=PersonFilter(rank_in=("III/a",)),
        any_of=(PersonFilter(active=True), PersonFilter(employment_type=EmploymentType.PPPK)),
    )
    statement, _ = ekin_statistics.employee_stats(
        f,
        ekin_connector.POSITION_KIND_NAMES,
        tuple(EmployeeDimension),
        (StatsOrderBy.COUNT_DESC,),
        50,
        dict.fromkeys(units, "1.02.0.00.0.00.01.0000"),
    )
    return statement


def built(name: str, build: Callable[[Keys | None], eq.Built], *whole: str) -> Statement:
    """An e-kin statement built from parts, planned with the seed's values."""
    return Statement("ekin", name, build(None).sql, lambda k: build(k).args, frozenset(whole))


def _scope(k: Keys) -> tuple[object, ...]:
    return ([0], k.prefixes, [k.fiscal_year])


ABOUT_PAGES = {
    "history": sppspm_queries.requests_page_history,
    "budget lines": sppspm_queries.requests_page_budget_lines,
}
"""Statements about the requests on pages, which find the pages as the page statements do."""


def _composed_sql(
    kind: str,
    page: bool,
    by_department: bool,
    k: Keys | None,
    one_group: bool = False,
    about: str = "",
) -> tuple[str, list[object]]:
    """A statement of a list with a filter and an ordering as a client composes them (every
    kind of condition, `not` and `anyOf`, several sort keys), and its condition's values;
    `about` ("history", "budget lines"): that of the requests on such a page instead."""
    year = k.fiscal_year if k else 2026
    params = Params(start=sq.PAGE_PARAMETERS_FROM if page else sq.COUNT_PARAMETERS_FROM)
    if kind == "requests":
        payment = PaymentFilter(
            fiscal_years=(year,),
            types=(PaymentType.LS, PaymentType.GU),
            account_code_prefix="5.1",
            requested_from=date(year, 1, 1),
            none_of=PaymentFilter(treasurer_nip="198609262015051001", budget_line_id=1),
            any_of=(
                PaymentFilter(statuses=(PaymentStatus.DISBURSED,), disbursed_to=date(year, 6, 1)),
                PaymentFilter(ls_kinds=(LsKind.ALLOWANCE,), min_amount=Decimal(1)),
            ),
        )
        sort = payment_sort_keys([PaymentOrderBy.DISBURSED_AT_DESC, PaymentOrderBy.NUMBER_ASC])
        condition = payment_condition(payment, params)
        after = [datetime(year, 3, 1, 9), "000001/SPP-LS", 5]
    else:
        line = BudgetLineFilter(
            fiscal_years=(year,),
            account_code_prefix="5.1",
            none_of=BudgetLineFilter(department_codes=("1.02.0.00.0.00.01.0000",)),
        )
        sort = budget_line_sort_keys([BudgetLineOrderBy.ABSORPTION_DESC])
        condition = budget_line_condition(line, params)
        after = [Decimal("0.5"), 5]
    if not page:
        build = sq.requests_count if kind == "requests" else sq.budget_lines_count
        return build(condition, by_department), params.values
    condition = all_of([condition, keyset_after(sort, after, params)])
    if about:
        return ABOUT_PAGES[about](sort, condition, by_department), params.values
    if kind == "budget lines":
        paged = sq.budget_lines_page
    else:
        paged = sq.one_group_requests_page if one_group else sq.requests_page
    return paged(sort, condition, by_department), params.values


def composed(
    kind: str,
    page: bool,
    by_department: bool,
    whole: frozenset[str],
    one_group: bool = False,
    about: str = "",
) -> Statement:
    def args(k: Keys) -> tuple[object, ...]:
        values = _composed_sql(kind, page, by_department, k, one_group, about)[1]
        scope = _scope(k) if by_department else ([0], [None], [None])
        return (*scope, *([21] if page else []), *values)

    name = f"{kind} {'page' if page else 'count'}, by_department={by_department}"
    if one_group:
        name += ", one group"
    if about:
        name = f"{about} of a {name}"
    sql = _composed_sql(kind, page, by_department, None, one_group, about)[0]
    return Statement("sppspm", name, sql, args, whole)


eq, ew, ec = ekin_queries, ekin_writes, ekin_changes
sq, sw, sc = sppspm_queries, sppspm_writes, sppspm_changes

# Every statement of both connectors. A table listed after the parameters is one the
# statement may read whole: it asks for every row, or no index serves what it asks (the
# layout is a fixed contract: adding an index is not ours to do).
STATEMENTS = [
    ekin(eq, "UNITS_BY_ID", lambda k: (k.unit_ids,)),
    ekin(eq, "ALL_UNITS", lambda k: (), "skpd"),  # every unit
    ekin(eq, "POSITIONS_BY_ID", lambda k: (k.position_ids,)),
    ekin(eq, "PEOPLE_BY_NIP", lambda k: (k.nips,)),
    ekin(eq, "KNOWN_NIPS", lambda k: (k.nips,)),
    ekin(eq, "ALL_NIPS", lambda k: (), "pegawai"),  # everybody
    # Holders of a position: pegawai.id_jabatan has no index.
    ekin(eq, "SUPERVISORS", lambda k: (k.position_ids,), "pegawai"),
    # Holders of the positions below: neither jabatan.id_atasan nor pegawai.id_jabatan
    # has an index, so one of the two is read whole.
    ekin(eq, "SUBORDINATES", lambda k: (k.position_ids,), "jabatan", "pegawai"),
    # Staff of units: pegawai.id_skpd has no index.
    # Staff of units, and of the city by what no index serves (name, rank, the row rule):
    # pegawai.id_skpd, nama and golongan have no index. By NIP the city's page starts at
    # the cursor through the primary key.
    *(
        built(
            f"people_page[{order[0].value}, grouped={grouped}]",
            lambda k, order=order, grouped=grouped: _people(k, order, grouped),
            "pegawai",
        )
        for order in (
            (EmployeeOrderBy.NIP_ASC,),
            (EmployeeOrderBy.RANK_DESC, EmployeeOrderBy.NAME_ASC),
            (EmployeeOrderBy.NAME_DESC,),
        )
        for grouped in (False, True)
    ),
    *(
        built(f"people_count[grouped={g}]", lambda k, g=g: _people_count(k, g), "pegawai")
        for g in (False, True)
    ),
    # Activities of a month. Of the city: no index leads with kinerja.tgl_mulai (the window
    # is all there is to go by). Of some NIPs: through kinerja (nip, tgl_mulai). Of units
    # or as STAFF see them: the owners are found in pegawai (no index on id_skpd or
    # id_jabatan), then each one's month through kinerja (nip, tgl_mulai).
    built("activity_page[city]", lambda k: _activities(k, "city", False), "kinerja"),
    built("activity_count[city]", lambda k: _activities(k, "city", True), "kinerja"),
    built("activity_page[nips]", lambda k: _activities(k, "nips", False)),
    built("activity_count[nips]", lambda k: _activities(k, "nips", True)),
    built("activity_page[units]", lambda k: _activities(k, "units", False), "pegawai"),
    built("activity_count[units]", lambda k: _activities(k, "units", True), "pegawai"),
    # Statistics of activities read them as the list does (above); of employees, pegawai
    # whole (no index on what they group or filter by), each one's position by its key.
    built("activity_stats[city]", lambda k: _activity_stats(k, "city"), "kinerja"),
    built("activity_stats[nips]", lambda k: _activity_stats(k, "nips")),
    built("activity_stats[units]", lambda k: _activity_stats(k, "units"), "pegawai"),
    built("employee_stats", _employee_stats, "pegawai"),
    ekin(eq, "POSITIONS_BELOW", lambda k: (k.nips[0],), "jabatan"),  # by jabatan.id_atasan
    ekin(eq, "ACTIVITIES", lambda k: (k.nips, *k.month, False, None)),
    ekin(eq, "ACTIVITIES_BY_ID", lambda k: (k.activity_ids,)),
    ekin(eq, "MONTHLY_SCORES", lambda k: (k.nips, k.period, period_start(k.period))),
    ekin(
        eq,
        "EXPECTED_ALLOWANCES_OF_PEOPLE",
        lambda k: ([k.period], [period_start(k.period)], k.nips, None),
        # each class's basis and the bands in force on each period's first day, worked
        # out once per period from tables of a few dozen rows
        "tpp_basis",
        "tpp_persentase",
    ),
    ekin(
        eq,
        "EXPECTED_ALLOWANCES_OF_UNITS",
        lambda k: ([k.period], [period_start(k.period)], k.unit_ids),
        "pegawai",  # by pegawai.id_skpd
        "tpp_basis",
        "tpp_persentase",
    ),
    ekin(
        eq,
        "UNITS_PERFORMANCE",
        lambda k: ([0], k.unit_ids[:1], k.period, *k.month),
        "pegawai",  # by pegawai.id_skpd
    ),
    ekin(ew, "LOCK", lambda k: ("ekin:kinerja-ref:index-use",)),
    ekin(ew, "ACTIVITY_BY_REFERENCE", lambda k: ("index-use",)),
    ekin(ew, "EMPLOYEE_FOR_UPDATE", lambda k: (k.nips[0],)),
    ekin(ew, "OVERLAPPING", lambda k: (k.nips[0], *k.month)),
    ekin(
        ew,
        "INSERT_ACTIVITY",
        lambda k: (
            k.nips[0],
            k.month[0],
            k.month[0] + timedelta(hours=1),
            "kinerja",
            "rapat",
            None,
            None,
            60,
            None,
        ),
    ),
    ekin(ew, "ACTIVITY_FOR_UPDATE", lambda k: (k.activity_ids[0],)),
    ekin(ew, "SET_REVIEW", lambda k: (k.activity_ids[0], True, None, k.nips[1])),
    ekin(ec, "LAST_ACTIVITY_ID", lambda k: ()),
    ekin(ec, "PENDING_IDS", lambda k: (), "kinerja"),  # kinerja.approve has no index
    ekin(ec, "ACTIVITIES_AFTER", lambda k: (k.last_activity_id - 5, k.activity_ids, 100)),
    ekin(ec, "REVIEWED_AMONG", lambda k: (k.activity_ids,)),
    sppspm(sq, "UNITS_BY_KEY", lambda k: ([k.fiscal_year], [k.department_code])),
    sppspm(sq, "UNIT_BY_KEY", lambda k: (k.fiscal_year, k.department_code)),
    sppspm(sq, "DEPARTMENTS_OF_YEAR", lambda k: (k.fiscal_year,)),
    sppspm(sq, "ALL_CODES", lambda k: (), "skpd"),  # every code
    # pejabat has no index but its primary key (not on nip, not on tahun).
    sppspm(sq, "OFFICIALS_BY_NIP", lambda k: (k.official_nips, k.fiscal_year), "pejabat"),
    sppspm(sq, "OFFICIALS_OF_YEAR", lambda k: (k.fiscal_year,), "pejabat"),
    sppspm(sq, "REQUESTS_BY_ID", lambda k: (k.request_ids,)),
    sppspm(sq, "REQUESTS_BY_NUMBER", lambda k: (k.request_numbers,)),
    # Requests of departments or of the city, filtered and ordered as a client composes:
    # spp has no index on (tahun, kode_skpd), nor on what filters compare.
    *(
        composed("requests", page, by_department, frozenset({"spp"}))
        for page in (True, False)
        for by_department in (True, False)
    ),
    *(
        composed("requests", True, by_department, frozenset({"spp"}), one_group=True)
        for by_department in (True, False)
    ),
    # riwayat_status has no index on (dokumen, id_dokumen).
    sppspm(sq, "HISTORY", lambda k: (k.request_ids,), "riwayat_status"),
    # The same, and the budget lines below, of the requests on such pages, found as the
    # page statement finds them.
    *(
        composed(
            "requests",
            True,
            by_department,
            frozenset({"spp", "riwayat_status"}),
            about=about,
        )
        for about in ABOUT_PAGES
        for by_department in (True, False)
    ),
    # Use of a budget line: spp.id_anggaran has no index.
    sppspm(sq, "BUDGET_LINES_BY_ID", lambda k: (k.budget_line_ids,), "spp"),
    # A department's lines and their use: anggaran and spp have no index on the code or
    # the year.
    sppspm(sq, "BUDGET_TOTALS", _scope, "anggaran", "spp"),
    *(
        composed("budget lines", page, by_department, frozenset({"anggaran", "spp"}))
        for page in (True, False)
        for by_department in (True, False)
    ),
    # tpp_rincian has no index on periode or nip.
    sppspm(sq, "ALLOWANCE_LINES", lambda k: ([k.period], k.official_nips), "tpp_rincian"),
    # Data-quality reports read every row of a year (no table is indexed by year).
    sppspm(sq, "NIP_SPELLINGS", lambda k: (k.fiscal_year,), "pejabat", "tpp_rincian", "spp"),
    sppspm(sq, "ORPHAN_ALLOWANCE_LINES", lambda k: (k.fiscal_year,), "tpp_rincian"),
    sppspm(sq, "HOLIDAYS", lambda k: (), "hari_libur"),  # every holiday
    # A request's steps: riwayat_status has no index on (dokumen, id_dokumen).
    sppspm(sq, "STEPS_BY_ID", lambda k: (k.request_ids,), "riwayat_status"),
    # Every request of some years, or of all, with its whole history.
    *(
        sppspm(sq, name, args, "riwayat_status", "spp")
        for name, args in (
            ("STEPS_OF_YEARS", lambda k: ([k.fiscal_year],)),
            ("STEPS_OF_ALL_YEARS", lambda k: ()),
        )
    ),
    sppspm(
        sq,
        "STEPS_SUBMITTED_BETWEEN",
        lambda k: (k.prefixes, k.month[0].replace(tzinfo=None), k.month[1].replace(tzinfo=None)),
        "riwayat_status",
        "spp",  # by submission time, through the history: no index serves it
    ),
    sppspm(sw, "LOCK", lambda k: ("sppspm:spp-ref:index-use",)),
    # tpp_rincian.id_spp has no index.
    sppspm(sw, "REQUEST_BY_REFERENCE", lambda k: ("index-use",), "tpp_rincian"),
    sppspm(
        sw,
        "UNIT_AND_TREASURER",
        lambda k: (k.fiscal_year, k.department_code, k.department_code),
        "pejabat",  # no index but the primary key
    ),
    sppspm(sw, "BUDGET_LINE_FOR_UPDATE", lambda k: (k.budget_line_ids[0],)),
    sppspm(sw, "LINE_COMMITTED", lambda k: (k.budget_line_ids[0],), "spp"),  # by id_anggaran
    # The next number of a unit's year: spp has no index on (tahun, kode_skpd).
    sppspm(sw, "NEXT_REQUEST_SEQUENCE", lambda k: (k.fiscal_year, k.department_code), "spp"),
    sppspm(sw, "NEXT_ORDER_SEQUENCE", lambda k: (k.fiscal_year, k.department_code), "spp"),
    sppspm(sw, "NEXT_DISBURSEMENT_SEQUENCE", lambda k: (k.fiscal_year,), "spp"),
    sppspm(
        sw,
        "INSERT_REQUEST",
        lambda k: (
            "000001/SPP-LS/index-use",
            k.fiscal_year,
            k.department_code,
            "LS",
            "TPP",
            k.budget_line_ids[0],
            Decimal("1000.00"),
            "TPP",
            k.official_nips[0],
            None,
        ),
    ),
    sppspm(
        sw,
        "INSERT_ALLOWANCE_LINE",
        lambda k: (k.request_ids[0], k.period, k.official_nips[0], Decimal("1000.00")),
    ),
    sppspm(
        sw,
        "INSERT_HISTORY",
        lambda k: (["SPP"], [k.request_ids[0]], [None], [1], [k.official_nips[0]], [None]),
    ),
    sppspm(sw, "REQUEST_FOR_UPDATE", lambda k: (k.request_ids[0],)),
    # When it was rejected: riwayat_status has no index on (dokumen, id_dokumen).
    sppspm(sw, "REQUEST_STATE", lambda k: (k.request_ids[0],), "riwayat_status"),
    sppspm(
        sw,
        "INSERT_ORDER",
        lambda k: (k.request_ids[0], "index-use/03.0/000001/LS", k.official_nips[0]),
    ),
    sppspm(
        sw,
        "INSERT_DISBURSEMENT",
        lambda k: (
            k.request_ids[0],
            "index-use/04.0/000001/LS",
            Decimal("900.00"),
            k.official_nips[0],
        ),
    ),
    sppspm(sw, "WIB_TODAY", lambda k: ()),
    sppspm(sw, "SET_REQUEST_STATUS", lambda k: (k.request_ids[0], 2, None)),
    sppspm(sw, "SET_ORDER_STATUS", lambda k: (k.request_ids[0], 2, None)),
    sppspm(sc, "LAST_HISTORY_ID", lambda k: ()),
    sppspm(sc, "HISTORY_AFTER", lambda k: (k.last_history_id - 5, [k.last_history_id - 9], 100)),
]

_SQL_START = re.compile(r"\s*(select|with|insert|update|delete)\b", re.IGNORECASE)


def statements_of(module: ModuleType) -> Iterator[tuple[str, str]]:
    """(name, SQL) of each public statement constant of a module, dicts of them included."""
    for name, value in vars(module).items():
        if name.startswith("_") or not name.isupper():
            continue
        values = value.values() if isinstance(value, dict) else [value]
        for sql in values:
            if isinstance(sql, str) and _SQL_START.match(sql):
                yield name, sql


_explained = itertools.count()


async def plan(
    conn: asyncpg.Connection, sql: str, args: Sequence[object], *, generic: bool
) -> dict[str, Any]:
    """The plan PostgreSQL makes for `sql` prepared and run with `args`: the custom plan
    for these values, or (`generic`) the one it reuses for any values, as it does once a
    prepared statement has run five times and the generic plan looks no dearer."""
    prepared = await conn.prepare(sql)
    # EXECUTE takes literals: let the server write each value in its parameter's type.
    literals = [
        await conn.fetchval(f"select quote_nullable($1::{t.schema}.{t.name}::text)", value)
        for t, value in zip(prepared.get_parameters(), args, strict=True)
    ]
    name = f"index_use_{next(_explained)}"
    mode = "force_generic_plan" if generic else "force_custom_plan"
    await conn.execute(f"set plan_cache_mode = {mode}; prepare {name} as {sql}")
    try:
        execute = f"execute {name}({', '.join(literals)})" if literals else f"execute {name}"
        explained = await conn.fetchval(f"explain (format json) {execute}")
    finally:
        await conn.execute(f"deallocate {name}; reset plan_cache_mode")
    root: dict[str, Any] = json.loads(explained)[0]["Plan"]
    return root


def plan_nodes(
    node: dict[str, Any], parent: dict[str, Any] | None = None
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Every node of a plan with its parent."""
    yield node, parent
    for child in node.get("Plans", []):
        yield from plan_nodes(child, node)


IndexLeaders = dict[str, tuple[str, str]]
"""index name -> (its table, its leading column)"""

INDEX_LEADERS = """
select i.relname as index, t.relname as "table", a.attname as leading
from pg_index x
join pg_class i on i.oid = x.indexrelid
join pg_class t on t.oid = x.indrelid
join pg_attribute a on a.attrelid = t.oid and a.attnum = x.indkey[0]
where t.relnamespace = 'public'::regnamespace
"""


async def index_leaders(conn: asyncpg.Connection) -> IndexLeaders:
    return {r["index"]: (r["table"], r["leading"]) for r in await conn.fetch(INDEX_LEADERS)}


def tables_read_whole(root: dict[str, Any], leaders: IndexLeaders) -> set[str]:
    """Tables the plan reads from start to end: by a sequential scan, or through an index
    whose leading column is not in the index condition. That is a full scan, or a skip
    scan, which is what PostgreSQL 18 makes of the index on `kinerja (nip, tgl_mulai)`
    when the NIP condition cannot use it. A full scan that stops after the first rows (a
    `max(id)`: a limit over an index scan without a filter) reads no more than it needs."""
    tables = set()
    for node, parent in plan_nodes(root):
        if node["Node Type"] == "Seq Scan":
            tables.add(node["Relation Name"])
        elif "Index Name" in node:
            table, leading = leaders[node["Index Name"]]
            constrained = re.search(rf"(?<![\w.]){leading}\b", node.get("Index Cond", ""))
            first_rows = parent is not None and parent["Node Type"] == "Limit"
            if not constrained and not (first_rows and "Filter" not in node):
                tables.add(table)
    return tables


# A char(18) NIP column cast for a comparison: `(nip)::text`, `(p.nip)::text`.
NIP_COLUMN_CAST = re.compile(r"\((?:\w+\.)?(?:nip|approved_by)\)::text\b")


def nip_casts(root: dict[str, Any]) -> list[str]:
    """Conditions of the plan that cast an e-kin NIP column to text."""
    return [
        f"{node['Node Type']} {key}: {value}"
        for node, _ in plan_nodes(root)
        for key, value in node.items()
        if isinstance(value, str) and NIP_COLUMN_CAST.search(value)
    ]


@pytest.fixture(scope="module")
async def connections(small_db: Databases) -> AsyncIterator[dict[str, asyncpg.Connection]]:
    """A connection to each database that plans with sequential scans, hash joins and
    merge joins disabled: the planner then reaches rows through an index wherever one can
    serve, even in a tiny table, and joins by looking rows up in the index of the other
    side."""
    settings = {"enable_seqscan": "off", "enable_hashjoin": "off", "enable_mergejoin": "off"}
    ekin_conn = await asyncpg.connect(small_db.ekin_dsn, server_settings=settings)
    sppspm_conn = await asyncpg.connect(small_db.sppspm_dsn, server_settings=settings)
    yield {"ekin": ekin_conn, "sppspm": sppspm_conn}
    await ekin_conn.close()
    await sppspm_conn.close()


@pytest.fixture(scope="module")
async def keys(connections: dict[str, asyncpg.Connection]) -> Keys:
    return await read_keys(connections["ekin"], connections["sppspm"])


PLANS = pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])


@PLANS
@pytest.mark.parametrize("statement", STATEMENTS, ids=lambda s: f"{s.database}.{s.name}")
async def test_a_table_with_an_index_for_the_condition_is_not_scanned(
    statement: Statement,
    generic: bool,
    connections: dict[str, asyncpg.Connection],
    keys: Keys,
) -> None:
    root = await plan(
        connections[statement.database], statement.sql, statement.args(keys), generic=generic
    )
    leaders = await index_leaders(connections[statement.database])
    unexpected = tables_read_whole(root, leaders) - statement.reads_whole
    assert not unexpected, (
        f"{statement.name} reads {sorted(unexpected)} whole although an index could serve it:"
        f"\n{json.dumps(root, indent=1)}"
    )


@PLANS
@pytest.mark.parametrize(
    "statement", [s for s in STATEMENTS if s.database == "ekin"], ids=lambda s: s.name
)
async def test_ekin_nip_columns_are_compared_as_char_not_cast_to_text(
    statement: Statement,
    generic: bool,
    connections: dict[str, asyncpg.Connection],
    keys: Keys,
) -> None:
    root = await plan(connections["ekin"], statement.sql, statement.args(keys), generic=generic)
    assert not nip_casts(root), f"{statement.name}: {nip_casts(root)}"


@pytest.mark.parametrize(
    ("database", "modules"), [("ekin", EKIN_MODULES), ("sppspm", SPPSPM_MODULES)]
)
def test_every_statement_of_the_connectors_is_checked(
    database: str, modules: tuple[ModuleType, ...]
) -> None:
    checked = {s.sql for s in STATEMENTS if s.database == database}
    missing = sorted(
        f"{module.__name__}.{name}"
        for module in modules
        for name, sql in statements_of(module)
        if sql not in checked
    )
    assert not missing, f"add these to STATEMENTS: {missing}"


@PLANS
async def test_the_text_spelling_that_hid_the_index_would_be_caught(
    generic: bool, connections: dict[str, asyncpg.Connection], keys: Keys
) -> None:
    text_spelling = ekin_queries.ACTIVITIES.replace("::bpchar[]", "::text[]")
    assert text_spelling != ekin_queries.ACTIVITIES
    args = (keys.nips, *keys.month, False, None)
    root = await plan(connections["ekin"], text_spelling, args, generic=generic)
    assert "kinerja" in tables_read_whole(root, await index_leaders(connections["ekin"]))
    assert nip_casts(root)


@PLANS
async def test_activity_statistics_of_an_nip_read_kinerja_through_its_nip_index(
    generic: bool, small_db: Databases, keys: Keys
) -> None:
    """With an NIP the statistics reach a month of activities through kinerja (nip,
    tgl_mulai), planned as PostgreSQL plans them (no setting disabled): one employee's
    month, not the city's."""
    one = replace(keys, nips=keys.nips[:1])
    conn = await asyncpg.connect(small_db.ekin_dsn)
    try:
        root = await plan(
            conn,
            _activity_stats(None, "nips").sql,
            _activity_stats(one, "nips").args,
            generic=generic,
        )
        leaders = await index_leaders(conn)
    finally:
        await conn.close()
    through = {  # an index scan, or the bitmap index scan under a bitmap heap scan
        node["Index Name"]: node.get("Index Cond", "")
        for node, _ in plan_nodes(root)
        if leaders.get(node.get("Index Name", ""), ("",))[0] == "kinerja"
    }
    shown = json.dumps(root, indent=1)
    assert "kinerja_nip_tgl_mulai_idx" in through, shown
    assert re.search(r"\bnip\b", through["kinerja_nip_tgl_mulai_idx"]), shown
    assert "tgl_mulai" in through["kinerja_nip_tgl_mulai_idx"], shown
    assert "kinerja" not in tables_read_whole(root, leaders), shown
