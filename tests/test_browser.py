"""GraphiQL and the status page in a real browser: headless Chromium (Debian's `chromium`)
driven by Playwright's Python package, against gateways served by uvicorn on the seeded
databases. Every request the pages make is watched, and any to another origin is
refused and fails the test: both pages must work on an intranet without internet.

The browser tests skip, saying what is missing and how to install it, where Chromium or
Playwright is not there (`bash .ci/run` installs Chromium). Screenshots are kept under
`artifacts/` at the project root, or under $SMARTGATE_ARTIFACTS.

The checks of GraphiQL's vendored files that need no browser come first."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import hashlib
import json
import os
import re
import tomllib
from base64 import b64encode
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.http import GRAPHIQL_FOLDER, GraphiQLAssets
from tests.conftest import Databases, Gateway, settings_for, smartgate_serve, token, uvicorn_serving
from tests.test_activity_writes import LOG, Office, free_morning, work
from tests.test_activity_writes import office as office  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("SMARTGATE_ARTIFACTS") or ROOT / "artifacts")
CHROMIUM = os.environ.get("SMARTGATE_CHROMIUM", "/usr/bin/chromium")
# As on the machine notes: without the background-networking flags Chromium calls home,
# and a closed network refuses it. Playwright adds --headless and a fresh profile.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# -- GraphiQL's vendored files, no browser needed ------------------------------------------


def test_every_vendored_file_is_what_the_manifest_says() -> None:
    manifest = json.loads((GRAPHIQL_FOLDER / "manifest.json").read_text())
    names = {p["name"]: p["version"] for p in manifest["packages"]}
    assert names == {
        "react": "18.2.0",
        "react-dom": "18.2.0",
        "graphiql": "3.8.3",
        "@graphiql/plugin-explorer": "1.0.2",
    }
    for package in manifest["packages"]:
        folder = GRAPHIQL_FOLDER / package["folder"]
        assert package["integrity"].startswith("sha512-")
        assert package["license"] == "MIT"
        assert "MIT License" in (folder / package["licenseFile"]).read_text()
        for file in package["files"]:
            content = (folder / file["path"]).read_bytes()
            assert len(content) == file["bytes"]
            assert file["sri"] == "sha384-" + b64encode(hashlib.sha384(content).digest()).decode()
    on_disk = {p.relative_to(GRAPHIQL_FOLDER).as_posix() for p in GRAPHIQL_FOLDER.rglob("*")}
    listed = {"graphiql.html", "manifest.json"} | {
        f"{p['folder']}/{name}"
        for p in manifest["packages"]
        for name in [p["licenseFile"], *(f["path"] for f in p["files"])]
    }
    assert {p for p in on_disk if not (GRAPHIQL_FOLDER / p).is_dir()} == listed


def test_the_page_loads_only_the_vendored_files() -> None:
    assets = GraphiQLAssets.load()
    addresses = re.findall(r'(?:src|href)="([^"]*)"', assets.page)
    icon, *files = addresses
    assert icon.startswith("data:image/svg+xml,")
    assert len(files) == 6
    assert all(f.startswith("static/graphiql/") for f in files)  # relative to /graphql
    assert "connect-src 'self'" in assets.csp and "default-src 'self'" in assets.csp


def test_the_files_are_installed_with_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["gateway"]
    gateway = ROOT / "gateway"
    covered = {p for pattern in patterns for p in gateway.glob(pattern) if p.is_file()}
    assert covered == {p for p in GRAPHIQL_FOLDER.rglob("*") if p.is_file()}


async def test_the_files_are_served_for_good_and_gzipped(gateway: Gateway) -> None:
    page = await gateway.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    path = "/static/graphiql/graphiql-3.8.3/graphiql.min.js"
    plain = await gateway.client.get(path, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert plain.headers["content-type"] == "text/javascript; charset=utf-8"
    assert plain.content == (GRAPHIQL_FOLDER / "graphiql-3.8.3/graphiql.min.js").read_bytes()
    async with gateway.client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as zipped:
        raw = b"".join([chunk async for chunk in zipped.aiter_raw()])
    assert zipped.headers["content-encoding"] == "gzip"
    assert len(raw) < len(plain.content) / 3 and gzip.decompress(raw) == plain.content
    again = await gateway.client.get(
        path, headers={"Accept-Encoding": "identity", "If-None-Match": plain.headers["etag"]}
    )
    assert again.status_code == 304
    licence = await gateway.client.get("/static/graphiql/react-18.2.0/LICENSE")
    assert licence.status_code == 200 and "MIT License" in licence.text
    for missing in ("manifest.json", "graphiql.html", "graphiql-3.8.3/graphiql.min.js.map"):
        assert (await gateway.client.get(f"/static/graphiql/{missing}")).status_code == 404


# -- in Chromium ---------------------------------------------------------------------------


def _missing() -> str | None:
    """What the browser tests lack, and how to install it; None when nothing."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return (
            "Playwright's Python package is not installed: .venv/bin/pip install -e '.[dev]'"
            " (its wheel carries its driver; no `playwright install` is needed)"
        )
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return (
            f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium"
            " chromium-driver (bash .ci/run does it), or point SMARTGATE_CHROMIUM at one"
        )
    return None


