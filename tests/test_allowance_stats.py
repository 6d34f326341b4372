"""allowanceStats against the `allowances` list it summarises, summed here row by row for
the same months, and against sppspm's own sums: every dimension, the measures, the filter
(lists, not, anyOf, empty lists), order and cut, the months asked, who may ask, and the
pools. An NIP that e-kin does not know is counted where its lines are paid from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg
import pytest

from gateway.crosswalk import Crosswalk, CrosswalkEntry
from tests.conftest import (
    Databases,
    Gateway,
    close_gateway,
    create_database,
    open_gateway,
    token,
)
from tests.test_allowance_reconciliation import (
    BPKAD,
    DATA,
    DINKES,
    MORE_EKIN,
    MORE_SPPSPM,
    ROOT,
    SPPSPM_SUMS,
    U1,
    U2,
    U3,
)
from tests.test_analytics_pools import Sent

PERIODS = ("2026-09", "2026-10")  # the months the demo data scores and pays

ROWS = """query($period: Period!, $code: String, $after: String) {
  allowances(period: $period, departmentCode: $code, first: 500, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      nip period status expected paid inProcess difference
      employee { employmentType position { kind } department { fiscalYear code } }
      paymentRequests { department { fiscalYear code } }
    } }
  }
}"""

MEASURES = ("expected", "paid", "inProcess", "difference")
SELECTION = " ".join(f"{m} {{ sum avg min max }}" for m in MEASURES)
KEY = "department { fiscalYear code } status period employmentType positionKind"
DIMENSIONS = ("DEPARTMENT", "STATUS", "PERIOD", "EMPLOYMENT_TYPE", "POSITION_KIND")


async def listed(gw: Gateway, period: str, code: str | None = None) -> list[dict[str, Any]]:
    """Every row of the `allowances` list of a month, page by page."""
    rows: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await gw.data(ROWS, {"period": period, "code": code, "after": after}))["allowances"]
        rows += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


def department_of(row: dict[str, Any]) -> tuple[int, str] | None:
    """The department a listed row counts in: the employee's, or for an NIP that e-kin
    does not know that of the requests paying it (in the demo data, one department's)."""
    if row["employee"] is not None:
        department = row["employee"]["department"]
    else:
        paying = {
            (r["department"]["fiscalYear"], r["department"]["code"]) for r in row["paymentRequests"]
        }
        assert len(paying) == 1, row
        ((year, code),) = paying
        department = {"fiscalYear": year, "code": code}
    return (department["fiscalYear"], department["code"]) if department else None


def mapped(rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """The departments these rows count in, by year and code."""
    return sorted({d for row in rows if (d := department_of(row)) is not None})


def key_of(row: dict[str, Any], dimension: str) -> Any:
    """A listed row's key in a dimension, as the statistics print it."""
    employee = row["employee"]
    return {
        "DEPARTMENT": lambda: department_of(row),
        "STATUS": lambda: row["status"],
        "PERIOD": lambda: row["period"],
        "EMPLOYMENT_TYPE": lambda: employee["employmentType"] if employee else None,
        "POSITION_KIND": lambda: employee["position"]["kind"] if employee else None,
    }[dimension]()


def printed_key(key: dict[str, Any], dimension: str) -> Any:
    if dimension == "DEPARTMENT":
        department = key["department"]
        return (department["fiscalYear"], department["code"]) if department else None
    name = {"STATUS": "status", "PERIOD": "period", "EMPLOYMENT_TYPE": "employmentType"}
    return key[name.get(dimension, "positionKind")]


def money(values: list[Decimal]) -> dict[str, str | None]:
    if not values:
        return {"sum": "0.00", "avg": None, "min": None, "max": None}
    average = (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {
        "sum": f"{sum(values):.2f}",
        "avg": f"{average:.2f}",
        "min": f"{min(values):.2f}",
        "max": f"{max(values):.2f}",
    }


def measured(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What a group of these listed rows must answer."""
    return {"count": len(rows)} | {m: money([Decimal(r[m]) for r in rows]) for m in MEASURES}


async def stats(gw: Gateway, arguments: str = "") -> dict[str, Any]:
    period = f'from: "{PERIODS[0]}", to: "{PERIODS[-1]}"'
    body = await gw.data(
        f"{{ allowanceStats({period}{', ' + arguments if arguments else ''}) {{"
        f" total {{ count {SELECTION} }} groups {{ key {{ {KEY} }} count {SELECTION} }} }} }}"
    )
    result: dict[str, Any] = body["allowanceStats"]
    return result


def without_key(group: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in group.items() if name != "key"}


@pytest.fixture(scope="module")
async def city_rows(gateway: Gateway) -> list[dict[str, Any]]:
    return [row for period in PERIODS for row in await listed(gateway, period)]


# -- groups and totals against the list --------------------------------------------------------


@pytest.mark.parametrize(
    "dimensions",
    [
        ["DEPARTMENT"],
        ["STATUS"],
        ["PERIOD"],
        ["EMPLOYMENT_TYPE"],
        ["POSITION_KIND"],
        ["DEPARTMENT", "STATUS"],
        ["PERIOD", "EMPLOYMENT_TYPE", "POSITION_KIND"],
        list(DIMENSIONS),
    ],
    ids=",".join,
)
async def test_every_group_equals_the_allowances_list_summed(
    gateway: Gateway, city_rows: list[dict[str, Any]], dimensions: list[str]
) -> None:
    expected: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in city_rows:
        expected[tuple(key_of(row, d) for d in dimensions)].append(row)
    found = await stats(gateway, f"groupBy: [{', '.join(dimensions)}]")
    groups = {tuple(printed_key(g["key"], d) for d in dimensions): g for g in found["groups"]}
    assert set(groups) == set(expected)
    for key, members in expected.items():
        assert without_key(groups[key]) == measured(members), key
    assert found["total"] == measured(city_rows)
    for group in found["groups"]:  # a key field is null unless its dimension is asked
        asked = {
            printed_key(group["key"], d) is not None for d in DIMENSIONS if d not in dimensions
        }
        assert asked <= {False}


async def test_the_citys_totals_equal_sppspms_own_sums_unknown_nips_included(
    gateway: Gateway, sppspm_sql: asyncpg.Connection, city_rows: list[dict[str, Any]]
) -> None:
    sums = {r["periode"]: r for r in await sppspm_sql.fetch(SPPSPM_SUMS)}
    assert set(sums) == set(PERIODS)
    total = (await stats(gateway))["total"]
    assert Decimal(total["paid"]["sum"]) == sum(r["paid"] for r in sums.values())
    assert Decimal(total["inProcess"]["sum"]) == sum(r["in_process"] for r in sums.values())
    assert total["count"] == len(city_rows)
    unknown = (await stats(gateway, "filter: {statusIn: [UNKNOWN_EMPLOYEE]}"))["total"]
    assert unknown["count"] == sum(r["status"] == "UNKNOWN_EMPLOYEE" for r in city_rows) >= 2
    assert unknown["expected"]["max"] == "0.00"
    assert unknown["difference"]["sum"] == unknown["paid"]["sum"]


async def test_a_department_group_is_that_departments_list(
    gateway: Gateway, city_rows: list[dict[str, Any]]
) -> None:
    departments = mapped(city_rows)
    found = await stats(gateway, "groupBy: [DEPARTMENT]")
    groups = {printed_key(g["key"], "DEPARTMENT"): g for g in found["groups"]}
    for year, code in departments[:3]:
        rows = [row for period in PERIODS for row in await listed(gateway, period, code)]
        assert without_key(groups[(year, code)]) == measured(rows), code


async def test_one_month_alone(gateway: Gateway) -> None:
    body = await gateway.data(
        '{ allowanceStats(from: "2026-10", to: "2026-10", groupBy: [PERIOD])'
        " { total { count paid { sum } } groups { key { period } count paid { sum } } } }"
    )
    found = body["allowanceStats"]
    rows = await listed(gateway, "2026-10")
    assert [g["key"]["period"] for g in found["groups"]] == ["2026-10"]
    assert found["total"]["count"] == found["groups"][0]["count"] == len(rows)
    assert found["total"]["paid"] == {"sum": f"{sum(Decimal(r['paid']) for r in rows):.2f}"}


async def test_without_dimensions_there_is_a_total_and_no_groups(gateway: Gateway) -> None:
    found = await stats(gateway)
    assert found["groups"] == [] and found["total"]["count"] > 0


# -- the filter ---------------------------------------------------------------------------------

FILTERS: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
    ("{statusIn: []}", lambda r: False),
    ("{anyOf: []}", lambda r: False),
    ("{departmentCodeIn: []}", lambda r: False),
    ("{not: {statusIn: []}}", lambda r: True),
    ("{statusIn: [OVERPAID, UNDERPAID]}", lambda r: r["status"] in ("OVERPAID", "UNDERPAID")),
    ("{status: UNPAID, statusIn: [UNPAID, MATCHED]}", lambda r: r["status"] == "UNPAID"),
    ("{not: {statusIn: [NOT_DUE, MATCHED]}}", lambda r: r["status"] not in ("NOT_DUE", "MATCHED")),
    (
        "{employmentTypeIn: [PNS, PPPK]}",  # an NIP that e-kin does not know has none
        lambda r: r["employee"] is not None,
    ),
    ("{not: {employmentTypeIn: [PNS, PPPK]}}", lambda r: r["employee"] is None),
    (
        "{employmentType: PNS, positionKind: STRUCTURAL}",
        lambda r: (
            r["employee"] is not None
            and (r["employee"]["employmentType"], r["employee"]["position"]["kind"])
            == ("PNS", "STRUCTURAL")
        ),
    ),
    (
        "{anyOf: [{statusIn: [OVERPAID]}, {employmentTypeIn: [PPPK], positionKindIn: [FUNCTIONAL]}]}",
        lambda r: (
            r["status"] == "OVERPAID"
            or (
                r["employee"] is not None
                and r["employee"]["employmentType"] == "PPPK"
                and r["employee"]["position"]["kind"] == "FUNCTIONAL"
            )
        ),
    ),
    (
        "{not: {anyOf: [{statusIn: [NOT_DUE]}, {not: {employmentTypeIn: [PNS]}}]}}",
        lambda r: (
            r["status"] != "NOT_DUE"
            and r["employee"] is not None
            and r["employee"]["employmentType"] == "PNS"
        ),
    ),
]


@pytest.mark.parametrize(("written", "holds"), FILTERS, ids=[f for f, _ in FILTERS])
async def test_the_filter_narrows_groups_and_total(
    gateway: Gateway,
    city_rows: list[dict[str, Any]],
    written: str,
    holds: Callable[[dict[str, Any]], bool],
) -> None:
    rows = [r for r in city_rows if holds(r)]
    assert rows or "[]" in written, "a filter the demo data does not tell apart"
    found = await stats(gateway, f"filter: {written}, groupBy: [STATUS]")
    assert found["total"] == measured(rows)
    assert {g["key"]["status"]: g["count"] for g in found["groups"]} == {
        status: sum(r["status"] == status for r in rows) for status in {r["status"] for r in rows}
    }


async def test_a_department_filter_holds_its_departments_rows(
    gateway: Gateway, city_rows: list[dict[str, Any]]
) -> None:
    (year, first), (_, second) = mapped(city_rows)[:2]
    for written, codes in (
        (f'{{departmentCode: "{first}"}}', {first}),
        (f'{{departmentCodeIn: ["{first}", "{second}"]}}', {first, second}),
        (
            f'{{anyOf: [{{departmentCode: "{first}"}}, {{departmentCode: "{second}"}}]}}',
            {first, second},
        ),
        (f'{{not: {{departmentCodeIn: ["{first}"]}}}}', None),
    ):
        if codes is None:  # none of the first: the others and the unmapped units' staff
            rows = [r for r in city_rows if department_of(r) != (year, first)]
        else:
            rows = [r for r in city_rows if (department_of(r) or (0, ""))[1] in codes]
        assert (await stats(gateway, f"filter: {written}"))["total"] == measured(rows), written


async def test_a_filter_naming_a_sub_unit_or_nesting_too_deep_is_refused(gateway: Gateway) -> None:
    before = gateway.statements()
    for written in (
        '{departmentCode: "1.02.0.00.0.00.01.0001"}',
        '{anyOf: [{departmentCodeIn: ["1.02.0.00.0.00.01.0001"]}]}',
        "{not: {not: {not: {not: {statusIn: [MATCHED]}}}}}",
    ):
        body = await gateway.query(
            f'{{ allowanceStats(from: "2026-10", to: "2026-10", filter: {written})'
            " { total { count } } }"
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", written
    assert gateway.statements() == before, "refused before any SQL"


# -- order and cut --------------------------------------------------------------------------------


async def test_groups_are_ordered_and_cut_the_total_is_everything(gateway: Gateway) -> None:
    everything = await stats(gateway, "groupBy: [DEPARTMENT, STATUS]")

    def printed(group: dict[str, Any]) -> tuple[Any, ...]:
        department = printed_key(group["key"], "DEPARTMENT")
        return (department is None, department or (0, ""), group["key"]["status"])

    by_key = sorted(everything["groups"], key=printed)
    assert everything["groups"] == by_key, "by key ascending unless asked, nulls last"
    by_sum = sorted(by_key, key=lambda g: -Decimal(g["difference"]["sum"]))  # stable: ties by key
    top = await stats(gateway, "groupBy: [DEPARTMENT, STATUS], orderBy: [SUM_DESC], first: 3")
    assert top["groups"] == by_sum[:3]
    assert top["total"] == everything["total"]
    least = await stats(gateway, "groupBy: [STATUS], orderBy: [COUNT_ASC, KEY_DESC]")
    pairs = [(g["count"], g["key"]["status"]) for g in least["groups"]]
    assert pairs == sorted(pairs, key=lambda p: (p[0], [-ord(c) for c in p[1]]))
    by_status = await stats(gateway, "groupBy: [STATUS], orderBy: [KEY_DESC]")
    statuses = [g["key"]["status"] for g in by_status["groups"]]
    assert statuses == sorted(statuses, reverse=True)
    none = await stats(gateway, "groupBy: [STATUS], first: 0")
    assert none["groups"] == [] and none["total"] == everything["total"]


async def test_a_null_key_comes_last_either_way(gateway: Gateway) -> None:
    for order in ("KEY_ASC", "KEY_DESC"):
        found = await stats(gateway, f"groupBy: [EMPLOYMENT_TYPE], orderBy: [{order}]")
        kinds = [g["key"]["employmentType"] for g in found["groups"]]
        assert kinds[-1] is None and None not in kinds[:-1], (order, kinds)
        assert kinds[:-1] == sorted(kinds[:-1], reverse=order == "KEY_DESC")


# -- the months asked ----------------------------------------------------------------------------


async def test_months_out_of_order_or_more_than_two_years_are_refused_before_any_sql(
    gateway: Gateway,
) -> None:
    before = gateway.statements()
    for start, end in (("2026-10", "2026-09"), ("2024-12", "2026-12")):
        body = await gateway.query(
            f'{{ allowanceStats(from: "{start}", to: "{end}") {{ total {{ count }} }} }}'
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (start, end)
        assert body["errors"][0]["extensions"]["argument"] == "to"
    assert gateway.statements() == before, "refused before any SQL"
    two_years = await gateway.data(
        '{ allowanceStats(from: "2025-01", to: "2026-12", groupBy: [PERIOD]) { groups { key { period } } } }'
    )
    months = [g["key"]["period"] for g in two_years["allowanceStats"]["groups"]]
    assert len(months) == 24 and months == sorted(months)


async def test_first_beyond_the_limit_is_bad_user_input(gateway: Gateway) -> None:
    body = await gateway.query(
        '{ allowanceStats(from: "2026-10", to: "2026-10", first: 10001) { total { count } } }'
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# -- who may ask, and through which pool -----------------------------------------------------------


async def test_who_may_ask(gateway: Gateway, city_rows: list[dict[str, Any]]) -> None:
    own, other = mapped(city_rows)[:2]
    system = gateway.as_caller(token("DEPT_SYSTEM", "simpeg", own[1]))
    found = await stats(system, "groupBy: [DEPARTMENT]")
    assert [printed_key(g["key"], "DEPARTMENT") for g in found["groups"]] == [own]
    rows = [row for period in PERIODS for row in await listed(gateway, period, own[1])]
    assert found["total"] == measured(rows), "what its own allowances list holds"
    for written in (f'{{departmentCode: "{other[1]}"}}', f'{{departmentCodeIn: ["{other[1]}"]}}'):
        body = await system.query(
            f'{{ allowanceStats(from: "2026-10", to: "2026-10", filter: {written})'
            " { total { count } } }"
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", written
    staff = await gateway.as_caller(token("STAFF", "199001012020121001")).query(
        '{ allowanceStats(from: "2026-10", to: "2026-10") { total { count } } }'
    )
    assert staff["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    everything = await stats(gateway)
    for role in ("ANALYST", "FINANCE"):
        answer = await stats(gateway.as_caller(token(role, "198001012005011001")))
        assert answer["total"] == everything["total"], role


async def test_statistics_read_each_source_once_through_the_analytics_pools(
    gateway: Gateway,
) -> None:
    sent = Sent(gateway)
    await stats(gateway, "groupBy: [STATUS, PERIOD]")  # as ADMIN
    moved = sent.moved()
    assert moved == {"ekin": 0, "sppspm": 0, "ekin-analytics": 1, "sppspm-analytics": 1}, moved


# -- crafted: an NIP that e-kin does not know, paid by two departments ------------------------


@pytest.fixture(scope="module")
async def crafted(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    ekin = await create_database(pg_server, "stats_recon_ekin")
    sppspm = await create_database(pg_server, "stats_recon_sppspm")
    for dsn, system, more in ((ekin, "ekin", MORE_EKIN), (sppspm, "sppspm", MORE_SPPSPM)):
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute((ROOT / "connectors" / system / "ddl.sql").read_text())
            await conn.execute((DATA / f"crafted_{system}.sql").read_text())
            await conn.execute(more)
        finally:
            await conn.close()
    crosswalk = tmp_path_factory.mktemp("stats-recon") / "crosswalk.csv"
    Crosswalk(
        [
            CrosswalkEntry(2026, 1, DINKES),
            CrosswalkEntry(2026, 2, "1.02.0.00.0.00.01.0001"),
            CrosswalkEntry(2026, 4, BPKAD),
        ]
    ).write(crosswalk)
    return Databases(ekin, sppspm, crosswalk)


@pytest.fixture(scope="module")
async def gw(crafted: Databases) -> AsyncIterator[Gateway]:
    gateway = await open_gateway(crafted)
    yield gateway
    await close_gateway(gateway)


async def test_an_unknown_nip_paid_by_two_departments_counts_in_each_with_its_own_lines(
    gw: Gateway,
) -> None:
    body = await gw.data(
        '{ allowanceStats(from: "2026-10", to: "2026-10", groupBy: [DEPARTMENT]) {'
        f" total {{ count {SELECTION} }} groups {{ key {{ department {{ code }} }}"
        f" count {SELECTION} }} }} }}"
    )
    found = body["allowanceStats"]
    groups = {
        (g["key"]["department"] or {"code": None})["code"]: without_key(g) for g in found["groups"]
    }
    dinkes, bpkad = await listed(gw, "2026-10", DINKES), await listed(gw, "2026-10", BPKAD)
    assert groups[DINKES] == measured(dinkes) and groups[DINKES]["count"] == 7 + 3
    assert groups[BPKAD] == measured(bpkad) and groups[BPKAD]["count"] == 1  # U2's BPKAD line
    city = await listed(gw, "2026-10")
    assert {r["nip"] for r in city if r["employee"] is None} == {U1, U2, U3}
    unmapped = [r for r in city if r["employee"] and r["employee"]["department"] is None]
    assert groups[None] == measured(unmapped) and groups[None]["count"] == 1  # the laboratory
    # U2 counts once in each department that pays it; the money adds up to sppspm's
    assert found["total"]["count"] == len(city) + 1 == sum(g["count"] for g in groups.values())
    for measure in ("paid", "inProcess", "expected", "difference"):
        assert found["total"][measure]["sum"] == measured(city)[measure]["sum"], measure
    assert (found["total"]["paid"]["sum"], found["total"]["inProcess"]["sum"]) == (
        "32450000.00",
        "1650000.00",
    )


async def test_a_department_system_reads_its_departments_part_of_an_unknown_nip(
    gw: Gateway,
) -> None:
    query = """{ allowanceStats(from: "2026-10", to: "2026-10",
                                filter: {statusIn: [UNKNOWN_EMPLOYEE]}) {
                 total { count paid { sum } inProcess { sum } } } }"""
    bpkad = gw.as_caller(token("DEPT_SYSTEM", "simda-bpkad", dept=BPKAD))
    total = (await bpkad.data(query))["allowanceStats"]["total"]
    assert total == {"count": 1, "paid": {"sum": "0.00"}, "inProcess": {"sum": "750000.00"}}
    dinkes = gw.as_caller(token("DEPT_SYSTEM", "simpeg-dinkes", dept=DINKES))
    total = (await dinkes.data(query))["allowanceStats"]["total"]
    assert total == {"count": 3, "paid": {"sum": "1450000.00"}, "inProcess": {"sum": "300000.00"}}
