"""Every argument is checked at the edge, before any SQL: what a hostile client sends comes
back as BAD_USER_INPUT naming the argument, never as INTERNAL, in production too."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from graphql import parse

from gateway.crosswalk import Crosswalk
from gateway.input_check import RULES, check_rules_against, refusals
from gateway.schema import build_schema
from tests.conftest import Databases, Gateway, close_gateway, open_gateway, settings_for
from tests.test_payment_writes import YEAR, new_line, snapshot


def forged(raw: str) -> str:
    """A cursor made by hand from JSON text."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


EMPLOYEES_AFTER = "query($c: String) { employees(first: 1, after: $c) { totalCount } }"
REQUESTS_AFTER = (
    "query($c: String, $o: [PaymentRequestOrder!]) {"
    " paymentRequests(first: 1, after: $c, orderBy: $o) { totalCount } }"
)
LINES_AFTER = (
    'query($c: String) { department(code: "1.02.0.00.0.00.01.0000")'
    " { budget { lines(after: $c) { totalCount } } } }"
)

HOSTILE: list[tuple[str, str, dict[str, Any]]] = [
    # forged cursors
    (
        "cursor with a NUL",
        EMPLOYEES_AFTER,
        {"c": forged('["employee","19860926\\u00002015051001"]')},
    ),
    ("cursor of another list", EMPLOYEES_AFTER, {"c": forged('["line",5]')}),
    ("cursor that is no base64", EMPLOYEES_AFTER, {"c": "%%%"}),
    ("cursor of 1e400", LINES_AFTER, {"c": forged('["line",1e400]')}),
    ("cursor of NaN", LINES_AFTER, {"c": forged('["line",NaN]')}),
    ("cursor id of 2^40", LINES_AFTER, {"c": forged(f'["line",{2**40}]')}),
    ("cursor id true", LINES_AFTER, {"c": forged('["line",true]')}),
    (
        "cursor with a zoned time",
        REQUESTS_AFTER,
        {
            "c": forged('["payment:REQUESTED_AT_DESC",["2026-01-01T00:00:00+07:00",5]]'),
            "o": "REQUESTED_AT_DESC",
        },
    ),
    (
        "cursor with an id of 2^40",
        REQUESTS_AFTER,
        {
            "c": forged(f'["payment:REQUESTED_AT_DESC",["2026-01-01T00:00:00",{2**40}]]'),
            "o": "REQUESTED_AT_DESC",
        },
    ),
    (
        "cursor with an amount of 1e400",
        REQUESTS_AFTER,
        {"c": forged('["payment:AMOUNT_DESC",["1e400",5]]'), "o": "AMOUNT_DESC"},
    ),
    (
        "cursor of the year 9999",
        REQUESTS_AFTER,
        {
            "c": forged('["payment:REQUESTED_AT_ASC",["9999-12-31T23:59:59",5]]'),
            "o": "REQUESTED_AT_ASC",
        },
    ),
    (
        "cursor with a final newline",
        EMPLOYEES_AFTER,
        {"c": forged('["employee","198609262015051001\\n"]')},
    ),
    (
        "amount cursor with a final newline",
        REQUESTS_AFTER,
        {"c": forged('["payment:AMOUNT_DESC",["1.50\\n",5]]'), "o": "AMOUNT_DESC"},
    ),
    (
        "nested cursor",
        'query($c: String) { department(code: "1.02.0.00.0.00.01.0000")'
        " { employees(after: $c) { totalCount } } }",
        {"c": forged('["employee",5]')},
    ),
    # text
    (
        "NUL in a filter",
        "query($n: String) { employees(filter: {nameContains: $n}) { totalCount } }",
        {"n": "Bu\x00di"},
    ),
    (
        "lone surrogate in a filter",
        "query($n: String) { employees(filter: {nameContains: $n}) { totalCount } }",
        {"n": "Bu\ud800di"},
    ),
    (
        "NUL in a code",
        "query($c: String!) { department(code: $c) { name } }",
        {"c": "1.02.0.00.0.00.01.0000\x00"},
    ),
    (
        "NUL in a number",
        "query($n: String!) { paymentRequest(number: $n) { id } }",
        {"n": "000001\x00"},
    ),
    (
        "number longer than its column",
        "query($n: String!) { paymentRequest(number: $n) { id } }",
        {"n": "9" * 81},
    ),
    (
        "rank longer than its column",
        "query($r: String) { employees(filter: {rank: $r}) { totalCount } }",
        {"r": "III/a" * 5},
    ),
    (
        "text without a column, too long",
        "query($n: String) { employees(filter: {nameContains: $n}) { totalCount } }",
        {"n": "a" * 151},
    ),
    # numbers
    (
        "minAmount of 1e999999999",
        '{ paymentRequests(filter: {minAmount: "1e999999999"}) { totalCount } }',
        {},
    ),
    (
        "minAmount as a huge number",
        "query($m: Decimal) { paymentRequests(filter: {minAmount: $m}) { totalCount } }",
        {"m": 1e300},
    ),
    (
        "minAmount beyond the column",
        '{ paymentRequests(filter: {maxAmount: "100000000000000000"}) { totalCount } }',
        {},
    ),
    (
        "minAmount with three decimals",
        '{ paymentRequests(filter: {minAmount: "1.005"}) { totalCount } }',
        {},
    ),
    ("NaN amount", '{ paymentRequests(filter: {minAmount: "NaN"}) { totalCount } }', {}),
    ("Infinity amount", '{ paymentRequests(filter: {minAmount: "-Infinity"}) { totalCount } }', {}),
    (
        "amount that is no number",
        '{ paymentRequests(filter: {minAmount: "lots"}) { totalCount } }',
        {},
    ),
    ("fiscal year 2147483647", "{ departments(fiscalYear: 2147483647) { code } }", {}),
    ("fiscal year 70000", "{ departments(fiscalYear: 70000) { code } }", {}),
    (
        "fiscal year 0 in a filter",
        "{ paymentRequests(filter: {fiscalYear: 0}) { totalCount } }",
        {},
    ),
    ("nested fiscal year", "{ me { financeRoles(fiscalYear: 32768) { role } } }", {}),
    ("first beyond a page", "{ employees(first: 501) { totalCount } }", {}),
    ("negative first", "{ employees(first: -1) { totalCount } }", {}),
    (
        "unit id beyond int4",
        "query($u: Int) { employees(filter: {unitId: $u}) { totalCount } }",
        {"u": 2**40},
    ),
    # dates and periods
    ("year 0", '{ serviceLevel(from: "0000-01-01", to: "2026-01-01") { open } }', {}),
    ("year 1", '{ serviceLevel(from: "0001-01-01", to: "2026-01-01") { open } }', {}),
    ("year 9999", '{ serviceLevel(from: "2026-01-01", to: "9999-12-31") { open } }', {}),
    ("30 February", '{ serviceLevel(from: "2026-02-30", to: "2026-03-01") { open } }', {}),
    ("a date without dashes", '{ serviceLevel(from: "20260101", to: "2026-03-01") { open } }', {}),
    (
        "a date with a time",
        '{ serviceLevel(from: "2026-01-01T00:00", to: "2026-03-01") { open } }',
        {},
    ),
    (
        "nested date of year 1",
        '{ me { activities(from: "0001-01-01", to: "0001-01-02") { id } } }',
        {},
    ),
    ("period month 13", '{ allowances(period: "2026-13") { totalCount } }', {}),
    ("period of year 9999", '{ allowances(period: "9999-01") { totalCount } }', {}),
    (
        "period with a final newline",
        "query($p: Period!) { allowances(period: $p) { totalCount } }",
        {"p": "2026-03\n"},
    ),
    (
        "period in Arabic-Indic digits",
        "query($p: Period!) { allowances(period: $p) { totalCount } }",
        {"p": "٢٠٢٦-03"},
    ),
    (
        "date with a final newline",
        'query($d: Date!) { serviceLevel(from: $d, to: "2026-03-01") { open } }',
        {"d": "2026-03-01\n"},
    ),
    (
        "period without its zero",
        "query($p: Period!) { allowances(period: $p) { totalCount } }",
        {"p": "2026-1"},
    ),
    # NIPs
    ("NIP of 5 digits", '{ employee(nip: "12345") { name } }', {}),
    ("NIP of 19 digits", '{ employee(nip: "1986092620150510011") { name } }', {}),
    ("NIP of 40 digits", "query($n: Nip!) { employee(nip: $n) { name } }", {"n": "1" * 40}),
    (
        "NIP with a NUL",
        "query($n: Nip!) { employee(nip: $n) { name } }",
        {"n": "19860926201505100\x001"},
    ),
    (
        "NIP as a number",
        "query($n: Nip!) { employee(nip: $n) { name } }",
        {"n": 198609262015051001},
    ),
    (
        "NIP in Arabic-Indic digits",
        "query($n: Nip!) { employee(nip: $n) { name } }",
        {"n": "١" * 18},
    ),
]


