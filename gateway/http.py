"""The HTTP edge of the GraphQL endpoint: authentication, content types, the media type of
answers, batch and body size, and the status codes of refusals, around strawberry's ASGI
view. GraphQL over HTTP as the GraphQL Foundation's spec has it
(https://graphql.github.io/graphql-over-http/draft/)."""

from __future__ import annotations

import asyncio
import base64
import functools
import gzip
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from gateway.access.caller import ANONYMOUS, Caller
from gateway.access.tokens import TokenRefused
from gateway.context import Channel, Services
from gateway.logs import current_request_id
from gateway.request_errors import BAD_USER_INPUT, PARSE_FAILED, VALIDATION_FAILED
from gateway.request_params import MalformedRequest, from_json_body, from_query_string

log = logging.getLogger("smartgate")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}\Z")
_CONTENT_TYPES = ("application/json", "application/graphql")

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
_ACCEPTED = {GRAPHQL_RESPONSE: GRAPHQL_RESPONSE, JSON: JSON, "application/*": JSON, "*/*": JSON}

REQUEST_ERROR_STATUS = {
    PARSE_FAILED: 400,
    VALIDATION_FAILED: 400,
    BAD_USER_INPUT: 400,  # variables that do not coerce
    "QUERY_TOO_COMPLEX": 400,
    "PERSISTED_QUERY_NOT_FOUND": 400,
    "UNAUTHENTICATED": 401,  # a WebSocket's token that expired; over HTTP a 401 comes first
    "RATE_LIMITED": 429,
    "OVERLOADED": 503,  # gateway.load_shedding
    "RATE_LIMIT_UNAVAILABLE": 503,  # gateway.access.rate_limit: Redis away, set to refuse
}
"""The HTTP status of an operation refused before it ran (a GraphQL request error), by the
code of its error. Under application/graphql-response+json the answer has that status and
no `data`; under application/json (legacy) it is 200 with `data: null`, but for 429 and
503, which a client, a proxy or a load balancer must see to retry later."""
RETRY_LATER = (429, 503)


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

    def response(self, request_id: str | None = None, media_type: str = JSON) -> Response:
        extensions: dict[str, Any] = {"code": self.code}
        headers = dict(self.headers)
        if request_id:
            extensions["requestId"] = request_id
            headers["X-Request-ID"] = request_id
        body = {"errors": [{"message": self.message, "extensions": extensions}]}
        return JSONResponse(body, self.status, headers, media_type=_with_charset(media_type))


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


def _identified(request: Request | WebSocket) -> str:
    """The request's id (`request_id_of`), where its logs and refusals find it."""
    request_id = request_id_of(request)
    request.state.request_id = request_id
    current_request_id.set(request_id)
    return request_id


def request_id_of(request: Request | WebSocket) -> str:
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else os.urandom(16).hex()  # as uuid4().hex, faster


