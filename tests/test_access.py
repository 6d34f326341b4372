"""The contract's "Who may do what" table, row by row, through real HTTP and real SQL.

Each role gets at least one allowed and one refused read. The people, departments and
requests used are picked from the seeded databases by SQL, and list answers are checked
against SQL counts of what the role may see.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import jwt
import pytest

from connectors.nip import normalise_nip
from gateway.crosswalk import Crosswalk, department_code_of
from gateway.logs import JsonLines
from tests.conftest import TEST_SECRET, Databases, Gateway, submitted_copy, token

YEAR = 2026


@dataclass(frozen=True)
class World:
    dept: str  # a department with a 2026 PPK-SKPD known to e-kin
    units: list[int]
    other_dept: str
    head: str  # STAFF: an employee of `dept` with people below
    visible_to_head: set[str]  # the head and everyone below, by SQL
    report: str  # someone below the head
    stranger: str  # an employee of another department
    verifier: str  # the PPK-SKPD of `dept` in 2026
    dept_request: str  # a 2026 SPP of `dept`
    other_request: str  # a 2026 SPP of `other_dept`


async def people_below(ekin_sql: asyncpg.Connection) -> dict[str, list[str]]:
    """For each employee, everyone in the positions below theirs, all levels: walked here
    in Python from jabatan.id_atasan, independently of the gateway's SQL."""
    children: dict[int, list[int]] = {}
    for row in await ekin_sql.fetch("select id, id_atasan from jabatan"):
        children.setdefault(row["id_atasan"], []).append(row["id"])
    holders: dict[int, list[str]] = {}
    people = await ekin_sql.fetch("select nip, id_jabatan from pegawai order by nip")
    for row in people:
        holders.setdefault(row["id_jabatan"], []).append(row["nip"])

    def below(position: int) -> list[str]:
        found, stack = [], list(children.get(position, []))
        while stack:
            current = stack.pop()
            found += holders.get(current, [])
            stack += children.get(current, [])
        return sorted(found)

    return {row["nip"]: below(row["id_jabatan"]) for row in people}


@pytest.fixture(scope="module")
async def world(
    small_db: Databases, ekin_sql: asyncpg.Connection, sppspm_sql: asyncpg.Connection
) -> World:
    crosswalk = Crosswalk.load(small_db.crosswalk)
    verifiers = await sppspm_sql.fetch(
        "select nip, kode_skpd from pejabat where tahun = $1 and peran = 'PPK_SKPD'"
        " order by kode_skpd",
        YEAR,
    )
    known = {r["nip"] for r in await ekin_sql.fetch("select nip from pegawai")}
    verifier_row = next(
        r
        for r in verifiers
        if normalise_nip(r["nip"]) in known
        and r["kode_skpd"].endswith(".0000")
        and crosswalk.units_of(YEAR, r["kode_skpd"])
    )
    dept = verifier_row["kode_skpd"]
    units = crosswalk.units_of(YEAR, dept)
    staff = await ekin_sql.fetch(
        "select nip from pegawai where id_skpd = any($1::int[]) and aktif order by nip", units
    )
    everyone_below = await people_below(ekin_sql)
    below = {row["nip"]: everyone_below[row["nip"]] for row in staff}
    head = max(below, key=lambda nip: (len(below[nip]), nip))
    assert below[head], "the seed gives departments a hierarchy"
    other_dept = next(
        department_code_of(code)
        for (year, code) in sorted(crosswalk.codes())
        if year == YEAR and department_code_of(code) != dept
    )
    other_units = crosswalk.units_of(YEAR, other_dept)
    stranger = await ekin_sql.fetchval(
        "select min(nip) from pegawai where id_skpd = any($1::int[])", other_units
    )
    prefix = dept[: dept.rindex(".")]
    other_prefix = other_dept[: other_dept.rindex(".")]
    spp = "select min(nomor_spp) from spp where tahun = $1 and kode_skpd like $2 || '.%'"
    return World(
        dept=dept,
        units=units,
        other_dept=other_dept,
        head=head,
        visible_to_head={head, *below[head]},
        report=below[head][0],
        stranger=stranger,
        verifier=normalise_nip(verifier_row["nip"]),
        dept_request=await sppspm_sql.fetchval(spp, YEAR, prefix),
        other_request=await sppspm_sql.fetchval(spp, YEAR, other_prefix),
    )


