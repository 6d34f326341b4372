"""The SQL e-kin is asked, kept in one place. Every statement takes a whole batch.

e-kin's NIP columns (`pegawai.nip`, `kinerja.nip`, `kinerja.approved_by`,
`skp_bulanan.nip`) are `char(18)`. A NIP parameter is therefore `bpchar` (`$1::bpchar[]`):
compared with `text`, PostgreSQL casts the column instead and cannot use its index
(tests/test_index_use.py keeps it so).

The lists clients filter and order (employees, activities) are built from parts
(`connectors.sql`, `connectors.keyset`): the text comes from here, the values travel as
parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from connectors.ekin.records import (
    ActivityFilter,
    ActivityOrderBy,
    EmployeeOrderBy,
    PersonFilter,
    VisibleRows,
    is_descending,
    sort_field,
)
from connectors.keyset import SortKey, after, order_by
from connectors.sql import FALSE, TRUE, Params, all_of, any_of, negated

PERSON_COLUMNS = """
    p.nip, p.nama, p.gelar_depan, p.gelar_belakang, p.jns_kel, p.tanggal_lahir,
    p.status_kepegawaian, p.golongan, p.id_skpd, p.id_jabatan, p.aktif
"""

UNITS_BY_ID = """
select id, nama_skpd, singkatan, induk_id, aktif from skpd where id = any($1::int[])
"""

ALL_UNITS = "select id, nama_skpd, singkatan, induk_id, aktif from skpd order by id"

POSITIONS_BY_ID = """
select id, nama_jabatan, jenis, kelas_jabatan, id_skpd, id_atasan
from jabatan where id = any($1::int[])
"""

PEOPLE_BY_NIP = f"select {PERSON_COLUMNS} from pegawai p where p.nip = any($1::bpchar[])"

KNOWN_NIPS = "select nip from pegawai where nip = any($1::bpchar[])"

ALL_NIPS = "select nip, status_kepegawaian from pegawai"

# The nearest position up the chain that somebody active holds: a vacant supervisor
# position passes the review to the one above it. The chain is walked to its top
# first (a few levels), then joined once with the holders.
SUPERVISORS = f"""
with recursive chain as (
    select j.id as origin, j.id_atasan as position_id, 1 as depth
    from jabatan j where j.id = any($1::int[]) and j.id_atasan is not null
  union all
    select c.origin, j.id_atasan, c.depth + 1
    from chain c join jabatan j on j.id = c.position_id
    where j.id_atasan is not null and c.depth < 32
)
select distinct on (c.origin) c.origin, {PERSON_COLUMNS}
from chain c join pegawai p on p.id_jabatan = c.position_id and p.aktif
order by c.origin, c.depth, p.nip
"""

# jabatan has no index on id_atasan: the positions meet it as a set (a hash), not as
# `= any($1)`, which a generic plan compares row by row with each position.
SUBORDINATES = f"""
select j.id_atasan as origin, {PERSON_COLUMNS}
from jabatan j join pegawai p on p.id_jabatan = j.id
where j.id_atasan in (select unnest($1::int[]))
order by j.id_atasan, p.nip
"""


# -- employee lists: built from the filter and ordering a client composes (connectors.sql) --

# The golongan ladder as a number: the roman numeral times ten plus the letter (II/a 21,
# IV/e 45; PPPK grades have no letter: V 50, IX 90); null for what is no golongan.
_NUMERALS = "{I,II,III,IV,V,VI,VII,VIII,IX,X,XI,XII,XIII,XIV,XV,XVI,XVII}"
RANK_ORDER = f"""(array_position('{_NUMERALS}'::text[], split_part(p.golongan, '/', 1)) * 10
    + coalesce(array_position('{{a,b,c,d,e}}'::text[], split_part(p.golongan, '/', 2)), 0))"""

PERSON_SORT: dict[str, tuple[str, str, bool]] = {
    # key: (expression, cast of its cursor value, nullable)
    "NAME": ("p.nama", "text", False),
    "NIP": ("p.nip", "bpchar", False),
    "RANK": (RANK_ORDER, "int", True),
}


def person_sort_keys(order: Sequence[EmployeeOrderBy]) -> list[SortKey]:
    """The sort keys of a normalised ordering, the NIP last (in the last key's direction)."""
    keys = []
    for o in order:
        expression, cast, nullable = PERSON_SORT[sort_field(o)]
        keys.append(SortKey(expression, is_descending(o), cast, nullable))
    if not order or sort_field(order[-1]) != "NIP":
        keys.append(SortKey("p.nip", keys[-1].descending if keys else False, "bpchar"))
    return keys


def visible_condition(visible: VisibleRows | None, params: Params) -> str:
    """The caller's row rule: employees of these units, positions or NIPs (None: all)."""
    if visible is None:
        return TRUE
    parts = []
    if visible.unit_ids:
        parts.append(f"p.id_skpd = any({params.add(list(visible.unit_ids), 'int[]')})")
    if visible.position_ids:
        parts.append(f"p.id_jabatan = any({params.add(list(visible.position_ids), 'int[]')})")
    if visible.nips:
        parts.append(f"p.nip = any({params.add(list(visible.nips), 'bpchar[]')})")
    return any_of(parts)


def _in(expression: str, values: Sequence[Any] | None, cast: str, params: Params) -> str:
    """`expression` is one of the values; no values: false (an empty list matches nothing)."""
    if values is None:
        return TRUE
    if not values:
        return FALSE
    return f"{expression} = any({params.add(list(values), cast + '[]')})"


def person_condition(f: PersonFilter, params: Params) -> str:
    """The condition of a PersonFilter on `pegawai p`, its values added to `params` (the
    row rule `visible` too when the filter carries one)."""
    parts = [visible_condition(f.visible, params)]
    if f.name_contains is not None:
        parts.append(f"strpos(lower(p.nama), lower({params.add(f.name_contains, 'text')})) > 0")
    if f.rank is not None:
        parts.append(f"p.golongan = {params.add(f.rank, 'text')}")
    if f.employment_type is not None:
        parts.append(f"p.status_kepegawaian = {params.add(f.employment_type.value, 'text')}")
    if f.active is not None:
        parts.append(f"p.aktif = {params.add(f.active, 'bool')}")
    parts.append(_in("p.id_skpd", f.unit_ids, "int", params))
    parts.append(_in("p.golongan", f.rank_in, "text", params))
    kinds = None if f.employment_type_in is None else [t.value for t in f.employment_type_in]
    parts.append(_in("p.status_kepegawaian", kinds, "text", params))
    if f.none_of is not None:
        parts.append(negated(person_condition(f.none_of, params)))
    if f.any_of is not None:
        parts.append(any_of([person_condition(g, params) for g in f.any_of]))
    return all_of(parts)


def _sort_columns(keys: Sequence[SortKey]) -> str:
    """The sort values of each row, read back as its position: sort_0, sort_1, ..."""
    return ", ".join(f"{key.expression} as sort_{i}" for i, key in enumerate(keys))


@dataclass(frozen=True, slots=True)
class Built:
    """A statement built from parts, with its parameters' values."""

    sql: str
    args: list[Any]

    @classmethod
    def of(cls, sql: str, params: Params) -> Built:
        return cls(sql, list(params.values))


def people_page(
    person_filter: PersonFilter,
    order: Sequence[EmployeeOrderBy],
    position: Sequence[Any] | None,
    rows: int,
) -> Built:
    """`rows` employees of the whole city in an ordering, after a position."""
    keys = person_sort_keys(order)
    params = Params()
    where = all_of(
        [
            person_condition(person_filter, params),
            after(keys, position, params) if position is not None else TRUE,
        ]
    )
    sql = f"""
select {PERSON_COLUMNS}, {_sort_columns(keys)}
from pegawai p
where {where}
order by {order_by(keys)}
limit {params.add(rows, "int")}"""
    return Built.of(sql, params)


def people_count(person_filter: PersonFilter) -> Built:
    """How many employees of the whole city match."""
    params = Params()
    where = person_condition(person_filter, params)
    return Built.of(f"select count(*) as total from pegawai p where {where}", params)


def grouped_people_page(
    grp: list[int],
    unit_ids: list[int],
    person_filter: PersonFilter,
    order: Sequence[EmployeeOrderBy],
    position: Sequence[Any] | None,
    rows: int,
) -> Built:
    """`rows` employees per group of units (parallel arrays `grp`, `unit_ids`) in an
    ordering, after a position, in one statement."""
    keys = person_sort_keys(order)
    params = Params()
    groups = f"{params.add(grp, 'int[]')}, {params.add(unit_ids, 'int[]')}"
    where = all_of(
        [
            person_condition(person_filter, params),
            after(keys, position, params) if position is not None else TRUE,
        ]
    )
    sql = f"""
select t.* from (
    select s.grp, {PERSON_COLUMNS}, {_sort_columns(keys)},
           row_number() over (partition by s.grp order by {order_by(keys)}) as rn
    from unnest({groups}) as s(grp, unit_id)
    join pegawai p on p.id_skpd = s.unit_id
    where {where}
) t
where t.rn <= {params.add(rows, "int")}
order by t.grp, t.rn"""
    return Built.of(sql, params)


def grouped_people_count(grp: list[int], unit_ids: list[int], person_filter: PersonFilter) -> Built:
    """How many employees match, per group of units."""
    params = Params()
    groups = f"{params.add(grp, 'int[]')}, {params.add(unit_ids, 'int[]')}"
    where = person_condition(person_filter, params)
    sql = f"""
select s.grp, count(*) as total
from unnest({groups}) as s(grp, unit_id)
join pegawai p on p.id_skpd = s.unit_id
where {where}
group by s.grp"""
    return Built.of(sql, params)


# Every position below an employee's, down the id_atasan chain (`union` stops cycles).
POSITIONS_BELOW = """
with recursive below as (
    select j.id from jabatan j
    where j.id_atasan = (select id_jabatan from pegawai where nip = $1)
  union
    select j.id from jabatan j join below b on j.id_atasan = b.id
)
select id from below
"""

ACTIVITY_COLUMNS = """
    id, nip, tgl_mulai, tgl_selesai, jenis_kinerja, rincian_kinerja, output, volume,
    durasi_menit, approve, keterangan_approve, approved_by, approved_at
"""

# $1 nips, $2 from (inclusive), $3 to (exclusive), $4 approve state filter applies,
# $5 the approve value (null = pending).
ACTIVITIES = f"""
select {ACTIVITY_COLUMNS}
from kinerja
where nip = any($1::bpchar[]) and tgl_mulai >= $2 and tgl_mulai < $3
  and (not $4::bool or approve is not distinct from $5::bool)
order by nip, tgl_mulai, id
"""

ACTIVITIES_BY_ID = f"select {ACTIVITY_COLUMNS} from kinerja where id = any($1::bigint[])"

# -- the activity list: a time window, conditions on the activity and its owner -----------

OWNED_ACTIVITY_COLUMNS = (
    ", ".join(f"k.{c.strip()}" for c in ACTIVITY_COLUMNS.split(","))
    + ", p.id_skpd as owner_unit_id, p.id_jabatan as owner_position_id"
)

ACTIVITY_SORT: dict[str, tuple[str, str]] = {
    # key: (expression, cast of its cursor value); neither column is nullable
    "STARTS_AT": ("k.tgl_mulai", "timestamptz"),
    "MINUTES": ("k.durasi_menit", "int"),
}

# e-kin's approve column of each review status (legacy-systems.md)
_APPROVED = {"APPROVED": True, "REJECTED": False}


def activity_sort_keys(order: Sequence[ActivityOrderBy]) -> list[SortKey]:
    """The sort keys of a normalised ordering, kinerja.id last (in the last key's direction)."""
    keys = []
    for o in order:
        expression, cast = ACTIVITY_SORT[sort_field(o)]
        keys.append(SortKey(expression, is_descending(o), cast))
    keys.append(SortKey("k.id", keys[-1].descending if keys else False, "bigint"))
    return keys


def activity_condition(f: ActivityFilter, params: Params, kinds: dict[str, str]) -> str:
    """The condition of an ActivityFilter on `kinerja k join pegawai p` (owner). `kinds`
    maps each activity kind to e-kin's jenis_kinerja."""
    parts = [visible_condition(f.visible, params)]
    if f.starts_from is not None:
        parts.append(f"k.tgl_mulai >= {params.add(f.starts_from, 'timestamptz')}")
    if f.starts_before is not None:
        parts.append(f"k.tgl_mulai < {params.add(f.starts_before, 'timestamptz')}")
    parts.append(_in("p.id_skpd", f.unit_ids, "int", params))
    # k.nip, not p.nip: the index on kinerja (nip, tgl_mulai) serves it
    parts.append(_in("k.nip", f.nips, "bpchar", params))
    if f.statuses is not None:
        states = {s.value for s in f.statuses}
        approved = [_APPROVED[s] for s in sorted(states) if s in _APPROVED]
        parts.append(
            any_of(
                (["k.approve is null"] if "PENDING" in states else [])
                + ([f"k.approve = any({params.add(approved, 'bool[]')})"] if approved else [])
            )
        )
    codes = None if f.kinds is None else sorted({kinds[k.value] for k in f.kinds})
    parts.append(_in("k.jenis_kinerja", codes, "text", params))
    if f.none_of is not None:
        parts.append(negated(activity_condition(f.none_of, params, kinds)))
    if f.any_of is not None:
        parts.append(any_of([activity_condition(g, params, kinds) for g in f.any_of]))
    return all_of(parts)


def asks_about_owner(f: ActivityFilter) -> bool:
    """Whether a condition of the filter is on the owner's row (`pegawai p`)."""
    nested = ([f.none_of] if f.none_of else []) + list(f.any_of or ())
    return f.visible is not None or f.unit_ids is not None or any(map(asks_about_owner, nested))


def activity_page(
    activity_filter: ActivityFilter,
    kinds: dict[str, str],
    order: Sequence[ActivityOrderBy],
    position: Sequence[Any] | None,
    rows: int,
) -> Built:
    """`rows` activities in an ordering, after a position, with their owners' unit and
    position. The window is the main condition: with an NIP the index on
    kinerja (nip, tgl_mulai) reaches the rows; with units, the owners are found first and
    each one's window read through that index. The page is chosen on narrow rows (the
    sort values and the id) and only its rows are read whole: sorting a city's month of
    whole rows costs three times as much."""
    keys = activity_sort_keys(order)
    params = Params()
    where = all_of(
        [
            activity_condition(activity_filter, params, kinds),
            after(keys, position, params) if position is not None else TRUE,
        ]
    )
    owner = " join pegawai p on p.nip = k.nip" if asks_about_owner(activity_filter) else ""
    chosen = [replace(key, expression=f"page.sort_{i}") for i, key in enumerate(keys)]
    sql = f"""
with page as (
    select k.id, {_sort_columns(keys)}
    from kinerja k{owner}
    where {where}
    order by {order_by(keys)}
    limit {params.add(rows, "int")}
)
select {OWNED_ACTIVITY_COLUMNS}, {", ".join(f"page.sort_{i}" for i in range(len(keys)))}
from page join kinerja k on k.id = page.id join pegawai p on p.nip = k.nip
order by {order_by(chosen)}"""
    return Built.of(sql, params)


def activity_count(activity_filter: ActivityFilter, kinds: dict[str, str]) -> Built:
    """How many activities match. The owner is joined only when a condition asks about it
    (kinerja.nip is a foreign key that is never null, so the join drops no activity)."""
    params = Params()
    where = activity_condition(activity_filter, params, kinds)
    owner = " join pegawai p on p.nip = k.nip" if asks_about_owner(activity_filter) else ""
    sql = f"select count(*) as total from kinerja k{owner} where {where}"
    return Built.of(sql, params)


# Band lookup per the allowance rule: the newest table in force on the first day of
# the period, and within it the largest lower bound not above the score.
MONTHLY_SCORES = """
select s.nip, s.periode, s.nilai_skp, s.menit_kinerja, s.menit_efektif,
       (select t.persen from tpp_persentase t
         where t.tgl_berlaku = (select max(tgl_berlaku) from tpp_persentase
                                where tgl_berlaku <= $3::date)
           and t.batas_bawah <= s.nilai_skp
         order by t.batas_bawah desc limit 1) as persen
from skp_bulanan s
where s.nip = any($1::bpchar[]) and s.periode = $2
"""


def _expected_allowances(selection: str) -> str:
    """The allowance rule's inputs for the employees `selection` picks, one row per
    employee and period: $1 the periods, $2 their first days (parallel arrays). The basis
    of each class and the bands of the table in force (each band from its lower bound up
    to the next one's) are worked out once per period, not per row: a year of the city is
    150,000 rows."""
    return f"""
with periods as (
    select u.periode, u.first_day,
           (select max(tgl_berlaku) from tpp_persentase where tgl_berlaku <= u.first_day)
             as bands_from
    from unnest($1::text[], $2::date[]) as u(periode, first_day)
), bases as (
    select distinct on (per.periode, b.kelas_jabatan) per.periode, b.kelas_jabatan, b.nilai
    from periods per join tpp_basis b on b.tgl_berlaku <= per.first_day
    order by per.periode, b.kelas_jabatan, b.tgl_berlaku desc
), bands as (
    select per.periode, t.batas_bawah as low, t.persen,
           lead(t.batas_bawah) over (partition by per.periode order by t.batas_bawah) as high
    from periods per join tpp_persentase t on t.tgl_berlaku = per.bands_from
)
select per.periode, p.nip, p.aktif, p.id_skpd, p.status_kepegawaian, j.jenis, s.nilai_skp,
       b.nilai as basis, t.persen
from periods per
cross join pegawai p
join jabatan j on j.id = p.id_jabatan
left join bases b on b.periode = per.periode and b.kelas_jabatan = j.kelas_jabatan
left join skp_bulanan s on s.nip = p.nip and s.periode = per.periode
left join bands t on t.periode = per.periode and s.nilai_skp >= t.low
                 and (t.high is null or s.nilai_skp < t.high)
where {selection}
"""


# $3 NIPs, $4 unit ids (null: any unit). A statement of its own rather than "$3 is null
# or ...": PostgreSQL cannot use an index for such a disjunction in the generic plan it
# switches to after five runs, and for a batch of NIPs it does switch.
EXPECTED_ALLOWANCES_OF_PEOPLE = _expected_allowances(
    "p.nip = any($3::bpchar[]) and ($4::int[] is null or p.id_skpd = any($4::int[]))"
)

# $3 unit ids (null: everybody).
EXPECTED_ALLOWANCES_OF_UNITS = _expected_allowances(
    "($3::int[] is null or p.id_skpd = any($3::int[]))"
)

# $1 group keys, $2 unit ids (parallel), $3 period, $4 month start, $5 next month start.
UNITS_PERFORMANCE = """
with scope as (
    select s.grp, p.nip
    from unnest($1::int[], $2::int[]) as s(grp, unit_id)
    join pegawai p on p.id_skpd = s.unit_id and p.aktif
),
scores as (
    select sc.grp, count(*) as headcount, avg(k.nilai_skp) as average_score,
           count(*) filter (where k.nilai_skp < 60) as below_sixty
    from scope sc left join skp_bulanan k on k.nip = sc.nip and k.periode = $3
    group by sc.grp
),
work as (
    select sc.grp,
           coalesce(sum(a.durasi_menit) filter (where a.approve), 0) as approved_minutes,
           count(a.id) filter (where a.approve is null) as pending_activities
    from scope sc
    join kinerja a on a.nip = sc.nip and a.tgl_mulai >= $4 and a.tgl_mulai < $5
    group by sc.grp
)
select g.grp, coalesce(s.headcount, 0) as headcount, s.average_score,
       coalesce(s.below_sixty, 0) as below_sixty,
       coalesce(w.approved_minutes, 0) as approved_minutes,
       coalesce(w.pending_activities, 0) as pending_activities
from (select distinct unnest($1::int[]) as grp) g
left join scores s on s.grp = g.grp
left join work w on w.grp = g.grp
"""
