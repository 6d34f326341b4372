"""Look-alike sppspm rows, built from the organisation plan and the e-kin employee facts.

`generate_sppspm` returns every sppspm table as tuples in column order (ready for
`copy_records_to_table`): finance units per fiscal year, their officials, budget lines,
payment requests (SPP) with their orders (SPM), disbursements (SP2D), full status
history, TPP payment lines and the holiday calendar.

On purpose, like real data: NIPs in three spellings, a few officials and TPP lines whose
NIP matches no e-kin employee, about 2% of TPP lines paying a wrong amount, a few due
employees not paid at all, and some requests still open well past their deadline at
calendar.DEMO_NOW. Pure and deterministic: no clock, no set iteration order.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal

from connectors.ekin.generator import Duty, EmployeeFact
from connectors.lookalike.calendar import (
    DEMO_NOW,
    HOLIDAYS,
    month_of,
    nth_working_day,
    working_days_in_month,
)
from connectors.lookalike.names import display_name, person_name, spell, titles
from connectors.lookalike.payment_lifecycle import (
    Actors,
    PaymentRequest,
    choose_outcome,
    force_outcomes,
    live,
    office_time,
)
from connectors.lookalike.plan import FISCAL_YEARS, FinanceUnit, Plan
from connectors.lookalike.wording import (
    ALLOWANCE_ACCOUNT,
    GENERAL_SUB_ACTIVITIES,
    GOODS_ACCOUNTS,
    MONTHS_ID,
    SALARY_ACCOUNT,
    SALARY_SUB_ACTIVITY,
    SECTOR_SUB_ACTIVITIES,
    VENDORS,
)
from connectors.sppspm.numbering import disbursement_number, order_number, request_number

Row = tuple[object, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "hari_libur": ("tanggal", "keterangan", "jenis"),
    "skpd": ("tahun", "kode_skpd", "nama_skpd"),
    "pejabat": ("id", "tahun", "kode_skpd", "nip", "nama", "peran"),
    "anggaran": (
        "id",
        "tahun",
        "kode_skpd",
        "kode_sub_kegiatan",
        "kode_rekening",
        "uraian",
        "pagu",
    ),
    "spp": (
        "id",
        "nomor_spp",
        "tahun",
        "kode_skpd",
        "jenis",
        "jenis_ls",
        "id_anggaran",
        "nilai",
        "uraian",
        "nip_bendahara",
        "tgl_spp",
        "status",
        "ket_ditolak",
        "ref_eksternal",
        "created_at",
    ),
    "spm": ("id", "id_spp", "nomor_spm", "tgl_spm", "status_spm", "ket_ditolak", "nip_pa"),
    "sp2d": ("id", "id_spm", "nomor_sp2d", "tgl_sp2d", "nilai_bersih", "nip_kuasa_bud"),
    "riwayat_status": (
        "id",
        "dokumen",
        "id_dokumen",
        "status_lama",
        "status_baru",
        "nip",
        "waktu",
        "catatan",
    ),
    "tpp_rincian": ("id", "id_spp", "periode", "nip", "nilai"),
}
"""Column order of each sppspm table, in load order (parents before children)."""

ROLES = ("BENDAHARA_PENGELUARAN", "PPTK", "PPK_SKPD", "PA")
KUASA_BUD = "KUASA_BUD"


@dataclass(frozen=True, slots=True)
class SppspmData:
    tables: dict[str, list[Row]]  # table name -> rows, in COLUMNS order


def generate_sppspm(
    plan: Plan, employees: Sequence[EmployeeFact], rng: random.Random
) -> SppspmData:
    """Every sppspm table for the plan, consistent with the e-kin employees given."""
    known = {e.nip for e in employees}
    strangers = _Strangers(known, rng)
    officials = _appoint_officials(plan, employees, strangers, rng)
    budget = _Budget(plan, rng)
    requests = _plan_requests(plan, employees, budget, strangers, rng)
    forced = force_outcomes(requests, rng)
    for request in requests:
        outcome = forced.get(request.seq) or choose_outcome(request, rng)
        live(request, outcome, officials.actors(request.year, request.code), rng)
    tables = _assemble(requests, budget, officials, rng)
    tables["hari_libur"] = [(h.day, h.description, h.kind) for h in HOLIDAYS]
    tables["skpd"] = [(f.year, f.code, f.name) for f in plan.finance_units]
    ordered = {name: tables[name] for name in COLUMNS}
    return SppspmData(tables=ordered)


def _rupiah(value: float, step: int = 1) -> Decimal:
    return Decimal(max(step, int(value) // step * step))


# --- people who are not in e-kin -------------------------------------------------------


class _Strangers:
    """NIPs that match no e-kin employee: moved away, retired, or typed for someone else."""

    def __init__(self, known: set[str], rng: random.Random) -> None:
        self._known = known
        self._rng = rng

    def new(self) -> tuple[str, str]:
        """(nip, name with titles) of a plausible civil servant unknown to e-kin."""
        rng = self._rng
        while True:
            born = date(rng.randint(1966, 1995), rng.randint(1, 12), rng.randint(1, 28))
            female = rng.random() < 0.5
            appointed = f"{min(2022, born.year + rng.randint(22, 30))}{rng.randint(1, 12):02d}"
            nip = f"{born:%Y%m%d}{appointed}{2 if female else 1}{rng.randint(1, 9):03d}"
            if nip not in self._known:
                self._known.add(nip)
                title = titles(rng, "general", 8)
                return nip, display_name(person_name(rng, female), title.before, title.after)


# --- officials -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Official:
    nip: str  # as written in pejabat (plain, spaced or dotted)
    name: str


@dataclass(slots=True)
class _Officials:
    by_code: dict[tuple[int, str], dict[str, _Official]] = field(default_factory=dict)
    kuasa_bud: dict[int, _Official] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)

    def of(self, year: int, code: str, role: str) -> _Official:
        return self.by_code[(year, code)][role]

    def actors(self, year: int, code: str) -> Actors:
        roles = self.by_code[(year, code)]
        return Actors(
            treasurer=roles["BENDAHARA_PENGELUARAN"].nip,
            verifier=roles["PPK_SKPD"].nip,
            budget_user=roles["PA"].nip,
            kuasa_bud=self.kuasa_bud[year].nip,
        )

    def add(self, year: int, code: str, role: str, official: _Official) -> None:
        self.rows.append((len(self.rows) + 1, year, code, official.nip, official.name, role))


def _appoint_officials(
    plan: Plan,
    employees: Sequence[EmployeeFact],
    strangers: _Strangers,
    rng: random.Random,
) -> _Officials:
    """Four officials per finance unit and year, plus one KUASA_BUD per year."""
    by_unit: dict[int, list[EmployeeFact]] = defaultdict(list)
    for employee in employees:
        if employee.active:
            by_unit[employee.unit_id].append(employee)
    # A few appointments name someone e-kin does not know (moved or retired since).
    slots = [(f.year, f.code, role) for f in plan.finance_units for role in ROLES[:2]]
    unknown = set(rng.sample(slots, max(2, len(plan.finance_units) // 12)))
    officials = _Officials()
    for unit in plan.finance_units:
        staff = by_unit[unit.owner_unit_id]
        chosen = {
            "BENDAHARA_PENGELUARAN": _first(staff, Duty.BENDAHARA, Duty.STAF),
            "PPTK": _pptk(staff, rng),
            "PPK_SKPD": _first(staff, Duty.KEUANGAN, Duty.KASUBBAG),
            "PA": _first(staff, Duty.KEPALA, Duty.SEKRETARIS),
        }
        roles: dict[str, _Official] = {}
        for role in ROLES:
            if (unit.year, unit.code, role) in unknown:
                nip, name = strangers.new()
                official = _Official(spell(nip, rng), name)
            else:
                person = chosen[role]
                official = _Official(spell(person.nip, rng), person.name)
            roles[role] = official
            officials.add(unit.year, unit.code, role, official)
        officials.by_code[(unit.year, unit.code)] = roles
    agency = plan.finance_agency
    treasury = by_unit[agency.office_id]
    head_of_treasury = next(
        (e for e in treasury if e.duty is Duty.KABID and "Perbendaharaan" in e.position),
        _first(treasury, Duty.KABID, Duty.SEKRETARIS),
    )
    for year in FISCAL_YEARS:
        official = _Official(spell(head_of_treasury.nip, rng), head_of_treasury.name)
        officials.kuasa_bud[year] = official
        officials.add(year, agency.code(year), KUASA_BUD, official)
    return officials


def _first(staff: Sequence[EmployeeFact], duty: Duty, fallback: Duty) -> EmployeeFact:
    for wanted in (duty, fallback):
        for employee in staff:
            if employee.duty is wanted:
                return employee
    return staff[0]


def _pptk(staff: Sequence[EmployeeFact], rng: random.Random) -> EmployeeFact:
    managers = [e for e in staff if e.duty in (Duty.KABID, Duty.SEKRETARIS, Duty.KASI)]
    if not managers:
        managers = [e for e in staff if e.duty is Duty.STAF and e.kelas_jabatan >= 8]
    return rng.choice(managers) if managers else _first(staff, Duty.KASUBBAG, Duty.KEUANGAN)


# --- budget ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    id: int
    year: int
    code: str
    kind: str  # GAJI, TPP or GOODS
    sub_activity: str
    account: str
    description: str
    pagu: Decimal = Decimal(0)


class _Budget:
    """Budget lines (anggaran) of every finance unit and year."""

    def __init__(self, plan: Plan, rng: random.Random) -> None:
        self.lines: list[_Line] = []
        self.salary: dict[tuple[int, str], _Line] = {}
        self.allowance: dict[tuple[int, str], _Line] = {}
        self.goods: dict[tuple[int, str], list[_Line]] = defaultdict(list)
        for unit in plan.finance_units:
            sector = plan.opd(unit.opd_key).sector
            prefix = unit.code[:4]
            if unit.is_department:
                sub = f"{prefix}.{SALARY_SUB_ACTIVITY[0]}"
                self.salary[(unit.year, unit.code)] = self._add(
                    unit, "GAJI", sub, SALARY_ACCOUNT, SALARY_SUB_ACTIVITY[1]
                )
                self.allowance[(unit.year, unit.code)] = self._add(
                    unit, "TPP", sub, ALLOWANCE_ACCOUNT, SALARY_SUB_ACTIVITY[1]
                )
            subs = GENERAL_SUB_ACTIVITIES + SECTOR_SUB_ACTIVITIES.get(sector, ())
            accounts = [
                a for a in GOODS_ACCOUNTS if sector in ("health", "hospital") or "Obat" not in a[1]
            ]
            count = rng.randint(5, 12) if unit.is_department else rng.randint(3, 5)
            pairs = [(s, a) for s in subs for a in accounts]
            for (suffix, sub_name), account in sorted(rng.sample(pairs, count)):
                line = self._add(unit, "GOODS", f"{prefix}.{suffix}", account, sub_name)
                self.goods[(unit.year, unit.code)].append(line)

    def _add(
        self,
        unit: FinanceUnit,
        kind: str,
        sub_activity: str,
        account: tuple[str, str],
        sub_name: str,
    ) -> _Line:
        line = _Line(
            len(self.lines) + 1,
            unit.year,
            unit.code,
            kind,
            sub_activity,
            account[0],
            f"{account[1]} - {sub_name}"[:250],
        )
        self.lines.append(line)
        return line


# --- payment requests ------------------------------------------------------------------


def _working_days_until_now(year: int, month: int) -> list[date]:
    # Spending starts once the uang persediaan of the year is out, mid-January, and the
    # treasurers' year-end cut-off for new requests is 19 December.
    first = date(year, 1, 15) if month == 1 else date(year, month, 1)
    last = min(date(year, 12, 19), DEMO_NOW.date() - timedelta(days=1))
    return [d for d in working_days_in_month(year, month) if first <= d <= last]


def _plan_requests(
    plan: Plan,
    employees: Sequence[EmployeeFact],
    budget: _Budget,
    strangers: _Strangers,
    rng: random.Random,
) -> list[PaymentRequest]:
    """Every SPP the data will hold, in creation order, before their lifecycles."""
    requests: list[PaymentRequest] = []
    opd_people: dict[str, list[EmployeeFact]] = defaultdict(list)
    for employee in employees:
        opd_people[plan.unit(employee.unit_id).opd_key].append(employee)

    def add(request: PaymentRequest) -> None:
        request.seq = len(requests)
        requests.append(request)

    # Uang persediaan: one per finance unit at the start of each fiscal year.
    for unit in plan.finance_units:
        day = nth_working_day(date(unit.year, 1, 5), rng.randint(0, 5))
        size = 1.0 if unit.is_department else 0.3
        add(
            PaymentRequest(
                seq=0,
                year=unit.year,
                code=unit.code,
                opd_key=unit.opd_key,
                jenis="UP",
                jenis_ls=None,
                line_id=None,
                amount=_rupiah(rng.uniform(80e6, 600e6) * size, 1_000_000),
                purpose=f"Uang Persediaan Tahun Anggaran {unit.year} {unit.name}",
                created=office_time(day, rng),
            )
        )
    # Salaries: one LS-GAJI per department and month, plus THR and the 13th month.
    for opd in plan.opds:
        headcount = sum(1 for e in opd_people[opd.key] if e.active)
        monthly = Decimal(headcount) * _rupiah(rng.uniform(4.3e6, 5.4e6), 1_000)
        for year in FISCAL_YEARS:
            code = opd.code(year)
            for month, purpose in _salary_calendar(year):
                if month == 1:
                    day = nth_working_day(date(year, 1, 2), rng.randint(0, 3))
                else:
                    day = nth_working_day(date(year, month - 1, 14), rng.randint(0, 5))
                created = office_time(day, rng)
                if created >= DEMO_NOW:
                    continue
                amount = (monthly * Decimal(str(rng.uniform(0.985, 1.015)))).quantize(
                    Decimal(1), ROUND_HALF_UP
                )
                add(
                    PaymentRequest(
                        seq=0,
                        year=year,
                        code=code,
                        opd_key=opd.key,
                        jenis="LS",
                        jenis_ls="GAJI",
                        line_id=budget.salary[(year, code)].id,
                        amount=amount,
                        purpose=f"{purpose} {MONTHS_ID[month - 1]} {year} {opd.finance_name(year)}",
                        created=created,
                    )
                )
    _allowance_requests(plan, opd_people, budget, strangers, rng, add)
    _spending_requests(plan, budget, len(requests), rng, add)
    return sorted(requests, key=lambda r: (r.created, r.seq))


def _salary_calendar(year: int) -> list[tuple[int, str]]:
    months = [(m, "Belanja Gaji dan Tunjangan ASN bulan") for m in range(1, 13)]
    months.insert(3, (3, "Tunjangan Hari Raya (THR) ASN bulan"))
    months.insert(7, (6, "Gaji Ketiga Belas ASN bulan"))
    return months


def _allowance_requests(
    plan: Plan,
    opd_people: dict[str, list[EmployeeFact]],
    budget: _Budget,
    strangers: _Strangers,
    rng: random.Random,
    add: Callable[[PaymentRequest], None],
) -> None:
    """One LS-TPP per department and SKP month, paying each due employee (with quirks)."""
    drafts: list[PaymentRequest] = []
    for period in plan.activity_months:
        year, month = month_of(period)
        pay_year, pay_month = (year + 1, 1) if month == 12 else (year, month + 1)
        for opd in plan.opds:
            code = opd.code(pay_year)
            day = nth_working_day(date(pay_year, pay_month, 3), rng.randint(0, 6))
            request = PaymentRequest(
                seq=0,
                year=pay_year,
                code=code,
                opd_key=opd.key,
                jenis="LS",
                jenis_ls="TPP",
                line_id=budget.allowance[(pay_year, code)].id,
                amount=Decimal(0),  # the sum of its lines, set below
                purpose=f"Tambahan Penghasilan Pegawai (TPP) ASN bulan {MONTHS_ID[month - 1]}"
                f" {year} {opd.finance_name(pay_year)}",
                created=office_time(day, rng),
            )
            for employee in sorted(opd_people[opd.key], key=lambda e: e.nip):
                due = employee.expected_in(period)
                if due > 0:
                    request.allowance_lines.append((period, employee.nip, due))
            if request.allowance_lines:
                drafts.append(request)
    lines = [(r, i) for r in drafts for i in range(len(r.allowance_lines))]
    picked = rng.sample(lines, min(len(lines), max(5, round(len(lines) * 0.023))))
    wrong_count = max(2, round(len(lines) * 0.02))
    for request, index in picked[:wrong_count]:
        period, nip, due = request.allowance_lines[index]
        request.allowance_lines[index] = (period, nip, _wrong_amount(due, rng))
    # Due, but left out of the payment; delete from the end so indices stay valid.
    for request, index in sorted(picked[wrong_count:], key=lambda pair: -pair[1]):
        del request.allowance_lines[index]
    for _ in range(max(2, len(lines) // 1500)):
        request = rng.choice(drafts)
        nip, _name = strangers.new()
        amount = _rupiah(rng.choice((4_250_000, 5_100_000, 3_600_000)) * 0.85)
        request.allowance_lines.append((request.allowance_lines[0][0], nip, amount))
    for request in drafts:
        request.allowance_lines = [
            (period, spell(nip, rng), amount) for period, nip, amount in request.allowance_lines
        ]
        request.amount = sum((amount for _, _, amount in request.allowance_lines), Decimal(0))
        add(request)


def _wrong_amount(due: Decimal, rng: random.Random) -> Decimal:
    """A plausible mistake: an old band, a typo, or a rounding slip."""
    kind = rng.randrange(3)
    if kind == 0:
        return (due * Decimal("0.85")).quantize(Decimal(1), ROUND_HALF_UP)
    if kind == 1:
        return due + Decimal(rng.choice((50_000, 100_000, 250_000)))
    return due - Decimal(rng.choice((1, 500, 25_000)))


_MONTH_WEIGHTS = (0.4, 0.7, 0.9, 0.9, 1.0, 1.0, 1.0, 1.1, 1.1, 1.2, 1.4, 1.8)


def _spending_requests(
    plan: Plan,
    budget: _Budget,
    already: int,
    rng: random.Random,
    add: Callable[[PaymentRequest], None],
) -> None:
    """GU, TU and LS goods-and-services requests, up to the plan's target count."""
    count = max(0, plan.payment_request_target - already)
    units = list(plan.finance_units)
    weights = [_unit_weight(plan, unit) for unit in units]
    months = [
        (year, month, weight * (0.65 if (year, month) == (2026, 11) else 1.0))
        for year in FISCAL_YEARS
        for month, weight in enumerate(_MONTH_WEIGHTS, start=1)
        if date(year, month, 1) < DEMO_NOW.date()
    ]
    month_weights = [w for _, _, w in months]
    counters: dict[tuple[int, str], int] = defaultdict(int)
    for _ in range(count):
        year, month, _w = rng.choices(months, weights=month_weights)[0]
        candidates = [i for i, u in enumerate(units) if u.year == year]
        unit = units[rng.choices(candidates, weights=[weights[i] for i in candidates])[0]]
        days = _working_days_until_now(year, month)
        created = office_time(rng.choice(days), rng)
        line = rng.choice(budget.goods[(year, unit.code)])
        roll = rng.random()
        counters[(year, unit.opd_key)] += 1
        if roll < 0.18:
            jenis, jenis_ls = "GU", None
            amount = _rupiah(rng.uniform(5e6, 150e6), 1_000)
            purpose = (
                f"Ganti Uang Persediaan (GU) {MONTHS_ID[month - 1]} {year} untuk {line.description}"
            )
        elif roll < 0.22:
            jenis, jenis_ls = "TU", None
            amount = _rupiah(rng.uniform(10e6, 250e6), 1_000)
            purpose = f"Tambahan Uang Persediaan (TU) untuk {line.description}"
        else:
            jenis, jenis_ls = "LS", "BARANG_JASA"
            amount = _rupiah(min(900e6, max(750e3, rng.lognormvariate(math.log(25e6), 1.1))), 100)
            purpose = f"Pembayaran {line.description} kepada {rng.choice(VENDORS)}"
        reference = None
        if rng.random() < 0.06:
            reference = f"{unit.opd_key.lower()}-spp-{year}-{counters[(year, unit.opd_key)]:05d}"
        add(
            PaymentRequest(
                seq=0,
                year=year,
                code=unit.code,
                opd_key=unit.opd_key,
                jenis=jenis,
                jenis_ls=jenis_ls,
                line_id=line.id,
                amount=amount,
                purpose=purpose,
                created=created,
                reference=reference,
            )
        )


