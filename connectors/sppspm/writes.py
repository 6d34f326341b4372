"""Writes to sppspm: submitting a payment request, and the officials' steps after it.

Each write is one transaction that also appends its `riwayat_status` rows, so a failure
at any point leaves all of it or none of it. Concurrent writes are kept apart by locks
taken in one order, so that they cannot deadlock one another:

1. the idempotency key: a transaction advisory lock on its hash;
2. the row the rule is about: the budget line `FOR UPDATE` when submitting, the SPP
   `FOR UPDATE` for a step;
3. the number sequence: an advisory lock per sequence.

What a rule checks is read by a statement that starts after its lock was granted. Under
READ COMMITTED each statement sees every transaction committed before it started, so it
sees the writes of the previous holder of the lock; a statement that waited for a lock
would still see its own older snapshot. That is why each lock is a statement of its own.
Locks are held until commit, so committed never exceeds `pagu`, and numbers run on
without gaps or duplicates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TypeAlias, TypeVar

import asyncpg

from connectors.domain import OrderStatus, PaymentStatus
from connectors.nip import spaced, try_normalise_nip
from connectors.refusal import (
    RefusalCode,
    WriteRefused,
    decided_otherwise,
    key_reused,
    require_reason,
)
from connectors.source import Source, Transaction
from connectors.sppspm import numbering
from connectors.sppspm.columns import AMOUNT

# the reads' own translation of the status codes, so that a write judges a request by the
# status clients see
from connectors.sppspm.connector import ORDER_STATUS, payment_status
from connectors.sppspm.filters import LS_KIND_CODES
from connectors.sppspm.records import AllowanceLine, Decision, NewPaymentRequest, Step

_LS_CODE = LS_KIND_CODES
_PREFIX_LENGTH = 18  # a department's codes share '1.03.0.00.0.00.01.'
_MAX_AMOUNT = AMOUNT.largest
CENT = Decimal("0.01")
ZERO = Decimal(0)

WIB_NOW = "(now() at time zone 'UTC' + interval '7 hours')"
"""sppspm keeps WIB wall-clock time; the database's clock, so every gateway agrees."""

LOCK = "select pg_advisory_xact_lock(hashtext($1))"

REQUEST_BY_REFERENCE = """
select s.id, s.tahun, s.kode_skpd, s.jenis, s.jenis_ls, s.id_anggaran, s.nilai, s.uraian,
       coalesce(array_agg(r.nip order by r.id) filter (where r.id is not null), '{}') as nips,
       coalesce(array_agg(r.periode order by r.id) filter (where r.id is not null), '{}')
           as periods,
       coalesce(array_agg(r.nilai order by r.id) filter (where r.id is not null), '{}')
           as amounts
from spp s left join tpp_rincian r on r.id_spp = s.id
where s.ref_eksternal = $1
group by s.id
"""

UNIT_AND_TREASURER = """
select k.kode_skpd,
       (select p.nip from pejabat p
        where p.tahun = k.tahun and p.peran = 'BENDAHARA_PENGELUARAN'
          and p.kode_skpd in (k.kode_skpd, $3)
        order by p.kode_skpd = k.kode_skpd desc, p.id limit 1) as treasurer
from skpd k where k.tahun = $1 and k.kode_skpd = $2
"""

BUDGET_LINE_FOR_UPDATE = "select id, tahun, kode_skpd, pagu from anggaran where id = $1 for update"

# The contract's committed amount of one line: SPPs not rejected, orders not rejected.
LINE_COMMITTED = """
select coalesce(sum(s.nilai), 0) as committed
from spp s left join spm m on m.id_spp = s.id
where s.id_anggaran = $1 and s.status <> 3 and (m.status_spm is null or m.status_spm <> 3)
"""

NEXT_REQUEST_SEQUENCE = """
select coalesce(max(substring(nomor_spp from '^([0-9]+)/')::int), 0) + 1 as next
from spp where tahun = $1 and kode_skpd = $2 and nomor_spp ~ '^[0-9]+/SPP-'
"""

INSERT_REQUEST = f"""
insert into spp (nomor_spp, tahun, kode_skpd, jenis, jenis_ls, id_anggaran, nilai, uraian,
                 nip_bendahara, tgl_spp, status, ref_eksternal, created_at)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, {WIB_NOW}, 1, $10, {WIB_NOW})
returning id
"""

INSERT_ALLOWANCE_LINE = """
insert into tpp_rincian (id_spp, periode, nip, nilai) values ($1, $2, $3, $4)
"""

