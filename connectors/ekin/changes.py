"""What changed in e-kin's activities: rows added to `kinerja` (by id) and pending rows
that got reviewed. e-kin keeps no history table, so the reader remembers which
activities are pending and asks for those by primary key."""

from __future__ import annotations

from collections.abc import Sequence

from connectors.ekin.connector import activity_of
from connectors.ekin.queries import ACTIVITY_COLUMNS
from connectors.ekin.records import Activity
from connectors.source import Source

LAST_ACTIVITY_ID = "select coalesce(max(id), 0) as last from kinerja"

PENDING_IDS = "select id from kinerja where approve is null"

# $1 the last id read, $2 ids skipped earlier that may have appeared since, $3 how many.
# Two branches rather than `id > $1 or id = any($2)`: for that disjunction the generic
# plan, which PostgreSQL takes after a few polls, walks the primary key from the first
# activity (a fifth of a second at city scale) instead of starting after $1.
ACTIVITIES_AFTER = f"""
select * from (
    (select {ACTIVITY_COLUMNS}, created_at from kinerja where id > $1 order by id limit $3)
  union all
    (select {ACTIVITY_COLUMNS}, created_at from kinerja
     where id = any($2::bigint[]) and id <= $1)
) after_last
order by id
limit $3
"""

REVIEWED_AMONG = f"""
select {ACTIVITY_COLUMNS} from kinerja where id = any($1::bigint[]) and approve is not null
"""


async def last_activity_id(source: Source) -> int:
    rows = await source.fetch(LAST_ACTIVITY_ID)
    last: int = rows[0]["last"]
    return last


async def pending_ids(source: Source) -> set[int]:
    """Every activity still waiting for review (read once, when a reader starts)."""
    return {row["id"] for row in await source.fetch(PENDING_IDS)}


async def activities_after(
    source: Source, last_id: int, gaps: Sequence[int], limit: int
) -> list[Activity]:
    """Activities after `last_id` and among `gaps`, in id order."""
    rows = await source.fetch(ACTIVITIES_AFTER, last_id, list(gaps), limit)
    return [activity_of(row) for row in rows]


async def reviewed_among(source: Source, ids: Sequence[int]) -> list[Activity]:
    """Those of these activities that are no longer pending."""
    if not ids:
        return []
    rows = await source.fetch(REVIEWED_AMONG, list(ids))
    return [activity_of(row) for row in rows]
