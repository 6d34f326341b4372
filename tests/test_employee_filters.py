"""Employee lists filtered with lists of values, `not` and `anyOf`, and ordered by name, NIP
or rank: each answer is compared with SQL written here, the orderings with a Python sort of
rows read here, on the small seeded databases. Every page of a list, walked to its end,
visits every matching employee once and its totalCount says how many there are."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from connectors.ekin.records import EmployeeOrderBy
from gateway import cursors
from tests.conftest import (
    Databases,
    Gateway,
    close_gateway,
    ekin_with_crosswalk,
    open_gateway,
    seeded,
    token,
)

YEAR = 2026

EMPLOYEES = """
query($f: EmployeeFilter, $o: [EmployeeOrder!], $first: Int, $after: String) {
  employees(filter: $f, orderBy: $o, first: $first, after: $after) {
    totalCount edges { node { nip } } pageInfo { hasNextPage endCursor } } }"""

DEPARTMENT_EMPLOYEES = """
query($d: String!, $f: EmployeeFilter, $o: [EmployeeOrder!], $first: Int, $after: String) {
  department(code: $d) {
    employees(filter: $f, orderBy: $o, first: $first, after: $after) {
      totalCount edges { node { nip } } pageInfo { hasNextPage endCursor } } } }"""


@pytest.fixture(scope="module")
async def filters_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    """The small scale, with a few employees whose golongan e-kin left empty (as real data
    has): the seed gives everybody one, and nulls are what `not` and RANK must get right."""
    db = await seeded(pg_server, tmp_path_factory.mktemp("filters"), "filters", "small")
    conn = await asyncpg.connect(db.ekin_dsn)
    try:
        await conn.execute(
            "update pegawai set golongan = null"
            " where nip in (select nip from pegawai order by md5(nip) limit 25)"
        )
    finally:
        await conn.close()
    return db


@pytest.fixture(scope="module")
async def gateway(filters_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(filters_db)
    yield gw
    await close_gateway(gw)


@pytest.fixture(scope="module")
async def ekin(filters_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    """e-kin with the crosswalk loaded beside it (a temporary table of this connection), so
    that a department's staff are asked for in SQL, independently of the gateway."""
    async for conn in ekin_with_crosswalk(filters_db):
        yield conn


UNITS_OF = (
    "select ekin_unit_id from crosswalk where fiscal_year = 2026"
    " and left(finance_code, 18) || '0000' = any($1::text[])"
)


async def departments(ekin: asyncpg.Connection) -> list[str]:
    """The 2026 departments with most staff first."""
    rows = await ekin.fetch(
        "select left(c.finance_code, 18) || '0000' as code, count(*) as staff"
        " from crosswalk c join pegawai p on p.id_skpd = c.ekin_unit_id"
        " where c.fiscal_year = 2026 group by 1 order by 2 desc, 1"
    )
    return [r["code"] for r in rows]