# $1 document, $2 its id, then parallel arrays: old status, new status, who, note.
INSERT_HISTORY = f"""
insert into riwayat_status (dokumen, id_dokumen, status_lama, status_baru, nip, waktu, catatan)
select d, i, o, n, who, {WIB_NOW}, note
from unnest($1::text[], $2::int[], $3::smallint[], $4::smallint[], $5::text[], $6::text[])
    as h(d, i, o, n, who, note)
"""

REQUEST_FOR_UPDATE = "select id from spp where id = $1 for update"

REQUEST_STATE = """
select s.id, s.tahun, s.kode_skpd, s.jenis, s.nilai, s.status, s.ket_ditolak,
       (select r.status_lama from riwayat_status r
        where r.dokumen = 'SPP' and r.id_dokumen = s.id and r.status_baru = 3
        order by r.id desc limit 1) as rejected_from,
       m.id as spm_id, m.status_spm, m.ket_ditolak as spm_ket_ditolak,
       d.id as sp2d_id, d.nilai_bersih
from spp s left join spm m on m.id_spp = s.id left join sp2d d on d.id_spm = m.id
where s.id = $1
"""

NEXT_ORDER_SEQUENCE = """
select coalesce(max(split_part(m.nomor_spm, '/', 3)::int), 0) + 1 as next
from spm m join spp s on s.id = m.id_spp
where s.tahun = $1 and s.kode_skpd = $2 and m.nomor_spm ~ '^[0-9.]+/03\\.0/[0-9]+/'
"""

NEXT_DISBURSEMENT_SEQUENCE = """
select coalesce(max(split_part(d.nomor_sp2d, '/', 3)::int), 0) + 1 as next
from sp2d d join spm m on m.id = d.id_spm join spp s on s.id = m.id_spp
where s.tahun = $1 and d.nomor_sp2d ~ '^[0-9.]+/04\\.0/[0-9]+/'
"""

INSERT_ORDER = f"""
insert into spm (id_spp, nomor_spm, tgl_spm, status_spm, nip_pa)
values ($1, $2, {WIB_NOW}, 1, $3) returning id
"""

INSERT_DISBURSEMENT = f"""
insert into sp2d (id_spm, nomor_sp2d, tgl_sp2d, nilai_bersih, nip_kuasa_bud)
values ($1, $2, {WIB_NOW}, $3, $4) returning id
"""

WIB_TODAY = f"select {WIB_NOW} as now"

SET_REQUEST_STATUS = "update spp set status = $2, ket_ditolak = $3 where id = $1"
SET_ORDER_STATUS = "update spm set status_spm = $2, ket_ditolak = $3 where id = $1"

Row: TypeAlias = asyncpg.Record
T = TypeVar("T")


# -- submitting --------------------------------------------------------------------------


def check_amount(amount: Decimal, field: str) -> None:
    """Positive rupiah with at most two decimals, as numeric(18,2) holds them."""
    if amount <= 0 or amount > _MAX_AMOUNT or amount != amount.quantize(CENT):
        raise WriteRefused(
            RefusalCode.INVALID_AMOUNT,
            f"{field} must be a positive amount of rupiah with at most two decimals, not {amount}",
            field,
        )


async def submit(source: Source, request: NewPaymentRequest) -> int:
    """Write a new SPP with status 1 (submitted), its TPP lines and two history rows;
    return its `spp.id`. With an idempotency key already used, return that SPP when the
    input is the same and refuse it otherwise."""
    return await _retrying_duplicates(lambda: _submit_once(source, request))


