"""The look-alike databases: deterministic, safe to run, and true to the legacy contract.

Uses the suite's embedded server (conftest `pg_server`) and its small data set
(`small_db`); the refuse/reset checks run on a database pair of their own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from connectors.ekin.generator import COLUMNS as EKIN_COLUMNS
from connectors.ekin.generator import WIB
from connectors.lookalike.calendar import DEMO_NOW, deadline
from connectors.nip import normalise_nip, pns_digits_are_valid
from connectors.sppspm.generator import COLUMNS as SPPSPM_COLUMNS
from gateway.crosswalk import Crosswalk
from gateway.seed import SCALES, SeedError, build_plan, build_seed_data, demo_crosswalk, seed
from tests.conftest import Databases, create_database


async def checksums(dsn: str, tables: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """md5 of every row of every table, in a stable order."""
    conn = await asyncpg.connect(dsn)
    try:
        return {
            table: await conn.fetchval(
                f"select md5(coalesce(string_agg(t::text, '|' order by t::text), ''))"
                f" from {table} t"  # table names from the generators' COLUMNS
            )
            for table in tables
        }
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def spare_pair(pg_server: Any) -> Databases:
    """A second database pair, seeded with the same scale and seed as small_db."""
    ekin = await create_database(pg_server, "seedtest_ekin")
    sppspm = await create_database(pg_server, "seedtest_sppspm")
    await seed(ekin, sppspm, scale="small", seed=1)
    return Databases(ekin, sppspm, Path("unused"))


@pytest.fixture
def ekin(ekin_sql: asyncpg.Connection) -> asyncpg.Connection:
    return ekin_sql


@pytest.fixture
def sppspm(sppspm_sql: asyncpg.Connection) -> asyncpg.Connection:
    return sppspm_sql


# --- determinism and safety ------------------------------------------------------------


def test_scales_are_named() -> None:
    assert SCALES == ("small", "medium", "city")


def test_generators_are_pure_functions_of_scale_and_seed() -> None:
    first, again, other = (build_seed_data("small", n) for n in (1, 1, 2))
    assert first.ekin == again.ekin and first.sppspm == again.sppspm
    assert first.ekin["pegawai"] != other.ekin["pegawai"]
    assert first.plan.crosswalk_rows() == other.plan.crosswalk_rows()


async def test_same_seed_gives_identical_databases(
    small_db: Databases, spare_pair: Databases
) -> None:
    assert await checksums(small_db.ekin_dsn, EKIN_COLUMNS) == await checksums(
        spare_pair.ekin_dsn, EKIN_COLUMNS
    )
    assert await checksums(small_db.sppspm_dsn, SPPSPM_COLUMNS) == await checksums(
        spare_pair.sppspm_dsn, SPPSPM_COLUMNS
    )


async def test_seed_refuses_a_database_with_tables_unless_reset(
    small_db: Databases, spare_pair: Databases, tmp_path: Path
) -> None:
    with pytest.raises(SeedError) as refused:
        await seed(spare_pair.ekin_dsn, spare_pair.sppspm_dsn, scale="small", seed=1)
    assert "\n" not in str(refused.value) and "reset" in str(refused.value)

    crosswalk = tmp_path / "crosswalk.csv"
    report = await seed(
        spare_pair.ekin_dsn,
        spare_pair.sppspm_dsn,
        scale="small",
        seed=2,
        reset=True,
        crosswalk_path=crosswalk,
    )
    assert report.counts["sppspm.spp"] == 400 and report.elapsed_seconds > 0
    assert Crosswalk.load(crosswalk).entries == demo_crosswalk(build_plan("small")).entries
    other = await checksums(spare_pair.ekin_dsn, EKIN_COLUMNS)
    assert other["pegawai"] != (await checksums(small_db.ekin_dsn, EKIN_COLUMNS))["pegawai"]


async def test_seed_refuses_one_database_for_both_systems(spare_pair: Databases) -> None:
    with pytest.raises(SeedError, match="same database"):
        await seed(spare_pair.ekin_dsn, spare_pair.ekin_dsn, reset=True)


async def test_seed_rejects_an_unknown_scale(spare_pair: Databases) -> None:
    with pytest.raises(SeedError, match="unknown scale"):
        await seed(spare_pair.ekin_dsn, spare_pair.sppspm_dsn, scale="huge")


async def test_sequences_continue_after_the_loaded_ids(
    ekin: asyncpg.Connection, sppspm: asyncpg.Connection
) -> None:
    tr = ekin.transaction()
    await tr.start()
    try:
        new_id = await ekin.fetchval(
            "insert into skpd (nama_skpd) values ('Unit baru') returning id"
        )
        assert new_id == await ekin.fetchval("select max(id) from skpd")
        assert new_id > 1
    finally:
        await tr.rollback()
    tr = sppspm.transaction()
    await tr.start()
    try:
        before = await sppspm.fetchval("select max(id) from riwayat_status")
        new_id = await sppspm.fetchval(
            "insert into riwayat_status (dokumen, id_dokumen, status_baru, nip, waktu)"
            " values ('SPP', 1, 1, '198609262015051001', now()) returning id"
        )
        assert new_id == before + 1
    finally:
        await tr.rollback()


# --- organisation and crosswalk --------------------------------------------------------


async def test_unmapped_units_are_active_and_missing_from_the_crosswalk(
    small_db: Databases, ekin: asyncpg.Connection
) -> None:
    crosswalk = Crosswalk.load(small_db.crosswalk)
    units = await ekin.fetch("select id, nama_skpd, aktif from skpd order by id")
    active = {u["id"] for u in units if u["aktif"]}
    for year in (2025, 2026):
        unmapped = sorted(active - crosswalk.mapped_units(year))
        assert unmapped == list(build_plan("small").unmapped_unit_ids())
        assert len(unmapped) == 2
    assert any(not u["aktif"] for u in units)


async def test_one_department_was_recoded_between_fiscal_years(
    small_db: Databases, sppspm: asyncpg.Connection
) -> None:
    plan = build_plan("small")
    opd = plan.recoded_opd
    old, new = opd.code(2025), opd.code(2026)
    assert old != new
    crosswalk = Crosswalk.load(small_db.crosswalk)
    assert crosswalk.finance_code(2025, opd.office_id) == old
    assert crosswalk.finance_code(2026, opd.office_id) == new
    rows = await sppspm.fetch(
        "select tahun, kode_skpd from skpd where kode_skpd = any($1::text[])", [old, new]
    )
    assert sorted((r["tahun"], r["kode_skpd"]) for r in rows) == [(2025, old), (2026, new)]


async def test_every_finance_unit_has_its_four_officials_each_year(
    sppspm: asyncpg.Connection,
) -> None:
    rows = await sppspm.fetch(
        "select s.tahun, s.kode_skpd, array_agg(p.peran order by p.peran) as roles"
        " from skpd s left join pejabat p using (tahun, kode_skpd)"
        " group by s.tahun, s.kode_skpd"
    )
    four = ["BENDAHARA_PENGELUARAN", "PA", "PPK_SKPD", "PPTK"]
    finance_agency = build_plan("small").finance_agency
    for row in rows:
        roles = [r for r in row["roles"] if r != "KUASA_BUD"]
        assert roles == four, (row["tahun"], row["kode_skpd"], row["roles"])
        bud = row["roles"].count("KUASA_BUD")
        assert bud == (1 if row["kode_skpd"] == finance_agency.code(row["tahun"]) else 0)


async def test_pejabat_uses_all_three_nip_spellings_and_some_strangers(
    ekin: asyncpg.Connection, sppspm: asyncpg.Connection
) -> None:
    nips = [r["nip"] for r in await sppspm.fetch("select nip from pejabat")]
    shapes = Counter("spaced" if " " in n else "dotted" if "." in n else "plain" for n in nips)
    assert set(shapes) == {"spaced", "dotted", "plain"}
    known = {r["nip"] for r in await ekin.fetch("select nip from pegawai")}
    strangers = {normalise_nip(n) for n in nips} - known
    assert 1 <= len(strangers) <= 5


# --- money -----------------------------------------------------------------------------


async def test_committed_never_exceeds_the_ceiling(sppspm: asyncpg.Connection) -> None:
    rows = await sppspm.fetch(
        """
        select a.id, a.pagu, coalesce(sum(s.nilai) filter (
                 where s.status <> 3 and coalesce(m.status_spm, 0) <> 3), 0) as committed
        from anggaran a
        left join spp s on s.id_anggaran = a.id
        left join spm m on m.id_spp = s.id
        group by a.id, a.pagu
        """
    )
    assert all(r["committed"] <= r["pagu"] for r in rows)
    assert any(r["committed"] == r["pagu"] > 0 for r in rows), "a line exactly used up"
    assert any(r["pagu"] == 0 for r in rows), "a line cut to zero"


async def test_payment_requests_follow_the_contract(sppspm: asyncpg.Connection) -> None:
    spp = await sppspm.fetch("select * from spp order by id")
    assert len(spp) == 400
    for row in spp:
        assert (row["jenis_ls"] is not None) == (row["jenis"] == "LS")
        assert (row["id_anggaran"] is None) == (row["jenis"] == "UP")
        assert row["nilai"] > 0
        assert (row["ket_ditolak"] is not None) == (row["status"] == 3)
    numbers: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row in spp:
        number, kind, code, year = row["nomor_spp"].split("/")
        assert (kind, code, int(year)) == (f"SPP-{row['jenis']}", row["kode_skpd"], row["tahun"])
        numbers[(row["tahun"], row["kode_skpd"])].append(int(number))
    for sequence in numbers.values():
        assert sorted(sequence) == list(range(1, len(sequence) + 1))
    treasurers = await sppspm.fetch(
        "select s.id from spp s where not exists (select 1 from pejabat p"
        " where p.tahun = s.tahun and p.kode_skpd = s.kode_skpd"
        " and p.peran = 'BENDAHARA_PENGELUARAN' and p.nip = s.nip_bendahara)"
    )
    assert treasurers == []


async def test_orders_and_disbursements_are_consistent(sppspm: asyncpg.Connection) -> None:
    rows = await sppspm.fetch(
        "select s.status, s.nilai, m.status_spm, m.ket_ditolak, d.nilai_bersih"
        " from spm m join spp s on s.id = m.id_spp left join sp2d d on d.id_spm = m.id"
    )
    for row in rows:
        assert row["status"] == 2
        assert (row["status_spm"] == 2) == (row["nilai_bersih"] is not None)
        assert (row["ket_ditolak"] is not None) == (row["status_spm"] == 3)
        if row["nilai_bersih"] is not None:
            assert 0 < row["nilai_bersih"] <= row["nilai"]
    assert {r["status_spm"] for r in rows} == {1, 2, 3}
    statuses = {r["status"] for r in await sppspm.fetch("select status from spp")}
    assert statuses == {0, 1, 2, 3}


async def test_history_has_a_row_for_every_status_change(sppspm: asyncpg.Connection) -> None:
    spp = {r["id"]: r for r in await sppspm.fetch("select id, status, created_at from spp")}
    spm = {r["id"]: r for r in await sppspm.fetch("select id, id_spp, status_spm from spm")}
    sp2d = {r["id"]: r for r in await sppspm.fetch("select id, id_spm, tgl_sp2d from sp2d")}
    history: dict[tuple[str, int], list[asyncpg.Record]] = defaultdict(list)
    for row in await sppspm.fetch("select * from riwayat_status order by id"):
        history[(row["dokumen"], row["id_dokumen"])].append(row)
    for spp_id, row in spp.items():
        chain = history[("SPP", spp_id)]
        assert chain[0]["status_lama"] is None and chain[0]["waktu"] == row["created_at"]
        assert [c["status_lama"] for c in chain[1:]] == [c["status_baru"] for c in chain[:-1]]
        assert chain[-1]["status_baru"] == row["status"]
        assert [c["waktu"] for c in chain] == sorted(c["waktu"] for c in chain)
    for spm_id, row in spm.items():
        chain = history[("SPM", spm_id)]
        assert [(c["status_lama"], c["status_baru"]) for c in chain][0] == (None, 1)
        assert chain[-1]["status_baru"] == row["status_spm"]
        assert history[("SPP", row["id_spp"])][-1]["waktu"] <= chain[0]["waktu"]
    for sp2d_id, row in sp2d.items():
        (created,) = history[("SP2D", sp2d_id)]
        assert created["waktu"] == row["tgl_sp2d"] == history[("SPM", row["id_spm"])][-1]["waktu"]
    changes = {
        (c["dokumen"], c["status_lama"], c["status_baru"])
        for rows in history.values()
        for c in rows
    }
    assert changes == {
        ("SPP", None, 0),
        ("SPP", 0, 1),
        ("SPP", 1, 2),
        ("SPP", 1, 3),
        ("SPP", 2, 3),
        ("SPM", None, 1),
        ("SPM", 1, 2),
        ("SPM", 1, 3),
        ("SP2D", None, 2),
    }
    assert max(c["waktu"] for rows in history.values() for c in rows) <= DEMO_NOW


async def test_some_requests_are_open_well_past_their_deadline(
    sppspm: asyncpg.Connection,
) -> None:
    waiting_for_order = await sppspm.fetch(
        "select r.waktu from spp s join riwayat_status r on r.dokumen = 'SPP'"
        " and r.id_dokumen = s.id and r.status_baru = 1"
        " where s.status in (1, 2) and not exists (select 1 from spm where id_spp = s.id)"
    )
    waiting_for_sp2d = await sppspm.fetch("select tgl_spm as waktu from spm where status_spm = 1")
    for open_requests in (waiting_for_order, waiting_for_sp2d):
        overdue = [
            r for r in open_requests if deadline(r["waktu"], 2) + timedelta(days=3) < DEMO_NOW
        ]
        assert overdue


async def test_allowance_lines_pay_what_ekin_says_is_due_with_a_few_mistakes(
    ekin: asyncpg.Connection, sppspm: asyncpg.Connection
) -> None:
    due_rows = await ekin.fetch(
        """
        select s.nip, s.periode, round(
          (select b.nilai from tpp_basis b
            where b.kelas_jabatan = j.kelas_jabatan
              and b.tgl_berlaku <= to_date(s.periode || '-01', 'YYYY-MM-DD')
            order by b.tgl_berlaku desc limit 1)
          * (select t.persen from tpp_persentase t
              where t.tgl_berlaku = (select max(tgl_berlaku) from tpp_persentase
                                     where tgl_berlaku <= to_date(s.periode || '-01', 'YYYY-MM-DD'))
                and t.batas_bawah <= s.nilai_skp
              order by t.batas_bawah desc limit 1) / 100) as due
        from skp_bulanan s join pegawai p using (nip) join jabatan j on j.id = p.id_jabatan
        where p.aktif
        """
    )
    due = {(r["nip"], r["periode"]): r["due"] for r in due_rows if r["due"] > 0}
    lines = await sppspm.fetch(
        "select r.nip, r.periode, r.nilai, s.nilai as spp_nilai, s.id from tpp_rincian r"
        " join spp s on s.id = r.id_spp"
    )
    paid: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    per_spp: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        paid[(normalise_nip(line["nip"]), line["periode"])] += line["nilai"]
        per_spp[line["id"]] += line["nilai"]
    assert all(
        total == next(x["spp_nilai"] for x in lines if x["id"] == i) for i, total in per_spp.items()
    )
    matched = sum(1 for key, amount in due.items() if paid.get(key) == amount)
    wrong = sum(1 for key, amount in due.items() if paid.get(key) not in (None, amount))
    unpaid = [key for key in due if key not in paid]
    unknown = [key for key in paid if key not in due]
    assert matched / len(due) > 0.95
    assert 1 <= wrong <= 0.03 * len(due)
    assert 1 <= len(unpaid) <= 0.01 * len(due)
    assert unknown
    spellings = Counter(" " in n or "." in n for n in (line["nip"] for line in lines))
    assert spellings[True] and spellings[False]


# --- e-kin -----------------------------------------------------------------------------


async def test_employees_look_like_civil_servants(ekin: asyncpg.Connection) -> None:
    people = await ekin.fetch("select * from pegawai")
    assert 250 <= len(people) <= 350
    pns = [p for p in people if p["status_kepegawaian"] == "PNS"]
    pppk = [p for p in people if p["status_kepegawaian"] == "PPPK"]
    assert 0.8 <= len(pns) / len(people) <= 0.95
    for person in pns:
        nip = person["nip"]
        assert pns_digits_are_valid(nip)
        assert nip[:8] == person["tanggal_lahir"].strftime("%Y%m%d")
        assert nip[14] == ("2" if person["jns_kel"] == "perempuan" else "1")
        assert "/" in person["golongan"]
    for person in pppk:
        assert not pns_digits_are_valid(person["nip"]) and "/" not in person["golongan"]
    assert any(p["gelar_depan"] for p in people) and any(p["gelar_belakang"] for p in people)
    assert any(not p["aktif"] for p in people)


async def test_activities_fall_in_office_hours_and_are_reviewed_by_a_supervisor(
    ekin: asyncpg.Connection,
) -> None:
    rows = await ekin.fetch(
        """
        with recursive chain(id_jabatan, superior) as (
            select id, id_atasan from jabatan where id_atasan is not null
            union all
            select c.id_jabatan, j.id_atasan from chain c join jabatan j on j.id = c.superior
            where j.id_atasan is not null
        )
        select k.*, extract(epoch from k.tgl_selesai - k.tgl_mulai) / 60 as minutes,
               exists(select 1 from chain c join pegawai r on r.id_jabatan = c.superior
                      where c.id_jabatan = p.id_jabatan and r.nip = k.approved_by) as by_superior
        from kinerja k join pegawai p using (nip)
        """
    )
    approvals = Counter(r["approve"] for r in rows)
    assert approvals[True] > 0.85 * len(rows) and approvals[False] and approvals[None]
    for row in rows:
        assert row["durasi_menit"] == row["minutes"] and 1 <= row["durasi_menit"] <= 720
        start, end = row["tgl_mulai"].astimezone(WIB), row["tgl_selesai"].astimezone(WIB)
        assert start.date() == end.date() and time(7) <= start.time() < end.time() <= time(17, 30)
        if row["approved_by"] is not None:
            assert row["by_superior"] and row["approved_at"] > row["created_at"]
        if row["approve"] is False:
            assert row["keterangan_approve"]
    references = [r["ref_eksternal"] for r in rows if r["ref_eksternal"]]
    assert 0 < len(references) < 0.2 * len(rows)


async def test_monthly_scores_cover_band_edges_and_skip_a_few(ekin: asyncpg.Connection) -> None:
    scores = await ekin.fetch("select * from skp_bulanan")
    active = await ekin.fetchval("select count(*) from pegawai where aktif")
    assert {r["periode"] for r in scores} == {"2026-09", "2026-10"}
    assert active * 2 - 10 <= len(scores) < active * 2
    values = {r["nilai_skp"] for r in scores}
    assert {Decimal("90.00"), Decimal("89.99"), Decimal("60.00")} <= values
    assert min(values) >= 35 and max(values) <= 100
    for row in scores:
        year, month = int(row["periode"][:4]), int(row["periode"][5:])
        assert row["dihitung_pada"].astimezone(WIB).date() == date(
            year + month // 12, month % 12 + 1, 1
        )
        assert row["menit_efektif"] % 300 == 0


async def test_allowance_tables_follow_perwal_76_2021(ekin: asyncpg.Connection) -> None:
    bands = await ekin.fetch("select batas_bawah, persen from tpp_persentase order by 1 desc")
    assert [(int(b["batas_bawah"]), b["persen"]) for b in bands] == [
        (90, 100), (80, 85), (70, 70), (60, 55), (50, 40), (40, 25), (0, 0),
    ]  # fmt: skip
    basis = await ekin.fetch("select kelas_jabatan, tgl_berlaku from tpp_basis")
    assert {b["tgl_berlaku"] for b in basis} == {date(2022, 1, 1), date(2026, 7, 1)}
    assert len(basis) == 34


async def test_holidays_are_the_skb_calendar_of_2025_and_2026(sppspm: asyncpg.Connection) -> None:
    rows = {r["tanggal"]: r["jenis"] for r in await sppspm.fetch("select * from hari_libur")}
    assert rows[date(2026, 3, 19)] == "NASIONAL"  # Nyepi
    for cuti_bersama in (
        date(2026, 3, 18),
        date(2026, 3, 20),
        date(2026, 3, 23),
        date(2026, 3, 24),
    ):
        assert rows[cuti_bersama] == "CUTI_BERSAMA"
    # Submitted Friday 13 March 2026: day 1 Monday 16, day 2 Tuesday 17 -> due 18 March 00:00.
    assert deadline(datetime(2026, 3, 13, 10), 2) == datetime(2026, 3, 18)
    # Submitted Tuesday 17 March: the next working days are 25 and 26 March.
    assert deadline(datetime(2026, 3, 17, 10), 2) == datetime(2026, 3, 27)
    assert {d.year for d in rows} == {2025, 2026}
    assert set(rows.values()) == {"NASIONAL", "CUTI_BERSAMA"}
