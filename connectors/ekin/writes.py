"""Writes to e-kin: logging an activity and reviewing one.

Each write is one transaction. Logging locks the employee's row (`FOR NO KEY UPDATE`,
which e-kin's own inserts, checking their foreign key with `FOR KEY SHARE`, do not wait
for) so that two activities of one person logged at once cannot both pass the overlap
check; the check is a statement of its own, started after the lock was granted, so it
sees the other one. Reviewing locks the activity's row. With an idempotency key, a
transaction advisory lock on the key comes first.
"""

from __future__ import annotations

from datetime import datetime

from connectors.ekin.connector import KINERJA_KIND
from connectors.ekin.records import NewActivity, Review
from connectors.refusal import (
    RefusalCode,
    WriteRefused,
    decided_otherwise,
    key_reused,
    require_reason,
)
from connectors.source import Source

MAX_MINUTES = 720  # kinerja.durasi_menit is checked between 1 and 720

LOCK = "select pg_advisory_xact_lock(hashtext($1))"

ACTIVITY_BY_REFERENCE = """
select id, nip, jenis_kinerja, tgl_mulai, tgl_selesai, rincian_kinerja, output, volume
from kinerja where ref_eksternal = $1
"""

EMPLOYEE_FOR_UPDATE = "select aktif from pegawai where nip = $1 for no key update"

# Rejected activities do not count: the person logs a corrected one in their place.
OVERLAPPING = """
select id, tgl_mulai, tgl_selesai from kinerja
where nip = $1 and tgl_mulai < $3 and tgl_selesai > $2 and approve is not false
order by tgl_mulai limit 1
"""

INSERT_ACTIVITY = """
insert into kinerja (nip, tgl_mulai, tgl_selesai, jenis_kinerja, rincian_kinerja, output,
                     volume, durasi_menit, ref_eksternal)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
returning id
"""

ACTIVITY_FOR_UPDATE = """
select id, approve, keterangan_approve, approved_by from kinerja where id = $1 for update
"""

SET_REVIEW = """
update kinerja set approve = $2, keterangan_approve = $3, approved_by = $4, approved_at = now()
where id = $1
"""


def minutes_between(starts_at: datetime, ends_at: datetime) -> int:
    """An activity's minutes follow from its times: whole minutes, 1 to 720."""
    if ends_at <= starts_at:
        raise WriteRefused(RefusalCode.INVALID_PERIOD, "endsAt must be after startsAt", "endsAt")
    seconds = (ends_at - starts_at).total_seconds()
    minutes = int(seconds // 60)
    if seconds % 60 or not 1 <= minutes <= MAX_MINUTES:
        raise WriteRefused(
            RefusalCode.INVALID_PERIOD,
            f"an activity lasts whole minutes, from 1 to {MAX_MINUTES};"
            f" {starts_at.isoformat()} to {ends_at.isoformat()} is {seconds / 60:g} minutes",
            "endsAt",
        )
    return minutes


async def log(source: Source, activity: NewActivity) -> int:
    """Write a pending activity and return its `kinerja.id`. With an idempotency key
    already used, return that activity when the input is the same and refuse otherwise."""
    minutes = minutes_between(activity.starts_at, activity.ends_at)
    async with source.transaction() as tx:
        key = activity.idempotency_key
        if key is not None:
            await tx.execute(LOCK, f"ekin:kinerja-ref:{key}")
            earlier = await tx.fetchrow(ACTIVITY_BY_REFERENCE, key)
            if earlier is not None:
                same = (
                    earlier["nip"] == activity.nip
                    and earlier["jenis_kinerja"] == KINERJA_KIND[activity.kind]
                    and earlier["tgl_mulai"] == activity.starts_at
                    and earlier["tgl_selesai"] == activity.ends_at
                    and earlier["rincian_kinerja"] == activity.description
                    and earlier["output"] == activity.output
                    and earlier["volume"] == activity.volume
                )
                if not same:
                    raise key_reused("activity")
                activity_id: int = earlier["id"]
                return activity_id
        employee = await tx.fetchrow(EMPLOYEE_FOR_UPDATE, activity.nip)
        if employee is None:
            raise WriteRefused(
                RefusalCode.UNKNOWN_EMPLOYEE, f"e-kin has no employee {activity.nip}", "nip"
            )
        if not employee["aktif"]:
            raise WriteRefused(
                RefusalCode.INACTIVE_EMPLOYEE,
                f"employee {activity.nip} is not active in e-kin",
                "nip",
            )
        other = await tx.fetchrow(OVERLAPPING, activity.nip, activity.starts_at, activity.ends_at)
        if other is not None:
            raise WriteRefused(
                RefusalCode.OVERLAPPING_ACTIVITY,
                f"activity {other['id']} of the same person runs from"
                f" {other['tgl_mulai'].isoformat()} to {other['tgl_selesai'].isoformat()}",
                "startsAt",
            )
        inserted = await tx.fetchrow(
            INSERT_ACTIVITY,
            activity.nip,
            activity.starts_at,
            activity.ends_at,
            KINERJA_KIND[activity.kind],
            activity.description,
            activity.output,
            activity.volume,
            minutes,
            key,
        )
        assert inserted is not None
        new_id: int = inserted["id"]
        return new_id


async def review(source: Source, decision: Review, idempotency_key: str | None) -> None:
    """Approve or reject a pending activity. A repeat of the same decision with an
    idempotency key changes nothing; another decision on a reviewed one is refused."""
    require_reason(decision.approve, decision.note, "note")
    async with source.transaction() as tx:
        row = await tx.fetchrow(ACTIVITY_FOR_UPDATE, decision.activity_id)
        if row is None:
            raise WriteRefused(
                RefusalCode.UNKNOWN_ACTIVITY,
                f"activity {decision.activity_id} does not exist",
                "activityId",
            )
        if row["approve"] is not None:
            state = "approved" if row["approve"] else "rejected"
            if idempotency_key is None:
                raise WriteRefused(
                    RefusalCode.INVALID_TRANSITION,
                    f"activity {decision.activity_id} was already {state}; only a pending"
                    " activity is reviewed",
                    "activityId",
                )
            same = (
                row["approve"] == decision.approve
                and row["keterangan_approve"] == decision.note
                and row["approved_by"] == decision.reviewer_nip
            )
            if not same:
                raise decided_otherwise(f"the review of activity {decision.activity_id}")
            return
        await tx.execute(
            SET_REVIEW, decision.activity_id, decision.approve, decision.note, decision.reviewer_nip
        )