async def _submit_once(source: Source, request: NewPaymentRequest) -> int:
    async with source.transaction() as tx:
        if request.idempotency_key is not None:
            await tx.execute(LOCK, f"sppspm:spp-ref:{request.idempotency_key}")
            earlier = await tx.fetchrow(REQUEST_BY_REFERENCE, request.idempotency_key)
            if earlier is not None:
                return _replayed(earlier, request)
        department = request.code[:_PREFIX_LENGTH] + "0000"
        unit = await tx.fetchrow(UNIT_AND_TREASURER, request.fiscal_year, request.code, department)
        if unit is None:
            raise WriteRefused(
                RefusalCode.UNKNOWN_DEPARTMENT,
                f"{request.code} is not a finance code of fiscal year {request.fiscal_year}",
                "departmentCode",
            )
        if unit["treasurer"] is None:
            raise WriteRefused(
                RefusalCode.NO_TREASURER,
                f"pejabat appoints no BENDAHARA_PENGELUARAN for {request.code} in"
                f" {request.fiscal_year}; sppspm records the treasurer of every SPP",
                "departmentCode",
            )
        if request.budget_line_id is not None:
            await _check_ceiling(tx, request)
        await tx.execute(LOCK, f"sppspm:spp-number:{request.fiscal_year}:{request.code}")
        sequence = await tx.fetchrow(NEXT_REQUEST_SEQUENCE, request.fiscal_year, request.code)
        assert sequence is not None
        number = numbering.request_number(
            sequence["next"], request.type.value, request.code, request.fiscal_year
        )
        treasurer = unit["treasurer"]
        inserted = await tx.fetchrow(
            INSERT_REQUEST,
            number,
            request.fiscal_year,
            request.code,
            request.type.value,
            _LS_CODE[request.ls_kind] if request.ls_kind else None,
            request.budget_line_id,
            request.amount,
            request.purpose,
            treasurer,
            request.idempotency_key,
        )
        assert inserted is not None
        request_id: int = inserted["id"]
        if request.allowance_lines:
            await tx.executemany(
                INSERT_ALLOWANCE_LINE,
                [(request_id, a.period, spaced(a.nip), a.amount) for a in request.allowance_lines],
            )
        await _history(
            tx,
            [
                ("SPP", request_id, None, 0, treasurer, "SPP dibuat"),
                ("SPP", request_id, 0, 1, treasurer, "SPP diajukan ke PPK-SKPD"),
            ],
        )
        return request_id


async def _check_ceiling(tx: Transaction, request: NewPaymentRequest) -> None:
    assert request.budget_line_id is not None
    line = await tx.fetchrow(BUDGET_LINE_FOR_UPDATE, request.budget_line_id)
    if line is None:
        raise WriteRefused(
            RefusalCode.UNKNOWN_BUDGET_LINE,
            f"budget line {request.budget_line_id} does not exist",
            "budgetLineId",
        )
    if (
        line["tahun"] != request.fiscal_year
        or line["kode_skpd"][:_PREFIX_LENGTH] != request.code[:_PREFIX_LENGTH]
    ):
        raise WriteRefused(
            RefusalCode.BUDGET_LINE_MISMATCH,
            f"budget line {line['id']} belongs to {line['kode_skpd']} in {line['tahun']},"
            f" not to the department of {request.code} in {request.fiscal_year}",
            "budgetLineId",
        )
    used = await tx.fetchrow(LINE_COMMITTED, request.budget_line_id)
    assert used is not None
    remaining = line["pagu"] - used["committed"]
    if request.amount > remaining:
        raise WriteRefused(
            RefusalCode.BUDGET_EXCEEDED,
            f"budget line {line['id']} has {remaining} of its ceiling {line['pagu']} left;"
            f" {request.amount} is {request.amount - remaining} too much",
            "amount",
        )


def _replayed(earlier: Row, request: NewPaymentRequest) -> int:
    lines = tuple(
        AllowanceLine(try_normalise_nip(nip) or nip, period, amount)
        for nip, period, amount in zip(
            earlier["nips"], earlier["periods"], earlier["amounts"], strict=True
        )
    )
    same = (
        earlier["tahun"] == request.fiscal_year
        and earlier["kode_skpd"] == request.code
        and earlier["jenis"] == request.type.value
        and earlier["jenis_ls"] == (_LS_CODE[request.ls_kind] if request.ls_kind else None)
        and earlier["id_anggaran"] == request.budget_line_id
        and earlier["nilai"] == request.amount
        and earlier["uraian"] == request.purpose
        and sorted(lines, key=_line_key) == sorted(request.allowance_lines, key=_line_key)
    )
    if not same:
        raise key_reused("payment request")
    request_id: int = earlier["id"]
    return request_id


def _line_key(line: AllowanceLine) -> tuple[str, str, Decimal]:
    return (line.nip, line.period, line.amount)


# -- the officials' steps ----------------------------------------------------------------


async def decide(source: Source, decision: Decision) -> None:
    """Take one step on a request (see `Step`), or, with an idempotency key, answer a
    repeat of the same decision without changing anything."""
    _check_decision(decision)
    await _retrying_duplicates(lambda: _decide_once(source, decision))