def _unit_weight(plan: Plan, unit: FinanceUnit) -> float:
    opd = plan.opd(unit.opd_key)
    if unit.is_department:
        heads = sum(
            plan.unit(u).headcount for u in opd.unit_ids if not plan.unit(u).own_code_suffix
        )
    else:
        heads = plan.unit(unit.owner_unit_id).headcount
    return max(10, heads) ** 0.7


# --- rows ------------------------------------------------------------------------------

_TAX_RATES = {
    "BARANG_JASA": ("0.0150", "0.0200", "0.1141", "0.1291"),
    "GAJI": ("0.0100", "0.0250", "0.0400"),
    "TPP": ("0.0500", "0.0650"),
}


def _net_amount(request: PaymentRequest, rng: random.Random) -> Decimal:
    rates = _TAX_RATES.get(request.jenis_ls or "")
    if not rates:
        return request.amount  # UP/GU/TU: taxes are withheld later by the treasurer
    tax = (request.amount * Decimal(rng.choice(rates))).quantize(Decimal(1), ROUND_DOWN)
    return request.amount - tax


def _assemble(
    requests: list[PaymentRequest], budget: _Budget, officials: _Officials, rng: random.Random
) -> dict[str, list[Row]]:
    """Rows of the tables the requests make; ids and numbers follow time, as serials would."""
    spp_rows, spp_ids = _request_rows(requests, officials)
    spm_rows, spm_ids = _order_rows(requests, spp_ids, officials)
    sp2d_rows, sp2d_ids = _disbursement_rows(requests, spm_ids, officials, rng)
    ids = {"SPP": spp_ids, "SPM": spm_ids, "SP2D": sp2d_ids}
    _set_ceilings(requests, budget, rng)
    return {
        "pejabat": officials.rows,
        "anggaran": [
            (
                line.id,
                line.year,
                line.code,
                line.sub_activity,
                line.account,
                line.description,
                line.pagu,
            )
            for line in budget.lines
        ],
        "spp": spp_rows,
        "spm": spm_rows,
        "sp2d": sp2d_rows,
        "riwayat_status": _history_rows(requests, ids),
        "tpp_rincian": [
            (number, spp_ids[request.seq], period, nip, amount)
            for number, (request, (period, nip, amount)) in enumerate(
                ((r, line) for r in requests for line in r.allowance_lines), start=1
            )
        ],
    }


