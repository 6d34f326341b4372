"""What changed in sppspm, read from `riwayat_status`: every change of a request, its
order or its disbursement writes a row there in the same transaction, whoever made it
(the gateway or sppspm's own user interface)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connectors.source import Source
from connectors.sppspm.connector import from_wib

LAST_HISTORY_ID = "select coalesce(max(id), 0) as last from riwayat_status"

# $1 the last id read, $2 ids skipped earlier that may have appeared since, $3 how many.
# Two branches rather than `id > $1 or id = any($2)`: for that disjunction the generic
# plan, which PostgreSQL takes after a few polls, walks the primary key from the first
# row instead of starting after $1.
HISTORY_AFTER = """
select r.id, r.dokumen, r.status_lama, r.waktu,
       case r.dokumen
           when 'SPP' then r.id_dokumen
           when 'SPM' then (select m.id_spp from spm m where m.id = r.id_dokumen)
           else (select m.id_spp from sp2d d join spm m on m.id = d.id_spm
                 where d.id = r.id_dokumen)
       end as spp_id
from (
    (select id, dokumen, id_dokumen, status_lama, waktu from riwayat_status
     where id > $1 order by id limit $3)
  union all
    (select id, dokumen, id_dokumen, status_lama, waktu from riwayat_status
     where id = any($2::bigint[]) and id <= $1)
) r
order by r.id
limit $3
"""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One row of `riwayat_status`, as the request it concerns."""

    id: int
    request_id: int | None  # None when its document no longer exists
    created: bool  # an SPP written (status_lama null)
    at: datetime


async def last_history_id(source: Source) -> int:
    rows = await source.fetch(LAST_HISTORY_ID)
    last: int = rows[0]["last"]
    return last


async def history_after(
    source: Source, last_id: int, gaps: Sequence[int], limit: int
) -> list[HistoryEntry]:
    """History rows after `last_id` and among `gaps`, in id order."""
    rows = await source.fetch(HISTORY_AFTER, last_id, list(gaps), limit)
    return [
        HistoryEntry(
            row["id"],
            row["spp_id"],
            row["dokumen"] == "SPP" and row["status_lama"] is None,
            from_wib(row["waktu"]),
        )
        for row in rows
    ]
