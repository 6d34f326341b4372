"""Payment-request statistics as one statement: the requests a filter matches, grouped by
the dimensions asked for (`connectors.stats`). Each dimension is a column of sppspm's rows
under the contract's meaning: a department is its OPD-level code in its fiscal year, a
treasurer the NIP's 18 digits, a status the one `STATUS_EXPRESSION` derives."""

from __future__ import annotations

from collections.abc import Sequence

from connectors.domain import PaymentRequestDimension as Dimension
from connectors.sppspm.queries import PREFIX_LENGTH, STATUS_EXPRESSION, Scopes, request_scope
from connectors.sql import Params
from connectors.stats import Kind, Measure, StatsOrderBy, TimeBucket, bucket_label, grouped

MEASURES = (Measure("amount", Kind.MONEY), Measure("disbursed_net", Kind.MONEY))
"""Of each group: the requests' amounts, and their SP2Ds' net amounts (0 without one)."""


def key_columns(dimension: Dimension, bucket: TimeBucket) -> dict[str, str]:
    """The key columns of a dimension (name: SQL on s, m, d, a and the clock states cs)."""
    match dimension:
        case Dimension.DEPARTMENT:
            return {
                "department_year": "s.tahun",
                "department_code": f"left(s.kode_skpd, {PREFIX_LENGTH}) || '0000'",
            }
        case Dimension.FISCAL_YEAR:
            return {"fiscal_year": "s.tahun"}
        case Dimension.TYPE:
            return {"type": "s.jenis"}
        case Dimension.LS_KIND:
            return {"ls_kind": "s.jenis_ls"}
        case Dimension.STATUS:
            return {"status": f"({STATUS_EXPRESSION})"}
        case Dimension.TREASURER:
            return {"treasurer": "regexp_replace(s.nip_bendahara, '[ .]', '', 'g')"}
        case Dimension.BUDGET_LINE:
            return {"budget_line": "s.id_anggaran"}
        case Dimension.ACCOUNT:
            return {"account": "a.kode_rekening"}
        case Dimension.REQUESTED:
            return {"requested": bucket_label("s.tgl_spp", bucket)}
        case Dimension.DISBURSED:
            return {"disbursed": bucket_label("d.tgl_sp2d", bucket)}
        case Dimension.CLOCK_STATE:
            return {"clock_state": "cs.state"}


STATS_PARAMETERS_FROM = 6
"""$1-$3 the scope (as pages take it), $4 and $5 the clock states (ids, states); the
parameters of the condition and the cut follow."""


def request_stats(
    dimensions: Sequence[Dimension],
    bucket: TimeBucket,
    condition: str,
    order: Sequence[StatsOrderBy],
    first: int,
    params: Params,
    scopes: Scopes | bool = False,
) -> tuple[str, list[str]]:
    """The statement, and the names of its key columns in order; `scopes` says which parts
    of its scope the one group gives (`queries.Scopes`)."""
    columns: dict[str, str] = {}
    for dimension in dimensions:
        columns.update(key_columns(dimension, bucket))
    keys = list(columns)
    selected = ", ".join(
        [f"{sql} as {name}" for name, sql in columns.items()]
        + ["s.nilai as amount", "coalesce(d.nilai_bersih, 0) as disbursed_net"]
    )
    joins = (
        "left join anggaran a on a.id = s.id_anggaran"
        " left join unnest($4::int[], $5::text[]) as cs(id, state) on cs.id = s.id"
    )
    matched = f"select {selected} {request_scope(scopes, condition, joins)}"
    return grouped(matched, keys, MEASURES, "amount", order, first, params), keys