def _request_rows(
    requests: list[PaymentRequest], officials: _Officials
) -> tuple[list[Row], dict[int, int]]:
    """`spp` rows, numbered per SKPD and year without gaps; and spp.id by request seq."""
    rows: list[Row] = []
    numbers: dict[tuple[int, str], int] = defaultdict(int)
    ids: dict[int, int] = {}
    for spp_id, request in enumerate(requests, start=1):
        ids[request.seq] = spp_id
        numbers[(request.year, request.code)] += 1
        number = numbers[(request.year, request.code)]
        treasurer = officials.of(request.year, request.code, "BENDAHARA_PENGELUARAN").nip
        rows.append(
            (
                spp_id,
                request_number(number, request.jenis, request.code, request.year),
                request.year,
                request.code,
                request.jenis,
                request.jenis_ls,
                request.line_id,
                request.amount,
                request.purpose,
                treasurer,
                request.created,
                request.status,
                request.rejection,
                request.reference,
                request.created,
            )
        )
    return rows, ids


def _order_rows(
    requests: list[PaymentRequest], spp_ids: dict[int, int], officials: _Officials
) -> tuple[list[Row], dict[int, int]]:
    """`spm` rows in the order they were issued; and spm.id by request seq."""
    ordered = sorted(
        (r for r in requests if r.order_at is not None),
        key=lambda r: (r.order_at, spp_ids[r.seq]),
    )
    rows: list[Row] = []
    ids: dict[int, int] = {}
    numbers: dict[tuple[int, str], int] = defaultdict(int)
    for spm_id, request in enumerate(ordered, start=1):
        assert request.order_at is not None
        ids[request.seq] = spm_id
        numbers[(request.year, request.code)] += 1
        rows.append(
            (
                spm_id,
                spp_ids[request.seq],
                order_number(
                    numbers[(request.year, request.code)],
                    request.jenis,
                    request.code,
                    request.order_at,
                    request.year,
                ),
                request.order_at,
                request.order_status,
                request.order_rejection,
                officials.of(request.year, request.code, "PA").nip,
            )
        )
    return rows, ids


