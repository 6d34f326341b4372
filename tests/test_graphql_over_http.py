"""GraphQL over HTTP as the GraphQL Foundation's spec has it
(https://graphql.github.io/graphql-over-http/draft/): the spec's own audit, `graphql-http`'s
`auditServer`, run through node against a real server when node is here; and the same
rules in Python, so the suite checks them without node too."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import DEFAULT_ROLE_LIMITS
from tests.conftest import (
    Databases,
    Gateway,
    close_gateway,
    open_gateway,
    settings_for,
    uvicorn_serving,
)

GRAPHQL_RESPONSE = "application/graphql-response+json"

AUDIT_PACKAGES = ("graphql-http@1.23.1", "graphql@16")
"""Pinned, so the number of audits (61) does not move under the test."""

AUDIT_SCRIPT = """
const { auditServer } = require('graphql-http');
auditServer({ url: process.argv[1] }).then((results) => {
  console.log(JSON.stringify(results.map(({ id, name, status, reason }) =>
    ({ id, name, status, reason }))));
});
"""


def audit_settings(db: Databases) -> Any:
    """The audit asks anonymously, 61 times at once: more than an anonymous caller may."""
    limits = dict(DEFAULT_ROLE_LIMITS)
    limits["ANONYMOUS"] = replace(limits["ANONYMOUS"], requests_per_minute=10_000)
    return settings_for(db, role_limits=MappingProxyType(limits))


@pytest.fixture(scope="module")
async def server_url(small_db: Databases) -> AsyncIterator[str]:
    async with uvicorn_serving(create_app(audit_settings(small_db))) as base:
        yield f"http://{base}/graphql"


async def run(*command: str, cwd: Path | None = None) -> tuple[int, str]:
    """Runs `command` without blocking the event loop the server answers on."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def audit_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory whose node_modules has graphql-http: $GRAPHQL_HTTP_AUDIT_DIR if it has
    one, else installed with npm into a temporary directory; skips saying what is missing."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the graphql-http audit needs node (>= 18)")
    given = os.environ.get("GRAPHQL_HTTP_AUDIT_DIR")
    if given and (Path(given) / "node_modules" / "graphql-http").is_dir():
        return Path(given)
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so the graphql-http package cannot be installed")
    directory = tmp_path_factory.mktemp("graphql-http-audit")
    status, output = await run(
        npm, "install", "--no-save", "--no-audit", "--no-fund", *AUDIT_PACKAGES, cwd=directory
    )
    if status != 0 or not (directory / "node_modules" / "graphql-http").is_dir():
        pytest.skip(f"npm could not install {' and '.join(AUDIT_PACKAGES)}: {output[-500:]}")
    return directory


async def test_the_graphql_over_http_audit_passes_every_check(
    server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    directory = await audit_package(tmp_path_factory)
    status, output = await run("node", "-e", AUDIT_SCRIPT, server_url, cwd=directory)
    assert status == 0, output
    results = json.loads(output.strip().splitlines()[-1])
    not_ok = [
        f"{r['id']} {r['name']}: {r['status']}, {r.get('reason')}"
        for r in results
        if r["status"] != "ok"
    ]
    assert len(results) == 61
    assert not_ok == [], "\n".join(not_ok)


# -- the same rules in Python ----------------------------------------------------------------

TYPENAME = {"query": "{ __typename }"}
PARSE_FAILURE = {"query": "{"}
VALIDATION_FAILURE = {"query": "{ noSuchField }"}
COERCION_FAILURE = {
    "query": "query Type($name: String!) { __type(name: $name) { name } }",
    "variables": {"name": None},
}
REQUEST_ERRORS = {
    "parse": (PARSE_FAILURE, "GRAPHQL_PARSE_FAILED"),
    "validation": (VALIDATION_FAILURE, "GRAPHQL_VALIDATION_FAILED"),
    "variable coercion": (COERCION_FAILURE, "BAD_USER_INPUT"),
}


@pytest.fixture(scope="module")
async def spec(small_db: Databases) -> AsyncIterator[Gateway]:
    """The app as the audit sees it, asked anonymously."""
    gw = await open_gateway(small_db, audit_settings(small_db))
    yield gw.as_caller(None)
    await close_gateway(gw)


async def post(
    gw: Gateway, body: object, accept: str | None = None, **headers: str
) -> httpx.Response:
    if accept is not None:
        headers["Accept"] = accept
    return await gw.client.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0.5, application/json", "application/json"),
        ("text/html, */*;q=0.8", "application/json"),
    ],
)
async def test_the_answer_is_in_the_media_type_accept_ranks_first(
    spec: Gateway, accept: str | None, media_type: str
) -> None:
    response = await post(spec, TYPENAME, accept)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_graphql_response_json_declares_utf_8(spec: Gateway) -> None:
    response = await post(spec, TYPENAME, GRAPHQL_RESPONSE)
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"


