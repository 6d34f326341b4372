"""What a hostile client can send the HTTP edge: every malformed request is a 400 with a
GraphQL error saying what is wrong, never a crash; and documents that do not parse,
validate or coerce carry a code on every transport."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.request_params import MAX_JSON_DEPTH
from tests.conftest import Databases, Gateway
from tests.test_websocket import bearer, connected


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


async def refused(response: httpx.Response, status: int, code: str) -> str:
    """The message of a refusal, checked to be one with `status` and `code`."""
    assert response.status_code == status, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == code
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    return str(error["message"])


MALFORMED_BODIES = {
    "not JSON": (b'{ "query": ', "the request body is not JSON"),
    "empty": (b"", "the request body is not JSON"),
    "invalid UTF-8": (b'{"query": "\xff"}', "the request body is not JSON"),
    "an integer too long to convert": (
        b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 5000 + b"}}",
        "the request body is not JSON",
    ),
    "a string": (b'"{ __typename }"', "must be a JSON object with a query, not a string"),
    "null": (b"null", "must be a JSON object with a query, not null"),
    "a number": (b"5", "must be a JSON object with a query, not a number"),
    "a boolean": (b"true", "must be a JSON object with a query, not a boolean"),
    "a list of numbers": (b"[1, 2, 3]", "batch item 0 must be a JSON object"),
    "an empty batch": (b"[]", "an empty batch"),
    "query a number": (b'{"query": 5}', "query must be a string or null, not a number"),
    "query an object": (b'{"query": {}}', "query must be a string or null, not an object"),
    "operationName a number": (
        b'{"query": "{ __typename }", "operationName": 5}',
        "operationName must be a string or null, not a number",
    ),
    "operationName a list": (
        b'{"query": "{ __typename }", "operationName": ["Q"]}',
        "operationName must be a string or null, not an array",
    ),
    "variables a list": (
        b'{"query": "{ __typename }", "variables": [7]}',
        "variables must be an object or null, not an array",
    ),
    "variables a string": (
        b'{"query": "{ __typename }", "variables": "{}"}',
        "variables must be an object or null, not a string",
    ),
    "extensions a boolean": (
        b'{"query": "{ __typename }", "extensions": false}',
        "extensions must be an object or null, not a boolean",
    ),
    "a batch item whose query is a number": (
        b'[{"query": "{ __typename }"}, {"query": 5}]',
        "batch item 1: query must be a string or null, not a number",
    ),
    "a batch item that is a string": (
        b'[{"query": "{ __typename }"}, "{ __typename }"]',
        "batch item 1 must be a JSON object with a query, not a string",
    ),
    "a batch item whose variables are a number": (
        b'[{"query": "{ __typename }", "variables": 1}]',
        "batch item 0: variables must be an object or null, not a number",
    ),
    "100,000 opening brackets": (b"[" * 100_000, f"deeper than {MAX_JSON_DEPTH} levels"),
    "variables nested 1,000 deep": (
        b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 900 + b"]" * 900 + b"}}",
        f"deeper than {MAX_JSON_DEPTH} levels",
    ),
}


@pytest.mark.parametrize("case", MALFORMED_BODIES)
async def test_a_malformed_body_is_a_400_saying_what_is_wrong(gateway: Gateway, case: str) -> None:
    body, expected = MALFORMED_BODIES[case]
    before = gateway.statements()
    response = await gateway.client.post(
        "/graphql",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {gateway.token}"},
    )
    assert expected in await refused(response, 400, "BAD_REQUEST")
    assert gateway.statements() == before


async def test_json_nested_up_to_the_bound_is_read(gateway: Gateway) -> None:
    # the body's object and the variables' object are two levels of their own
    variables = {"v": nested(MAX_JSON_DEPTH - 2)}
    assert (await gateway.post("{ __typename }", variables)).status_code == 200
    deeper = {"v": nested(MAX_JSON_DEPTH - 1)}
    await refused(await gateway.post("{ __typename }", deeper), 400, "BAD_REQUEST")


async def test_brackets_inside_strings_do_not_count_as_nesting(gateway: Gateway) -> None:
    variables = {"text": "[" * 10_000 + '"\\' + "{" * 10_000}
    assert (await gateway.post("{ __typename }", variables)).status_code == 200


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"variables": "{nope"}, "the variables parameter is not JSON"),
        ({"variables": "[1]"}, "variables must be an object or null, not an array"),
        ({"variables": "[" * 5_000}, f"deeper than {MAX_JSON_DEPTH} levels"),
        ({"extensions": "5"}, "extensions must be an object or null, not a number"),
    ],
)
async def test_malformed_get_parameters_are_a_400(
    gateway: Gateway, params: dict[str, str], expected: str
) -> None:
    response = await gateway.client.get(
        "/graphql",
        params={"query": "{ __typename }", **params},
        headers={"Authorization": f"Bearer {gateway.token}"},
    )
    assert expected in await refused(response, 400, "BAD_REQUEST")


async def test_two_authorization_headers_are_a_400(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers=[("Authorization", f"Bearer {gateway.token}"), ("Authorization", "Bearer x")],
    )
    message = await refused(response, 400, "BAD_REQUEST")
    assert message == "2 Authorization headers; send exactly one"


async def test_a_refusal_keeps_the_callers_request_id(gateway: Gateway) -> None:
    response = await gateway.client.post(
        "/graphql",
        content=b"null",
        headers={"Content-Type": "application/json", "X-Request-ID": "hostile-1"},
    )
    await refused(response, 400, "BAD_REQUEST")
    assert response.headers["x-request-id"] == "hostile-1"


# -- codes of documents that do not parse, validate or coerce --------------------------------

NOT_PARSING = {"query": "{ departments { code }"}
NOT_VALIDATING = {"query": "{ departments { nothing } }"}
NOT_COERCING = {
    "query": "query($year: Int) { departments(fiscalYear: $year) { code } }",
    "variables": {"year": "this year"},
}
REQUEST_ERRORS = {
    "not parsing": (NOT_PARSING, "GRAPHQL_PARSE_FAILED"),
    "over the token limit": (
        {"query": "{ sources { " + "name " * 6_000 + "} }"},
        "GRAPHQL_PARSE_FAILED",
    ),
    "not validating": (NOT_VALIDATING, "GRAPHQL_VALIDATION_FAILED"),
    "variables not coercing": (NOT_COERCING, "BAD_USER_INPUT"),
}


@pytest.mark.parametrize("case", REQUEST_ERRORS)
async def test_request_errors_carry_their_code_over_http(gateway: Gateway, case: str) -> None:
    operation, code = REQUEST_ERRORS[case]
    body = await gateway.query(operation["query"], operation.get("variables"))
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [code], body


def test_request_errors_carry_their_code_on_a_websocket_which_stays_open(
    small_db: Databases,
) -> None:
    def subscribe(operation_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        ws.send_json({"id": operation_id, "type": "subscribe", "payload": payload})
        message: dict[str, Any] = ws.receive_json()
        return message

    with connected(small_db, bearer("ADMIN")) as ws:
        assert ws.receive_json()["type"] == "connection_ack"
        # refused before execution: an `error` message
        not_parsing = subscribe("1", NOT_PARSING)
        assert not_parsing["type"] == "error"
        assert not_parsing["payload"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        not_validating = subscribe("2", NOT_VALIDATING)
        assert not_validating["type"] == "error"
        assert not_validating["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        # variables are coerced as execution starts: a result without data
        not_coercing = subscribe("3", NOT_COERCING)
        assert not_coercing["type"] == "next" and not_coercing["payload"]["data"] is None
        assert not_coercing["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert ws.receive_json() == {"id": "3", "type": "complete"}
        # the socket is still open for the caller's other operations
        answered = subscribe("4", {"query": "{ __typename }"})
        assert answered["payload"] == {"data": {"__typename": "Query"}}


async def test_codes_given_before_validation_are_kept(gateway: Gateway) -> None:
    too_costly = (
        "{ employees(first: 500) { edges { node { "
        + "subordinates { " * 5
        + "nip"
        + " }" * 5
        + " } } } }"
    )
    body = await gateway.query(too_costly)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]


def test_answers_are_json_text_and_what_orjson_refuses_still_encodes(gateway: Gateway) -> None:
    import json

    from gateway.http import GatewayGraphQL
    from gateway.schema import build_schema

    view = GatewayGraphQL(build_schema(), gateway.services)
    answer = {"data": {"name": "DINAS KESEHATAN — Semarang", "amount": "1250000.00"}}
    encoded = view.encode_json(answer)
    assert isinstance(encoded, str) and json.loads(encoded) == answer  # text: a WebSocket frame
    beyond = {"errors": [{"message": "bad \ud800 value", "extensions": {"n": 2**70}}]}
    assert view.encode_json(beyond) == json.dumps(beyond, separators=(",", ":"))
