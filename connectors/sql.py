"""Statements built from parts, for the filters and orderings a client composes (`not`,
`anyOf`, several sort keys). The parts are the connector's own SQL; only values come from
the client, and they always travel as parameters, never in the text.

    params = Params(start=4)                 # $1..$3 are taken by the statement's own
    condition = all_of([f"s.jenis = {params.add('LS', 'text')}", ...])
    await source.fetch(sql_with(condition), first, second, third, *params.values)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TRUE = "true"
FALSE = "false"


@dataclass(slots=True)
class Params:
    """The values of a statement's parameters from `$start` on."""

    start: int = 1
    values: list[Any] = field(default_factory=list)

    def add(self, value: Any, cast: str) -> str:
        """The placeholder of one more value, cast to its SQL type (`$4::text`)."""
        self.values.append(value)
        return f"${self.start + len(self.values) - 1}::{cast}"


def all_of(conditions: Iterable[str]) -> str:
    """Every condition holds; no condition: true. Only `true` parts are left out: a part
    with parameters stays even beside a `false`, so every placeholder taken keeps its
    place in the statement (PostgreSQL folds the constants itself)."""
    parts = [c for c in conditions if c != TRUE]
    return " and ".join(f"({c})" for c in parts) if parts else TRUE


def any_of(conditions: Iterable[str]) -> str:
    """At least one condition holds; no condition: false (an empty list matches nothing).
    Only `false` parts are left out, for the same reason as in `all_of`."""
    parts = [c for c in conditions if c != FALSE]
    return " or ".join(f"({c})" for c in parts) if parts else FALSE


def negated(condition: str) -> str:
    """None of what `condition` matches. A row the condition says nothing about (SQL's
    unknown, a null column) is not matched by it, so the negation keeps that row."""
    if condition == TRUE:
        return FALSE
    if condition == FALSE:
        return TRUE
    return f"not coalesce(({condition}), false)"
