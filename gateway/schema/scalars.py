"""Custom scalars of the contract: Decimal, Date, DateTime (+07:00), Period and Nip.

Each parses strictly: one spelling, checked whole, and for dates within the working-day
calendar's years (`connectors.working_days`, 2000 to 2100), so nothing a source could
choke on gets past the edge. A value that does not parse is the client's error: it is
refused with `extensions.code` BAD_USER_INPUT, before any resolver runs.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import NewType

import orjson
import strawberry
from strawberry.types.scalar import ScalarDefinition

from connectors.domain import WIB
from connectors.nip import InvalidNip, normalise_nip
from connectors.working_days import FIRST_YEAR, LAST_YEAR
from gateway.errors import BadUserInput, shown

Nip = NewType("Nip", str)
Period = NewType("Period", str)


# ASCII digits only, and \Z, not $ (which also matches before a final newline)
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])\Z", re.ASCII)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})\Z", re.ASCII
)
_DECIMAL = re.compile(r"^[+-]?(\d{1,40}(\.\d{0,40})?|\.\d{1,40})([eE][+-]?\d{1,3})?\Z", re.ASCII)


def _in_calendar(year: int, value: object) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadUserInput(
            f"{shown(value)} lies outside the years {FIRST_YEAR} to {LAST_YEAR} this gateway serves"
        )


def parse_period(value: object) -> str:
    match = _PERIOD.match(value) if isinstance(value, str) else None
    if match is None:
        raise BadUserInput(f"{shown(value)} is not a period: expected YYYY-MM, for example 2026-10")
    _in_calendar(int(match.group(1)), value)
    return str(value)


def parse_nip(value: object) -> str:
    if not isinstance(value, str):
        raise BadUserInput(f"{shown(value)} is not an NIP: expected a string of 18 digits")
    try:
        return normalise_nip(value)
    except InvalidNip:
        raise BadUserInput(
            f"{shown(value)} is not an NIP: expected 18 digits, as 198609262015051001,"
            " 19860926 201505 1 001 or 19860926.201505.1.001"
        ) from None


def serialize_decimal(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def parse_decimal(value: object) -> Decimal:
    """An amount as a string ("1500000.00", "1.5e6") or a JSON number: finite, below
    10^21, at most 20 decimals; what fits which column is checked later."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise BadUserInput(f'{shown(value)} is not a decimal amount such as "1500000.00"')
    text = repr(value) if isinstance(value, float) else str(value)
    if not _DECIMAL.match(text.strip()):
        raise BadUserInput(f'{shown(value)} is not a decimal amount such as "1500000.00"')
    number = Decimal(text.strip())
    exponent = number.as_tuple().exponent
    if number.adjusted() > 20 or not isinstance(exponent, int) or exponent < -20:
        raise BadUserInput(
            f"{shown(value)} is no amount of rupiah: below 10^21, at most 20 decimals"
        )
    return number


def parse_date(value: object) -> date:
    """A day, YYYY-MM-DD."""
    if not isinstance(value, str) or not _DATE.match(value):
        raise BadUserInput(f"{shown(value)} is not a date: expected YYYY-MM-DD, e.g. 2026-10-01")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadUserInput(f"{shown(value)} is not a day of the calendar") from None
    _in_calendar(day.year, value)
    return day


def serialize_datetime(value: datetime) -> str:
    """The moment in WIB, as `isoformat` writes it (`2026-10-01T08:00:00+07:00`, with
    microseconds when there are any). orjson writes the same for a WIB time in a third of
    the time, and a page of histories has tens of thousands."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return orjson.dumps(aware.astimezone(WIB))[1:-1].decode()


def parse_datetime(value: object) -> datetime:
    """A moment with its UTC offset, YYYY-MM-DDTHH:MM[:SS[.ffffff]](Z|±HH:MM)."""
    if not isinstance(value, str) or not _DATETIME.match(value):
        raise BadUserInput(
            f"{shown(value)} is not an ISO 8601 date-time with its offset; write for example"
            " 2026-10-01T08:00:00+07:00"
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadUserInput(f"{shown(value)} is not a moment of the calendar") from None
    _in_calendar(parsed.astimezone(WIB).year, value)  # the calendar's days are WIB days
    return parsed


SCALARS: dict[object, ScalarDefinition] = {
    Nip: strawberry.scalar(
        name="Nip",
        description="An 18-digit NIP. Input may be spaced (19860926 201505 1 001) or dotted.",
        serialize=str,
        parse_value=parse_nip,
    ),
    Period: strawberry.scalar(
        name="Period",
        description="A month, YYYY-MM.",
        serialize=str,
        parse_value=parse_period,
    ),
    Decimal: strawberry.scalar(
        name="Decimal",
        description='Rupiah as a string with two decimals, for example "1500000.00".',
        serialize=serialize_decimal,
        parse_value=parse_decimal,
    ),
    date: strawberry.scalar(
        name="Date",
        description="A day, YYYY-MM-DD.",
        serialize=date.isoformat,
        parse_value=parse_date,
    ),
    datetime: strawberry.scalar(
        name="DateTime",
        description="ISO 8601 date-time, rendered in WIB (+07:00).",
        serialize=serialize_datetime,
        parse_value=parse_datetime,
    ),
}
