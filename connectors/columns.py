"""What a legacy column holds, declared by the connector that owns it: the gateway checks
every input written to a column, or compared with one, against its declaration before
any SQL runs (`gateway.input_check`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Text:
    """A varchar(n) or text column: at most `max_length` characters (None: text)."""

    column: str
    max_length: int | None = None


@dataclass(frozen=True, slots=True)
class Whole:
    """An integer column, or the part of its range the data can hold."""

    column: str
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class Numeric:
    """A numeric(precision, scale) column."""

    column: str
    precision: int
    scale: int

    @property
    def largest(self) -> Decimal:
        return Decimal(10) ** (self.precision - self.scale) - Decimal(10) ** -self.scale


Column = Text | Whole | Numeric

INT4 = (-(2**31), 2**31 - 1)
