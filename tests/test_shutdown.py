"""Graceful shutdown of `smartgate serve` on SIGTERM: requests in flight finish,
subscriptions are closed with a proper WebSocket close code, and the process exits."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import Databases, smartgate_serve, token


@pytest.fixture
async def served(
    small_db: Databases,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    async with smartgate_serve(small_db, shutdown_grace_s="10") as (process, base):
        yield process, base


async def test_sigterm_lets_requests_finish_and_closes_subscriptions(
    served: tuple[asyncio.subprocess.Process, str], small_db: Databases
) -> None:
    process, base = served
    admin = token("ADMIN", "admin")
    locker = await asyncpg.connect(small_db.sppspm_dsn)
    async with connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {admin}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = "subscription { paymentRequestEvents { kind } }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))

        # a request in flight: its statement waits for a lock held here
        transaction = locker.transaction()
        await transaction.start()
        await locker.execute("lock table spp in access exclusive mode")
        async with httpx.AsyncClient(timeout=30) as client:
            in_flight = asyncio.create_task(
                client.post(
                    f"http://{base}/graphql",
                    json={"query": "{ paymentRequests(first: 1) { totalCount } }"},
                    headers={"Authorization": f"Bearer {admin}"},
                )
            )
            await asyncio.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            assert not in_flight.done()
            with pytest.raises(httpx.TransportError):  # no longer accepting
                await client.get(f"http://{base}/healthz", timeout=2)
            await transaction.rollback()  # the statement may go on now
            answered = await in_flight
        assert answered.status_code == 200
        assert answered.json()["data"]["paymentRequests"]["totalCount"] > 0

        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1012  # service restart
    await locker.close()
    # uvicorn re-raises SIGTERM once it has shut down, so the exit says "terminated"
    assert await asyncio.wait_for(process.wait(), 15) in (0, -signal.SIGTERM)