@pytest.mark.parametrize("accept", ["text/html", "application/xml, text/plain;q=0.5"])
async def test_an_accept_header_with_neither_media_type_is_refused_with_406(
    spec: Gateway, accept: str
) -> None:
    response = await post(spec, TYPENAME, accept)
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


@pytest.mark.parametrize("case", REQUEST_ERRORS)
async def test_a_request_error_is_200_with_data_null_under_application_json(
    spec: Gateway, case: str
) -> None:
    body, code = REQUEST_ERRORS[case]
    response = await post(spec, body, "application/json")
    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] is None
    assert [e["extensions"]["code"] for e in answer["errors"]] == [code]


@pytest.mark.parametrize("case", REQUEST_ERRORS)
async def test_a_request_error_is_400_without_data_under_graphql_response_json(
    spec: Gateway, case: str
) -> None:
    body, code = REQUEST_ERRORS[case]
    response = await post(spec, body, GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    answer = response.json()
    assert "data" not in answer
    assert [e["extensions"]["code"] for e in answer["errors"]] == [code]


async def test_an_operation_that_ran_is_200_even_when_its_data_is_null(spec: Gateway) -> None:
    # anonymous callers may not read employees: a field error, data null, after execution
    response = await post(
        spec, {"query": "{ employees(first: 1) { totalCount } }"}, GRAPHQL_RESPONSE
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] is None and answer["errors"][0]["path"] == ["employees"]


async def test_a_batch_has_the_status_its_operations_share(spec: Gateway) -> None:
    refused = await post(spec, [PARSE_FAILURE, VALIDATION_FAILURE], GRAPHQL_RESPONSE)
    assert refused.status_code == 400
    assert all("data" not in answer for answer in refused.json())
    mixed = await post(spec, [TYPENAME, PARSE_FAILURE], GRAPHQL_RESPONSE)
    assert mixed.status_code == 200
    assert [("data" in answer) for answer in mixed.json()] == [True, False]


@pytest.mark.parametrize("parameter", ["variables", "operationName", "extensions"])
@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_null_parameters_are_allowed(spec: Gateway, parameter: str, accept: str) -> None:
    response = await post(spec, {**TYPENAME, parameter: None}, accept)
    assert response.status_code == 200 and "errors" not in response.json()


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_string_operation_name_map_variables_and_extensions_are_allowed(
    spec: Gateway, accept: str
) -> None:
    for body in (
        {"operationName": "Query", "query": "query Query { __typename }"},
        {
            "query": "query Type($name: String!) { __type(name: $name) { name } }",
            "variables": {"name": "sometype"},
        },
        {**TYPENAME, "extensions": {"some": "value"}},
    ):
        response = await post(spec, body, accept)
        assert response.status_code == 200 and "errors" not in response.json(), body


@pytest.mark.parametrize(
    "body",
    [
        {"notquery": "{ __typename }"},
        *({"query": invalid} for invalid in ({"obj": "ect"}, 0, False, ["array"])),
        *(
            {**TYPENAME, "operationName": invalid}
            for invalid in ({"obj": "ect"}, 0, False, ["array"])
        ),
        *({**TYPENAME, "variables": invalid} for invalid in ("string", 0, False, ["array"])),
        *({**TYPENAME, "extensions": invalid} for invalid in ("string", 0, False, ["array"])),
    ],
    ids=repr,
)
async def test_invalid_parameters_are_400(spec: Gateway, body: dict[str, Any]) -> None:
    response = await post(spec, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_json_that_does_not_parse_is_400(spec: Gateway, accept: str) -> None:
    response = await spec.client.post(
        "/graphql",
        content=b'{ "not a JSON',
        headers={"Content-Type": "application/json", "Accept": accept},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(accept)
    assert "data" not in response.json()


async def test_a_post_without_a_body_or_a_content_type_is_a_4xx(spec: Gateway) -> None:
    no_body = await spec.client.post("/graphql", headers={"Content-Type": "application/json"})
    assert no_body.status_code == 400
    no_type = await spec.client.post("/graphql", content=json.dumps(TYPENAME))
    assert no_type.status_code == 415


async def test_utf_8_is_read_and_written(spec: Gateway) -> None:
    body = {"query": '{ __type(name: "Run🏃Swim🏊") { name } }'}
    response = await spec.client.post(
        "/graphql",
        content=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200 and response.json() == {"data": {"__type": None}}


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_get_runs_queries_with_json_variables(spec: Gateway, accept: str) -> None:
    params = {
        "query": "query Type($name: String!) { __type(name: $name) { name } }",
        "variables": json.dumps({"name": "sometype"}),
    }
    response = await spec.client.get("/graphql", params=params, headers={"Accept": accept})
    assert response.status_code == 200 and response.json() == {"data": {"__type": None}}


async def test_a_mutation_sent_with_get_is_405(spec: Gateway) -> None:
    response = await spec.client.get(
        "/graphql",
        params={"query": "mutation { __typename }"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
