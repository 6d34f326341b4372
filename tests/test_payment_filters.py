"""Payment-request filters are SQL: each field, list of values, `not` and `anyOf` lists exactly
the requests an independent query over the legacy tables finds, with totalCount to match;
every ordering walks each request once, in the order Python sorts rows read independently;
a department system names only its own department; the edge bounds how deep filters nest."""

from __future__ import annotations

import base64
import json
import random
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from graphql import GraphQLInputObjectType

from connectors.domain import LsKind, PaymentOrderBy, PaymentStatus
from connectors.nip import spaced
from connectors.sppspm.filters import payment_condition
from connectors.sppspm.records import PaymentFilter, PaymentScope
from connectors.sql import Params
from gateway.schema import build_schema
from tests.conftest import Gateway, token
from tests.test_keyset import python_order

# The requests as the contract describes them, from the legacy tables: a request's
# department is its code with the last group 0000, its status follows its documents.
REQUESTS = """
select s.id, s.nomor_spp, s.tahun, s.kode_skpd, s.jenis, s.jenis_ls, s.id_anggaran, s.nilai,
       s.tgl_spp, s.nip_bendahara, a.kode_rekening, d.tgl_sp2d,
       regexp_replace(s.kode_skpd, '[.][0-9]{4}$', '.0000') as department,
       regexp_replace(s.nip_bendahara, '[ .]', '', 'g') as treasurer,
       case when d.id is not null then 'DISBURSED'
            when m.status_spm = 3 then 'ORDER_REJECTED'
            when m.id is not null then 'ORDER_ISSUED'
            when s.status = 0 then 'DRAFT'
            when s.status = 1 then 'SUBMITTED'
            when s.status = 2 then 'VERIFIED'
            else 'REJECTED' end as status
from spp s
left join spm m on m.id_spp = s.id
left join sp2d d on d.id_spm = m.id
left join anggaran a on a.id = s.id_anggaran
"""

