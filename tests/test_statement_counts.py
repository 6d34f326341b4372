"""No N+1: SQL statements per request grow with the depth of the query, never with rows.

Each representative query runs on the small and on the medium data set (five times the
staff) and must issue the same, pinned number of statements on both. The pinned figure
is one statement per loader per nesting level; a level whose keys the request has
already loaded costs nothing, so a count can only come out lower, never grow with rows.
`bench/queries.py` prints the same counts, with timings, at city scale.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from connectors.source import Source
from tests.conftest import Gateway, token

DEPARTMENT_DASHBOARD = """{
  departments {
    code name
    employees(first: 50) { totalCount edges { node {
      nip name supervisor { nip } financeRoles { role } allowance(period: "2026-10") { status }
    } } }
    paymentRequests(first: 20) { edges { node {
      number treasurer { nip } order { number authorizer { nip } } disbursement { number }
    } } }
  }
}"""

STAFF_DIRECTORY = """{
  employees(first: 200) { totalCount edges { node {
    nip position { name grade } unit { name parent { name } department { code } }
    supervisor { name } subordinates { nip }
    activities(from: "2026-10-01", to: "2026-10-31") { id minutes }
    performance(period: "2026-10") { score allowancePercent }
  } } }
}"""

PAYMENT_LEDGER = """{
  paymentRequests(first: 200, filter: {fiscalYear: 2026}) { totalCount edges { node {
    number status department { name } budgetLine { remaining }
    history { document to by { nip } }
  } } }
}"""

ALLOWANCE_RECONCILIATION = """{
  allowances(period: "2026-10", first: 200) { totalCount edges { node {
    status employee { name position { name } } paymentRequests { number }
  } } }
}"""

BUDGET_LINES = """{
  budgetLines(first: 100, filter: {fiscalYear: 2026, not: {accountCodePrefix: "5.2"}},
              orderBy: [ABSORPTION_DESC, CEILING_ASC]) { totalCount edges { node {
    id absorption remaining department { name }
  } } }
}"""

ORDERED_DEPARTMENT_REQUESTS = """{
  departments {
    code
    paymentRequests(first: 10, orderBy: [DISBURSED_AT_DESC, NUMBER_ASC],
                    filter: {typeIn: [LS, GU], not: {statusIn: [REJECTED, ORDER_REJECTED]},
                             anyOf: [{accountCodePrefix: "5.1"}, {lsKind: ALLOWANCE}]}) {
      totalCount edges { node { number budgetLine { absorption } } }
    }
    budget { lines(first: 5, orderBy: [REMAINING_ASC]) { totalCount edges { node { id } } } }
  }
}"""

ACTIVITY_LIST = """{
  activities(first: 200, orderBy: [MINUTES_DESC, STARTS_AT_ASC],
             filter: {from: "2026-10-01", to: "2026-10-31", statusIn: [PENDING, REJECTED],
                      not: {from: "2026-10-01", to: "2026-10-31", kindIn: [LEAVE]},
                      anyOf: [{from: "2026-10-01", to: "2026-10-15"}, {from: "2026-10-20",
                               to: "2026-10-31", kindIn: [WORK]}]}) {
    totalCount edges { node {
      id minutes reviewedBy { nip } employee { name unit { name } position { grade } }
  } } }
}"""

ORDERED_DEPARTMENT_STAFF = """{
  departments {
    code
    employees(first: 20, orderBy: [RANK_DESC, NAME_ASC],
              filter: {not: {rankIn: ["III/a"]}, anyOf: [{active: true}, {employmentTypeIn: [PPPK]}]}) {
      totalCount edges { node { nip supervisor { nip } } }
    }
  }
}"""

PAYMENT_STATS = """{
  paymentRequestStats(filter: {fiscalYear: 2026, not: {statusIn: [DRAFT]}},
                      groupBy: [DEPARTMENT, TREASURER, BUDGET_LINE, DISBURSED],
                      orderBy: [SUM_DESC], first: 50) {
    total { count amount { sum } }
    groups {
      key { department { name } treasurer { name } budgetLine { description } disbursed }
      count amount { sum avg } disbursedNet { sum }
    }
  }
}"""

ACTIVITY_STATS = """{
  activityStats(filter: {from: "2026-10-01", to: "2026-10-31",
                         not: {from: "2026-10-01", to: "2026-10-31", kindIn: [LEAVE]}},
                groupBy: [DEPARTMENT, UNIT, EMPLOYEE, STARTED], orderBy: [SUM_DESC], first: 50) {
    total { count minutes { sum } }
    groups {
      key { department { name } unit { name } employee { name } started }
      count minutes { sum avg }
    }
  }
}"""

EMPLOYEE_STATS = """{
  employeeStats(filter: {anyOf: [{active: true}, {employmentTypeIn: [PPPK]}]},
                groupBy: [DEPARTMENT, UNIT, RANK, POSITION_KIND], orderBy: [COUNT_DESC]) {
    total { count }
    groups { key { department { name } unit { name } rank positionKind } count }
  }
}"""

ALLOWANCE_STATS = """{
  allowanceStats(from: "2026-09", to: "2026-10", filter: {not: {statusIn: [NOT_DUE]}},
                 groupBy: [DEPARTMENT, STATUS, PERIOD, EMPLOYMENT_TYPE, POSITION_KIND],
                 orderBy: [SUM_ASC], first: 50) {
    total { count paid { sum } }
    groups {
      key { department { name } status period employmentType positionKind }
      count difference { sum avg }
    }
  }
}"""

# query -> statements: pinned so that a change in batching is a visible change here.
PINNED = {
    "department_dashboard": (DEPARTMENT_DASHBOARD, 9),
    "staff_directory": (STAFF_DIRECTORY, 9),
    "payment_ledger": (PAYMENT_LEDGER, 6),
    "allowance_reconciliation": (ALLOWANCE_RECONCILIATION, 5),
    # the page, its count, then one batch each: employees (owners and reviewers), units,
    # positions
    "activity_list": (ACTIVITY_LIST, 5),
    # departments, then one batch each: staff pages, their counts, supervisors
    "ordered_department_staff": (ORDERED_DEPARTMENT_STAFF, 4),
    "budget_lines": (BUDGET_LINES, 3),
    "ordered_department_requests": (ORDERED_DEPARTMENT_REQUESTS, 6),
    # the grouped statement, then one batch per key that names records: departments,
    # treasurers, budget lines
    "payment_stats": (PAYMENT_STATS, 4),
    # each source once for every month asked (e-kin's expectations, sppspm's TPP lines),
    # then one batch of departments
    "allowance_stats": (ALLOWANCE_STATS, 3),
    # the grouped statement on e-kin, then one batch per key that names records:
    # departments, units, employees
    "activity_stats": (ACTIVITY_STATS, 4),
    # the grouped statement on e-kin, then departments and units
    "employee_stats": (EMPLOYEE_STATS, 3),
}


@pytest.mark.parametrize("name", sorted(PINNED))
async def test_statements_do_not_grow_with_rows(
    name: str, gateway: Gateway, medium_gateway: Gateway
) -> None:
    query, pinned = PINNED[name]
    small = await gateway.counted(query)
    medium = await medium_gateway.counted(query)
    assert small == medium == pinned, f"{name}: small {small}, medium {medium}, pinned {pinned}"


async def test_access_rules_cost_staff_one_statement_and_others_none(gateway: Gateway) -> None:
    """A STAFF caller's scope (the positions below theirs) is read once per request;
    department systems and analysts are scoped without reading anything."""
    staff_nip = (await gateway.data("{ employees(first: 1) { edges { node { nip } } } }"))[
        "employees"
    ]["edges"][0]["node"]["nip"]
    # within STAFF's cost, and nothing a STAFF caller may not see (their supervisor)
    directory = STAFF_DIRECTORY.replace("first: 200", "first: 50").replace(
        "supervisor { name }", ""
    )
    admin = await gateway.counted(directory)
    analyst = await gateway.as_caller(token("ANALYST")).counted(directory)
    staff = await gateway.as_caller(token("STAFF", staff_nip)).counted(directory)
    assert analyst == admin
    assert staff == admin + 1


def _about(sql: str) -> str:
    """Which statement of a page of payment requests `sql` is."""
    if "docs as materialized" in sql:
        return "history"
    if "used as (" in sql and "anggaran a" in sql:
        return "budget lines"
    if "r.*, t.rn" in sql:
        return "page"
    return "other"


DEPARTMENT_PAGES = """{ departments(fiscalYear: 2026) { paymentRequests(first: 5) { edges {
    node { number budgetLine { remaining } history { to } } } } } }"""


async def _sent_before_the_page_came_back(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch, query: str
) -> list[str]:
    """Which statements about the pages of payment requests `query` reads (the pages'
    history and budget lines) were sent before the pages' rows came back."""
    events: list[tuple[str, str]] = []
    fetch = Source.fetch

    async def logged(source: Source, sql: str, *args: object) -> list[asyncpg.Record]:
        events.append(("sent", _about(sql)))
        rows = await fetch(source, sql, *args)
        events.append(("answered", _about(sql)))
        return rows

    monkeypatch.setattr(Source, "fetch", logged)
    await gateway.data(query)
    page_answered = events.index(("answered", "page"))
    assert ("sent", "history") in events and ("sent", "budget lines") in events, events
    return sorted(a for event, a in events[:page_answered] if event == "sent" and a != "other")


