"""sppspm rows as normalised domain records: 18-digit NIPs, aware datetimes, enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from connectors.domain import (
    Document,
    FinanceRoleKind,
    LsKind,
    OrderStatus,
    PaymentOrderBy,
    PaymentStatus,
    PaymentType,
)
from connectors.stats import Summary


@dataclass(frozen=True, slots=True)
class FinanceUnit:
    """A row of the finance organisation master for one fiscal year."""

    fiscal_year: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Official:
    fiscal_year: int
    code: str
    nip: str
    name: str
    role: FinanceRoleKind


@dataclass(frozen=True, slots=True)
class Money:
    """Budget figures of a line or a whole department."""

    ceiling: Decimal
    committed: Decimal
    disbursed: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.ceiling - self.committed


@dataclass(frozen=True, slots=True)
class BudgetLine:
    id: int
    fiscal_year: int
    code: str
    sub_activity_code: str
    account_code: str
    description: str
    money: Money
    absorption: (
        Decimal | None
    )  # disbursed / ceiling, as sppspm computes it; None when the ceiling is 0


@dataclass(frozen=True)  # no slots: `connector.made` fills its __dict__
class PaymentOrder:
    number: str
    issued_at: datetime
    status: OrderStatus
    rejection_reason: str | None
    authorizer_nip: str | None


@dataclass(frozen=True)  # no slots: `connector.made` fills its __dict__
class Disbursement:
    number: str
    issued_at: datetime
    net_amount: Decimal
    authorizer_nip: str | None


@dataclass(frozen=True)  # no slots: `connector.made` fills its __dict__
class PaymentRequest:
    id: int
    number: str
    fiscal_year: int
    code: str
    type: PaymentType
    ls_kind: LsKind | None
    budget_line_id: int | None
    amount: Decimal
    purpose: str
    treasurer_nip: str | None
    requested_at: datetime
    status: PaymentStatus
    rejection_reason: str | None
    order: PaymentOrder | None
    disbursement: Disbursement | None


@dataclass(frozen=True, slots=True)
class RequestSteps:
    """When each step of a request happened, for its service clock; None when it has not
    happened or its time is not recorded."""

    id: int
    code: str
    fiscal_year: int
    submitted_at: datetime | None
    request_rejected_at: datetime | None  # the SPP rejected, by the PPK-SKPD or the PA
    request_rejected: bool
    order_issued_at: datetime | None
    order_rejected_at: datetime | None
    order_rejected: bool
    disbursed_at: datetime | None


class StatusChange(NamedTuple):
    """One row of a request's history. A named tuple rather than a frozen dataclass like
    the others: made by the ten thousand for a page of histories, and a frozen dataclass's
    `__init__` sets each field through `object.__setattr__`, three times the cost."""

    document: Document
    from_status: PaymentStatus | None
    to_status: PaymentStatus
    at: datetime
    by_nip: str | None
    note: str | None


@dataclass(slots=True)
class AllowancePayments:
    """What sppspm pays one employee for one period, from TPP lines."""

    nip: str
    period: str
    paid: Decimal = Decimal(0)
    in_process: Decimal = Decimal(0)
    request_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    """Narrows a payment-request list: every condition given must hold. None is no
    condition; an empty tuple of values matches nothing. Each condition is SQL
    (`connectors.sppspm.filters`), so pages and counts stay right."""

    fiscal_years: tuple[int, ...] | None = None
    statuses: tuple[PaymentStatus, ...] | None = None
    types: tuple[PaymentType, ...] | None = None
    ls_kinds: tuple[LsKind, ...] | None = None
    department_codes: tuple[str, ...] | None = None  # OPD-level codes, with their sub-units
    treasurer_nip: str | None = None  # 18 digits; matched in any of sppspm's spellings
    budget_line_id: int | None = None
    account_code_prefix: str | None = None  # of the budget line's kode_rekening
    requested_from: date | None = None  # WIB days, inclusive
    requested_to: date | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    disbursed_from: date | None = None  # WIB days of the SP2D, inclusive
    disbursed_to: date | None = None
    ids: tuple[int, ...] | None = None  # only these requests (a clock-state condition)
    none_of: PaymentFilter | None = None  # `not`: none of what it matches
    any_of: tuple[PaymentFilter, ...] | None = None  # at least one of these; () matches nothing


@dataclass(frozen=True, slots=True)
class BudgetLineFilter:
    """Narrows a budget-line list, as `PaymentFilter` does payment requests."""

    fiscal_years: tuple[int, ...] | None = None
    department_codes: tuple[str, ...] | None = None  # OPD-level codes, with their sub-units
    account_code_prefix: str | None = None
    none_of: BudgetLineFilter | None = None
    any_of: tuple[BudgetLineFilter, ...] | None = None


@dataclass(frozen=True, slots=True)
class PaymentScope:
    """The payment requests of one department (its code and sub-unit codes)."""

    department_code: str | None
    fiscal_year: int | None = None


@dataclass(frozen=True, slots=True)
class RawNip:
    """An NIP as sppspm spells it, for data-quality reports: which record, and its key."""

    record: str
    key: str
    spelling: str


@dataclass(frozen=True, slots=True)
class OrphanLine:
    """An allowance line (tpp_rincian) on a request that is not an LS-TPP request."""

    line_id: int
    request_number: str


DEFAULT_ORDER = (PaymentOrderBy.REQUESTED_AT_DESC,)
"""Payment requests come newest first unless a client asks otherwise."""


@dataclass(frozen=True, slots=True)
class AllowanceLine:
    """One line of an LS-TPP request: who is paid how much for which month."""

    nip: str
    period: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class NewPaymentRequest:
    """A payment request to submit, already checked for shape by the gateway."""

    fiscal_year: int
    code: str
    type: PaymentType
    ls_kind: LsKind | None
    budget_line_id: int | None
    amount: Decimal
    purpose: str
    allowance_lines: tuple[AllowanceLine, ...] = ()
    idempotency_key: str | None = None


class Step(enum.Enum):
    """The steps of the lifecycle after submission, and who takes them."""

    VERIFY = "verify"  # PPK_SKPD: SPP 1 -> 2, or 1 -> 3
    ORDER = "order"  # PA: SPM issued, or SPP 2 -> 3
    DISBURSE = "disburse"  # KUASA_BUD: SP2D issued and SPM 1 -> 2, or SPM 1 -> 3


@dataclass(frozen=True, slots=True)
class Decision:
    """An official's decision on one step of a request."""

    step: Step
    request_id: int
    approve: bool
    actor_nip: str
    reason: str | None = None
    net_amount: Decimal | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class RequestStatsKey:
    """What a group of payment requests shares: the dimensions asked for, None elsewhere."""

    department: tuple[int, str] | None = None  # (fiscal year, OPD-level code)
    fiscal_year: int | None = None
    type: PaymentType | None = None
    ls_kind: LsKind | None = None
    status: PaymentStatus | None = None
    treasurer_nip: str | None = None  # 18 digits; None where sppspm's spelling is no NIP
    budget_line_id: int | None = None
    account: str | None = None
    requested: str | None = None  # a time bucket's label
    disbursed: str | None = None
    clock_state: str | None = None


@dataclass(frozen=True, slots=True)
class RequestStatsGroup:
    key: RequestStatsKey
    count: int
    amount: Summary
    disbursed_net: Summary