LIST = """query($f: PaymentRequestFilter, $o: [PaymentRequestOrder!], $a: String, $n: Int) {
  paymentRequests(first: $n, filter: $f, orderBy: $o, after: $a) {
    totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""

DEPARTMENT = "1.02.0.00.0.00.01.0000"  # with sub-units .0001 and .0002 in the seed
OTHER = "7.01.0.00.0.00.01.0000"


@dataclass(frozen=True)
class Seed:
    treasurer: str  # 18 digits, spelled in spp with spaces or dots
    line: int  # a budget line with requests


@pytest.fixture(scope="module")
async def seed(sppspm_sql: asyncpg.Connection) -> Seed:
    treasurer = await sppspm_sql.fetchval(
        "select regexp_replace(nip_bendahara, '[ .]', '', 'g') from spp"
        " group by 1 order by count(distinct nip_bendahara) desc, count(*) desc limit 1"
    )
    line = await sppspm_sql.fetchval(
        "select id_anggaran from spp where id_anggaran is not null"
        " group by 1 order by count(*) desc, 1 limit 1"
    )
    return Seed(treasurer, line)


async def expected(sql: asyncpg.Connection, where: str, *args: Any) -> list[int]:
    rows = await sql.fetch(f"select id from ({REQUESTS}) v where {where} order by id", *args)
    return [r["id"] for r in rows]


async def listed(
    gw: Gateway, f: dict[str, Any] | None, order: list[str] | None = None, size: int = 500
) -> tuple[list[int], int]:
    """Every request the list holds, page by page, and its totalCount."""
    ids: list[int] = []
    after = None
    while True:
        variables = {"f": f, "o": order, "a": after, "n": size}
        page = (await gw.data(LIST, variables))["paymentRequests"]
        ids += [int(e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


# name: (filter, the same question in SQL over REQUESTS as v, its arguments by seed)
CASES: dict[str, tuple[Any, str, Any]] = {
    "statusIn": (
        {"statusIn": ["DISBURSED", "REJECTED"]},
        "v.status in ('DISBURSED', 'REJECTED')",
        None,
    ),
    "statusIn empty": ({"statusIn": []}, "false", None),
    "status and statusIn that disagree": (
        {"status": "DRAFT", "statusIn": ["DISBURSED"]},
        "false",
        None,
    ),
    "status and statusIn that agree": (
        {"status": "DISBURSED", "statusIn": ["DISBURSED", "DRAFT"]},
        "v.status = 'DISBURSED'",
        None,
    ),
    "typeIn": ({"typeIn": ["UP", "GU"]}, "v.jenis in ('UP', 'GU')", None),
    "typeIn empty": ({"typeIn": []}, "false", None),
    "lsKind": ({"lsKind": "ALLOWANCE"}, "v.jenis_ls = 'TPP'", None),
    "lsKindIn": (
        {"lsKindIn": ["SALARY", "GOODS_SERVICES"]},
        "v.jenis_ls in ('GAJI', 'BARANG_JASA')",
        None,
    ),
    "lsKindIn empty": ({"lsKindIn": []}, "false", None),
    "fiscalYearIn": ({"fiscalYearIn": [2025]}, "v.tahun = 2025", None),
    "fiscalYearIn empty": ({"fiscalYearIn": []}, "false", None),
    "departmentCodeIn, sub-units included": (
        {"departmentCodeIn": [DEPARTMENT, OTHER]},
        f"v.department in ('{DEPARTMENT}', '{OTHER}')",
        None,
    ),
    "departmentCodeIn empty": ({"departmentCodeIn": []}, "false", None),
    "departmentCode with departmentCodeIn": (
        {"departmentCode": DEPARTMENT, "departmentCodeIn": [OTHER]},
        "false",
        None,
    ),
    "treasurerNip in any spelling": (
        lambda s: {"treasurerNip": spaced(s.treasurer)},
        "v.treasurer = $1",
        lambda s: (s.treasurer,),
    ),
    "budgetLineId": (
        lambda s: {"budgetLineId": str(s.line)},
        "v.id_anggaran = $1",
        lambda s: (s.line,),
    ),
    "accountCodePrefix": ({"accountCodePrefix": "5.2.02"}, "v.kode_rekening like '5.2.02%'", None),
    "disbursedFrom and disbursedTo, WIB days inclusive": (
        {"disbursedFrom": "2026-03-01", "disbursedTo": "2026-03-31"},
        "v.tgl_sp2d >= '2026-03-01' and v.tgl_sp2d < '2026-04-01'",
        None,
    ),
    "disbursedTo alone": ({"disbursedTo": "2025-06-30"}, "v.tgl_sp2d < '2025-07-01'", None),
    "not keeps requests without an LS kind": (
        {"not": {"lsKind": "SALARY"}},
        "v.jenis_ls is distinct from 'GAJI'",
        None,
    ),
    "not keeps requests without an SP2D": (
        {"not": {"disbursedFrom": "2026-01-01"}},
        "v.tgl_sp2d is null or v.tgl_sp2d < '2026-01-01'",
        None,
    ),
    "not keeps requests without a budget line": (
        {"not": {"accountCodePrefix": "5.1"}},
        "v.kode_rekening is null or v.kode_rekening not like '5.1%'",
        None,
    ),
    "not with an empty list is everything": ({"not": {"statusIn": []}}, "true", None),
    "anyOf": (
        {"anyOf": [{"type": "UP"}, {"lsKind": "ALLOWANCE", "minAmount": "1000000"}]},
        "v.jenis = 'UP' or (v.jenis_ls = 'TPP' and v.nilai >= 1000000)",
        None,
    ),
    "anyOf empty": ({"anyOf": []}, "false", None),
    "an empty list beside other conditions": (
        {"fiscalYear": 2026, "minAmount": "1", "statusIn": []},
        "false",
        None,
    ),
    "an alternative that always holds": (
        {"fiscalYear": 2026, "anyOf": [{"not": {"statusIn": []}}, {"typeIn": ["LS"]}]},
        "v.tahun = 2026",
        None,
    ),
    "a negation of nothing beside conditions": (
        {"typeIn": ["LS"], "not": {"fiscalYear": 2026, "anyOf": []}},
        "v.jenis = 'LS'",
        None,
    ),
    "not anyOf empty": ({"not": {"anyOf": []}}, "true", None),
    "anyOf and not nested three deep": (
        {
            "fiscalYear": 2026,
            "anyOf": [
                {
                    "not": {
                        "anyOf": [{"statusIn": ["DRAFT", "SUBMITTED"]}, {"departmentCode": OTHER}]
                    }
                },
                {"typeIn": []},
            ],
        },
        f"v.tahun = 2026 and not (v.status in ('DRAFT', 'SUBMITTED') or v.department = '{OTHER}')",
        None,
    ),
    "a department's scope with conditions": (
        {
            "departmentCode": DEPARTMENT,
            "fiscalYear": 2026,
            "typeIn": ["LS"],
            "accountCodePrefix": "5.1",
            "not": {"statusIn": ["REJECTED", "ORDER_REJECTED"]},
        },
        f"v.department = '{DEPARTMENT}' and v.tahun = 2026 and v.jenis = 'LS'"
        " and v.kode_rekening like '5.1%' and v.status not in ('REJECTED', 'ORDER_REJECTED')",
        None,
    ),
    "treasurer, amounts and request days together": (
        lambda s: {
            "anyOf": [
                {
                    "treasurerNip": s.treasurer,
                    "requestedFrom": "2026-01-01",
                    "requestedTo": "2026-06-30",
                },
                {"minAmount": "50000000", "maxAmount": "90000000"},
            ]
        },
        "(v.treasurer = $1 and v.tgl_spp >= '2026-01-01' and v.tgl_spp < '2026-07-01')"
        " or v.nilai between 50000000 and 90000000",
        lambda s: (s.treasurer,),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_each_filter_lists_what_sql_over_the_legacy_tables_finds(
    gateway: Gateway, sppspm_sql: asyncpg.Connection, seed: Seed, name: str
) -> None:
    f, where, args = CASES[name]
    found = await expected(sppspm_sql, where, *(args(seed) if args else ()))
    ids, total = await listed(gateway, f(seed) if callable(f) else f, size=150)
    assert sorted(ids) == found
    assert total == len(found)
    assert len(set(ids)) == len(ids)


def named_fields(f: Any) -> set[str]:
    """The filter fields a filter value gives, at any depth."""
    if isinstance(f, list):
        return set().union(*(named_fields(g) for g in f))
    if not isinstance(f, dict):
        return set()
    return set(f) | set().union(*(named_fields(v) for v in f.values()))


def test_every_field_of_the_filter_is_tried() -> None:
    """The cases above name every field of PaymentRequestFilter (the clock's fields have a
    test of their own below)."""
    schema_type = build_schema()._schema.get_type("PaymentRequestFilter")
    assert isinstance(schema_type, GraphQLInputObjectType)
    dummy = Seed("198609262015051001", 1)
    tried = set().union(
        *(named_fields(f(dummy) if callable(f) else f) for f, _, _ in CASES.values())
    )
    assert set(schema_type.fields) - tried == {"clockState", "clockStateIn"}


async def test_clock_conditions_anywhere_in_a_filter(gateway: Gateway) -> None:
    every = await gateway.data(
        "{ paymentRequests(first: 500) { totalCount edges { node { id fiscalYear clock { state } } } } }"
    )
    requests = every["paymentRequests"]
    assert requests["totalCount"] == len(requests["edges"]), "one page holds the small seed"
    state = {int(e["node"]["id"]): e["node"]["clock"]["state"] for e in requests["edges"]}
    year = {int(e["node"]["id"]): e["node"]["fiscalYear"] for e in requests["edges"]}

    def where(test: Any) -> list[int]:
        return sorted(i for i in state if test(i))

    cases = [
        ({"clockStateIn": ["MET", "MISSED"]}, where(lambda i: state[i] in ("MET", "MISSED"))),
        ({"clockStateIn": []}, []),
        ({"not": {"clockState": "MET"}}, where(lambda i: state[i] != "MET")),
        (
            {"clockState": "MET", "clockStateIn": ["MET", "MISSED"]},
            where(lambda i: state[i] == "MET"),
        ),
        (
            {
                "anyOf": [
                    {"fiscalYear": 2025, "clockState": "MET"},
                    {"fiscalYear": 2026, "not": {"clockStateIn": ["MET", "NOT_STARTED"]}},
                ]
            },
            where(
                lambda i: (
                    (year[i] == 2025 and state[i] == "MET")
                    or (year[i] == 2026 and state[i] not in ("MET", "NOT_STARTED"))
                )
            ),
        ),
        (
            {"fiscalYear": 2026, "not": {"anyOf": [{"clockState": "MISSED"}, {"status": "DRAFT"}]}},
            None,  # checked against the states below
        ),
    ]
    assert {"MET", "MISSED"} <= set(state.values())
    for f, wanted in cases:
        ids, total = await listed(gateway, f)
        if wanted is None:
            assert all(year[i] == 2026 and state[i] != "MISSED" for i in ids)
            continue
        assert sorted(ids) == wanted, f
        assert total == len(wanted)


async def test_clocks_are_worked_out_once_per_operation(gateway: Gateway) -> None:
    """Lists with clock conditions of the same year read the requests' steps once: one
    statement more than the same lists without them."""
    await gateway.data("{ paymentRequests(filter: {clockState: MET}) { totalCount } }")  # calendar
    lists = """{{ a: paymentRequests(filter: {{fiscalYear: 2026, {a}}}) {{ totalCount }}
        b: paymentRequests(filter: {{fiscalYear: 2026, anyOf: [{{{b}}}, {{not: {{{c}}}}}]}}) {{
          totalCount }} }}"""
    with_clocks = lists.format(
        a="clockState: MET", b="clockStateIn: [BREACHED]", c="clockState: MISSED"
    )
    without = lists.format(a="status: DRAFT", b="statusIn: [VERIFIED]", c="status: REJECTED")
    assert await gateway.counted(with_clocks) == await gateway.counted(without) + 1 == 5


async def test_departments_with_a_clock_condition_share_one_statement(gateway: Gateway) -> None:
    """The clock's ids are the city's, so every department's page asks the same filter."""
    await gateway.data("{ paymentRequests(filter: {clockState: MET}) { totalCount } }")  # calendar
    query = """{ departments(fiscalYear: 2026) { paymentRequests(first: 3,
        filter: {not: {clockStateIn: [MET, MISSED]}}, orderBy: [NUMBER_ASC]) {
          totalCount edges { node { id } } } } }"""
    assert len((await gateway.data(query))["departments"]) > 1
    assert await gateway.counted(query) == 4  # departments, steps of 2026, pages, counts