def as_role(gateway: Gateway, role: str, sub: str = "client", dept: str | None = None) -> Gateway:
    return gateway.as_caller(token(role, sub, dept))


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def refused_paths(body: dict[str, Any], code: str = "FORBIDDEN") -> list[list[Any]]:
    return [e["path"] for e in body.get("errors", []) if e["extensions"]["code"] == code]


# -- anonymous ---------------------------------------------------------------------------


async def test_anonymous_callers_read_health_only(gateway: Gateway) -> None:
    anonymous = gateway.as_caller(None)
    health = await anonymous.data("{ sources { name healthy } }")
    assert [s["name"] for s in health["sources"]] == ["ekin", "sppspm"]
    before = gateway.statements()
    body = await anonymous.query("{ employees(first: 1) { totalCount } }")
    assert body["data"] is None and codes(body) == ["UNAUTHENTICATED"]
    assert "bearer token" in body["errors"][0]["message"]
    assert gateway.statements() == before, "nothing is read for a refused root field"


# -- STAFF -------------------------------------------------------------------------------


async def test_staff_read_their_own_record_activities_allowance_and_performance(
    gateway: Gateway, world: World
) -> None:
    staff = as_role(gateway, "STAFF", world.head)
    data = await staff.data(
        """{ me { nip birthDate gender
                  activities(from: "2026-10-01", to: "2026-10-31") { minutes description }
                  allowance(period: "2026-10") { expected }
                  performance(period: "2026-10") { score } } }"""
    )
    assert data["me"]["nip"] == world.head and data["me"]["birthDate"]
    assert data["me"]["activities"] is not None


async def test_staff_read_the_records_of_people_below_them(gateway: Gateway, world: World) -> None:
    staff = as_role(gateway, "STAFF", world.head)
    data = await staff.data(
        """query($nip: Nip!) { employee(nip: $nip) { nip birthDate
              activities(from: "2026-10-01", to: "2026-10-31") { id } } }""",
        {"nip": world.report},
    )
    assert data["employee"]["nip"] == world.report and data["employee"]["birthDate"]


async def test_staff_are_refused_anyone_else(gateway: Gateway, world: World) -> None:
    staff = as_role(gateway, "STAFF", world.head)
    body = await staff.query(
        "query($nip: Nip!) { employee(nip: $nip) { name } }", {"nip": world.stranger}
    )
    assert body["data"] == {"employee": None}
    assert refused_paths(body) == [["employee"]]


async def test_staff_employee_lists_hold_themselves_and_their_reports_only(
    gateway: Gateway, world: World
) -> None:
    staff = as_role(gateway, "STAFF", world.head)
    data = await staff.data("{ employees(first: 500) { totalCount edges { node { nip } } } }")
    listed = {e["node"]["nip"] for e in data["employees"]["edges"]}
    assert listed == world.visible_to_head
    assert data["employees"]["totalCount"] == len(world.visible_to_head)


async def test_staff_read_department_names_and_budgets_but_not_payments(
    gateway: Gateway, world: World
) -> None:
    staff = as_role(gateway, "STAFF", world.head)
    body = await staff.query(
        """query($code: String!) { department(code: $code) { name budget { ceiling remaining }
              paymentRequests(first: 1) { totalCount } } }""",
        {"code": world.other_dept},
    )
    department = body["data"]["department"]
    assert department["name"] and department["budget"]["ceiling"]
    assert department["paymentRequests"] is None
    assert refused_paths(body) == [["department", "paymentRequests"]]
    refused = await staff.query("{ paymentRequests(first: 1) { totalCount } }")
    assert codes(refused) == ["FORBIDDEN"]


# -- DEPT_SYSTEM -------------------------------------------------------------------------


