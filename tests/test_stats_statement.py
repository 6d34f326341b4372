"""The grouped-statistics statement on real PostgreSQL: groups, total, measures, order and
cut, against the same figures computed in Python."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg
import pytest

from connectors.sql import Params
from connectors.stats import Kind, Measure, StatsOrderBy, TimeBucket, bucket_label, grouped, rows_of
from tests.conftest import create_database


@pytest.fixture(scope="module")
async def sales(pg_server: Any) -> AsyncIterator[tuple[asyncpg.Connection, list[tuple[Any, ...]]]]:
    conn = await asyncpg.connect(await create_database(pg_server, "stats"))
    rng = random.Random(3)
    rows = [
        (
            i,
            rng.choice(["a", "b", "c", None]),
            Decimal(rng.randint(1, 10_000)) / 100,
            rng.randint(1, 9),
        )
        for i in range(1, 201)
    ]
    await conn.execute(
        "create table sale (id int primary key, kind text, amount numeric(18,2), minutes int)"
    )
    await conn.executemany("insert into sale values ($1, $2, $3, $4)", rows)
    yield conn, rows
    await conn.close()


MEASURES = [Measure("amount", Kind.MONEY), Measure("minutes", Kind.WHOLE)]


async def test_groups_and_total_equal_python(sales: tuple[asyncpg.Connection, list[Any]]) -> None:
    conn, rows = sales
    params = Params()
    sql = grouped(
        "select kind, amount, minutes from sale",
        ["kind"],
        MEASURES,
        "amount",
        [StatsOrderBy.SUM_DESC],
        2,
        params,
    )
    total, groups = rows_of(await conn.fetch(sql, *params.values), ["kind"], MEASURES)
    by_kind: dict[Any, list[Decimal]] = defaultdict(list)
    for _, kind, amount, _ in rows:
        by_kind[kind].append(amount)
    expected = sorted(by_kind, key=lambda k: (-sum(by_kind[k]), (k is None, k)))[:2]
    assert [g.keys for g in groups] == [(k,) for k in expected]
    first = by_kind[expected[0]]
    assert groups[0].count == len(first)
    assert groups[0].measures["amount"].sum == sum(first)
    assert groups[0].measures["amount"].avg == (sum(first) / len(first)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )
    assert total.count == len(rows) and total.measures["amount"].sum == sum(r[2] for r in rows)
    assert total.measures["minutes"].max == max(r[3] for r in rows)


async def test_a_total_over_nothing_has_zero_sums_and_no_averages(
    sales: tuple[asyncpg.Connection, list[Any]],
) -> None:
    conn, _ = sales
    params = Params()
    sql = grouped(
        "select kind, amount, minutes from sale where false",
        ["kind"],
        MEASURES,
        None,
        [StatsOrderBy.KEY_ASC],
        10,
        params,
    )
    total, groups = rows_of(await conn.fetch(sql, *params.values), ["kind"], MEASURES)
    assert groups == [] and total.count == 0
    assert total.measures["amount"].sum == 0 and total.measures["amount"].avg is None


async def test_time_buckets_are_labelled_in_the_contracts_spelling(
    sales: tuple[asyncpg.Connection, list[Any]],
) -> None:
    conn, _ = sales
    moment = "timestamp '2026-10-07 23:30:00'"
    labels = [await conn.fetchval(f"select {bucket_label(moment, b)}") for b in TimeBucket]
    assert labels == ["2026-10-07", "2026-W41", "2026-10", "2026-Q4", "2026"]
