"""activityStats against SQL written here over kinerja, pegawai and the crosswalk: every
dimension, every bucket (WIB calendar), the measures, order and cut, the filter (the
activity list's own: `not`, `anyOf`, departments), who may ask, and the analytics pool.

The small scale (activities of September and October 2026), seeded for this module with
two activities more that start before 07:00 WIB, when the UTC calendar is still on the day
before: Monday 2026-10-05 06:00 WIB (Sunday in UTC, ISO week 40) and 2027-01-01 03:00 WIB
(2026 in UTC)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from connectors.domain import WIB
from tests.conftest import (
    Databases,
    Gateway,
    close_gateway,
    ekin_with_crosswalk,
    open_gateway,
    seeded,
    token,
)
from tests.test_analytics_pools import Sent
from tests.test_payment_stats import label

WINDOW = {"from": "2026-09-01", "to": "2027-01-31"}  # every activity of the module's data
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}
EARLY = [datetime(2026, 10, 5, 6, tzinfo=WIB), datetime(2027, 1, 1, 3, tzinfo=WIB)]

KINDS = {
    "kinerja": "WORK",
    "perjalanan_dinas": "OFFICIAL_TRAVEL",
    "cuti": "LEAVE",
    "izin": "PERMIT",
    "sakit": "SICK",
}
STATUSES = {None: "PENDING", True: "APPROVED", False: "REJECTED"}

# Each activity as the contract sees it, derived here from the legacy rows and the
# crosswalk of 2026 on their own.
ACTIVITIES = """
select k.id, k.nip, p.id_skpd, k.jenis_kinerja, k.approve, k.durasi_menit,
       k.tgl_mulai at time zone 'Asia/Jakarta' as started, c.department
from kinerja k
join pegawai p on p.nip = k.nip
left join (select ekin_unit_id, left(finance_code, 18) || '0000' as department
           from crosswalk where fiscal_year = 2026) c on c.ekin_unit_id = p.id_skpd
where k.tgl_mulai >= $1::date::timestamp at time zone 'Asia/Jakarta'
  and k.tgl_mulai < ($2::date + 1)::timestamp at time zone 'Asia/Jakarta'
