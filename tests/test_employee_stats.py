"""employeeStats against SQL written here over pegawai, jabatan and the crosswalk: every
dimension, order and cut (a rank up the golongan ladder), the filter (the employee list's
own: `not`, `anyOf`, departments), who may ask, and the analytics pool.

The small scale, seeded for this module, with a few employees whose golongan e-kin left
empty (as real data has): the seed gives everybody one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

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

POSITION_KINDS = {"STRUKTURAL": "STRUCTURAL", "FUNGSIONAL": "FUNCTIONAL", "PELAKSANA": "EXECUTIVE"}
NUMERALS = [  # the golongan ladder's numerals, in order
    *("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"),
    *("X", "XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII"),
]

# Each employee as the contract sees them, derived here from the legacy rows and the
# crosswalk of 2026 on their own.
EMPLOYEES = """
select p.nip, p.id_skpd, p.status_kepegawaian, p.golongan, j.jenis, p.aktif, c.department
from pegawai p
join jabatan j on j.id = p.id_jabatan
left join (select ekin_unit_id, left(finance_code, 18) || '0000' as department
           from crosswalk where fiscal_year = 2026) c on c.ekin_unit_id = p.id_skpd
"""

UNITS_OF = (
    "select ekin_unit_id from crosswalk where fiscal_year = 2026"
    " and left(finance_code, 18) || '0000' = $1"
)


@pytest.fixture(scope="module")
async def stats_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    db = await seeded(pg_server, tmp_path_factory.mktemp("employee-stats"), "empstats", "small")
    conn = await asyncpg.connect(db.ekin_dsn)
    try:
        await conn.execute(
            "update pegawai set golongan = null"
            " where nip in (select nip from pegawai order by md5(nip) limit 15)"
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


async def employees(
    ekin: asyncpg.Connection, condition: str = "true", *args: Any
) -> list[asyncpg.Record]:
    return await ekin.fetch(f"{EMPLOYEES} where {condition}", *args)


def key_of(row: Any, dimension: str) -> Any:
    """The key an employee has in a dimension, as the API prints it."""
    return {
        "DEPARTMENT": row["department"],
        "UNIT": row["id_skpd"],
        "EMPLOYMENT_TYPE": row["status_kepegawaian"],
        "RANK": row["golongan"],
        "POSITION_KIND": POSITION_KINDS[row["jenis"]],
        "ACTIVE": row["aktif"],
    }[dimension]


KEY_SELECTION = {
    "DEPARTMENT": "department { code name }",
    "UNIT": "unit { ekinId name }",
    "EMPLOYMENT_TYPE": "employmentType",
    "RANK": "rank",
    "POSITION_KIND": "positionKind",
    "ACTIVE": "active",
}
PRINTED = {"EMPLOYMENT_TYPE": "employmentType", "POSITION_KIND": "positionKind"}


def printed_key(key: dict[str, Any], dimension: str) -> Any:
    if dimension == "DEPARTMENT":
        return key["department"]["code"] if key["department"] else None
    if dimension == "UNIT":
        return key["unit"]["ekinId"]
    return key[PRINTED.get(dimension, dimension.lower())]


async def stats(
    gateway: Gateway, f: dict[str, Any] | None = None, arguments: str = "", key: str = "rank"
) -> dict[str, Any]:
    body = await gateway.data(
        f"query($f: EmployeeFilter) {{ employeeStats(filter: $f{', ' if arguments else ''}"
        f"{arguments}) {{ total {{ count }} groups {{ key {{ {key} }} count }} }} }}",
        {"f": f},
    )
    result: dict[str, Any] = body["employeeStats"]
    return result


def assert_groups(
    found: dict[str, Any], rows: list[asyncpg.Record], dimensions: list[str]
) -> dict[tuple[Any, ...], int]:
    expected: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in rows:
        expected[tuple(key_of(row, d) for d in dimensions)] += 1
    groups = {tuple(printed_key(g["key"], d) for d in dimensions): g for g in found["groups"]}
    assert {k: g["count"] for k, g in groups.items()} == expected
    assert found["total"]["count"] == len(rows)
    return expected


def ladder(rank: str | None) -> tuple[int, int, str]:
    """Where a golongan stands: I/a at the bottom, IV/e, then the PPPK grades V to XVII;
    none last."""
    if rank is None:
        return (1, 0, "")
    numeral, _, letter = rank.partition("/")
    return (0, (NUMERALS.index(numeral) + 1) * 10 + ("abcde".index(letter) if letter else 0), "")


# -- every dimension ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dimensions",
    [
        ["DEPARTMENT"],
        ["UNIT"],
        ["EMPLOYMENT_TYPE"],
        ["RANK"],
        ["POSITION_KIND"],
        ["ACTIVE"],
        ["DEPARTMENT", "UNIT"],
        ["EMPLOYMENT_TYPE", "RANK", "POSITION_KIND", "ACTIVE"],
    ],
)
async def test_every_group_equals_sql_over_the_legacy_tables(
    gateway: Gateway, ekin: asyncpg.Connection, dimensions: list[str]
) -> None:
    found = await stats(
        gateway,
        None,
        f"groupBy: [{', '.join(dimensions)}], first: 10000",
        " ".join(KEY_SELECTION[d] for d in dimensions),
    )
    expected = assert_groups(found, await employees(ekin), dimensions)
    assert len(expected) > 1


async def test_a_unit_mapped_to_no_department_groups_as_a_null_department(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    unmapped = await employees(ekin, "c.department is null")
    assert unmapped, "the seed leaves units out of the crosswalk, with staff"
    found = await stats(gateway, None, "groupBy: [DEPARTMENT]", "department { code }")
    assert found["groups"][-1] == {"key": {"department": None}, "count": len(unmapped)}


async def test_without_dimensions_there_is_a_total_and_no_groups(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    found = await stats(gateway)
    assert found == {"total": {"count": len(await employees(ekin))}, "groups": []}


# -- order and cut -------------------------------------------------------------------------


async def test_a_rank_orders_up_the_golongan_ladder_none_last(gateway: Gateway) -> None:
    up = await stats(gateway, None, "groupBy: [RANK], orderBy: [KEY_ASC]")
    ranks = [g["key"]["rank"] for g in up["groups"]]
    assert ranks == sorted(ranks, key=ladder) and ranks[-1] is None
    assert "IV/e" in ranks and "V" in ranks and ranks.index("IV/e") < ranks.index("V")
    down = await stats(gateway, None, "groupBy: [RANK], orderBy: [KEY_DESC]")
    assert [g["key"]["rank"] for g in down["groups"]] == ranks[-2::-1] + [None]


async def test_groups_are_ordered_and_cut_the_total_is_everything(gateway: Gateway) -> None:
    everything = await stats(gateway, None, "groupBy: [UNIT], first: 10000", "unit { ekinId }")
    by_count = sorted(everything["groups"], key=lambda g: (-g["count"], g["key"]["unit"]["ekinId"]))
    for order in ("SUM_DESC", "COUNT_DESC"):  # an employee's measure is the count
        top = await stats(
            gateway, None, f"groupBy: [UNIT], orderBy: [{order}], first: 3", "unit { ekinId }"
        )
        assert top["groups"] == by_count[:3]
        assert top["total"] == everything["total"]
    fewest = await stats(
        gateway, None, "groupBy: [POSITION_KIND], orderBy: [COUNT_ASC]", "positionKind"
    )
    counts = [g["count"] for g in fewest["groups"]]
    assert counts == sorted(counts)
    none = await stats(gateway, None, "groupBy: [UNIT], first: 0", "unit { ekinId }")
    assert none["groups"] == [] and none["total"] == everything["total"]
    refused = await gateway.query("{ employeeStats(first: 10001) { total { count } } }")
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# -- the filter: the employee list's ---------------------------------------------------------


async def test_the_filter_with_not_and_any_of_narrows_groups_and_total(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    department = await ekin.fetchval(
        "select left(finance_code, 18) || '0000' from crosswalk c join pegawai p"
        " on p.id_skpd = c.ekin_unit_id where fiscal_year = 2026 order by 1 limit 1"
    )
    for f, condition, args in (
        (
            {
                "not": {"rankIn": ["III/a", "III/b"]},
                "anyOf": [{"active": False}, {"employmentTypeIn": ["PPPK"]}],
            },
            "not coalesce(p.golongan in ('III/a', 'III/b'), false)"
            " and (not p.aktif or p.status_kepegawaian = 'PPPK')",
            [],
        ),
        ({"departmentCode": department}, f"p.id_skpd in ({UNITS_OF})", [department]),
        (
            {"not": {"departmentCode": department}, "nameContains": "a"},
            f"p.id_skpd not in ({UNITS_OF}) and strpos(lower(p.nama), 'a') > 0",
            [department],
        ),
        ({"rankIn": []}, "false", []),
    ):
        dimensions = ["DEPARTMENT", "EMPLOYMENT_TYPE", "ACTIVE"]
        found = await stats(
            gateway,
            f,
            "groupBy: [DEPARTMENT, EMPLOYMENT_TYPE, ACTIVE]",
            "department { code } employmentType active",
        )
        assert_groups(found, await employees(ekin, condition, *args), dimensions)
        listed = await gateway.data(
            "query($f: EmployeeFilter) { employees(filter: $f) { totalCount } }", {"f": f}
        )
        assert listed["employees"]["totalCount"] == found["total"]["count"], f


# -- who may ask ---------------------------------------------------------------------------


async def test_staff_see_themselves_and_those_below_them(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    head = await ekin.fetchval(
        "select p.nip from pegawai p where exists (select 1 from jabatan j"
        " where j.id_atasan = p.id_jabatan) order by p.nip limit 1"
    )
    rows = await employees(
        ekin,
        """p.nip = $1 or p.id_jabatan in (
             with recursive below as (
               select id from jabatan
               where id_atasan = (select id_jabatan from pegawai where nip = $1)
               union select j.id from jabatan j join below b on j.id_atasan = b.id)
             select id from below)""",
        head,
    )
    staff = gateway.as_caller(token("STAFF", head))
    found = await stats(staff, None, "groupBy: [UNIT, RANK], first: 100", "unit { ekinId } rank")
    assert_groups(found, rows, ["UNIT", "RANK"])
    assert found["total"]["count"] > 1


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
    system = gateway.as_caller(token("DEPT_SYSTEM", "employee-stats-system", own))
    found = await stats(
        system, None, "groupBy: [DEPARTMENT, UNIT]", "department { code } unit { ekinId }"
    )
    assert_groups(
        found, await employees(ekin, f"p.id_skpd in ({UNITS_OF})", own), ["DEPARTMENT", "UNIT"]
    )
    assert {g["key"]["department"]["code"] for g in found["groups"]} == {own}
    for f in ({"departmentCode": other}, {"departmentCodeIn": [own, other]}):
        body = await system.query(
            "query($f: EmployeeFilter) { employeeStats(filter: $f) { total { count } } }",
            {"f": f},
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_finance_and_analysts_see_everybody(
    gateway: Gateway, ekin: asyncpg.Connection
) -> None:
    everybody = len(await employees(ekin))
    for role in ("FINANCE", "ANALYST"):
        found = await stats(
            gateway.as_caller(token(role, "198001012005011001")),
            None,
            "groupBy: [ACTIVE]",
            "active",
        )
        assert found["total"]["count"] == everybody, role
    anonymous = await gateway.as_caller(None).query(
        "{ employeeStats(first: 0) { total { count } } }"
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# -- the pools -----------------------------------------------------------------------------


async def test_statistics_read_through_the_analytics_pool_whoever_asks(gateway: Gateway) -> None:
    sent = Sent(gateway)
    await stats(gateway, None, "groupBy: [RANK, POSITION_KIND, ACTIVE]", "rank")  # as ADMIN
    moved = sent.moved()
    assert moved["ekin"] == 0 and moved["ekin-analytics"] == 1, moved
    assert moved["sppspm"] == moved["sppspm-analytics"] == 0, moved
