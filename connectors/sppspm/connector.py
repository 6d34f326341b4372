"""sppspm connector: finance units, officials, budgets, payment requests and TPP lines."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

import asyncpg

from connectors.domain import (
    WIB,
    BudgetLineOrderBy,
    Document,
    FinanceRoleKind,
    OrderStatus,
    PaymentOrderBy,
    PaymentRequestDimension,
    PaymentStatus,
    PaymentType,
)
from connectors.keyset import SortKey
from connectors.keyset import after as keyset_after
from connectors.nip import spellings, try_normalise_nip
from connectors.paging import Page, cut
from connectors.source import Source
from connectors.sppspm import queries as q
from connectors.sppspm.filters import (
    LS_KIND_CODES,
    budget_line_condition,
    budget_line_sort_keys,
    payment_condition,
    payment_sort_keys,
    to_wib_clock,
)
from connectors.sppspm.records import (
    AllowancePayments,
    BudgetLine,
    BudgetLineFilter,
    Disbursement,
    FinanceUnit,
    Money,
    Official,
    OrphanLine,
    PaymentFilter,
    PaymentOrder,
    PaymentRequest,
    PaymentScope,
    RawNip,
    RequestStatsGroup,
    RequestStatsKey,
    RequestSteps,
    StatusChange,
)
from connectors.sppspm.statistics import MEASURES, STATS_PARAMETERS_FROM, request_stats
from connectors.sql import FALSE, Params, all_of
from connectors.stats import StatsOrderBy, StatsRow, TimeBucket, rows_of

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

_ROLE = {
    "BENDAHARA_PENGELUARAN": FinanceRoleKind.TREASURER,
    "PPTK": FinanceRoleKind.ACTIVITY_OFFICER,
    "PPK_SKPD": FinanceRoleKind.VERIFIER,
    "PA": FinanceRoleKind.BUDGET_USER,
    "KUASA_BUD": FinanceRoleKind.TREASURY,
}
_LS_KIND = {code: kind for kind, code in LS_KIND_CODES.items()}
_SPP_STATUS = [
    PaymentStatus.DRAFT,
    PaymentStatus.SUBMITTED,
    PaymentStatus.VERIFIED,
    PaymentStatus.REJECTED,
]
# Where an NIP spelling was found, in the words of the domain.
_RECORD_KIND = {
    "pejabat": "finance official",
    "tpp_rincian": "allowance line",
    "spp": "treasurer of payment request",
}
EVERY_YEAR = 0
"""A fiscal-year key that stands for all years (a loader key cannot be None)."""

ORDER_STATUS = [OrderStatus.DRAFT, OrderStatus.SENT, OrderStatus.ACCEPTED, OrderStatus.REJECTED]
# An order's own code as the request's status: any order that exists counts as issued.
_SPM_AS_PAYMENT = [
    PaymentStatus.ORDER_ISSUED,
    PaymentStatus.ORDER_ISSUED,
    PaymentStatus.DISBURSED,
    PaymentStatus.ORDER_REJECTED,
]


def from_wib(value: datetime) -> datetime:
    """sppspm stores WIB wall-clock time without a zone; attach it. (Made anew: a page of
    histories does this tens of thousands of times, and `replace(tzinfo=WIB)` takes more
    than twice as long.)"""
    return datetime(
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
        WIB,
    )


def payment_status(spp_status: int, order_status: int | None, disbursed: bool) -> PaymentStatus:
    """The contract's status from the legacy codes of SPP, SPM and SP2D."""
    if disbursed:
        return PaymentStatus.DISBURSED
    if order_status == 3:
        return PaymentStatus.ORDER_REJECTED
    if order_status is not None:
        return PaymentStatus.ORDER_ISSUED
    return _SPP_STATUS[spp_status]


def made(cls: type[R], fields: dict[str, Any]) -> R:
    """`cls(**fields)`, every field given, for a frozen dataclass without slots: its
    `__dict__` filled at once, where its `__init__` sets each field through
    `object.__setattr__` (its own refuses), several times the cost. A page of requests
    makes thousands (tests/test_units.py compares the two)."""
    record = object.__new__(cls)
    record.__dict__.update(fields)
    return record


_PAYMENT_TYPE = {t.value: t for t in PaymentType}


