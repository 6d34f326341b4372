"""Log lines are one format: every line `smartgate serve` writes is a JSON object,
uvicorn's included, audit records with their fields at the top level; and the recipes of
docs/operations.md find what they say on a real served gateway's log, run by real `jq`."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.logs import AUDIT_LOGGER, FIELDS, configure_logging
from tests.conftest import Databases, smartgate_serve, token
from tests.test_doc_examples import ROOT, examples

NIP = "197707282003031001"  # the recipes' NIP: the demo's PA, whose birth date is read below
REQUEST_ID = "report-2026-11-0042"  # the recipes' request id, sent as X-Request-ID
RECIPE = "tests/test_logs.py"  # the marker of the docs' blocks this file runs


@pytest.fixture
def restored_logging() -> Iterator[None]:
    loggers = [logging.getLogger("smartgate"), logging.getLogger(AUDIT_LOGGER)]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        for handler in lg.handlers[:]:
            if handler not in handlers:
                handler.close()
        lg.handlers, lg.level, lg.propagate = handlers, level, propagate


def test_audit_lines_go_to_their_own_file_at_any_level(
    tmp_path: Path, restored_logging: None
) -> None:
    audit_file = tmp_path / "logs" / "audit.jsonl"
    configure_logging("error", audit_file)
    logging.getLogger(AUDIT_LOGGER).info("audit", extra={FIELDS: {"event": "audit", "sub": "x"}})
    logging.getLogger("smartgate").info("not an audit line")
    lines = audit_file.read_text().splitlines()
    assert [json.loads(line)["sub"] for line in lines] == ["x"]


# -- a served gateway's log ----------------------------------------------------------------


@dataclass(frozen=True)
class ServedLog:
    path: Path
    lines: list[dict[str, Any]]


@pytest.fixture(scope="module")
async def served_log(
    small_db: Databases, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ServedLog]:
    """`smartgate serve` at level info, its stderr in gateway.log, after: a query that
    reads a birth date (audited) with the recipes' request id, a malformed body (400), a
    request that is not HTTP (uvicorn warns), and a SIGTERM (uvicorn's shutdown lines)."""
    path = tmp_path_factory.mktemp("logs") / "gateway.log"
    with path.open("wb") as stderr:
        async with smartgate_serve(small_db, stderr=stderr, log_level="info") as (process, base):
            async with httpx.AsyncClient(base_url=f"http://{base}") as client:
                read = await client.post(
                    "/graphql",
                    json={
                        "query": "query Birthdays($n: Nip!) { employee(nip: $n) { birthDate } }",
                        "variables": {"n": NIP},
                    },
                    headers={
                        "Authorization": f"Bearer {token('ADMIN', 'audit-desk')}",
                        "X-Request-ID": REQUEST_ID,
                    },
                )
                assert read.json()["data"]["employee"]["birthDate"], read.text
                malformed = await client.post(
                    "/graphql", content=b"{", headers={"Content-Type": "application/json"}
                )
                assert malformed.status_code == 400
            host, port = base.split(":")
            await asyncio.to_thread(_not_http, host, int(port))
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) in (0, -signal.SIGTERM)
    yield ServedLog(path, [json.loads(line) for line in path.read_text().splitlines()])


def _not_http(host: str, port: int) -> None:
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        conn.recv(1024)  # uvicorn answers 400 and closes


def test_every_line_is_a_json_object_uvicorns_included(served_log: ServedLog) -> None:
    text = served_log.path.read_text().splitlines()
    assert len(served_log.lines) == len(text) > 5
    for line in served_log.lines:
        assert {"time", "level", "logger", "request_id", "message"} <= line.keys(), line
    loggers = {line["logger"] for line in served_log.lines}
    assert {"uvicorn.error", "uvicorn.access", AUDIT_LOGGER} <= loggers
    messages = [line["message"] for line in served_log.lines]
    assert any(m.startswith("Uvicorn running on") for m in messages)
    assert "Finished server process" in " ".join(messages)


def test_access_lines_carry_their_parts_as_fields(served_log: ServedLog) -> None:
    access = [line for line in served_log.lines if line["logger"] == "uvicorn.access"]
    statuses = {(line["method"], line["path"], line["status"]) for line in access}
    assert ("POST", "/graphql", 200) in statuses and ("POST", "/graphql", 400) in statuses


def test_audit_records_are_fields_of_the_line(served_log: ServedLog) -> None:
    (audit,) = [line for line in served_log.lines if line["logger"] == AUDIT_LOGGER]
    assert audit["event"] == "audit" and audit["sub"] == "audit-desk"
    assert audit["roles"] == ["ADMIN"] and audit["operation_name"] == "Birthdays"
    assert audit["personal_fields"] == {"Employee.birthDate": [NIP]}
    assert audit["request_id"] == REQUEST_ID


def recipes() -> list[str]:
    found = [
        example.text
        for example in examples(ROOT / "docs" / "operations.md")
        if example.language == "sh" and RECIPE in (example.marker or "")
    ]
    assert len(found) == 4, "the audit recipe and the three of Logs"
    return found


async def run(recipe: str, folder: Path) -> list[str]:
    if shutil.which("jq") is None:
        pytest.skip("no jq to run the recipes with: apt-get install -y jq (bash .ci/run does it)")
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        recipe,
        cwd=folder,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, f"{recipe}\n{err.decode()}"
    return out.decode().splitlines()


async def test_the_documented_recipes_find_what_they_say(served_log: ServedLog) -> None:
    audit, problems, one_request, failed = recipes()
    folder = served_log.path.parent

    (who,) = [json.loads(line) for line in await run(audit, folder)]
    assert who["sub"] == "audit-desk" and who["operation_name"] == "Birthdays"
    assert who["request_id"] == REQUEST_ID

    warned = [json.loads(line) for line in await run(problems, folder)]
    assert [w["message"] for w in warned] == ["Invalid HTTP request received."]

    lines = [json.loads(line) for line in await run(one_request, folder)]
    assert {line["logger"] for line in lines} == {AUDIT_LOGGER, "uvicorn.access"}

    rows = [row.split("\t") for row in await run(failed, folder)]
    assert [(method, path, status) for _, method, path, status in rows] == [
        ("POST", "/graphql", "400")
    ]
