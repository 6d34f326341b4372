"""The HTTP edge of the GraphQL endpoint: authentication, content types, batch and body
size, and the status codes of refusals, around strawberry's ASGI view."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.base import BaseSchema
from strawberry.types.unset import UNSET, UnsetType

from gateway.access.caller import ANONYMOUS, Caller
from gateway.access.tokens import TokenRefused
from gateway.context import Channel, Services
from gateway.logs import current_request_id

log = logging.getLogger("smartgate")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_CONTENT_TYPES = ("application/json", "application/graphql")


class Refused(Exception):
    """A request refused before GraphQL runs: answered as JSON with a GraphQL error."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self, request_id: str | None = None) -> Response:
        extensions: dict[str, Any] = {"code": self.code}
        headers = dict(self.headers)
        if request_id:
            extensions["requestId"] = request_id
            headers["X-Request-ID"] = request_id
        body = {"errors": [{"message": self.message, "extensions": extensions}]}
        return JSONResponse(body, status_code=self.status, headers=headers)


def authenticate(services: Services, authorization: str | None) -> Caller:
    """The caller an Authorization header names: anonymous without one."""
    if authorization is None or not authorization.strip():
        return ANONYMOUS
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthenticated("the Authorization header must be 'Bearer <token>'")
    if services.tokens is None:
        raise _unauthenticated("this gateway has no token keys configured")
    try:
        return services.tokens.verify(token.strip())
    except TokenRefused as exc:
        raise _unauthenticated(exc.reason) from None


def bearer_of(params: dict[str, object]) -> str | None:
    """The Authorization value a WebSocket's connection_init payload carries."""
    headers = params.get("headers")
    for source in (params, headers if isinstance(headers, dict) else {}):
        for key in ("Authorization", "authorization"):
            value = source.get(key)
            if isinstance(value, str):
                return value
    for key in ("token", "authToken"):
        value = params.get(key)
        if isinstance(value, str) and value:
            return f"Bearer {value}"
    return None


def _unauthenticated(reason: str) -> Refused:
    challenge = 'Bearer error="invalid_token", error_description="' + reason.replace('"', "'")
    return Refused(401, "UNAUTHENTICATED", reason, {"WWW-Authenticate": challenge + '"'})


def request_id_of(request: Request | WebSocket) -> str:
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


class GatewayGraphQL(GraphQL[Channel, None]):
    """strawberry's ASGI view with the gateway's front door: who is calling, content
    types, batch size, and HTTP status codes for refusals. Everything else an operation
    gets, on every transport, is `gateway.operation_scope`'s."""

    def __init__(self, schema: BaseSchema, services: Services, **options: Any) -> None:
        super().__init__(schema, **options)
        self.services = services

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        except Refused as refused:
            self.services.metrics.answered(None, "refused", None)
            return refused.response(getattr(request.state, "request_id", None))
        except HTTPException as exc:  # strawberry's own refusals, as JSON like ours
            own = Refused(exc.status_code, "BAD_REQUEST", exc.reason)
            return own.response(getattr(request.state, "request_id", None))
        finally:
            expiry = getattr(request.state, "token_expiry", None)
            if expiry is not None:
                expiry.cancel()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Channel:
        request_id = request_id_of(request)
        request.state.request_id = request_id
        current_request_id.set(request_id)
        channel = Channel(self.services, request=request, request_id=request_id)
        if isinstance(response, Response):
            response.headers["X-Request-ID"] = request_id
            channel.response = response
        if isinstance(request, Request):
            channel.caller = authenticate(self.services, single_authorization(request))
        return channel

    async def on_ws_connect(self, context: Channel) -> UnsetType | dict[str, object] | None:
        """A WebSocket authenticates in its connection_init payload, as
        `{"Authorization": "Bearer <token>"}` (also accepted: the same inside `headers`,
        or the bare token as `token` or `authToken`). When the token expires, the socket
        is closed with 4403 and its subscriptions end."""
        try:
            caller = authenticate(context.services, bearer_of(context.connection_params or {}))
        except Refused as refused:
            raise ConnectionRejectionError(
                {"code": refused.code, "reason": refused.message}
            ) from None
        context.caller = caller
        socket = context.request
        if caller.expires_at is not None and isinstance(socket, WebSocket):
            left = max(caller.expires_at - time.time(), 0)
            socket.state.token_expiry = asyncio.get_running_loop().call_later(
                left, _close_expired, socket
            )
        return UNSET

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data: GraphQLRequestData | list[GraphQLRequestData]
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if request.method == "POST" and content_type not in _CONTENT_TYPES:
            # Browsers send forms cross-site without asking; JSON they must ask for.
            raise Refused(
                415,
                "UNSUPPORTED_CONTENT_TYPE",
                f"POST needs Content-Type application/json or application/graphql,"
                f" not {content_type or 'none'}",
            )
        if request.method == "POST" and content_type == "application/graphql":
            data = GraphQLRequestData(
                query=(await request.get_body()).decode("utf-8", "replace"),
                variables=None,
                operation_name=request.query_params.get("operationName"),
                extensions=None,
                protocol="http",
            )
        else:
            if request.method == "POST":
                self._check_batch(_json(await request.get_body()))
            data = await super().parse_http_body(request)
        return data

    def _check_batch(self, payload: Any) -> None:
        if not isinstance(payload, list):
            return
        limit = self.schema.config.batching_config or {"max_operations": 1}
        allowed = limit["max_operations"]
        if len(payload) > allowed:
            raise Refused(
                400,
                "BATCH_TOO_LARGE",
                f"{len(payload)} operations in one request exceed the limit of {allowed}"
                f" by {len(payload) - allowed}",
            )

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        retry = _rate_limited(response_data)
        if retry is not None:
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = retry
        return super().create_response(response_data, sub_response)


def single_authorization(request: Request) -> str | None:
    """The request's Authorization header. Two of them are refused: a proxy in front may
    have checked the other one."""
    values = request.headers.getlist("authorization")
    if len(values) > 1:
        raise Refused(400, "BAD_REQUEST", f"{len(values)} Authorization headers; send exactly one")
    return values[0] if values else None


def _rate_limited(response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> str | None:
    """The Retry-After of a response whose every operation the rate limit refused."""
    answers = response_data if isinstance(response_data, list) else [response_data]
    retry = None
    for answer in answers:
        errors: list[dict[str, Any]] = answer.get("errors") or []  # type: ignore[assignment]
        codes = [(e.get("extensions") or {}).get("code") for e in errors]
        if answer.get("data") is not None or codes != ["RATE_LIMITED"]:
            return None
        retry = str((errors[0].get("extensions") or {}).get("retryAfter", 1))
    return retry


def _close_expired(socket: WebSocket) -> None:
    if socket.application_state is WebSocketState.CONNECTED:
        asyncio.ensure_future(socket.close(4403, "token expired"))


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise Refused(400, "BAD_REQUEST", "the request body is not JSON") from None


class BodySizeLimit:
    """ASGI middleware: refuses a request body over `max_bytes` with 413 before reading
    it all, whether or not it announces its length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = Refused(
            413,
            "PAYLOAD_TOO_LARGE",
            f"the request body exceeds the limit of {self.max_bytes:,} bytes",
        )
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await refused.response()(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await refused.response()(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
