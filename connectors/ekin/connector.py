"""e-kin connector: civil servants, positions, activities, monthly scores, allowance rule."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

import asyncpg

from connectors.domain import (
    WIB,
    ActivityDimension,
    ActivityKind,
    EmployeeDimension,
    EmploymentType,
    Gender,
    PositionKind,
    ReviewStatus,
)
from connectors.ekin import queries as q
from connectors.ekin import statistics
from connectors.ekin.records import (
    Activity,
    ActivityFilter,
    ActivityOrderBy,
    ActivityStatsGroup,
    ActivityStatsKey,
    EmployeeOrderBy,
    EmployeeStatsGroup,
    EmployeeStatsKey,
    ExpectedAllowance,
    MonthlyScore,
    OwnedActivity,
    Person,
    PersonFilter,
    Placed,
    Position,
    Unit,
    UnitsPerformance,
)
from connectors.paging import Page, cut
from connectors.source import Source
from connectors.stats import StatsOrderBy, StatsRow, TimeBucket, rows_of

K = TypeVar("K", bound=Hashable)

_EMPLOYMENT_TYPE = {kind.value: kind for kind in EmploymentType}  # a lookup per row of a year
_NOTHING = Decimal(0)
_POSITION_KIND = {
    "STRUKTURAL": PositionKind.STRUCTURAL,
    "FUNGSIONAL": PositionKind.FUNCTIONAL,
    "PELAKSANA": PositionKind.EXECUTIVE,
}
_ACTIVITY_KIND = {
    "kinerja": ActivityKind.WORK,
    "perjalanan_dinas": ActivityKind.OFFICIAL_TRAVEL,
    "cuti": ActivityKind.LEAVE,
    "izin": ActivityKind.PERMIT,
    "sakit": ActivityKind.SICK,
}
_REVIEW = {None: ReviewStatus.PENDING, True: ReviewStatus.APPROVED, False: ReviewStatus.REJECTED}
_APPROVE_OF = {v: k for k, v in _REVIEW.items()}
KINERJA_KIND = {kind: code for code, kind in _ACTIVITY_KIND.items()}
"""e-kin's `jenis_kinerja` of each activity kind."""
_KIND_CODES = {kind.value: code for kind, code in KINERJA_KIND.items()}
POSITION_KIND_NAMES = {code: kind.value for code, kind in _POSITION_KIND.items()}
"""The PositionKind name of each `jabatan.jenis`."""
BY_NIP = (EmployeeOrderBy.NIP_ASC,)


def full_name(front: str | None, name: str, back: str | None) -> str:
    """'Dr. Budi Santoso, S.Kom., M.T.' from e-kin's three name columns."""
    text = f"{front.strip()} {name.strip()}" if front and front.strip() else name.strip()
    return f"{text}, {back.strip()}" if back and back.strip() else text


def period_start(period: str) -> date:
    return date(int(period[:4]), int(period[5:7]), 1)


def next_period_start(period: str) -> date:
    start = period_start(period)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def wib_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), WIB)


_EMPLOYMENT_TYPE = {t.value: t for t in EmploymentType}


def _person(row: Mapping[str, object]) -> Person:
    # positional, and the employment type looked up by its code: a page of a city's staff
    # makes thousands (each way a third faster than a keyword or the enum's own look-up)
    kind = _EMPLOYMENT_TYPE.get(row["status_kepegawaian"])  # type: ignore[call-overload]
    return Person(
        str(row["nip"]),
        full_name(row["gelar_depan"], str(row["nama"]), row["gelar_belakang"]),  # type: ignore[arg-type]
        Gender.MALE if row["jns_kel"] == "laki-laki" else Gender.FEMALE,
        row["tanggal_lahir"],  # type: ignore[arg-type]
        # a code that is no type: the enum's own refusal
        kind if kind is not None else EmploymentType(row["status_kepegawaian"]),
        row["golongan"],  # type: ignore[arg-type]
        row["id_skpd"],  # type: ignore[arg-type]
        row["id_jabatan"],  # type: ignore[arg-type]
        bool(row["aktif"]),
    )


