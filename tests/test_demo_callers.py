"""The demo's sample callers: one token per role, each able to do what docs/clients.md shows."""

from __future__ import annotations

import asyncpg
import pytest

from gateway.access.caller import Role
from gateway.access.tokens import mint
from gateway.cli import main
from gateway.sample_callers import SampleCaller, sample_callers
from tests.conftest import TEST_SECRET, Gateway, submitted_copy


@pytest.fixture(scope="module")
async def callers(gateway: Gateway) -> dict[Role, SampleCaller]:
    return {c.role: c for c in await sample_callers(gateway.services, 2026)}


def bearer(caller: SampleCaller) -> str:
    return mint(TEST_SECRET, role=caller.role, sub=caller.sub, dept=caller.dept)


async def test_there_is_a_sample_caller_for_every_role(callers: dict[Role, SampleCaller]) -> None:
    assert set(callers) == set(Role)


async def test_the_sample_staff_member_has_people_below(
    gateway: Gateway, callers: dict[Role, SampleCaller]
) -> None:
    staff = gateway.as_caller(bearer(callers[Role.STAFF]))
    data = await staff.data("{ me { subordinates { nip } } employees { totalCount } }")
    assert data["me"]["subordinates"] and data["employees"]["totalCount"] > 1


async def test_the_sample_official_may_verify_requests_of_the_sample_department(
    gateway: Gateway, callers: dict[Role, SampleCaller], sppspm_sql: asyncpg.Connection
) -> None:
    system = gateway.as_caller(bearer(callers[Role.DEPT_SYSTEM]))
    requests = await system.data("{ paymentRequests(first: 1) { edges { node { number } } } }")
    number = requests["paymentRequests"]["edges"][0]["node"]["number"]
    finance = gateway.as_caller(bearer(callers[Role.FINANCE]))
    async with submitted_copy(sppspm_sql, number) as submitted:
        data = await finance.data(
            "query($n: String!) { paymentRequest(number: $n) { viewerCan { verify } } }",
            {"n": submitted},
        )
    assert data["paymentRequest"]["viewerCan"]["verify"] is True


def test_smartgate_token_mints_what_the_gateway_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gateway.access.tokens import TokenKeys, TokenVerifier

    monkeypatch.setenv("SMARTGATE_JWT_SECRET", TEST_SECRET)
    args = ["token", "--role", "DEPT_SYSTEM", "--dept", "1.02.0.00.0.00.01.0000", "--ttl", "1h"]
    assert main(args) == 0
    caller = TokenVerifier(TokenKeys(secret=TEST_SECRET)).verify(capsys.readouterr().out.strip())
    assert caller.roles == {Role.DEPT_SYSTEM} and caller.department == "1.02.0.00.0.00.01.0000"


def test_smartgate_token_refuses_without_a_secret_or_an_nip(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SMARTGATE_JWT_SECRET", raising=False)
    assert main(["token", "--role", "ADMIN"]) == 2
    assert "SMARTGATE_JWT_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("SMARTGATE_JWT_SECRET", TEST_SECRET)
    assert main(["token", "--role", "STAFF"]) == 2
    assert "NIP" in capsys.readouterr().err
