"""Payment requests pushed through the gateway: submitted, verified, ordered and disbursed
by the officials pejabat appoints, with the legacy rows checked by SQL."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from connectors.nip import normalise_nip, spaced
from gateway.crosswalk import Crosswalk
from tests.conftest import Databases, Gateway, token

YEAR = 2026

SUBMIT = """
mutation($input: SubmitPaymentRequestInput!) {
  submitPaymentRequest(input: $input) {
    paymentRequest { id number status amount fiscalYear type lsKind purpose
                     budgetLine { id } history { document from to by { nip } } }
    errors { code message field }
  }
}
"""

VERIFY = """
mutation($input: VerifyPaymentRequestInput!) {
  verifyPaymentRequest(input: $input) {
    paymentRequest { number status rejectionReason }
    errors { code message field }
  }
}
"""

ORDER = """
mutation($input: IssuePaymentOrderInput!) {
  issuePaymentOrder(input: $input) {
    paymentRequest { number status rejectionReason order { number status authorizer { nip } } }
    errors { code message field }
  }
}
"""

DISBURSE = """
mutation($input: IssueDisbursementInput!) {
  issueDisbursement(input: $input) {
    paymentRequest { number status rejectionReason
                     disbursement { number netAmount authorizer { nip } } }
    errors { code message field }
  }
}
"""


@dataclass(frozen=True)
class Finance:
    """A department of the writes database and the officials pejabat appoints for it."""

    dept: str
    other_dept: str
    treasurer: str  # as spelled in pejabat
    verifier: str  # normalised NIPs from here on
    budget_user: str
    kuasa_bud: str
    other_verifier: str
    staff: list[str]  # e-kin employees of the department
    stranger: str  # an e-kin employee of another department


async def _official(sql: asyncpg.Connection, code: str, role: str) -> str:
    nip = await sql.fetchval(
        "select nip from pejabat where tahun = $1 and kode_skpd = $2 and peran = $3 order by id",
        YEAR,
        code,
        role,
    )
    assert nip is not None, (code, role)
    return str(nip)


@pytest.fixture(scope="module")
async def finance(
    writes_db: Databases, writes_ekin: asyncpg.Connection, writes_sppspm: asyncpg.Connection
) -> Finance:
    crosswalk = Crosswalk.load(writes_db.crosswalk)
    departments = sorted(
        {code for year, code in crosswalk.codes() if year == YEAR and code.endswith(".0000")}
    )
    dept, other = departments[0], departments[1]
    kuasa = await writes_sppspm.fetchval(
        "select nip from pejabat where tahun = $1 and peran = 'KUASA_BUD'", YEAR
    )
    staff = await writes_ekin.fetch(
        "select nip from pegawai where id_skpd = any($1::int[]) and aktif order by nip",
        crosswalk.units_of(YEAR, dept),
    )
    stranger = await writes_ekin.fetchval(
        "select min(nip) from pegawai where id_skpd = any($1::int[])",
        crosswalk.units_of(YEAR, other),
    )
    return Finance(
        dept=dept,
        other_dept=other,
        treasurer=await _official(writes_sppspm, dept, "BENDAHARA_PENGELUARAN"),
        verifier=normalise_nip(await _official(writes_sppspm, dept, "PPK_SKPD")),
        budget_user=normalise_nip(await _official(writes_sppspm, dept, "PA")),
        kuasa_bud=normalise_nip(kuasa),
        other_verifier=normalise_nip(await _official(writes_sppspm, other, "PPK_SKPD")),
        staff=[r["nip"] for r in staff],
        stranger=stranger,
    )


async def new_line(sql: asyncpg.Connection, code: str, pagu: str, year: int = YEAR) -> int:
    """A fresh budget line with no request on it, as the DPA would add one."""
    line_id: int = await sql.fetchval(
        "insert into anggaran (tahun, kode_skpd, kode_sub_kegiatan, kode_rekening, uraian, pagu)"
        " values ($1, $2, '1.02.01.2.01.0001', '5.1.02.01.01.0024', 'Belanja uji', $3)"
        " returning id",
        year,
        code,
        Decimal(pagu),
    )
    return line_id


async def snapshot(sql: asyncpg.Connection) -> tuple[Any, ...]:
    """Everything a write could change, in one comparable value."""
    row = await sql.fetchrow(
        "select (select count(*) from spp), (select coalesce(sum(status), 0) from spp),"
        " (select count(*) from spm), (select coalesce(sum(status_spm), 0) from spm),"
        " (select count(*) from sp2d), (select count(*) from riwayat_status),"
        " (select count(*) from tpp_rincian), (select count(*) from anggaran)"
    )
    assert row is not None
    return tuple(row)


def dept_system(gateway: Gateway, dept: str) -> Gateway:
    return gateway.as_caller(token("DEPT_SYSTEM", "simda-client", dept))


def official(gateway: Gateway, nip: str) -> Gateway:
    return gateway.as_caller(token("FINANCE", nip))


def goods(dept: str, line: int, amount: str = "1000000.00", **extra: Any) -> dict[str, Any]:
    return {
        "departmentCode": dept,
        "type": "LS",
        "lsKind": "GOODS_SERVICES",
        "budgetLineId": str(line),
        "amount": amount,
        "purpose": "Pengadaan alat tulis kantor",
        **extra,
    }


async def submit(gateway: Gateway, given: dict[str, Any]) -> dict[str, Any]:
    body = await gateway.query(SUBMIT, {"input": given})
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"]["submitPaymentRequest"]
    return payload


async def step(gateway: Gateway, mutation: str, given: dict[str, Any]) -> dict[str, Any]:
    body = await gateway.query(mutation, {"input": given})
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = next(iter(body["data"].values()))
    return payload


async def last_number(sql: asyncpg.Connection, code: str) -> int:
    """The sequence number of the code's latest 2026 SPP."""
    last: int = await sql.fetchval(
        "select max(substring(nomor_spp from '^([0-9]+)/')::int) from spp"
        " where tahun = $1 and kode_skpd = $2",
        YEAR,
        code,
    )
    return last


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