def random_filter(rng: random.Random, depth: int = 0) -> PaymentFilter:
    """A filter of a few random conditions, empty lists and nesting among them."""
    values: dict[str, Any] = {}
    for _ in range(rng.randint(0, 3)):
        name, choices = rng.choice(RANDOM_FIELDS)
        values[name] = rng.choice(choices)
    if depth < 3 and rng.random() < 0.4:
        values["none_of"] = random_filter(rng, depth + 1)
    if depth < 3 and rng.random() < 0.4:
        values["any_of"] = tuple(random_filter(rng, depth + 1) for _ in range(rng.randint(0, 3)))
    return PaymentFilter(**values)


RANDOM_FIELDS: list[tuple[str, list[Any]]] = [
    ("fiscal_years", [(), (2026,), (2025, 2026)]),
    ("statuses", [(), (PaymentStatus.DISBURSED,), (PaymentStatus.DRAFT, PaymentStatus.REJECTED)]),
    ("ls_kinds", [(), (LsKind.SALARY,)]),
    ("department_codes", [(), (DEPARTMENT,), (DEPARTMENT, OTHER)]),
    ("ids", [(), (1, 2, 3)]),
    ("account_code_prefix", ["5.1", "5.2.02"]),
    ("min_amount", [Decimal("1000000")]),
    ("disbursed_from", [date(2026, 1, 1)]),
]