class GatewayGraphQL(GraphQL[Channel, None]):
    """strawberry's ASGI view with the gateway's front door: who is calling, content
    types, batch size, and HTTP status codes for refusals. Everything else an operation
    gets, on every transport, is `gateway.operation_scope`'s."""

    def __init__(self, schema: BaseSchema, services: Services, **options: Any) -> None:
        super().__init__(schema, **options)
        self.services = services
        # GraphiQL from the gateway's own copy of its scripts (no CDN): served to browsers
        # on /graphql when graphql_ide is set, its files under GRAPHIQL_ASSETS
        self.graphiql = GraphiQLAssets.load() if self.graphql_ide else None

    def encode_json(self, data: object) -> str:
        """Answers as JSON text (`json_bytes`). Text, not bytes: strawberry sends bytes
        over a WebSocket as a binary frame, which graphql-transport-ws does not allow."""
        return json_bytes(data).decode()

    async def render_graphql_ide(self, request: Request) -> Response:
        assert self.graphiql is not None  # strawberry asks only when graphql_ide is set
        return self.graphiql.page_response()

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """strawberry's `run`, but for a POST (`_answer_post`); refusals answered as JSON."""
        try:
            if type(request) is Request and request.scope["method"] == "POST":
                return await self._answer_post(request)
            return await super().run(request, context, root_value)
        except Refused as refused:
            self.services.metrics.answered(None, "refused", None)
            return refusal_answer(refused, request)
        except HTTPException as exc:  # strawberry's own refusals, as JSON like ours
            return refusal_answer(strawberry_refusal(exc, request.scope.get("method")), request)
        finally:
            expiry = getattr(request.state, "token_expiry", None)
            if expiry is not None:
                expiry.cancel()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Channel:
        channel = self._channel(request)
        if isinstance(request, Request) and isinstance(response, Response):
            response.headers["X-Request-ID"] = channel.request_id
            # what `create_response` answers in; None (not acceptable) is refused with
            # 406 once the request is known to be an operation, not a browser asking
            # for GraphiQL
            response.media_type = response_media_type(request.headers.get("accept"))
            channel.response = response
        return channel

    def _channel(self, request: Request | WebSocket) -> Channel:
        """The channel of a request (with its id) and, over HTTP, its caller: refused with
        401 when its token is. A WebSocket's caller comes with its connection_init."""
        channel = Channel(self.services, request=request, request_id=_identified(request))
        if isinstance(request, Request):
            channel.caller = authenticate(self.services, single_authorization(request))
        return channel

    async def _answer_post(self, request: Request) -> Response:
        """The answer to a POST: what strawberry's `run` does for one, in the same order
        (the caller, then the media type, the body and the operations), without what a
        POST never needs: a root value, GraphiQL, a stream (`operations_of` never asks
        for one), a sub-response to copy headers from, strawberry's generic checks of
        results. `PostLane` sends POSTs to `run` straight from the app's middleware."""
        channel = self._channel(request)
        adapter = self.request_adapter_class(request)
        operations = await self.parse_http_body(adapter)
        if isinstance(operations, list):
            results = await asyncio.gather(
                *(self._execute_posted(request, adapter, channel, op) for op in operations)
            )
            answer: GraphQLHTTPResponse | list[GraphQLHTTPResponse] = [
                await self.process_result(request, result) for result in results
            ]
        else:
            result = await self._execute_posted(request, adapter, channel, operations)
            answer = await self.process_result(request, result)
        media_type = response_media_type(request.headers.get("accept")) or JSON
        status, retry_after = answer_status(answer, media_type)
        headers = {"content-type": _with_charset(media_type), "x-request-id": channel.request_id}
        if retry_after is not None:
            headers["retry-after"] = retry_after
        return Response(json_bytes(answer), status or 200, headers)

    async def _execute_posted(
        self,
        request: Request,
        adapter: AsyncHTTPRequestAdapter,
        channel: Channel,
        operation: GraphQLRequestData,
    ) -> ExecutionResult:
        return await self.execute_single(
            request=request,
            request_adapter=adapter,
            sub_response=None,  # type: ignore[arg-type]  # strawberry passes it on unread
            context=channel,
            root_value=None,
            request_data=operation,
        )

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
        if response_media_type(request.headers.get("accept")) is None:
            raise Refused(
                406,
                "NOT_ACCEPTABLE",
                f"answers are {GRAPHQL_RESPONSE} or {JSON}; the Accept header allows neither",
            )
        try:
            data = await operations_of(request)
        except MalformedRequest as exc:
            raise Refused(400, "BAD_REQUEST", str(exc)) from None
        if isinstance(data, list):
            self._check_batch(data)
        return data

    def _check_batch(self, batch: list[GraphQLRequestData]) -> None:
        limit = self.schema.config.batching_config or {"max_operations": 1}
        allowed = limit["max_operations"]
        if len(batch) > allowed:
            raise Refused(
                400,
                "BATCH_TOO_LARGE",
                f"{len(batch)} operations in one request exceed the limit of {allowed}"
                f" by {len(batch) - allowed}",
            )

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """The answer to a GET in the negotiated media type, with `answer_status`'s
        status and Retry-After (a POST's is `_answer_post`'s)."""
        media_type = sub_response.media_type or JSON
        status, retry_after = answer_status(response_data, media_type)
        if retry_after is not None:
            sub_response.headers["Retry-After"] = retry_after
        if status is not None:
            sub_response.status_code = status
        response = super().create_response(response_data, sub_response)
        response.headers["Content-Type"] = _with_charset(media_type)
        return response


async def operations_of(
    request: AsyncHTTPRequestAdapter,
) -> GraphQLRequestData | list[GraphQLRequestData]:
    """The operation a request carries (a list for a batch): in a GET's query string, or
    in a POST's body of a content type a browser cannot send cross-site without asking."""
    if request.method == "GET":
        return from_query_string(request.query_params)
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type not in _CONTENT_TYPES:
        # Browsers send forms cross-site without asking; JSON they must ask for.
        raise Refused(
            415,
            "UNSUPPORTED_CONTENT_TYPE",
            f"POST needs Content-Type application/json or application/graphql,"
            f" not {content_type or 'none'}",
        )
    body = await request.get_body()
    if content_type == "application/graphql":
        return GraphQLRequestData(
            query=body.decode("utf-8", "replace"),
            variables=None,
            operation_name=request.query_params.get("operationName"),
            extensions=None,
        )
    return from_json_body(body)


