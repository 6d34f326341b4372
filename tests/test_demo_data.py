"""GraphQL answers equal direct SQL on the seeded look-alike databases (small scale)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from connectors.nip import normalise_nip
from gateway.crosswalk import Crosswalk
from tests.conftest import Databases, Gateway


async def test_an_employee_is_found_by_each_nip_spelling(
    gateway: Gateway, ekin_sql: asyncpg.Connection, sppspm_sql: asyncpg.Connection
) -> None:
    spaced = await sppspm_sql.fetchval(
        "select nip from pejabat where nip like '% % % %' and tahun = 2026 order by id limit 1"
    )
    nip = normalise_nip(spaced)
    row = await ekin_sql.fetchrow(
        "select nama, gelar_depan, gelar_belakang from pegawai where nip = $1", nip
    )
    assert row is not None, "the seed names e-kin staff as officials"
    roles = await sppspm_sql.fetchval(
        "select count(*) from pejabat where regexp_replace(nip, '[^0-9]', '', 'g') = $1", nip
    )
    for spelling in (nip, spaced, spaced.replace(" ", ".")):
        data = await gateway.data(
            "query($n: Nip!) { employee(nip: $n) { nip name financeRoles { role } } }",
            {"n": spelling},
        )
        employee = data["employee"]
        assert employee["nip"] == nip
        assert row["nama"] in employee["name"]
        assert len(employee["financeRoles"]) == roles


async def test_department_staff_include_sub_units_and_kelurahan(
    gateway: Gateway, small_db: Databases, ekin_sql: asyncpg.Connection
) -> None:
    crosswalk = Crosswalk.load(small_db.crosswalk)
    kelurahan = await ekin_sql.fetch(
        "select id from skpd where nama_skpd ilike 'kelurahan%' and induk_id is not null"
    )
    unit = next(r["id"] for r in kelurahan if crosswalk.department_of(2026, r["id"]))
    code = crosswalk.department_of(2026, unit)
    assert code is not None
    units = crosswalk.units_of(2026, code)
    expected = [
        r["nip"]
        for r in await ekin_sql.fetch(
            "select nip from pegawai where id_skpd = any($1::int[]) order by nip", units
        )
    ]
    query = """query($code: String!, $after: String) { department(code: $code) {
      units { ekinId } employees(first: 7, after: $after) { totalCount
        edges { node { nip } } pageInfo { hasNextPage endCursor } } } }"""
    seen: list[str] = []
    after = None
    while True:
        department = (await gateway.data(query, {"code": code, "after": after}))["department"]
        page = department["employees"]
        seen += [e["node"]["nip"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected and page["totalCount"] == len(expected)
    assert unit in {u["ekinId"] for u in department["units"]}


BUDGET_SQL = """
select coalesce(sum(a.pagu), 0) as ceiling,
       coalesce(sum((select sum(s.nilai) from spp s left join spm m on m.id_spp = s.id
                     where s.id_anggaran = a.id and s.status <> 3
                       and coalesce(m.status_spm, -1) <> 3)), 0) as committed,
       coalesce(sum((select sum(s.nilai) from spp s join spm m on m.id_spp = s.id
                     join sp2d d on d.id_spm = m.id where s.id_anggaran = a.id)), 0) as disbursed