async def test_every_parameter_a_composed_filter_takes_has_its_place(gateway: Gateway) -> None:
    """However a filter composes (empty lists beside values, alternatives that match
    nothing), no value is left without its placeholder, or the statement would not run."""
    rng = random.Random(11)
    sppspm = gateway.services.sppspm
    scope = {0: PaymentScope(None)}
    for _ in range(300):
        f = random_filter(rng)
        params = Params(start=5)
        condition = payment_condition(f, params)
        used = {int(n) for n in re.findall(r"\$(\d+)::", condition)}
        assert used == set(range(5, 5 + len(params.values))), (f, condition)
        sort = [PaymentOrderBy.DISBURSED_AT_ASC]
        after = (datetime(2026, 3, 1, 9), 5)
        page = (await sppspm.request_pages(scope, f, sort, after, 3))[0]
        total = (await sppspm.request_counts(scope, f))[0]
        assert len(page.items) <= total


# -- orderings ----------------------------------------------------------------------------

SORT_COLUMNS = {
    "REQUESTED_AT": "tgl_spp",
    "AMOUNT": "nilai",
    "NUMBER": "nomor_spp",
    "DISBURSED_AT": "tgl_sp2d",
}

ORDERINGS: list[list[str] | None] = [
    None,
    ["REQUESTED_AT_DESC"],
    ["REQUESTED_AT_ASC"],
    ["AMOUNT_DESC"],
    ["AMOUNT_ASC"],
    ["NUMBER_ASC"],
    ["NUMBER_DESC"],
    ["DISBURSED_AT_ASC"],
    ["DISBURSED_AT_DESC"],
    ["DISBURSED_AT_DESC", "AMOUNT_ASC"],
    ["DISBURSED_AT_ASC", "NUMBER_DESC"],
    ["AMOUNT_ASC", "AMOUNT_DESC", "REQUESTED_AT_DESC"],  # a key asked for again adds nothing
    [],
]