def _request(row: Mapping[str, Any]) -> PaymentRequest:
    order = None
    if row["spm_id"] is not None:
        order = made(
            PaymentOrder,
            {
                "number": row["nomor_spm"],
                "issued_at": from_wib(row["tgl_spm"]),
                "status": ORDER_STATUS[row["status_spm"]],
                "rejection_reason": row["spm_ket_ditolak"],
                "authorizer_nip": try_normalise_nip(row["nip_pa"]),
            },
        )
    disbursement = None
    if row["sp2d_id"] is not None:
        disbursement = made(
            Disbursement,
            {
                "number": row["nomor_sp2d"],
                "issued_at": from_wib(row["tgl_sp2d"]),
                "net_amount": row["nilai_bersih"],
                "authorizer_nip": try_normalise_nip(row["nip_kuasa_bud"]),
            },
        )
    kind = _PAYMENT_TYPE.get(row["jenis"])
    return made(
        PaymentRequest,
        {
            "id": row["id"],
            "number": row["nomor_spp"],
            "fiscal_year": row["tahun"],
            "code": row["kode_skpd"],
            # a code that is no type: the enum's own refusal
            "type": kind if kind is not None else PaymentType(row["jenis"]),
            "ls_kind": _LS_KIND.get(row["jenis_ls"]) if row["jenis_ls"] else None,
            "budget_line_id": row["id_anggaran"],
            "amount": row["nilai"],
            "purpose": row["uraian"],
            "treasurer_nip": try_normalise_nip(row["nip_bendahara"]),
            "requested_at": from_wib(row["tgl_spp"]),
            "status": payment_status(row["status"], row["status_spm"], row["sp2d_id"] is not None),
            "rejection_reason": row["spm_ket_ditolak"] or row["ket_ditolak"],
            "order": order,
            "disbursement": disbursement,
        },
    )


def _steps(row: Mapping[str, Any]) -> RequestSteps:
    def aware(value: datetime | None) -> datetime | None:
        return from_wib(value) if value is not None else None

    submitted = row["submitted"]
    if submitted is None and (row["status"] > 0 or row["spm_id"] is not None):
        submitted = row["tgl_spp"]  # no history row: the request's own date
    return RequestSteps(
        id=row["id"],
        code=row["kode_skpd"],
        fiscal_year=row["tahun"],
        submitted_at=aware(submitted),
        request_rejected_at=aware(row["spp_rejected"]) if row["status"] == 3 else None,
        request_rejected=row["status"] == 3,
        order_issued_at=aware(row["tgl_spm"]),
        order_rejected_at=aware(row["spm_rejected"]) if row["status_spm"] == 3 else None,
        order_rejected=row["status_spm"] == 3,
        disbursed_at=aware(row["tgl_sp2d"]),
    )


def _budget_line(row: Mapping[str, Any]) -> BudgetLine:
    return BudgetLine(
        row["id"],
        row["tahun"],
        row["kode_skpd"],
        row["kode_sub_kegiatan"],
        row["kode_rekening"],
        row["uraian"],
        Money(row["pagu"], row["committed"], row["disbursed"]),
        row["absorption"],
    )


_STATUS_BY_CODE: dict[str, tuple[Document, list[PaymentStatus] | None]] = {
    Document.SPP.value: (Document.SPP, _SPP_STATUS),
    Document.SPM.value: (Document.SPM, _SPM_AS_PAYMENT),
    Document.SP2D.value: (Document.SP2D, None),  # any code of a disbursement: disbursed
}
"""By `riwayat_status.dokumen`: the document, and the request's status that each of its
own codes stands for (keyed by the text: an enum member hashes in Python)."""


def _status_change(row: asyncpg.Record) -> StatusChange:
    known = _STATUS_BY_CODE.get(row["dokumen"])
    if known is None:
        Document(row["dokumen"])  # refused, with the enum's own message
    assert known is not None
    document, by_code = known
    old, new = row["status_lama"], row["status_baru"]
    assert new is not None
    if by_code is None:
        from_status = None if old is None else PaymentStatus.DISBURSED
        to_status = PaymentStatus.DISBURSED
    else:
        from_status = None if old is None else by_code[old]
        to_status = by_code[new]
    return StatusChange(
        document,
        from_status,
        to_status,
        from_wib(row["waktu"]),
        try_normalise_nip(row["nip"]),
        row["catatan"],
    )


def _histories(rows: Sequence[asyncpg.Record]) -> dict[int, list[StatusChange]]:
    """Status changes by request (HISTORY's rows), in time."""
    result: dict[int, list[StatusChange]] = {}
    for row in rows:
        result.setdefault(row["spp_id"], []).append(_status_change(row))
    return result


