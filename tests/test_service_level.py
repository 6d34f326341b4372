"""Service levels and clocks through the gateway, checked against a direct SQL
computation on the seeded data."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from connectors.domain import WIB
from tests.conftest import Gateway, token

# The deadline rules written once more, in SQL, independently of the gateway's Python:
# working days from generate_series minus weekends and hari_libur, numbered in order.
REFERENCE = """
with wd as (
    select d::date as day, row_number() over (order by d) as n
    from generate_series(date '2023-01-01', date '2029-12-31', interval '1 day') as g(d)
    where extract(isodow from d) < 6 and d::date not in (select tanggal from hari_libur)
), submitted as (
    select id_dokumen as id, min(waktu) as at from riwayat_status
    where dokumen = 'SPP' and status_baru = 1 group by id_dokumen
), spp_rejected as (
    select id_dokumen as id, max(waktu) as at from riwayat_status
    where dokumen = 'SPP' and status_baru = 3 group by id_dokumen
), spm_rejected as (
    select id_dokumen as id, max(waktu) as at from riwayat_status
    where dokumen = 'SPM' and status_baru = 3 group by id_dokumen
), req as (
    select s.id, s.status, coalesce(sub.at, s.tgl_spp) as submitted, m.tgl_spm, m.status_spm,
           d.tgl_sp2d, sr.at as spp_rejected_at, mr.at as spm_rejected_at
    from spp s
    left join submitted sub on sub.id = s.id
    left join spm m on m.id_spp = s.id
    left join sp2d d on d.id_spm = m.id
    left join spp_rejected sr on sr.id = s.id
    left join spm_rejected mr on mr.id = m.id
    where (s.status > 0 or m.id is not null)
      and coalesce(sub.at, s.tgl_spp) >= $1 and coalesce(sub.at, s.tgl_spp) < $2
      and ($3::text is null or left(s.kode_skpd, 18) = $3)
), stage as (
    select r.*,
           coalesce(r.tgl_spm, r.submitted) as began,
           case when r.tgl_spm is not null then r.tgl_sp2d is not null or r.status_spm = 3
                else r.status = 3 end as finished,
           case when r.tgl_spm is not null
                then coalesce(r.tgl_sp2d, case when r.status_spm = 3 then r.spm_rejected_at end)
                else case when r.status = 3 then r.spp_rejected_at end end as ended,
           r.tgl_spm is null or (r.tgl_sp2d is null and r.status_spm = 3) as by_rejection
    from req r
), numbered as (
    select st.*,
           (select min(n) from wd where wd.day >= st.began::date) as day0,
           (select min(day) from wd where wd.day >= st.submitted::date) as submitted_day0
    from stage st
), limits as (
    select x.*,
           ((select day from wd where n = x.day0 + 2) + 1)::timestamp as deadline,
           ((select day from wd where n = x.day0 + 1) + 1)::timestamp as rejection_deadline
    from numbered x
)
select count(*) filter (where finished) as finished,
       count(*) filter (where finished and ended <= case when by_rejection
                                                      then rejection_deadline
                                                      else deadline end) as on_time,
       count(*) filter (where not finished) as open,
       count(*) filter (where not finished and $4::timestamp >= deadline) as breached_open,
       percentile_cont(0.5) within group (
           order by (select count(*) from wd
                     where wd.day > l.submitted_day0 and wd.day <= l.tgl_sp2d::date)
       ) filter (where l.tgl_sp2d is not null) as median
