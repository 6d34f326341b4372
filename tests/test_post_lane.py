"""The POST lane (gateway.post_lane): POSTs to the GraphQL path go straight to the view,
everything else to the router; and the view answers a POST as strawberry's own `run`
did."""

from __future__ import annotations

from typing import Any

import pytest
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.http.async_base_view import AsyncBaseHTTPView

from gateway.http import GatewayGraphQL, Refused, refusal_answer, strawberry_refusal
from gateway.post_lane import PostLane
from tests.conftest import Gateway, token


class Recorder:
    """The view and the app behind the lane, recording who answered."""

    def __init__(self) -> None:
        self.answered_by: list[str] = []

    async def run(self, request: Request) -> Response:
        self.answered_by.append("lane")
        return PlainTextResponse("lane")

    async def router(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.answered_by.append("router")
        await PlainTextResponse("router")(scope, receive, send)


async def who_answers(scope: dict[str, Any]) -> str:
    recorder = Recorder()
    lane = PostLane(recorder.router, recorder, "/graphql")  # type: ignore[arg-type]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await lane({"headers": [], "query_string": b"", **scope}, receive, send)
    (answered_by,) = recorder.answered_by
    assert sent[-1]["body"] == answered_by.encode()
    return answered_by


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"type": "http", "method": "POST", "path": "/graphql"}, "lane"),
        ({"type": "http", "method": "GET", "path": "/graphql"}, "router"),
        ({"type": "http", "method": "POST", "path": "/graphql/"}, "router"),
        ({"type": "http", "method": "POST", "path": "/graphqlx"}, "router"),
        ({"type": "http", "method": "POST", "path": "/healthz"}, "router"),
        # Below a root path, as the router reads the path (uvicorn --root-path /api)
        ({"type": "http", "method": "POST", "path": "/api/graphql", "root_path": "/api"}, "lane"),
        ({"type": "http", "method": "POST", "path": "/graphql", "root_path": "/api"}, "lane"),
        (
            {"type": "http", "method": "POST", "path": "/apix/graphql", "root_path": "/api"},
            "router",
        ),
        ({"type": "http", "method": "POST", "path": "/graphql", "root_path": "/graphql"}, "router"),
    ],
)
async def test_only_a_post_to_the_graphql_path_takes_the_lane(
    scope: dict[str, Any], expected: str
) -> None:
    assert await who_answers(scope) == expected


async def test_a_post_is_answered_as_strawberrys_own_run_answered_it(gateway: Gateway) -> None:
    """The view's answer to a POST against strawberry's generic `run`, which answered every
    POST before the lane: the same status, headers (but the request id) and answer, for an
    operation, one that fails, a refusal before it runs, a batch, and bodies refused at
    the edge."""
    view = graphql_view(gateway)
    admin = f"Bearer {token('ADMIN', 'admin')}"
    bodies = [
        (b'{"query": "{ __typename }"}', "application/json", admin),
        (b'{"query": "{ department(code: \\"x\\") { code } }"}', "application/json", admin),
        (b'{"query": "{ nope }"}', "application/json", admin),
        (b'[{"query": "{ __typename }"}, {"query": "{ nope }"}]', "application/json", admin),
        (b'{"query": ', "application/json", admin),
        (b'{"query": "{ __typename }"}', "text/plain", admin),
        (b'{"query": "{ __typename }"}', "application/json", "Bearer forged"),
        (b'{"query": "subscription { x }"}', "application/json", admin),
        (b'{"query": "{ __typename }"}', "application/graphql", admin),
    ]
    for body, content_type, authorization in bodies:
        for accept in ("application/json", "application/graphql-response+json", "text/html"):
            headers = {"content-type": content_type, "accept": accept}
            headers["authorization"] = authorization
            lane = await view.run(post(body, headers))
            generic = await strawberry_run(view, post(body, headers))
            assert described(lane) == described(generic), (body, content_type, accept)


def graphql_view(gateway: Gateway) -> GatewayGraphQL:
    (view,) = {
        route.endpoint
        for route in gateway.app.routes
        if isinstance(route, Route) and route.path == "/graphql"
    }
    assert isinstance(view, GatewayGraphQL)
    return view


async def strawberry_run(view: GatewayGraphQL, request: Request) -> Response:
    """The view's answer by strawberry's generic `run`, refusals as `GatewayGraphQL.run`
    answers them."""
    try:
        response: Response = await AsyncBaseHTTPView.run(view, request)
        return response
    except Refused as refused:
        return refusal_answer(refused, request)
    except HTTPException as exc:
        return refusal_answer(strawberry_refusal(exc, "POST"), request)


def post(body: bytes, headers: dict[str, str]) -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1234),
    }
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


def described(response: Response) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body, without the request id, which each request has of its
    own (refusals name it in their error too)."""
    headers = dict(response.headers)
    request_id = headers.pop("x-request-id")
    return response.status_code, headers, bytes(response.body).replace(request_id.encode(), b"<id>")
