"""The status page at `/` (and its JSON twin `/status.json`), for operators and the public:
each source's health and breaker, and this month's service level of the city and of each
department of the current fiscal year.

The same code answers as `/readyz` (`gateway.health.readiness`) and `serviceLevel`
(`gateway.resolvers.service_level.figures`, the departments' figures batched through the
loader as `Department.serviceLevel` is), read through the analytics pools: a public page
must not hold the frontends' connections. A view that finds no fresh figures costs the
readiness probes (one `select 1` per pool) plus two statements on sppspm's analytics
pool, the departments of the year and the steps of the month's requests (the city's and
every department's clocks come from that one statement). Figures are kept for
`STATUS_TTL_S` seconds, and visitors arriving while they are being read wait for that one
reading, so a flood of visitors costs the sources nothing more.

Plain server-rendered HTML with inline CSS, no script, nothing from another host; it
reloads itself with `<meta http-equiv="refresh">`. It shows no personal data: department
names and counts only. Everything from the sources is escaped."""

from __future__ import annotations

import asyncio
import calendar
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from connectors.breaker import BreakerState
from connectors.domain import WIB
from connectors.source import Health, SourceUnavailable
from gateway.context import Channel, OperationContext, Services
from gateway.health import Readiness, counts_as_up, readiness
from gateway.resolvers.organisation import departments
from gateway.resolvers.service_level import figures
from gateway.timebound.service_level import ServiceLevelFigures

STATUS_TTL_S = 30
"""How long a reading of the sources serves visitors; the page reloads itself as often."""

SOURCE_NAMES = {"ekin": "e-kin", "sppspm": "sppspm"}
POOL_NAMES = {"main": "", "analytics": " analytics"}
MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


@dataclass(frozen=True, slots=True)
class DepartmentLevel:
    code: str
    name: str
    figures: ServiceLevelFigures


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One reading of the sources: what every visitor sees until it is `STATUS_TTL_S`
    old. `city` is None (with `unavailable` saying why) when sppspm could not answer."""

    at: datetime  # WIB
    readiness: Readiness
    start: date
    end: date
    city: ServiceLevelFigures | None
    departments: Sequence[DepartmentLevel] = ()
    unavailable: str | None = None

    @property
    def month(self) -> str:
        return f"{MONTHS[self.start.month - 1]} {self.start.year}"

    def body(self) -> dict[str, Any]:
        """The JSON twin of the page."""
        return {
            "status": "ready" if self.readiness.ready else "not ready",
            "at": self.at.isoformat(),
            "refreshSeconds": STATUS_TTL_S,
            "sources": _sources(self.readiness.sources),
            "analytics": _sources(self.readiness.analytics),
            "serviceLevel": {
                "from": self.start.isoformat(),
                "to": self.end.isoformat(),
                "unavailable": self.unavailable,
                "city": _figures(self.city) if self.city else None,
                "departments": [
                    {"code": d.code, "name": d.name, **_figures(d.figures)}
                    for d in self.departments
                ],
            },
        }


def _sources(checks: Sequence[Health]) -> dict[str, Any]:
    """What /readyz says of each pool, but the error text (it may name hosts)."""
    return {
        h.name: {
            "healthy": h.healthy,
            "breaker": h.breaker.value,
            "latencyMs": h.latency_ms,
            "checkedAt": h.checked_at.astimezone(WIB).isoformat(),
        }
        for h in checks
    }


def _figures(f: ServiceLevelFigures) -> dict[str, Any]:
    """A service level as `serviceLevel` answers it over GraphQL."""
    return {
        "finished": f.finished,
        "onTime": f.on_time,
        "late": f.late,
        "open": f.open,
        "breachedOpen": f.breached_open,
        "onTimeRate": f.on_time_rate,
        "medianWorkingDaysToDisbursement": f.median_working_days_to_disbursement,
    }


async def take_snapshot(services: Services, now: datetime | None = None) -> Snapshot:
    """Probe every pool (as /readyz does) and work out this WIB month's service levels,
    at once."""
    now = now or datetime.now(WIB)
    start = now.date().replace(day=1)
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    settings = services.settings
    ready, (city, levels, unavailable) = await asyncio.gather(
        readiness(
            list(services.main), settings.ready_requires_all_sources, list(services.analytics)
        ),
        _service_levels(services, now, start, end),
    )
    return Snapshot(now, ready, start, end, city, levels, unavailable)


async def _service_levels(
    services: Services, now: datetime, start: date, end: date
) -> tuple[ServiceLevelFigures | None, list[DepartmentLevel], str | None]:
    """The city's and each department's figures: the departments (one statement), then
    every `figures` call at once, which the steps loader answers with one statement."""
    # nobody in particular, through the analytics pools: a public page must not hold the
    # frontends' connections, and it asks nothing that needs a caller
    ctx = await OperationContext.open(Channel(services), reads=services.analytics, now=now)
    try:
        units = await departments(ctx, None)
        found = await asyncio.gather(
            figures(ctx, None, start, end), *(figures(ctx, u.code, start, end) for u in units)
        )
    except SourceUnavailable as exc:
        return None, [], f"{SOURCE_NAMES.get(exc.source, exc.source)} is not answering"
    levels = [DepartmentLevel(u.code, u.name, f) for u, f in zip(units, found[1:], strict=True)]
    return found[0], levels, None


@dataclass(slots=True)
class StatusPage:
    """The page's routes over a snapshot kept `ttl_s` seconds; readings never overlap."""

    services: Services
    ttl_s: float = STATUS_TTL_S
    clock: Callable[[], float] = time.monotonic
    readings: int = 0  # how many times the sources were read, for tests
    _cached: tuple[float, Snapshot] | None = None
    _reading: asyncio.Future[Snapshot] | None = field(default=None, repr=False)

    async def snapshot(self) -> tuple[Snapshot, float]:
        """The current snapshot and the seconds it stays current."""
        if self._cached is not None:
            taken, snap = self._cached
            left = self.ttl_s - (self.clock() - taken)
            if left > 0:
                return snap, left
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read())
        # shielded: a visitor who leaves does not cancel the reading the others wait for
        return await asyncio.shield(self._reading), self.ttl_s

    async def _read(self) -> Snapshot:
        try:
            self.readings += 1
            snap = await take_snapshot(self.services)
            self._cached = (self.clock(), snap)
            return snap
        finally:
            self._reading = None

    async def html(self, request: Request) -> Response:
        snap, left = await self.snapshot()
        return HTMLResponse(render(snap), headers=_headers(left))

    async def json(self, request: Request) -> Response:
        snap, left = await self.snapshot()
        return JSONResponse(snap.body(), headers=_headers(left))


