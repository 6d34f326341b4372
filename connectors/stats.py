"""Grouped statistics in one statement: the groups a client asks for and the total over
everything matched, each with a count and the measures of its subject.

    with matched as (<the subject's rows, with a column per key and per measure>)
    select ... from (<one row per group, ordered, cut to `first`>)
    union all
    select ... from (<one row over all that matched>)

`matched` is read once (PostgreSQL materialises a CTE used twice). Time buckets are labelled
in WIB: `2026-10-07` (DAY), `2026-W41` (ISO week), `2026-10`, `2026-Q4`, `2026`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.sql import Params

DEFAULT_GROUPS = 1_000
MAX_GROUPS = 10_000
"""How many groups a statistics field answers with (`first`) unless asked, and at most."""


class TimeBucket(enum.Enum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


_LABEL = {
    TimeBucket.DAY: "YYYY-MM-DD",
    TimeBucket.WEEK: 'IYYY-"W"IW',
    TimeBucket.MONTH: "YYYY-MM",
    TimeBucket.QUARTER: 'YYYY-"Q"Q',
    TimeBucket.YEAR: "YYYY",
}


def bucket_label(wib_clock_time: str, bucket: TimeBucket) -> str:
    """The label of the bucket a WIB clock time (timestamp without time zone) falls in."""
    return f"to_char({wib_clock_time}, '{_LABEL[bucket]}')"


class StatsOrderBy(enum.Enum):
    COUNT_ASC = "COUNT_ASC"
    COUNT_DESC = "COUNT_DESC"
    SUM_ASC = "SUM_ASC"
    SUM_DESC = "SUM_DESC"
    KEY_ASC = "KEY_ASC"
    KEY_DESC = "KEY_DESC"


class Kind(enum.Enum):
    MONEY = "money"  # numeric: exact sums, averages rounded half-up to 2 places
    WHOLE = "whole"  # integer: sums, float averages


@dataclass(frozen=True, slots=True)
class Measure:
    """A column of `matched` summed, averaged and bounded per group."""

    column: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class Summary:
    sum: Any
    avg: Any
    min: Any
    max: Any


@dataclass(frozen=True, slots=True)
class StatsRow:
    """One group (`keys` one value per key column, named by `names`) or the total (`keys`
    empty)."""

    names: tuple[str, ...]
    keys: tuple[Any, ...]
    count: int
    measures: dict[str, Summary]


def _aggregates(measures: Sequence[Measure]) -> str:
    parts = ["count(*) as n"]
    for m in measures:
        average = (
            f"round(avg({m.column}), 2)" if m.kind is Kind.MONEY else f"avg({m.column})::float8"
        )
        zero = "0::numeric" if m.kind is Kind.MONEY else "0::bigint"
        parts += [
            f"coalesce(sum({m.column}), {zero}) as {m.column}_sum",
            f"{average} as {m.column}_avg",
            f"min({m.column}) as {m.column}_min",
            f"max({m.column}) as {m.column}_max",
        ]
    return ", ".join(parts)


def grouped(
    matched: str,
    keys: Sequence[str],
    measures: Sequence[Measure],
    main: str | None,
    order: Sequence[StatsOrderBy],
    first: int,
    params: Params,
) -> str:
    """The statement over `matched` (a query whose columns include `keys` and the
    measures' columns): rows of the groups by `keys`, ordered by `order` (ties by the keys
    ascending) and cut to `first`, then the total (marked `is_total`). `main` is the
    measure SUM orders by (None: the count)."""
    sum_column = f"{main}_sum" if main else "n"
    key_order = [f"{k} asc nulls last" for k in keys]
    by: list[str] = []
    for o in order:
        if o in (StatsOrderBy.COUNT_ASC, StatsOrderBy.COUNT_DESC):
            by.append(f"n {'desc' if o is StatsOrderBy.COUNT_DESC else 'asc'}")
        elif o in (StatsOrderBy.SUM_ASC, StatsOrderBy.SUM_DESC):
            by.append(f"{sum_column} {'desc' if o is StatsOrderBy.SUM_DESC else 'asc'}")
        elif o is StatsOrderBy.KEY_DESC:
            by += [f"{k} desc nulls last" for k in keys]
        else:
            by += key_order
    by += key_order
    key_list = ", ".join(keys)
    aggregates = _aggregates(measures)
    # null, but of the key's own type (a bare null would not unite with the groups' keys)
    nulls = ", ".join(f"(array_agg({k}) filter (where false))[1] as {k}" for k in keys)
    group_columns = f"{key_list}, " if keys else ""
    groups = (
        f"select false as is_total, {group_columns}{aggregates} from matched group by {key_list}"
        f" order by {', '.join(by)} limit {params.add(first, 'int')}"
        if keys
        else f"select false as is_total, {aggregates} from matched having false"
    )
    total = f"select true as is_total, {nulls + ', ' if keys else ''}{aggregates} from matched"
    return f"""
with matched as ({matched})
select * from ({groups}) g
union all
select * from ({total}) t
"""


def rows_of(
    records: Sequence[Any], keys: Sequence[str], measures: Sequence[Measure]
) -> tuple[StatsRow, list[StatsRow]]:
    """The total and the groups, in the statement's order."""
    total: StatsRow | None = None
    groups: list[StatsRow] = []
    for record in records:
        total_row = record["is_total"]
        row = StatsRow(
            () if total_row else tuple(keys),
            () if total_row else tuple(record[k] for k in keys),
            int(record["n"]),
            {
                m.column: Summary(
                    record[f"{m.column}_sum"],
                    record[f"{m.column}_avg"],
                    record[f"{m.column}_min"],
                    record[f"{m.column}_max"],
                )
                for m in measures
            },
        )
        if total_row:
            total = row
        else:
            groups.append(row)
    assert total is not None, "the statement always answers its total"
    return total, groups