@functools.lru_cache(maxsize=128)  # clients send a few Accept values, each many times
def response_media_type(accept: str | None) -> str | None:
    """The media type of the answer, as the GraphQL-over-HTTP spec negotiates it: of
    application/graphql-response+json and application/json, the one the Accept header
    ranks first (by q, then by order); application/json for a wildcard or without an
    Accept header (the spec's legacy default, which existing clients rely on); None when
    the header accepts neither, which is refused with 406."""
    if accept is None or not accept.strip():
        return JSON
    chosen, chosen_q = None, 0.0
    for entry in accept.split(","):
        media_range, *params = (part.strip() for part in entry.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        offered = _ACCEPTED.get(media_range.lower())
        if offered is not None and q > chosen_q:
            chosen, chosen_q = offered, q
    return chosen


def answer_status(
    response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], media_type: str
) -> tuple[int | None, str | None]:
    """The HTTP status of an answer when it is not 200, and its Retry-After. An operation
    refused before it ran gets its `REQUEST_ERROR_STATUS` (and loses its `data`) under
    application/graphql-response+json; under application/json only a rate limit or an
    overload changes the status. A batch has a status of its own only when every
    operation of it has that same one."""
    answers = response_data if isinstance(response_data, list) else [response_data]
    statuses = [refusal_status(answer) for answer in answers]
    if media_type == GRAPHQL_RESPONSE:
        for answer, refused in zip(answers, statuses, strict=True):
            if refused is not None:
                answer.pop("data", None)
    status = statuses[0] if len(set(statuses)) == 1 else None
    if status in RETRY_LATER:
        return status, _retry_after(answers)
    if status is not None and media_type == GRAPHQL_RESPONSE:
        return status, None
    return None, None


def json_bytes(data: object) -> bytes:
    """JSON by orjson, several times faster than the standard library on large answers;
    what orjson refuses (an integer beyond 64 bits, a lone surrogate in an echoed message)
    goes through the standard library."""
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:
        return json.dumps(data, separators=(",", ":")).encode()


def refusal_status(answer: GraphQLHTTPResponse) -> int | None:
    """The `REQUEST_ERROR_STATUS` of an operation refused before it ran: no data, no error
    on a field's path, and every error's code one of those; None for any other answer."""
    errors: list[dict[str, Any]] = answer.get("errors") or []  # type: ignore[assignment]
    if answer.get("data") is not None or not errors or any("path" in e for e in errors):
        return None
    codes = [(e.get("extensions") or {}).get("code") for e in errors]
    statuses = [REQUEST_ERROR_STATUS.get(code) if isinstance(code, str) else None for code in codes]
    return statuses[0] if None not in statuses else None


def single_authorization(request: Request) -> str | None:
    """The request's Authorization header. Two of them are refused: a proxy in front may
    have checked the other one."""
    values = request.headers.getlist("authorization")
    if len(values) > 1:
        raise Refused(400, "BAD_REQUEST", f"{len(values)} Authorization headers; send exactly one")
    return values[0] if values else None


def _retry_after(answers: list[GraphQLHTTPResponse]) -> str:
    """The Retry-After of rate-limited or overloaded answers: what the first one says."""
    errors: list[dict[str, Any]] = answers[0].get("errors") or []  # type: ignore[assignment]
    return str((errors[0].get("extensions") or {}).get("retryAfter", 1))


def _close_expired(socket: WebSocket) -> None:
    if socket.application_state is WebSocketState.CONNECTED:
        asyncio.ensure_future(socket.close(4403, "token expired"))


def strawberry_refusal(exc: HTTPException, method: str | None) -> Refused:
    """strawberry's refusal as one of ours; a mutation sent with GET is 405, as the
    GraphQL-over-HTTP spec has it."""
    if method == "GET" and isinstance(exc.__cause__, InvalidOperationTypeError):
        return Refused(405, "METHOD_NOT_ALLOWED", f"{exc.reason}; use POST", {"Allow": "POST"})
    return Refused(exc.status_code, "BAD_REQUEST", exc.reason)


def refusal_answer(refused: Refused, request: Request | WebSocket) -> Response:
    """A refusal, in the media type the request accepts (application/json if none)."""
    media_type = response_media_type(request.headers.get("accept")) or JSON
    return refused.response(getattr(request.state, "request_id", None), media_type)


