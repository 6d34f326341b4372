"""What a client composes over sppspm's lists, as SQL: the conditions of payment-request
and budget-line filters (`not`, `anyOf`, lists of values) and the sort keys of their
orderings. The SQL is the connector's own; the client's values travel as parameters
(`connectors.sql.Params`).

Payment-request conditions read the aliases of `queries.py`: `s` (spp), `m` (its spm, if
any) and `d` (its sp2d, if any). Budget-line conditions read `a` (anggaran) and `u` (its
committed and disbursed amounts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from connectors.domain import BudgetLineOrderBy, LsKind, PaymentOrderBy
from connectors.keyset import SortKey
from connectors.nip import spellings
from connectors.sppspm.queries import (
    ABSORPTION,
    COMMITTED,
    DISBURSED,
    PREFIX_LENGTH,
    STATUS_EXPRESSION,
)
from connectors.sppspm.records import BudgetLineFilter, PaymentFilter
from connectors.sql import FALSE, TRUE, Params, all_of, any_of, negated

LS_KIND_CODES = {
    LsKind.SALARY: "GAJI",
    LsKind.ALLOWANCE: "TPP",
    LsKind.GOODS_SERVICES: "BARANG_JASA",
}


def to_wib_clock(day: date) -> datetime:
    """Midnight WIB of a day, as the naive clock time sppspm compares with."""
    return datetime(day.year, day.month, day.day)


def _one_of(expression: str, values: Sequence[Any] | None, cast: str, params: Params) -> str:
    """`expression` is one of `values`; no values: nothing matches."""
    if values is None:
        return TRUE
    if not values:
        return FALSE
    if len(values) == 1:
        return f"{expression} = {params.add(values[0], cast)}"
    return f"{expression} = any({params.add(list(values), cast + '[]')})"


def _on_days(column: str, start: date | None, end: date | None, params: Params) -> list[str]:
    """`column` (a WIB clock time) falls on the days start..end, inclusive."""
    conditions = []
    if start is not None:
        conditions.append(f"{column} >= {params.add(to_wib_clock(start), 'timestamp')}")
    if end is not None:
        day_after = to_wib_clock(end + timedelta(days=1))
        conditions.append(f"{column} < {params.add(day_after, 'timestamp')}")
    return conditions


def department_prefixes(codes: Sequence[str]) -> list[str]:
    return [code[:PREFIX_LENGTH] for code in codes]


def _nested(
    f: PaymentFilter | BudgetLineFilter, condition: Callable[[Any, Params], str], params: Params
) -> list[str]:
    """The conditions of `not` and `anyOf`."""
    conditions = []
    if f.none_of is not None:
        conditions.append(negated(condition(f.none_of, params)))
    if f.any_of is not None:
        conditions.append(any_of([condition(g, params) for g in f.any_of]))
    return conditions


def payment_condition(f: PaymentFilter, params: Params) -> str:
    """The SQL condition (on s, m, d) that a payment request matches `f`."""
    conditions = [
        _one_of("s.tahun", f.fiscal_years, "int", params),
        _one_of(
            f"({STATUS_EXPRESSION})",
            [s.value for s in f.statuses] if f.statuses is not None else None,
            "text",
            params,
        ),
        _one_of(
            "s.jenis", [t.value for t in f.types] if f.types is not None else None, "text", params
        ),
        _one_of(
            "s.jenis_ls",
            [LS_KIND_CODES[k] for k in f.ls_kinds] if f.ls_kinds is not None else None,
            "text",
            params,
        ),
        _one_of(
            f"left(s.kode_skpd, {PREFIX_LENGTH})",
            department_prefixes(f.department_codes) if f.department_codes is not None else None,
            "text",
            params,
        ),
        _one_of(
            "s.nip_bendahara",
            spellings(f.treasurer_nip) if f.treasurer_nip is not None else None,
            "text",
            params,
        ),
        _one_of(
            "s.id_anggaran",
            [f.budget_line_id] if f.budget_line_id is not None else None,
            "int",
            params,
        ),
        *_on_days("s.tgl_spp", f.requested_from, f.requested_to, params),
        *_on_days("d.tgl_sp2d", f.disbursed_from, f.disbursed_to, params),
        _one_of("s.id", f.ids, "int", params),
    ]
    if f.account_code_prefix is not None:
        prefix = params.add(f.account_code_prefix, "text")
        conditions.append(
            "exists (select 1 from anggaran a"
            f" where a.id = s.id_anggaran and starts_with(a.kode_rekening, {prefix}))"
        )
    if f.min_amount is not None:
        conditions.append(f"s.nilai >= {params.add(f.min_amount, 'numeric')}")
    if f.max_amount is not None:
        conditions.append(f"s.nilai <= {params.add(f.max_amount, 'numeric')}")
    return all_of([*conditions, *_nested(f, payment_condition, params)])


def budget_line_condition(f: BudgetLineFilter, params: Params) -> str:
    """The SQL condition (on a) that a budget line matches `f`."""
    conditions = [
        _one_of("a.tahun", f.fiscal_years, "int", params),
        _one_of(
            f"left(a.kode_skpd, {PREFIX_LENGTH})",
            department_prefixes(f.department_codes) if f.department_codes is not None else None,
            "text",
            params,
        ),
    ]
    if f.account_code_prefix is not None:
        prefix = params.add(f.account_code_prefix, "text")
        conditions.append(f"starts_with(a.kode_rekening, {prefix})")
    return all_of([*conditions, *_nested(f, budget_line_condition, params)])


# -- orderings ------------------------------------------------------------------------------

SortOf = Callable[[bool], SortKey]


def _key(expression: str, cast: str, nullable: bool = False) -> SortOf:
    return lambda descending: SortKey(expression, descending, cast, nullable)


# Request numbers sort byte by byte ("C"), whatever the database's own collation.
_PAYMENT_KEYS: dict[str, SortOf] = {
    "REQUESTED_AT": _key("s.tgl_spp", "timestamp"),
    "AMOUNT": _key("s.nilai", "numeric"),
    "NUMBER": _key('s.nomor_spp collate "C"', "text"),
    "DISBURSED_AT": _key("d.tgl_sp2d", "timestamp", nullable=True),  # null without an SP2D
}

_BUDGET_LINE_KEYS: dict[str, SortOf] = {
    "CEILING": _key("a.pagu", "numeric"),
    "COMMITTED": _key(COMMITTED, "numeric"),
    "DISBURSED": _key(DISBURSED, "numeric"),
    "REMAINING": _key(f"(a.pagu - {COMMITTED})", "numeric"),
    "ABSORPTION": _key(f"({ABSORPTION})", "numeric", nullable=True),
}


def sort_key_name(order: PaymentOrderBy | BudgetLineOrderBy) -> str:
    """The key an ordering sorts by: AMOUNT for AMOUNT_DESC."""
    return order.name.rsplit("_", 1)[0]


def _is_descending(order: PaymentOrderBy | BudgetLineOrderBy) -> bool:
    return order.name.endswith("_DESC")


def _with_tie_breaker(
    keys: list[SortKey], record_key: str, default_descending: bool
) -> list[SortKey]:
    """The record's key last, in the direction of the last key asked for, so every row has
    one place and a cursor says where the next page starts."""
    descending = keys[-1].descending if keys else default_descending
    return [*keys, SortKey(record_key, descending, "int")]


def payment_sort_keys(orders: Sequence[PaymentOrderBy]) -> list[SortKey]:
    """The sort keys of payment requests in these orderings, then `spp.id`."""
    keys = [_PAYMENT_KEYS[sort_key_name(o)](_is_descending(o)) for o in orders]
    return _with_tie_breaker(keys, "s.id", default_descending=True)


def budget_line_sort_keys(orders: Sequence[BudgetLineOrderBy]) -> list[SortKey]:
    """The sort keys of budget lines in these orderings, then `anggaran.id` (ascending
    when nothing is asked for)."""
    keys = [_BUDGET_LINE_KEYS[sort_key_name(o)](_is_descending(o)) for o in orders]
    return _with_tie_breaker(keys, "a.id", default_descending=False)
