"""`smartgate serve --workers N`: N whole gateways on one port, spread by the kernel,
drained together on SIGTERM or SIGINT, a dead one replaced."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import httpx
import psutil
import pytest

from tests.conftest import Databases, free_port, gateway_env, token

pytestmark = pytest.mark.skipif(
    not hasattr(socket, "SO_REUSEPORT"), reason="the workers need SO_REUSEPORT (Linux, BSD)"
)


@asynccontextmanager
async def serving_workers(
    db: Databases, workers: int, **settings: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
    """`smartgate serve --workers N` as a real process: it and its port once every
    worker listens."""
    port = free_port()
    env = gateway_env(db, port, **settings)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", "serve", "--workers", str(workers), env=env
    )
    try:
        deadline = time.monotonic() + 30
        while len(listening_workers(process.pid, port)) < workers:
            if process.returncode is not None:
                pytest.fail(f"smartgate serve exited with {process.returncode}")
            if time.monotonic() > deadline:
                pytest.fail(f"{workers} workers did not listen within 30 s")
            await asyncio.sleep(0.1)
        yield process, port
    finally:
        if process.returncode is None:
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
        await process.wait()


def workers_of(parent: int) -> list[psutil.Process]:
    """The gateway workers under `parent` (not multiprocessing's resource tracker)."""
    try:
        children = psutil.Process(parent).children()
    except psutil.NoSuchProcess:
        return []
    workers = []
    for child in children:
        try:
            if "resource_tracker" not in " ".join(child.cmdline()):
                workers.append(child)
        except psutil.NoSuchProcess:  # gone, or a killed worker not yet reaped
            continue
    return workers


def tcp_sockets(worker: psutil.Process) -> list[Any]:
    """The worker's TCP sockets; none once it has gone."""
    try:
        return list(worker.net_connections(kind="tcp"))
    except psutil.NoSuchProcess:
        return []


def listening_workers(parent: int, port: int) -> set[int]:
    """Pids of the workers whose own socket listens on `port`."""
    return {
        worker.pid
        for worker in workers_of(parent)
        if any(s.status == psutil.CONN_LISTEN and s.laddr.port == port for s in tcp_sockets(worker))
    }


@contextmanager
def connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    """`count` keep-alive client connections, each having had one request answered."""
    opened = []
    try:
        for _ in range(count):
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            opened.append(conn)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n")
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        yield opened
    finally:
        for conn in opened:
            conn.close()


def holders(parent: int, clients: list[socket.socket]) -> dict[int, int]:
    """For each worker, how many of these client connections it holds."""
    ports = {c.getsockname()[1] for c in clients}
    held = {}
    for worker in workers_of(parent):
        held[worker.pid] = sum(
            1
            for s in tcp_sockets(worker)
            if s.status == psutil.CONN_ESTABLISHED and s.raddr and s.raddr.port in ports
        )
    return held


async def test_connections_are_spread_over_the_workers_and_a_dead_one_is_replaced(
    small_db: Databases,
) -> None:
    async with serving_workers(small_db, 2) as (process, port):
        with connections(port, 16) as clients:
            held = holders(process.pid, clients)
        # each connection is accepted by one worker's own socket: hashed, not first-come
        assert sum(held.values()) == 16
        assert len(held) == 2 and min(held.values()) >= 1, held

        killed = workers_of(process.pid)[0].pid
        psutil.Process(killed).kill()
        deadline = time.monotonic() + 10
        while True:
            listening = listening_workers(process.pid, port)
            if len(listening) == 2 and killed not in listening:
                break
            assert time.monotonic() < deadline, f"no replacement within 10 s: {listening}"
            await asyncio.sleep(0.1)
        with connections(port, 16) as clients:
            held = holders(process.pid, clients)
        assert set(held) == listening and min(held.values()) >= 1, held
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            answer = await client.post(
                "/graphql",
                json={"query": "{ paymentRequests(first: 1) { totalCount } }"},
                headers={"Authorization": f"Bearer {token('ADMIN', 'admin')}"},
            )
        assert answer.json()["data"]["paymentRequests"]["totalCount"] > 0


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_stop_signal_drains_every_worker_and_exits_0(
    small_db: Databases, stop: signal.Signals
) -> None:
    locker = await asyncpg.connect(small_db.sppspm_dsn)
    async with serving_workers(small_db, 2, shutdown_grace_s="10") as (process, port):
        workers = workers_of(process.pid)
        transaction = locker.transaction()
        await transaction.start()
        await locker.execute("lock table spp in access exclusive mode")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            # one request in flight on each worker: new connections until both hold one
            in_flight: list[asyncio.Task[httpx.Response]] = []
            deadline = time.monotonic() + 10
            while len(busy := busy_workers(process.pid, port)) < 2:
                assert time.monotonic() < deadline, f"requests reached only {busy}"
                in_flight.append(asyncio.create_task(ledger_request(port)))
                await asyncio.sleep(0.2)
            process.send_signal(stop)
            await asyncio.sleep(1)
            assert not any(task.done() for task in in_flight)
            with pytest.raises(httpx.TransportError):  # no worker accepts any more
                await client.get("/healthz", timeout=2)
            await transaction.rollback()
            answers = await asyncio.gather(*in_flight)
        assert all(a.json()["data"]["paymentRequests"]["totalCount"] > 0 for a in answers)
        assert await asyncio.wait_for(process.wait(), 15) == 0
        assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    await locker.close()


def busy_workers(parent: int, port: int) -> set[int]:
    """Workers holding a client connection on `port`."""
    return {
        worker.pid
        for worker in workers_of(parent)
        if any(
            s.status == psutil.CONN_ESTABLISHED and s.laddr.port == port
            for s in tcp_sockets(worker)
        )
    }


async def ledger_request(port: int) -> httpx.Response:
    """A query on a connection of its own."""
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ paymentRequests(first: 1) { totalCount } }"},
            headers={"Authorization": f"Bearer {token('ADMIN', 'admin')}"},
        )


async def test_a_port_already_served_stops_the_start(small_db: Databases) -> None:
    """Without this check a second `--workers` server would join the port through
    SO_REUSEPORT and take part of the first one's connections."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gateway.cli",
            "serve",
            "--workers",
            "2",
            env=gateway_env(small_db, port),
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert b"event=port_unavailable" in stderr
