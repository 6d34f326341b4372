"""Opaque cursors: base64 of a tagged JSON value, so a cursor of one list fails on another.

A cursor comes back from the client, so it is decoded strictly: its tag names the list,
and its value has exactly the shape that list's cursors have (an NIP, an id a source key
can hold, a sort value with an id). Anything else is refused with BAD_USER_INPUT before
any SQL runs (`gateway.input_check` decodes every `after` at the edge).
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from connectors.domain import WIB, BudgetLineOrderBy, PaymentOrderBy
from connectors.ekin import columns as ekin
from connectors.ekin.records import ActivityOrderBy, EmployeeOrderBy
from connectors.paging import MAX_PAGE
from connectors.sppspm.columns import REQUEST_NUMBER
from connectors.sppspm.records import BudgetLine, PaymentRequest
from connectors.working_days import FIRST_DAY, LAST_DAY
from gateway.errors import BadUserInput
from gateway.joins import AllowanceOrderBy, Reconciliation, sort_value

T = TypeVar("T")

DEFAULT_FIRST = 50
MAX_FIRST = MAX_PAGE
MAX_CURSOR_LENGTH = 200
"""Longer than any cursor this API gives out, unless its list says otherwise."""

INT4_MAX = 2**31 - 1
"""The largest serial id of the sources' tables (int4)."""

_NIP = re.compile(r"^\d{18}\Z", re.ASCII)  # \Z: $ would let a final newline through


