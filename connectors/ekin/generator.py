"""Look-alike e-kin rows, built from the organisation plan and a seeded random generator.

`generate_ekin` returns every e-kin table as tuples in column order (ready for
`copy_records_to_table`) and, for the sppspm generator, one `EmployeeFact` per employee:
who works where, in which role, and the allowance e-kin's rule says they are due.

Pure and deterministic: the same plan and the same `random.Random` state give the same
rows; nothing reads the clock (the demo's 'now' is calendar.DEMO_NOW).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from connectors.lookalike.allowance import SCORE_EDGES, TPP_BANDS, TPP_BASIS, expected_allowance
from connectors.lookalike.calendar import DEMO_NOW, month_of, working_days_in_month
from connectors.lookalike.names import display_name, person_name, titles
from connectors.lookalike.org_chart import FILL_ORDER, Duty, OrgChart, Position
from connectors.lookalike.plan import Plan
from connectors.lookalike.wording import ACTIVITIES, KINERJA_REJECTIONS

__all__ = ["COLUMNS", "Duty", "EkinData", "EmployeeFact", "expected_allowance", "generate_ekin"]

WIB = timezone(timedelta(hours=7))
DEMO_NOW_WIB = DEMO_NOW.replace(tzinfo=WIB)

Row = tuple[object, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "skpd": ("id", "nama_skpd", "singkatan", "induk_id", "aktif"),
    "jabatan": ("id", "nama_jabatan", "jenis", "kelas_jabatan", "id_skpd", "id_atasan"),
    "pegawai": (
        "nip",
        "nama",
        "gelar_depan",
        "gelar_belakang",
        "jns_kel",
        "tanggal_lahir",
        "status_kepegawaian",
        "golongan",
        "id_skpd",
        "id_jabatan",
        "aktif",
        "updated_at",
    ),
    "kinerja": (
        "id",
        "nip",
        "tgl_mulai",
        "tgl_selesai",
        "jenis_kinerja",
        "rincian_kinerja",
        "output",
        "volume",
        "durasi_menit",
        "approve",
        "keterangan_approve",
        "approved_by",
        "approved_at",
        "ref_eksternal",
        "created_at",
    ),
    "skp_bulanan": (
        "nip",
        "periode",
        "nilai_skp",
        "menit_kinerja",
        "menit_efektif",
        "dihitung_pada",
    ),
    "tpp_basis": ("kelas_jabatan", "tgl_berlaku", "nilai"),
    "tpp_persentase": ("tgl_berlaku", "batas_bawah", "persen"),
}
"""Column order of each e-kin table, in load order (parents before children)."""


@dataclass(frozen=True, slots=True)
class EmployeeFact:
    """What sppspm needs to know about an e-kin employee."""

    nip: str
    name: str  # with titles, as written on documents
    unit_id: int
    position: str
    duty: Duty
    kelas_jabatan: int
    status: str  # PNS or PPPK
    rank: str | None
    active: bool
    expected: tuple[tuple[str, Decimal], ...]  # (period, allowance due by e-kin's rule)

    def expected_in(self, period: str) -> Decimal:
        return dict(self.expected).get(period, Decimal(0))


@dataclass(frozen=True, slots=True)
class EkinData:
    tables: dict[str, list[Row]]  # table name -> rows, in COLUMNS order
    employees: tuple[EmployeeFact, ...]


def generate_ekin(plan: Plan, rng: random.Random) -> EkinData:
    """Every e-kin table for the plan, plus the employee facts sppspm is built from."""
    chart = OrgChart(plan)
    people = _staff(plan, chart, rng)
    activities, approved = _activities(plan, chart, people, rng)
    scores, skp_rows = _monthly_scores(plan, people, approved, rng)
    facts = tuple(
        EmployeeFact(
            nip=p.nip,
            name=p.display,
            unit_id=p.position.unit.ekin_id,
            position=p.position.name,
            duty=p.position.duty,
            kelas_jabatan=p.position.kelas,
            status=p.status,
            rank=p.rank,
            active=p.active,
            expected=tuple(
                (period, expected_allowance(p.position.kelas, scores.get((p.nip, period)), period))
                if p.active
                else (period, Decimal(0))
                for period in plan.activity_months
            ),
        )
        for p in people
    )
    tables: dict[str, list[Row]] = {
        "skpd": [(u.ekin_id, u.name, u.abbreviation, u.parent_id, u.active) for u in plan.units],
        "jabatan": [
            (p.id, p.name, p.kind, p.kelas, p.unit.ekin_id, p.superior) for p in chart.positions
        ],
        "pegawai": [p.row() for p in people],
        "kinerja": activities,
        "skp_bulanan": skp_rows,
        "tpp_basis": [
            (kelas, since, Decimal(value))
            for since, table in TPP_BASIS.items()
            for kelas, value in table.items()
        ],
        "tpp_persentase": [
            (since, Decimal(lower), percent)
            for since, bands in TPP_BANDS.items()
            for lower, percent in bands
        ],
    }
    return EkinData(tables=tables, employees=facts)


# --- people ----------------------------------------------------------------------------

_PNS_RANKS = (
    "II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c", "III/d",
    "IV/a", "IV/b", "IV/c", "IV/d", "IV/e",
)  # fmt: skip


def _pns_rank_range(kelas: int) -> tuple[int, int]:
    if kelas >= 15:
        return 10, 12
    if kelas == 14:
        return 10, 11
    if kelas >= 12:
        return 8, 10
    if kelas >= 10:
        return 7, 9
    if kelas == 9:
        return 6, 8
    if kelas == 8:
        return 4, 7
    if kelas == 7:
        return 2, 6
    return 0, 5


def _pppk_rank(kelas: int, rng: random.Random) -> str:
    if kelas <= 5:
        return "V"
    if kelas <= 7:
        return "VII"
    if kelas == 8:
        return "IX"
    return rng.choice(("IX", "X", "XI"))


@dataclass(slots=True)
class _Person:
    nip: str
    name: str
    before: str | None
    after: str | None
    female: bool
    born: date
    status: str
    rank: str | None
    position: Position
    active: bool
    updated_at: datetime

    @property
    def display(self) -> str:
        return display_name(self.name, self.before, self.after)

    def row(self) -> Row:
        return (
            self.nip,
            self.name,
            self.before,
            self.after,
            "perempuan" if self.female else "laki-laki",
            self.born,
            self.status,
            self.rank,
            self.position.unit.ekin_id,
            self.position.id,
            self.active,
            self.updated_at,
        )


class _NipRegister:
    """Hands out unique NIPs: PNS digits carry birth date, appointment month, sex, serial."""

    def __init__(self) -> None:
        self._serials: dict[str, int] = defaultdict(int)

    def issue(self, born: date, appointed: str, female: bool) -> str:
        prefix = f"{born:%Y%m%d}{appointed}{2 if female else 1}"
        self._serials[prefix] += 1
        return f"{prefix}{self._serials[prefix]:03d}"


def _birth_years(position: Position) -> tuple[int, int]:
    duty = position.duty
    if duty is Duty.KEPALA and position.kelas >= 13:
        return 1966, 1977
    if duty is Duty.KEPALA:
        return 1968, 1988
    if duty in (Duty.SEKRETARIS, Duty.KABID):
        return 1968, 1983
    if duty in (Duty.KASI, Duty.KASUBBAG, Duty.KEUANGAN):
        return 1970, 1990
    return 1968, 2001


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _new_person(position: Position, sector: str, rng: random.Random, nips: _NipRegister) -> _Person:
    single = position.single
    profession = position.profession
    if position.duty is Duty.KEPALA and profession and rng.random() < 0.3:
        profession = None  # not every head of a puskesmas is a doctor
    female_share = {"bidan": 1.0, "perawat": 0.7}.get(profession or "", 0.5)
    if position.theme == "school":
        female_share = 0.65
    if single and position.kelas >= 13:
        female_share = 0.25
    female = rng.random() < female_share
    low, high = _birth_years(position)
    born = _random_day(rng, date(low, 1, 1), date(high, 12, 28))
    pppk = not single and position.kind != "STRUKTURAL" and rng.random() < 0.19
    if pppk:
        appointed_year = rng.randint(max(2021, born.year + 22), 2025)
        nip = nips.issue(born, f"{appointed_year}21", female)
        rank: str | None = _pppk_rank(position.kelas, rng)
    else:
        appointed_year = min(2024, max(1988, born.year + rng.randint(22, 32)))
        month = rng.choice((1, 1, 2, 3, 3, 4, 12))
        nip = nips.issue(born, f"{appointed_year}{month:02d}", female)
        low_rank, high_rank = _pns_rank_range(position.kelas)
        rank = _PNS_RANKS[rng.randint(low_rank, high_rank)]
    title = titles(
        rng,
        "education" if position.theme == "school" else sector,
        position.kelas,
        medical=profession,
        born_before_1975=born.year < 1975,
    )
    updated = datetime.combine(
        _random_day(rng, date(2024, 1, 2), date(2026, 11, 13)),
        time(rng.randint(7, 16), rng.randint(0, 59), rng.randint(0, 59)),
        WIB,
    )
    return _Person(
        nip=nip,
        name=person_name(rng, female),
        before=title.before,
        after=title.after,
        female=female,
        born=born,
        status="PPPK" if pppk else "PNS",
        rank=rank,
        position=position,
        active=True,
        updated_at=updated,
    )


def _staff(plan: Plan, chart: OrgChart, rng: random.Random) -> list[_Person]:
    nips = _NipRegister()
    people: list[_Person] = []
    for unit in plan.units:
        positions = chart.by_unit.get(unit.ekin_id, [])
        sector = plan.opd(unit.opd_key).sector
        singles = sorted(
            (p for p in positions if p.single),
            key=lambda p: (FILL_ORDER.index(p.duty) if p.duty in FILL_ORDER else 99, p.id),
        )
        chosen = singles[: unit.headcount]
        shared = [p for p in positions if not p.single]
        remaining = unit.headcount - len(chosen)
        if shared and remaining > 0:
            chosen += rng.choices(shared, weights=[p.weight for p in shared], k=remaining)
        chosen.sort(key=lambda p: p.id)
        people.extend(_new_person(p, sector, rng, nips) for p in chosen)
    # A few staff have left (retired, moved away): e-kin keeps them, inactive.
    staff = [i for i, p in enumerate(people) if not p.position.single]
    for index in sorted(rng.sample(staff, max(2, round(len(staff) * 0.01)))):
        person = people[index]
        person.active = False
        person.updated_at = datetime.combine(
            _random_day(rng, date(2026, 1, 5), date(2026, 8, 28)), time(9, 15), WIB
        )
    return people


# --- activities ------------------------------------------------------------------------

_DURATIONS = (45, 60, 60, 75, 90, 90, 120, 120, 150, 180, 210, 240)
_LATEST_END = time(17, 30)


def _supervisors(chart: OrgChart, people: Sequence[_Person]) -> dict[str, str | None]:
    """Each employee's supervisor: the first active holder up the position chain."""
    holder: dict[int, str] = {}
    for person in people:
        if person.active:
            holder.setdefault(person.position.id, person.nip)
    return {
        person.nip: next(
            (holder[p] for p in chart.superior_chain(person.position.id) if p in holder), None
        )
        for person in people
    }


