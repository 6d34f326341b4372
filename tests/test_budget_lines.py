"""Budget lines as a list of their own (`budgetLines`) and under a department's budget
(`Budget.lines`): their figures follow the contract's rules, filters list what an
independent query over the legacy tables finds, every ordering walks each line once in the
order Python sorts them, and a department system sees only its own department's lines."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tests.conftest import Gateway, token
from tests.test_keyset import python_order

# The contract (Budget): committed sums the requests on the line that are not rejected
# (SPP status 3 or SPM status 3); disbursed those with an SP2D.
LINES = """
select a.id, a.tahun, a.kode_skpd, a.kode_rekening, a.pagu,
       regexp_replace(a.kode_skpd, '[.][0-9]{4}$', '.0000') as department,
       coalesce((select sum(s.nilai) from spp s
                 where s.id_anggaran = a.id and s.status <> 3
                   and not exists (select 1 from spm m where m.id_spp = s.id and m.status_spm = 3)
                ), 0) as committed,
       coalesce((select sum(s.nilai) from spp s
                 join spm m on m.id_spp = s.id join sp2d d on d.id_spm = m.id
                 where s.id_anggaran = a.id), 0) as disbursed
from anggaran a
"""

LIST = """query($f: BudgetLineFilter, $o: [BudgetLineOrder!], $a: String, $n: Int) {
  budgetLines(first: $n, filter: $f, orderBy: $o, after: $a) {
    totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }"""

DEPARTMENT = "1.02.0.00.0.00.01.0000"
OTHER = "7.01.0.00.0.00.01.0000"


async def lines(sql: asyncpg.Connection, where: str = "true") -> list[dict[str, Any]]:
    """The lines, with the figures the contract defines and the keys of each ordering."""
    found = []
    for r in await sql.fetch(f"select * from ({LINES}) v where {where} order by id"):
        line = dict(r)
        line["remaining"] = line["pagu"] - line["committed"]
        line["absorption"] = line["disbursed"] / line["pagu"] if line["pagu"] else None
        found.append(line)
    return found


async def listed(
    gw: Gateway, f: dict[str, Any] | None, order: list[str] | None = None, size: int = 500
) -> tuple[list[int], int]:
    ids: list[int] = []
    after = None
    while True:
        page = (await gw.data(LIST, {"f": f, "o": order, "a": after, "n": size}))["budgetLines"]
        ids += [int(e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


async def test_every_line_carries_the_figures_the_contract_defines(
    gateway: Gateway, sppspm_sql: asyncpg.Connection
) -> None:
    data = await gateway.data(
        """{ budgetLines(first: 500) { totalCount edges { node {
             id fiscalYear accountCode ceiling committed disbursed remaining absorption
             department { code } } } } }"""
    )
    expected = await lines(sppspm_sql)
    assert data["budgetLines"]["totalCount"] == len(expected)
    got = {int(e["node"]["id"]): e["node"] for e in data["budgetLines"]["edges"]}
    assert sorted(got) == [line["id"] for line in expected]
    assert any(line["pagu"] == 0 for line in expected), "the seed has a line without ceiling"
    for line in expected:
        node = got[line["id"]]
        assert node["fiscalYear"] == line["tahun"]
        assert node["accountCode"] == line["kode_rekening"]
        assert node["department"]["code"] == line["department"]
        assert Decimal(node["ceiling"]) == line["pagu"]
        assert Decimal(node["committed"]) == line["committed"]
        assert Decimal(node["disbursed"]) == line["disbursed"]
        assert Decimal(node["remaining"]) == line["remaining"]
        if line["absorption"] is None:
            assert node["absorption"] is None
        else:
            assert node["absorption"] == pytest.approx(float(line["absorption"]))


# name: (filter, the same question in SQL over LINES as v)
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "departmentCode": ({"departmentCode": DEPARTMENT}, f"v.department = '{DEPARTMENT}'"),
    "departmentCodeIn": (
        {"departmentCodeIn": [DEPARTMENT, OTHER]},
        f"v.department in ('{DEPARTMENT}', '{OTHER}')",
    ),
    "departmentCodeIn empty": ({"departmentCodeIn": []}, "false"),
    "fiscalYear": ({"fiscalYear": 2025}, "v.tahun = 2025"),
    "fiscalYearIn": ({"fiscalYearIn": [2026, 2025]}, "v.tahun in (2025, 2026)"),
    "fiscalYearIn empty": ({"fiscalYearIn": []}, "false"),
    "accountCodePrefix": ({"accountCodePrefix": "5.1.01"}, "v.kode_rekening like '5.1.01%'"),
    "not": ({"not": {"accountCodePrefix": "5.1"}}, "v.kode_rekening not like '5.1%'"),
    "anyOf": (
        {"anyOf": [{"departmentCode": OTHER}, {"fiscalYear": 2025, "accountCodePrefix": "5.2"}]},
        f"v.department = '{OTHER}' or (v.tahun = 2025 and v.kode_rekening like '5.2%')",
    ),
    "anyOf empty": ({"anyOf": []}, "false"),
    "nested three deep": (
        {
            "fiscalYear": 2026,
            "not": {
                "anyOf": [{"departmentCodeIn": [OTHER]}, {"not": {"accountCodePrefix": "5.1"}}]
            },
        },
        f"v.tahun = 2026 and not (v.department = '{OTHER}' or v.kode_rekening not like '5.1%')",
    ),
    "scope and conditions": (
        {"departmentCode": DEPARTMENT, "fiscalYear": 2026, "departmentCodeIn": [DEPARTMENT]},
        f"v.department = '{DEPARTMENT}' and v.tahun = 2026",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_each_filter_lists_what_sql_over_the_legacy_tables_finds(
    gateway: Gateway, sppspm_sql: asyncpg.Connection, name: str
) -> None:
    f, where = CASES[name]
    expected = [line["id"] for line in await lines(sppspm_sql, where)]
    ids, total = await listed(gateway, f, size=40)
    assert sorted(ids) == expected
    assert total == len(expected)


KEYS = {
    "CEILING": "pagu",
    "COMMITTED": "committed",
    "DISBURSED": "disbursed",
    "REMAINING": "remaining",
    "ABSORPTION": "absorption",
}

ORDERINGS: list[list[str] | None] = [
    None,
    *([f"{key}_{direction}"] for key in KEYS for direction in ("ASC", "DESC")),
    ["ABSORPTION_DESC", "CEILING_ASC"],
    ["DISBURSED_DESC", "REMAINING_ASC"],
    ["COMMITTED_ASC", "COMMITTED_DESC", "ABSORPTION_ASC"],  # a key again adds nothing
]


def asked(order: list[str] | None) -> list[tuple[str, bool]]:
    keys: list[tuple[str, bool]] = []
    for value in order or []:
        key, direction = value.rsplit("_", 1)
        if KEYS[key] not in [c for c, _ in keys]:
            keys.append((KEYS[key], direction == "DESC"))
    return keys


def in_order(rows: list[dict[str, Any]], order: list[str] | None) -> list[int]:
    keys = asked(order)
    return python_order(rows, keys) if keys else sorted(r["id"] for r in rows)


@pytest.mark.parametrize("order", ORDERINGS, ids=lambda o: ",".join(o) if o else "by id")
async def test_every_ordering_walks_each_line_once_in_order(
    gateway: Gateway, sppspm_sql: asyncpg.Connection, order: list[str] | None
) -> None:
    rows = await lines(sppspm_sql)
    ids, total = await listed(gateway, None, order, size=17)
    assert ids == in_order(rows, order)
    assert total == len(rows)


@pytest.mark.parametrize("order", [None, ["ABSORPTION_DESC"], ["REMAINING_ASC", "CEILING_DESC"]])
async def test_a_budgets_lines_page_in_an_ordering(
    gateway: Gateway, sppspm_sql: asyncpg.Connection, order: list[str] | None
) -> None:
    rows = await lines(sppspm_sql, f"v.department = '{DEPARTMENT}' and v.tahun = 2026")
    query = """query($a: String, $o: [BudgetLineOrder!]) {
      department(code: "1.02.0.00.0.00.01.0000", fiscalYear: 2026) { budget {
        lines(first: 3, after: $a, orderBy: $o) {
          totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } } }"""
    ids: list[int] = []
    after = None
    while True:
        data = await gateway.data(query, {"a": after, "o": order})
        page = data["department"]["budget"]["lines"]
        ids += [int(e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert ids == in_order(rows, order)
    assert page["totalCount"] == len(rows) > 3


async def test_a_department_system_lists_only_its_own_departments_lines(
    gateway: Gateway, sppspm_sql: asyncpg.Connection
) -> None:
    system = gateway.as_caller(token("DEPT_SYSTEM", "simda", DEPARTMENT))
    own = [line["id"] for line in await lines(sppspm_sql, f"v.department = '{DEPARTMENT}'")]
    ids, total = await listed(system, None, ["CEILING_DESC"], size=30)
    assert sorted(ids) == own and total == len(own)
    assert sorted((await listed(system, {"departmentCode": DEPARTMENT}))[0]) == own
    assert (await listed(system, {"not": {"departmentCode": OTHER}}))[1] == len(own)
    for f in ({"departmentCode": OTHER}, {"departmentCodeIn": [DEPARTMENT, OTHER]}):
        body = await system.query(LIST, {"f": f})
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], f


async def test_staff_read_every_departments_lines(
    gateway: Gateway, sppspm_sql: asyncpg.Connection
) -> None:
    staff = gateway.as_caller(token("STAFF", "199001012020121001"))
    _, total = await listed(staff, {"departmentCodeIn": [DEPARTMENT, OTHER]})
    assert total == len(await lines(sppspm_sql, f"v.department in ('{DEPARTMENT}', '{OTHER}')"))
    anonymous = await gateway.as_caller(None).query(LIST, {"n": 1})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def forged(value: Any) -> str:
    raw = value if isinstance(value, str) else json.dumps(value)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("order", "cursor"),
    [
        (None, forged(["line", 2**40])),
        (None, forged(["line:CEILING_ASC", ["1.00", 5]])),
        (["CEILING_ASC"], forged(["line", 5])),
        (["CEILING_ASC"], forged(["line:CEILING_ASC", ["1.001", 5]])),
        (["CEILING_ASC"], forged(["line:CEILING_ASC", ["1e400", 5]])),
        (["CEILING_ASC"], forged('["line:CEILING_ASC",[NaN,5]]')),
        (["ABSORPTION_DESC"], forged(["line:ABSORPTION_DESC", ["-0.5", 5]])),
        (["ABSORPTION_DESC"], forged(["line:ABSORPTION_DESC", ["0." + "1" * 41, 5]])),
        (["ABSORPTION_DESC"], forged(["line:ABSORPTION_DESC", [None, 0]])),
        (["ABSORPTION_DESC"], forged(["line:ABSORPTION_ASC", [None, 5]])),
        (["REMAINING_ASC"], forged(["payment:AMOUNT_ASC", ["1.00", 5]])),
    ],
    ids=str,
)
async def test_a_forged_cursor_is_bad_user_input(
    gateway: Gateway, order: list[str] | None, cursor: str
) -> None:
    body = await gateway.query(LIST, {"o": order, "a": cursor, "n": 2})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], body
