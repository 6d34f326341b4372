"""Every GraphQL and shell example of the README and the docs runs against the demo data
(the small scale, seed 1, in a database of its own, so the examples may write).

An example is a fenced block. A GraphQL block takes its variables from a JSON block right
after it, and runs as the caller an HTML comment before it names:

    <!-- example: as STAFF -->            STAFF, DEPT_SYSTEM, PPK_SKPD, PA, KUASA_BUD,
                                          ANALYST, ADMIN (the default) or ANONYMOUS:
                                          the demo's sample callers (`gateway.sample_callers`)
    <!-- example: not run: <why> -->      for what a test cannot run (an install, a loop)

Queries and mutations must answer without an error (a mutation's payload `errors` too);
subscriptions start over a WebSocket without one. Shell blocks run in bash with the
virtual environment's `smartgate` first on the PATH, the demo's secret in a home folder of
their own, and `localhost:8000` pointing at a gateway served on the same data. Examples run
in the order a reader meets them, so a document's writes build on each other (the
examples' numbers and ids are those a fresh demo answers).

docs/analysts.md's recipes run in tests/test_analyst_recipes.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from gateway.access.tokens import mint
from gateway.app import create_app
from gateway.sample_callers import Samples, samples
from tests.conftest import (
    Databases,
    Gateway,
    close_gateway,
    open_gateway,
    seeded,
    settings_for,
    uvicorn_serving,
)

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "docs" / "clients.md",
    ROOT / "docs" / "operations.md",
    ROOT / "docs" / "domain.md",
]
FENCE = re.compile(r"^```(\w*)\s*$")
MARKER = re.compile(r"<!-- example: (.+?) -->")


@dataclass(frozen=True)
class Example:
    where: str  # path:line, for messages
    language: str
    text: str
    marker: str | None
    variables: dict[str, Any] | None = None


def examples(path: Path) -> Iterator[Example]:
    """The document's fenced blocks, a GraphQL block with the JSON block after it."""
    lines = path.read_text().splitlines()
    found: list[Example] = []
    marker: str | None = None
    between_blocks = True  # only blank lines since the last block closed
    index = 0
    while index < len(lines):
        line = lines[index]
        opened = FENCE.match(line)
        if not opened:
            if match := MARKER.search(line):
                marker = match.group(1)
            if line.strip():
                between_blocks = False
            index += 1
            continue
        start = index + 1
        index = start
        while index < len(lines) and not lines[index].startswith("```"):
            index += 1
        text = "\n".join(lines[start:index])
        language = opened.group(1)
        where = f"{path.relative_to(ROOT)}:{start}"
        if language == "json" and between_blocks and found and found[-1].language == "graphql":
            found[-1] = dataclasses.replace(found[-1], variables=json.loads(text))
        else:
            found.append(Example(where, language, text, marker))
        marker = None
        between_blocks = True
        index += 1
    yield from found


RUNNABLE = ("graphql", "sh")


