"""Activity and employee statistics as one statement each: the rows a filter matches
(the lists' own conditions, `queries.activity_condition` and `queries.person_condition`),
grouped by the dimensions asked for (`connectors.stats`).

Each dimension is a column under the contract's meaning. An enum key (kind, status,
position kind) is grouped under the domain's name, so that KEY orders groups as the client
reads them; a rank orders up the golongan ladder (`queries.RANK_ORDER`), then by its text.
A department is not e-kin's to know: the caller passes a map of unit ids to department
codes (the crosswalk of one fiscal year), joined in the statement on the employee's unit
(`unnest($n::int[], $m::text[])`); a unit the map does not name groups as a null
department."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connectors.domain import ActivityDimension, EmployeeDimension
from connectors.ekin.queries import (
    RANK_ORDER,
    Built,
    activity_condition,
    asks_about_owner,
    person_condition,
)
from connectors.ekin.records import ActivityFilter, PersonFilter
from connectors.sql import Params
from connectors.stats import Kind, Measure, StatsOrderBy, TimeBucket, bucket_label, grouped

ACTIVITY_MEASURES = (Measure("minutes", Kind.WHOLE),)
"""Of each group of activities: their durations (`durasi_menit`)."""

EMPLOYEE_MEASURES: tuple[Measure, ...] = ()
"""Employees are counted; SUM orders by the count."""

REVIEW_STATUS = (
    "case when k.approve then 'APPROVED' when not k.approve then 'REJECTED' else 'PENDING' end"
)
"""e-kin's approve column as the review status (legacy-systems.md: null is pending)."""

STARTED_WIB = "(k.tgl_mulai at time zone interval '+07:00')"
"""When an activity starts, as a WIB clock time (tgl_mulai is a timestamptz). WIB is UTC+7
without daylight saving (`connectors.domain.WIB`): a fixed offset spares a zone lookup per
row, a quarter of the statement for a city's month (510,000 activities: ~150 ms of 600)."""


def _domain_names(column: str, names: Mapping[str, str]) -> str:
    """`column`'s legacy codes as the domain names them (`names`: code -> name); the
    connector's own words, never the client's."""
    cases = " ".join(f"when '{code}' then '{name}'" for code, name in sorted(names.items()))
    return f"(case {column} {cases} end)"


def _department_join(departments: Mapping[int, str], params: Params) -> str:
    units = params.add(list(departments), "int[]")
    codes = params.add(list(departments.values()), "text[]")
    return (
        f" left join unnest({units}, {codes}) as dep(unit_id, department_code)"
        " on dep.unit_id = p.id_skpd"
    )


def activity_key_columns(
    dimension: ActivityDimension, bucket: TimeBucket, kinds: Mapping[str, str]
) -> dict[str, str]:
    """The key columns of a dimension (name: SQL on k, its owner p and the map dep).
    `kinds`: each jenis_kinerja's ActivityKind name."""
    match dimension:
        case ActivityDimension.DEPARTMENT:
            return {"department_code": "dep.department_code"}
        case ActivityDimension.UNIT:
            return {"unit_id": "p.id_skpd"}
        case ActivityDimension.EMPLOYEE:
            return {"nip": "k.nip"}
        case ActivityDimension.KIND:
            return {"kind": _domain_names("k.jenis_kinerja", kinds)}
        case ActivityDimension.STATUS:
            return {"status": REVIEW_STATUS}
        case ActivityDimension.STARTED:
            return {"started": bucket_label(STARTED_WIB, bucket)}


def activity_stats(
    activity_filter: ActivityFilter,
    kind_codes: dict[str, str],
    dimensions: Sequence[ActivityDimension],
    bucket: TimeBucket,
    order: Sequence[StatsOrderBy],
    first: int,
    departments: Mapping[int, str],
) -> tuple[Built, list[str]]:
    """The statement over the activities the filter matches, and the names of its key
    columns in order. `kind_codes`: each ActivityKind's jenis_kinerja (as the list takes
    it); `departments`: unit id -> department code, for DEPARTMENT. The owner is joined
    only when a condition or a dimension asks about them (kinerja.nip is a foreign key
    that is never null, so the join drops no activity)."""
    params = Params()
    kinds = {code: name for name, code in kind_codes.items()}
    columns: dict[str, str] = {}
    for dimension in dimensions:
        columns.update(activity_key_columns(dimension, bucket, kinds))
    owner_dimensions = {ActivityDimension.UNIT, ActivityDimension.DEPARTMENT}
    joins = ""
    if asks_about_owner(activity_filter) or owner_dimensions & set(dimensions):
        joins = " join pegawai p on p.nip = k.nip"
    if ActivityDimension.DEPARTMENT in dimensions:
        joins += _department_join(departments, params)
    where = activity_condition(activity_filter, params, kind_codes)
    selected = ", ".join([f"{sql} as {name}" for name, sql in columns.items()])
    matched = f"select {selected + ', ' if selected else ''}k.durasi_menit as minutes"
    matched += f" from kinerja k{joins} where {where}"
    keys = list(columns)
    sql = grouped(matched, keys, ACTIVITY_MEASURES, "minutes", order, first, params)
    return Built.of(sql, params), keys


def employee_key_columns(
    dimension: EmployeeDimension, position_kinds: Mapping[str, str]
) -> dict[str, str]:
    """The key columns of a dimension (name: SQL on p, its position j and the map dep).
    `position_kinds`: each jabatan.jenis's PositionKind name."""
    match dimension:
        case EmployeeDimension.DEPARTMENT:
            return {"department_code": "dep.department_code"}
        case EmployeeDimension.UNIT:
            return {"unit_id": "p.id_skpd"}
        case EmployeeDimension.EMPLOYMENT_TYPE:
            return {"employment_type": "p.status_kepegawaian"}
        case EmployeeDimension.RANK:
            # up the ladder first: the ladder is a function of the golongan, so grouping
            # by both makes the same groups as by the golongan alone
            return {"rank_order": RANK_ORDER, "rank": "p.golongan"}
        case EmployeeDimension.POSITION_KIND:
            return {"position_kind": _domain_names("j.jenis", position_kinds)}
        case EmployeeDimension.ACTIVE:
            return {"active": "p.aktif"}


def employee_stats(
    person_filter: PersonFilter,
    position_kinds: Mapping[str, str],
    dimensions: Sequence[EmployeeDimension],
    order: Sequence[StatsOrderBy],
    first: int,
    departments: Mapping[int, str],
) -> tuple[Built, list[str]]:
    """The statement over the employees the filter matches, and the names of its key
    columns in order (`rank_order` among them, for ordering only). `departments` as in
    `activity_stats`."""
    params = Params()
    columns: dict[str, str] = {}
    for dimension in dimensions:
        columns.update(employee_key_columns(dimension, position_kinds))
    joins = ""
    if EmployeeDimension.POSITION_KIND in dimensions:
        joins += " join jabatan j on j.id = p.id_jabatan"  # a foreign key, never null
    if EmployeeDimension.DEPARTMENT in dimensions:
        joins += _department_join(departments, params)
    where = person_condition(person_filter, params)
    selected = ", ".join(f"{sql} as {name}" for name, sql in columns.items())
    matched = f"select {selected or 'p.nip'} from pegawai p{joins} where {where}"
    keys = list(columns)
    sql = grouped(matched, keys, EMPLOYEE_MEASURES, None, order, first, params)
    return Built.of(sql, params), keys