def activity_of(row: asyncpg.Record) -> Activity:
    return Activity(
        id=row["id"],
        nip=row["nip"],
        kind=_ACTIVITY_KIND[row["jenis_kinerja"]],
        starts_at=row["tgl_mulai"],
        ends_at=row["tgl_selesai"],
        description=row["rincian_kinerja"],
        output=row["output"],
        volume=row["volume"],
        minutes=row["durasi_menit"],
        status=_REVIEW[row["approve"]],
        review_note=row["keterangan_approve"],
        reviewed_by=row["approved_by"],
        reviewed_at=row["approved_at"],
        logged_at=row.get("created_at"),
    )


def _unit(row: asyncpg.Record) -> Unit:
    return Unit(row["id"], row["nama_skpd"], row["singkatan"], row["induk_id"], row["aktif"])


def _scope_arrays(groups: Mapping[K, Sequence[int]]) -> tuple[list[int], list[int], list[K]]:
    """Flatten {group: unit ids} into parallel arrays; groups are numbered 0..n-1 in SQL."""
    keys = list(groups)
    grp: list[int] = []
    units: list[int] = []
    for index, key in enumerate(keys):
        for unit_id in groups[key]:
            grp.append(index)
            units.append(unit_id)
    return grp, units, keys


def _placed_people(rows: Sequence[asyncpg.Record], keys: int) -> list[Placed[Person]]:
    return [Placed(_person(r), p) for r, p in zip(rows, _positions(rows, keys), strict=True)]


def _positions(rows: Sequence[asyncpg.Record], keys: int) -> list[tuple[Any, ...]]:
    """Each row's sort values (`sort_0`, `sort_1`, ...), its position in the list: the
    column names made once, not for each row (a page of a city's staff has thousands)."""
    names = [f"sort_{i}" for i in range(keys)]
    return [tuple([row[name] for name in names]) for row in rows]


def _owned_activity(row: asyncpg.Record) -> OwnedActivity:
    return OwnedActivity(activity_of(row), row["owner_unit_id"], row["owner_position_id"])


def _activity_stats_group(row: StatsRow) -> ActivityStatsGroup:
    """A group of activity statistics, its key in the domain's vocabulary (the statement
    names kinds and statuses so already)."""
    keys = dict(zip(row.names, row.keys, strict=True))
    return ActivityStatsGroup(
        ActivityStatsKey(
            department_code=keys.get("department_code"),
            unit_id=keys.get("unit_id"),
            nip=keys.get("nip"),
            kind=ActivityKind(keys["kind"]) if keys.get("kind") else None,
            status=ReviewStatus(keys["status"]) if keys.get("status") else None,
            started=keys.get("started"),
        ),
        row.count,
        row.measures["minutes"],
    )


def _employee_stats_group(row: StatsRow) -> EmployeeStatsGroup:
    """A group of employee statistics, its key in the domain's vocabulary."""
    keys = dict(zip(row.names, row.keys, strict=True))
    kind = keys.get("employment_type")
    position_kind = keys.get("position_kind")
    return EmployeeStatsGroup(
        EmployeeStatsKey(
            department_code=keys.get("department_code"),
            unit_id=keys.get("unit_id"),
            employment_type=EmploymentType(kind) if kind else None,
            rank=keys.get("rank"),
            position_kind=PositionKind(position_kind) if position_kind else None,
            active=keys.get("active"),
        ),
        row.count,
    )