from anggaran a
where a.tahun = $1 and left(a.kode_skpd, 18) = left($2, 18)
"""


async def test_budgets_equal_sql(gateway: Gateway, sppspm_sql: asyncpg.Connection) -> None:
    data = await gateway.data(
        "{ departments(fiscalYear: 2026) { code budget { ceiling committed disbursed remaining } } }"
    )
    assert len(data["departments"]) >= 5
    for department in data["departments"]:
        row = await sppspm_sql.fetchrow(BUDGET_SQL, 2026, department["code"])
        budget = department["budget"]
        assert Decimal(budget["ceiling"]) == row["ceiling"], department["code"]
        assert Decimal(budget["committed"]) == row["committed"], department["code"]
        assert Decimal(budget["disbursed"]) == row["disbursed"], department["code"]
        assert Decimal(budget["remaining"]) == row["ceiling"] - row["committed"]
        assert row["committed"] <= row["ceiling"]


async def test_a_disbursed_request_equals_its_rows(
    gateway: Gateway, sppspm_sql: asyncpg.Connection
) -> None:
    row = await sppspm_sql.fetchrow(
        """select s.nomor_spp, s.nilai, s.tgl_spp, m.nomor_spm, m.tgl_spm, d.nomor_sp2d, d.nilai_bersih,
                  (select count(*) from riwayat_status r where (r.dokumen = 'SPP' and r.id_dokumen = s.id)
                     or (r.dokumen = 'SPM' and r.id_dokumen = m.id)
                     or (r.dokumen = 'SP2D' and r.id_dokumen = d.id)) as changes
           from spp s join spm m on m.id_spp = s.id join sp2d d on d.id_spm = m.id
           order by s.id limit 1"""
    )
    data = await gateway.data(
        """query($n: String!) { paymentRequest(number: $n) { amount status requestedAt
             order { number issuedAt } disbursement { number netAmount } history { document } } }""",
        {"n": row["nomor_spp"]},
    )
    request: dict[str, Any] = data["paymentRequest"]
    assert Decimal(request["amount"]) == row["nilai"]
    assert request["status"] == "DISBURSED"
    assert request["requestedAt"] == row["tgl_spp"].isoformat() + "+07:00"
    assert request["order"] == {
        "number": row["nomor_spm"],
        "issuedAt": row["tgl_spm"].isoformat() + "+07:00",
    }
    assert request["disbursement"]["number"] == row["nomor_sp2d"]
    assert Decimal(request["disbursement"]["netAmount"]) == row["nilai_bersih"]
    assert len(request["history"]) == row["changes"] > 0


async def test_payment_request_filters_and_totals_equal_sql(
    gateway: Gateway, sppspm_sql: asyncpg.Connection
) -> None:
    expected = await sppspm_sql.fetchval(
        """select count(*) from spp s left join spm m on m.id_spp = s.id
           where s.tahun = 2026 and s.status = 1 and m.id is null and s.nilai >= 1000000"""
    )
    data = await gateway.data(
        """{ paymentRequests(filter: {fiscalYear: 2026, status: SUBMITTED, minAmount: "1000000"}) {
             totalCount } }"""
    )
    assert data["paymentRequests"]["totalCount"] == expected > 0


async def test_unmapped_units_and_unknown_officials_are_data_issues(
    gateway: Gateway,
    small_db: Databases,
    ekin_sql: asyncpg.Connection,
    sppspm_sql: asyncpg.Connection,
) -> None:
    mapped = Crosswalk.load(small_db.crosswalk).mapped_units(2026)
    unmapped = {
        str(r["id"])
        for r in await ekin_sql.fetch("select id from skpd where aktif")
        if r["id"] not in mapped
    }
    assert unmapped, "the seed leaves some units out of the crosswalk"
    staff = {r["nip"] for r in await ekin_sql.fetch("select nip from pegawai")}
    strangers = {
        normalise_nip(r["nip"])
        for r in await sppspm_sql.fetch("select nip from pejabat where tahun = 2026")
    } - staff
    assert strangers, "the seed names some officials e-kin does not know"
    data = await gateway.data("{ dataIssues(fiscalYear: 2026) { kind key } }")
    issues = {(i["kind"], i["key"]) for i in data["dataIssues"]}
    assert {("UNMAPPED_UNIT", key) for key in unmapped} <= issues
    assert {("UNKNOWN_PERSON", nip) for nip in strangers} <= issues


async def test_employee_cursors_walk_everybody_once(
    gateway: Gateway, ekin_sql: asyncpg.Connection
) -> None:
    total = await ekin_sql.fetchval("select count(*) from pegawai")
    query = """query($after: String) { employees(first: 97, after: $after) {
      totalCount edges { node { nip } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await gateway.data(query, {"after": after}))["employees"]
        seen += [e["node"]["nip"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == total == page["totalCount"]
    assert seen == sorted(seen)