def _disbursement_rows(
    requests: list[PaymentRequest],
    spm_ids: dict[int, int],
    officials: _Officials,
    rng: random.Random,
) -> tuple[list[Row], dict[int, int]]:
    """`sp2d` rows in the order they were issued; and sp2d.id by request seq."""
    disbursed = sorted(
        (r for r in requests if r.disbursed_at is not None),
        key=lambda r: (r.disbursed_at, spm_ids[r.seq]),
    )
    rows: list[Row] = []
    ids: dict[int, int] = {}
    numbers: dict[int, int] = defaultdict(int)
    for sp2d_id, request in enumerate(disbursed, start=1):
        assert request.disbursed_at is not None
        ids[request.seq] = sp2d_id
        numbers[request.year] += 1
        rows.append(
            (
                sp2d_id,
                spm_ids[request.seq],
                disbursement_number(
                    numbers[request.year],
                    request.jenis,
                    request.code,
                    request.disbursed_at,
                    request.year,
                ),
                request.disbursed_at,
                _net_amount(request, rng),
                officials.kuasa_bud[request.year].nip,
            )
        )
    return rows, ids


def _history_rows(requests: list[PaymentRequest], ids: dict[str, dict[int, int]]) -> list[Row]:
    """`riwayat_status`: every status change of every document, in time order."""
    history: list[tuple[datetime, int, int, Row]] = []
    for request in requests:
        spp_id = ids["SPP"][request.seq]
        for index, e in enumerate(request.events):
            document_id = ids[e.document][request.seq]
            row = (e.document, document_id, e.old, e.new, e.nip, e.at, e.note)
            history.append((e.at, spp_id, index, row))
    history.sort(key=lambda h: (h[0], h[1], h[2]))
    return [(i, *h[3]) for i, h in enumerate(history, start=1)]