def asked(order: list[str] | None) -> list[tuple[str, bool]]:
    """(column, descending) in the order a list applies them; none: newest first."""
    keys: list[tuple[str, bool]] = []
    for value in order or ["REQUESTED_AT_DESC"]:
        key, direction = value.rsplit("_", 1)
        if SORT_COLUMNS[key] not in [c for c, _ in keys]:
            keys.append((SORT_COLUMNS[key], direction == "DESC"))
    return keys


@pytest.mark.parametrize(
    "order", ORDERINGS, ids=lambda o: ",".join(o) if o is not None else "default"
)
async def test_every_ordering_walks_each_request_once_in_order(
    gateway: Gateway, sppspm_sql: asyncpg.Connection, order: list[str] | None
) -> None:
    rows = [
        dict(r)
        for r in await sppspm_sql.fetch(
            f"select id, tgl_spp, nilai, nomor_spp, tgl_sp2d from ({REQUESTS}) v where v.tahun = 2026"
        )
    ]
    ids, total = await listed(gateway, {"fiscalYear": 2026}, order, size=23)
    assert ids == python_order(rows, asked(order))
    assert total == len(rows)


async def test_a_departments_requests_page_in_an_ordering(
    gateway: Gateway, sppspm_sql: asyncpg.Connection
) -> None:
    rows = [
        dict(r)
        for r in await sppspm_sql.fetch(
            f"select id, tgl_sp2d, nomor_spp from ({REQUESTS}) v"
            " where v.department = $1 and v.tahun = 2026",
            DEPARTMENT,
        )
    ]
    query = """query($a: String) { department(code: "1.02.0.00.0.00.01.0000", fiscalYear: 2026) {
      paymentRequests(first: 4, after: $a, orderBy: [DISBURSED_AT_ASC, NUMBER_DESC]) {
        totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } }"""
    ids: list[int] = []
    after = None
    while True:
        page = (await gateway.data(query, {"a": after}))["department"]["paymentRequests"]
        ids += [int(e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert ids == python_order(rows, [("tgl_sp2d", False), ("nomor_spp", True)])
    assert page["totalCount"] == len(rows) > 4


async def test_a_single_ordering_value_is_a_list_of_one(gateway: Gateway) -> None:
    literal = await gateway.data(
        "{ paymentRequests(first: 3, orderBy: AMOUNT_ASC) { edges { node { id } } } }"
    )
    listed_ = await gateway.data(
        "{ paymentRequests(first: 3, orderBy: [AMOUNT_ASC]) { edges { node { id } } } }"
    )
    as_variable = await gateway.data(
        "query($o: [PaymentRequestOrder!]) { paymentRequests(first: 3, orderBy: $o) {"
        " edges { node { id } } } }",
        {"o": "AMOUNT_ASC"},
    )
    assert literal == listed_ == as_variable


def forged(value: Any) -> str:
    raw = value if isinstance(value, str) else json.dumps(value)
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode().rstrip("=")


HOSTILE_CURSORS = {
    "a number with a NUL": (["NUMBER_ASC"], forged(["payment:NUMBER_ASC", ["0001\u0000/SPP", 5]])),
    "a number longer than its column": (
        ["NUMBER_ASC"],
        forged(["payment:NUMBER_ASC", ["9" * 81, 5]]),
    ),
    "a number with a lone surrogate": (
        ["NUMBER_ASC"],
        forged('["payment:NUMBER_ASC",["\\ud800",5]]'),
    ),
    "a number that is a number": (["NUMBER_ASC"], forged(["payment:NUMBER_ASC", [5, 5]])),
    "a disbursement time with a zone": (
        ["DISBURSED_AT_DESC"],
        forged(["payment:DISBURSED_AT_DESC", ["2026-01-01T00:00:00+07:00", 5]]),
    ),
    "a disbursement time of NaN": (
        ["DISBURSED_AT_DESC"],
        forged('["payment:DISBURSED_AT_DESC",[NaN,5]]'),
    ),
    "too few values": (
        ["DISBURSED_AT_DESC", "AMOUNT_ASC"],
        forged(["payment:DISBURSED_AT_DESC,AMOUNT_ASC", [None, 5]]),
    ),
    "too many values": (
        ["AMOUNT_ASC"],
        forged(["payment:AMOUNT_ASC", ["1.00", "2.00", 5]]),
    ),
    "a key twice in the tag": (
        ["AMOUNT_ASC"],
        forged(["payment:AMOUNT_ASC,AMOUNT_DESC", ["1.00", "1.00", 5]]),
    ),
    "an ordering that does not exist": (
        ["AMOUNT_ASC"],
        forged(["payment:BOGUS_ASC", ["1.00", 5]]),
    ),
    "an id beyond int4": (
        ["DISBURSED_AT_ASC"],
        forged(["payment:DISBURSED_AT_ASC", [None, 2**31]]),
    ),
    "a cursor of another ordering": (
        ["AMOUNT_DESC"],
        forged(["payment:AMOUNT_ASC", ["1.00", 5]]),
    ),
    "a cursor of budget lines": (["AMOUNT_DESC"], forged(["line:CEILING_ASC", ["1.00", 5]])),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_CURSORS))
async def test_a_forged_cursor_is_bad_user_input(gateway: Gateway, name: str) -> None:
    order, cursor = HOSTILE_CURSORS[name]
    body = await gateway.query(LIST, {"o": order, "a": cursor, "n": 2})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], body


