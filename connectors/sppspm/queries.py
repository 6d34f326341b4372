"""The SQL sppspm is asked, kept in one place. Every statement takes a whole batch.

A department is an OPD-level finance code; it includes its sub-unit codes, which share
the first 18 characters ('1.03.0.00.0.00.01.'), so scopes match on that prefix.
"""

from connectors.domain import PaymentOrderBy

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


def _request_scope(by_department: bool) -> str:
    """FROM and WHERE shared by pages and counts.

    $1 group numbers, $2 code prefixes, $3 fiscal years (parallel arrays), $4 fiscal year
    filter, $5 status, $6 type, $7 requested from, $8 requested before, $9 min, $10 max
    amount, $11 only these ids (null: any). With `by_department` every group has a prefix
    and a year, so the groups join the requests by equality (a hash join); otherwise one
    group may leave either open.
    """
    join = (
        f"left(s.kode_skpd, {PREFIX_LENGTH}) = g.prefix and s.tahun = g.year"
        if by_department
        else f"(g.prefix is null or left(s.kode_skpd, {PREFIX_LENGTH}) = g.prefix)"
        " and (g.year is null or s.tahun = g.year)"
    )
    return f"""
    from unnest($1::int[], $2::text[], $3::int[]) as g(grp, prefix, year)
    join spp s on {join}
    {_REQUEST_JOINS}
    where ($4::int is null or s.tahun = $4)
      and ($5::text is null or ({STATUS_EXPRESSION}) = $5)
      and ($6::text is null or s.jenis = $6)
      and ($7::timestamp is null or s.tgl_spp >= $7)
      and ($8::timestamp is null or s.tgl_spp < $8)
      and ($9::numeric is null or s.nilai >= $9)
      and ($10::numeric is null or s.nilai <= $10)
      and ($11::int[] is null or s.id = any($11::int[]))
"""


_ORDERINGS: dict[PaymentOrderBy, tuple[str, str, str]] = {
    # ordering, keyset condition on ($12 value, $13 id), cast of the cursor value
    PaymentOrderBy.REQUESTED_AT_DESC: ("s.tgl_spp desc, s.id desc", "<", "timestamp"),
    PaymentOrderBy.REQUESTED_AT_ASC: ("s.tgl_spp asc, s.id asc", ">", "timestamp"),
    PaymentOrderBy.AMOUNT_DESC: ("s.nilai desc, s.id desc", "<", "numeric"),
    PaymentOrderBy.AMOUNT_ASC: ("s.nilai asc, s.id asc", ">", "numeric"),
}

_SORT_COLUMN = {"timestamp": "s.tgl_spp", "numeric": "s.nilai"}


def requests_page(order: PaymentOrderBy, by_department: bool) -> str:
    """Pages of payment requests per group in one ordering; $14 is rows per group."""
    ordering, direction, cast = _ORDERINGS[order]
    column = _SORT_COLUMN[cast]
    return f"""
select * from (
    select g.grp, {_REQUEST_COLUMNS},
           row_number() over (partition by g.grp order by {ordering}) as rn
    {_request_scope(by_department)}
      and ($12::{cast} is null or ({column}, s.id) {direction} ($12::{cast}, $13::int))
) t
where rn <= $14
order by grp, rn
"""


REQUESTS_PAGE = {
    (order, by_department): requests_page(order, by_department)
    for order in PaymentOrderBy
    for by_department in (True, False)
}

REQUESTS_COUNT = {
    by_department: f"select g.grp, count(*) as total {_request_scope(by_department)} group by g.grp"
    for by_department in (True, False)
}

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

BUDGET_LINES_BY_ID = f"""
with used as ({_LINE_USE} and s.id_anggaran = any($1::int[]) group by s.id_anggaran)
select a.id, a.tahun, a.kode_skpd, a.kode_sub_kegiatan, a.kode_rekening, a.uraian, a.pagu,
       coalesce(u.committed, 0) as committed, coalesce(u.disbursed, 0) as disbursed
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

# $1-$3 scope arrays, $4 id after which to start, $5 rows per group.
BUDGET_LINES_PAGE = f"""
with scope as (select * from unnest($1::int[], $2::text[], $3::int[]) as g(grp, prefix, year)),
used as ({_LINE_USE} and s.tahun = any($3::int[]) group by s.id_anggaran)
select * from (
    select g.grp, a.id, a.tahun, a.kode_skpd, a.kode_sub_kegiatan, a.kode_rekening, a.uraian,
           a.pagu, coalesce(u.committed, 0) as committed, coalesce(u.disbursed, 0) as disbursed,
           row_number() over (partition by g.grp order by a.id) as rn
    from scope g
    join anggaran a on a.tahun = g.year and left(a.kode_skpd, {PREFIX_LENGTH}) = g.prefix
    left join used u on u.id_anggaran = a.id
    where ($4::int is null or a.id > $4)
) t
where rn <= $5
order by grp, id
"""

BUDGET_LINES_COUNT = f"""
select g.grp, count(a.id) as total
from unnest($1::int[], $2::text[], $3::int[]) as g(grp, prefix, year)
join anggaran a on a.tahun = g.year and left(a.kode_skpd, {PREFIX_LENGTH}) = g.prefix
group by g.grp
"""

# TPP lines of a period with the state of the request that carries them.
ALLOWANCE_LINES = """
select r.nip, r.nilai, s.id as spp_id, s.status, m.status_spm, d.id is not null as disbursed
from tpp_rincian r
join spp s on s.id = r.id_spp
left join spm m on m.id_spp = s.id
left join sp2d d on d.id_spm = m.id
where r.periode = $1 and ($2::text[] is null or r.nip = any($2::text[]))
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