"""

UNITS_OF = (  # of the department $3 (`activities` takes $1 and $2)
    "select ekin_unit_id from crosswalk where fiscal_year = 2026"
    " and left(finance_code, 18) || '0000' = $3"
)


@pytest.fixture(scope="module")
async def stats_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    db = await seeded(pg_server, tmp_path_factory.mktemp("activity-stats"), "actstats", "small")
    conn = await asyncpg.connect(db.ekin_dsn)
    try:
        nip = await conn.fetchval("select nip from pegawai where aktif order by nip limit 1")
        for start in EARLY:
            await conn.execute(
                "insert into kinerja (nip, tgl_mulai, tgl_selesai, jenis_kinerja,"
                " rincian_kinerja, durasi_menit) values ($1, $2, $3, 'kinerja', 'Piket', 60)",
                nip,
                start,
                start + timedelta(hours=1),
            )
    finally:
        await conn.close()
    return db


@pytest.fixture(scope="module")
async def gateway(stats_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(stats_db)
    yield gw
    await close_gateway(gw)


@pytest.fixture(scope="module")
async def ekin(stats_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    """e-kin with the crosswalk beside it (a temporary table of this connection)."""
    async for conn in ekin_with_crosswalk(stats_db):
        yield conn


async def activities(
    ekin: asyncpg.Connection, window: dict[str, str], condition: str = "true", *args: Any
) -> list[asyncpg.Record]:
    """The activities starting on the WIB days of `window` that meet `condition` (on k, p
    and the crosswalk c), read here."""
    return await ekin.fetch(
        f"{ACTIVITIES} and ({condition})",
        datetime.fromisoformat(window["from"]).date(),
        datetime.fromisoformat(window["to"]).date(),
        *args,
    )


def key_of(row: Any, dimension: str, bucket: str) -> Any:
    """The key an activity has in a dimension, as the API prints it."""
    return {
        "DEPARTMENT": row["department"],
        "UNIT": row["id_skpd"],
        "EMPLOYEE": row["nip"],
        "KIND": KINDS[row["jenis_kinerja"]],
        "STATUS": STATUSES[row["approve"]],
        "STARTED": label(row["started"], bucket),
    }[dimension]


KEY_SELECTION = {
    "DEPARTMENT": "department { code }",
    "UNIT": "unit { ekinId }",
    "EMPLOYEE": "employee { nip } nip",
    "KIND": "kind",
    "STATUS": "status",
    "STARTED": "started",
}


def printed_key(key: dict[str, Any], dimension: str) -> Any:
    if dimension == "DEPARTMENT":
        return key["department"]["code"] if key["department"] else None
    if dimension == "UNIT":
        return key["unit"]["ekinId"]
    if dimension == "EMPLOYEE":
        if "employee" in key:  # the record the key names
            assert key["employee"]["nip"] == key["nip"]
        return key["nip"]
    return key[dimension.lower()]


def minutes_of(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"sum": 0, "avg": None, "min": None, "max": None}
    return {
        "sum": sum(values),
        "avg": pytest.approx(sum(values) / len(values), rel=1e-12),
        "min": min(values),
        "max": max(values),
    }


async def stats(
    gateway: Gateway, f: dict[str, Any], arguments: str = "", key: str = "kind"
) -> dict[str, Any]:
    body = await gateway.data(
        f"query($f: ActivityFilter!) {{ activityStats(filter: $f{', ' if arguments else ''}"
        f"{arguments}) {{ total {{ count minutes {{ sum avg min max }} }}"
        f" groups {{ key {{ {key} }} count minutes {{ sum avg min max }} }} }} }}",
        {"f": f},
    )
    result: dict[str, Any] = body["activityStats"]
    return result


def assert_groups(
    found: dict[str, Any], rows: list[asyncpg.Record], dimensions: list[str], bucket: str
) -> dict[tuple[Any, ...], list[Any]]:
    """The groups and the total are those of `rows`, read here."""
    expected: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in rows:
        expected[tuple(key_of(row, d, bucket) for d in dimensions)].append(row)
    groups = {tuple(printed_key(g["key"], d) for d in dimensions): g for g in found["groups"]}
    assert set(groups) == set(expected)
    for key, members in expected.items():
        assert groups[key]["count"] == len(members), key
        assert groups[key]["minutes"] == minutes_of([r["durasi_menit"] for r in members]), key
    assert found["total"]["count"] == len(rows)
    assert found["total"]["minutes"] == minutes_of([r["durasi_menit"] for r in rows])
    return expected


# -- every dimension, every bucket, the measures -------------------------------------------


@pytest.mark.parametrize(
    ("dimensions", "bucket"),
    [
        (["DEPARTMENT"], "WEEK"),
        (["UNIT"], "WEEK"),
        (["EMPLOYEE"], "WEEK"),
        (["KIND", "STATUS"], "WEEK"),
        (["STARTED"], "DAY"),
        (["STARTED"], "WEEK"),
        (["STARTED"], "MONTH"),
        (["STARTED"], "QUARTER"),
        (["STARTED"], "YEAR"),
        (["DEPARTMENT", "UNIT", "STARTED"], "WEEK"),
        (["EMPLOYEE", "KIND"], "MONTH"),
    ],
)
async def test_every_group_equals_sql_over_the_legacy_tables(
    gateway: Gateway, ekin: asyncpg.Connection, dimensions: list[str], bucket: str
) -> None:
    rows = await activities(ekin, WINDOW)
    found = await stats(
        gateway,
        WINDOW,
        f"groupBy: [{', '.join(dimensions)}], bucket: {bucket}, first: 10000",
        " ".join(KEY_SELECTION[d] for d in dimensions),
    )
    expected = assert_groups(found, rows, dimensions, bucket)
    assert len(expected) > 1


async def test_buckets_are_wib_calendar_days_not_utc(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    day = await stats(gateway, WINDOW, "groupBy: [STARTED], bucket: DAY", "started")
    days = {g["key"]["started"]: g["count"] for g in day["groups"]}
    assert days["2026-10-05"] > 0 and "2026-10-04" not in days  # a Sunday in WIB
    assert days["2027-01-01"] == 1 and "2026-12-31" not in days
    week = await stats(gateway, WINDOW, "groupBy: [STARTED]", "started")  # WEEK by default
    labels = [g["key"]["started"] for g in week["groups"]]
    assert "2026-W41" in labels and "2026-W53" in labels  # 2027-01-01 is in 2026's last week
    year = await stats(gateway, WINDOW, "groupBy: [STARTED], bucket: YEAR", "started")
    assert {g["key"]["started"]: g["count"] for g in year["groups"]}["2027"] == 1
    quarter = await stats(gateway, WINDOW, "groupBy: [STARTED], bucket: QUARTER", "started")
    assert [g["key"]["started"] for g in quarter["groups"]] == ["2026-Q3", "2026-Q4", "2027-Q1"]


async def test_a_unit_mapped_to_no_department_groups_as_a_null_department(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    unmapped = await activities(ekin, OCTOBER, "c.department is null")
    assert unmapped, "the seed leaves units out of the crosswalk, with staff who log activities"
    found = await stats(gateway, OCTOBER, "groupBy: [DEPARTMENT]", "department { code }")
    assert found["groups"][-1]["key"]["department"] is None  # nulls last
    assert found["groups"][-1]["count"] == len(unmapped)
    assert sum(g["count"] for g in found["groups"]) == found["total"]["count"]


async def test_without_dimensions_there_is_a_total_and_no_groups(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    found = await stats(gateway, OCTOBER)
    assert found["groups"] == []
    assert found["total"]["count"] == len(await activities(ekin, OCTOBER)) > 0


# -- order and cut -------------------------------------------------------------------------


async def test_groups_are_ordered_and_cut_the_total_is_everything(gateway: Gateway) -> None:
    everything = await stats(gateway, OCTOBER, "groupBy: [EMPLOYEE], first: 10000", "nip")
    by_sum = sorted(everything["groups"], key=lambda g: (-g["minutes"]["sum"], g["key"]["nip"]))
    top = await stats(gateway, OCTOBER, "groupBy: [EMPLOYEE], orderBy: [SUM_DESC], first: 3", "nip")
    assert top["groups"] == by_sum[:3]
    assert top["total"] == everything["total"]
    by_count = await stats(gateway, OCTOBER, "groupBy: [KIND], orderBy: [COUNT_ASC]")
    counts = [(g["count"], g["key"]["kind"]) for g in by_count["groups"]]
    assert counts == sorted(counts)
    by_key = await stats(gateway, OCTOBER, "groupBy: [KIND], orderBy: [KEY_DESC]")
    kinds = [g["key"]["kind"] for g in by_key["groups"]]
    assert kinds == sorted(kinds, reverse=True)  # the domain's names, as the client reads them
    statuses = await stats(gateway, OCTOBER, "groupBy: [STATUS]", "status")
    assert [g["key"]["status"] for g in statuses["groups"]] == ["APPROVED", "PENDING", "REJECTED"]
    none = await stats(gateway, OCTOBER, "groupBy: [KIND], first: 0")
    assert none["groups"] == [] and none["total"] == everything["total"]


async def test_first_out_of_range_and_a_long_window_are_bad_user_input(gateway: Gateway) -> None:
    for arguments, f in (
        ("first: 10001", OCTOBER),
        ("first: -1", OCTOBER),
        ("", {"from": "2026-01-01", "to": "2027-01-02"}),
        ("", {**OCTOBER, "not": {"from": "2026-10-31", "to": "2026-10-01"}}),
    ):
        body = await gateway.query(
            "query($f: ActivityFilter!) { activityStats(filter: $f"
            f"{', ' + arguments if arguments else ''}) {{ total {{ count }} }} }}",
            {"f": f},
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (arguments, f)


# -- the filter: the activity list's ----------------------------------------------------------


async def test_the_filter_with_not_and_any_of_narrows_groups_and_total(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    f = {
        **OCTOBER,
        "statusIn": ["PENDING", "REJECTED"],
        "not": {**OCTOBER, "kindIn": ["LEAVE"]},
        "anyOf": [
            {"from": "2026-10-01", "to": "2026-10-15"},
            {"from": "2026-10-16", "to": "2026-10-31", "kindIn": ["WORK"]},
        ],
    }
    rows = await activities(
        ekin,
        OCTOBER,
        "(k.approve is null or not k.approve) and k.jenis_kinerja <> 'cuti'"
        " and (k.tgl_mulai < '2026-10-16T00:00+07:00' or k.jenis_kinerja = 'kinerja')",
    )
    found = await stats(gateway, f, "groupBy: [KIND, STATUS]", "kind status")
    assert_groups(found, rows, ["KIND", "STATUS"], "WEEK")
    assert len(found["groups"]) > 2


async def test_owner_and_department_fields_narrow_as_the_list_does(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    units = [r["id_skpd"] for r in await ekin.fetch("select distinct id_skpd from pegawai")][:2]
    department = await ekin.fetchval(
        "select left(finance_code, 18) || '0000' from crosswalk c join pegawai p"
        " on p.id_skpd = c.ekin_unit_id where fiscal_year = 2026 order by 1 limit 1"
    )
    nips = [r["nip"] for r in await ekin.fetch("select nip from pegawai order by nip limit 3")]
    for f, condition, args in (
        ({**OCTOBER, "unitIdIn": units}, "p.id_skpd = any($3::int[])", [units]),
        ({**OCTOBER, "departmentCode": department}, f"p.id_skpd in ({UNITS_OF})", [department]),
        ({**OCTOBER, "nipIn": nips}, "k.nip = any($3::bpchar[])", [nips]),
        # everybody outside the department, the staff of units mapped to none too
        (
            {**OCTOBER, "not": {**OCTOBER, "departmentCode": department}},
            f"p.id_skpd not in ({UNITS_OF})",
            [department],
        ),
    ):
        rows = await activities(ekin, OCTOBER, condition, *args)
        found = await stats(gateway, f, "groupBy: [UNIT, EMPLOYEE]", "unit { ekinId } nip")
        assert_groups(found, rows, ["UNIT", "EMPLOYEE"], "WEEK")
        listed = await gateway.data(
            "query($f: ActivityFilter!) { activities(filter: $f) { totalCount } }", {"f": f}
        )
        assert listed["activities"]["totalCount"] == found["total"]["count"] > 0, f


# -- who may ask ---------------------------------------------------------------------------


async def test_staff_see_themselves_and_those_below_them(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    head = await ekin.fetchval(
        "select p.nip from pegawai p where exists (select 1 from jabatan j"
        " where j.id_atasan = p.id_jabatan) order by p.nip limit 1"
    )
    rows = await activities(
        ekin,
        OCTOBER,
        """p.nip = $3 or p.id_jabatan in (
             with recursive below as (
               select id from jabatan
               where id_atasan = (select id_jabatan from pegawai where nip = $3)
               union select j.id from jabatan j join below b on j.id_atasan = b.id)
             select id from below)""",
        head,
    )
    staff = gateway.as_caller(token("STAFF", head))
    found = await stats(
        staff, OCTOBER, "groupBy: [EMPLOYEE], first: 100", "employee { nip name } nip"
    )
    assert_groups(found, rows, ["EMPLOYEE"], "WEEK")
    assert len(found["groups"]) > 1 and head in {g["key"]["nip"] for g in found["groups"]}


async def test_a_department_system_sees_its_department_only(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    own, other = [
        r["code"]
        for r in await ekin.fetch(
            "select left(finance_code, 18) || '0000' as code from crosswalk c"
            " join pegawai p on p.id_skpd = c.ekin_unit_id where fiscal_year = 2026"
            " group by 1 order by count(*) desc, 1 limit 2"
        )
    ]
    system = gateway.as_caller(token("DEPT_SYSTEM", "activity-stats-system", own))
    found = await stats(system, OCTOBER, "groupBy: [DEPARTMENT]", "department { code }")
    rows = await activities(ekin, OCTOBER, f"p.id_skpd in ({UNITS_OF})", own)
    assert_groups(found, rows, ["DEPARTMENT"], "WEEK")
    assert [g["key"]["department"]["code"] for g in found["groups"]] == [own]
    for f in ({**OCTOBER, "departmentCode": other}, {**OCTOBER, "departmentCodeIn": [other]}):
        body = await system.query(
            "query($f: ActivityFilter!) { activityStats(filter: $f) { total { count } } }",
            {"f": f},
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_finance_may_not_ask_analysts_see_everything(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    someone = await ekin.fetchval("select nip from pegawai order by nip limit 1")
    body = await gateway.as_caller(token("FINANCE", someone)).query(
        "query($f: ActivityFilter!) { activityStats(filter: $f) { total { count } } }",
        {"f": OCTOBER},
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    analyst = gateway.as_caller(token("ANALYST", "activity-stats-analyst"))
    found = await stats(analyst, OCTOBER, "groupBy: [UNIT]", "unit { name }")
    assert found["total"]["count"] == len(await activities(ekin, OCTOBER))
    anonymous = await gateway.as_caller(None).query(
        "query($f: ActivityFilter!) { activityStats(filter: $f, first: 0) { total { count } } }",
        {"f": OCTOBER},
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# -- the pools -----------------------------------------------------------------------------


async def test_statistics_read_through_the_analytics_pool_whoever_asks(gateway: Gateway) -> None:
    sent = Sent(gateway)
    await stats(gateway, OCTOBER, "groupBy: [KIND, STARTED]", "kind started")  # as ADMIN
    moved = sent.moved()
    assert moved["ekin"] == 0 and moved["ekin-analytics"] == 1, moved
    assert moved["sppspm"] == moved["sppspm-analytics"] == 0, moved
