"""The contract's rules, each checked on a tiny hand-made pair of databases whose
expected answers can be worked out by hand (tests/data/crafted_*.sql)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from gateway.crosswalk import Crosswalk, CrosswalkEntry
from tests.conftest import Databases, Gateway, close_gateway, create_database, open_gateway

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
DINKES = "1.02.0.00.0.00.01.0000"
KEPALA = "197001011995031001"  # score 90.00, class 15 whose basis rose on 2026-07-01
KAPUS = "198001012005012002"  # score 89.99, underpaid, with a line still in process
DOKTER = "198609262015051001"  # score 65: 3,333,333 x 55% = 1,833,333.15
PELAKSANA = "199001012020121001"  # no score row
INACTIVE = "198501012010011001"  # inactive but paid
STAFF = "199202022019032001"  # under a vacant position; score 39.99
UNPAID = "199303032020011001"  # score 75, not paid at all


async def build(pg_server: Any, tmp: Path) -> Databases:
    ekin = await create_database(pg_server, "crafted_ekin")
    sppspm = await create_database(pg_server, "crafted_sppspm")
    for dsn, system in ((ekin, "ekin"), (sppspm, "sppspm")):
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute((ROOT / "connectors" / system / "ddl.sql").read_text())
            await conn.execute((DATA / f"crafted_{system}.sql").read_text())
        finally:
            await conn.close()
    crosswalk = tmp / "crosswalk.csv"
    Crosswalk(
        [
            CrosswalkEntry(2025, 1, DINKES),
            CrosswalkEntry(2026, 1, DINKES),
            CrosswalkEntry(2026, 2, "1.02.0.00.0.00.01.0001"),
        ]
    ).write(crosswalk)
    return Databases(ekin, sppspm, crosswalk)


@pytest.fixture(scope="module")
async def gw(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    gateway = await open_gateway(await build(pg_server, tmp_path_factory.mktemp("crafted")))
    yield gateway
    await close_gateway(gateway)


async def allowance(gw: Gateway, nip: str, period: str = "2026-10") -> dict[str, Any]:
    data = await gw.data(
        """query($nip: Nip!, $period: Period!) { employee(nip: $nip) {
             allowance(period: $period) { basis percent expected paid inProcess difference status
               paymentRequests { number } } } }""",
        {"nip": nip, "period": period},
    )
    result: dict[str, Any] = data["employee"]["allowance"]
    return result


async def test_score_90_00_is_in_the_top_band_and_the_new_basis_applies(gw: Gateway) -> None:
    a = await allowance(gw, KEPALA)
    assert (a["basis"], a["percent"], a["expected"]) == ("22000000.00", 100, "22000000.00")
    assert a["status"] == "MATCHED"


async def test_basis_before_its_change_date_is_the_old_one(gw: Gateway) -> None:
    a = await allowance(gw, KEPALA, "2026-06")
    assert (a["basis"], a["expected"], a["status"]) == ("20000000.00", "20000000.00", "UNPAID")


async def test_score_89_99_is_in_the_85_percent_band(gw: Gateway) -> None:
    a = await allowance(gw, KAPUS)
    assert (a["percent"], a["expected"], a["paid"]) == (85, "6800000.00", "6000000.00")
    assert (a["inProcess"], a["difference"], a["status"]) == (
        "500000.00",
        "-800000.00",
        "UNDERPAID",
    )
    assert len(a["paymentRequests"]) == 2


async def test_expected_rounds_half_up_to_whole_rupiah(gw: Gateway) -> None:
    a = await allowance(gw, DOKTER)
    assert (a["percent"], a["expected"], a["status"]) == (55, "1833333.00", "OVERPAID")


async def test_no_score_row_means_nothing_is_due(gw: Gateway) -> None:
    a = await allowance(gw, PELAKSANA)
    assert (a["percent"], a["expected"], a["status"]) == (0, "0.00", "NOT_DUE")


async def test_inactive_staff_are_due_nothing_so_a_payment_is_overpaid(gw: Gateway) -> None:
    a = await allowance(gw, INACTIVE)
    assert (a["expected"], a["paid"], a["status"]) == ("0.00", "1000000.00", "OVERPAID")


async def test_unpaid_and_lowest_band(gw: Gateway) -> None:
    assert (await allowance(gw, UNPAID))["status"] == "UNPAID"
    assert (await allowance(gw, STAFF))["expected"] == "0.00"


async def test_allowance_list_filters_by_status_and_department(gw: Gateway) -> None:
    query = """query($status: AllowanceStatus) {
      allowances(period: "2026-10", departmentCode: "1.02.0.00.0.00.01.0000", status: $status) {
        totalCount edges { node { employee { nip } status } } } }"""
    everyone = (await gw.data(query, {"status": None}))["allowances"]
    assert everyone["totalCount"] == 7  # the PPPK of the unmapped lab is outside the department
    statuses = {e["node"]["employee"]["nip"]: e["node"]["status"] for e in everyone["edges"]}
    assert statuses == {
        KEPALA: "MATCHED",
        KAPUS: "UNDERPAID",
        DOKTER: "OVERPAID",
        PELAKSANA: "NOT_DUE",
        INACTIVE: "OVERPAID",
        STAFF: "NOT_DUE",
        UNPAID: "UNPAID",
    }
    overpaid = (await gw.data(query, {"status": "OVERPAID"}))["allowances"]
    assert overpaid["totalCount"] == 2


async def test_budget_counts_committed_and_disbursed_by_the_contract(gw: Gateway) -> None:
    data = await gw.data(
        """{ department(code: "1.02.0.00.0.00.01.0000", fiscalYear: 2026) {
             budget { ceiling committed disbursed remaining lines { totalCount
               edges { node { id ceiling committed disbursed remaining } } } } } }"""
    )
    budget = data["department"]["budget"]
    # committed: SPP 1 and 2 on line 1, SPP 6 on line 2; SPP 3 rejected, SPP 5's SPM rejected,
    # SPP 4 is UP (no line); 2025's line is another year.
    assert budget["ceiling"] == "150000000.00"
    assert budget["committed"] == "34500000.00"
    assert budget["disbursed"] == "34000000.00"
    assert budget["remaining"] == "115500000.00"
    lines = {e["node"]["id"]: e["node"] for e in budget["lines"]["edges"]}
    assert budget["lines"]["totalCount"] == 2
    assert lines["2"]["committed"] == "3000000.00" and lines["2"]["remaining"] == "47000000.00"


async def test_payment_statuses_follow_the_three_documents(gw: Gateway) -> None:
    data = await gw.data(
        """{ paymentRequests(filter: {fiscalYear: 2026}, orderBy: REQUESTED_AT_ASC) {
             edges { node { id status rejectionReason } } } }"""
    )
    status = {e["node"]["id"]: e["node"]["status"] for e in data["paymentRequests"]["edges"]}
    assert status == {
        "1": "DISBURSED",
        "2": "SUBMITTED",
        "3": "REJECTED",
        "4": "SUBMITTED",
        "5": "ORDER_REJECTED",
        "6": "DISBURSED",
    }
    reasons = {
        e["node"]["id"]: e["node"]["rejectionReason"] for e in data["paymentRequests"]["edges"]
    }
    assert reasons["5"] == "Kontrak belum lengkap" and reasons["3"] == "Bukti kurang"


async def test_sppspm_times_render_in_wib_with_the_right_instant(gw: Gateway) -> None:
    data = await gw.data(
        """{ paymentRequest(number: "000001/SPP-LS/1.02.0.00.0.00.01.0000/2026") {
             requestedAt treasurer { nip name } order { number issuedAt status authorizer { nip } }
             disbursement { issuedAt netAmount authorizer { nip } }
             history { document from to at by { nip } note } } }"""
    )
    request = data["paymentRequest"]
    assert request["requestedAt"] == "2026-11-02T10:00:00+07:00"
    assert request["treasurer"] == {"nip": DOKTER, "name": "Dr. Budi Santoso, S.Kom., M.T."}
    assert request["order"]["issuedAt"] == "2026-11-03T09:00:00+07:00"
    assert request["order"]["status"] == "ACCEPTED"
    assert request["order"]["authorizer"] == {"nip": KEPALA}
    assert request["disbursement"] == {
        "issuedAt": "2026-11-04T15:30:00+07:00",
        "netAmount": "29450000.00",
        "authorizer": None,  # the Kuasa BUD is not an e-kin employee: reported as a data issue
    }
    history = request["history"]
    assert [(h["document"], h["from"], h["to"]) for h in history] == [
        ("SPP", None, "DRAFT"),
        ("SPP", "DRAFT", "SUBMITTED"),
        ("SPP", "SUBMITTED", "VERIFIED"),
        ("SPM", None, "ORDER_ISSUED"),
        ("SPM", "ORDER_ISSUED", "DISBURSED"),
        ("SP2D", None, "DISBURSED"),
    ]
    assert history[2]["by"] == {"nip": KAPUS}


HISTORY_OF_FIRST = """query%s {
  paymentRequest(number: "000001/SPP-LS/1.02.0.00.0.00.01.0000/2026") { history { to %s } } }"""


async def test_who_made_each_change_is_looked_up_once_with_the_history(gw: Gateway) -> None:
    """`by` is read from the people its history looked up: the same people through a
    fragment, and no look-up at all when `by` is skipped."""
    plain = HISTORY_OF_FIRST % ("", "by { nip }")
    fragment = HISTORY_OF_FIRST % ("", "...Who") + " fragment Who on StatusChange { by { nip } }"
    skipped = HISTORY_OF_FIRST % ("($skip: Boolean!)", "by @skip(if: $skip) { nip }")
    without = HISTORY_OF_FIRST % ("", "")
    by = await gw.data(plain)
    assert by["paymentRequest"]["history"][2]["by"] == {"nip": KAPUS}
    assert await gw.data(fragment) == by
    assert await gw.data(skipped, {"skip": False}) == by
    without_by = await gw.counted(without)
    assert await gw.counted(skipped, {"skip": True}) == without_by
    assert await gw.counted(plain) == without_by + 1  # the people, in one statement


async def asked_with_ekin_down(gw: Gateway, query: str) -> dict[str, Any]:
    """The answer to `query` from a gateway like `gw` whose e-kin database does not exist."""
    settings = gw.services.settings
    assert "/crafted_ekin" in settings.ekin_dsn
    broken = Databases(
        settings.ekin_dsn.replace("/crafted_ekin", "/no_such_ekin"),
        settings.sppspm_dsn,
        settings.crosswalk,
    )
    down = await open_gateway(broken, differential=False)
    try:
        return await down.query(query)
    finally:
        await close_gateway(down)


async def test_with_ekin_down_who_made_a_change_is_null_with_its_own_error(gw: Gateway) -> None:
    body = await asked_with_ekin_down(gw, HISTORY_OF_FIRST % ("", "by { nip }"))
    history = body["data"]["paymentRequest"]["history"]
    assert [h["to"] for h in history][:3] == ["DRAFT", "SUBMITTED", "VERIFIED"]
    assert all(h["by"] is None for h in history)
    failed = {tuple(e["path"]) for e in body["errors"]}
    assert {("paymentRequest", "history", 2, "by")} <= failed
    assert {e["extensions"]["code"] for e in body["errors"]} == {"SOURCE_UNAVAILABLE"}


REQUEST_FIELDS = """number department { code name } budgetLine { description remaining }
  history { document to at by { nip name } } treasurer { nip name }
  order { number authorizer { nip } } disbursement { number authorizer { nip } }"""


async def test_a_page_answers_for_each_request_what_it_answers_alone(gw: Gateway) -> None:
    """`department`, `budgetLine`, `history`, `treasurer` and the authorizers read what
    their page loaded ahead (`finance.PageAhead`); a request found by its number loads
    them itself."""
    page = await gw.data(
        "{ paymentRequests(first: 50) { edges { node { " + REQUEST_FIELDS + " } } } }"
    )
    nodes = [edge["node"] for edge in page["paymentRequests"]["edges"]]
    assert len(nodes) > 5
    assert any(n["budgetLine"] for n in nodes) and any(n["history"] for n in nodes)
    assert any(c["by"] for n in nodes for c in n["history"]), "people found for some changes"
    assert any(n["treasurer"] for n in nodes) and any(n["order"] for n in nodes)
    alone = "query($n: String!) { paymentRequest(number: $n) { " + REQUEST_FIELDS + " } }"
    for node in nodes:
        assert (await gw.data(alone, {"n": node["number"]}))["paymentRequest"] == node


async def test_a_page_loads_ahead_only_what_is_selected(gw: Gateway) -> None:
    """Each field left out, or skipped, below a page saves its statement; through a
    fragment it is loaded ahead as when written out."""
    query = """query($skip: Boolean!) { paymentRequests(first: 50) { edges { node {
      number id @skip(if: $skip) %s } } } }"""
    bare = await gw.counted(query % "", {"skip": False})
    for field in (
        "department { name }",
        "budgetLine { description }",
        "history { to }",
        "treasurer { nip }",
        "order { authorizer { nip } }",
    ):
        with_it = await gw.counted(query % field, {"skip": False})
        assert with_it == bare + 1, field
        skipped = field.replace(" {", " @skip(if: $skip) {", 1)
        assert await gw.counted(query % skipped, {"skip": True}) == bare, field
    by = await gw.counted(query % "history { to by { nip } }", {"skip": False})
    assert by == bare + 2, "the histories, then their people"
    fragment = query % "...F" + " fragment F on PaymentRequest { history { by { nip } } }"
    assert await gw.counted(fragment, {"skip": False}) == by
    people = "treasurer { nip } order { authorizer { nip } } disbursement { authorizer { nip } }"
    assert await gw.counted(query % people, {"skip": False}) == bare + 1, "in one statement"


async def test_with_ekin_down_a_page_fails_only_who_made_each_change(gw: Gateway) -> None:
    body = await asked_with_ekin_down(
        gw,
        "{ paymentRequests(first: 50) { edges { node { number budgetLine { description }"
        " history { to by { nip } } } } } }",
    )
    nodes = [edge["node"] for edge in body["data"]["paymentRequests"]["edges"]]
    assert any(n["budgetLine"] for n in nodes) and any(n["history"] for n in nodes)
    assert all(c["by"] is None for n in nodes for c in n["history"])
    paths = {tuple(e["path"][-2:]) for e in body["errors"]}
    assert paths and all(path[-1] == "by" for path in paths)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"SOURCE_UNAVAILABLE"}


EMPLOYEE_FIELDS = "nip position { name grade } supervisor { nip name position { name } }"


async def test_a_page_of_employees_answers_for_each_what_each_answers_alone(
    gw: Gateway,
) -> None:
    """`position` and `supervisor` read what their page loaded ahead
    (`people.EmployeesAhead`), and cost a statement each only when selected."""
    page = await gw.data("{ employees(first: 50) { edges { node { " + EMPLOYEE_FIELDS + " } } } }")
    nodes = [edge["node"] for edge in page["employees"]["edges"]]
    assert len(nodes) > 5 and any(n["supervisor"] for n in nodes)
    alone = "query($n: Nip!) { employee(nip: $n) { " + EMPLOYEE_FIELDS + " } }"
    for node in nodes:
        assert (await gw.data(alone, {"n": node["nip"]}))["employee"] == node
    query = (
        "query($s: Boolean!) { employees(first: 50) { edges { node { name @skip(if: $s) %s } } } }"
    )
    bare = await gw.counted(query % "", {"s": False})
    for field in ("position { name }", "supervisor { nip }", "financeRoles { role }"):
        assert await gw.counted(query % field, {"s": False}) == bare + 1, field
        skipped = field.replace(" {", " @skip(if: $s) {", 1)
        assert await gw.counted(query % skipped, {"s": True}) == bare, field


ROLES_ASKED = [
    # the fields asked, and the statements they add to the page's (a role's department
    # is one more)
    ("financeRoles { fiscalYear role department { code } }", 2),
    ("financeRoles(fiscalYear: 2026) { role }", 1),
    # two years: not loaded ahead, each field loads its own (a statement per year)
    ("financeRoles(fiscalYear: 2025) { role } all: financeRoles { fiscalYear role }", 2),
    # the expected allowance, and the payments of those with one due
    ('allowance(period: "2026-10") { status expected paid inProcess }', 2),
    # two periods: not loaded ahead, each field loads its own (two statements per period)
    ('allowance(period: "2026-09") { status } october: allowance(period: "2026-10") { paid }', 4),
    # a period that is no period: the operation is refused, nothing is read
    ('allowance(period: "2026-13") { status }', 0),
]


@pytest.mark.parametrize(("roles", "statements"), ROLES_ASKED)
async def test_a_page_of_employees_answers_roles_and_allowances_as_each_alone(
    gw: Gateway, roles: str, statements: int
) -> None:
    """`financeRoles` and `allowance` read what their page loaded ahead when every
    selection of them asks for the same fiscal year or period, else load for themselves:
    either way each employee answers what it answers alone, at the same cost."""
    fields = f"nip {roles}"
    query = "{ employees(first: 300) { edges { node { " + fields + " } } } }"
    bare = await gw.counted("{ employees(first: 300) { edges { node { nip } } } }")
    if statements == 0:
        body = await gw.query(query)
        assert body["errors"] and {e["extensions"]["code"] for e in body["errors"]} == {
            "BAD_USER_INPUT"
        }
        assert gw.last_statements == 0
        return
    page = await gw.data(query)
    nodes = [edge["node"] for edge in page["employees"]["edges"]]
    with_answers = [n for n in nodes if any(v for k, v in n.items() if k != "nip")]
    assert len(with_answers) >= 2, "no employee on the page has an answer: nothing compared"
    alone = "query($n: Nip!) { employee(nip: $n) { " + fields + " } }"
    for node in with_answers + nodes[:5]:
        assert (await gw.data(alone, {"n": node["nip"]}))["employee"] == node
    assert await gw.counted(query) == bare + statements


async def test_ekin_times_render_in_wib(gw: Gateway) -> None:
    data = await gw.data(
        """{ employee(nip: "198609262015051001") {
             activities(from: "2026-10-01", to: "2026-10-31") { id startsAt minutes status
               reviewedBy { nip } } } }"""
    )
    activities = data["employee"]["activities"]
    assert [a["id"] for a in activities] == ["1", "2", "3"]  # 1 Nov 06:30 WIB is outside
    assert activities[0]["startsAt"] == "2026-10-05T08:00:00+07:00"
    assert [a["status"] for a in activities] == ["APPROVED", "REJECTED", "PENDING"]
    assert activities[0]["reviewedBy"] == {"nip": KAPUS}


async def test_activity_status_filter(gw: Gateway) -> None:
    data = await gw.data(
        """{ employee(nip: "198609262015051001") {
             activities(from: "2026-10-01", to: "2026-10-31", status: PENDING) { id } } }"""
    )
    assert data["employee"]["activities"] == [{"id": "3"}]


async def test_supervisor_skips_a_vacant_position(gw: Gateway) -> None:
    data = await gw.data(
        """{ staff: employee(nip: "199202022019032001") { supervisor { nip } }
             dokter: employee(nip: "198609262015051001") { supervisor { nip } }
             kepala: employee(nip: "197001011995031001") { supervisor { nip } }
             kapus: employee(nip: "198001012005012002") { subordinates { nip } } }"""
    )
    assert data["staff"]["supervisor"] == {"nip": KEPALA}
    assert data["dokter"]["supervisor"] == {"nip": KAPUS}
    assert data["kepala"]["supervisor"] is None
    assert [s["nip"] for s in data["kapus"]["subordinates"]] == sorted(
        [DOKTER, PELAKSANA, INACTIVE, UNPAID, "199505052022212001"]
    )


async def test_finance_roles_match_every_nip_spelling(gw: Gateway) -> None:
    data = await gw.data(
        """{ dokter: employee(nip: "198609262015051001") { financeRoles { fiscalYear role
               department { code } } }
             kapus: employee(nip: "198001012005012002") { financeRoles(fiscalYear: 2026) { role } }
             kepala: employee(nip: "197001011995031001") { financeRoles(fiscalYear: 2025) { role } } }"""
    )
    assert data["dokter"]["financeRoles"] == [
        {"fiscalYear": 2026, "role": "TREASURER", "department": {"code": DINKES}}
    ]
    assert data["kapus"]["financeRoles"] == [{"role": "VERIFIER"}]
    assert data["kepala"]["financeRoles"] == [{"role": "BUDGET_USER"}]


async def test_data_issues_report_what_did_not_join(gw: Gateway) -> None:
    data = await gw.data("{ dataIssues(fiscalYear: 2026) { kind source key } }")
    issues = {(i["kind"], i["source"], i["key"]) for i in data["dataIssues"]}
    assert ("UNMAPPED_UNIT", "ekin", "3") in issues
    assert ("UNKNOWN_PERSON", "sppspm", "197505052000031009") in issues
    assert ("INVALID_NIP", "sppspm", "1234") in issues
    assert any(kind == "ORPHAN_RECORD" and source == "sppspm" for kind, source, _ in issues)


async def test_department_units_staff_and_performance(gw: Gateway) -> None:
    data = await gw.data(
        """{ department(code: "1.02.0.00.0.00.01.0000") { id name fiscalYear
             units { ekinId parent { ekinId } department { code } }
             employees(first: 3) { totalCount edges { node { nip } } pageInfo { hasNextPage } }
             performance(period: "2026-10") { headcount averageScore belowSixty approvedMinutes
               pendingActivities } } }"""
    )
    department = data["department"]
    assert department["id"] == "2026:1.02.0.00.0.00.01.0000"
    assert [u["ekinId"] for u in department["units"]] == [1, 2]
    assert department["units"][1]["parent"] == {"ekinId": 1}
    assert department["employees"]["totalCount"] == 7
    assert department["employees"]["pageInfo"]["hasNextPage"] is True
    performance = department["performance"]
    # six active staff in units 1 and 2; scores 90, 89.99, 65, 39.99, 75 (one has none)
    assert performance["headcount"] == 6
    assert performance["averageScore"] == "72.00"  # 359.98 / 5 = 71.996
    assert performance["belowSixty"] == 1
    assert performance["approvedMinutes"] == 120
    assert performance["pendingActivities"] == 1


async def test_employee_spellings_all_find_the_same_person(gw: Gateway) -> None:
    for spelling in ("198609262015051001", "19860926 201505 1 001", "19860926.201505.1.001"):
        data = await gw.data("query($n: Nip!) { employee(nip: $n) { nip } }", {"n": spelling})
        assert data["employee"] == {"nip": DOKTER}


async def errors_of(gw: Gateway, query: str, variables: dict[str, Any] | None = None) -> list[Any]:
    body = await gw.query(query, variables)
    assert body.get("errors"), body
    errors: list[Any] = body["errors"]
    return errors


async def test_malformed_nip_is_a_clear_error(gw: Gateway) -> None:
    errors = await errors_of(gw, "query($n: Nip!) { employee(nip: $n) { nip } }", {"n": "12-34"})
    assert "is not an NIP" in errors[0]["message"]


async def test_unknown_department_code_is_a_clear_error(gw: Gateway) -> None:
    errors = await errors_of(gw, '{ department(code: "9.99.0.00.0.00.01.0000") { name } }')
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    errors = await errors_of(gw, '{ department(code: "DINKES") { name } }')
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    errors = await errors_of(
        gw, '{ employees(filter: {departmentCode: "9.99.0.00.0.00.01.0000"}) { totalCount } }'
    )
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


async def test_invalid_period_is_a_clear_error(gw: Gateway) -> None:
    errors = await errors_of(gw, '{ allowances(period: "2026-13") { totalCount } }')
    assert "is not a period" in errors[0]["message"]


async def test_first_above_500_is_refused(gw: Gateway) -> None:
    errors = await errors_of(gw, "{ employees(first: 501) { totalCount } }")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 500" in errors[0]["message"]


async def test_reversed_activity_range_is_refused(gw: Gateway) -> None:
    errors = await errors_of(
        gw,
        '{ employee(nip: "198609262015051001") { activities(from: "2026-10-31", to: "2026-10-01") { id } } }',
    )
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "order", ["REQUESTED_AT_DESC", "REQUESTED_AT_ASC", "AMOUNT_DESC", "AMOUNT_ASC"]
)
async def test_cursors_walk_payment_requests_without_gaps_or_repeats(
    gw: Gateway, order: str
) -> None:
    query = """query($after: String, $order: [PaymentRequestOrder!]) {
      paymentRequests(first: 2, after: $after, orderBy: $order) {
        totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await gw.data(query, {"after": after, "order": order}))["paymentRequests"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen, key=int) == [str(i) for i in range(1, 8)]
    assert len(seen) == page["totalCount"] == 7


async def test_unit_filter_narrows_a_department_and_its_count(gw: Gateway) -> None:
    data = await gw.data(
        """{ department(code: "1.02.0.00.0.00.01.0000") {
             office: employees(filter: {unitId: 1}) { totalCount edges { node { nip } } }
             lab: employees(filter: {unitId: 3}) { totalCount }
             active: employees(filter: {active: false}) { totalCount edges { node { nip } } } }
           everyone: employees(filter: {unitId: 3}) { totalCount } }"""
    )
    department = data["department"]
    assert [e["node"]["nip"] for e in department["office"]["edges"]] == [KEPALA, STAFF]
    assert department["office"]["totalCount"] == 2
    assert department["lab"]["totalCount"] == 0  # the lab is not mapped to the department
    assert department["active"]["totalCount"] == 1
    assert department["active"]["edges"] == [{"node": {"nip": INACTIVE}}]
    assert data["everyone"]["totalCount"] == 1