from limits l
"""

SERVICE_LEVEL = """
query($from: Date!, $to: Date!, $dept: String) {
  serviceLevel(from: $from, to: $to, departmentCode: $dept) {
    from to finished onTime late open breachedOpen onTimeRate medianWorkingDaysToDisbursement
  }
}
"""


async def reference(
    sql: asyncpg.Connection, start: date, end: date, dept: str | None
) -> dict[str, Any]:
    now = datetime.now(WIB).replace(tzinfo=None)
    row = await sql.fetchrow(
        REFERENCE,
        datetime.combine(start, datetime.min.time()),
        datetime.combine(end + timedelta(days=1), datetime.min.time()),
        dept[:18] if dept else None,
        now,
    )
    assert row is not None
    return dict(row)


@pytest.mark.parametrize(
    ("start", "end", "whole_city"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), True),
        (date(2025, 1, 1), date(2025, 12, 31), True),
        (date(2026, 1, 1), date(2026, 12, 31), False),
        (date(2026, 3, 1), date(2026, 4, 15), True),
    ],
)
async def test_service_level_equals_a_direct_sql_computation(
    gateway: Gateway, sppspm_sql: asyncpg.Connection, start: date, end: date, whole_city: bool
) -> None:
    dept = (
        None
        if whole_city
        else await sppspm_sql.fetchval(
            "select min(kode_skpd) from skpd where tahun = 2026 and kode_skpd like '%.0000'"
        )
    )
    variables = {"from": start.isoformat(), "to": end.isoformat(), "dept": dept}
    figures = (await gateway.data(SERVICE_LEVEL, variables))["serviceLevel"]
    expected = await reference(sppspm_sql, start, end, dept)

    assert expected["finished"] + expected["open"] > 0, "the seed has requests in the period"
    assert figures["finished"] == expected["finished"]
    assert figures["onTime"] == expected["on_time"]
    assert figures["late"] == expected["finished"] - expected["on_time"]
    assert figures["open"] == expected["open"]
    assert figures["breachedOpen"] == expected["breached_open"]
    assert figures["medianWorkingDaysToDisbursement"] == expected["median"]
    if expected["finished"]:
        assert figures["onTimeRate"] == round(expected["on_time"] / expected["finished"], 4)


async def test_a_department_service_level_is_its_part_of_the_city(gateway: Gateway) -> None:
    data = await gateway.data(
        """{ city: serviceLevel(from: "2026-01-01", to: "2026-12-31") { finished open }
             departments(fiscalYear: 2026) {
               serviceLevel(from: "2026-01-01", to: "2026-12-31") { finished open } } }"""
    )
    parts = [d["serviceLevel"] for d in data["departments"]]
    assert sum(p["finished"] for p in parts) == data["city"]["finished"]
    assert sum(p["open"] for p in parts) == data["city"]["open"]


async def test_a_year_of_the_city_costs_one_statement_once_the_calendar_is_read(
    gateway: Gateway,
) -> None:
    variables = {"from": "2025-01-01", "to": "2026-12-31", "dept": None}
    await gateway.data(SERVICE_LEVEL, variables)  # reads the calendar if nobody had
    assert await gateway.counted(SERVICE_LEVEL, variables) == 1
    everyone = """{ departments(fiscalYear: 2026) {
        serviceLevel(from: "2026-01-01", to: "2026-12-31") { open } } }"""
    assert await gateway.counted(everyone) == 2  # the departments, then all their figures
    assert gateway.services.calendar.loads == 1


async def test_the_clock_state_filter_lists_exactly_the_requests_in_that_state(
    gateway: Gateway,
) -> None:
    every = await gateway.data(
        "{ paymentRequests(first: 500, filter: {fiscalYear: 2026}) {"
        " totalCount edges { node { number clock { state } } } } }"
    )
    listed = every["paymentRequests"]
    assert listed["totalCount"] <= 500, "one page holds the small scale's year"
    states: dict[str, set[str]] = {}
    for edge in listed["edges"]:
        states.setdefault(edge["node"]["clock"]["state"], set()).add(edge["node"]["number"])
    assert {"MET", "MISSED"} <= states.keys()
    for state, numbers in states.items():
        filtered = await gateway.data(
            "query($s: ClockState!) { paymentRequests(first: 500,"
            " filter: {fiscalYear: 2026, clockState: $s}) {"
            " totalCount edges { node { number clock { state } } } } }",
            {"s": state},
        )
        page = filtered["paymentRequests"]
        assert page["totalCount"] == len(numbers)
        assert {e["node"]["number"] for e in page["edges"]} == numbers


async def test_a_clock_is_read_with_the_request(gateway: Gateway) -> None:
    data = await gateway.data(
        "{ paymentRequests(first: 20, filter: {status: DISBURSED}) { edges { node {"
        " order { issuedAt } disbursement { issuedAt }"
        " clock { stage state startedAt deadline endedAt workingDaysLeft } } } } }"
    )
    for edge in data["paymentRequests"]["edges"]:
        node = edge["node"]
        clock = node["clock"]
        assert clock["stage"] == "DONE"
        assert clock["state"] in ("MET", "MISSED")
        assert clock["startedAt"] == node["order"]["issuedAt"]
        assert clock["endedAt"] == node["disbursement"]["issuedAt"]
        assert clock["workingDaysLeft"] is None
        assert (clock["state"] == "MET") == (clock["endedAt"] <= clock["deadline"])


async def test_service_levels_are_aggregates_for_their_readers(gateway: Gateway) -> None:
    staff = gateway.as_caller(token("STAFF", "199001012020121001"))
    body = await staff.query(SERVICE_LEVEL, {"from": "2026-01-01", "to": "2026-12-31"})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    wide = await gateway.query(SERVICE_LEVEL, {"from": "2020-01-01", "to": "2026-12-31"})
    assert wide["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_finance_and_a_department_system_read_service_levels(
    gateway: Gateway, sppspm_sql: asyncpg.Connection
) -> None:
    dept = await sppspm_sql.fetchval(
        "select min(kode_skpd) from skpd where tahun = 2026 and kode_skpd like '%.0000'"
    )
    year = {"from": "2026-01-01", "to": "2026-12-31"}
    finance = gateway.as_caller(token("FINANCE", "199001012020121001"))
    assert (await finance.data(SERVICE_LEVEL, year))["serviceLevel"]["finished"] > 0
    system = gateway.as_caller(token("DEPT_SYSTEM", "simda", dept))
    own = (await system.data(SERVICE_LEVEL, year))["serviceLevel"]  # its own department
    named = (await gateway.data(SERVICE_LEVEL, {**year, "dept": dept}))["serviceLevel"]
    assert own == named


async def test_the_clock_state_filter_without_a_year_covers_every_year(gateway: Gateway) -> None:
    query = (
        "query($s: ClockState!, $y: Int) { paymentRequests(first: 1,"
        " filter: {clockState: $s, fiscalYear: $y}) { totalCount } }"
    )
    by_year = [
        (await gateway.data(query, {"s": "MET", "y": year}))["paymentRequests"]["totalCount"]
        for year in (2025, 2026)
    ]
    every = (await gateway.data(query, {"s": "MET"}))["paymentRequests"]["totalCount"]
    assert every == sum(by_year) > 0
