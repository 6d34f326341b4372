"""e-kin rows as normalised domain records (English names, enums, aware datetimes)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from connectors.domain import ActivityKind, EmploymentType, Gender, PositionKind, ReviewStatus
from connectors.stats import Summary

T = TypeVar("T")


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
    """What the allowance rule says an employee should be paid for a period, and where the
    employee stands (unit, employment type, position kind), for statistics that group
    the reconciliation by them."""

    nip: str
    period: str
    basis: Decimal
    percent: int
    expected: Decimal
    unit_id: int
    employment_type: EmploymentType
    position_kind: PositionKind


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
    """Narrows an employee list. None means no condition; every condition given holds.
    An empty tuple of values matches nobody; `none_of` matches everybody its filter does
    not (null-safe: an employee without a rank is not matched by `rank_in`); `any_of`
    matches everybody one of its filters matches (empty: nobody). `visible`, the
    caller's row rule, applies at the top only."""

    name_contains: str | None = None
    rank: str | None = None
    employment_type: EmploymentType | None = None
    active: bool | None = None
    visible: VisibleRows | None = None
    unit_ids: tuple[int, ...] | None = None
    rank_in: tuple[str, ...] | None = None
    employment_type_in: tuple[EmploymentType, ...] | None = None
    none_of: PersonFilter | None = None
    any_of: tuple[PersonFilter, ...] | None = None


class EmployeeOrderBy(enum.Enum):
    """Orderings of employee lists; ties are broken by NIP in the direction of the last."""

    NAME_ASC = "NAME_ASC"  # pegawai.nama, without titles
    NAME_DESC = "NAME_DESC"
    NIP_ASC = "NIP_ASC"
    NIP_DESC = "NIP_DESC"
    RANK_ASC = "RANK_ASC"  # up the golongan ladder (I/a .. IV/e, then PPPK V .. XVII)
    RANK_DESC = "RANK_DESC"


class ActivityOrderBy(enum.Enum):
    """Orderings of activity lists; ties are broken by id in the direction of the last."""

    STARTS_AT_ASC = "STARTS_AT_ASC"
    STARTS_AT_DESC = "STARTS_AT_DESC"
    MINUTES_ASC = "MINUTES_ASC"
    MINUTES_DESC = "MINUTES_DESC"


OrderT = TypeVar("OrderT", EmployeeOrderBy, ActivityOrderBy)


def sort_field(order: enum.Enum) -> str:
    """The key an ordering sorts by: NAME of NAME_ASC."""
    return str(order.value).rsplit("_", 1)[0]


def is_descending(order: enum.Enum) -> bool:
    return str(order.value).endswith("_DESC")


def normal_order(
    asked: Sequence[OrderT] | None, default: OrderT, unique_field: str | None = None
) -> tuple[OrderT, ...]:
    """An ordering as it sorts: each key once (a key asked again sorts nothing more, as in
    SQL), nothing after the unique key (it leaves no ties), the default when none is
    asked. Two orderings that sort alike normalise alike, so their cursors are the same."""
    kept: list[OrderT] = []
    for order in asked or (default,):
        if any(sort_field(k) == sort_field(order) for k in kept):
            continue
        kept.append(order)
        if sort_field(order) == unique_field:
            break
    return tuple(kept)


@dataclass(frozen=True, slots=True)
class Placed(Generic[T]):
    """A record of an ordered list with its position there: its sort values, the record's
    key last. A page after it starts after this position."""

    item: T
    position: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    """Narrows an activity list. `starts_from`..`starts_before` (WIB midnights) is the window
    the activity starts in; the rest as in `PersonFilter`, on the activity and its owner."""

    starts_from: datetime | None = None
    starts_before: datetime | None = None
    unit_ids: tuple[int, ...] | None = None  # the owner's unit
    nips: tuple[str, ...] | None = None  # the owner
    statuses: tuple[ReviewStatus, ...] | None = None
    kinds: tuple[ActivityKind, ...] | None = None
    none_of: ActivityFilter | None = None
    any_of: tuple[ActivityFilter, ...] | None = None
    visible: VisibleRows | None = None  # of the owner; at the top only


@dataclass(frozen=True, slots=True)
class OwnedActivity:
    """An activity with where its owner works, which decides who may see it."""

    activity: Activity
    owner_unit_id: int
    owner_position_id: int


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


@dataclass(frozen=True, slots=True)
class ActivityStatsKey:
    """What a group of activities shares: the dimensions asked for, None elsewhere. With
    DEPARTMENT asked, `department_code` None is the group of the units the department map
    does not name."""

    department_code: str | None = None  # as the caller's department map names it
    unit_id: int | None = None  # the owner's unit
    nip: str | None = None  # the owner
    kind: ActivityKind | None = None
    status: ReviewStatus | None = None
    started: str | None = None  # a time bucket's label


@dataclass(frozen=True, slots=True)
class ActivityStatsGroup:
    key: ActivityStatsKey
    count: int
    minutes: Summary


@dataclass(frozen=True, slots=True)
class EmployeeStatsKey:
    """What a group of employees shares: the dimensions asked for, None elsewhere (and
    None for a unit the department map does not name, or an employee without golongan)."""

    department_code: str | None = None
    unit_id: int | None = None
    employment_type: EmploymentType | None = None
    rank: str | None = None
    position_kind: PositionKind | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class EmployeeStatsGroup:
    key: EmployeeStatsKey
    count: int