async def test_a_department_system_lists_only_its_own_staff(
    gateway: Gateway, world: World, ekin_sql: asyncpg.Connection
) -> None:
    system = as_role(gateway, "DEPT_SYSTEM", dept=world.dept)
    data = await system.data(
        "{ employees(first: 500) { totalCount edges { node { nip birthDate } } } }"
    )
    expected = {
        r["nip"]
        for r in await ekin_sql.fetch(
            "select nip from pegawai where id_skpd = any($1::int[])", world.units
        )
    }
    listed = {e["node"]["nip"] for e in data["employees"]["edges"]}
    assert listed == expected and data["employees"]["totalCount"] == len(expected)
    assert all(e["node"]["birthDate"] for e in data["employees"]["edges"])


async def test_a_department_system_lists_only_its_own_payment_requests(
    gateway: Gateway, world: World, sppspm_sql: asyncpg.Connection
) -> None:
    system = as_role(gateway, "DEPT_SYSTEM", dept=world.dept)
    data = await system.data(
        "{ paymentRequests(first: 500) { totalCount edges { node { number department { code }"
        " } } } }"
    )
    prefix = world.dept[: world.dept.rindex(".")]
    expected = await sppspm_sql.fetchval(
        "select count(*) from spp where kode_skpd like $1 || '.%'", prefix
    )
    connection = data["paymentRequests"]
    assert connection["totalCount"] == expected > 0
    assert {e["node"]["department"]["code"] for e in connection["edges"]} == {world.dept}


async def test_a_department_systems_allowance_list_holds_its_own_staff(
    gateway: Gateway, world: World, ekin_sql: asyncpg.Connection
) -> None:
    system = as_role(gateway, "DEPT_SYSTEM", dept=world.dept)
    data = await system.data(
        '{ allowances(period: "2026-10", first: 500) { totalCount edges { node { employee'
        " { nip } } } } }"
    )
    expected = await ekin_sql.fetchval(
        "select count(*) from pegawai where id_skpd = any($1::int[])", world.units
    )
    allowances = data["allowances"]
    assert allowances["totalCount"] == len(allowances["edges"]) == expected
    refused = await system.query(
        'query($code: String) { allowances(period: "2026-10", departmentCode: $code)'
        " { totalCount } }",
        {"code": world.other_dept},
    )
    assert codes(refused) == ["FORBIDDEN"]


async def test_a_department_system_is_refused_other_departments(
    gateway: Gateway, world: World
) -> None:
    system = as_role(gateway, "DEPT_SYSTEM", dept=world.dept)
    body = await system.query(
        """query($code: String!, $nip: Nip!, $number: String!) {
              department(code: $code) { name }
              employee(nip: $nip) { name }
              paymentRequest(number: $number) { amount } }""",
        {"code": world.other_dept, "nip": world.stranger, "number": world.other_request},
    )
    assert body["data"] == {"department": None, "employee": None, "paymentRequest": None}
    assert sorted(p[0] for p in refused_paths(body)) == [
        "department",
        "employee",
        "paymentRequest",
    ]
    filtered = await system.query(
        "query($code: String) { paymentRequests(filter: {departmentCode: $code}) { totalCount } }",
        {"code": world.other_dept},
    )
    assert codes(filtered) == ["FORBIDDEN"]
    assert world.dept in filtered["errors"][0]["message"]


async def test_a_department_system_reads_its_own_department_whole(
    gateway: Gateway, world: World
) -> None:
    system = as_role(gateway, "DEPT_SYSTEM", dept=world.dept)
    data = await system.data(
        """query($code: String!, $number: String!) {
              department(code: $code) { name employees(first: 1) { totalCount }
                performance(period: "2026-10") { headcount }
                paymentRequests(first: 1) { totalCount } }
              paymentRequest(number: $number) { amount } }""",
        {"code": world.dept, "number": world.dept_request},
    )
    assert data["department"]["employees"]["totalCount"] > 0
    assert data["department"]["paymentRequests"]["totalCount"] > 0
    assert data["paymentRequest"]["amount"]


# -- FINANCE -----------------------------------------------------------------------------