def _scope_arrays(
    groups: Mapping[K, PaymentScope],
) -> tuple[list[int], list[str | None], list[int | None], list[K]]:
    keys = list(groups)
    codes = [groups[k].department_code for k in keys]
    prefixes = [code[: q.PREFIX_LENGTH] if code else None for code in codes]
    years = [groups[k].fiscal_year for k in keys]
    return list(range(len(keys))), prefixes, years, keys


def _composed(
    condition: Callable[[Params], str],
    sort: Sequence[SortKey] | None = None,
    after: Sequence[Any] | None = None,
    start: int = q.COUNT_PARAMETERS_FROM,
) -> tuple[str, list[Any]]:
    """A statement's condition from the client's filter, and where its page starts, with
    the values of their parameters (numbered from `start`)."""
    params = Params(start=start)
    parts = [condition(params)]
    if sort is not None and after is not None and parts[0] != FALSE:
        parts.append(keyset_after(sort, after, params))
    return all_of(parts), params.values


def _stats_group(row: StatsRow) -> RequestStatsGroup:
    """A group of the statistics, its key in the domain's vocabulary."""
    keys = dict(zip(row.names, row.keys, strict=True))
    code = keys.get("department_code")
    return RequestStatsGroup(
        RequestStatsKey(
            department=(int(keys["department_year"]), code) if code is not None else None,
            fiscal_year=keys.get("fiscal_year"),
            type=PaymentType(keys["type"]) if keys.get("type") else None,
            ls_kind=_LS_KIND.get(keys["ls_kind"]) if keys.get("ls_kind") else None,
            status=PaymentStatus(keys["status"]) if keys.get("status") else None,
            treasurer_nip=try_normalise_nip(keys.get("treasurer")),
            budget_line_id=keys.get("budget_line"),
            account=keys.get("account"),
            requested=keys.get("requested"),
            disbursed=keys.get("disbursed"),
            clock_state=keys.get("clock_state"),
        ),
        row.count,
        row.measures["amount"],
        row.measures["disbursed_net"],
    )


def _nip_spellings(nips: Sequence[str]) -> list[str]:
    return [spelling for nip in nips for spelling in spellings(nip)]


def _add_allowance_line(payments: AllowancePayments, row: asyncpg.Record) -> None:
    """One TPP line: paid under an SP2D, in process while neither the request nor its
    order is rejected, else nothing."""
    if row["spp_id"] not in payments.request_ids:
        payments.request_ids.append(row["spp_id"])
    if row["disbursed"]:
        payments.paid += row["nilai"]
    elif row["status"] != 3 and row["status_spm"] != 3:
        payments.in_process += row["nilai"]


