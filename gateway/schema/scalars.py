"""Custom scalars of the contract: Decimal, DateTime (+07:00), Period and Nip."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from connectors.domain import WIB
from connectors.nip import InvalidNip, normalise_nip

Nip = NewType("Nip", str)
Period = NewType("Period", str)

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(value: object) -> str:
    if not isinstance(value, str) or not _PERIOD.match(value):
        raise ValueError(f"{value!r} is not a period: expected YYYY-MM, for example 2026-10")
    return value


def parse_nip(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an NIP: expected a string of 18 digits")
    try:
        return normalise_nip(value)
    except InvalidNip as exc:
        raise ValueError(str(exc)) from exc


def serialize_decimal(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def parse_decimal(value: object) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f'{value!r} is not a decimal amount such as "1500000.00"') from exc
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    return number


def serialize_datetime(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(WIB).isoformat()


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time") from exc
    if parsed.tzinfo is None:
        raise ValueError(
            f"{value!r} has no UTC offset; write for example 2026-10-01T08:00:00+07:00"
        )
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
    datetime: strawberry.scalar(
        name="DateTime",
        description="ISO 8601 date-time, rendered in WIB (+07:00).",
        serialize=serialize_datetime,
        parse_value=parse_datetime,
    ),
}
