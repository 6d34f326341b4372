"""The SQL sppspm is asked, kept in one place. Every statement takes a whole batch.

A department is an OPD-level finance code; it includes its sub-unit codes, which share
the first 18 characters ('1.03.0.00.0.00.01.'), so scopes match on that prefix.

The pool plans every statement with its values (`connectors.source`, plan_cache_mode).
Beyond that, a batch of keys that no index serves meets its table as a set
(`in (select unnest($1))`, a hash), not as `= any($1)`: a custom plan works out the
selectivity of every element of such an array (60 ms of planning for the 7,755 NIP
spellings of a city's dashboard), and a generic plan compares each row with every element.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from connectors.keyset import SortKey, order_by
from connectors.sql import TRUE, all_of

PREFIX_LENGTH = 18

UNITS_BY_KEY = """
select k.tahun, k.kode_skpd, k.nama_skpd
from skpd k join unnest($1::int[], $2::text[]) as w(tahun, kode)
  on k.tahun = w.tahun and k.kode_skpd = w.kode
"""

# One key, the most common batch (a department asked for by its code): the same rows by
# equality, which PostgreSQL plans in a third of the time of a join with unnested arrays
# (planned afresh for every run, see `connectors.source.PLAN_CACHE_MODE`), and runs in a
# quarter.
UNIT_BY_KEY = """
select k.tahun, k.kode_skpd, k.nama_skpd from skpd k where k.tahun = $1 and k.kode_skpd = $2
"""

DEPARTMENTS_OF_YEAR = """
select tahun, kode_skpd, nama_skpd from skpd
where tahun = $1 and right(kode_skpd, 4) = '0000'
order by kode_skpd
"""

ALL_CODES = "select tahun, kode_skpd from skpd"

# $1 NIP spellings (three per person: a dashboard asks for thousands), as a set.
OFFICIALS_BY_NIP = """
select id, tahun, kode_skpd, nip, nama, peran from pejabat
where nip in (select unnest($1::text[])) and ($2::int is null or tahun = $2)
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


class Given(enum.Enum):
    """How many groups of a statement give one part of their scope."""

    EVERY = "every"
    SOME = "some"
    NONE = "none"

    @classmethod
    def of(cls, values: Sequence[object]) -> Given:
        given = [value is not None for value in values]
        return cls.EVERY if all(given) else cls.SOME if any(given) else cls.NONE


@dataclass(frozen=True, slots=True)
class Scopes:
    """Which parts of their scope the groups of a statement give ($2 code prefixes, $3
    fiscal years). A part every group gives joins by equality (a hash join); a part that
    only some give matches where given; a part that none gives is left out of the text.
    Left out rather than written `(g.prefix is null or ...)`: PostgreSQL cannot look into
    the unnested arrays, estimates that such a condition keeps one row where a city-wide
    scope keeps thousands, and joins what follows by nested loops (a city's budget lines
    took half a second so, under a tenth of a second without)."""

    prefixes: Given
    years: Given

    @classmethod
    def of(cls, prefixes: Sequence[str | None], years: Sequence[int | None]) -> Scopes:
        return cls(Given.of(prefixes), Given.of(years))

    @classmethod
    def from_flag(cls, scopes: Scopes | bool) -> Scopes:
        """`True`: every group is a department of a year; `False`: any group may leave
        either part open."""
        if isinstance(scopes, Scopes):
            return scopes
        return DEPARTMENTS if scopes else Scopes(Given.SOME, Given.SOME)

    @property
    def by_department(self) -> bool:
        return self == DEPARTMENTS


DEPARTMENTS = Scopes(Given.EVERY, Given.EVERY)


def _matched(column: str, group_value: str, given: Given) -> str:
    if given is Given.EVERY:
        return f"{column} = {group_value}"
    if given is Given.SOME:
        return f"({group_value} is null or {column} = {group_value})"
    return TRUE


