"""Nothing dropped from the allowance reconciliation: lines paid to NIPs that e-kin does
not know are rows of their own (employee null, nothing expected, UNKNOWN_EMPLOYEE), so the
city's sums equal sppspm's own; who sees them; and the list in a client's ordering."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
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

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"

# sppspm's own sums, written from the legacy layout alone: a line is paid when its request
# has an SP2D; in process when it has none and neither the request (status 3) nor its
# order (status_spm 3) is rejected.
SPPSPM_SUMS = """
select r.periode,
       coalesce(sum(r.nilai) filter (where d.id is not null), 0) as paid,
       coalesce(sum(r.nilai) filter (
           where d.id is null and s.status <> 3 and coalesce(m.status_spm, 0) <> 3), 0)
         as in_process
from tpp_rincian r
join spp s on s.id = r.id_spp
left join spm m on m.id_spp = s.id
left join sp2d d on d.id_spm = m.id
group by r.periode
order by r.periode
"""

ROWS = """query($period: Period!, $code: String, $status: AllowanceStatus,
                $order: [AllowanceOrder!], $first: Int, $after: String) {
  allowances(period: $period, departmentCode: $code, status: $status, orderBy: $order,
             first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { nip basis percent expected paid inProcess difference status } }
  }
}"""


async def every_row(
    gw: Gateway, period: str, *, page: int = 500, **arguments: Any
) -> tuple[list[dict[str, Any]], int]:
    """All rows of the list, page by page, and its totalCount."""
    rows: list[dict[str, Any]] = []
    after = None
    while True:
        variables = {"period": period, "first": page, "after": after, **arguments}
        data = (await gw.data(ROWS, variables))["allowances"]
        rows += [edge["node"] for edge in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            return rows, data["totalCount"]
        after = data["pageInfo"]["endCursor"]


def money(rows: list[dict[str, Any]], field: str) -> Decimal:
    return sum((Decimal(r[field]) for r in rows), Decimal(0))


async def sppspm_sums(dsn: str) -> dict[str, tuple[Decimal, Decimal]]:
    conn = await asyncpg.connect(dsn)
    try:
        return {r["periode"]: (r["paid"], r["in_process"]) for r in await conn.fetch(SPPSPM_SUMS)}
    finally:
        await conn.close()


async def ekin_nips(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return {r["nip"] for r in await conn.fetch("select nip from pegawai")}
    finally:
        await conn.close()


# -- the seeded city (small scale) -----------------------------------------------------------


async def test_the_citys_allowance_sums_equal_sppspms_own_unknown_nips_included(
    gateway: Gateway, small_db: Databases
) -> None:
    sums = await sppspm_sums(small_db.sppspm_dsn)
    staff = await ekin_nips(small_db.ekin_dsn)
    assert sums, "the seed pays TPP"
    unknown_seen = 0
    for period, (paid, in_process) in sums.items():
        rows, total = await every_row(gateway, period, page=200)
        assert len(rows) == total
        assert (money(rows, "paid"), money(rows, "inProcess")) == (paid, in_process), period
        unknown = [r for r in rows if r["status"] == "UNKNOWN_EMPLOYEE"]
        assert {r["nip"] for r in unknown} == {r["nip"] for r in rows} - staff
        for row in unknown:
            assert (row["basis"], row["percent"], row["expected"]) == ("0.00", 0, "0.00")
            assert row["difference"] == row["paid"]
        unknown_seen += len(unknown)
    assert unknown_seen >= 2, "the seed pays a few NIPs e-kin does not know"


async def test_an_unknown_nip_has_no_employee_and_is_a_data_issue_too(gateway: Gateway) -> None:
    query = """{ allowances(period: "2026-10", status: UNKNOWN_EMPLOYEE) { totalCount
                 edges { node { nip employee { nip } paymentRequests { number lsKind } } } } }"""
    data = (await gateway.data(query))["allowances"]
    assert data["totalCount"] > 0
    issues = (await gateway.data("{ dataIssues { kind key } }"))["dataIssues"]
    unknown_people = {i["key"] for i in issues if i["kind"] == "UNKNOWN_PERSON"}
    for edge in data["edges"]:
        node = edge["node"]
        assert node["employee"] is None
        assert node["nip"] in unknown_people
        assert node["paymentRequests"], "the requests that pay it"


# -- orderings and cursors --------------------------------------------------------------------

ORDERINGS = [
    ["PAID_DESC"],
    ["DIFFERENCE_ASC", "EXPECTED_DESC"],
    ["NIP_DESC"],
    ["EXPECTED_ASC", "PAID_ASC"],
    ["NIP_ASC"],
    ["DIFFERENCE_DESC", "PAID_ASC", "DIFFERENCE_ASC"],  # a key again orders nothing more
]


def sort_key(order: list[str]) -> Any:
    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        values: list[Any] = []
        seen: set[str] = set()
        for name in order:
            field, direction = name.rsplit("_", 1)
            if field in seen:
                continue
            seen.add(field)
            if field == "NIP":
                value: Any = int(row["nip"])
            else:
                value = Decimal(row[field.lower()])
            values.append(-value if direction == "DESC" else value)
        return (*values, row["nip"])

    return key


@pytest.mark.parametrize("order", ORDERINGS, ids=lambda o: ",".join(o))
async def test_every_ordering_pages_stably_through_the_whole_list(
    gateway: Gateway, order: list[str]
) -> None:
    everything, total = await every_row(gateway, "2026-10")
    assert len(everything) == total
    paged, paged_total = await every_row(gateway, "2026-10", page=37, order=order)
    assert paged_total == total
    assert paged == sorted(everything, key=sort_key(order))


async def test_the_default_order_is_by_nip_and_keeps_its_cursors(gateway: Gateway) -> None:
    rows, _ = await every_row(gateway, "2026-10")
    assert [r["nip"] for r in rows] == sorted(r["nip"] for r in rows)
    query = """query($order: [AllowanceOrder!]) {
      allowances(period: "2026-10", first: 3, orderBy: $order) { edges { cursor } } }"""
    default = (await gateway.data(query, {"order": None}))["allowances"]["edges"]
    by_nip = (await gateway.data(query, {"order": ["NIP_ASC"]}))["allowances"]["edges"]
    assert default == by_nip


async def test_a_cursor_of_one_ordering_is_refused_in_another_before_any_sql(
    gateway: Gateway,
) -> None:
    first = await gateway.data(ROWS, {"period": "2026-10", "first": 2, "order": ["PAID_DESC"]})
    cursor = first["allowances"]["pageInfo"]["endCursor"]
    before = gateway.statements()
    body = await gateway.query(
        ROWS, {"period": "2026-10", "first": 2, "order": ["PAID_ASC"], "after": cursor}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    garbage = await gateway.query(ROWS, {"period": "2026-10", "after": "bm90LWEtY3Vyc29y"})
    assert garbage["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert garbage["errors"][0]["extensions"]["argument"] == "after"
    assert gateway.statements() == before, "refused before any SQL"


async def test_ordering_and_a_status_filter_go_together(gateway: Gateway) -> None:
    rows, total = await every_row(
        gateway, "2026-10", page=5, status="OVERPAID", order=["DIFFERENCE_DESC"]
    )
    assert total == len(rows) > 0
    assert {r["status"] for r in rows} == {"OVERPAID"}
    differences = [Decimal(r["difference"]) for r in rows]
    assert differences == sorted(differences, reverse=True)


# -- crafted: who sees which unknown NIP -----------------------------------------------------

DINKES = "1.02.0.00.0.00.01.0000"
BPKAD = "5.02.0.00.0.00.01.0000"
KAPUS = "198001012005012002"
U1 = "196912312000121001"  # paid by Dinas Kesehatan (SPP 1, disbursed)
U2 = "197512312000031009"  # in process on Dinas Kesehatan's SPP 2 and on BPKAD's SPP 8
U3 = "198811112010011003"  # paid on a request of a sub-unit of Dinas Kesehatan (SPP 6)

# On top of tests/data/crafted_*.sql: BPKAD gets an e-kin unit and an LS-TPP request.
MORE_EKIN = """
insert into skpd (id, nama_skpd, singkatan, induk_id, aktif)
  values (4, 'Badan Pengelolaan Keuangan dan Aset Daerah', 'BPKAD', null, true);