# -- submitting --------------------------------------------------------------------------


async def test_a_department_system_submits_a_request_written_with_its_history(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    line = await new_line(writes_sppspm, finance.dept, "5000000")
    given = goods(finance.dept, line, idempotencyKey="simda-2026-000001")
    payload = await submit(dept_system(writes_gateway, finance.dept), given)

    assert payload["errors"] == []
    request = payload["paymentRequest"]
    assert request["status"] == "SUBMITTED"
    assert request["amount"] == "1000000.00"
    assert request["budgetLine"] == {"id": str(line)}
    assert re.fullmatch(rf"\d{{6}}/SPP-LS/{re.escape(finance.dept)}/2026", request["number"])
    row = await writes_sppspm.fetchrow("select * from spp where id = $1", int(request["id"]))
    assert row is not None
    assert (row["nomor_spp"], row["status"], row["jenis"], row["jenis_ls"]) == (
        request["number"],
        1,
        "LS",
        "BARANG_JASA",
    )
    assert (row["id_anggaran"], row["nilai"]) == (line, Decimal("1000000.00"))
    assert row["ref_eksternal"].endswith(":simda-2026-000001")  # the caller's own key
    assert row["nip_bendahara"] == finance.treasurer
    history = await writes_sppspm.fetch(
        "select dokumen, status_lama, status_baru, nip, waktu from riwayat_status"
        " where dokumen = 'SPP' and id_dokumen = $1 order by id",
        row["id"],
    )
    assert [(h["dokumen"], h["status_lama"], h["status_baru"]) for h in history] == [
        ("SPP", None, 0),
        ("SPP", 0, 1),
    ]
    assert {h["nip"] for h in history} == {finance.treasurer}
    assert history[0]["waktu"] == row["tgl_spp"] == row["created_at"]


async def test_an_allowance_request_writes_its_lines(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    line = await new_line(writes_sppspm, finance.dept, "9000000")
    first, second = finance.staff[:2]
    given = {
        "departmentCode": finance.dept,
        "type": "LS",
        "lsKind": "ALLOWANCE",
        "budgetLineId": str(line),
        "amount": "3500000.00",
        "purpose": "TPP Oktober 2026",
        "allowanceLines": [
            {"nip": spaced(first), "period": "2026-10", "amount": "2000000.00"},
            {"nip": second, "period": "2026-10", "amount": "1500000.00"},
        ],
    }
    payload = await submit(dept_system(writes_gateway, finance.dept), given)

    assert payload["errors"] == []
    lines = await writes_sppspm.fetch(
        "select periode, nip, nilai from tpp_rincian where id_spp = $1 order by id",
        int(payload["paymentRequest"]["id"]),
    )
    assert [tuple(r) for r in lines] == [
        ("2026-10", spaced(first), Decimal("2000000.00")),
        ("2026-10", spaced(second), Decimal("1500000.00")),
    ]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"amount": "5000000.01"}, "BUDGET_EXCEEDED", "amount"),
        ({"amount": "0"}, "INVALID_AMOUNT", "amount"),
        ({"amount": "10.001"}, "INVALID_AMOUNT", "amount"),
        ({"budgetLineId": "99999999"}, "UNKNOWN_BUDGET_LINE", "budgetLineId"),
        ({"budgetLineId": "line-7"}, "UNKNOWN_BUDGET_LINE", "budgetLineId"),
        ({"budgetLineId": "99999999999"}, "UNKNOWN_BUDGET_LINE", "budgetLineId"),
        ({"budgetLineId": "\u0663"}, "UNKNOWN_BUDGET_LINE", "budgetLineId"),  # Arabic-Indic 3
        ({"lsKind": None}, "INVALID_TYPE", "lsKind"),
        ({"type": "UP", "lsKind": None}, "INVALID_TYPE", "budgetLineId"),
        ({"purpose": "   "}, "INVALID_INPUT", "purpose"),
        ({"fiscalYear": 2031}, "UNKNOWN_DEPARTMENT", "departmentCode"),
        ({"idempotencyKey": "k" * 65}, "INVALID_INPUT", "idempotencyKey"),
        ({"purpose": "Belanja\x00"}, "INVALID_INPUT", "purpose"),
        ({"purpose": "Belanja \udfff"}, "INVALID_INPUT", "purpose"),
        ({"fiscalYear": 32768}, "INVALID_INPUT", "fiscalYear"),
        ({"departmentCode": "1.02.0.00.0.00.01.0000.0000"}, "INVALID_INPUT", "departmentCode"),
        ({"amount": "1e17"}, "INVALID_AMOUNT", "amount"),
    ],
)
async def test_a_refused_submission_says_why_and_writes_nothing(
    writes_gateway: Gateway,
    writes_sppspm: asyncpg.Connection,
    finance: Finance,
    change: dict[str, Any],
    code: str,
    field: str,
) -> None:
    line = await new_line(writes_sppspm, finance.dept, "5000000")
    before = await snapshot(writes_sppspm)
    payload = await submit(
        dept_system(writes_gateway, finance.dept), {**goods(finance.dept, line), **change}
    )
    assert payload["paymentRequest"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert payload["errors"][0]["message"]
    assert await snapshot(writes_sppspm) == before


async def test_a_budget_line_of_another_department_or_year_is_refused(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    theirs = await new_line(writes_sppspm, finance.other_dept, "5000000")
    last_year = await new_line(writes_sppspm, finance.dept, "5000000", year=2025)
    caller = dept_system(writes_gateway, finance.dept)
    before = await snapshot(writes_sppspm)
    for line in (theirs, last_year):
        payload = await submit(caller, goods(finance.dept, line))
        assert error_codes(payload) == ["BUDGET_LINE_MISMATCH"]
    assert await snapshot(writes_sppspm) == before


@pytest.mark.parametrize(
    ("lines", "code", "field"),
    [
        ([("own", "1000000.00"), ("own2", "500000.00")], "AMOUNT_MISMATCH", "amount"),
        (
            [("own", "2000000.00"), ("stranger", "1000000.00")],
            "UNKNOWN_EMPLOYEE",
            "allowanceLines.1.nip",
        ),
        (
            [("own", "2000000.00"), ("nobody", "1000000.00")],
            "UNKNOWN_EMPLOYEE",
            "allowanceLines.1.nip",
        ),
        ([("own", "1500000.00"), ("own", "1500000.00")], "INVALID_INPUT", "allowanceLines"),
        ([("own", "1e15"), ("own2", "-1")], "INVALID_AMOUNT", "allowanceLines.0.amount"),
    ],
    ids=[
        "lines do not add up",
        "not of the department",
        "no such employee",
        "paid twice",
        "beyond what a line holds",
    ],
)
async def test_allowance_lines_pay_employees_of_the_department_and_add_up(
    writes_gateway: Gateway,
    writes_sppspm: asyncpg.Connection,
    finance: Finance,
    lines: list[tuple[str, str]],
    code: str,
    field: str,
) -> None:
    who = {
        "own": finance.staff[0],
        "own2": finance.staff[1],
        "stranger": finance.stranger,
        "nobody": "199001012020121999",
    }
    line = await new_line(writes_sppspm, finance.dept, "9000000")
    given = {
        "departmentCode": finance.dept,
        "type": "LS",
        "lsKind": "ALLOWANCE",
        "budgetLineId": str(line),
        "amount": "3000000.00",
        "purpose": "TPP Oktober 2026",
        "allowanceLines": [
            {"nip": who[name], "period": "2026-10", "amount": amount} for name, amount in lines
        ],
    }
    before = await snapshot(writes_sppspm)
    payload = await submit(dept_system(writes_gateway, finance.dept), given)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]
    assert await snapshot(writes_sppspm) == before


async def test_only_the_departments_own_system_or_an_admin_submits(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    line = await new_line(writes_sppspm, finance.dept, "5000000")
    before = await snapshot(writes_sppspm)
    for caller in (
        dept_system(writes_gateway, finance.other_dept),
        official(writes_gateway, finance.verifier),
        writes_gateway.as_caller(token("ANALYST", "analyst")),
        writes_gateway.as_caller(token("STAFF", finance.staff[0])),
    ):
        body = await caller.query(SUBMIT, {"input": goods(finance.dept, line)})
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await snapshot(writes_sppspm) == before
    payload = await submit(writes_gateway, goods(finance.dept, line))  # ADMIN
    assert payload["errors"] == []


# -- idempotency -------------------------------------------------------------------------


async def test_a_repeat_with_the_same_key_returns_the_first_result(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    line = await new_line(writes_sppspm, finance.dept, "5000000")
    caller = dept_system(writes_gateway, finance.dept)
    given = goods(finance.dept, line, idempotencyKey="simda-repeat-1")
    first = await submit(caller, given)
    before = await snapshot(writes_sppspm)
    again = await submit(caller, given)
    assert again == first
    assert await snapshot(writes_sppspm) == before

    changed = await submit(caller, {**given, "amount": "2000000.00"})
    assert error_codes(changed) == ["IDEMPOTENCY_CONFLICT"]
    assert changed["errors"][0]["field"] == "idempotencyKey"
    assert await snapshot(writes_sppspm) == before


async def test_the_same_key_from_two_callers_is_two_keys(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    line = await new_line(writes_sppspm, finance.dept, "5000000")
    given = goods(finance.dept, line, idempotencyKey="predictable-1")
    squatter = writes_gateway.as_caller(token("DEPT_SYSTEM", "another-client", finance.dept))
    squatted = await submit(squatter, {**given, "amount": "1.00"})
    assert squatted["errors"] == []
    # the department's own system is not refused: the key is its own
    own = await submit(dept_system(writes_gateway, finance.dept), given)
    assert own["errors"] == []
    assert own["paymentRequest"]["id"] != squatted["paymentRequest"]["id"]
    again = await submit(dept_system(writes_gateway, finance.dept), given)
    assert again == own


async def test_a_key_of_64_characters_fits_beside_the_callers_tag_and_is_found_again(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    line = await new_line(writes_sppspm, finance.dept, "5000000")
    caller = dept_system(writes_gateway, finance.dept)
    given = goods(finance.dept, line, idempotencyKey="k" * 64)
    first = await submit(caller, given)
    assert first["errors"] == []
    stored = await writes_sppspm.fetchval(
        "select ref_eksternal from spp where id = $1", int(first["paymentRequest"]["id"])
    )
    assert len(stored) == 64 and "k" * 64 not in stored
    assert await submit(caller, given) == first
    too_long = await submit(caller, {**given, "idempotencyKey": "k" * 65})
    assert error_codes(too_long) == ["INVALID_INPUT"]
    assert too_long["errors"][0]["field"] == "idempotencyKey"


async def test_twenty_concurrent_submissions_with_one_key_write_one_request(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    line = await new_line(writes_sppspm, finance.dept, "5000000")
    caller = dept_system(writes_gateway, finance.dept)
    given = goods(finance.dept, line, idempotencyKey="simda-concurrent-20")
    answers = await asyncio.gather(*(submit(caller, given) for _ in range(20)))

    assert all(a == answers[0] for a in answers)
    assert answers[0]["errors"] == []
    rows = await writes_sppspm.fetch(
        "select id from spp where ref_eksternal like '%:simda-concurrent-20'"
    )
    assert [str(r["id"]) for r in rows] == [answers[0]["paymentRequest"]["id"]]
    history = await writes_sppspm.fetchval(
        "select count(*) from riwayat_status where dokumen = 'SPP' and id_dokumen = $1",
        rows[0]["id"],
    )
    assert history == 2


# -- concurrency -------------------------------------------------------------------------


async def test_fifty_concurrent_submissions_never_pass_the_ceiling(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    line = await new_line(writes_sppspm, finance.dept, "10000000.00")  # room for exactly 10
    caller = dept_system(writes_gateway, finance.dept)
    answers = await asyncio.gather(
        *(submit(caller, goods(finance.dept, line, amount="1000000.00")) for _ in range(50))
    )

    accepted = [a for a in answers if not a["errors"]]
    assert len(accepted) == 10
    assert sorted(error_codes(a)[0] for a in answers if a["errors"]) == ["BUDGET_EXCEEDED"] * 40
    committed = await writes_sppspm.fetchval(
        "select sum(nilai) from spp where id_anggaran = $1 and status <> 3", line
    )
    assert committed == Decimal("10000000.00")
    assert committed == sum(Decimal(a["paymentRequest"]["amount"]) for a in accepted)


async def test_thirty_concurrent_submissions_get_consecutive_numbers(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    last = await last_number(writes_sppspm, finance.dept)
    caller = dept_system(writes_gateway, finance.dept)
    # UP requests have no budget line, so no line lock puts them in a row: only the
    # numbering does.
    up = {"departmentCode": finance.dept, "type": "UP", "amount": "1000.00", "purpose": "UP"}
    answers = await asyncio.gather(*(submit(caller, up) for _ in range(30)))

    numbers = [a["paymentRequest"]["number"] for a in answers]
    sequence = sorted(int(n.split("/")[0]) for n in numbers)
    assert sequence == list(range(last + 1, last + 31))


# -- the lifecycle -----------------------------------------------------------------------


async def submitted(gateway: Gateway, sql: asyncpg.Connection, finance: Finance) -> str:
    line = await new_line(sql, finance.dept, "5000000")
    payload = await submit(dept_system(gateway, finance.dept), goods(finance.dept, line))
    number: str = payload["paymentRequest"]["number"]
    return number


async def test_a_request_goes_through_its_lifecycle_by_the_appointed_officials(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    number = await submitted(writes_gateway, writes_sppspm, finance)

    verified = await step(
        official(writes_gateway, finance.verifier), VERIFY, {"number": number, "approve": True}
    )
    assert verified["errors"] == []
    assert verified["paymentRequest"]["status"] == "VERIFIED"

    ordered = await step(
        official(writes_gateway, finance.budget_user), ORDER, {"number": number, "approve": True}
    )
    assert ordered["errors"] == []
    order = ordered["paymentRequest"]["order"]
    assert ordered["paymentRequest"]["status"] == "ORDER_ISSUED"
    assert re.fullmatch(
        rf"33\.74/03\.0/\d{{6}}/LS/{re.escape(finance.dept)}/P2/\d{{1,2}}/2026", order["number"]
    )
    assert order["status"] == "SENT"

    disbursed = await step(
        official(writes_gateway, finance.kuasa_bud),
        DISBURSE,
        {"number": number, "approve": True, "netAmount": "980000.00"},
    )
    assert disbursed["errors"] == []
    assert disbursed["paymentRequest"]["status"] == "DISBURSED"
    assert disbursed["paymentRequest"]["disbursement"]["netAmount"] == "980000.00"

    spp = await writes_sppspm.fetchrow("select id, status from spp where nomor_spp = $1", number)
    assert spp is not None and spp["status"] == 2
    spm = await writes_sppspm.fetchrow(
        "select id, nomor_spm, status_spm, nip_pa from spm where id_spp = $1", spp["id"]
    )
    assert spm is not None
    assert (spm["nomor_spm"], spm["status_spm"]) == (order["number"], 2)
    assert normalise_nip(spm["nip_pa"]) == finance.budget_user
    sp2d = await writes_sppspm.fetchrow(
        "select nomor_sp2d, nilai_bersih, nip_kuasa_bud from sp2d where id_spm = $1", spm["id"]
    )
    assert sp2d is not None
    assert sp2d["nilai_bersih"] == Decimal("980000.00")
    assert normalise_nip(sp2d["nip_kuasa_bud"]) == finance.kuasa_bud
    history = await writes_sppspm.fetch(
        "select dokumen, status_lama, status_baru, nip from riwayat_status"
        " where (dokumen = 'SPP' and id_dokumen = $1) or (dokumen = 'SPM' and id_dokumen = $2)"
        " or (dokumen = 'SP2D' and id_dokumen = (select id from sp2d where id_spm = $2))"
        " order by id",
        spp["id"],
        spm["id"],
    )
    assert [(h["dokumen"], h["status_lama"], h["status_baru"]) for h in history] == [
        ("SPP", None, 0),
        ("SPP", 0, 1),
        ("SPP", 1, 2),
        ("SPM", None, 1),
        ("SPM", 1, 2),
        ("SP2D", None, 2),
    ]
    assert [normalise_nip(h["nip"]) for h in history[2:]] == [
        finance.verifier,
        finance.budget_user,
        finance.kuasa_bud,
        finance.kuasa_bud,
    ]


async def test_illegal_transitions_are_refused_and_change_nothing(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    number = await submitted(writes_gateway, writes_sppspm, finance)
    verifier = official(writes_gateway, finance.verifier)
    budget_user = official(writes_gateway, finance.budget_user)
    kuasa = official(writes_gateway, finance.kuasa_bud)
    disburse = {"number": number, "approve": True, "netAmount": "1000.00"}

    async def refused(caller: Gateway, mutation: str, given: dict[str, Any]) -> None:
        before = await snapshot(writes_sppspm)
        payload = await step(caller, mutation, given)
        assert error_codes(payload) == ["INVALID_TRANSITION"], payload
        assert await snapshot(writes_sppspm) == before

    await refused(kuasa, DISBURSE, disburse)  # not verified, no SPM
    await refused(budget_user, ORDER, {"number": number, "approve": True})  # not verified
    await step(verifier, VERIFY, {"number": number, "approve": True})
    await refused(verifier, VERIFY, {"number": number, "approve": True})  # twice
    await refused(verifier, VERIFY, {"number": number, "approve": False, "reason": "x"})
    await refused(kuasa, DISBURSE, disburse)  # no SPM yet
    await step(budget_user, ORDER, {"number": number, "approve": True})
    await refused(budget_user, ORDER, {"number": number, "approve": True})  # twice
    await refused(budget_user, ORDER, {"number": number, "approve": False, "reason": "x"})
    rejected = await step(kuasa, DISBURSE, {"number": number, "approve": False, "reason": "NPWP"})
    assert rejected["paymentRequest"]["status"] == "ORDER_REJECTED"
    assert rejected["paymentRequest"]["rejectionReason"] == "NPWP"
    await refused(kuasa, DISBURSE, disburse)  # its SPM was rejected


async def test_a_rejected_request_goes_no_further(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    number = await submitted(writes_gateway, writes_sppspm, finance)
    verifier = official(writes_gateway, finance.verifier)
    before = await snapshot(writes_sppspm)
    no_reason = await step(verifier, VERIFY, {"number": number, "approve": False})
    assert error_codes(no_reason) == ["REASON_REQUIRED"]
    assert await snapshot(writes_sppspm) == before

    rejected = await step(
        verifier, VERIFY, {"number": number, "approve": False, "reason": "Kuitansi kurang"}
    )
    assert rejected["paymentRequest"]["status"] == "REJECTED"
    assert rejected["paymentRequest"]["rejectionReason"] == "Kuitansi kurang"
    row = await writes_sppspm.fetchrow(
        "select s.status, s.ket_ditolak, r.status_lama, r.status_baru, r.catatan from spp s"
        " join riwayat_status r on r.dokumen = 'SPP' and r.id_dokumen = s.id"
        " where s.nomor_spp = $1 order by r.id desc limit 1",
        number,
    )
    assert row is not None
    assert tuple(row)[:4] == (3, "Kuitansi kurang", 1, 3)
    ordered = await step(
        official(writes_gateway, finance.budget_user), ORDER, {"number": number, "approve": True}
    )
    assert error_codes(ordered) == ["INVALID_TRANSITION"]


async def test_a_disbursement_is_positive_and_not_above_the_amount(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    number = await submitted(writes_gateway, writes_sppspm, finance)
    await step(
        official(writes_gateway, finance.verifier), VERIFY, {"number": number, "approve": True}
    )
    await step(
        official(writes_gateway, finance.budget_user), ORDER, {"number": number, "approve": True}
    )
    kuasa = official(writes_gateway, finance.kuasa_bud)
    before = await snapshot(writes_sppspm)
    for net in ("1000000.01", "0", "-5.00"):
        payload = await step(kuasa, DISBURSE, {"number": number, "approve": True, "netAmount": net})
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_AMOUNT", "netAmount")
        ]
    missing = await step(kuasa, DISBURSE, {"number": number, "approve": True})
    assert error_codes(missing) == ["INVALID_AMOUNT"]
    assert await snapshot(writes_sppspm) == before


async def test_only_the_appointed_official_takes_each_step(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    number = await submitted(writes_gateway, writes_sppspm, finance)
    before = await snapshot(writes_sppspm)
    verify = {"number": number, "approve": True}
    for caller in (
        official(writes_gateway, finance.budget_user),  # the PA does not verify
        official(writes_gateway, finance.other_verifier),  # another department's PPK-SKPD
        dept_system(writes_gateway, finance.dept),
        writes_gateway.as_caller(token("STAFF", finance.verifier)),  # appointed, not FINANCE
    ):
        body = await caller.query(VERIFY, {"input": verify})
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await snapshot(writes_sppspm) == before


async def test_an_unknown_request_number_is_a_user_error(
    writes_gateway: Gateway, finance: Finance
) -> None:
    payload = await step(
        official(writes_gateway, finance.verifier), VERIFY, {"number": "nope", "approve": True}
    )
    assert error_codes(payload) == ["UNKNOWN_PAYMENT_REQUEST"]


async def test_a_caller_who_may_not_see_a_request_cannot_tell_it_from_none(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    number = await submitted(writes_gateway, writes_sppspm, finance)
    system = dept_system(writes_gateway, finance.dept)
    existing = await system.query(VERIFY, {"input": {"number": number, "approve": True}})
    unknown = await system.query(VERIFY, {"input": {"number": "nope", "approve": True}})
    refusals = [
        [e["message"].replace(n, "N") for e in b["errors"]]
        for b, n in ((existing, number), (unknown, "nope"))
    ]
    assert refusals[0] == refusals[1]
    assert [e["extensions"]["code"] for e in unknown["errors"]] == ["FORBIDDEN"]


async def test_a_step_repeated_with_its_key_answers_again_and_changes_nothing(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    number = await submitted(writes_gateway, writes_sppspm, finance)
    verifier = official(writes_gateway, finance.verifier)
    given = {"number": number, "approve": True, "idempotencyKey": "verify-once"}
    first = await step(verifier, VERIFY, given)
    before = await snapshot(writes_sppspm)
    assert await step(verifier, VERIFY, given) == first
    conflict = await step(verifier, VERIFY, {**given, "approve": False, "reason": "x"})
    assert error_codes(conflict) == ["IDEMPOTENCY_CONFLICT"]
    assert await snapshot(writes_sppspm) == before


async def test_a_number_sppspm_itself_takes_meanwhile_is_not_reused(
    writes_gateway: Gateway,
    writes_db: Databases,
    writes_sppspm: asyncpg.Connection,
    finance: Finance,
) -> None:
    last = await last_number(writes_sppspm, finance.dept)
    legacy = await asyncpg.connect(writes_db.sppspm_dsn)
    try:
        typing = legacy.transaction()
        await typing.start()
        # sppspm's own screen writes the next number and has not committed yet
        await legacy.execute(
            "insert into spp (nomor_spp, tahun, kode_skpd, jenis, nilai, uraian, nip_bendahara,"
            " tgl_spp, status, created_at)"
            " values ($1, $2, $3, 'UP', 1000, 'UP dari layar sppspm', $4, localtimestamp, 0,"
            " localtimestamp)",
            f"{last + 1:06d}/SPP-UP/{finance.dept}/{YEAR}",
            YEAR,
            finance.dept,
            finance.treasurer,
        )
        up = {"departmentCode": finance.dept, "type": "UP", "amount": "1000.00", "purpose": "UP"}
        submission = asyncio.create_task(submit(dept_system(writes_gateway, finance.dept), up))
        await asyncio.sleep(0.5)  # the gateway's insert waits on the number's unique index
        assert not submission.done()
        await typing.commit()
        payload = await submission
    finally:
        await legacy.close()
    assert payload["errors"] == []
    assert payload["paymentRequest"]["number"].startswith(f"{last + 2:06d}/")


LEAN_SUBMIT = """
mutation($input: SubmitPaymentRequestInput!) {
  submitPaymentRequest(input: $input) { paymentRequest { number } errors { code } }
}
"""


async def test_a_submission_costs_a_fixed_number_of_statements(
    writes_gateway: Gateway, writes_sppspm: asyncpg.Connection, finance: Finance
) -> None:
    caller = dept_system(writes_gateway, finance.dept)
    line = await new_line(writes_sppspm, finance.dept, "5000000")
    # unit and treasurer, line lock, committed, number lock, next number, insert, history,
    # and the request read back
    assert await caller.counted(LEAN_SUBMIT, {"input": goods(finance.dept, line)}) == 8
    # the key's lock and lookup
    keyed = goods(finance.dept, line, idempotencyKey="simda-counted")
    assert await caller.counted(LEAN_SUBMIT, {"input": keyed}) == 10
    assert await caller.counted(LEAN_SUBMIT, {"input": keyed}) == 3  # a repeat


async def test_a_connection_lost_mid_write_leaves_nothing_and_the_key_tells(
    writes_gateway: Gateway,
    writes_db: Databases,
    writes_sppspm: asyncpg.Connection,
    finance: Finance,
) -> None:
    line = await new_line(writes_sppspm, finance.dept, "5000000")
    caller = dept_system(writes_gateway, finance.dept)
    given = goods(finance.dept, line, idempotencyKey="simda-lost-connection")
    holder = await asyncpg.connect(writes_db.sppspm_dsn)
    try:
        holding = holder.transaction()
        await holding.start()
        await holder.execute("select 1 from anggaran where id = $1 for update", line)
        attempt = asyncio.create_task(caller.query(SUBMIT, {"input": given}))
        await asyncio.sleep(0.5)  # the write has begun and waits for the line
        killed = await holder.fetchval(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity"
            " where datname = current_database() and application_name = 'smartgate'"
            " and wait_event_type = 'Lock'"
        )
        assert killed == 1
        lost = await attempt
        await holding.rollback()
    finally:
        await holder.close()
    assert lost["data"] is None
    assert [e["extensions"]["code"] for e in lost["errors"]] == ["SOURCE_UNAVAILABLE"]
    assert (
        await writes_sppspm.fetchval(
            "select count(*) from spp where ref_eksternal like '%:simda-lost-connection'"
        )
        == 0
    )

    repeated = await submit(caller, given)  # did it happen? the same key answers
    assert repeated["errors"] == []
    again = await submit(caller, given)
    assert again == repeated
    assert (
        await writes_sppspm.fetchval(
            "select count(*) from spp where ref_eksternal like '%:simda-lost-connection'"
        )
        == 1
    )
