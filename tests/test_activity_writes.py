"""Activities logged and reviewed through the gateway, checked against e-kin's rows."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from connectors.domain import WIB
from gateway.crosswalk import Crosswalk
from tests.conftest import Databases, Gateway, token
from tests.test_access import people_below

YEAR = 2026

LOG = """
mutation($input: LogActivityInput!) {
  logActivity(input: $input) {
    activity { id kind startsAt endsAt minutes status description employee { nip } }
    errors { code message field }
  }
}
"""

REVIEW = """
mutation($input: ReviewActivityInput!) {
  reviewActivity(input: $input) {
    activity { id status reviewNote reviewedBy { nip } reviewedAt }
    errors { code message field }
  }
}
"""


@dataclass(frozen=True)
class Office:
    dept: str
    head: str  # an employee with people below
    report: str  # someone below the head
    stranger: str  # an employee of another department


@pytest.fixture(scope="module")
async def office(writes_db: Databases, writes_ekin: asyncpg.Connection) -> Office:
    crosswalk = Crosswalk.load(writes_db.crosswalk)
    departments = sorted(
        {code for year, code in crosswalk.codes() if year == YEAR and code.endswith(".0000")}
    )
    dept = departments[0]
    staff = await writes_ekin.fetch(
        "select nip from pegawai where id_skpd = any($1::int[]) and aktif order by nip",
        crosswalk.units_of(YEAR, dept),
    )
    below = await people_below(writes_ekin)
    head = max((r["nip"] for r in staff), key=lambda nip: (len(below[nip]), nip))
    stranger = await writes_ekin.fetchval(
        "select min(nip) from pegawai where id_skpd = any($1::int[])",
        crosswalk.units_of(YEAR, departments[1]),
    )
    return Office(dept, head, below[head][0], stranger)


_next_day = iter(range(1, 10_000))


def free_morning() -> datetime:
    """08:00 WIB on a day no other test of this module uses, far from the seeded data."""
    return datetime(2027, 1, 1, 8, 0, tzinfo=WIB) + timedelta(days=next(_next_day))


def work(nip: str, start: datetime, minutes: int = 90, **extra: Any) -> dict[str, Any]:
    return {
        "nip": nip,
        "kind": "WORK",
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(minutes=minutes)).isoformat(),
        "description": "Menyusun laporan kegiatan",
        "output": "Laporan",
        "volume": 1,
        **extra,
    }


async def mutate(gateway: Gateway, mutation: str, given: dict[str, Any]) -> dict[str, Any]:
    body = await gateway.query(mutation, {"input": given})
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = next(iter(body["data"].values()))
    return payload


def staff(gateway: Gateway, nip: str) -> Gateway:
    return gateway.as_caller(token("STAFF", nip))


async def kinerja_count(sql: asyncpg.Connection) -> tuple[Any, ...]:
    row = await sql.fetchrow(
        "select count(*), count(approve), coalesce(sum(durasi_menit), 0) from kinerja"
    )
    assert row is not None
    return tuple(row)


def codes_of(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_staff_log_their_own_activity_with_its_minutes(
    writes_gateway: Gateway, writes_ekin: asyncpg.Connection, office: Office
) -> None:
    start = free_morning()
    given = work(office.report, start, minutes=95, idempotencyKey="simpeg-log-1")
    del given["nip"]  # defaults to the caller
    payload = await mutate(staff(writes_gateway, office.report), LOG, given)

    assert payload["errors"] == []
    activity = payload["activity"]
    assert (activity["minutes"], activity["status"], activity["employee"]["nip"]) == (
        95,
        "PENDING",
        office.report,
    )
    row = await writes_ekin.fetchrow("select * from kinerja where id = $1", int(activity["id"]))
    assert row is not None
    assert (row["nip"], row["jenis_kinerja"], row["durasi_menit"], row["approve"]) == (
        office.report,
        "kinerja",
        95,
        None,
    )
    assert row["tgl_mulai"] == start
    assert row["tgl_selesai"] == start + timedelta(minutes=95)
    assert row["ref_eksternal"].endswith(":simpeg-log-1")  # the caller's own key


async def test_a_department_system_logs_for_its_staff_only(
    writes_gateway: Gateway, writes_ekin: asyncpg.Connection, office: Office
) -> None:
    system = writes_gateway.as_caller(token("DEPT_SYSTEM", "simpeg", office.dept))
    payload = await mutate(system, LOG, work(office.head, free_morning()))
    assert payload["errors"] == []

    before = await kinerja_count(writes_ekin)
    body = await system.query(LOG, {"input": work(office.stranger, free_morning())})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    body = await staff(writes_gateway, office.report).query(
        LOG, {"input": work(office.head, free_morning())}
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    body = await writes_gateway.as_caller(token("ANALYST", "a")).query(
        LOG, {"input": work(office.head, free_morning())}
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await kinerja_count(writes_ekin) == before


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"minutes": 0}, ("INVALID_PERIOD", "endsAt")),
        ({"minutes": -30}, ("INVALID_PERIOD", "endsAt")),
        ({"minutes": 721}, ("INVALID_PERIOD", "endsAt")),
        ({"description": "  "}, ("INVALID_INPUT", "description")),
        ({"output": "x" * 101}, ("INVALID_INPUT", "output")),
        ({"description": "Rapat\x00"}, ("INVALID_INPUT", "description")),
        ({"description": "Rapat \ud800"}, ("INVALID_INPUT", "description")),
        ({"output": "Lapor\x00an"}, ("INVALID_INPUT", "output")),
        ({"volume": -1}, ("INVALID_INPUT", "volume")),
        ({"idempotencyKey": "k" * 65}, ("INVALID_INPUT", "idempotencyKey")),
        ({"idempotencyKey": "k\x00"}, ("INVALID_INPUT", "idempotencyKey")),
        ({"nip": "199001012020121999"}, ("UNKNOWN_EMPLOYEE", "nip")),
    ],
)
async def test_a_refused_activity_says_why_and_writes_nothing(
    writes_gateway: Gateway,
    writes_ekin: asyncpg.Connection,
    office: Office,
    change: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    minutes = change.pop("minutes", 60)
    given = {**work(office.report, free_morning(), minutes=minutes), **change}
    before = await kinerja_count(writes_ekin)
    payload = await mutate(writes_gateway, LOG, given)  # as ADMIN
    assert payload["activity"] is None
    assert codes_of(payload) == [expected]
    assert await kinerja_count(writes_ekin) == before


async def test_an_activity_may_not_overlap_another_of_the_same_person(
    writes_gateway: Gateway, writes_ekin: asyncpg.Connection, office: Office
) -> None:
    start = free_morning()
    assert (await mutate(writes_gateway, LOG, work(office.report, start)))["errors"] == []
    before = await kinerja_count(writes_ekin)
    overlapping = work(office.report, start + timedelta(minutes=89), minutes=30)
    assert codes_of(await mutate(writes_gateway, LOG, overlapping)) == [
        ("OVERLAPPING_ACTIVITY", "startsAt")
    ]
    assert await kinerja_count(writes_ekin) == before
    adjacent = work(office.report, start + timedelta(minutes=90), minutes=30)
    assert (await mutate(writes_gateway, LOG, adjacent))["errors"] == []
    someone_else = work(office.head, start)
    assert (await mutate(writes_gateway, LOG, someone_else))["errors"] == []


async def test_concurrent_overlapping_activities_of_one_person_admit_one(
    writes_gateway: Gateway, writes_ekin: asyncpg.Connection, office: Office
) -> None:
    start = free_morning()
    answers = await asyncio.gather(
        *(
            mutate(writes_gateway, LOG, work(office.head, start + timedelta(minutes=i)))
            for i in range(10)
        )
    )
    assert sum(not a["errors"] for a in answers) == 1
    rows = await writes_ekin.fetchval(
        "select count(*) from kinerja where nip = $1 and tgl_mulai >= $2 and tgl_mulai < $3",
        office.head,
        start,
        start + timedelta(hours=3),
    )
    assert rows == 1


async def test_a_logged_activity_is_idempotent_by_its_key(
    writes_gateway: Gateway, writes_ekin: asyncpg.Connection, office: Office
) -> None:
    given = work(office.report, free_morning(), idempotencyKey="simpeg-log-repeat")
    first = await mutate(writes_gateway, LOG, given)
    before = await kinerja_count(writes_ekin)
    assert await mutate(writes_gateway, LOG, given) == first
    conflict = await mutate(writes_gateway, LOG, {**given, "description": "Rapat"})
    assert codes_of(conflict) == [("IDEMPOTENCY_CONFLICT", "idempotencyKey")]
    assert await kinerja_count(writes_ekin) == before


async def test_a_supervisor_reviews_an_activity_of_someone_below(
    writes_gateway: Gateway, writes_ekin: asyncpg.Connection, office: Office
) -> None:
    logged = await mutate(writes_gateway, LOG, work(office.report, free_morning()))
    activity_id = logged["activity"]["id"]
    head = staff(writes_gateway, office.head)

    no_note = await mutate(head, REVIEW, {"activityId": activity_id, "approve": False})
    assert codes_of(no_note) == [("REASON_REQUIRED", "note")]

    reviewed = await mutate(
        head, REVIEW, {"activityId": activity_id, "approve": True, "note": "Baik"}
    )
    assert reviewed["errors"] == []
    assert reviewed["activity"]["status"] == "APPROVED"
    assert reviewed["activity"]["reviewedBy"] == {"nip": office.head}
    row = await writes_ekin.fetchrow(
        "select approve, keterangan_approve, approved_by, approved_at from kinerja where id = $1",
        int(activity_id),
    )
    assert row is not None
    assert (row["approve"], row["keterangan_approve"], row["approved_by"]) == (
        True,
        "Baik",
        office.head,
    )
    assert row["approved_at"] is not None

    again = await mutate(head, REVIEW, {"activityId": activity_id, "approve": False, "note": "x"})
    assert codes_of(again) == [("INVALID_TRANSITION", "activityId")]


async def test_only_the_supervisor_chain_reviews(
    writes_gateway: Gateway, writes_ekin: asyncpg.Connection, office: Office
) -> None:
    logged = await mutate(writes_gateway, LOG, work(office.head, free_morning()))
    activity_id = logged["activity"]["id"]
    for caller in (
        staff(writes_gateway, office.report),  # below, not above
        staff(writes_gateway, office.head),  # their own
        writes_gateway.as_caller(token("DEPT_SYSTEM", "simpeg", office.dept)),
    ):
        body = await caller.query(REVIEW, {"input": {"activityId": activity_id, "approve": True}})
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    approve = await writes_ekin.fetchval(
        "select approve from kinerja where id = $1", int(activity_id)
    )
    assert approve is None


@pytest.mark.parametrize("activity_id", ["987654321", "abc", "9" * 30, "\u0661"])
async def test_an_unknown_activity_is_a_user_error(
    writes_gateway: Gateway, activity_id: str
) -> None:
    payload = await mutate(writes_gateway, REVIEW, {"activityId": activity_id, "approve": True})
    assert codes_of(payload) == [("UNKNOWN_ACTIVITY", "activityId")]
    assert activity_id in payload["errors"][0]["message"]


async def test_whom_a_caller_may_not_write_for_cannot_be_told_from_nobody(
    writes_gateway: Gateway, writes_ekin: asyncpg.Connection, office: Office
) -> None:
    system = writes_gateway.as_caller(token("DEPT_SYSTEM", "simpeg", office.dept))
    stranger = await system.query(LOG, {"input": work(office.stranger, free_morning())})
    nobody = await system.query(LOG, {"input": work("199001012020121999", free_morning())})
    messages = [
        [e["message"].replace(n, "NIP") for e in b["errors"]]
        for b, n in ((stranger, office.stranger), (nobody, "199001012020121999"))
    ]
    assert messages[0] == messages[1]
    assert [e["extensions"]["code"] for e in nobody["errors"]] == ["FORBIDDEN"]

    report = staff(writes_gateway, office.report)
    theirs = await mutate(writes_gateway, LOG, work(office.stranger, free_morning()))
    other_review = await report.query(
        REVIEW, {"input": {"activityId": theirs["activity"]["id"], "approve": True}}
    )
    no_review = await report.query(REVIEW, {"input": {"activityId": "987654321", "approve": True}})
    assert other_review["errors"] == no_review["errors"]


@pytest.mark.parametrize(
    "starts_at", ["2100-12-31T20:00:00-12:00", "2000-01-01T00:00:00+14:00", "2026-10-01T08:00:00"]
)
async def test_a_moment_outside_the_calendar_or_without_offset_is_refused(
    writes_gateway: Gateway, writes_ekin: asyncpg.Connection, office: Office, starts_at: str
) -> None:
    before = await kinerja_count(writes_ekin)
    given = {**work(office.report, free_morning()), "startsAt": starts_at}
    body = await writes_gateway.query(LOG, {"input": given})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert await kinerja_count(writes_ekin) == before