async def test_finance_reads_all_payments_and_staff_without_birth_dates(
    gateway: Gateway, world: World, sppspm_sql: asyncpg.Connection
) -> None:
    finance = as_role(gateway, "FINANCE", world.verifier)
    body = await finance.query(
        """query($nip: Nip!) { paymentRequests { totalCount }
              employee(nip: $nip) { name birthDate allowance(period: "2026-10") { expected } } }""",
        {"nip": world.stranger},
    )
    assert body["data"]["paymentRequests"]["totalCount"] == await sppspm_sql.fetchval(
        "select count(*) from spp"
    )
    employee = body["data"]["employee"]
    assert employee["name"] and employee["birthDate"] is None
    assert refused_paths(body) == [["employee", "birthDate"]]
    assert "personal" in body["errors"][0]["message"]


async def test_finance_powers_follow_appointments_for_the_department_and_year(
    gateway: Gateway, world: World, sppspm_sql: asyncpg.Connection
) -> None:
    query = """query($number: String!) { paymentRequest(number: $number) {
                  viewerCan { verify issueOrder issueDisbursement } } }"""
    appointed = as_role(gateway, "FINANCE", world.verifier)
    not_appointed = as_role(gateway, "FINANCE", world.stranger)
    async with (
        submitted_copy(sppspm_sql, world.dept_request) as submitted,
        submitted_copy(sppspm_sql, world.other_request) as other_submitted,
    ):
        own = await appointed.data(query, {"number": submitted})
        assert own["paymentRequest"]["viewerCan"] == {
            "verify": True,
            "issueOrder": False,
            "issueDisbursement": False,
        }
        other = await appointed.data(query, {"number": other_submitted})
        assert other["paymentRequest"]["viewerCan"]["verify"] is False
        refused = await not_appointed.data(query, {"number": submitted})
        assert refused["paymentRequest"]["viewerCan"]["verify"] is False


async def test_an_appointment_of_another_year_does_not_count(
    gateway: Gateway, world: World, sppspm_sql: asyncpg.Connection
) -> None:
    """The stranger is made PPK-SKPD of the department for 2025 only."""
    spaced = (
        f"{world.stranger[:8]} {world.stranger[8:14]} {world.stranger[14]} {world.stranger[15:]}"
    )
    row = await sppspm_sql.fetchval(
        "insert into pejabat (tahun, kode_skpd, nip, nama, peran)"
        " values (2025, $1, $2, 'Test', 'PPK_SKPD') returning id",
        world.dept,
        spaced,
    )
    try:
        prefix = world.dept[: world.dept.rindex(".")]
        request_2025 = await sppspm_sql.fetchval(
            "select min(nomor_spp) from spp where tahun = 2025 and kode_skpd like $1 || '.%'",
            prefix,
        )
        query = """query($number: String!) { paymentRequest(number: $number) {
                      fiscalYear viewerCan { verify } } }"""
        finance = as_role(gateway, "FINANCE", world.stranger)
        async with (
            submitted_copy(sppspm_sql, request_2025) as submitted_2025,
            submitted_copy(sppspm_sql, world.dept_request) as submitted_2026,
        ):
            then = await finance.data(query, {"number": submitted_2025})
            now = await finance.data(query, {"number": submitted_2026})
        assert then["paymentRequest"] == {"fiscalYear": 2025, "viewerCan": {"verify": True}}
        assert now["paymentRequest"] == {"fiscalYear": 2026, "viewerCan": {"verify": False}}
    finally:
        await sppspm_sql.execute("delete from pejabat where id = $1", row)


STEP_LEGAL_IN = {
    "verify": ("SUBMITTED", None),
    "issueOrder": ("VERIFIED", None),
    "issueDisbursement": ("ORDER_ISSUED", "SENT"),
}
"""The write rules of docs/clients.md's lifecycle, written out here independently."""


async def test_viewer_can_answers_only_the_step_the_request_status_allows_now(
    gateway: Gateway, world: World
) -> None:
    """ADMIN holds every appointment: what it may do is the status's step, and nothing on a
    request that is rejected or disbursed."""
    admin = as_role(gateway, "ADMIN")
    data = await admin.data(
        """query($year: Int!) { paymentRequests(first: 500, filter: {fiscalYear: $year}) {
              edges { node { number status order { status } viewerCan { verify issueOrder issueDisbursement } } } } }""",
        {"year": YEAR},
    )
    nodes = [e["node"] for e in data["paymentRequests"]["edges"]]
    seen = {n["status"] for n in nodes}
    assert {"SUBMITTED", "VERIFIED", "ORDER_ISSUED", "DISBURSED", "REJECTED"} <= seen
    for node in nodes:
        state = (node["status"], node["order"]["status"] if node["order"] else None)
        expected = {step: state == legal for step, legal in STEP_LEGAL_IN.items()}
        assert node["viewerCan"] == expected, node


