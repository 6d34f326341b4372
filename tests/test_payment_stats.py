"""paymentRequestStats against SQL written here over the legacy tables: every dimension,
every bucket, the measures, order and cut, the filter, who may ask, and the pools."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg
import pytest

from connectors.nip import try_normalise_nip
from tests.conftest import Gateway, token
from tests.test_analytics_pools import Sent

# Each request as the contract sees it, derived here from the legacy rows on their own.
REQUESTS = """
select s.id, s.tahun, s.kode_skpd, s.jenis, s.jenis_ls, s.nilai, s.nip_bendahara,
       s.id_anggaran, a.kode_rekening, s.tgl_spp, d.tgl_sp2d, d.nilai_bersih,
       case when d.id is not null then 'DISBURSED'
            when m.status_spm = 3 then 'ORDER_REJECTED'
            when m.id is not null then 'ORDER_ISSUED'
            when s.status = 0 then 'DRAFT' when s.status = 1 then 'SUBMITTED'
            when s.status = 2 then 'VERIFIED' else 'REJECTED' end as contract_status
from spp s
left join spm m on m.id_spp = s.id
left join sp2d d on d.id_spm = m.id
left join anggaran a on a.id = s.id_anggaran
"""

LS_KINDS = {"GAJI": "SALARY", "TPP": "ALLOWANCE", "BARANG_JASA": "GOODS_SERVICES"}


def label(moment: dt.datetime | None, bucket: str) -> str | None:
    if moment is None:
        return None
    if bucket == "DAY":
        return moment.strftime("%Y-%m-%d")
    if bucket == "WEEK":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    if bucket == "QUARTER":
        return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"
    if bucket == "YEAR":
        return str(moment.year)
    return moment.strftime("%Y-%m")


def key_of(row: Any, dimension: str, bucket: str) -> Any:
    """The key a request has in a dimension, as the API prints it."""
    return {
        "DEPARTMENT": (row["tahun"], row["kode_skpd"][:18] + "0000"),
        "FISCAL_YEAR": row["tahun"],
        "TYPE": row["jenis"],
        "LS_KIND": LS_KINDS.get(row["jenis_ls"]),
        "STATUS": row["contract_status"],
        "TREASURER": try_normalise_nip(row["nip_bendahara"]),
        "BUDGET_LINE": str(row["id_anggaran"]) if row["id_anggaran"] else None,
        "ACCOUNT": row["kode_rekening"],
        "REQUESTED": label(row["tgl_spp"], bucket),
        "DISBURSED": label(row["tgl_sp2d"], bucket),
    }[dimension]


KEY_SELECTION = {
    "DEPARTMENT": "department { fiscalYear code }",
    "FISCAL_YEAR": "fiscalYear",
    "TYPE": "type",
    "LS_KIND": "lsKind",
    "STATUS": "status",
    "TREASURER": "treasurerNip",
    "BUDGET_LINE": "budgetLine { id }",
    "ACCOUNT": "account",
    "REQUESTED": "requested",
    "DISBURSED": "disbursed",
}


def printed_key(key: dict[str, Any], dimension: str) -> Any:
    value = {
        "DEPARTMENT": key.get("department"),
        "FISCAL_YEAR": key.get("fiscalYear"),
        "TYPE": key.get("type"),
        "LS_KIND": key.get("lsKind"),
        "STATUS": key.get("status"),
        "TREASURER": key.get("treasurerNip"),
        "BUDGET_LINE": key.get("budgetLine"),
        "ACCOUNT": key.get("account"),
        "REQUESTED": key.get("requested"),
        "DISBURSED": key.get("disbursed"),
    }[dimension]
    if dimension == "DEPARTMENT" and value is not None:
        return (value["fiscalYear"], value["code"])
    if dimension == "BUDGET_LINE" and value is not None:
        return value["id"]
    return value


def money(values: list[Decimal]) -> dict[str, str | None]:
    if not values:
        return {"sum": "0.00", "avg": None, "min": None, "max": None}
    average = (sum(values) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {
        "sum": f"{sum(values):.2f}",
        "avg": f"{average:.2f}",
        "min": f"{min(values):.2f}",
        "max": f"{max(values):.2f}",
    }


async def stats(gateway: Gateway, arguments: str, key: str) -> dict[str, Any]:
    arguments = f"({arguments})" if arguments else ""
    body = await gateway.data(
        f"{{ paymentRequestStats{arguments} {{"
        " total { count amount { sum avg min max } disbursedNet { sum avg min max } }"
        f" groups {{ key {{ {key} }} count amount {{ sum avg min max }}"
        " disbursedNet { sum avg min max } } } }"
    )
    result: dict[str, Any] = body["paymentRequestStats"]
    return result


@pytest.mark.parametrize(
    ("dimensions", "bucket"),
    [
        (["DEPARTMENT"], "MONTH"),
        (["FISCAL_YEAR", "TYPE"], "MONTH"),
        (["LS_KIND", "STATUS"], "MONTH"),
        (["TREASURER"], "MONTH"),
        (["BUDGET_LINE"], "MONTH"),
        (["ACCOUNT"], "MONTH"),
        (["DEPARTMENT", "DISBURSED"], "MONTH"),
        (["REQUESTED"], "DAY"),
        (["REQUESTED"], "WEEK"),
        (["DISBURSED"], "QUARTER"),
        (["REQUESTED", "STATUS"], "YEAR"),
    ],
)
async def test_every_group_equals_sql_over_the_legacy_tables(
    gateway: Gateway, sppspm_sql: asyncpg.Connection, dimensions: list[str], bucket: str
) -> None:
    rows = await sppspm_sql.fetch(REQUESTS)
    expected: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in rows:
        expected[tuple(key_of(row, d, bucket) for d in dimensions)].append(row)
    found = await stats(
        gateway,
        f"groupBy: [{', '.join(dimensions)}], bucket: {bucket}, first: 10000",
        " ".join(KEY_SELECTION[d] for d in dimensions),
    )
    groups = {tuple(printed_key(g["key"], d) for d in dimensions): g for g in found["groups"]}
    assert set(groups) == set(expected)
    for key, members in expected.items():
        group = groups[key]
        assert group["count"] == len(members), key
        assert group["amount"] == money([r["nilai"] for r in members]), key
        assert group["disbursedNet"] == money([r["nilai_bersih"] or Decimal(0) for r in members])
    assert found["total"]["count"] == len(rows)
    assert found["total"]["amount"] == money([r["nilai"] for r in rows])


async def test_groups_are_ordered_and_cut_the_total_is_everything(gateway: Gateway) -> None:
    everything = await stats(gateway, "groupBy: [TREASURER], first: 10000", "treasurerNip")
    by_sum = sorted(
        everything["groups"],
        key=lambda g: (-Decimal(g["amount"]["sum"]), g["key"]["treasurerNip"] or "~"),
    )
    top = await stats(
        gateway, "groupBy: [TREASURER], orderBy: [SUM_DESC], first: 3", "treasurerNip"
    )
    assert top["groups"] == by_sum[:3]
    assert top["total"] == everything["total"]
    by_count = await stats(gateway, "groupBy: [STATUS], orderBy: [COUNT_ASC, KEY_DESC]", "status")
    pairs = [(g["count"], g["key"]["status"]) for g in by_count["groups"]]
    assert pairs == sorted(pairs, key=lambda p: (p[0], [-ord(c) for c in p[1]]))
    none = await stats(gateway, "groupBy: [STATUS], first: 0", "status")
    assert none["groups"] == [] and none["total"] == everything["total"]


async def test_the_filter_narrows_both_groups_and_total(
    gateway: Gateway, sppspm_sql: asyncpg.Connection
) -> None:
    rows = [
        r
        for r in await sppspm_sql.fetch(REQUESTS)
        if r["tahun"] == 2026 and r["contract_status"] in ("REJECTED", "ORDER_REJECTED")
    ]
    found = await stats(
        gateway,
        "filter: {fiscalYear: 2026, statusIn: [REJECTED, ORDER_REJECTED]}, groupBy: [TREASURER]",
        "treasurer { nip }",
    )
    assert found["total"]["count"] == len(rows) > 0
    assert sum(g["count"] for g in found["groups"]) == len(rows)


async def test_clock_states_group_as_the_clock_filter_lists(gateway: Gateway) -> None:
    found = await gateway.data(
        "{ paymentRequestStats(filter: {fiscalYear: 2026}, groupBy: [CLOCK_STATE])"
        " { total { count } groups { key { clockState } count } } }"
    )
    groups = found["paymentRequestStats"]["groups"]
    assert len(groups) > 1
    for group in groups:
        state = group["key"]["clockState"]
        listed = await gateway.data(
            f"{{ paymentRequests(filter: {{fiscalYear: 2026, clockState: {state}}})"
            " { totalCount } }"
        )
        assert listed["paymentRequests"]["totalCount"] == group["count"], state
    assert sum(g["count"] for g in groups) == found["paymentRequestStats"]["total"]["count"]


async def test_without_dimensions_there_is_a_total_and_no_groups(gateway: Gateway) -> None:
    found = await stats(gateway, "", "fiscalYear")
    assert found["groups"] == [] and found["total"]["count"] > 0


async def test_who_may_ask(gateway: Gateway, sppspm_sql: asyncpg.Connection) -> None:
    department = "1.02.0.00.0.00.01.0000"
    system = gateway.as_caller(token("DEPT_SYSTEM", "simda", department))
    own = await stats(system, "groupBy: [DEPARTMENT]", "department { code }")
    assert {g["key"]["department"]["code"] for g in own["groups"]} == {department}
    rows = await sppspm_sql.fetchval(
        "select count(*) from spp where left(kode_skpd, 18) = $1", department[:18]
    )
    assert own["total"]["count"] == rows
    other = await system.query(
        '{ paymentRequestStats(filter: {departmentCode: "1.03.0.00.0.00.01.0000"}) { total { count } } }'
    )
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    staff = await gateway.as_caller(token("STAFF", "199001012020121001")).query(
        "{ paymentRequestStats { total { count } } }"
    )
    assert staff["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for role in ("ANALYST", "FINANCE"):
        answer = await stats(gateway.as_caller(token(role, "198001012005011001")), "", "type")
        assert answer["total"]["count"] > 0


async def test_statistics_read_through_the_analytics_pool_whoever_asks(gateway: Gateway) -> None:
    sent = Sent(gateway)
    await stats(gateway, "groupBy: [TYPE]", "type")  # as ADMIN
    moved = sent.moved()
    assert moved["sppspm"] == 0 and moved["sppspm-analytics"] == 1, moved


async def test_first_beyond_the_limit_is_bad_user_input(gateway: Gateway) -> None:
    body = await gateway.query("{ paymentRequestStats(first: 10001) { total { count } } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
