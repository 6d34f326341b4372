"""The SQL sppspm is asked, kept in one place. Every statement takes a whole batch.

A department is an OPD-level finance code; it includes its sub-unit codes, which share
the first 18 characters ('1.03.0.00.0.00.01.'), so scopes match on that prefix.
"""

from collections.abc import Sequence

from connectors.keyset import SortKey, order_by

PREFIX_LENGTH = 18

UNITS_BY_KEY = """
select k.tahun, k.kode_skpd, k.nama_skpd
from skpd k join unnest($1::int[], $2::text[]) as w(tahun, kode)
  on k.tahun = w.tahun and k.kode_skpd = w.kode
"""

DEPARTMENTS_OF_YEAR = """
select tahun, kode_skpd, nama_skpd from skpd
where tahun = $1 and right(kode_skpd, 4) = '0000'
order by kode_skpd
"""

ALL_CODES = "select tahun, kode_skpd from skpd"

OFFICIALS_BY_NIP = """
select id, tahun, kode_skpd, nip, nama, peran from pejabat
where nip = any($1::text[]) and ($2::int is null or tahun = $2)
order by tahun, kode_skpd, peran, id
"""

OFFICIALS_OF_YEAR = """
select id, tahun, kode_skpd, nip, nama, peran from pejabat
where tahun = $1
order by kode_skpd, peran, id
"""

_REQUEST_COLUMNS = """
    s.id, s.nomor_spp, s.tahun, s.kode_skpd, s.jenis, s.jenis_ls, s.id_anggaran, s.nilai,
    s.uraian, s.nip_bendahara, s.tgl_spp, s.status, s.ket_ditolak,
    m.id as spm_id, m.nomor_spm, m.tgl_spm, m.status_spm, m.ket_ditolak as spm_ket_ditolak,
    m.nip_pa, d.id as sp2d_id, d.nomor_sp2d, d.tgl_sp2d, d.nilai_bersih, d.nip_kuasa_bud
"""

_REQUEST_JOINS = """
    left join spm m on m.id_spp = s.id
    left join sp2d d on d.id_spm = m.id
"""

# The contract's status of a payment request, derived from the three documents.
STATUS_EXPRESSION = """
    case when d.id is not null then 'DISBURSED'
         when m.status_spm = 3 then 'ORDER_REJECTED'
         when m.id is not null then 'ORDER_ISSUED'
         else (array['DRAFT','SUBMITTED','VERIFIED','REJECTED'])[s.status + 1] end
"""

REQUESTS_BY_ID = f"""
select {_REQUEST_COLUMNS} from spp s {_REQUEST_JOINS} where s.id = any($1::int[])
"""

REQUESTS_BY_NUMBER = f"""
select {_REQUEST_COLUMNS} from spp s {_REQUEST_JOINS} where s.nomor_spp = any($1::text[])
"""


def _scope_join(alias: str, by_department: bool) -> str:
    """How the groups ($1 group numbers, $2 code prefixes, $3 fiscal years, parallel
    arrays) meet the rows of `alias` (spp or anggaran). With `by_department` every group
    has a prefix and a year, so they join by equality (a hash join); otherwise one group
    may leave either open."""
    if by_department:
        return f"left({alias}.kode_skpd, {PREFIX_LENGTH}) = g.prefix and {alias}.tahun = g.year"
    return (
        f"(g.prefix is null or left({alias}.kode_skpd, {PREFIX_LENGTH}) = g.prefix)"
        f" and (g.year is null or {alias}.tahun = g.year)"
    )


PAGE_PARAMETERS_FROM = 5
"""A page statement takes $1-$3 (the groups) and $4 (rows per group); the parameters of its
condition follow."""
COUNT_PARAMETERS_FROM = 4
"""A count statement takes $1-$3 (the groups); the parameters of its condition follow."""


def request_scope(by_department: bool, condition: str, joins: str = "") -> str:
    """FROM and WHERE shared by pages, counts and statistics: the requests of each group
    that meet `condition` (on s, m, d; see `connectors.sppspm.filters`), with more `joins`
    when a statement reads more."""
    return f"""
    from unnest($1::int[], $2::text[], $3::int[]) as g(grp, prefix, year)
    join spp s on {_scope_join("s", by_department)}
    {_REQUEST_JOINS}
    {joins}
    where {condition}
"""


