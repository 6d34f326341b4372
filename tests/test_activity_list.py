"""The activity list: a window of WIB days, filters on the activity and its owner, orderings,
and who sees what. Answers are compared with SQL written here and orderings with a Python
sort of rows read here, on the small seeded databases (activities of September and October
2026); every list is walked page by page to its end."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import pytest

from connectors.domain import WIB
from connectors.nip import spaced
from tests.conftest import Databases, Gateway, ekin_with_crosswalk, token

ACTIVITIES = """
query($f: ActivityFilter!, $o: [ActivityOrder!], $first: Int, $after: String) {
  activities(filter: $f, orderBy: $o, first: $first, after: $after) {
    totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }"""

WEEK = {"from": "2026-10-05", "to": "2026-10-09"}  # Monday to Friday
WEEK_SQL = "tgl_mulai >= '2026-10-05T00:00+07:00' and tgl_mulai < '2026-10-10T00:00+07:00'"


@pytest.fixture(scope="module")
async def ekin(small_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    """e-kin with the crosswalk beside it (a temporary table of this connection)."""
    async for conn in ekin_with_crosswalk(small_db):
        yield conn


UNITS_OF = (
    "select ekin_unit_id from crosswalk where fiscal_year = 2026"
    " and left(finance_code, 18) || '0000' = any($1::text[])"
)


async def departments(ekin: asyncpg.Connection) -> list[str]:
    rows = await ekin.fetch(
        "select left(c.finance_code, 18) || '0000' as code, count(*) as staff"
        " from crosswalk c join pegawai p on p.id_skpd = c.ekin_unit_id"
        " where c.fiscal_year = 2026 group by 1 order by 2 desc, 1"
    )
    return [r["code"] for r in rows]


async def walk(
    gw: Gateway, f: dict[str, Any], orders: list[str] | None = None, first: int = 500
) -> tuple[list[int], int]:
    """Every id of a list, page by page, and the totalCount of its first page."""
    seen: list[int] = []
    after = None
    total = None
    while True:
        variables = {"f": f, "o": orders, "first": first, "after": after}
        page = (await gw.data(ACTIVITIES, variables))["activities"]
        total = page["totalCount"] if total is None else total
        seen += [int(e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert total is not None
    return seen, total


async def ids_where(ekin: asyncpg.Connection, condition: str, *args: Any) -> list[int]:
    """Ids of the activities (k) whose owner (p) and themselves meet `condition`, in the
    default order: by start, then by id."""
    rows = await ekin.fetch(
        f"select k.id from kinerja k join pegawai p on p.nip = k.nip where {condition}"
        " order by k.tgl_mulai, k.id",
        *args,
    )
    return [r["id"] for r in rows]


async def assert_lists(
    gw: Gateway, ekin: asyncpg.Connection, f: dict[str, Any], condition: str, *args: Any
) -> list[int]:
    expected = await ids_where(ekin, condition, *args)
    seen, total = await walk(gw, f)
    assert seen == expected, f"filter {f}"
    assert total == len(expected)
    return expected


# -- the window and each filter field -----------------------------------------------------


async def test_the_window_holds_the_activities_starting_on_its_days(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    found = await assert_lists(gateway, ekin, WEEK, WEEK_SQL)
    assert len(found) > 1000
    day = await assert_lists(
        gateway,
        ekin,
        {"from": "2026-10-07", "to": "2026-10-07"},
        "tgl_mulai >= '2026-10-07T00:00+07:00' and tgl_mulai < '2026-10-08T00:00+07:00'",
    )
    assert day and set(day) < set(found)


async def test_owner_fields_narrow_to_their_staff(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    nips = [r["nip"] for r in await ekin.fetch("select nip from pegawai order by nip limit 3")]
    units = [r["id_skpd"] for r in await ekin.fetch("select distinct id_skpd from pegawai")][:2]
    first, second, *_ = await departments(ekin)
    await assert_lists(
        gateway, ekin, {**WEEK, "nip": spaced(nips[0])}, f"{WEEK_SQL} and k.nip = $1", nips[0]
    )
    await assert_lists(
        gateway, ekin, {**WEEK, "nipIn": nips}, f"{WEEK_SQL} and k.nip = any($1::bpchar[])", nips
    )
    await assert_lists(
        gateway, ekin, {**WEEK, "nip": nips[0], "nipIn": nips[1:]}, "false"
    )  # both hold
    await assert_lists(
        gateway, ekin, {**WEEK, "unitId": units[0]}, f"{WEEK_SQL} and p.id_skpd = $1", units[0]
    )
    await assert_lists(
        gateway, ekin, {**WEEK, "unitIdIn": units}, f"{WEEK_SQL} and p.id_skpd = any($1)", units
    )
    found = await assert_lists(
        gateway,
        ekin,
        {**WEEK, "departmentCode": first},
        f"{WEEK_SQL} and p.id_skpd in ({UNITS_OF})",
        [first],
    )
    assert found
    await assert_lists(
        gateway,
        ekin,
        {**WEEK, "departmentCodeIn": [first, second]},
        f"{WEEK_SQL} and p.id_skpd in ({UNITS_OF})",
        [first, second],
    )


async def test_status_in_and_kind_in_hold_for_any_of_their_values(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    pending = await assert_lists(
        gateway, ekin, {**WEEK, "statusIn": ["PENDING"]}, f"{WEEK_SQL} and approve is null"
    )
    assert pending
    await assert_lists(
        gateway,
        ekin,
        {**WEEK, "statusIn": ["APPROVED", "REJECTED"]},
        f"{WEEK_SQL} and approve is not null",
    )
    await assert_lists(
        gateway,
        ekin,
        {**WEEK, "statusIn": ["REJECTED", "PENDING"]},
        f"{WEEK_SQL} and approve is not true",
    )
    absent = await assert_lists(
        gateway,
        ekin,
        {**WEEK, "kindIn": ["LEAVE", "SICK", "OFFICIAL_TRAVEL"]},
        f"{WEEK_SQL} and jenis_kinerja in ('cuti', 'sakit', 'perjalanan_dinas')",
    )
    assert absent


@pytest.mark.parametrize(
    "empty", ["statusIn", "kindIn", "nipIn", "unitIdIn", "departmentCodeIn", "anyOf"]
)
async def test_an_empty_list_matches_nothing(
    gateway: Gateway, ekin: asyncpg.Connection, empty: str
) -> None:
    await assert_lists(gateway, ekin, {**WEEK, empty: []}, "false")
    await assert_lists(gateway, ekin, {**WEEK, "not": {**WEEK, empty: []}}, WEEK_SQL)


async def test_not_keeps_what_its_filter_says_nothing_about(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    """Pending activities have no approve value: `not: {statusIn: [APPROVED]}` keeps them."""
    await assert_lists(
        gateway,
        ekin,
        {**WEEK, "not": {**WEEK, "statusIn": ["APPROVED"]}},
        f"{WEEK_SQL} and approve is not true",
    )


async def test_a_nested_filter_window_is_one_more_condition(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    """Inside `not` and `anyOf` a filter carries its own from..to: the activity starts within
    that window too."""
    await assert_lists(
        gateway,
        ekin,
        {**WEEK, "not": {"from": "2026-10-06", "to": "2026-10-07"}},
        f"{WEEK_SQL} and not (tgl_mulai >= '2026-10-06T00:00+07:00'"
        " and tgl_mulai < '2026-10-08T00:00+07:00')",
    )
    code = (await departments(ekin))[0]
    f = {
        **WEEK,
        "anyOf": [
            {"from": "2026-10-05", "to": "2026-10-05", "kindIn": ["WORK"]},
            {
                "from": "2026-10-08",
                "to": "2026-12-31",  # beyond the list's window: the list's still holds
                "statusIn": ["PENDING", "REJECTED"],
                "not": {"from": "2026-01-01", "to": "2026-12-31", "departmentCode": code},
            },
        ],
    }
    found = await assert_lists(
        gateway,
        ekin,
        f,
        f"""{WEEK_SQL} and (
              (tgl_mulai >= '2026-10-05T00:00+07:00' and tgl_mulai < '2026-10-06T00:00+07:00'
               and jenis_kinerja = 'kinerja')
           or (tgl_mulai >= '2026-10-08T00:00+07:00' and approve is not true
               and p.id_skpd not in ({UNITS_OF})))""",
        [code],
    )
    assert found


# -- the window is bounded ----------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        {"from": "2026-01-01", "to": "2027-01-02"},  # 367 days
        {"from": "2026-10-09", "to": "2026-10-05"},  # to before from
        {**WEEK, "not": {"from": "2025-01-01", "to": "2026-12-31"}},
        {**WEEK, "anyOf": [WEEK, {"from": "2026-10-09", "to": "2026-10-08"}]},
    ],
    ids=["too-long", "reversed", "nested-too-long", "nested-reversed"],
)
async def test_a_window_of_more_than_366_days_or_reversed_is_refused(
    gateway: Gateway, f: dict[str, Any]
) -> None:
    body = await gateway.query(ACTIVITIES, {"f": f})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_leap_year_fits_a_window(gateway: Gateway) -> None:
    data = await gateway.data(ACTIVITIES, {"f": {"from": "2028-01-01", "to": "2028-12-31"}})
    assert data["activities"]["totalCount"] == 0


# -- orderings ----------------------------------------------------------------------------


def python_order(rows: list[asyncpg.Record], orders: list[str]) -> list[int]:
    """By the keys asked for, then by id in the direction of the last."""
    column = {"STARTS_AT": "tgl_mulai", "MINUTES": "durasi_menit"}
    keys: list[tuple[str, bool]] = []
    for order in orders:
        key, direction = order.rsplit("_", 1)
        if column[key] not in [k for k, _ in keys]:
            keys.append((column[key], direction == "DESC"))
    keys.append(("id", keys[-1][1]))
    ordered = list(rows)
    for key, descending in reversed(keys):
        ordered.sort(key=lambda r: r[key], reverse=descending)  # noqa: B023 (used at once)
    return [r["id"] for r in ordered]


@pytest.mark.parametrize(
    "orders",
    [
        ["STARTS_AT_ASC"],
        ["STARTS_AT_DESC"],
        ["MINUTES_ASC"],
        ["MINUTES_DESC"],
        ["MINUTES_DESC", "STARTS_AT_ASC"],
        ["STARTS_AT_DESC", "MINUTES_ASC", "STARTS_AT_ASC"],
    ],
    ids=",".join,
)
async def test_every_ordering_walks_the_list_once_in_python_sort_order(
    gateway: Gateway, ekin: asyncpg.Connection, orders: list[str]
) -> None:
    rows = await ekin.fetch(
        f"select k.id, k.tgl_mulai, k.durasi_menit from kinerja k where {WEEK_SQL}"
        " and k.approve is null"
    )
    seen, total = await walk(gateway, {**WEEK, "statusIn": ["PENDING"]}, orders, first=41)
    assert seen == python_order(rows, orders)
    assert total == len(rows) == len(set(seen))


async def test_a_cursor_of_another_ordering_or_list_is_refused(gateway: Gateway) -> None:
    page = await gateway.data(ACTIVITIES, {"f": WEEK, "first": 2, "o": ["MINUTES_DESC"]})
    cursor = page["activities"]["pageInfo"]["endCursor"]
    for orders in (["MINUTES_ASC"], None, ["MINUTES_DESC", "STARTS_AT_ASC"]):
        body = await gateway.query(ACTIVITIES, {"f": WEEK, "o": orders, "after": cursor})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", orders
    employees = await gateway.data("{ employees(first: 1) { pageInfo { endCursor } } }")
    body = await gateway.query(
        ACTIVITIES, {"f": WEEK, "after": employees["employees"]["pageInfo"]["endCursor"]}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_cursor_carries_the_start_in_wib() -> None:
    from connectors.ekin.records import ActivityOrderBy
    from gateway import cursors

    order = (ActivityOrderBy.STARTS_AT_DESC,)
    moment = datetime(2026, 10, 5, 1, 30, tzinfo=WIB)
    cursor = cursors.activity_cursor(order, (moment, 7))
    assert cursors.activity_after(order, cursor) == (moment, 7)


# -- who sees which activities ------------------------------------------------------------


async def test_staff_see_their_own_activities_and_those_below_them(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    head = await ekin.fetchval(
        "select p.nip from pegawai p where exists (select 1 from jabatan j"
        " where j.id_atasan = p.id_jabatan) order by p.nip limit 1"
    )
    staff = gateway.as_caller(token("STAFF", head))
    expected = await ids_where(
        ekin,
        f"""{WEEK_SQL} and (p.nip = $1 or p.id_jabatan in (
             with recursive below as (
               select id from jabatan
               where id_atasan = (select id_jabatan from pegawai where nip = $1)
               union select j.id from jabatan j join below b on j.id_atasan = b.id)
             select id from below))""",
        head,
    )
    seen, total = await walk(staff, WEEK)
    assert seen == expected and total == len(expected) > 0
    owners = await ekin.fetch("select distinct nip from kinerja where id = any($1)", seen)
    assert len(owners) > 1  # the head's own and their staff's
    # and the text of them, which is theirs to read
    body = await staff.data(
        "query($f: ActivityFilter!) { activities(filter: $f, first: 5) {"
        " edges { node { description employee { nip } } } } }",
        {"f": WEEK},
    )
    assert all(e["node"]["description"] for e in body["activities"]["edges"])


async def test_a_department_system_sees_its_units_activities_only(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    own, other, *_ = await departments(ekin)
    system = gateway.as_caller(token("DEPT_SYSTEM", "activities-system", own))
    expected = await ids_where(ekin, f"{WEEK_SQL} and p.id_skpd in ({UNITS_OF})", [own])
    seen, total = await walk(system, WEEK)
    assert seen == expected and total == len(expected) > 0
    for f, argument in (
        ({**WEEK, "departmentCode": other}, "filter.departmentCode"),
        ({**WEEK, "departmentCodeIn": [own, other]}, "filter.departmentCodeIn.1"),
    ):
        body = await system.query(ACTIVITIES, {"f": f})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["errors"][0]["extensions"]["argument"] == argument
    # inside anyOf another department is a condition, within the system's own rows
    seen, total = await walk(system, {**WEEK, "anyOf": [{**WEEK, "departmentCode": other}]})
    assert seen == [] and total == 0


async def test_finance_reads_no_activities(gateway: Gateway, ekin: asyncpg.Connection) -> None:
    someone = await ekin.fetchval("select nip from pegawai order by nip limit 1")
    finance = gateway.as_caller(token("FINANCE", someone))
    body = await finance.query(ACTIVITIES, {"f": WEEK})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_analysts_list_every_activity_but_not_what_people_wrote(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    analyst = gateway.as_caller(token("ANALYST", "activities-analyst"))
    seen, total = await walk(analyst, {**WEEK, "kindIn": ["SICK"]})
    expected = await ids_where(ekin, f"{WEEK_SQL} and jenis_kinerja = 'sakit'")
    assert seen == expected and total == len(expected)
    body = await analyst.query(
        "query($f: ActivityFilter!) { activities(filter: $f, first: 2) {"
        " edges { node { id minutes description reviewNote } } } }",
        {"f": WEEK},
    )
    edges = body["data"]["activities"]["edges"]
    assert edges and all(e["node"]["description"] is None for e in edges)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}


def forged(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


FORGED = [
    (["STARTS_AT_ASC"], '["activity:STARTS_AT_ASC",["2026-10-05T08:00:00",5]]'),  # no zone
    (["STARTS_AT_ASC"], '["activity:STARTS_AT_ASC",["2026-10-05T08:00:00Z",5]]'),
    (["STARTS_AT_ASC"], '["activity:STARTS_AT_ASC",["2026-10-05T08:00:00+07:00\\n",5]]'),
    (["STARTS_AT_ASC"], '["activity:STARTS_AT_ASC",["9999-10-05T08:00:00+07:00",5]]'),
    (["STARTS_AT_ASC"], '["activity:STARTS_AT_ASC",["2026-02-30T08:00:00+07:00",5]]'),
    (["STARTS_AT_ASC"], f'["activity:STARTS_AT_ASC",["2026-10-05T08:00:00+07:00",{2**40}]]'),
    (["STARTS_AT_ASC"], '["activity:STARTS_AT_ASC",["2026-10-05T08:00:00+07:00"]]'),
    (["MINUTES_DESC"], '["activity:MINUTES_DESC",[0,5]]'),
    (["MINUTES_DESC"], '["activity:MINUTES_DESC",[721,5]]'),
    (["MINUTES_DESC"], '["activity:MINUTES_DESC",[60.0,5]]'),
    (["MINUTES_DESC"], '["activity:MINUTES_DESC",[1e400,5]]'),
    (["MINUTES_DESC"], '["activity:MINUTES_DESC",[null,5]]'),  # minutes are never null
    (["MINUTES_DESC"], '["activity:MINUTES_DESC",[60,true]]'),
    (None, '["activity",5]'),
]


@pytest.mark.parametrize(("orders", "raw"), FORGED)
async def test_a_forged_cursor_is_refused_before_any_sql(
    gateway: Gateway, orders: list[str] | None, raw: str
) -> None:
    before = gateway.statements()
    body = await gateway.query(ACTIVITIES, {"f": WEEK, "o": orders, "after": forged(raw)})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert gateway.statements() == before