MISSING = _missing()
in_chromium = pytest.mark.skipif(MISSING is not None, reason=f"no browser test: {MISSING}")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    if MISSING is not None:
        pytest.skip(f"no browser test: {MISSING}")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        await chromium.close()


@dataclasses.dataclass
class Served:
    origin: str  # http://127.0.0.1:port
    app: Any


@pytest.fixture(scope="module")
async def served(small_db: Databases) -> AsyncIterator[Served]:
    app = create_app(settings_for(small_db))
    async with uvicorn_serving(app) as base:
        yield Served(f"http://{base}", app)


@dataclasses.dataclass
class Visit:
    """A page in a fresh browser context, and every address it asked for."""

    page: Any
    asked: list[str]
    refused: list[str]
    errors: list[str]

    def assert_stayed_home(self, origin: str) -> None:
        assert self.refused == [], f"asked another host: {self.refused}"
        home = (origin, origin.replace("http://", "ws://", 1))
        assert all(url.startswith(home) for url in self.asked), self.asked
        assert self.errors == []


@asynccontextmanager
async def visiting(browser: Any, origin: str, **context_options: Any) -> AsyncIterator[Visit]:
    context = await browser.new_context(**context_options)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    visit = Visit(page, [], [], [])

    async def only_home(route: Any) -> None:
        if route.request.url.startswith(origin + "/"):
            await route.continue_()
        else:
            visit.refused.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_home)
    page.on("request", lambda request: visit.asked.append(request.url))
    page.on("websocket", lambda socket: visit.asked.append(socket.url))
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    page.on(
        "console",
        lambda message: visit.errors.append(message.text) if message.type == "error" else None,
    )
    try:
        yield visit
    finally:
        await context.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


async def type_into(page: Any, editor: str, text: str) -> None:
    """Replace what a GraphiQL editor (CodeMirror) holds with `text`, as a paste would."""
    await page.locator(f"{editor} .CodeMirror").click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(text)
    value = await page.locator(f"{editor} .CodeMirror").evaluate("e => e.CodeMirror.getValue()")
    assert value == text


async def type_query(page: Any, text: str) -> None:
    """Put `text` in the query editor, and wait until GraphiQL has parsed it (it does so a
    moment after each change, and tells subscriptions from queries by that parse)."""
    await type_into(page, ".graphiql-query-editor", text)
    await page.wait_for_function(
        "text => document.querySelector('.graphiql-query-editor .CodeMirror')"
        ".CodeMirror.documentAST?.loc?.source?.body === text",
        arg=text,
    )


async def response_of(page: Any, done: Callable[[str], bool]) -> str:
    """The text of GraphiQL's response pane once `done` says it is complete."""
    pane = page.locator(".graphiql-response .CodeMirror")
    for _ in range(150):
        text: str = await pane.evaluate("e => e.CodeMirror.getValue()")
        if done(text):
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"GraphiQL showed no complete answer; it shows {text!r}")