def encode(kind: str, value: Any) -> str:
    raw = json.dumps([kind, value], separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(kind: str, cursor: str | None, max_length: int = MAX_CURSOR_LENGTH) -> Any:
    """The value inside a cursor made by `encode(kind, ...)`; None when no cursor."""
    if cursor is None:
        return None
    tag, value = _open(cursor, max_length)
    if tag != kind:
        raise BadUserInput("this cursor belongs to another list")
    return value


def _open(cursor: str, max_length: int) -> tuple[object, object]:
    """The tag and value of a cursor, or BadUserInput."""
    if len(cursor) > max_length:
        raise BadUserInput("not a cursor this API gave out")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        tag, value = json.loads(raw, parse_constant=_no_constant)
    except (binascii.Error, ValueError, TypeError, UnicodeError) as exc:
        raise BadUserInput("not a cursor this API gave out") from exc
    return tag, value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not in a cursor")


def decode_nip(kind: str, cursor: str | None) -> str | None:
    """`decode` for lists keyed by an NIP."""
    value = decode(kind, cursor)
    if value is not None and not (isinstance(value, str) and _NIP.match(value)):
        raise BadUserInput(f"not a cursor of {kind}s")
    return value


def decode_id(kind: str, cursor: str | None) -> int | None:
    """`decode` for lists keyed by a source's serial id."""
    value = decode(kind, cursor)
    if value is not None and not is_id(value):
        raise BadUserInput(f"not a cursor of {kind}s")
    return value


def is_id(value: object) -> bool:
    return type(value) is int and 0 < value <= INT4_MAX


def page_size(first: int | None) -> int:
    """`first` defaults to 50 and may not exceed 500."""
    if first is None:
        return DEFAULT_FIRST
    check_first(first)
    return first


def check_first(first: int) -> None:
    if first < 0:
        raise BadUserInput(f"first must be 0 or more, got {first}")
    if first > MAX_FIRST:
        raise BadUserInput(f"first may be at most {MAX_FIRST}, got {first}: page with `after`")


# -- lists in a client's ordering: the sort values of the last row, then its id -----------

Ordering = TypeVar("Ordering", bound=enum.Enum)

SortValue = Callable[[object], object]
"""Parses one sort value of a cursor (a JSON value), raising ValueError or TypeError."""


def sort_key_of(order: enum.Enum) -> str:
    """The key an ordering value sorts by: AMOUNT for AMOUNT_DESC."""
    return order.name.rsplit("_", 1)[0]


def canonical(orders: Sequence[Ordering]) -> tuple[Ordering, ...]:
    """The orderings as a list sorts by them: a key asked for again (AMOUNT_ASC after
    AMOUNT_DESC) orders nothing the first did not, so only its first mention counts."""
    seen: set[str] = set()
    kept = []
    for order in orders:
        if sort_key_of(order) not in seen:
            seen.add(sort_key_of(order))
            kept.append(order)
    return tuple(kept)


@dataclass(frozen=True)
class SortedCursors(Generic[Ordering]):
    """Cursors of a list sorted by a client's ordering, then by the record's serial id.

    A cursor holds the sort values of a page's last row and its id, tagged with the list
    and the ordering (`payment:AMOUNT_DESC,NUMBER_ASC`), so a cursor of another ordering
    is refused. Each sort value is checked by the parser of its key."""

    name: str
    orderings: type[Ordering]
    parsers: Mapping[str, SortValue]  # by sort key
    max_length: int = MAX_CURSOR_LENGTH
    is_key: Callable[[object], bool] = is_id
    """Whether a value is the record's key: a serial id unless the list says otherwise."""

    def kind(self, orders: Sequence[Ordering]) -> str:
        return f"{self.name}:{','.join(order.name for order in orders)}"

    def encode(self, orders: Sequence[Ordering], values: Sequence[object], key: object) -> str:
        return encode(self.kind(orders), [*values, key])

    def decode(self, orders: Sequence[Ordering], cursor: str | None) -> tuple[Any, ...] | None:
        """Where a page in these orderings starts: the sort values, then the id."""
        return self._values(orders, decode(self.kind(orders), cursor, self.max_length))

    def check(self, cursor: str) -> None:
        """A cursor of this list in any ordering (the resolver checks that it is the
        ordering asked for)."""
        tag, value = _open(cursor, self.max_length)
        prefix = f"{self.name}:"
        if not (isinstance(tag, str) and tag.startswith(prefix)):
            raise BadUserInput(f"not a cursor of {self.name} lists")
        try:
            orders = [self.orderings[name] for name in tag.removeprefix(prefix).split(",")]
        except KeyError:
            raise BadUserInput(f"not a cursor of {self.name} lists") from None
        if canonical(orders) != tuple(orders):
            raise BadUserInput(f"not a cursor of {self.name} lists")
        self._values(orders, value)

    def _values(self, orders: Sequence[Ordering], value: object) -> tuple[Any, ...] | None:
        if value is None:
            return None
        if not (isinstance(value, list) and len(value) == len(orders) + 1):
            raise BadUserInput(f"not a cursor of {self.name} lists in this order")
        *sort_values, key = value
        if not self.is_key(key):
            raise BadUserInput(f"not a cursor of {self.name} lists in this order")
        try:
            parsed = [
                self.parsers[sort_key_of(order)](v)
                for order, v in zip(orders, sort_values, strict=True)
            ]
        except (ValueError, TypeError):
            raise BadUserInput(f"not a cursor of {self.name} lists in this order") from None
        return (*parsed, key)


_CLOCK_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\Z", re.ASCII)
_AMOUNT = re.compile(r"^\d{1,16}(\.\d{1,2})?\Z", re.ASCII)
_SUM = re.compile(r"^-?\d{1,20}(\.\d{1,2})?\Z", re.ASCII)
_RATIO = re.compile(r"^\d{1,20}(\.\d{1,40})?\Z", re.ASCII)


def _clock_time(value: object) -> datetime:
    """A WIB clock time as sppspm stores it, within the calendar's years."""
    if not (isinstance(value, str) and _CLOCK_TIME.match(value)):
        raise ValueError(value)
    moment = datetime.fromisoformat(value)
    if not FIRST_DAY.year <= moment.year <= LAST_DAY.year:
        raise ValueError(value)
    return moment


def _optional(parse: SortValue) -> SortValue:
    """A sort value that is null for rows without one (sorted last)."""
    return lambda value: None if value is None else parse(value)


def _decimal(pattern: re.Pattern[str]) -> SortValue:
    def parse(value: object) -> Decimal:
        if not (isinstance(value, str) and pattern.match(value)):
            raise ValueError(value)
        return Decimal(value)

    return parse


_NUMBER_LENGTH = REQUEST_NUMBER.max_length or 0


def _request_number(value: object) -> str:
    if not isinstance(value, str) or len(value) > _NUMBER_LENGTH or "\x00" in value:
        raise ValueError(value)
    value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError, a ValueError
    return value


def clock_text(moment: datetime) -> str:
    """A WIB moment as the naive clock time sppspm stores and a cursor carries."""
    return moment.astimezone(WIB).replace(tzinfo=None).isoformat()


def decimal_text(value: Decimal) -> str:
    """A decimal without an exponent, as a cursor carries it."""
    return format(value, "f")


# -- payment requests: ordered by time, amount, number or disbursement, then by id ------

PAYMENT_CURSORS = SortedCursors(
    "payment",
    PaymentOrderBy,
    {
        "REQUESTED_AT": _clock_time,
        "AMOUNT": _decimal(_AMOUNT),
        "NUMBER": _request_number,
        "DISBURSED_AT": _optional(_clock_time),
    },
    # a request number fills 80 characters, each escaped in JSON as up to 12
    max_length=2_000,
)


def _payment_sort_value(order: PaymentOrderBy, request: PaymentRequest) -> object:
    key = sort_key_of(order)
    if key == "AMOUNT":
        return decimal_text(request.amount)
    if key == "NUMBER":
        return request.number
    if key == "DISBURSED_AT":
        d = request.disbursement
        return clock_text(d.issued_at) if d is not None else None
    return clock_text(request.requested_at)


def request_cursor(orders: Sequence[PaymentOrderBy], request: PaymentRequest) -> str:
    values = [_payment_sort_value(order, request) for order in orders]
    return PAYMENT_CURSORS.encode(orders, values, request.id)


def request_after(orders: Sequence[PaymentOrderBy], after: str | None) -> tuple[Any, ...] | None:
    """Where a page of payment requests in these orderings starts."""
    return PAYMENT_CURSORS.decode(orders, after)


def check_payment_cursor(cursor: str) -> None:
    """A cursor of payment requests in one of the orderings."""
    PAYMENT_CURSORS.check(cursor)


# -- budget lines: by id, or by their figures then by id ---------------------------------

LINE_CURSORS = SortedCursors(
    "line",
    BudgetLineOrderBy,
    {
        "CEILING": _decimal(_SUM),
        "COMMITTED": _decimal(_SUM),
        "DISBURSED": _decimal(_SUM),
        "REMAINING": _decimal(_SUM),
        "ABSORPTION": _optional(_decimal(_RATIO)),
    },
)


def _line_sort_value(order: BudgetLineOrderBy, line: BudgetLine) -> object:
    key = sort_key_of(order)
    if key == "ABSORPTION":
        return decimal_text(line.absorption) if line.absorption is not None else None
    money = line.money
    figure = {
        "CEILING": money.ceiling,
        "COMMITTED": money.committed,
        "DISBURSED": money.disbursed,
        "REMAINING": money.remaining,
    }[key]
    return decimal_text(figure)


def line_cursor(orders: Sequence[BudgetLineOrderBy], line: BudgetLine) -> str:
    """In id order (no ordering asked for) a line's cursor is its id, as it always was."""
    if not orders:
        return encode("line", line.id)
    values = [_line_sort_value(order, line) for order in orders]
    return LINE_CURSORS.encode(orders, values, line.id)


def line_after(orders: Sequence[BudgetLineOrderBy], after: str | None) -> tuple[Any, ...] | None:
    """Where a page of budget lines in these orderings starts."""
    if not orders:
        line_id = decode_id("line", after)
        return (line_id,) if line_id is not None else None
    return LINE_CURSORS.decode(orders, after)


def check_line_cursor(cursor: str) -> None:
    """A cursor of budget lines: an id, or in one of the orderings."""
    try:
        decode_id("line", cursor)
    except BadUserInput:
        LINE_CURSORS.check(cursor)


# -- employees: by NIP, or by name, NIP or rank, then by NIP ------------------------------
# A position (connectors.ekin.records.Placed) holds a row's sort values, its NIP last; an
# ordering ending in NIP has no tie-breaker, so the NIP there is a sort value and the key.

_NAME_LENGTH = ekin.NAME.max_length or 0
_RANK_LADDER = range(10, 176)  # connectors.ekin.queries.RANK_ORDER: I/a is 11, XVII is 170


def _nip(value: object) -> str:
    if not (isinstance(value, str) and _NIP.match(value)):
        raise ValueError(value)
    return value


def _name(value: object) -> str:
    if not isinstance(value, str) or len(value) > _NAME_LENGTH or "\x00" in value:
        raise ValueError(value)
    value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError, a ValueError
    return value


def _rank(value: object) -> int:
    if not (type(value) is int and value in _RANK_LADDER):
        raise ValueError(value)
    return value


def _is_nip(value: object) -> bool:
    return isinstance(value, str) and bool(_NIP.match(value))


EMPLOYEE_CURSORS = SortedCursors(
    "employee",
    EmployeeOrderBy,
    {"NAME": _name, "NIP": _nip, "RANK": _optional(_rank)},
    # a name fills 150 characters, each escaped in JSON as up to 12
    max_length=3_000,
    is_key=_is_nip,
)
BY_NIP = (EmployeeOrderBy.NIP_ASC,)


def employee_cursor(orders: Sequence[EmployeeOrderBy], position: Sequence[object]) -> str:
    """By NIP (the default) an employee's cursor is its NIP, as it always was."""
    if tuple(orders) == BY_NIP:
        return encode("employee", position[-1])
    return EMPLOYEE_CURSORS.encode(orders, position[: len(orders)], position[-1])


def employee_after(orders: Sequence[EmployeeOrderBy], after: str | None) -> tuple[Any, ...] | None:
    """Where a page of employees in this normalised ordering starts: its position."""
    if tuple(orders) == BY_NIP:
        nip = decode_nip("employee", after)
        return (nip,) if nip is not None else None
    values = EMPLOYEE_CURSORS.decode(orders, after)
    if values is None:
        return None
    ends_with_key = sort_key_of(orders[-1]) == "NIP"
    return values[:-1] if ends_with_key else values


def check_employee_cursor(cursor: str) -> None:
    """A cursor of employees: an NIP, or in one of the orderings."""
    try:
        decode_nip("employee", cursor)
    except BadUserInput:
        EMPLOYEE_CURSORS.check(cursor)


# -- activities: by start or minutes, then by kinerja.id ----------------------------------

_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+07:00\Z", re.ASCII)


def _moment(value: object) -> datetime:
    """A moment in WIB, as an activity's cursor carries it, within the calendar's years."""
    if not (isinstance(value, str) and _MOMENT.match(value)):
        raise ValueError(value)
    moment = datetime.fromisoformat(value)
    if not FIRST_DAY.year <= moment.year <= LAST_DAY.year:
        raise ValueError(value)
    return moment


def _minutes(value: object) -> int:
    column = ekin.ACTIVITY_MINUTES
    if not (type(value) is int and column.low <= value <= column.high):
        raise ValueError(value)
    return value


ACTIVITY_CURSORS = SortedCursors(
    "activity", ActivityOrderBy, {"STARTS_AT": _moment, "MINUTES": _minutes}
)


def _cursor_value(value: object) -> object:
    return value.astimezone(WIB).isoformat() if isinstance(value, datetime) else value


def activity_cursor(orders: Sequence[ActivityOrderBy], position: Sequence[object]) -> str:
    values = [_cursor_value(v) for v in position[:-1]]
    return ACTIVITY_CURSORS.encode(orders, values, position[-1])


def activity_after(orders: Sequence[ActivityOrderBy], after: str | None) -> tuple[Any, ...] | None:
    """Where a page of activities in this normalised ordering starts: its position."""
    return ACTIVITY_CURSORS.decode(orders, after)


def check_activity_cursor(cursor: str) -> None:
    ACTIVITY_CURSORS.check(cursor)


# -- allowances: by NIP, or by their amounts or NIP, then by NIP --------------------------
# Reconciled and ordered in memory (gateway.joins.ordered); a cursor holds the row's sort
# values and its NIP.

ALLOWANCE_CURSORS = SortedCursors(
    "allowance",
    AllowanceOrderBy,
    {
        "NIP": _nip,
        "EXPECTED": _decimal(_SUM),
        "PAID": _decimal(_SUM),
        "DIFFERENCE": _decimal(_SUM),
    },
    max_length=400,  # four orderings' names, three amounts and two NIPs
    is_key=_is_nip,
)


def allowance_orders(order_by: Sequence[AllowanceOrderBy]) -> tuple[AllowanceOrderBy, ...]:
    """The orderings as the list applies them: each key once, nothing after the NIP (it
    is unique), and by NIP alone the default."""
    orders = canonical(order_by)
    nip_at = next((i for i, o in enumerate(orders) if sort_key_of(o) == "NIP"), None)
    if nip_at is not None:
        orders = orders[: nip_at + 1]
    return () if orders == (AllowanceOrderBy.NIP_ASC,) else orders


def allowance_cursor(orders: Sequence[AllowanceOrderBy], row: Reconciliation) -> str:
    """By NIP (no ordering) an allowance's cursor is its NIP, as it always was."""
    if not orders:
        return encode("allowance", row.nip)
    values = [sort_value(order, row) for order in orders]
    shown = [decimal_text(v) if isinstance(v, Decimal) else v for v in values]
    return ALLOWANCE_CURSORS.encode(orders, shown, row.nip)


def allowance_after(
    orders: Sequence[AllowanceOrderBy], after: str | None
) -> tuple[tuple[Decimal | str, ...], str] | None:
    """Where a page of allowances in these orderings (`allowance_orders`) starts: the
    sort values of the row before it, and its NIP."""
    if not orders:
        nip = decode_nip("allowance", after)
        return ((), nip) if nip is not None else None
    position = ALLOWANCE_CURSORS.decode(orders, after)
    if position is None:
        return None
    return tuple(position[:-1]), position[-1]


def check_allowance_cursor(cursor: str) -> None:
    """A cursor of allowances: an NIP, or in one of the orderings."""
    try:
        decode_nip("allowance", cursor)
    except BadUserInput:
        ALLOWANCE_CURSORS.check(cursor)
