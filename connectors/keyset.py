"""Keyset pages over several sort keys: `order by` and the condition for "after this row".

A list is ordered by the keys a client asks for, each ascending or descending, then by the
record's key, so every row has one place and a cursor (the sort values of the page's last
row and its key) says where the next page starts, whatever was written meanwhile. Nulls
come last, ascending or descending. Keys may mix directions, so "after" is spelled out
key by key rather than as one row comparison:

    k1 beyond v1  or  (k1 = v1 and (k2 beyond v2  or  (k2 = v2 and id beyond v_id)))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.sql import Params


@dataclass(frozen=True, slots=True)
class SortKey:
    """One sort key: a SQL expression of the row, its direction, and its SQL type (the cast
    of the cursor value compared with it). `nullable` keys sort their nulls last."""

    expression: str
    descending: bool
    cast: str
    nullable: bool = False

    @property
    def order(self) -> str:
        direction = "desc" if self.descending else "asc"
        return f"{self.expression} {direction} nulls last"

    def beyond(self, placeholder: str) -> str:
        """Rows that come after a row whose value of this key is the placeholder's."""
        comparison = f"{self.expression} {'<' if self.descending else '>'} {placeholder}"
        return f"{comparison} or {self.expression} is null" if self.nullable else comparison


def order_by(keys: Sequence[SortKey]) -> str:
    """The `order by` list of the keys, in order."""
    return ", ".join(key.order for key in keys)


def after(keys: Sequence[SortKey], values: Sequence[Any], params: Params) -> str:
    """The condition that a row comes after the row whose sort values are `values` (one per
    key, the record's key last). A null value stands for a row whose key is null: nulls
    come last, so only rows with a null there, and later keys beyond, come after it."""
    if len(keys) != len(values):
        raise ValueError(f"{len(values)} cursor values for {len(keys)} sort keys")
    condition = ""
    for key, value in reversed(list(zip(keys, values, strict=True))):
        if value is None:
            beyond = "false"
            equal = f"{key.expression} is null"
        else:
            placeholder = params.add(value, key.cast)
            beyond = key.beyond(placeholder)
            equal = f"{key.expression} = {placeholder}"
        condition = f"({beyond})" if not condition else f"({beyond}) or ({equal} and ({condition}))"
    return condition