def _check_decision(decision: Decision) -> None:
    require_reason(decision.approve, decision.reason, "reason")
    if decision.net_amount is not None and (
        decision.step is not Step.DISBURSE or not decision.approve
    ):
        raise WriteRefused(
            RefusalCode.INVALID_INPUT,
            "netAmount is only given when a disbursement is approved",
            "netAmount",
        )
    if decision.step is Step.DISBURSE and decision.approve:
        if decision.net_amount is None:
            raise WriteRefused(
                RefusalCode.INVALID_AMOUNT, "a disbursement needs its net amount", "netAmount"
            )
        check_amount(decision.net_amount, "netAmount")


async def _decide_once(source: Source, decision: Decision) -> None:
    async with source.transaction() as tx:
        await tx.execute(REQUEST_FOR_UPDATE, decision.request_id)
        state = await tx.fetchrow(REQUEST_STATE, decision.request_id)
        if state is None:
            raise WriteRefused(
                RefusalCode.UNKNOWN_PAYMENT_REQUEST,
                f"payment request {decision.request_id} does not exist",
                "number",
            )
        replay = _ALREADY_TAKEN[decision.step](state, decision)
        if replay is not None:
            if decision.idempotency_key is None:
                raise _invalid(decision, state)
            if not replay:
                raise decided_otherwise(f"the {decision.step.value} step")
            return
        await _STEPS[decision.step](tx, state, decision)


def _note(text: str, decision: Decision) -> str:
    reason = (decision.reason or "").strip()
    return f"{text}: {reason}" if reason else text


async def _verify(tx: Transaction, state: Row, decision: Decision) -> None:
    if not legal_now(Step.VERIFY, *_statuses(state)):
        raise _invalid(decision, state)
    if decision.approve:
        await tx.execute(SET_REQUEST_STATUS, state["id"], 2, None)
        note = _note("SPP diverifikasi dan diterima PPK-SKPD", decision)
        await _history(tx, [("SPP", state["id"], 1, 2, spaced(decision.actor_nip), note)])
    else:
        await tx.execute(SET_REQUEST_STATUS, state["id"], 3, decision.reason)
        note = _note("SPP ditolak PPK-SKPD", decision)
        await _history(tx, [("SPP", state["id"], 1, 3, spaced(decision.actor_nip), note)])


async def _order(tx: Transaction, state: Row, decision: Decision) -> None:
    if not legal_now(Step.ORDER, *_statuses(state)):
        raise _invalid(decision, state)
    actor = spaced(decision.actor_nip)
    if not decision.approve:
        await tx.execute(SET_REQUEST_STATUS, state["id"], 3, decision.reason)
        note = _note("SPP ditolak Pengguna Anggaran", decision)
        await _history(tx, [("SPP", state["id"], 2, 3, actor, note)])
        return
    year, code = state["tahun"], state["kode_skpd"]
    await tx.execute(LOCK, f"sppspm:spm-number:{year}:{code}")
    sequence = await tx.fetchrow(NEXT_ORDER_SEQUENCE, year, code)
    now = await tx.fetchrow(WIB_TODAY)
    assert sequence is not None and now is not None
    number = numbering.order_number(sequence["next"], state["jenis"], code, now["now"], year)
    order = await tx.fetchrow(INSERT_ORDER, state["id"], number, actor)
    assert order is not None
    note = _note("SPM diterbitkan dan dikirim ke Kuasa BUD", decision)
    await _history(tx, [("SPM", order["id"], None, 1, actor, note)])


async def _disburse(tx: Transaction, state: Row, decision: Decision) -> None:
    if not legal_now(Step.DISBURSE, *_statuses(state)):
        raise _invalid(decision, state)
    actor = spaced(decision.actor_nip)
    if not decision.approve:
        await tx.execute(SET_ORDER_STATUS, state["spm_id"], 3, decision.reason)
        note = _note("SPM ditolak Kuasa BUD", decision)
        await _history(tx, [("SPM", state["spm_id"], 1, 3, actor, note)])
        return
    assert decision.net_amount is not None
    if decision.net_amount > state["nilai"]:
        raise WriteRefused(
            RefusalCode.INVALID_AMOUNT,
            f"the net amount {decision.net_amount} is above the request's amount {state['nilai']}",
            "netAmount",
        )
    year = state["tahun"]
    await tx.execute(LOCK, f"sppspm:sp2d-number:{year}")
    sequence = await tx.fetchrow(NEXT_DISBURSEMENT_SEQUENCE, year)
    now = await tx.fetchrow(WIB_TODAY)
    assert sequence is not None and now is not None
    number = numbering.disbursement_number(
        sequence["next"], state["jenis"], state["kode_skpd"], now["now"], year
    )
    disbursement = await tx.fetchrow(
        INSERT_DISBURSEMENT, state["spm_id"], number, decision.net_amount, actor
    )
    assert disbursement is not None
    await tx.execute(SET_ORDER_STATUS, state["spm_id"], 2, None)
    await _history(
        tx,
        [
            ("SPM", state["spm_id"], 1, 2, actor, _note("SPM diterima Kuasa BUD", decision)),
            ("SP2D", disbursement["id"], None, 2, actor, "SP2D diterbitkan"),
        ],
    )