async def walk(
    gw: Gateway,
    variables: dict[str, Any],
    query: str = EMPLOYEES,
    first: int = 37,
) -> tuple[list[str], int]:
    """Every NIP of a list, page by page, and the totalCount of its first page."""
    seen: list[str] = []
    after = None
    total = None
    while True:
        data = await gw.data(query, {**variables, "first": first, "after": after})
        page = data["employees"] if "employees" in data else data["department"]["employees"]
        total = page["totalCount"] if total is None else total
        seen += [e["node"]["nip"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert total is not None
    return seen, total


async def nips_where(ekin: asyncpg.Connection, condition: str, *args: Any) -> list[str]:
    rows = await ekin.fetch(f"select nip from pegawai where {condition} order by nip", *args)
    return [r["nip"] for r in rows]


async def assert_lists(
    gw: Gateway, ekin: asyncpg.Connection, f: dict[str, Any], condition: str, *args: Any
) -> list[str]:
    expected = await nips_where(ekin, condition, *args)
    seen, total = await walk(gw, {"f": f})
    assert seen == expected, f"filter {f}"
    assert total == len(expected)
    return expected


# -- each filter field, and their combinations --------------------------------------------


async def test_department_code_in_lists_the_staff_of_any_of_the_departments(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    first, second, *_ = await departments(ekin)
    found = await assert_lists(
        gateway,
        ekin,
        {"departmentCodeIn": [first, second]},
        f"id_skpd in ({UNITS_OF})",
        [first, second],
    )
    assert found


async def test_unit_id_in_rank_in_and_employment_type_in_hold_for_any_of_their_values(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    units = [r["id_skpd"] for r in await ekin.fetch("select distinct id_skpd from pegawai")][:3]
    ranks = ["III/a", "IV/b", "IX"]
    await assert_lists(gateway, ekin, {"unitIdIn": units}, "id_skpd = any($1::int[])", units)
    await assert_lists(gateway, ekin, {"rankIn": ranks}, "golongan = any($1::text[])", ranks)
    await assert_lists(gateway, ekin, {"employmentTypeIn": ["PPPK"]}, "status_kepegawaian = 'PPPK'")
    await assert_lists(gateway, ekin, {"employmentTypeIn": ["PNS", "PPPK"]}, "true")  # everybody


async def test_all_fields_given_hold_together(gateway: Gateway, ekin: asyncpg.Connection) -> None:
    first, second, *_ = await departments(ekin)
    await assert_lists(
        gateway,
        ekin,
        {
            "departmentCode": first,
            "departmentCodeIn": [first, second],
            "rankIn": ["III/a", "III/b", "III/c"],
            "rank": "III/b",
            "active": True,
        },
        f"id_skpd in ({UNITS_OF}) and golongan = 'III/b' and aktif",
        [first],
    )


@pytest.mark.parametrize("empty", ["departmentCodeIn", "unitIdIn", "rankIn", "employmentTypeIn"])
async def test_an_empty_list_of_values_matches_nobody(
    gateway: Gateway, ekin: asyncpg.Connection, empty: str
) -> None:
    await assert_lists(gateway, ekin, {empty: []}, "false")
    await assert_lists(gateway, ekin, {"not": {empty: []}}, "true")


async def test_an_empty_any_of_matches_nobody(gateway: Gateway, ekin: asyncpg.Connection) -> None:
    await assert_lists(gateway, ekin, {"anyOf": []}, "false")
    await assert_lists(gateway, ekin, {"not": {"anyOf": []}}, "true")


async def test_not_keeps_employees_its_filter_says_nothing_about(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    """PPPK staff may have no golongan: `not: {rank: X}` keeps them, as SQL's `is distinct
    from` does, where `golongan <> X` would drop them."""
    found = await assert_lists(
        gateway, ekin, {"not": {"rank": "III/a"}}, "golongan is distinct from 'III/a'"
    )
    unranked = await nips_where(ekin, "golongan is null")
    assert unranked and set(unranked) <= set(found)
    await assert_lists(
        gateway,
        ekin,
        {"not": {"rankIn": ["III/a", "III/b"], "active": True}},
        "not (coalesce(golongan in ('III/a', 'III/b'), false) and aktif)",
    )


async def test_nested_any_of_and_not_compose(gateway: Gateway, ekin: asyncpg.Connection) -> None:
    first, second, third, *_ = await departments(ekin)
    f = {
        "active": True,
        "anyOf": [
            {"departmentCode": first, "rankIn": ["IV/a", "IV/b", "IV/c"]},
            {"departmentCodeIn": [second], "not": {"employmentType": "PNS"}},
            {"anyOf": [{"departmentCode": third, "nameContains": "a"}]},
        ],
    }
    await assert_lists(
        gateway,
        ekin,
        f,
        f"""aktif and (
              (id_skpd in ({UNITS_OF.replace("$1", "$2")}) and golongan in ('IV/a', 'IV/b', 'IV/c'))
           or (id_skpd in ({UNITS_OF}) and status_kepegawaian <> 'PNS')
           or (id_skpd in ({UNITS_OF.replace("$1", "$3")}) and strpos(lower(nama), 'a') > 0))""",
        [second],
        [first],
        [third],
    )


async def test_filters_nest_three_deep_and_no_deeper(gateway: Gateway) -> None:
    three = {"not": {"anyOf": [{"not": {"rank": "III/a"}}]}}
    assert (await gateway.query(EMPLOYEES, {"f": three, "first": 1}))["data"]["employees"]
    four = {"not": {"anyOf": [{"not": {"not": {"rank": "III/a"}}}]}}
    body = await gateway.query(EMPLOYEES, {"f": four, "first": 1})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "nest at most 3" in body["errors"][0]["message"]


async def test_a_code_that_is_no_department_is_refused_wherever_it_is(gateway: Gateway) -> None:
    for f in (
        {"departmentCodeIn": ["1.02.0.00.0.00.01.0001"]},
        {"anyOf": [{"departmentCode": "DINKES"}]},
    ):
        body = await gateway.query(EMPLOYEES, {"f": f, "first": 1})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", f


async def test_a_department_without_units_in_a_list_or_inside_not_matches_nobody(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    unknown = "9.99.0.00.0.00.01.0000"
    await assert_lists(gateway, ekin, {"departmentCodeIn": [unknown]}, "false")
    await assert_lists(gateway, ekin, {"not": {"departmentCode": unknown}}, "true")
    body = await gateway.query(EMPLOYEES, {"f": {"departmentCode": unknown}})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # the list's scope


async def test_a_department_lists_its_staff_by_the_new_fields_too(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    first, second, *_ = await departments(ekin)
    f = {"departmentCodeIn": [first, second], "not": {"rankIn": ["III/a"]}}
    expected = await nips_where(
        ekin, f"id_skpd in ({UNITS_OF}) and golongan is distinct from 'III/a'", [first]
    )
    seen, total = await walk(gateway, {"d": first, "f": f}, DEPARTMENT_EMPLOYEES)
    assert seen == expected and total == len(expected) > 0
    seen, total = await walk(
        gateway, {"d": first, "f": {"departmentCodeIn": [second]}}, DEPARTMENT_EMPLOYEES
    )
    assert seen == [] and total == 0  # another department's staff are not this one's


# -- who may filter by which department ---------------------------------------------------


async def test_a_department_system_may_list_only_its_own_department(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    own, other, *_ = await departments(ekin)
    system = gateway.as_caller(token("DEPT_SYSTEM", "filters-system", own))
    body = await system.query(EMPLOYEES, {"f": {"departmentCodeIn": [own, other]}, "first": 1})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["extensions"]["argument"] == "filter.departmentCodeIn.1"
    own_staff = await nips_where(ekin, f"id_skpd in ({UNITS_OF})", [own])
    seen, total = await walk(system, {"f": {"departmentCodeIn": [own]}})
    assert seen == own_staff and total == len(own_staff)
    # inside not and anyOf a department is a condition; the row rule still holds
    seen, total = await walk(system, {"f": {"anyOf": [{"departmentCode": other}]}})
    assert seen == [] and total == 0
    seen, _ = await walk(system, {"f": {"not": {"departmentCode": other}}})
    assert seen == own_staff


async def test_staff_filter_within_themselves_and_the_people_below_them(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    head = await ekin.fetchval(
        "select p.nip from pegawai p where exists (select 1 from jabatan j"
        " where j.id_atasan = p.id_jabatan) order by p.nip limit 1"
    )
    visible = await nips_where(
        ekin,
        """nip = $1 or id_jabatan in (
             with recursive below as (
               select id from jabatan where id_atasan = (select id_jabatan from pegawai where nip = $1)
               union select j.id from jabatan j join below b on j.id_atasan = b.id)
             select id from below)""",
        head,
    )
    staff = gateway.as_caller(token("STAFF", head))
    seen, total = await walk(staff, {"f": {"anyOf": [{"active": True}, {"active": False}]}})
    assert seen == visible and total == len(visible) > 1


# -- orderings ----------------------------------------------------------------------------

NUMERALS = [
    "I",
    "II",
    "III",
    "IV",
    "V",
    "VI",
    "VII",
    "VIII",
    "IX",
    "X",
    "XI",
    "XII",
    "XIII",
    "XIV",
    "XV",
    "XVI",
    "XVII",
]


def rank_ladder(rank: str | None) -> int | None:
    """Written here from the contract of RANK: up the numerals, then the letters."""
    if rank is None:
        return None
    numeral, _, letter = rank.partition("/")
    if numeral not in NUMERALS:
        return None
    return (NUMERALS.index(numeral) + 1) * 10 + ("abcde".index(letter) + 1 if letter else 0)


def python_order(rows: list[asyncpg.Record], orders: list[str]) -> list[str]:
    """Nulls last either way, then the NIP in the direction of the last ordering (unless an
    ordering by NIP came before: it leaves no ties)."""

    def value(row: asyncpg.Record, key: str) -> Any:
        return {"NAME": row["nama"], "NIP": row["nip"], "RANK": rank_ladder(row["golongan"])}[key]

    keys: list[tuple[str, bool]] = []
    for order in orders:
        key, direction = order.rsplit("_", 1)
        if key not in [k for k, _ in keys]:
            keys.append((key, direction == "DESC"))
    if "NIP" not in [k for k, _ in keys]:
        keys.append(("NIP", keys[-1][1] if keys else False))
    ordered = list(rows)
    for key, descending in reversed(keys):
        present = sorted(
            (r for r in ordered if value(r, key) is not None),
            key=lambda r: value(r, key),  # noqa: B023 (used at once)
            reverse=descending,
        )
        ordered = present + [r for r in ordered if value(r, key) is None]
    return [r["nip"] for r in ordered]


ORDERINGS = [
    ["NAME_ASC"],
    ["NAME_DESC"],
    ["NIP_ASC"],
    ["NIP_DESC"],
    ["RANK_ASC"],
    ["RANK_DESC"],
    ["RANK_DESC", "NAME_ASC"],
    ["RANK_ASC", "NIP_DESC", "NAME_ASC"],
    ["NAME_ASC", "RANK_ASC", "NAME_DESC"],
]


@pytest.mark.parametrize("orders", ORDERINGS, ids=",".join)
async def test_every_ordering_walks_the_list_once_in_python_sort_order(
    gateway: Gateway, ekin: asyncpg.Connection, orders: list[str]
) -> None:
    rows = await ekin.fetch("select nip, nama, golongan from pegawai where aktif")
    seen, total = await walk(gateway, {"f": {"active": True}, "o": orders}, first=23)
    assert seen == python_order(rows, orders)
    assert total == len(rows) == len(set(seen))


async def test_the_database_collation_sorts_names_as_python_does(
    ekin: asyncpg.Connection,
) -> None:
    """What the name orderings above rest on: this suite's databases compare text by code
    point (C.UTF-8), as Python does. Elsewhere names sort by the database's collation."""
    assert await ekin.fetchval(
        "select datcollate from pg_database where datname = current_database()"
    ) in ("C", "C.UTF-8", "POSIX")


@pytest.mark.parametrize("orders", [["RANK_DESC", "NAME_ASC"], ["NAME_DESC"], ["NIP_ASC"]])
async def test_a_department_walks_its_staff_in_an_ordering(
    gateway: Gateway, ekin: asyncpg.Connection, orders: list[str]
) -> None:
    code = (await departments(ekin))[0]
    rows = await ekin.fetch(
        f"select nip, nama, golongan from pegawai where id_skpd in ({UNITS_OF})", [code]
    )
    seen, total = await walk(gateway, {"d": code, "o": orders}, DEPARTMENT_EMPLOYEES, first=9)
    assert seen == python_order(rows, orders)
    assert total == len(rows)


async def test_the_default_ordering_is_by_nip_and_its_cursors_are_as_before(
    gateway: Gateway,
) -> None:
    plain = await gateway.data(EMPLOYEES, {"first": 3})
    by_nip = await gateway.data(EMPLOYEES, {"first": 3, "o": ["NIP_ASC"]})
    assert plain == by_nip
    nips = [e["node"]["nip"] for e in plain["employees"]["edges"]]
    assert nips == sorted(nips)


async def test_a_cursor_of_another_ordering_is_refused(gateway: Gateway) -> None:
    page = await gateway.data(EMPLOYEES, {"first": 2, "o": ["NAME_ASC"]})
    cursor = page["employees"]["pageInfo"]["endCursor"]
    for orders in (["NAME_DESC"], ["NIP_ASC"], ["NAME_ASC", "RANK_ASC"], None):
        body = await gateway.query(EMPLOYEES, {"first": 2, "o": orders, "after": cursor})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", orders
    # the same ordering, asked with a key repeated, sorts alike: its cursors are the same
    body = await gateway.data(
        EMPLOYEES, {"first": 2, "o": ["NAME_ASC", "NAME_DESC"], "after": cursor}
    )
    assert body["employees"]["edges"]


def forged(raw: str) -> str:
    """A cursor made by hand from JSON text."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


NIP = "198609262015051001"

FORGED = [
    (["NAME_ASC"], f'["employee:NAME_ASC",["Bu\\u0000di","{NIP}"]]'),  # NUL
    (["NAME_ASC"], f'["employee:NAME_ASC",["\\ud800","{NIP}"]]'),  # lone surrogate
    (["NAME_ASC"], f'["employee:NAME_ASC",["{"x" * 151}","{NIP}"]]'),  # longer than nama
    (["NAME_ASC"], f'["employee:NAME_ASC",[5,"{NIP}"]]'),
    (["NAME_ASC"], '["employee:NAME_ASC",["Budi"]]'),  # no NIP
    (["NAME_ASC"], '["employee:NAME_ASC",["Budi","12345"]]'),
    (["NAME_ASC"], f'["employee:NAME_ASC",["Budi","{NIP}\\n"]]'),
    (["NAME_ASC"], f'["employee:NAME_ASC",["Budi","{NIP}",1]]'),
    (["NAME_ASC"], f'["employee:NAME_ASC","{NIP}"]'),
    (["RANK_DESC"], f'["employee:RANK_DESC",[1e400,"{NIP}"]]'),
    (["RANK_DESC"], f'["employee:RANK_DESC",[NaN,"{NIP}"]]'),
    (["RANK_DESC"], f'["employee:RANK_DESC",[9999,"{NIP}"]]'),
    (["RANK_DESC"], f'["employee:RANK_DESC",[true,"{NIP}"]]'),
    (["RANK_DESC"], f'["employee:RANK_DESC",[21.0,"{NIP}"]]'),
    (["RANK_DESC"], f'["employee:RANK_DESC",["21","{NIP}"]]'),
    (["NIP_DESC"], f'["employee:NIP_DESC",["{NIP}","{NIP[:-1]}"]]'),
    (["NIP_DESC"], f'["employee:BOGUS_ASC",["{NIP}","{NIP}"]]'),
    (["NIP_DESC"], f'["employee:",["{NIP}","{NIP}"]]'),
    (None, f'["employee:NIP_ASC",["{NIP}","{NIP}"]]'),  # the default's cursor is its NIP
    (None, f'["employee",["{NIP}"]]'),
]


@pytest.mark.parametrize(("orders", "raw"), FORGED)
async def test_a_forged_cursor_is_refused_before_any_sql(
    gateway: Gateway, orders: list[str] | None, raw: str
) -> None:
    before = gateway.statements()
    body = await gateway.query(EMPLOYEES, {"o": orders, "after": forged(raw), "first": 1})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert gateway.statements() == before


def test_the_longest_name_fits_a_cursor() -> None:
    order = (EmployeeOrderBy.NAME_DESC, EmployeeOrderBy.RANK_ASC)
    position = ("💥" * 150, 175, NIP)  # pegawai.nama holds 150 characters
    cursor = cursors.employee_cursor(order, position)
    assert cursors.employee_after(order, cursor) == position


async def test_parts_that_decide_alone_leave_no_parameter_behind(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    """`rankIn: []` makes a filter false whatever its other fields, and `not: {anyOf: []}`
    makes an alternative true: the parts beside them drop out of the SQL, values and all."""
    await assert_lists(gateway, ekin, {"rank": "III/a", "rankIn": [], "nameContains": "a"}, "false")
    await assert_lists(
        gateway,
        ekin,
        {"active": True, "anyOf": [{"rank": "III/a"}, {"not": {"anyOf": []}}]},
        "aktif",
    )