def _scope_join(alias: str, scopes: Scopes | bool) -> str:
    """How the groups ($1 group numbers, $2 code prefixes, $3 fiscal years, parallel
    arrays) meet the rows of `alias` (spp or anggaran), given which parts they give."""
    shape = Scopes.from_flag(scopes)
    return all_of(
        [
            _matched(f"left({alias}.kode_skpd, {PREFIX_LENGTH})", "g.prefix", shape.prefixes),
            _matched(f"{alias}.tahun", "g.year", shape.years),
        ]
    )


PAGE_PARAMETERS_FROM = 5
"""A page statement takes $1-$3 (the groups) and $4 (rows per group); the parameters of its
condition follow."""
COUNT_PARAMETERS_FROM = 4
"""A count statement takes $1-$3 (the groups); the parameters of its condition follow."""


def request_scope(scopes: Scopes | bool, condition: str, joins: str = "") -> str:
    """FROM and WHERE shared by pages, counts and statistics: the requests of each group
    that meet `condition` (on s, m, d; see `connectors.sppspm.filters`), with more `joins`
    when a statement reads more."""
    return f"""
    from unnest($1::int[], $2::text[], $3::int[]) as g(grp, prefix, year)
    join spp s on {_scope_join("s", scopes)}
    {_REQUEST_JOINS}
    {joins}
    where {condition}
"""


_PAGE_READ = f"""
cross join lateral (
    select {_REQUEST_COLUMNS}
    from spp s
    {_REQUEST_JOINS}
    where s.id = t.page_id
    offset 0
) r
"""
"""Each request ranked onto a page (`t.page_id`), read whole with its SPM and SP2D, each
by its unique index (`offset 0` keeps the lateral read from being flattened into a join
of every request ranked)."""


def one_group_requests_page(keys: Sequence[SortKey], condition: str, scopes: Scopes | bool) -> str:
    """`requests_page` for one group: its ids in order up to $4, by a top-N sort of those
    that meet `condition`, and numbered from the array they are gathered in (an array
    made from an ordered subquery keeps its order). Ranking with a window sorts every
    request that meets it: at city scale the 201 newest of a year's 6,838 requests took
    11.7 ms so (median of 20), 9.2 ms this way."""
    return f"""
select ($1::int[])[1] as grp, r.*, t.rn
from unnest(array(
    select s.id
    {request_scope(scopes, condition)}
    order by {order_by(keys)}
    limit $4
)) with ordinality as t(page_id, rn)
{_PAGE_READ}order by t.rn
"""


def requests_page(keys: Sequence[SortKey], condition: str, scopes: Scopes | bool) -> str:
    """Pages of payment requests per group in one statement, sorted by `keys`; $4 is rows
    per group, `condition` (the filter, and where the page starts) has its parameters
    from `PAGE_PARAMETERS_FROM` on.

    The requests are ranked first, by their ids alone, and only those on a page are read
    whole (`_PAGE_READ`). When neither the filter nor the keys name the SPM or SP2D,
    PostgreSQL leaves them out of the ranking (their keys are unique). At city scale, the
    200 newest of a year's 6,838 requests took 25 ms ranked whole, joined and sorted at
    full width; 5 ms so."""
    return f"""
select t.grp, r.*, t.rn
from ({_ranked(keys, condition, scopes)}) t
{_PAGE_READ}where t.rn <= $4
order by t.grp, t.rn
"""


def _ranked(keys: Sequence[SortKey], condition: str, scopes: Scopes | bool) -> str:
    """Each request of each group that meets `condition`, by id, with its rank `rn` in
    its group by `keys` (`requests_page` keeps the first $4 of each)."""
    return f"""
    select g.grp, s.id as page_id,
           row_number() over (partition by g.grp order by {order_by(keys)}) as rn
    {request_scope(scopes, condition)}
"""


def requests_count(condition: str, scopes: Scopes | bool) -> str:
    """How many requests of each group meet `condition` (parameters from
    `COUNT_PARAMETERS_FROM` on)."""
    return f"select g.grp, count(*) as total {request_scope(scopes, condition)} group by g.grp"