async def open_graphiql(visit: Visit, origin: str, bearer: str) -> None:
    page = visit.page
    await page.goto(f"{origin}/graphql")
    await page.locator(".graphiql-query-editor .CodeMirror").wait_for()
    await page.locator(".graphiql-editor-tools button[data-name=headers]").click()
    headers = json.dumps({"Authorization": f"Bearer {bearer}"})
    await type_into(page, ".graphiql-editor-tool .graphiql-editor:not(.hidden)", headers)


DEPARTMENTS = "{ departments { code name } }"


@in_chromium
async def test_graphiql_runs_a_query_with_the_token_of_its_headers_tab(
    browser: Any, served: Served, gateway: Gateway
) -> None:
    expected = await gateway.data(DEPARTMENTS)
    bearer = token("ADMIN", "graphiql-user")
    async with visiting(browser, served.origin) as visit:
        page = visit.page
        sent: list[dict[str, Any]] = []
        page.on(
            "request",
            lambda r: (
                sent.append({"body": r.post_data, "authorization": r.headers.get("authorization")})
                if r.method == "POST"
                else None
            ),
        )
        await open_graphiql(visit, served.origin, bearer)
        await type_query(page, DEPARTMENTS)
        await page.locator(".graphiql-execute-button").click()

        text = await response_of(page, lambda t: '"data"' in t or '"errors"' in t)
        assert json.loads(text) == {"data": expected}
        first = expected["departments"][0]["name"]
        await page.locator(".graphiql-response").get_by_text(first, exact=False).wait_for()
        await page.screenshot(path=artifact("graphiql-query.png"))

        ran = [s for s in sent if s["body"] and "departments" in s["body"]]
        assert ran and all(s["authorization"] == f"Bearer {bearer}" for s in ran)
        visit.assert_stayed_home(served.origin)


ACTIVITIES = 'subscription { activityEvents(nip: "%s") { kind activity { id } } }'


@in_chromium
async def test_graphiql_subscribes_over_graphql_transport_ws_with_the_same_headers(
    browser: Any,
    writes_db: Databases,
    office: Office,  # noqa: F811
) -> None:
    settings = dataclasses.replace(settings_for(writes_db), events_poll_ms=250)
    app = create_app(settings)
    feed = app.state.services.events.activities
    bearer = token("ADMIN", "graphiql-user")
    async with uvicorn_serving(app) as base, visiting(browser, f"http://{base}") as visit:
        page = visit.page
        frames: list[tuple[str, dict[str, Any]]] = []

        def watch(socket: Any) -> None:
            socket.on("framesent", lambda payload: frames.append(("sent", json.loads(payload))))
            socket.on("framereceived", lambda p: frames.append(("received", json.loads(p))))

        page.on("websocket", watch)
        await open_graphiql(visit, f"http://{base}", bearer)
        await type_query(page, ACTIVITIES % office.report)
        await page.locator(".graphiql-execute-button").click()
        for _ in range(100):
            if feed.subscribers:
                break
            await asyncio.sleep(0.05)
        assert feed.subscribers == 1

        async with httpx.AsyncClient(base_url=f"http://{base}") as client:
            logged = await client.post(
                "/graphql",
                json={"query": LOG, "variables": {"input": work(office.report, free_morning())}},
                headers={"Authorization": f"Bearer {token('STAFF', office.report)}"},
            )
        activity_id = logged.json()["data"]["logActivity"]["activity"]["id"]
        text = await response_of(page, lambda t: activity_id in t)
        assert json.loads(text)["data"]["activityEvents"] == {
            "kind": "LOGGED",
            "activity": {"id": activity_id},
        }
        await page.screenshot(path=artifact("graphiql-subscription.png"))

        kinds = [(way, frame["type"]) for way, frame in frames]
        assert kinds[:3] == [
            ("sent", "connection_init"),
            ("received", "connection_ack"),
            ("sent", "subscribe"),
        ]
        assert frames[0][1]["payload"] == {"Authorization": f"Bearer {bearer}"}
        assert ("received", "next") in kinds and ("received", "error") not in kinds
        visit.assert_stayed_home(f"http://{base}")