@pytest.fixture(scope="module")
async def demo(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return await seeded(pg_server, tmp_path_factory.mktemp("docs"), "docs", "small")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home folder of the shell examples' own, with the demo's secret in it."""
    folder = tmp_path_factory.mktemp("home")
    secret = folder / ".local" / "share" / "smartgate" / "demo" / "jwt-secret"
    secret.parent.mkdir(parents=True)
    secret.write_text("secret-of-the-docs-examples-0123456789abcdef")
    return folder


@pytest.fixture(scope="module")
async def served(demo: Databases, home: Path) -> AsyncIterator[tuple[Gateway, str, Samples]]:
    secret = (home / ".local" / "share" / "smartgate" / "demo" / "jwt-secret").read_text()
    base = settings_for(demo)
    settings = dataclasses.replace(base, access=dataclasses.replace(base.access, jwt_secret=secret))
    gateway = await open_gateway(demo, settings)
    picked = await samples(gateway.services, settings.current_fiscal_year())
    async with uvicorn_serving(create_app(settings)) as address:
        yield gateway, address, picked
    await close_gateway(gateway)


def callers(picked: Samples, secret: str) -> dict[str, str | None]:
    def signed(role: str, sub: str, dept: str | None = None) -> str:
        return mint(secret, role=role, sub=sub, dept=dept)

    return {
        "STAFF": signed("STAFF", picked.head.nip),
        "DEPT_SYSTEM": signed("DEPT_SYSTEM", "demo-dept-system", picked.department),
        "PPK_SKPD": signed("FINANCE", picked.verifier.nip),
        "PA": signed("FINANCE", picked.budget_user.nip),
        "KUASA_BUD": signed("FINANCE", picked.treasury.nip),
        "ANALYST": signed("ANALYST", "demo-analyst"),
        "ADMIN": signed("ADMIN", "demo-admin"),
        "ANONYMOUS": None,
    }


def role_of(example: Example) -> str:
    marker = example.marker or ""
    return marker.removeprefix("as ").strip() if marker.startswith("as ") else "ADMIN"


async def run_graphql(gateway: Gateway, address: str, bearer: str | None, example: Example) -> None:
    operation = example.text.lstrip()
    if operation.startswith("subscription"):
        await subscribe(address, bearer, example)
        return
    body = await gateway.as_caller(bearer).query(example.text, example.variables)
    assert "errors" not in body, f"{example.where}: {body['errors']}"
    data = body["data"] or {}
    for name, payload in data.items():
        if isinstance(payload, dict) and payload.get("errors"):
            raise AssertionError(f"{example.where}: {name} refused: {payload['errors']}")
    # an example shows something: not only nulls and empty lists
    assert any(value not in (None, [], {}) for value in data.values()), (
        f"{example.where}: the demo data answers nothing: {data}"
    )


async def subscribe(address: str, bearer: str | None, example: Example) -> None:
    """A subscription starts: no error within a moment, then it is completed."""
    async with connect(
        f"ws://{address}/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
    ) as ws:
        payload = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        start = {"query": example.text, "variables": example.variables or {}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": start}))
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
        except TimeoutError:
            return  # listening
        assert message["type"] == "next" and "errors" not in message["payload"], (
            f"{example.where}: {message}"
        )


async def run_shell(address: str, home: Path, example: Example) -> None:
    script = example.text.replace("localhost:8000", address).replace("127.0.0.1:8000", address)
    environment = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        script,
        env=environment,
        cwd=home,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    text = output.decode()
    assert process.returncode == 0, f"{example.where}: exit {process.returncode}\n{text}"
    assert '"errors"' not in text, f"{example.where}: an answer with errors\n{text}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
async def test_every_example_runs_on_the_demo_data(
    document: Path, served: tuple[Gateway, str, Samples], home: Path
) -> None:
    gateway, address, picked = served
    secret = (home / ".local" / "share" / "smartgate" / "demo" / "jwt-secret").read_text()
    tokens = callers(picked, secret)
    for example in examples(document):
        if example.language not in RUNNABLE or (example.marker or "").startswith("not run"):
            continue
        if example.language == "graphql":
            await run_graphql(gateway, address, tokens[role_of(example)], example)
        else:
            await run_shell(address, home, example)


def test_every_runnable_block_is_run_or_says_why_not() -> None:
    """A fenced block in a language the test runs is run, unless marked with a reason."""
    for document in DOCUMENTS:
        for example in examples(document):
            marker = example.marker or ""
            if marker.startswith("not run"):
                assert marker.removeprefix("not run").strip(": "), f"{example.where}: say why"
            elif marker:
                assert role_of(example) in callers_named(), f"{example.where}: {marker}"


def callers_named() -> set[str]:
    return {"STAFF", "DEPT_SYSTEM", "PPK_SKPD", "PA", "KUASA_BUD", "ANALYST", "ADMIN", "ANONYMOUS"}