"""
MORE_SPPSPM = """
insert into anggaran (id, tahun, kode_skpd, kode_sub_kegiatan, kode_rekening, uraian, pagu)
  values (4, 2026, '5.02.0.00.0.00.01.0000', '5.02.01.2.01.0001', '5.1.01.02.01.0001',
          'Belanja TPP BPKAD', 50000000);
insert into spp (id, nomor_spp, tahun, kode_skpd, jenis, jenis_ls, id_anggaran, nilai, uraian,
                 nip_bendahara, tgl_spp, status, ket_ditolak, created_at)
  values (8, '000001/SPP-LS/5.02.0.00.0.00.01.0000/2026', 2026, '5.02.0.00.0.00.01.0000', 'LS',
          'TPP', 4, 850000, 'TPP Oktober 2026 BPKAD', '19750505 200003 1 009',
          '2026-11-05 10:00:00', 1, null, '2026-11-05 10:00:00');
insert into tpp_rincian (id_spp, periode, nip, nilai) values
  (1, '2026-10', '19691231 200012 1 001', 1250000),
  (2, '2026-10', '19751231.200003.1.009', 300000),
  (8, '2026-10', '197512312000031009', 750000),
  (8, '2026-10', '19800101 200501 2 002', 100000),
  (6, '2026-10', '198811112010011003', 200000);