def _with_charset(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type == GRAPHQL_RESPONSE else media_type


GRAPHIQL_FOLDER = Path(__file__).parent / "static" / "graphiql"
GRAPHIQL_ASSETS = "/static/graphiql"
"""Where GraphiQL's vendored files are served (`/static/graphiql/react-18.2.0/...`). The
page names them relative to /graphql, so a proxy may put both under a prefix."""
_ASSET_TAG = re.compile(r"\{\{asset (\S+) (\S+)\}\}")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_FOREVER = "public, max-age=31536000, immutable"  # each file's URL names its version


@dataclass(slots=True)
class GraphiQLAssets:
    """GraphiQL's page and the files it loads, vendored under gateway/static/graphiql by
    scripts/refresh_graphiql.py (pinned versions from the npm registry, their licences
    beside them, manifest.json). The page loads nothing from anywhere else, and its
    Content-Security-Policy lets the browser load nothing from anywhere else either."""

    page: str
    csp: str
    files: Mapping[str, Path]  # by the path under GRAPHIQL_ASSETS
    _bodies: dict[tuple[str, bool], bytes] = field(default_factory=dict)  # (path, gzipped)

    @classmethod
    def load(cls, folder: Path = GRAPHIQL_FOLDER) -> GraphiQLAssets:
        """The page with each `{{asset PACKAGE PATH}}` of its template replaced by a tag
        with the file's URL and integrity; fails at start-up when a file is missing."""
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        listed: dict[tuple[str, str], tuple[str, str]] = {}  # (package, path): (url, sri)
        files: dict[str, Path] = {}
        for package in manifest["packages"]:
            served = [(f["path"], f["sri"]) for f in package["files"]]
            for path, sri in served:
                url = f"{package['folder']}/{path}"
                listed[package["name"], path] = (url, sri)
                files[url] = folder / url
            licence = f"{package['folder']}/{package['licenseFile']}"
            files[licence] = folder / licence
        missing = [str(path) for path in files.values() if not path.is_file()]
        if missing:
            raise RuntimeError(
                f"GraphiQL's files are missing ({', '.join(missing)}): the package was"
                " installed without its data, or run scripts/refresh_graphiql.py"
            )

        def tag(match: re.Match[str]) -> str:
            try:
                url, sri = listed[match[1], match[2]]
            except KeyError:
                raise RuntimeError(
                    f"graphiql.html loads {match[1]} {match[2]}, which manifest.json does not"
                    " list: add it to scripts/refresh_graphiql.py and run it"
                ) from None
            href = f"{GRAPHIQL_ASSETS.lstrip('/')}/{url}"  # relative to /graphql
            if url.endswith(".css"):
                return f'<link rel="stylesheet" href="{href}" integrity="{sri}" />'
            return f'<script src="{href}" integrity="{sri}"></script>'

        page = _ASSET_TAG.sub(tag, (folder / "graphiql.html").read_text(encoding="utf-8"))
        inline = " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
            for s in _INLINE_SCRIPT.findall(page)
        )
        csp = (
            f"default-src 'self'; script-src 'self' {inline}; style-src 'self' 'unsafe-inline';"
            " img-src 'self' data:; font-src 'self' data:; connect-src 'self';"
            " object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        return cls(page, csp, files)

    def page_response(self) -> Response:
        return HTMLResponse(
            self.page,
            headers={
                "Content-Security-Policy": self.csp,
                "Cache-Control": "no-cache",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    async def serve(self, request: Request) -> Response:
        """One vendored file, cached by browsers for good (its URL names its version),
        gzipped when the browser takes it (compressed once per process)."""
        path = request.path_params["path"]
        file = self.files.get(path)
        if file is None:
            return Response("Not Found", 404, media_type="text/plain")
        gzipped = "gzip" in request.headers.get("accept-encoding", "")
        body = self._bodies.get((path, gzipped))
        if body is None:
            body = await asyncio.to_thread(_read, file, gzipped)
            self._bodies[path, gzipped] = body
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        headers = {
            "Cache-Control": _FOREVER,
            "ETag": etag,
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        }
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        media_type = _MEDIA_TYPES.get(file.suffix, "text/plain; charset=utf-8")
        return Response(body, headers=headers, media_type=media_type)


def _read(file: Path, gzipped: bool) -> bytes:
    content = file.read_bytes()
    return gzip.compress(content, 6, mtime=0) if gzipped else content


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
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self.refused().response()(scope, receive, send)
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
                await self.refused().response()(scope, receive, send)
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

    def refused(self) -> Refused:
        return Refused(
            413,
            "PAYLOAD_TOO_LARGE",
            f"the request body exceeds the limit of {self.max_bytes:,} bytes",
        )
