"""The SQL e-kin is asked, kept in one place. Every statement takes a whole batch.

e-kin's NIP columns (`pegawai.nip`, `kinerja.nip`, `kinerja.approved_by`,
`skp_bulanan.nip`) are `char(18)`. A NIP parameter is therefore `bpchar` (`$1::bpchar[]`):
compared with `text`, PostgreSQL casts the column instead and cannot use its index
(tests/test_index_use.py keeps it so).
"""

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

SUBORDINATES = f"""
select j.id_atasan as origin, {PERSON_COLUMNS}
from jabatan j join pegawai p on p.id_jabatan = j.id
where j.id_atasan = any($1::int[])
order by j.id_atasan, p.nip
"""


def _person_conditions(n: int) -> str:
    """The conditions of a PersonFilter, on parameters $n..$n+6: name, rank, employment
    type, active, then the visible units, positions and NIPs (a null unit array: all)."""
    return f"""(${n}::text is null or strpos(lower(p.nama), lower(${n})) > 0)
      and (${n + 1}::text is null or p.golongan = ${n + 1})
      and (${n + 2}::text is null or p.status_kepegawaian = ${n + 2})
      and (${n + 3}::bool is null or p.aktif = ${n + 3})
      and (${n + 4}::int[] is null or p.id_skpd = any(${n + 4}::int[])
           or p.id_jabatan = any(${n + 5}::int[]) or p.nip = any(${n + 6}::bpchar[]))"""


# $1 group keys, $2 unit ids (parallel arrays), $3-$9 the filter, $10 nip after which to
# start, $11 rows per group.
PEOPLE_PAGE = f"""
select grp, {PERSON_COLUMNS.replace("p.", "t.")}
from (
    select s.grp, p.*, row_number() over (partition by s.grp order by p.nip) as rn
    from unnest($1::int[], $2::int[]) as s(grp, unit_id)
    join pegawai p on p.id_skpd = s.unit_id
    where {_person_conditions(3)}
      and ($10::bpchar is null or p.nip > $10)
) t
where rn <= $11
order by grp, nip
"""

PEOPLE_COUNT = f"""
select s.grp, count(*) as total
from unnest($1::int[], $2::int[]) as s(grp, unit_id)
join pegawai p on p.id_skpd = s.unit_id
where {_person_conditions(3)}
group by s.grp
"""

# $1-$7 the filter, $8 nip after which to start, $9 rows.
ALL_PEOPLE_PAGE = f"""
select 0 as grp, {PERSON_COLUMNS}
from pegawai p
where {_person_conditions(1)}
  and ($8::bpchar is null or p.nip > $8)
order by p.nip
limit $9
"""

ALL_PEOPLE_COUNT = f"""
select 0 as grp, count(*) as total
from pegawai p
where {_person_conditions(1)}
"""

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
    """The allowance rule's inputs for the employees `selection` picks; $1 period, $2 its
    first day."""
    return f"""
select p.nip, p.aktif, s.nilai_skp,
       (select b.nilai from tpp_basis b
         where b.kelas_jabatan = j.kelas_jabatan and b.tgl_berlaku <= $2::date
         order by b.tgl_berlaku desc limit 1) as basis,
       (select t.persen from tpp_persentase t
         where t.tgl_berlaku = (select max(tgl_berlaku) from tpp_persentase
                                where tgl_berlaku <= $2::date)
           and t.batas_bawah <= s.nilai_skp
         order by t.batas_bawah desc limit 1) as persen
from pegawai p
join jabatan j on j.id = p.id_jabatan
left join skp_bulanan s on s.nip = p.nip and s.periode = $1
where {selection}
order by p.nip
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