def _verified_already(state: Row, decision: Decision) -> bool | None:
    """None: the step has not been taken; else whether it was taken as `decision` asks."""
    verified = state["status"] == 2 or state["spm_id"] is not None
    if verified or (state["status"] == 3 and state["rejected_from"] == 2):
        return decision.approve
    if state["status"] == 3 and state["rejected_from"] == 1:
        return not decision.approve and state["ket_ditolak"] == decision.reason
    return None


def _ordered_already(state: Row, decision: Decision) -> bool | None:
    if state["spm_id"] is not None:
        return decision.approve
    if state["status"] == 3 and state["rejected_from"] == 2:
        return not decision.approve and state["ket_ditolak"] == decision.reason
    return None


def _disbursed_already(state: Row, decision: Decision) -> bool | None:
    if state["sp2d_id"] is not None:
        return decision.approve and state["nilai_bersih"] == decision.net_amount
    if state["status_spm"] == 3:
        return not decision.approve and state["spm_ket_ditolak"] == decision.reason
    return None


_ALREADY_TAKEN: dict[Step, Callable[[Row, Decision], bool | None]] = {
    Step.VERIFY: _verified_already,
    Step.ORDER: _ordered_already,
    Step.DISBURSE: _disbursed_already,
}
_STEPS: dict[Step, Callable[[Transaction, Row, Decision], Awaitable[None]]] = {
    Step.VERIFY: _verify,
    Step.ORDER: _order,
    Step.DISBURSE: _disburse,
}

LEGAL_FROM: dict[Step, tuple[PaymentStatus, OrderStatus | None]] = {
    Step.VERIFY: (PaymentStatus.SUBMITTED, None),
    Step.ORDER: (PaymentStatus.VERIFIED, None),
    Step.DISBURSE: (PaymentStatus.ORDER_ISSUED, OrderStatus.SENT),
}
"""The request's status, and its SPM's, from which each step may be taken."""
_NEEDS = {
    Step.VERIFY: "a submitted SPP (status SUBMITTED)",
    Step.ORDER: "a verified SPP without an SPM (status VERIFIED)",
    Step.DISBURSE: "an SPM sent to the Kuasa BUD without an SP2D (status ORDER_ISSUED)",
}


def legal_now(step: Step, status: PaymentStatus, order: OrderStatus | None) -> bool:
    """Whether `step` may be taken now on a request in `status` whose SPM is in `order`
    (None: it has none). The one rule: the steps above enforce it under the request's
    lock, and `PaymentRequest.viewerCan` answers with it."""
    return (status, order) == LEGAL_FROM[step]


def _statuses(state: Row) -> tuple[PaymentStatus, OrderStatus | None]:
    """A locked request's status and its SPM's, read as the connector's reads give them."""
    status = payment_status(state["status"], state["status_spm"], state["sp2d_id"] is not None)
    return status, None if state["spm_id"] is None else ORDER_STATUS[state["status_spm"]]


def _invalid(decision: Decision, state: Row) -> WriteRefused:
    return WriteRefused(
        RefusalCode.INVALID_TRANSITION,
        f"the {decision.step.value} step needs {_NEEDS[decision.step]};"
        f" this request is {_statuses(state)[0].value}",
        "number",
    )


# -- shared ------------------------------------------------------------------------------

HistoryRow = tuple[str, int, int | None, int, str, str]


async def _history(tx: Transaction, rows: list[HistoryRow]) -> None:
    """Append status changes: (document, its id, old, new, who, note)."""
    columns = list(zip(*rows, strict=True))
    await tx.execute(INSERT_HISTORY, *[list(c) for c in columns])


async def _retrying_duplicates(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run a write again when another writer that takes none of our locks (the legacy UI)
    took the same number or key first; the second attempt sees its row."""
    for _ in range(2):
        try:
            return await attempt()
        except asyncpg.UniqueViolationError:
            continue
    return await attempt()