def _headers(left: float) -> dict[str, str]:
    return {
        "Cache-Control": f"public, max-age={max(math.ceil(left), 1)}",
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:;"
            " base-uri 'none'; form-action 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
    }


# -- HTML ---------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --card: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1;
  --line: #3d444d; --ok: #3fb950; --bad: #f85149; --warn: #d29922; --card: #151b23; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 56rem; padding: 1rem; color: var(--fg);
  font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
p { margin: .25rem 0; }
.muted { color: var(--muted); font-size: .875rem; }
.state { display: inline-block; font-weight: 600; padding: .1rem .6rem; border-radius: 1rem;
  color: #fff; background: var(--ok); }
.state.down { background: var(--bad); }
table { width: 100%; border-collapse: collapse; font-size: .9375rem; }
th, td { padding: .4rem .35rem; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
thead th { font-size: .8125rem; color: var(--muted); font-weight: 600; }
td.n, th.n { text-align: right; } td.n { white-space: nowrap; }
td.name { overflow-wrap: break-word; }
@media (max-width: 30rem) {
  table.departments thead { display: none; }
  table.departments tr { display: grid; grid-template-columns: repeat(3, 1fr);
    border-bottom: 1px solid var(--line); padding: .35rem 0; }
  table.departments td { border: 0; padding: .1rem .35rem; }
  table.departments td.name { grid-column: 1 / -1; font-weight: 600; }
  table.departments td.n { text-align: left; }
  table.departments td.n::before { content: attr(data-label); display: block;
    font-size: .75rem; color: var(--muted); white-space: normal; }
}
.ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.city { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr));
  gap: .5rem; margin: .75rem 0; }
.figure { background: var(--card); border: 1px solid var(--line); border-radius: .5rem;
  padding: .5rem .75rem; }