def _activities(
    plan: Plan, chart: OrgChart, people: Sequence[_Person], rng: random.Random
) -> tuple[list[Row], dict[tuple[str, str], int]]:
    """kinerja rows (sorted by created_at, ids assigned) and approved minutes per nip/month."""
    supervisors = _supervisors(chart, people)
    months = [(period, working_days_in_month(*month_of(period))) for period in plan.activity_months]
    latest = max(day for _, days in months for day in days)
    rows: list[Row] = []
    approved: dict[tuple[str, str], int] = defaultdict(int)
    reference = 0
    for person in people:
        if not person.active:
            continue
        supervisor = supervisors[person.nip]
        theme = person.position.theme
        for period, days in months:
            for day in days:
                for start, end, kind, text, output, volume in _day_of(theme, day, rng):
                    created = end + timedelta(minutes=rng.randint(2, 240))
                    if rng.random() < 0.07:
                        created += timedelta(days=1)
                    decision = _review(supervisor, day, latest, created, rng)
                    approve, note, reviewer, reviewed_at = decision
                    minutes = int((end - start).total_seconds() // 60)
                    if approve:
                        approved[(person.nip, period)] += minutes
                    ref = None
                    if rng.random() < 0.08:
                        reference += 1
                        ref = f"simpeg-{reference:06d}"
                    rows.append(
                        (
                            person.nip,
                            start,
                            end,
                            kind,
                            text,
                            output,
                            volume,
                            minutes,
                            approve,
                            note,
                            reviewer,
                            reviewed_at,
                            ref,
                            created,
                        )
                    )
    rows.sort(key=lambda r: (r[13], r[0], r[1]))
    return [(i, *row) for i, row in enumerate(rows, start=1)], approved


_ActivityTuple = tuple[datetime, datetime, str, str, str | None, int | None]


def _day_of(theme: str, day: date, rng: random.Random) -> list[_ActivityTuple]:
    """One to three activities of a working day, or one leave / travel entry."""
    roll = rng.random()
    if roll < 0.05:
        if roll < 0.015:
            kind, text, hours = "cuti", "Cuti tahunan", (time(7, 30), time(16, 0))
        elif roll < 0.025:
            kind, text, hours = (
                "sakit",
                "Sakit dengan surat keterangan dokter",
                (
                    time(7, 30),
                    time(16, 0),
                ),
            )
        elif roll < 0.03:
            kind, text, hours = "izin", "Izin keperluan keluarga", (time(8, 0), time(12, 0))
        else:
            city = rng.choice(("Jakarta", "Surabaya", "Yogyakarta", "Solo", "Bandung"))
            kind, text = "perjalanan_dinas", f"Perjalanan dinas ke {city} dalam rangka koordinasi"
            hours = (time(7, 0), time(17, 0))
        output = "Laporan" if kind == "perjalanan_dinas" else None
        volume = 1 if output else None
        start = datetime.combine(day, hours[0], WIB)
        return [(start, datetime.combine(day, hours[1], WIB), kind, text, output, volume)]
    choices = ACTIVITIES[theme]
    if theme == "leader" and rng.random() < 0.3:
        choices = ACTIVITIES["general"]
    count = rng.choices((1, 2, 3), weights=(30, 45, 25))[0]
    cursor = datetime.combine(day, time(7, 30), WIB) + timedelta(minutes=rng.randint(0, 45))
    day_end = datetime.combine(day, _LATEST_END, WIB)
    result: list[_ActivityTuple] = []
    for _ in range(count):
        end = min(cursor + timedelta(minutes=rng.choice(_DURATIONS)), day_end)
        if end <= cursor:
            break
        text, output, low, high = rng.choice(choices)
        result.append((cursor, end, "kinerja", text, output, rng.randint(low, high)))
        cursor = end + timedelta(minutes=rng.randint(0, 20))
    return result


def _review(
    supervisor: str | None, day: date, latest: date, created: datetime, rng: random.Random
) -> tuple[bool | None, str | None, str | None, datetime | None]:
    """(approve, keterangan_approve, approved_by, approved_at) of one activity."""
    if supervisor is None:
        # The Sekretaris Daerah answers to the mayor, who does not use e-kin.
        reviewed = created + timedelta(minutes=rng.randint(30, 600))
        return True, "Divalidasi oleh Wali Kota di luar aplikasi", None, reviewed
    recent = (latest - day).days
    pending_share = 0.15 if recent < 14 else (0.04 if recent < 31 else 0.015)
    roll = rng.random()
    if roll < pending_share:
        return None, None, None, None
    # Supervisors review in batches during office hours, mostly within a few days.
    delay = rng.choices((0, 1, 2, 3, 6), weights=(35, 30, 15, 12, 8))[0]
    reviewed = datetime.combine(
        created.date() + timedelta(days=delay),
        time(rng.randint(8, 19), rng.randint(0, 59), rng.randint(0, 59)),
        WIB,
    )
    if reviewed <= created:
        reviewed = created + timedelta(minutes=rng.randint(10, 90))
    if reviewed > DEMO_NOW_WIB:
        return None, None, None, None
    if roll < pending_share + 0.03:
        return False, rng.choice(KINERJA_REJECTIONS), supervisor, reviewed
    return True, None, supervisor, reviewed


# --- monthly SKP -----------------------------------------------------------------------


def _monthly_scores(
    plan: Plan,
    people: Sequence[_Person],
    approved: dict[tuple[str, str], int],
    rng: random.Random,
) -> tuple[dict[tuple[str, str], Decimal], list[Row]]:
    """skp_bulanan rows for active employees (a few left out) and the score per nip/month."""
    scores: dict[tuple[str, str], Decimal] = {}
    rows: list[Row] = []
    active = [p for p in people if p.active]
    for period in plan.activity_months:
        year, month = month_of(period)
        effective = len(working_days_in_month(year, month)) * 300
        next_month = date(year + month // 12, month % 12 + 1, 1)
        order = list(range(len(active)))
        rng.shuffle(order)
        edges = dict(zip(order, SCORE_EDGES, strict=False))
        missing = set(order[len(SCORE_EDGES) :][: max(2, round(len(active) * 0.005))])
        for index, person in enumerate(active):
            if index in missing:
                continue  # e-kin's month-end batch skipped them
            minutes = approved.get((person.nip, period), 0)
            score = edges.get(index)
            if score is None:
                ratio = min(Decimal(1), Decimal(minutes) / effective) * 100
                mixed = Decimal("0.4") * ratio + Decimal(
                    str(rng.triangular(35, 100, 93))
                ) * Decimal("0.6")
                score = min(Decimal(100), max(Decimal(35), mixed)).quantize(Decimal("0.01"))
            computed_at = datetime.combine(
                next_month, time(1, rng.randint(0, 59), rng.randint(0, 59)), WIB
            )
            scores[(person.nip, period)] = score
            rows.append((person.nip, period, score, minutes, effective, computed_at))
    return scores, rows
