"""Opaque cursors: base64 of a tagged JSON value, so a cursor of one list fails on another.

A cursor comes back from the client, so it is decoded strictly: its tag names the list,
and its value has exactly the shape that list's cursors have (an NIP, an id a source key
can hold, a sort value with an id). Anything else is refused with BAD_USER_INPUT before
any SQL runs (`gateway.input_check` decodes every `after` at the edge).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from connectors.domain import PaymentOrderBy
from connectors.paging import MAX_PAGE
from connectors.sppspm.records import PaymentRequest
from connectors.working_days import FIRST_DAY, LAST_DAY
from gateway.errors import BadUserInput

T = TypeVar("T")

DEFAULT_FIRST = 50
MAX_FIRST = MAX_PAGE
MAX_CURSOR_LENGTH = 200
"""Longer than any cursor this API gives out."""

INT4_MAX = 2**31 - 1
"""The largest serial id of the sources' tables (int4)."""

_NIP = re.compile(r"^\d{18}\Z", re.ASCII)  # \Z: $ would let a final newline through


def encode(kind: str, value: Any) -> str:
    raw = json.dumps([kind, value], separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(kind: str, cursor: str | None) -> Any:
    """The value inside a cursor made by `encode(kind, ...)`; None when no cursor."""
    if cursor is None:
        return None
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise BadUserInput("not a cursor this API gave out")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        tag, value = json.loads(raw, parse_constant=_no_constant)
    except (binascii.Error, ValueError, TypeError, UnicodeError) as exc:
        raise BadUserInput("not a cursor this API gave out") from exc
    if tag != kind:
        raise BadUserInput("this cursor belongs to another list")
    return value


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


def decode_pair(
    kind: str, cursor: str | None, sort_value: Callable[[str], T]
) -> tuple[T, int] | None:
    """`decode` for lists ordered by a value, then by id: the pair after which the page
    starts. `sort_value` parses the value (raising ValueError when it cannot)."""
    value = decode(kind, cursor)
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
        raise BadUserInput(f"not a cursor of {kind}")
    text, key = value
    if not is_id(key):
        raise BadUserInput(f"not a cursor of {kind}")
    try:
        return sort_value(text), key
    except ValueError:
        raise BadUserInput(f"not a cursor of {kind}") from None


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


# -- payment requests: ordered by time or amount, then by id ------------------------------

_AMOUNT_ORDERS = (PaymentOrderBy.AMOUNT_ASC, PaymentOrderBy.AMOUNT_DESC)
_CLOCK_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\Z", re.ASCII)
_AMOUNT = re.compile(r"^\d{1,16}(\.\d{1,2})?\Z", re.ASCII)


def _payment_kind(order: PaymentOrderBy) -> str:
    return f"payment:{order.value}"


def request_cursor(order: PaymentOrderBy, request: PaymentRequest) -> str:
    if order in _AMOUNT_ORDERS:
        value: str = str(request.amount)
    else:
        value = request.requested_at.replace(tzinfo=None).isoformat()
    return encode(_payment_kind(order), [value, request.id])


def _clock_time(text: str) -> datetime:
    if not _CLOCK_TIME.match(text):
        raise ValueError(text)
    moment = datetime.fromisoformat(text)
    if not FIRST_DAY.year <= moment.year <= LAST_DAY.year:
        raise ValueError(text)
    return moment


def _amount(text: str) -> Decimal:
    if not _AMOUNT.match(text):
        raise ValueError(text)
    return Decimal(text)


def request_after(order: PaymentOrderBy, after: str | None) -> tuple[Any, int] | None:
    """Where a page of payment requests in this order starts."""
    sort_value: Callable[[str], Any] = _amount if order in _AMOUNT_ORDERS else _clock_time
    return decode_pair(_payment_kind(order), after, sort_value)


def check_payment_cursor(cursor: str) -> None:
    """A cursor of payment requests in one of the orders (the resolver checks that it is
    the order asked for)."""
    for order in PaymentOrderBy:
        try:
            request_after(order, cursor)
            return
        except BadUserInput:
            continue
    raise BadUserInput("not a cursor of payment requests")