SERVICE_LEVELS = """
fragment F on ServiceLevel { finished onTime late open breachedOpen onTimeRate }
query($from: Date!, $to: Date!) {
  serviceLevel(from: $from, to: $to) { ...F }
  departments { code name serviceLevel(from: $from, to: $to) { ...F } }
}
"""


def _rate(rate: float | None) -> str:
    return "\u2014" if rate is None else f"{rate * 100:.1f}\xa0%"


@in_chromium
async def test_the_status_page_on_a_phone(browser: Any, served: Served, gateway: Gateway) -> None:
    phone = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True}
    async with visiting(browser, served.origin, **phone) as visit:
        page = visit.page
        response = await page.goto(f"{served.origin}/")
        assert response.status == 200
        assert await page.locator("#readiness").inner_text() == "Ready"
        for pool in ("main", "analytics"):
            for source in ("ekin", "sppspm"):
                row = page.locator(f"tr[data-source={source}][data-pool={pool}]")
                assert await row.get_attribute("data-breaker") == "CLOSED"
                assert await row.get_attribute("data-healthy") == "true"
                assert await row.locator("th").is_visible()

        section = page.locator("section[data-from]")
        period = {
            "from": await section.get_attribute("data-from"),
            "to": await section.get_attribute("data-to"),
        }
        asked = await gateway.data(SERVICE_LEVELS, period)

        def shown(figures: dict[str, Any]) -> dict[str, str]:
            return {
                "data-finished": str(figures["finished"]),
                "data-on-time": str(figures["onTime"]),
                "data-late": str(figures["late"]),
                "data-open": str(figures["open"]),
                "data-breached-open": str(figures["breachedOpen"]),
                "data-on-time-rate": ""
                if figures["onTimeRate"] is None
                else str(figures["onTimeRate"]),
            }

        async def attributes(locator: Any) -> dict[str, str]:
            return {
                name: await locator.get_attribute(name) for name in shown(asked["serviceLevel"])
            }

        city = page.locator("#city")
        assert await attributes(city) == shown(asked["serviceLevel"])
        assert _rate(asked["serviceLevel"]["onTimeRate"]) in await city.inner_text()
        rows = page.locator("table.departments tbody tr")
        assert await rows.count() == len(asked["departments"])
        for department in asked["departments"]:
            row = page.locator(f'tr[data-code="{department["code"]}"]')
            assert await attributes(row) == shown(department["serviceLevel"])
            cells = await row.locator("td").all_inner_texts()
            figures = department["serviceLevel"]
            assert cells == [
                department["name"],
                _rate(figures["onTimeRate"]),
                str(figures["finished"]),
                str(figures["breachedOpen"]),
            ]
            assert await row.is_visible()

        # readable on a phone: nothing wider than the screen, text not shrunk
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        size = await page.locator("table.departments td").first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert size >= 14
        await page.screenshot(path=artifact("status-page-360.png"), full_page=True)
        visit.assert_stayed_home(served.origin)

    async with visiting(browser, served.origin, viewport={"width": 1280, "height": 900}) as visit:
        await visit.page.goto(f"{served.origin}/")
        await visit.page.screenshot(path=artifact("status-page-1280.png"), full_page=True)
        visit.assert_stayed_home(served.origin)


@in_chromium
async def test_status_page_off_is_a_404(browser: Any, small_db: Databases) -> None:
    async with (
        smartgate_serve(small_db, status_page="off") as (_, base),
        visiting(browser, f"http://{base}") as visit,
    ):
        response = await visit.page.goto(f"http://{base}/")
        assert response.status == 404
        json_twin = await visit.page.goto(f"http://{base}/status.json")
        assert json_twin.status == 404
        ready = await visit.page.goto(f"http://{base}/readyz")
        assert ready.status == 200