@pytest.fixture(scope="module")
async def production(small_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(small_db, settings_for(small_db, production=True))
    yield gw
    await close_gateway(gw)


@pytest.mark.parametrize(
    ("query", "variables"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE]
)
async def test_a_hostile_argument_is_bad_user_input_before_any_sql(
    production: Gateway, query: str, variables: dict[str, Any]
) -> None:
    before = production.statements()
    response = await production.post(query, variables)
    assert response.status_code < 500
    body = response.json()
    assert body.get("data") is None
    codes = [e["extensions"]["code"] for e in body["errors"]]
    assert codes and set(codes) == {"BAD_USER_INPUT"}, body["errors"]
    assert production.statements() == before  # refused before any SQL


SUBMIT = """
mutation($input: SubmitPaymentRequestInput!) {
  submitPaymentRequest(input: $input) { paymentRequest { id } errors { code field } }
}
"""


@pytest.mark.parametrize(
    "period", ["2026-10\n", "٢٠٢٦-10"], ids=["a final newline", "Arabic-Indic digits"]
)
async def test_an_allowance_line_of_a_period_spelled_almost_right_writes_nothing(
    writes_gateway: Gateway,
    writes_db: Databases,
    writes_ekin: asyncpg.Connection,
    writes_sppspm: asyncpg.Connection,
    period: str,
) -> None:
    """tpp_rincian.periode is char(7): the first crashed the write, the second was written."""
    crosswalk = Crosswalk.load(writes_db.crosswalk)
    dept = min(code for year, code in crosswalk.codes() if year == YEAR and code.endswith(".0000"))
    nip = await writes_ekin.fetchval(
        "select min(nip) from pegawai where aktif and id_skpd = any($1::int[])",
        crosswalk.units_of(YEAR, dept),
    )
    line = await new_line(writes_sppspm, dept, "9000000")
    given = {
        "departmentCode": dept,
        "type": "LS",
        "lsKind": "ALLOWANCE",
        "budgetLineId": str(line),
        "amount": "1000000.00",
        "purpose": "TPP Oktober 2026",
        "allowanceLines": [{"nip": nip, "period": period, "amount": "1000000.00"}],
    }
    before = await snapshot(writes_sppspm)
    response = await writes_gateway.post(SUBMIT, {"input": given})
    assert response.status_code < 500
    codes = [e["extensions"]["code"] for e in response.json()["errors"]]
    assert codes == ["BAD_USER_INPUT"]
    assert await snapshot(writes_sppspm) == before


async def test_a_refusal_names_the_argument(gateway: Gateway) -> None:
    body = await gateway.query(
        "query($n: String) { employees(filter: {nameContains: $n}) { totalCount } }",
        {"n": "Bu\x00di"},
    )
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "filter.nameContains"}
    assert "NUL" in error["message"]