async def test_an_appointed_verifier_cannot_verify_a_request_past_verification(
    gateway: Gateway, world: World, sppspm_sql: asyncpg.Connection
) -> None:
    """The report's case: `verify: true` on a DISBURSED request of the verifier's own."""
    finance = as_role(gateway, "FINANCE", world.verifier)
    async with submitted_copy(sppspm_sql, world.dept_request):
        data = await finance.data(
            """query($code: String!) { paymentRequests(first: 100, filter: {departmentCode: $code,
                  fiscalYear: 2026}) { edges { node { status viewerCan { verify issueOrder issueDisbursement } } } } }""",
            {"code": world.dept},
        )
    powers = {
        (e["node"]["status"], e["node"]["viewerCan"]["verify"])
        for e in data["paymentRequests"]["edges"]
    }
    assert {"DISBURSED", "VERIFIED", "REJECTED"} <= {status for status, _ in powers}
    assert {status for status, verify in powers if verify} == {"SUBMITTED"}
    assert not any(e["node"]["viewerCan"]["issueOrder"] for e in data["paymentRequests"]["edges"])


async def test_a_finance_claim_without_finance_role_gives_no_powers(
    gateway: Gateway, world: World
) -> None:
    staff = as_role(gateway, "ANALYST", world.verifier)
    data = await staff.data(
        "query($n: String!) { paymentRequest(number: $n) { viewerCan { verify } } }",
        {"n": world.dept_request},
    )
    assert data["paymentRequest"]["viewerCan"]["verify"] is False


# -- ANALYST -----------------------------------------------------------------------------


async def test_analysts_read_everything_but_personal_fields(gateway: Gateway, world: World) -> None:
    analyst = as_role(gateway, "ANALYST")
    body = await analyst.query(
        """query($nip: Nip!) {
              allowances(period: "2026-10", first: 1) { totalCount }
              dataIssues { kind }
              employee(nip: $nip) { name gender birthDate
                activities(from: "2026-10-01", to: "2026-10-31") { minutes description } } }""",
        {"nip": world.head},
    )
    data = body["data"]
    assert data["allowances"]["totalCount"] > 0 and data["employee"]["name"]
    assert data["employee"]["gender"] is None and data["employee"]["birthDate"] is None
    activities = data["employee"]["activities"]
    assert activities and all(a["minutes"] and a["description"] is None for a in activities)
    fields = {tuple(p[-1:]) for p in refused_paths(body)}
    assert fields == {("gender",), ("birthDate",), ("description",)}


async def test_analysts_are_refused_personal_fields_even_inside_lists(gateway: Gateway) -> None:
    analyst = as_role(gateway, "ANALYST")
    body = await analyst.query("{ employees(first: 3) { edges { node { name birthDate } } } }")
    edges = body["data"]["employees"]["edges"]
    assert len(edges) == 3 and all(e["node"]["name"] for e in edges)
    assert len(refused_paths(body)) == 3


# -- ADMIN -------------------------------------------------------------------------------


async def test_admins_read_everything(
    gateway: Gateway, world: World, sppspm_sql: asyncpg.Connection
) -> None:
    admin = as_role(gateway, "ADMIN")
    async with submitted_copy(sppspm_sql, world.dept_request) as submitted:
        data = await admin.data(
            """query($nip: Nip!, $n: String!) { employee(nip: $nip) { birthDate gender }
                  paymentRequest(number: $n) { viewerCan { verify issueOrder issueDisbursement } }
                  dataIssues { kind } }""",
            {"nip": world.stranger, "n": submitted},
        )
    assert data["employee"]["birthDate"]
    # every appointment, but only the step the request's status allows now
    assert data["paymentRequest"]["viewerCan"] == {
        "verify": True,
        "issueOrder": False,
        "issueDisbursement": False,
    }