.figure b { display: block; font-size: 1.5rem; }
.unavailable { padding: .75rem; border: 1px solid var(--bad); border-radius: .5rem; }
"""


def render(snap: Snapshot) -> str:
    """The page, every value from a source escaped."""
    ready = snap.readiness.ready
    at = f"{snap.at.day} {MONTHS[snap.at.month - 1]} {snap.at.year}, {snap.at:%H:%M} WIB"
    rows = [_source_row(h, "main") for h in snap.readiness.sources] + [
        _source_row(h, "analytics") for h in snap.readiness.analytics
    ]
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{STATUS_TTL_S}">
<title>SMART Gateway status</title>
<link rel="icon" href="data:,">
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>SMART Gateway status</h1>
<p><span class="state{"" if ready else " down"}" id="readiness">{
        "Ready" if ready else "Not ready"
    }</span></p>
<p class="muted">As of {escape(at)}; this page reloads every {STATUS_TTL_S} s.
Also as <a href="status.json">JSON</a>.</p>
</header>
<main>
<section aria-labelledby="sources">
<h2 id="sources">Sources</h2>
<table class="sources">
<thead><tr><th>Source</th><th>Answers</th><th>Breaker</th><th class="n">Latency</th></tr></thead>
<tbody>
{"".join(rows)}</tbody>
</table>
<p class="muted">A source with an open circuit breaker is not asked until its cool-down ends;
the analytics pools serve statistics and this page.</p>
</section>
<section aria-labelledby="service-level" data-from="{snap.start}" data-to="{snap.end}">
<h2 id="service-level">Service level, {escape(snap.month)}</h2>
<p class="muted">Payment requests submitted {snap.start.day}&ndash;{snap.end.day} {
        escape(snap.month)
    }. On time: each stage (order, disbursement) ended by its deadline, the end of the second
working day after receipt (the first for a rejection). Open past deadline: still waiting
after it.</p>
{_service_level(snap)}
</section>
</main>
</body>
</html>
"""


def _source_row(h: Health, pool: str) -> str:
    name = SOURCE_NAMES.get(h.name, h.name) + POOL_NAMES[pool]
    up = counts_as_up(h)
    answers = (
        '<span class="ok">yes</span>'
        if h.healthy
        else f'<span class="{"warn" if up else "bad"}">no</span>'
    )
    breaker_class = {BreakerState.CLOSED: "ok", BreakerState.HALF_OPEN: "warn"}.get(
        h.breaker, "bad"
    )
    breaker = h.breaker.value.lower().replace("_", "-")
    latency = "&mdash;" if h.latency_ms is None else f"{h.latency_ms:.1f} ms"
    return (
        f'<tr data-source="{escape(h.name)}" data-pool="{pool}"'
        f' data-healthy="{str(h.healthy).lower()}" data-breaker="{escape(h.breaker.value)}">'
        f'<th scope="row">{escape(name)}</th><td>{answers}</td>'
        f'<td><span class="{breaker_class}">{breaker}</span></td><td class="n">{latency}</td>'
        "</tr>\n"
    )


def _service_level(snap: Snapshot) -> str:
    if snap.city is None:
        return (
            f'<p class="unavailable" id="figures-unavailable">Service levels are unavailable:'
            f" {escape(snap.unavailable or 'no answer')}. They are shown again once it"
            " answers.</p>"
        )
    city = snap.city
    cards = "".join(
        f'<div class="figure"><b>{value}</b>{label}</div>'
        for value, label in (
            (_rate(city.on_time_rate), "on time"),
            (f"{city.breached_open:,}", "open past deadline"),
            (f"{city.finished:,}", "finished"),
            (f"{city.open:,}", "open"),
        )
    )
    rows = "".join(
        f"<tr{_data(d.figures, d.code)}><td class='name'>{escape(d.name)}</td>"
        f'<td class="n" data-label="On time">{_rate(d.figures.on_time_rate)}</td>'
        f'<td class="n" data-label="Finished">{d.figures.finished:,}</td>'
        f'<td class="n{" bad" if d.figures.breached_open else ""}"'
        f' data-label="Open past deadline">{d.figures.breached_open:,}</td>'
        "</tr>\n"
        for d in snap.departments
    )
    return f"""<h3>The city</h3>
<div class="city" id="city"{_data(city)}>{cards}</div>
<h3>Departments</h3>
<table class="departments">
<thead><tr><th>Department</th><th class="n">On time</th><th class="n">Finished</th>
<th class="n">Open past deadline</th></tr></thead>
<tbody>
{rows}</tbody>
</table>"""


def _rate(rate: float | None) -> str:
    """0.875 as 87.5 %; a dash when nothing finished."""
    return "&mdash;" if rate is None else f"{rate * 100:.1f}&nbsp;%"


def _data(f: ServiceLevelFigures, code: str | None = None) -> str:
    """The figures as data attributes, for scripts that read the page."""
    attributes = {
        "code": code,
        "finished": f.finished,
        "on-time": f.on_time,
        "late": f.late,
        "open": f.open,
        "breached-open": f.breached_open,
        "on-time-rate": "" if f.on_time_rate is None else f.on_time_rate,
    }
    shown = {key: value for key, value in attributes.items() if value is not None}
    return "".join(f' data-{key}="{escape(str(value))}"' for key, value in shown.items())
