"""The status page at / and /status.json, without a browser (tests/test_browser.py looks
at it in Chromium): the figures are serviceLevel's, names from the sources are escaped,
a reading serves visitors for STATUS_TTL_S seconds, and SMARTGATE_STATUS_PAGE=off
takes it away."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import date, datetime
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.breaker import BreakerState
from connectors.domain import WIB
from connectors.source import Health, SourceUnavailable
from gateway import status_page
from gateway.app import create_app
from gateway.health import Readiness
from gateway.settings import Settings, SettingsError
from gateway.status_page import STATUS_TTL_S, DepartmentLevel, Snapshot, StatusPage, render
from gateway.timebound.service_level import ServiceLevelFigures
from tests.conftest import Databases, Gateway, settings_for

FIGURES = """
fragment F on ServiceLevel {
  finished onTime late open breachedOpen onTimeRate medianWorkingDaysToDisbursement
}
query($from: Date!, $to: Date!) {
  serviceLevel(from: $from, to: $to) { ...F }
  departments { code name serviceLevel(from: $from, to: $to) { ...F } }
}
"""


async def test_the_figures_are_those_serviceLevel_answers(gateway: Gateway) -> None:
    response = await gateway.client.get("/status.json")
    assert response.status_code == 200
    body = response.json()
    level = body["serviceLevel"]
    assert level["unavailable"] is None
    today = datetime.now(WIB).date()
    assert date.fromisoformat(level["from"]) == today.replace(day=1)
    assert date.fromisoformat(level["to"]).month == today.month

    asked = await gateway.data(FIGURES, {"from": level["from"], "to": level["to"]})
    assert level["city"] == asked["serviceLevel"]
    assert [{k: v for k, v in d.items()} for d in level["departments"]] == [
        {"code": d["code"], "name": d["name"], **d["serviceLevel"]} for d in asked["departments"]
    ]
    assert body["status"] == "ready"
    assert set(body["sources"]) == set(body["analytics"]) == {"ekin", "sppspm"}
    assert all(s["healthy"] and s["breaker"] == "CLOSED" for s in body["sources"].values())
    assert "error" not in body["sources"]["ekin"]  # error texts may name hosts

    page = (await gateway.client.get("/")).text
    for department in asked["departments"]:
        figures = department["serviceLevel"]
        row = re.search(f'<tr data-code="{re.escape(department["code"])}"[^>]*>(.*?)</tr>', page)
        assert row is not None, department["code"]
        assert f'data-breached-open="{figures["breachedOpen"]}"' in row[0]
        assert unescape(department["name"]) in unescape(row[1])
        rate = figures["onTimeRate"]
        assert ("\u2014" if rate is None else f"{rate * 100:.1f}\xa0%") in unescape(row[1])


async def test_a_reading_serves_every_visitor_for_its_time(gateway: Gateway) -> None:
    services = gateway.services
    await services.calendar.current()  # read once per process, not per view
    pools = [services.ekin, services.sppspm, *services.analytics]
    now = [1000.0]
    page = StatusPage(services, clock=lambda: now[0])

    def sent() -> list[int]:
        return [pool.sent for pool in pools]

    before = sent()
    snapshots = await asyncio.gather(*(page.snapshot() for _ in range(50)))
    # probes: one select 1 per pool; figures: the departments and the month's steps, on
    # sppspm's analytics pool (the city and every department from that one statement)
    assert [a - b for a, b in zip(sent(), before, strict=True)] == [1, 1, 1, 3]
    assert page.readings == 1
    assert all(s is snapshots[0][0] for s, _ in snapshots)

    before = sent()
    now[0] += STATUS_TTL_S - 1
    snap, left = await page.snapshot()
    assert snap is snapshots[0][0] and left == pytest.approx(1)
    assert sent() == before

    now[0] += 2
    fresh, left = await page.snapshot()
    assert fresh is not snapshots[0][0] and left == STATUS_TTL_S
    assert page.readings == 2


async def test_the_answer_says_how_long_it_may_be_kept(gateway: Gateway) -> None:
    response = await gateway.client.get("/")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    max_age = int(response.headers["cache-control"].removeprefix("public, max-age="))
    assert 1 <= max_age <= STATUS_TTL_S
    assert response.headers["content-security-policy"].startswith("default-src 'none';")
    assert f'<meta http-equiv="refresh" content="{STATUS_TTL_S}">' in response.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.text
    # nothing from another host: no script, no external stylesheet, image or font
    assert "<script" not in response.text
    assert not re.search(r"(src|href)=\"(https?:)?//", response.text)


def snapshot_with(name: str, unavailable: str | None = None) -> Snapshot:
    at = datetime(2026, 11, 20, 9, 30, tzinfo=WIB)
    ready = Readiness(
        False,
        [
            Health("ekin", True, 0.8, None, at),
            Health("sppspm", False, None, "<b>refused</b>", at, BreakerState.OPEN),
        ],
    )
    figures = ServiceLevelFigures(date(2026, 11, 1), date(2026, 11, 30), 8, 7, 1, 3, 2, 2.0)
    if unavailable:
        return Snapshot(at, ready, figures.start, figures.end, None, (), unavailable)
    return Snapshot(
        at,
        ready,
        figures.start,
        figures.end,
        figures,
        [DepartmentLevel('1.02.0.00.0.00.01.0000"><script>', name, figures)],
    )


def test_names_from_the_sources_are_escaped() -> None:
    page = render(snapshot_with('Dinas <script>alert("x")</script> & Kesehatan'))
    assert "<script" not in page
    assert "Dinas &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Kesehatan" in page
    assert 'data-code="1.02.0.00.0.00.01.0000&quot;&gt;&lt;script&gt;"' in page
    assert "refused" not in page  # error texts are not shown
    assert 'data-source="sppspm" data-pool="main" data-healthy="false" data-breaker="OPEN"' in page
    assert ">Not ready<" in page
    assert "87.5&nbsp;%" in page  # 7 of 8 on time


async def test_without_sppspm_the_page_still_shows_the_sources(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*args: Any) -> Any:
        raise SourceUnavailable("sppspm", "circuit breaker open")

    monkeypatch.setattr(status_page, "departments", down)
    snap = await status_page.take_snapshot(gateway.services)
    assert (snap.city, snap.unavailable) == (None, "sppspm is not answering")
    page = render(snap)
    assert "Service levels are unavailable: sppspm is not answering." in page
    assert page.count('<tr data-source="') == 4
    assert snap.body()["serviceLevel"]["city"] is None


async def test_off_takes_the_page_away(small_db: Databases, gateway: Gateway) -> None:
    settings = dataclasses.replace(settings_for(small_db), status_page="off")
    app = create_app(settings, gateway.services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        assert (await client.get("/")).status_code == 404
        assert (await client.get("/status.json")).status_code == 404
        assert (await client.get("/healthz")).status_code == 200
    assert app.state.status_page is None


def test_the_setting_is_public_or_off(tmp_path: Path) -> None:
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text("fiscal_year,ekin_unit_id,finance_code\n")
    env = {
        "SMARTGATE_EKIN_DSN": "postgresql:///ekin",
        "SMARTGATE_SPPSPM_DSN": "postgresql:///sppspm",
        "SMARTGATE_CROSSWALK": str(crosswalk),
    }
    assert Settings.from_env(env).status_page == "public"
    assert Settings.from_env({**env, "SMARTGATE_STATUS_PAGE": "OFF"}).status_page == "off"
    with pytest.raises(SettingsError, match="^SMARTGATE_STATUS_PAGE='private' is not one of"):
        Settings.from_env({**env, "SMARTGATE_STATUS_PAGE": "private"})