# riwayat_status has no index on (dokumen, id_dokumen): it is read once. The requests'
# documents (each SPP, its SPM and SP2D, by kind) are listed once, and a history row is
# kept if its document id is one of theirs: one hashed look-up per row, where testing kind
# and id together (three hashed sets under an OR) cost two and a half, 35% of the time at
# city scale. `is true` keeps the look-up a hashed subplan rather than a join PostgreSQL
# would plan on guesses (a union's columns carry no statistics: it hashed the whole
# history to look the documents up in it). The few rows kept are then matched with their
# document by kind and id. The list is materialised, so it is made once and no part of
# the statement runs in parallel workers (a plan PostgreSQL picked for this from 200
# requests on, twice as slow). City, 200 requests: 30 -> 19 ms; 2,000: 82 -> 66 ms.
# Before that look-up, a row whose document id lies outside the documents' least and
# greatest is dropped by two comparisons, for half the look-up's cost: a page of recent
# requests has recent documents, whose ids lie close together (city, the 200 newest
# requests: the statement 9.0-10.2 -> 5.4-6.3 ms); a page spread over the years prunes
# little and pays two comparisons a row.
def _history(ids: str, before: str = "") -> str:
    """The history of the requests whose ids `ids` gives (see HISTORY), after `before`
    (CTEs of the statement, or nothing)."""
    return f"""
with {before}docs as materialized (
    select 'SPP'::text as kind, s.id, s.id as spp_id from spp s where s.id = any({ids})
    union all
    select 'SPM', m.id, m.id_spp from spm m where m.id_spp = any({ids})
    union all
    select 'SP2D', d.id, m.id_spp
    from spm m join sp2d d on d.id_spm = m.id where m.id_spp = any({ids})
)
select d.spp_id, r.dokumen, r.status_lama, r.status_baru, r.nip, r.waktu, r.catatan
from riwayat_status r
join docs d on d.id = r.id_dokumen and d.kind = r.dokumen
where r.id_dokumen between (select min(id) from docs) and (select max(id) from docs)
  and (r.id_dokumen in (select id from docs)) is true
order by 1, r.waktu, r.id
"""


HISTORY = _history("$1::int[]")


def _page(keys: Sequence[SortKey], condition: str, scopes: Scopes | bool) -> str:
    """A CTE `page` whose one row holds in `ids` the requests on the pages that
    `requests_page` reads with the same parameters, ranked as it ranks them (`_ranked`),
    the row past each page left out (it only tells whether another follows). A statement
    about the pages' requests that finds them so can run at the same time as the pages',
    on another connection, rather than wait for their rows to come back and be read."""
    return f"""page as materialized (select array(
    select t.page_id from ({_ranked(keys, condition, scopes)}) t where t.rn < $4
) as ids),
"""


_PAGE_IDS = "(select ids from page)::int[]"


def requests_page_history(keys: Sequence[SortKey], condition: str, scopes: Scopes | bool) -> str:
    """HISTORY of the requests on pages (`_page`): at city scale (52 departments, 40
    requests each) it no longer waits for the pages, about 50 ms of a 300 ms answer."""
    return _history(_PAGE_IDS, _page(keys, condition, scopes))


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


# spp has no index on id_anggaran: the lines meet it as a set (a hash), not row by row.
def _budget_lines(ids: str, before: str = "") -> str:
    """The budget lines whose ids `ids` gives (see BUDGET_LINES_BY_ID), after `before`
    (CTEs of the statement, or nothing)."""
    return f"""
with {before}used as (
    {_LINE_USE} and s.id_anggaran in (select unnest({ids})) group by s.id_anggaran
)
select {_LINE_COLUMNS}
from anggaran a left join used u on u.id_anggaran = a.id
where a.id = any({ids})
"""


BUDGET_LINES_BY_ID = _budget_lines("$1::int[]")


