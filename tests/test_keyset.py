"""Keyset pages over several keys, mixed directions and nulls, walk a table exactly once in
the order Python sorts it (real PostgreSQL); composed conditions keep SQL's nulls right."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from connectors.keyset import SortKey, after, order_by
from connectors.sql import FALSE, TRUE, Params, all_of, any_of, negated
from tests.conftest import Gateway, create_database

COLUMNS = {"a": "int", "b": "text", "c": "numeric"}


@pytest.fixture(scope="module")
async def table(pg_server: Any) -> AsyncIterator[tuple[asyncpg.Connection, list[dict[str, Any]]]]:
    conn = await asyncpg.connect(await create_database(pg_server, "keyset"))
    rows = []
    rng = random.Random(7)
    for id_ in range(1, 301):
        rows.append(
            {
                "id": id_,
                "a": rng.choice([None, 1, 2, 3]),
                "b": rng.choice([None, "x", "y"]),
                "c": rng.choice([None, 1, 2]),
            }
        )
    await conn.execute("create table t (id int primary key, a int, b text, c numeric)")
    await conn.executemany(
        "insert into t values ($1, $2, $3, $4)", [(r["id"], r["a"], r["b"], r["c"]) for r in rows]
    )
    yield conn, rows
    await conn.close()


def python_order(rows: list[dict[str, Any]], keys: list[tuple[str, bool]]) -> list[int]:
    """Nulls last in either direction, then id in the last key's direction."""
    ordered = sorted(rows, key=lambda r: r["id"], reverse=keys[-1][1])
    for column, descending in reversed(keys):
        present = sorted(
            (r for r in ordered if r[column] is not None),
            key=lambda r: r[column],  # noqa: B023 (used at once)
            reverse=descending,
        )
        ordered = present + [r for r in ordered if r[column] is None]
    return [r["id"] for r in ordered]


@pytest.mark.parametrize("seed", range(12))
async def test_pages_walk_every_row_once_in_order(
    table: tuple[asyncpg.Connection, list[dict[str, Any]]], seed: int
) -> None:
    conn, rows = table
    rng = random.Random(seed)
    chosen = rng.sample(list(COLUMNS), rng.randint(1, 3))
    asked = [(column, rng.random() < 0.5) for column in chosen]
    keys = [
        SortKey(column, descending, COLUMNS[column], nullable=True) for column, descending in asked
    ]
    keys.append(SortKey("id", asked[-1][1], "int"))
    walked: list[int] = []
    cursor: list[Any] | None = None
    while True:
        params = Params(start=1)
        condition = after(keys, cursor, params) if cursor is not None else "true"
        page = await conn.fetch(
            f"select * from t where {condition} order by {order_by(keys)} limit 7", *params.values
        )
        if not page:
            break
        walked += [r["id"] for r in page]
        last = page[-1]
        cursor = [last[k.expression] for k in keys]
    assert walked == python_order(rows, asked)


async def test_a_negation_keeps_the_rows_its_condition_says_nothing_about(
    table: tuple[asyncpg.Connection, list[dict[str, Any]]],
) -> None:
    conn, rows = table
    params = Params()
    condition = negated(f"a = {params.add(1, 'int')}")
    found = await conn.fetch(f"select id from t where {condition} order by id", *params.values)
    assert [r["id"] for r in found] == [r["id"] for r in rows if r["a"] != 1]  # nulls too


def test_empty_compositions_match_everything_or_nothing() -> None:
    assert all_of([]) == TRUE and any_of([]) == FALSE
    assert negated(TRUE) == FALSE and negated(FALSE) == TRUE
    # a part with parameters is never left out: its placeholders keep their place
    assert any_of(["a", TRUE]) == "(a) or (true)" and all_of(["a", FALSE]) == "(a) and (false)"
    assert all_of(["a", TRUE]) == "(a)" and any_of(["a", FALSE]) == "(a)"
    assert all_of(["a = 1", "b = 2"]) == "(a = 1) and (b = 2)"


async def test_edge_cursors_are_encoded_only_when_selected(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per run of the query (the suite may run each twice, see conftest's `Reference`): the
    end cursor alone, unless the edges' cursors are selected too."""
    from gateway import cursors

    encoded: list[str] = []
    encode = cursors.encode
    monkeypatch.setattr(cursors, "encode", lambda kind, v: encoded.append(kind) or encode(kind, v))
    page = "paymentRequests(first: 30) { pageInfo { endCursor } edges { %s } }"
    await gateway.data("{ %s }" % (page % "node { number }"))
    without = len(encoded)
    encoded.clear()
    await gateway.data("{ %s }" % (page % "cursor node { number }"))
    assert without >= 1 and len(encoded) == 31 * without
