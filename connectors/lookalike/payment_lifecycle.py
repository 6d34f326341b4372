"""The life of one payment request in the demo data: SPP -> SPM -> SP2D.

Each request gets an outcome (where its history would end), a history of status
changes written by the officials who make them, with stage durations mostly within the
Timebound deadlines (2 working days, 1 for a rejection) and some late; then everything
after calendar.DEMO_NOW is cut off, which leaves recent requests naturally open.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from connectors.lookalike.calendar import DEMO_NOW, nth_working_day
from connectors.lookalike.names import spell
from connectors.lookalike.wording import SPM_REJECTIONS, SPP_REJECTIONS

OUTCOMES = (
    "draft",  # SPP status 0, never submitted
    "submitted",  # status 1, never verified
    "rejected",  # 1 -> 3 by the PPK-SKPD
    "rejected_by_pa",  # 1 -> 2, then 2 -> 3 by the PA instead of an SPM
    "verified",  # status 2, no SPM yet
    "ordered",  # SPM status 1, no SP2D yet
    "order_rejected",  # SPM 1 -> 3 by the Kuasa BUD
    "disbursed",  # SPM 1 -> 2 and an SP2D
)
"""Where a request's history ends if DEMO_NOW does not cut it short first."""


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One future riwayat_status row."""

    document: str  # SPP, SPM or SP2D
    old: int | None
    new: int
    nip: str
    at: datetime  # WIB clock time
    note: str


@dataclass(frozen=True, slots=True)
class Actors:
    """NIPs (as written in pejabat) of the officials who move a request along."""

    treasurer: str  # BENDAHARA_PENGELUARAN: creates and submits the SPP
    verifier: str  # PPK_SKPD: accepts or rejects the SPP
    budget_user: str  # PA: issues the SPM or rejects the SPP
    kuasa_bud: str  # KUASA_BUD: issues the SP2D or rejects the SPM


@dataclass(slots=True)
class PaymentRequest:
    seq: int
    year: int
    code: str
    opd_key: str
    jenis: str  # UP, GU, TU or LS
    jenis_ls: str | None  # GAJI, TPP or BARANG_JASA for LS
    line_id: int | None  # anggaran.id; None only for UP
    amount: Decimal
    purpose: str
    created: datetime
    reference: str | None = None
    allowance_lines: list[tuple[str, str, Decimal]] = field(default_factory=list)
    events: list[StatusEvent] = field(default_factory=list)
    # Derived from the events that happened by DEMO_NOW (see settle):
    status: int = 0
    rejection: str | None = None
    order_at: datetime | None = None
    order_status: int | None = None
    order_rejection: str | None = None
    disbursed_at: datetime | None = None

    @property
    def payroll(self) -> bool:
        return self.jenis_ls in ("GAJI", "TPP")

    @property
    def rejected(self) -> bool:
        """Rejected as the budget counts it: SPP status 3 or its SPM rejected."""
        return self.status == 3 or self.order_status == 3


def office_time(day: date, rng: random.Random) -> datetime:
    """A WIB clock time between 08:00 and 15:30 on the given day."""
    return datetime.combine(day, time(8, 0)) + timedelta(seconds=rng.randint(0, 7 * 3600 + 1800))


def choose_outcome(request: PaymentRequest, rng: random.Random) -> str:
    """Mostly disbursed; recent requests more often still open, payroll never rejected."""
    age = (DEMO_NOW - request.created).days
    recent = age < 45
    this_year = request.year == DEMO_NOW.year
    weights = {
        "draft": 0.1 if age < 20 else (0.001 if this_year else 0.0),
        "submitted": 0.05 if recent else (0.002 if this_year else 0.0),
        "rejected": 0.0 if request.payroll else 0.05,
        "rejected_by_pa": 0.0 if request.payroll else 0.01,
        "verified": 0.02 if recent else (0.001 if this_year else 0.0),
        "ordered": 0.04 if recent else (0.001 if this_year else 0.0),
        "order_rejected": 0.0 if request.payroll else 0.03,
    }
    roll = rng.random()
    for outcome, weight in weights.items():
        if roll < weight:
            return outcome
        roll -= weight
    return "disbursed"


def force_outcomes(requests: Sequence[PaymentRequest], rng: random.Random) -> dict[int, str]:
    """One request (by seq) for every outcome short of disbursement, whatever the scale
    and seed, each created long enough before DEMO_NOW to be past its deadline."""
    start, end = datetime(2026, 9, 1), datetime(2026, 11, 6)
    candidates = [r.seq for r in requests if not r.payroll and start <= r.created < end]
    chosen = rng.sample(candidates, min(len(candidates), len(OUTCOMES) - 1))
    return dict(zip(chosen, OUTCOMES[:-1], strict=False))


def live(request: PaymentRequest, outcome: str, actors: Actors, rng: random.Random) -> None:
    """Write the request's history up to `outcome`, then keep what happened by DEMO_NOW."""
    _write_history(request, outcome, actors, rng)
    _settle(request)