async def test_staff_are_refused_data_issues(gateway: Gateway, world: World) -> None:
    body = await as_role(gateway, "STAFF", world.head).query("{ dataIssues { kind } }")
    assert body["data"] is None and codes(body) == ["FORBIDDEN"]


# -- audit -------------------------------------------------------------------------------


async def test_reads_of_personal_fields_are_audited_with_whose(
    gateway: Gateway, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    system = as_role(gateway, "DEPT_SYSTEM", "dept-app", world.dept)
    with caplog.at_level(logging.INFO, logger="smartgate.audit"):
        await system.data(
            "query Birthdays($nip: Nip!) { employee(nip: $nip) { name birthDate } }",
            {"nip": world.head},
        )
        await system.data("query Names { employees(first: 2) { edges { node { name } } } }")
    records = [r for r in caplog.records if r.name == "smartgate.audit"]
    assert len(records) == 1, "a request without personal fields leaves no audit line"
    line = json.loads(JsonLines().format(records[0]))  # the line as the log holds it
    assert line["event"] == "audit" and line["message"] == "audit query Birthdays by dept-app"
    assert line["sub"] == "dept-app" and line["roles"] == ["DEPT_SYSTEM"]
    assert line["operation_name"] == "Birthdays"
    assert line["personal_fields"] == {"Employee.birthDate": [world.head]}
    assert line["variables"] == "redacted" and world.head not in json.dumps(line["variables"])
    assert len(line["document_sha256"]) == 64 and line["request_id"]


# -- several roles -----------------------------------------------------------------------


async def test_several_roles_give_the_union_object_by_object(
    gateway: Gateway, world: World
) -> None:
    """STAFF + FINANCE: payments and everybody's name (FINANCE), birth dates only of the
    people the STAFF role sees."""
    both = jwt.encode(
        {
            "sub": world.head,
            "roles": ["STAFF", "FINANCE"],
            "exp": datetime.now(UTC) + timedelta(hours=1),
        },
        TEST_SECRET,
        algorithm="HS256",
    )
    body = await gateway.as_caller(both).query(
        """query($own: Nip!, $other: Nip!) {
              paymentRequests(first: 1) { totalCount }
              own: employee(nip: $own) { birthDate }
              other: employee(nip: $other) { name birthDate } }""",
        {"own": world.report, "other": world.stranger},
    )
    data = body["data"]
    assert data["paymentRequests"]["totalCount"] > 0
    assert data["own"]["birthDate"] and data["other"]["name"]
    assert data["other"]["birthDate"] is None
    assert refused_paths(body) == [["other", "birthDate"]]


# -- no existence oracle -----------------------------------------------------------------


def _answer(body: dict[str, Any]) -> tuple[Any, list[tuple[str, str]]]:
    """What a body tells a caller: its data and its errors' codes and messages."""
    return body["data"], [(e["extensions"]["code"], e["message"]) for e in body.get("errors", [])]


UNKNOWN_NIP = "199001012020121001"  # well formed, nobody's


async def test_staff_cannot_tell_an_unknown_nip_from_one_they_may_not_see(
    gateway: Gateway, world: World
) -> None:
    staff = as_role(gateway, "STAFF", world.head)
    query = "query($nip: Nip!) { employee(nip: $nip) { name birthDate } }"
    stranger = await staff.query(query, {"nip": world.stranger})
    unknown = await staff.query(query, {"nip": UNKNOWN_NIP})
    assert _answer(stranger) == _answer(unknown)
    assert codes(unknown) == ["FORBIDDEN"]
    # a caller who sees everyone is told plainly that nobody has the NIP
    assert (await gateway.data(query, {"nip": UNKNOWN_NIP})) == {"employee": None}


async def test_a_department_system_cannot_tell_an_unknown_request_from_anothers(
    gateway: Gateway, world: World
) -> None:
    system = as_role(gateway, "DEPT_SYSTEM", "simda", world.dept)
    query = "query($n: String!) { paymentRequest(number: $n) { amount } }"
    other = await system.query(query, {"n": world.other_request})
    unknown = await system.query(query, {"n": "999999/SPP-LS/" + world.other_dept + "/2026"})
    assert codes(other) == ["FORBIDDEN"]
    assert _answer(other) == _answer(unknown)