async def test_the_history_and_budget_lines_of_departments_pages_are_read_beside_them(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked with the pages, by statements that find the pages' requests as the pages'
    own does, they are sent before its rows come back rather than after."""
    sent = await _sent_before_the_page_came_back(gateway, monkeypatch, DEPARTMENT_PAGES)
    assert sent == ["budget lines", "history", "page"]


async def test_the_history_and_budget_lines_of_one_page_are_read_after_it(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One page comes back soon: they wait for it and ask by ids, rather than have
    PostgreSQL find the page again (see `gateway.loaders._about_pages`)."""
    sent = await _sent_before_the_page_came_back(gateway, monkeypatch, PAYMENT_LEDGER)
    assert sent == ["page"]


async def test_who_made_the_changes_is_asked_as_soon_as_the_histories_come(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The people behind `history { by }` are looked up once the histories are read, not
    after the budget lines too (`finance.PageAhead.load`): here the budget lines are held
    back until e-kin has been asked, which would never happen if the look-up waited."""
    asked = asyncio.Event()
    fetch = Source.fetch

    async def held(source: Source, sql: str, *args: object) -> list[asyncpg.Record]:
        if source.name == "ekin":
            asked.set()
        elif _about(sql) == "budget lines":
            await asyncio.wait_for(asked.wait(), timeout=10)
        return await fetch(source, sql, *args)

    monkeypatch.setattr(Source, "fetch", held)
    data = await gateway.data(PAYMENT_LEDGER)
    nodes = [edge["node"] for edge in data["paymentRequests"]["edges"]]
    assert any(change["by"] for node in nodes for change in node["history"]), nodes[:3]
    assert any(node["budgetLine"] for node in nodes), nodes[:3]


async def test_a_selected_total_count_is_asked_with_its_page(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its statement goes out beside the page's, not once the page's fields are complete
    (`gateway.schema.pagination.count_ahead`); one not selected is not asked at all."""
    events: list[tuple[str, str]] = []
    fetch = Source.fetch

    async def logged(source: Source, sql: str, *args: object) -> list[asyncpg.Record]:
        kind = "count" if "count(*) as total" in sql else "page" if "sort_0" in sql else "other"
        events.append(("sent", kind))
        rows = await fetch(source, sql, *args)
        events.append(("answered", kind))
        return rows

    monkeypatch.setattr(Source, "fetch", logged)
    page = "employees(first: 3) { %s edges { node { nip } } }"
    await gateway.data("{ departments { %s } }" % (page % "totalCount"))
    assert events.index(("sent", "count")) < events.index(("answered", "page")), events
    events.clear()
    await gateway.data("{ departments { %s } }" % (page % ""))
    assert ("sent", "count") not in events, events
