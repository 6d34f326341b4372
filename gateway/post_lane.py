"""POSTs to /graphql, nearly all of the gateway's traffic, sent straight to the view.

Starlette's exception middleware, router and route, and strawberry's ASGI entry and
generic `run`, cost a tiny query a tenth of its CPU in-process and a fifth of its answers
a second under load, for nothing a POST uses: the route is known from the method and
path alone, and `GatewayGraphQL.run` answers a POST itself (`_answer_post`). Everything
else, GET, GraphiQL, WebSocket and the other paths, goes through the router as before.
The lane sits innermost of the app's own middleware, so a POST still passes the error
middleware, CORS and the body-size limit.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.http import GatewayGraphQL


class PostLane:
    """ASGI middleware: a POST to `path` answered by `view.run`."""

    def __init__(self, app: ASGIApp, view: GatewayGraphQL, path: str) -> None:
        self.app = app
        self.view = view
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and self._routed(scope):
            response = await self.view.run(Request(scope, receive))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _routed(self, scope: Scope) -> bool:
        """Whether the router would send this request to `path`: its path below the app's
        root path, as Starlette's router reads it (an exact match, no trailing slash)."""
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):
            below = path[len(root_path) :]
            if not below or below[0] == "/":
                path = below
        return path == self.path
