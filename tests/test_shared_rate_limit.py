"""With Redis, a caller's rate limit holds across gateway processes: two apps built apart
(as two processes are) over one Redis count each caller once. When Redis goes away the
setting decides (`local`: each process counts alone; `refuse`: RATE_LIMIT_UNAVAILABLE,
503), and when it is back the count is shared again without a restart."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import httpx
import pytest

from gateway.access.rate_limit import REDIS_BACKOFF_S
from gateway.settings import DEFAULT_ROLE_LIMITS
from tests.conftest import Databases, Gateway, close_gateway, open_gateway, settings_for, token
from tests.redis_server import RedisServer, redis_server

LIMIT = 4
"""STAFF's requests a minute in these tests."""

QUERY = {"query": "{ __typename }"}


@asynccontextmanager
async def two_gateways(
    db: Databases, redis_url: str, without_redis: str = "local"
) -> AsyncIterator[tuple[Gateway, Gateway]]:
    """Two apps with services of their own, as two processes have, over one Redis."""
    limits = dict(DEFAULT_ROLE_LIMITS)
    limits["STAFF"] = replace(limits["STAFF"], requests_per_minute=LIMIT)
    settings = replace(
        settings_for(db, role_limits=MappingProxyType(limits)),
        redis_url=redis_url,
        rate_limit_without_redis=without_redis,
    )
    first = await open_gateway(db, settings, differential=False)
    second = await open_gateway(db, settings, differential=False)
    try:
        yield first, second
    finally:
        for gateway in (first, second):
            await close_gateway(gateway)
            assert gateway.services.shared is not None
            await gateway.services.shared.close()


def a_caller() -> dict[str, str]:
    """A STAFF caller of its own, so no count carries over from another test."""
    nip = str(uuid.uuid4().int)[:18]  # a STAFF caller's sub is an NIP
    return {"Authorization": f"Bearer {token('STAFF', nip)}"}


async def ask(gateway: Gateway, headers: dict[str, str]) -> httpx.Response:
    return await gateway.client.post("/graphql", json=QUERY, headers=headers)


def code_of(response: httpx.Response) -> str | None:
    errors = response.json().get("errors")
    return errors[0]["extensions"]["code"] if errors else None


def fallback_decisions(gateway: Gateway, decision: str) -> float:
    registry = gateway.services.metrics.registry
    return (
        registry.get_sample_value("smartgate_rate_limit_fallback_total", {"decision": decision})
        or 0.0
    )


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, to stop and start."""
    with redis_server(tmp_path) as server:
        yield server


async def test_limit_plus_one_requests_spread_over_two_gateways_refuse_exactly_one(
    small_db: Databases, redis_url: str
) -> None:
    async with two_gateways(small_db, redis_url) as (first, second):
        caller = a_caller()
        answers = [await ask((first, second)[n % 2], caller) for n in range(LIMIT + 1)]
        assert [a.status_code for a in answers] == [200] * LIMIT + [429]
        refused = answers[-1]
        assert code_of(refused) == "RATE_LIMITED"
        # free again when the oldest of the window is a minute old: just under 60 s now
        assert 55 <= int(refused.headers["retry-after"]) <= 60
        assert (
            refused.json()["errors"][0]["extensions"]["retryAfter"]
            == refused.headers["retry-after"]
        )
        assert fallback_decisions(first, "local") == fallback_decisions(second, "local") == 0


async def test_concurrent_requests_over_two_gateways_refuse_exactly_one(
    small_db: Databases, redis_url: str
) -> None:
    async with two_gateways(small_db, redis_url) as (first, second):
        caller = a_caller()
        answers = await asyncio.gather(
            *(ask((first, second)[n % 2], caller) for n in range(LIMIT + 1))
        )
        assert sorted(a.status_code for a in answers) == [200] * LIMIT + [429]


async def test_callers_are_counted_apart(small_db: Databases, redis_url: str) -> None:
    async with two_gateways(small_db, redis_url) as (first, second):
        spent, other = a_caller(), a_caller()
        for n in range(LIMIT):
            assert (await ask((first, second)[n % 2], spent)).status_code == 200
        assert (await ask(first, spent)).status_code == 429
        assert (await ask(second, spent)).status_code == 429
        for n in range(LIMIT):
            assert (await ask((second, first)[n % 2], other)).status_code == 200


async def test_without_redis_local_limits_each_process_alone_until_redis_is_back(
    small_db: Databases, private_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with two_gateways(small_db, private_redis.url, "local") as (first, second):
        assert (await ask(first, a_caller())).status_code == 200  # Redis answers
        private_redis.stop()
        caller = a_caller()
        with caplog.at_level(logging.WARNING, logger="smartgate.rate_limit"):
            for gateway in (first, second):  # each process lets LIMIT through, then refuses
                answers = [await ask(gateway, caller) for _ in range(LIMIT + 1)]
                assert [a.status_code for a in answers] == [200] * LIMIT + [429]
                assert code_of(answers[-1]) == "RATE_LIMITED"
                assert fallback_decisions(gateway, "local") == LIMIT + 1
        told = [r for r in caplog.records if "event=rate_limit_without_redis" in r.getMessage()]
        assert len(told) == 2  # once per process, not once per request

        private_redis.start()  # empty: what was counted before is gone
        await asyncio.sleep(REDIS_BACKOFF_S + 0.1)
        caller = a_caller()
        answers = [await ask((first, second)[n % 2], caller) for n in range(LIMIT + 1)]
        assert [a.status_code for a in answers] == [200] * LIMIT + [429]
        assert (
            fallback_decisions(first, "local") == fallback_decisions(second, "local") == LIMIT + 1
        )


async def test_without_redis_refuse_answers_rate_limit_unavailable_503_until_redis_is_back(
    small_db: Databases, private_redis: RedisServer
) -> None:
    async with two_gateways(small_db, private_redis.url, "refuse") as (first, second):
        caller = a_caller()
        assert (await ask(first, caller)).status_code == 200
        private_redis.stop()
        for gateway in (first, second):
            for accept in ("application/json", "application/graphql-response+json"):
                refused = await gateway.client.post(
                    "/graphql", json=QUERY, headers={**caller, "Accept": accept}
                )
                assert refused.status_code == 503
                assert code_of(refused) == "RATE_LIMIT_UNAVAILABLE"
                assert 1 <= int(refused.headers["retry-after"]) <= 2
            assert fallback_decisions(gateway, "refused") == 2

        private_redis.start()
        await asyncio.sleep(REDIS_BACKOFF_S + 0.1)
        answers = [await ask((first, second)[n % 2], caller) for n in range(LIMIT + 1)]
        assert [a.status_code for a in answers] == [200] * LIMIT + [429]


async def test_a_hung_redis_costs_one_request_the_timeout_not_every_request(
    small_db: Databases,
) -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # a Redis that accepts and never answers

    hung = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = hung.sockets[0].getsockname()[1]
    try:
        async with two_gateways(small_db, f"redis://127.0.0.1:{port}/0") as (first, _):
            caller = a_caller()
            started = time.perf_counter()
            assert (await ask(first, caller)).status_code == 200  # counted in this process
            waited = time.perf_counter() - started
            assert 0.9 <= waited < 1.5, f"the first request waited {waited:.2f} s"
            started = time.perf_counter()
            for _ in range(LIMIT - 1):
                assert (await ask(first, caller)).status_code == 200
            assert (await ask(first, caller)).status_code == 429
            waited = time.perf_counter() - started
            assert waited < 0.5, f"{LIMIT} requests in the back-off took {waited:.2f} s"
    finally:
        hung.close()