@pytest.mark.parametrize(
    ("query", "argument"),
    [
        ('query($c: String = "1.01") { department(code: $c) { name } }', "code"),
        ("query($v: Boolean = true) { departments @include(if: $v) { code } }", "if"),
        ("query($v: Boolean = true) { departments { code @skip(if: $v) } }", "if"),
        (
            "query($v: Boolean = true) { departments { ... on Department @skip(if: $v) { code } } }",
            "if",
        ),
    ],
)
async def test_null_for_a_variable_with_a_default_in_a_required_place_is_bad_user_input(
    gateway: Gateway, query: str, argument: str
) -> None:
    """Validation lets `$v: Boolean = true` stand where `Boolean!` is needed; null given
    for it at run time is the caller's mistake, refused before anything runs."""
    body = await gateway.query(query, {"c": None} if "$c" in query else {"v": None})
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}
    assert "not to be null" in error["message"]


async def test_values_within_their_columns_pass(gateway: Gateway) -> None:
    data = await gateway.data(
        '{ paymentRequests(first: 500, filter: {fiscalYear: 2026, minAmount: "0.01",'
        ' maxAmount: "9999999999999999.99", requestedFrom: "2000-01-01"}) { totalCount } }'
    )
    assert data["paymentRequests"]["totalCount"] > 0


def test_every_rule_names_an_argument_or_input_field_of_the_schema() -> None:
    check_rules_against(build_schema()._schema)
    assert len(RULES) > 40


def test_a_rule_for_a_renamed_argument_is_caught() -> None:
    schema = build_schema()._schema
    found = refusals(schema, parse("{ departments(fiscalYear: 1999) { code } }"), None, None)
    assert [e.extensions for e in found.errors] == [
        {"code": "BAD_USER_INPUT", "argument": "fiscalYear"}
    ]
    renamed = {**RULES, "Query.departments.year": RULES["Query.departments.fiscalYear"]}
    with pytest.raises(LookupError, match="Query.departments.year"):
        check_rules_against(schema, renamed)