class EkinConnector(Source):
    """Reads the e-kin database. Methods take batches of keys: one statement per call."""

    name = "ekin"

    async def units(self, ids: Sequence[int]) -> dict[int, Unit]:
        """Units (OPDs and sub-units) by e-kin id."""
        rows = await self.fetch(q.UNITS_BY_ID, list(ids))
        return {row["id"]: _unit(row) for row in rows}

    async def all_units(self) -> list[Unit]:
        """Every unit, for reports such as unmapped units."""
        return [_unit(row) for row in await self.fetch(q.ALL_UNITS)]

    async def positions(self, ids: Sequence[int]) -> dict[int, Position]:
        """Positions by id."""
        rows = await self.fetch(q.POSITIONS_BY_ID, list(ids))
        return {
            row["id"]: Position(
                row["id"],
                row["nama_jabatan"],
                _POSITION_KIND[row["jenis"]],
                row["kelas_jabatan"],
                row["id_skpd"],
                row["id_atasan"],
            )
            for row in rows
        }

    async def people(self, nips: Sequence[str]) -> dict[str, Person]:
        """Employees by 18-digit NIP."""
        rows = await self.fetch(q.PEOPLE_BY_NIP, list(nips))
        return {row["nip"]: _person(row) for row in rows}

    async def known_nips(self, nips: Sequence[str]) -> set[str]:
        """Which of these NIPs belong to an e-kin employee."""
        return {row["nip"] for row in await self.fetch(q.KNOWN_NIPS, list(nips))}

    async def all_nips(self) -> list[tuple[str, str]]:
        """(nip, employment type code) of everybody, for data-quality reports."""
        return [(row["nip"], row["status_kepegawaian"]) for row in await self.fetch(q.ALL_NIPS)]

    async def supervisors(self, position_ids: Sequence[int]) -> dict[int, Person]:
        """For each position, the active holder of the nearest occupied position above it."""
        rows = await self.fetch(q.SUPERVISORS, list(position_ids))
        return {row["origin"]: _person(row) for row in rows}

    async def subordinates(self, position_ids: Sequence[int]) -> dict[int, list[Person]]:
        """For each position, the holders of the positions directly below it."""
        rows = await self.fetch(q.SUBORDINATES, list(position_ids))
        result: dict[int, list[Person]] = {}
        for row in rows:
            result.setdefault(row["origin"], []).append(_person(row))
        return result

    async def positions_below(self, nip: str) -> frozenset[int]:
        """Every position below the employee's in the id_atasan chain (empty for unknown)."""
        return frozenset(row["id"] for row in await self.fetch(q.POSITIONS_BELOW, nip))

    async def people_page(
        self,
        person_filter: PersonFilter,
        order: Sequence[EmployeeOrderBy],
        after: Sequence[object] | None,
        first: int,
    ) -> Page[Placed[Person]]:
        """A page of all employees in a normalised ordering, after a position (the sort
        values of the row before, its NIP last)."""
        built = q.people_page(person_filter, order, after, first + 1)
        rows = await self.fetch(built.sql, *built.args)
        return cut(_placed_people(rows, len(q.person_sort_keys(order))), first)

    async def people_count(self, person_filter: PersonFilter) -> int:
        """How many employees match, in the whole city."""
        built = q.people_count(person_filter)
        rows = await self.fetch(built.sql, *built.args)
        return int(rows[0]["total"])

    async def ordered_people_pages(
        self,
        groups: Mapping[K, Sequence[int]],
        person_filter: PersonFilter,
        order: Sequence[EmployeeOrderBy],
        after: Sequence[object] | None,
        first: int,
    ) -> dict[K, Page[Placed[Person]]]:
        """A page of employees per group of units in a normalised ordering, after a
        position, in one statement."""
        grp, units, keys = _scope_arrays(groups)
        built = q.grouped_people_page(grp, units, person_filter, order, after, first + 1)
        rows = await self.fetch(built.sql, *built.args)
        width = len(q.person_sort_keys(order))
        found: dict[int, list[asyncpg.Record]] = {}
        for row in rows:
            found.setdefault(row["grp"], []).append(row)
        return {
            key: cut(_placed_people(found.get(i, []), width), first) for i, key in enumerate(keys)
        }

    async def people_pages(
        self,
        groups: Mapping[K, Sequence[int]],
        person_filter: PersonFilter,
        after: str | None,
        first: int,
    ) -> dict[K, Page[Person]]:
        """A page of employees per group of units, by NIP, after an NIP."""
        pages = await self.ordered_people_pages(
            groups, person_filter, BY_NIP, None if after is None else (after,), first
        )
        return {
            key: Page([placed.item for placed in page.items], page.has_next)
            for key, page in pages.items()
        }

    async def people_counts(
        self, groups: Mapping[K, Sequence[int]], person_filter: PersonFilter
    ) -> dict[K, int]:
        """How many employees match, per group of units."""
        grp, units, keys = _scope_arrays(groups)
        built = q.grouped_people_count(grp, units, person_filter)
        rows = await self.fetch(built.sql, *built.args)
        totals = {row["grp"]: row["total"] for row in rows}
        return {key: int(totals.get(i, 0)) for i, key in enumerate(keys)}

    async def activity_page(
        self,
        activity_filter: ActivityFilter,
        order: Sequence[ActivityOrderBy],
        after: Sequence[object] | None,
        first: int,
    ) -> Page[Placed[OwnedActivity]]:
        """A page of activities in a normalised ordering, after a position (the sort
        values of the row before, its id last), with where each owner works. The filter
        must carry a window: it is what keeps the statement to a part of kinerja."""
        _require_window(activity_filter)
        built = q.activity_page(activity_filter, _KIND_CODES, order, after, first + 1)
        rows = await self.fetch(built.sql, *built.args)
        width = len(q.activity_sort_keys(order))
        positions = _positions(rows, width)
        placed = [Placed(_owned_activity(r), p) for r, p in zip(rows, positions, strict=True)]
        return cut(placed, first)

    async def activity_count(self, activity_filter: ActivityFilter) -> int:
        """How many activities match."""
        _require_window(activity_filter)
        built = q.activity_count(activity_filter, _KIND_CODES)
        rows = await self.fetch(built.sql, *built.args)
        return int(rows[0]["total"])

    async def activity_stats(
        self,
        activity_filter: ActivityFilter,
        dimensions: Sequence[ActivityDimension],
        bucket: TimeBucket,
        order: Sequence[StatsOrderBy],
        first: int,
        departments: Mapping[int, str],
    ) -> tuple[ActivityStatsGroup, list[ActivityStatsGroup]]:
        """Statistics of the activities the filter matches, in one statement: the total,
        and the first `first` groups by `dimensions` in `order`, with the count and the
        minutes of each. STARTED buckets the start in WIB. `departments` maps unit ids to
        department codes for DEPARTMENT (a unit it does not name: department None). The
        filter must carry a window, as the list's does."""
        _require_window(activity_filter)
        built, keys = statistics.activity_stats(
            activity_filter, _KIND_CODES, dimensions, bucket, order, first, departments
        )
        rows = await self.fetch(built.sql, *built.args)
        total, groups = rows_of(rows, keys, statistics.ACTIVITY_MEASURES)
        return _activity_stats_group(total), [_activity_stats_group(g) for g in groups]

    async def employee_stats(
        self,
        person_filter: PersonFilter,
        dimensions: Sequence[EmployeeDimension],
        order: Sequence[StatsOrderBy],
        first: int,
        departments: Mapping[int, str],
    ) -> tuple[EmployeeStatsGroup, list[EmployeeStatsGroup]]:
        """Statistics of the employees the filter matches, in one statement: the total
        and the first `first` groups by `dimensions` in `order` (SUM: the count).
        `departments` as in `activity_stats`."""
        built, keys = statistics.employee_stats(
            person_filter, POSITION_KIND_NAMES, dimensions, order, first, departments
        )
        rows = await self.fetch(built.sql, *built.args)
        total, groups = rows_of(rows, keys, statistics.EMPLOYEE_MEASURES)
        return _employee_stats_group(total), [_employee_stats_group(g) for g in groups]

    async def activities(
        self, nips: Sequence[str], start: date, end: date, status: ReviewStatus | None
    ) -> dict[str, list[Activity]]:
        """Activities starting on the WIB days start..end (inclusive), per NIP."""
        rows = await self.fetch(
            q.ACTIVITIES,
            list(nips),
            wib_midnight(start),
            wib_midnight(date.fromordinal(end.toordinal() + 1)),
            status is not None,
            _APPROVE_OF[status] if status is not None else None,
        )
        result: dict[str, list[Activity]] = {}
        for row in rows:
            result.setdefault(row["nip"], []).append(activity_of(row))
        return result

    async def activities_by_id(self, ids: Sequence[int]) -> dict[int, Activity]:
        """Activities by `kinerja.id`."""
        rows = await self.fetch(q.ACTIVITIES_BY_ID, list(ids))
        return {row["id"]: activity_of(row) for row in rows}

    async def monthly_scores(self, nips: Sequence[str], period: str) -> dict[str, MonthlyScore]:
        """Month-end scores with the allowance share their band pays."""
        rows = await self.fetch(q.MONTHLY_SCORES, list(nips), period, period_start(period))
        return {
            row["nip"]: MonthlyScore(
                row["nip"],
                period,
                row["nilai_skp"],
                row["menit_kinerja"],
                row["menit_efektif"],
                row["persen"],
            )
            for row in rows
        }

    async def expected_allowances(
        self, period: str, nips: Sequence[str] | None = None, unit_ids: Sequence[int] | None = None
    ) -> dict[str, ExpectedAllowance]:
        """The allowance rule for each employee selected by NIP and/or unit."""
        return (await self.expected_allowances_of_periods([period], nips, unit_ids))[period]

    async def expected_allowances_of_periods(
        self,
        periods: Sequence[str],
        nips: Sequence[str] | None = None,
        unit_ids: Sequence[int] | None = None,
    ) -> dict[str, dict[str, ExpectedAllowance]]:
        """The allowance rule for each employee selected by NIP and/or unit (None: every
        employee), for each period, in one statement: period -> NIP -> expectation."""
        units = list(unit_ids) if unit_ids is not None else None
        first_days = [period_start(period) for period in periods]
        if nips is not None:
            rows = await self.fetch(
                q.EXPECTED_ALLOWANCES_OF_PEOPLE, list(periods), first_days, list(nips), units
            )
        else:
            rows = await self.fetch(
                q.EXPECTED_ALLOWANCES_OF_UNITS, list(periods), first_days, units
            )
        result: dict[str, dict[str, ExpectedAllowance]] = {period: {} for period in periods}
        for row in rows:
            period = row["periode"]
            result[period][row["nip"]] = expected_allowance(row, period)
        return result

    async def units_performance(
        self, groups: Mapping[K, Sequence[int]], period: str
    ) -> dict[K, UnitsPerformance]:
        """Headcount, scores and activity minutes of the active staff of each group."""
        grp, units, keys = _scope_arrays(groups)
        rows = await self.fetch(
            q.UNITS_PERFORMANCE,
            grp,
            units,
            period,
            wib_midnight(period_start(period)),
            wib_midnight(next_period_start(period)),
        )
        by_grp = {row["grp"]: row for row in rows}
        empty = UnitsPerformance(0, None, 0, 0, 0)
        result: dict[K, UnitsPerformance] = {}
        for i, key in enumerate(keys):
            row = by_grp.get(i)
            result[key] = (
                UnitsPerformance(
                    row["headcount"],
                    _two_places(row["average_score"]),
                    row["below_sixty"],
                    row["approved_minutes"],
                    row["pending_activities"],
                )
                if row
                else empty
            )
        return result


def _require_window(activity_filter: ActivityFilter) -> None:
    if activity_filter.starts_from is None or activity_filter.starts_before is None:
        raise ValueError("an activity list needs a window of days")


def _two_places(value: Decimal | None) -> Decimal | None:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP) if value is not None else None


def expected_allowance(row: Mapping[str, object], period: str) -> ExpectedAllowance:
    """basis x percent / 100, half-up to whole rupiah; 0 when inactive or unscored."""
    basis = row["basis"] if isinstance(row["basis"], Decimal) else _NOTHING
    scored = row["nilai_skp"] is not None
    percent = int(row["persen"]) if scored and row["persen"] is not None else 0  # type: ignore[call-overload]
    if not row["aktif"] or not scored:
        expected = _NOTHING
    else:
        expected = (basis * percent / 100).quantize(Decimal(1), ROUND_HALF_UP)
    return ExpectedAllowance(
        str(row["nip"]),
        period,
        basis,
        percent,
        expected,
        int(row["id_skpd"]),  # type: ignore[call-overload]
        _EMPLOYMENT_TYPE[str(row["status_kepegawaian"])],
        _POSITION_KIND[str(row["jenis"])],
    )