def requests_page_budget_lines(
    keys: Sequence[SortKey], condition: str, scopes: Scopes | bool
) -> str:
    """BUDGET_LINES_BY_ID of the lines that the requests on pages (`_page`) draw on."""
    lines = f"""lines as materialized (select array(
    select distinct s.id_anggaran from spp s
    where s.id = any({_PAGE_IDS}) and s.id_anggaran is not null
) as ids),
"""
    return _budget_lines("(select ids from lines)::int[]", _page(keys, condition, scopes) + lines)


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


def budget_lines_page(keys: Sequence[SortKey], condition: str, scopes: Scopes | bool) -> str:
    """Pages of budget lines per group in one statement, sorted by `keys` (on a and u);
    $4 is rows per group, `condition` (the filter, and where the page starts) has its
    parameters from `PAGE_PARAMETERS_FROM` on. Departments' lines sum the use of their
    years' requests only."""
    years = "and s.tahun = any($3::int[])" if Scopes.from_flag(scopes).by_department else ""
    return f"""
with used as ({_LINE_USE} {years} group by s.id_anggaran)
select * from (
    select g.grp, {_LINE_COLUMNS},
           row_number() over (partition by g.grp order by {order_by(keys)}) as rn
    from unnest($1::int[], $2::text[], $3::int[]) as g(grp, prefix, year)
    join anggaran a on {_scope_join("a", scopes)}
    left join used u on u.id_anggaran = a.id
    where {condition}
) t
where rn <= $4
order by grp, rn
"""


def budget_lines_count(condition: str, scopes: Scopes | bool) -> str:
    """How many budget lines of each group meet `condition` (on a; parameters from
    `COUNT_PARAMETERS_FROM` on)."""
    return f"""
select g.grp, count(a.id) as total
from unnest($1::int[], $2::text[], $3::int[]) as g(grp, prefix, year)
join anggaran a on {_scope_join("a", scopes)}
where {condition}
group by g.grp
"""


# TPP lines of some periods ($1) with the state and finance unit of the request that
# carries them; $2 NIP spellings (null: everybody's). tpp_rincian has no index on either:
# both meet it as sets. The spellings (three per person, 7,755 for a city's dashboard)
# were `r.nip = any($2)`: PostgreSQL's generic plan compared each line with every
# spelling, a thousand times slower than the plan made with the values; now they are
# hashed once (a hashed subplan, as `$2 is null or` keeps them out of the join tree).
ALLOWANCE_LINES = """
select r.periode, r.nip, r.nilai, s.id as spp_id, s.kode_skpd, s.status, m.status_spm,
       d.id is not null as disbursed
from tpp_rincian r
join spp s on s.id = r.id_spp
left join spm m on m.id_spp = s.id
left join sp2d d on d.id_spm = m.id
where r.periode in (select unnest($1::bpchar[]))
  and ($2::text[] is null or r.nip in (select unnest($2::text[])))
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


def request_steps(condition: str, history_of: str = TRUE) -> str:
    """When each step of the requests matching `condition` (on `s`) happened: submission
    and rejections from riwayat_status, the SPM and SP2D from their own dates.

    riwayat_status has no index on (dokumen, id_dokumen), so the SPP history is grouped
    for every request unless `history_of` (a condition on `s` alone) names a few: then
    only theirs is (as a hashed set). Reading one request's steps took four times as long
    when the whole city's history was grouped for it; for a year or a month of the city
    the narrowing saves nothing and costs its hash."""
    narrowed = (
        ""
        if history_of == TRUE
        else f" and id_dokumen in (select s.id from spp s where {history_of})"
    )
    return f"""
with spp_history as (
    select id_dokumen as id,
           min(waktu) filter (where status_baru = 1) as submitted,
           max(waktu) filter (where status_baru = 3) as rejected
    from riwayat_status where dokumen = 'SPP'{narrowed} group by id_dokumen
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


_BY_ID = "s.id = any($1::int[])"

STEPS_BY_ID = request_steps(_BY_ID, history_of=_BY_ID)

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