async def test_a_cursor_of_one_ordering_is_refused_by_another(gateway: Gateway) -> None:
    page = (await gateway.data(LIST, {"o": ["NUMBER_ASC"], "n": 2}))["paymentRequests"]
    cursor = page["pageInfo"]["endCursor"]
    assert (await gateway.query(LIST, {"o": ["NUMBER_ASC"], "a": cursor, "n": 2})).get(
        "errors"
    ) is None
    refused = await gateway.query(LIST, {"o": ["NUMBER_DESC"], "a": cursor, "n": 2})
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# -- who may name which department, and how deep filters nest ------------------------------


async def test_a_department_system_names_only_its_own_department(
    gateway: Gateway, sppspm_sql: asyncpg.Connection
) -> None:
    system = gateway.as_caller(token("DEPT_SYSTEM", "simda", DEPARTMENT))
    own = await expected(sppspm_sql, "v.department = $1", DEPARTMENT)
    refused = await system.query(LIST, {"f": {"departmentCodeIn": [DEPARTMENT, OTHER]}, "n": 1})
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert refused["errors"][0]["extensions"]["argument"] == "filter.departmentCodeIn.1"
    everything, total = await listed(system, None)
    assert sorted(everything) == own and total == len(own)
    named, _ = await listed(system, {"departmentCodeIn": [DEPARTMENT]})
    assert sorted(named) == own
    # inside not and anyOf a department is a condition; the row rule still holds
    not_other, total = await listed(system, {"not": {"departmentCode": OTHER}})
    assert sorted(not_other) == own and total == len(own)
    assert await listed(system, {"anyOf": [{"departmentCode": OTHER}]}) == ([], 0)