"""


@pytest.fixture(scope="module")
async def crafted(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    ekin = await create_database(pg_server, "recon_ekin")
    sppspm = await create_database(pg_server, "recon_sppspm")
    for dsn, system, more in ((ekin, "ekin", MORE_EKIN), (sppspm, "sppspm", MORE_SPPSPM)):
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute((ROOT / "connectors" / system / "ddl.sql").read_text())
            await conn.execute((DATA / f"crafted_{system}.sql").read_text())
            await conn.execute(more)
        finally:
            await conn.close()
    crosswalk = tmp_path_factory.mktemp("recon") / "crosswalk.csv"
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


def by_nip(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["nip"]: r for r in rows}


async def test_crafted_city_sums_equal_sppspms_and_each_unknown_nip_has_its_row(
    gw: Gateway, crafted: Databases
) -> None:
    rows, total = await every_row(gw, "2026-10")
    assert total == 8 + 3  # every e-kin employee, and the three NIPs e-kin does not know
    paid, in_process = (await sppspm_sums(crafted.sppspm_dsn))["2026-10"]
    assert (money(rows, "paid"), money(rows, "inProcess")) == (paid, in_process)
    assert (paid, in_process) == (Decimal("32450000.00"), Decimal("1650000.00"))
    rows_of = by_nip(rows)
    assert {nip: rows_of[nip]["status"] for nip in (U1, U2, U3)} == dict.fromkeys(
        (U1, U2, U3), "UNKNOWN_EMPLOYEE"
    )
    assert (rows_of[U1]["paid"], rows_of[U1]["inProcess"]) == ("1250000.00", "0.00")
    assert (rows_of[U2]["paid"], rows_of[U2]["inProcess"]) == ("0.00", "1050000.00")
    assert rows_of[U3]["paid"] == "200000.00"
    # an employee's row counts every request that pays them, whichever department's
    assert (rows_of[KAPUS]["paid"], rows_of[KAPUS]["inProcess"]) == ("6000000.00", "600000.00")


DEPARTMENT = """query($code: String) {
  allowances(period: "2026-10", departmentCode: $code) { totalCount edges { node {
    nip status paid inProcess employee { nip } paymentRequests { number } } } } }"""


async def test_a_department_system_sees_the_unknown_nips_its_own_requests_pay(
    gw: Gateway,
) -> None:
    dinkes = gw.as_caller(token("DEPT_SYSTEM", "simpeg-dinkes", dept=DINKES))
    body = await dinkes.query(DEPARTMENT, {"code": None})
    rows = by_nip([e["node"] for e in body["data"]["allowances"]["edges"]])
    assert body["data"]["allowances"]["totalCount"] == 7 + 3
    # U2 is in process on Dinas Kesehatan's request and on BPKAD's: only its own counts
    assert (rows[U2]["inProcess"], [r["number"] for r in rows[U2]["paymentRequests"]]) == (
        "300000.00",
        ["000002/SPP-LS/1.02.0.00.0.00.01.0000/2026"],
    )
    assert rows[U1]["paid"] == "1250000.00"
    assert rows[U3]["paid"] == "200000.00", "a sub-unit's request is the department's"
    assert all(rows[nip]["employee"] is None for nip in (U1, U2, U3))
    unknown_paths = {
        tuple(e["path"][:3]) for e in body.get("errors", []) if e["path"][0] == "allowances"
    }
    unknown_at = {
        ("allowances", "edges", i)
        for i, e in enumerate(body["data"]["allowances"]["edges"])
        if e["node"]["nip"] in (U1, U2, U3)
    }
    assert not unknown_paths & unknown_at, "nothing of an unknown NIP's row is refused"

    bpkad = gw.as_caller(token("DEPT_SYSTEM", "simda-bpkad", dept=BPKAD))
    data = (await bpkad.data(DEPARTMENT, {"code": None}))["allowances"]
    (row,) = [e["node"] for e in data["edges"]]
    assert (row["nip"], row["status"], row["inProcess"]) == (U2, "UNKNOWN_EMPLOYEE", "750000.00")
    # Kapus is paid by BPKAD too, but she is Dinas Kesehatan's: her row is there, not here
    assert data["totalCount"] == 1

    forbidden = await dinkes.query(DEPARTMENT, {"code": BPKAD})
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_departments_unknown_rows_add_up_to_the_citys(gw: Gateway) -> None:
    city, _ = await every_row(gw, "2026-10", status="UNKNOWN_EMPLOYEE")
    parts = [
        (await every_row(gw, "2026-10", status="UNKNOWN_EMPLOYEE", code=code))[0]
        for code in (DINKES, BPKAD)
    ]
    for field in ("paid", "inProcess"):
        assert money(city, field) == sum((money(p, field) for p in parts), Decimal(0))


async def test_staff_do_not_read_the_reconciliation(gw: Gateway) -> None:
    staff = gw.as_caller(token("STAFF", KAPUS))
    body = await staff.query(DEPARTMENT, {"code": None})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