class SppspmConnector(Source):
    """Reads the sppspm database. Methods take batches of keys: one statement per call."""

    name = "sppspm"

    async def finance_units(
        self, keys: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], FinanceUnit]:
        """Finance units by (fiscal year, code)."""
        if len(keys) == 1:  # the primary key's two columns: one right plan
            rows = await self.fetch(q.UNIT_BY_KEY, *keys[0], generic_plans=True)
        else:
            rows = await self.fetch(q.UNITS_BY_KEY, [k[0] for k in keys], [k[1] for k in keys])
        return {
            (row["tahun"], row["kode_skpd"]): FinanceUnit(
                row["tahun"], row["kode_skpd"], row["nama_skpd"]
            )
            for row in rows
        }

    async def departments(self, fiscal_year: int) -> list[FinanceUnit]:
        """The OPD-level finance units of a fiscal year, ordered by code."""
        rows = await self.fetch(q.DEPARTMENTS_OF_YEAR, fiscal_year)
        return [FinanceUnit(row["tahun"], row["kode_skpd"], row["nama_skpd"]) for row in rows]

    async def all_codes(self) -> set[tuple[int, str]]:
        """Every (fiscal year, code) of the finance master, to validate the crosswalk."""
        return {(row["tahun"], row["kode_skpd"]) for row in await self.fetch(q.ALL_CODES)}

    async def officials(
        self, nips: Sequence[str], fiscal_year: int | None
    ) -> dict[str, list[Official]]:
        """Appointments of these people, matched whatever the NIP spelling in `pejabat`."""
        rows = await self.fetch(q.OFFICIALS_BY_NIP, _nip_spellings(nips), fiscal_year)
        result: dict[str, list[Official]] = {}
        for row in rows:
            nip = try_normalise_nip(row["nip"])
            if nip is None:
                continue
            result.setdefault(nip, []).append(
                Official(row["tahun"], row["kode_skpd"], nip, row["nama"], _ROLE[row["peran"]])
            )
        return result

    async def officials_of_year(self, fiscal_year: int) -> list[Official]:
        """Every appointment of a fiscal year with a readable NIP, by code and role."""
        rows = await self.fetch(q.OFFICIALS_OF_YEAR, fiscal_year)
        return [
            Official(row["tahun"], row["kode_skpd"], nip, row["nama"], _ROLE[row["peran"]])
            for row in rows
            if (nip := try_normalise_nip(row["nip"])) is not None
        ]

    async def requests_by_id(self, ids: Sequence[int]) -> dict[int, PaymentRequest]:
        """Payment requests with their order and disbursement, by `spp.id`."""
        rows = await self.fetch(q.REQUESTS_BY_ID, list(ids))
        return {row["id"]: _request(row) for row in rows}

    async def requests_by_number(self, numbers: Sequence[str]) -> dict[str, PaymentRequest]:
        """Payment requests by `nomor_spp`."""
        rows = await self.fetch(q.REQUESTS_BY_NUMBER, list(numbers))
        return {row["nomor_spp"]: _request(row) for row in rows}

    async def request_pages(
        self,
        groups: Mapping[K, PaymentScope],
        payment_filter: PaymentFilter,
        orders: Sequence[PaymentOrderBy],
        after: Sequence[Any] | None,
        first: int,
    ) -> dict[K, Page[PaymentRequest]]:
        """A page of payment requests per scope, in one statement: those matching the
        filter, sorted by `orders` then by id, after the row whose sort values (and id,
        last) are `after`."""
        page = q.one_group_requests_page if len(groups) == 1 else q.requests_page
        rows = await self._page_rows(page, groups, payment_filter, orders, after, first)
        found: dict[int, list[PaymentRequest]] = {}
        for row in rows:
            found.setdefault(row["grp"], []).append(_request(row))
        return {key: cut(found.get(i, []), first) for i, key in enumerate(groups)}

    async def request_page_histories(
        self,
        groups: Mapping[K, PaymentScope],
        payment_filter: PaymentFilter,
        orders: Sequence[PaymentOrderBy],
        after: Sequence[Any] | None,
        first: int,
    ) -> dict[K, dict[int, list[StatusChange]]]:
        """`histories` of the requests on the pages `request_pages` reads with the same
        arguments, in one statement that finds the pages itself and so need not wait for
        them; every group's in one mapping."""
        args = (payment_filter, orders, after, first)
        histories = _histories(await self._page_rows(q.requests_page_history, groups, *args))
        return dict.fromkeys(groups, histories)

    async def request_page_budget_lines(
        self,
        groups: Mapping[K, PaymentScope],
        payment_filter: PaymentFilter,
        orders: Sequence[PaymentOrderBy],
        after: Sequence[Any] | None,
        first: int,
    ) -> dict[K, dict[int, BudgetLine]]:
        """`budget_lines` of the requests on those pages, as `request_page_histories`."""
        args = (payment_filter, orders, after, first)
        rows = await self._page_rows(q.requests_page_budget_lines, groups, *args)
        return dict.fromkeys(groups, {row["id"]: _budget_line(row) for row in rows})

    async def _page_rows(
        self,
        statement: Callable[[list[SortKey], str, q.Scopes], str],
        groups: Mapping[K, PaymentScope],
        payment_filter: PaymentFilter,
        orders: Sequence[PaymentOrderBy],
        after: Sequence[Any] | None,
        first: int,
    ) -> list[asyncpg.Record]:
        """The rows of a page statement (`q.requests_page`), or of one about the requests
        on those pages, for `groups` (numbered 0..n-1 in `grp`, in their order)."""
        grp, prefixes, years, _ = _scope_arrays(groups)
        sort = payment_sort_keys(orders)
        condition, values = _composed(
            partial(payment_condition, payment_filter), sort, after, q.PAGE_PARAMETERS_FROM
        )
        sql = statement(sort, condition, q.Scopes.of(prefixes, years))
        return await self.fetch(sql, grp, prefixes, years, first + 1, *values)

    async def request_counts(
        self, groups: Mapping[K, PaymentScope], payment_filter: PaymentFilter
    ) -> dict[K, int]:
        """How many payment requests match, per scope."""
        grp, prefixes, years, keys = _scope_arrays(groups)
        condition, values = _composed(partial(payment_condition, payment_filter))
        rows = await self.fetch(
            q.requests_count(condition, q.Scopes.of(prefixes, years)),
            grp,
            prefixes,
            years,
            *values,
        )
        totals = {row["grp"]: row["total"] for row in rows}
        return {key: int(totals.get(i, 0)) for i, key in enumerate(keys)}

    async def request_stats(
        self,
        scope: PaymentScope,
        payment_filter: PaymentFilter,
        dimensions: Sequence[PaymentRequestDimension],
        bucket: TimeBucket,
        order: Sequence[StatsOrderBy],
        first: int,
        clock_states: Mapping[int, str],
    ) -> tuple[RequestStatsGroup, list[RequestStatsGroup]]:
        """Statistics of the payment requests of `scope` that match the filter, in one
        statement: the total, and the first `first` groups by `dimensions` in `order`.
        `clock_states` gives each request's clock state, for the CLOCK_STATE dimension."""
        grp, prefixes, years, _ = _scope_arrays({0: scope})
        params = Params(start=STATS_PARAMETERS_FROM)
        condition = payment_condition(payment_filter, params)
        scopes = q.Scopes.of(prefixes, years)
        sql, keys = request_stats(dimensions, bucket, condition, order, first, params, scopes)
        rows = await self.fetch(
            sql,
            grp,
            prefixes,
            years,
            list(clock_states),
            list(clock_states.values()),
            *params.values,
        )
        total, groups = rows_of(rows, keys, MEASURES)
        return _stats_group(total), [_stats_group(g) for g in groups]

    async def histories(self, request_ids: Sequence[int]) -> dict[int, list[StatusChange]]:
        """Every status change of each request and of its order and disbursement, in time."""
        return _histories(await self.fetch(q.HISTORY, list(request_ids)))

    async def budget_lines(self, ids: Sequence[int]) -> dict[int, BudgetLine]:
        """Budget lines with their committed and disbursed amounts, by `anggaran.id`."""
        rows = await self.fetch(q.BUDGET_LINES_BY_ID, list(ids))
        return {row["id"]: _budget_line(row) for row in rows}

    async def budget_totals(self, groups: Mapping[K, PaymentScope]) -> dict[K, Money]:
        """Ceiling, committed and disbursed of each department's budget for its year."""
        grp, prefixes, years, keys = _scope_arrays(groups)
        rows = await self.fetch(q.BUDGET_TOTALS, grp, prefixes, years)
        by_grp = {row["grp"]: row for row in rows}
        zero = Money(Decimal(0), Decimal(0), Decimal(0))
        return {
            key: Money(r["ceiling"], r["committed"], r["disbursed"])
            if (r := by_grp.get(i))
            else zero
            for i, key in enumerate(keys)
        }

    async def budget_line_pages(
        self,
        groups: Mapping[K, PaymentScope],
        line_filter: BudgetLineFilter,
        orders: Sequence[BudgetLineOrderBy],
        after: Sequence[Any] | None,
        first: int,
    ) -> dict[K, Page[BudgetLine]]:
        """A page of budget lines per scope, in one statement: those matching the filter,
        sorted by `orders` then by id, after the row whose sort values (and id, last) are
        `after`. A scope with a code and a year is a department's budget of that year."""
        grp, prefixes, years, keys = _scope_arrays(groups)
        sort = budget_line_sort_keys(orders)
        condition, values = _composed(
            partial(budget_line_condition, line_filter), sort, after, q.PAGE_PARAMETERS_FROM
        )
        rows = await self.fetch(
            q.budget_lines_page(sort, condition, q.Scopes.of(prefixes, years)),
            grp,
            prefixes,
            years,
            first + 1,
            *values,
        )
        found: dict[int, list[BudgetLine]] = {}
        for row in rows:
            found.setdefault(row["grp"], []).append(_budget_line(row))
        return {key: cut(found.get(i, []), first) for i, key in enumerate(keys)}

    async def budget_line_counts(
        self, groups: Mapping[K, PaymentScope], line_filter: BudgetLineFilter
    ) -> dict[K, int]:
        """How many budget lines match, per scope."""
        grp, prefixes, years, keys = _scope_arrays(groups)
        condition, values = _composed(partial(budget_line_condition, line_filter))
        rows = await self.fetch(
            q.budget_lines_count(condition, q.Scopes.of(prefixes, years)),
            grp,
            prefixes,
            years,
            *values,
        )
        totals = {row["grp"]: row["total"] for row in rows}
        return {key: int(totals.get(i, 0)) for i, key in enumerate(keys)}

    async def allowance_payments(
        self, period: str, nips: Sequence[str] | None
    ) -> dict[str, AllowancePayments]:
        """Paid (under an SP2D) and in-process TPP per employee for a period.

        In process: the request is not rejected, its order (if any) is not rejected and
        no SP2D exists yet. Lines whose NIP cannot be read are left to `dataIssues`.
        """
        rows = await self.fetch(
            q.ALLOWANCE_LINES, [period], _nip_spellings(nips) if nips is not None else None
        )
        result: dict[str, AllowancePayments] = {}
        for row in rows:
            nip = try_normalise_nip(row["nip"])
            if nip is not None:
                _add_allowance_line(result.setdefault(nip, AllowancePayments(nip, period)), row)
        return result

    async def allowance_payments_by_unit(
        self, periods: Sequence[str]
    ) -> dict[str, dict[tuple[str, str], AllowancePayments]]:
        """The same for every TPP line of these periods in the city, per period, then per
        employee and finance code (`kode_skpd`) of the request that carries the line, so
        that a department's payments can be told from others' (one statement for all the
        periods; tpp_rincian has no index a narrower one could use)."""
        result: dict[str, dict[tuple[str, str], AllowancePayments]] = {p: {} for p in periods}
        for row in await self.fetch(q.ALLOWANCE_LINES, list(periods), None):
            nip = try_normalise_nip(row["nip"])
            if nip is not None:
                period = row["periode"]
                key = (nip, row["kode_skpd"])
                payments = result[period].setdefault(key, AllowancePayments(nip, period))
                _add_allowance_line(payments, row)
        return result

    async def holidays(self) -> list[date]:
        """Non-working days besides Saturday and Sunday (`hari_libur`)."""
        return [row["tanggal"] for row in await self.fetch(q.HOLIDAYS)]

    async def request_steps(self, ids: Sequence[int]) -> dict[int, RequestSteps]:
        """When each step of these requests happened, by `spp.id`."""
        rows = await self.fetch(q.STEPS_BY_ID, list(ids))
        return {row["id"]: _steps(row) for row in rows}

    async def steps_of_years(self, years: Sequence[int]) -> dict[int, list[RequestSteps]]:
        """The steps of every request of these fiscal years, per year; `EVERY_YEAR` (0)
        stands for all of them."""
        every = EVERY_YEAR in years
        rows = await self.fetch(
            q.STEPS_OF_ALL_YEARS if every else q.STEPS_OF_YEARS,
            *([] if every else [list(years)]),
        )
        result: dict[int, list[RequestSteps]] = {year: [] for year in years}
        for row in rows:
            steps = _steps(row)
            if every:
                result[EVERY_YEAR].append(steps)
            if steps.fiscal_year in result:
                result[steps.fiscal_year].append(steps)
        return result

    async def steps_submitted_between(
        self, department_codes: Sequence[str] | None, start: date, end: date
    ) -> list[RequestSteps]:
        """The steps of every request submitted on the WIB days start..end (inclusive), of
        these departments (with their sub-units) or, for None, of the whole city."""
        rows = await self.fetch(
            q.STEPS_SUBMITTED_BETWEEN,
            [code[: q.PREFIX_LENGTH] for code in department_codes]
            if department_codes is not None
            else None,
            to_wib_clock(start),
            to_wib_clock(end + timedelta(days=1)),
        )
        return [_steps(row) for row in rows]

    async def nip_spellings(self, fiscal_year: int | None) -> list[RawNip]:
        """Each distinct NIP as written in pejabat, tpp_rincian and spp."""
        rows = await self.fetch(q.NIP_SPELLINGS, fiscal_year)
        return [RawNip(_RECORD_KIND[row["tbl"]], row["key"], row["nip"]) for row in rows]

    async def orphan_allowance_lines(self, fiscal_year: int | None) -> list[OrphanLine]:
        """TPP lines attached to a request that is not an LS-TPP request."""
        rows = await self.fetch(q.ORPHAN_ALLOWANCE_LINES, fiscal_year)
        return [OrphanLine(row["id"], row["nomor_spp"]) for row in rows]