def requests_page(keys: Sequence[SortKey], condition: str, by_department: bool) -> str:
    """Pages of payment requests per group in one statement, sorted by `keys`; $4 is rows
    per group, `condition` (the filter, and where the page starts) has its parameters
    from `PAGE_PARAMETERS_FROM` on."""
    return f"""
select * from (
    select g.grp, {_REQUEST_COLUMNS},
           row_number() over (partition by g.grp order by {order_by(keys)}) as rn
    {request_scope(by_department, condition)}
) t
where rn <= $4
order by grp, rn
"""


def requests_count(condition: str, by_department: bool) -> str:
    """How many requests of each group meet `condition` (parameters from
    `COUNT_PARAMETERS_FROM` on)."""
    return (
        f"select g.grp, count(*) as total {request_scope(by_department, condition)} group by g.grp"
    )


HISTORY = """
select h.spp_id, r.id, r.dokumen, r.status_lama, r.status_baru, r.nip, r.waktu, r.catatan
from (
    select s.id as spp_id, 'SPP' as dokumen, s.id as id_dokumen
    from spp s where s.id = any($1::int[])
  union all
    select m.id_spp, 'SPM', m.id from spm m where m.id_spp = any($1::int[])
  union all
    select m.id_spp, 'SP2D', d.id from spm m join sp2d d on d.id_spm = m.id
    where m.id_spp = any($1::int[])
) h
join riwayat_status r on r.dokumen = h.dokumen and r.id_dokumen = h.id_dokumen
order by h.spp_id, r.waktu, r.id
"""

# Committed and disbursed per budget line, by the contract's rules.
_LINE_USE = """
    select s.id_anggaran,
           sum(s.nilai) filter (where s.status <> 3
                                  and (m.status_spm is null or m.status_spm <> 3)) as committed,
           sum(s.nilai) filter (where d.id is not null) as disbursed
    from spp s
    left join spm m on m.id_spp = s.id
    left join sp2d d on d.id_spm = m.id
    where s.id_anggaran is not null
"""

# A line's figures from `a` (anggaran) and `u` (its row of _LINE_USE, if any).
COMMITTED = "coalesce(u.committed, 0)"
DISBURSED = "coalesce(u.disbursed, 0)"
ABSORPTION = f"{DISBURSED} / nullif(a.pagu, 0)"
"""Disbursed / ceiling; null for a line whose ceiling is 0."""

_LINE_COLUMNS = f"""
    a.id, a.tahun, a.kode_skpd, a.kode_sub_kegiatan, a.kode_rekening, a.uraian, a.pagu,
    {COMMITTED} as committed, {DISBURSED} as disbursed, {ABSORPTION} as absorption
"""

BUDGET_LINES_BY_ID = f"""
with used as ({_LINE_USE} and s.id_anggaran = any($1::int[]) group by s.id_anggaran)
select {_LINE_COLUMNS}
from anggaran a left join used u on u.id_anggaran = a.id
where a.id = any($1::int[])
"""

# $1 group numbers, $2 prefixes, $3 years (parallel arrays).
BUDGET_TOTALS = f"""
with scope as (select * from unnest($1::int[], $2::text[], $3::int[]) as g(grp, prefix, year)),
used as ({_LINE_USE} and s.tahun = any($3::int[]) group by s.id_anggaran)
select g.grp, coalesce(sum(a.pagu), 0) as ceiling,
       coalesce(sum(u.committed), 0) as committed, coalesce(sum(u.disbursed), 0) as disbursed
from scope g
left join anggaran a on a.tahun = g.year and left(a.kode_skpd, {PREFIX_LENGTH}) = g.prefix
left join used u on u.id_anggaran = a.id
group by g.grp
"""


def budget_lines_page(keys: Sequence[SortKey], condition: str, by_department: bool) -> str:
    """Pages of budget lines per group in one statement, sorted by `keys` (on a and u);
    $4 is rows per group, `condition` (the filter, and where the page starts) has its
    parameters from `PAGE_PARAMETERS_FROM` on. Departments' lines sum the use of their
    years' requests only."""
    years = "and s.tahun = any($3::int[])" if by_department else ""
    return f"""
with used as ({_LINE_USE} {years} group by s.id_anggaran)
select * from (
    select g.grp, {_LINE_COLUMNS},
           row_number() over (partition by g.grp order by {order_by(keys)}) as rn
    from unnest($1::int[], $2::text[], $3::int[]) as g(grp, prefix, year)
    join anggaran a on {_scope_join("a", by_department)}
    left join used u on u.id_anggaran = a.id
    where {condition}
) t
where rn <= $4
order by grp, rn
"""