@pytest.mark.parametrize(
    ("field", "filter_type"),
    [("paymentRequests", "PaymentRequestFilter"), ("budgetLines", "BudgetLineFilter")],
)
async def test_not_and_any_of_nest_at_most_three_levels(
    gateway: Gateway, field: str, filter_type: str
) -> None:
    leaf = {"fiscalYear": 2026}
    three = {"not": {"anyOf": [{"not": leaf}]}}
    four = {"not": {"anyOf": [{"not": {"not": leaf}}]}}
    query = f"query($f: {filter_type}) {{ {field}(filter: $f) {{ totalCount }} }}"
    assert "errors" not in await gateway.query(query, {"f": three})
    refused = await gateway.query(query, {"f": four})
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["BAD_USER_INPUT"]
    assert refused["errors"][0]["extensions"]["argument"] == "filter.not.anyOf.0.not.not"


@pytest.mark.parametrize(
    "f",
    [
        {"budgetLineId": "abc"},
        {"budgetLineId": str(2**31)},
        {"budgetLineId": "0"},
        {"not": {"budgetLineId": "-1"}},
        {"accountCodePrefix": "5" * 21},
        {"anyOf": [{"departmentCodeIn": ["1" * 23]}]},
        {"departmentCodeIn": ["1.02.0.00.0.00.01.0001"]},  # a sub-unit is no department
        {"fiscalYearIn": [2026, 70000]},
        {"disbursedFrom": "2026-03-02", "disbursedTo": "2026-03-01"},
        {"anyOf": [{"requestedFrom": "2026-03-02", "requestedTo": "2026-03-01"}]},
    ],
    ids=str,
)
async def test_a_value_no_source_could_hold_is_bad_user_input(
    gateway: Gateway, f: dict[str, Any]
) -> None:
    body = await gateway.query(LIST, {"f": f, "n": 1})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], body