def _set_ceilings(requests: list[PaymentRequest], budget: _Budget, rng: random.Random) -> None:
    """Pagu of every line: at least everything ever requested on it, so that committed
    never exceeded it; a few lines exactly used up, one cut to zero."""
    requested: dict[int, Decimal] = defaultdict(Decimal)
    rejected: dict[int, bool] = defaultdict(bool)
    for request in requests:
        if request.line_id is None:
            continue
        requested[request.line_id] += request.amount
        if request.rejected:
            rejected[request.line_id] = True
    used = [line for line in budget.lines if requested[line.id] > 0]
    exhausted_candidates = [line for line in used if not rejected[line.id]]
    exhausted = {
        line.id
        for line in rng.sample(
            exhausted_candidates, min(len(exhausted_candidates), max(2, len(used) // 100))
        )
    }
    unused = [line for line in budget.lines if requested[line.id] == 0]
    cut = rng.choice(unused).id if unused else None
    for line in budget.lines:
        total = requested[line.id]
        if line.id in exhausted:
            line.pagu = total
        elif total > 0:
            ceiling = total / Decimal(str(round(rng.uniform(0.55, 0.97), 3)))
            line.pagu = (ceiling / 1000).to_integral_value(rounding=ROUND_CEILING) * 1000
        elif line.id == cut:
            line.pagu = Decimal(0)
        else:
            line.pagu = _rupiah(rng.uniform(10e6, 900e6), 1_000)
        line.pagu = line.pagu.quantize(Decimal("0.01"))