def budget_lines_count(condition: str, by_department: bool) -> str:
    """How many budget lines of each group meet `condition` (on a; parameters from
    `COUNT_PARAMETERS_FROM` on)."""
    return f"""
select g.grp, count(a.id) as total
from unnest($1::int[], $2::text[], $3::int[]) as g(grp, prefix, year)
join anggaran a on {_scope_join("a", by_department)}
where {condition}
group by g.grp
"""


# TPP lines of some periods ($1) with the state and finance unit of the request that
# carries them; $2 NIP spellings (null: everybody's).
ALLOWANCE_LINES = """
select r.periode, r.nip, r.nilai, s.id as spp_id, s.kode_skpd, s.status, m.status_spm,
       d.id is not null as disbursed
from tpp_rincian r
join spp s on s.id = r.id_spp
left join spm m on m.id_spp = s.id
left join sp2d d on d.id_spm = m.id
where r.periode = any($1::bpchar[]) and ($2::text[] is null or r.nip = any($2::text[]))
order by s.id, r.id
"""

# Every NIP spelling per table, once each, for data-quality reports.
NIP_SPELLINGS = """
select 'pejabat' as tbl, min(id)::text as key, nip from pejabat
where ($1::int is null or tahun = $1) group by nip
union all
select 'tpp_rincian', min(r.id)::text, r.nip from tpp_rincian r join spp s on s.id = r.id_spp
where ($1::int is null or s.tahun = $1) group by r.nip
union all
select 'spp', min(nomor_spp), nip_bendahara from spp
where ($1::int is null or tahun = $1) group by nip_bendahara
"""

# TPP lines hanging on a request that is not an LS-TPP request.
ORPHAN_ALLOWANCE_LINES = """
select r.id, r.id_spp, s.nomor_spp, s.jenis, s.jenis_ls from tpp_rincian r
join spp s on s.id = r.id_spp
where ($1::int is null or s.tahun = $1)
  and not (s.jenis = 'LS' and s.jenis_ls is not distinct from 'TPP')
order by r.id
"""

HOLIDAYS = "select tanggal from hari_libur order by tanggal"


def request_steps(condition: str) -> str:
    """When each step of the requests matching `condition` (on `s`) happened: submission
    and rejections from riwayat_status, the SPM and SP2D from their own dates."""
    return f"""
with spp_history as (
    select id_dokumen as id,
           min(waktu) filter (where status_baru = 1) as submitted,
           max(waktu) filter (where status_baru = 3) as rejected
    from riwayat_status where dokumen = 'SPP' group by id_dokumen
), spm_history as (
    select id_dokumen as id, max(waktu) as rejected
    from riwayat_status where dokumen = 'SPM' and status_baru = 3 group by id_dokumen
)
select s.id, s.kode_skpd, s.tahun, s.status, s.tgl_spp, sh.submitted,
       sh.rejected as spp_rejected, m.id as spm_id, m.tgl_spm, m.status_spm,
       mh.rejected as spm_rejected, d.tgl_sp2d
from spp s
left join spp_history sh on sh.id = s.id
left join spm m on m.id_spp = s.id
left join spm_history mh on mh.id = m.id
left join sp2d d on d.id_spm = m.id
where {condition}
"""


STEPS_BY_ID = request_steps("s.id = any($1::int[])")

STEPS_OF_YEARS = request_steps("s.tahun = any($1::int[])")

STEPS_OF_ALL_YEARS = request_steps("true")

# $1 department code prefixes (null: the whole city), $2 and $3 the WIB clock times
# between which requests were submitted (submission is at or after creation, so
# created_at bounds it from above).
STEPS_SUBMITTED_BETWEEN = request_steps(
    f"($1::text[] is null or left(s.kode_skpd, {PREFIX_LENGTH}) = any($1::text[]))"
    " and s.tgl_spp < $3"
    " and coalesce(sh.submitted, s.tgl_spp) >= $2 and coalesce(sh.submitted, s.tgl_spp) < $3"
    " and (s.status > 0 or m.id is not null)"
)
