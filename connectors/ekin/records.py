"""e-kin rows as normalised domain records (English names, enums, aware datetimes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from connectors.domain import ActivityKind, EmploymentType, Gender, PositionKind, ReviewStatus


@dataclass(frozen=True, slots=True)
class Unit:
    id: int
    name: str
    abbreviation: str | None
    parent_id: int | None
    active: bool


@dataclass(frozen=True, slots=True)
class Position:
    id: int
    name: str
    kind: PositionKind
    grade: int
    unit_id: int
    supervisor_position_id: int | None


@dataclass(frozen=True, slots=True)
class Person:
    nip: str
    name: str
    gender: Gender
    birth_date: date
    employment_type: EmploymentType
    rank: str | None
    unit_id: int
    position_id: int
    active: bool


@dataclass(frozen=True, slots=True)
class Activity:
    id: int
    nip: str
    kind: ActivityKind
    starts_at: datetime
    ends_at: datetime
    description: str
    output: str | None
    volume: int | None
    minutes: int
    status: ReviewStatus
    review_note: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    logged_at: datetime | None = None  # read only where events need it


@dataclass(frozen=True, slots=True)
class MonthlyScore:
    nip: str
    period: str
    score: Decimal
    work_minutes: int
    effective_minutes: int
    allowance_percent: int | None


@dataclass(frozen=True, slots=True)
class ExpectedAllowance:
    """What the allowance rule says an employee should be paid for a period."""

    nip: str
    period: str
    basis: Decimal
    percent: int
    expected: Decimal


@dataclass(frozen=True, slots=True)
class UnitsPerformance:
    headcount: int
    average_score: Decimal | None
    below_sixty: int
    approved_minutes: int
    pending_activities: int


@dataclass(frozen=True, slots=True)
class VisibleRows:
    """The employees a caller may list: those of these units, holding these positions, or
    with these NIPs. The gateway's access policy decides; the SQL applies it."""

    unit_ids: tuple[int, ...] = ()
    position_ids: tuple[int, ...] = ()
    nips: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonFilter:
    """Narrows an employee list; None means no condition."""

    name_contains: str | None = None
    rank: str | None = None
    employment_type: EmploymentType | None = None
    active: bool | None = None
    visible: VisibleRows | None = None


@dataclass(frozen=True, slots=True)
class NewActivity:
    """An activity to log, already checked for shape by the gateway."""

    nip: str
    kind: ActivityKind
    starts_at: datetime
    ends_at: datetime
    description: str
    output: str | None = None
    volume: int | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Review:
    """A supervisor's decision on an activity. `reviewer_nip` is None only for an
    administrator's client that is no employee (e-kin allows an empty approved_by)."""

    activity_id: int
    approve: bool
    note: str | None
    reviewer_nip: str | None