def _write_history(
    request: PaymentRequest, outcome: str, actors: Actors, rng: random.Random
) -> None:
    accepted = "SPP diverifikasi dan diterima PPK-SKPD"

    def event(document: str, old: int | None, new: int, nip: str, at: datetime, note: str) -> None:
        request.events.append(StatusEvent(document, old, new, _respell(nip, rng), at, note))

    event("SPP", None, 0, actors.treasurer, request.created, "SPP dibuat")
    if outcome == "draft":
        return
    submitted = request.created + timedelta(seconds=rng.randint(5 * 60, 150 * 60))
    event("SPP", 0, 1, actors.treasurer, submitted, "SPP diajukan ke PPK-SKPD")
    if outcome == "submitted":
        return
    if outcome == "rejected":
        request.rejection = rng.choice(SPP_REJECTIONS)
        at = _stage_end(submitted, True, rng)
        event("SPP", 1, 3, actors.verifier, at, f"SPP ditolak PPK-SKPD: {request.rejection}")
        return
    if outcome in ("rejected_by_pa", "verified"):
        verified = _at_working_day(submitted, rng.choice((0, 1)), rng)
        event("SPP", 1, 2, actors.verifier, verified, accepted)
        if outcome == "rejected_by_pa":
            request.rejection = rng.choice(SPP_REJECTIONS)
            at = _stage_end(verified, True, rng)
            note = f"SPP ditolak Pengguna Anggaran: {request.rejection}"
            event("SPP", 2, 3, actors.budget_user, at, note)
        return
    ordered = _stage_end(submitted, False, rng)
    verified = (submitted + (ordered - submitted) * rng.uniform(0.15, 0.7)).replace(microsecond=0)
    event("SPP", 1, 2, actors.verifier, verified, accepted)
    event("SPM", None, 1, actors.budget_user, ordered, "SPM diterbitkan dan dikirim ke Kuasa BUD")
    if outcome == "ordered":
        return
    if outcome == "order_rejected":
        request.order_rejection = rng.choice(SPM_REJECTIONS)
        at = _stage_end(ordered, True, rng)
        note = f"SPM ditolak Kuasa BUD: {request.order_rejection}"
        event("SPM", 1, 3, actors.kuasa_bud, at, note)
        return
    disbursed = _stage_end(ordered, False, rng)
    event("SPM", 1, 2, actors.kuasa_bud, disbursed, "SPM diterima Kuasa BUD")
    event("SP2D", None, 2, actors.kuasa_bud, disbursed, "SP2D diterbitkan")


def _at_working_day(after: datetime, n: int, rng: random.Random) -> datetime:
    """A moment on the n-th working day after `after`'s day, later than `after`."""
    moment = office_time(nth_working_day(after.date(), n), rng)
    if moment <= after + timedelta(minutes=10):
        moment = after + timedelta(seconds=rng.randint(15 * 60, 120 * 60))
    return moment


def _stage_end(start: datetime, rejected: bool, rng: random.Random) -> datetime:
    """When a stage ends: mostly within its limit (2 working days, 1 for rejections)."""
    late = rng.random() < (0.2 if rejected else 0.12)
    if rejected:
        n = rng.randint(2, 4) if late else rng.choice((0, 1))
    else:
        n = rng.randint(3, 7) if late else rng.choices((0, 1, 2), weights=(30, 45, 25))[0]
    return _at_working_day(start, n, rng)


def _respell(nip: str, rng: random.Random) -> str:
    """Mostly as the official is written in pejabat; now and then spelled another way."""
    if rng.random() >= 0.15:
        return nip
    return spell(nip.replace(" ", "").replace(".", ""), rng)


def _settle(request: PaymentRequest) -> None:
    """Drop what had not happened by DEMO_NOW and derive the final statuses."""
    request.events = [e for e in request.events if e.at <= DEMO_NOW]
    for e in request.events:
        if e.document == "SPP":
            request.status = e.new
        elif e.document == "SPM" and e.old is None:
            request.order_at, request.order_status = e.at, e.new
        elif e.document == "SPM":
            request.order_status = e.new
        else:
            request.disbursed_at = e.at
    if request.status != 3:
        request.rejection = None
    if request.order_status != 3:
        request.order_rejection = None
