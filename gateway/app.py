"""The ASGI app: built by one factory from settings, so tests build it with their own."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from connectors.ekin.connector import EkinConnector
from connectors.source import PoolSettings, SourceUnavailable
from connectors.sppspm.connector import SppspmConnector
from gateway.context import RequestContext, Services, new_context
from gateway.crosswalk import Crosswalk, CrosswalkError
from gateway.schema import build_schema
from gateway.settings import Settings

log = logging.getLogger("smartgate")


class GatewayGraphQL(GraphQL[RequestContext, None]):
    """strawberry's ASGI handler with this gateway's request context."""

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        services: Services = request.app.state.services
        return new_context(services, request=request)


def build_services(settings: Settings) -> Services:
    """Connectors and crosswalk for the app; pools open in the lifespan."""
    crosswalk = Crosswalk.load(settings.crosswalk)

    def pool(dsn: str) -> PoolSettings:
        return PoolSettings(
            dsn=dsn,
            max_size=settings.pool_max_size,
            statement_timeout_ms=settings.statement_timeout_ms,
        )

    return Services(
        settings=settings,
        ekin=EkinConnector(pool(settings.ekin_dsn)),
        sppspm=SppspmConnector(pool(settings.sppspm_dsn)),
        crosswalk=crosswalk,
    )


async def check_crosswalk_codes(services: Services) -> None:
    """Every finance code in the crosswalk must exist in sppspm for its year.

    Checked when sppspm answers at start-up; if it is down the gateway still starts and
    answers with what e-kin knows.
    """
    try:
        known = await services.sppspm.all_codes()
    except SourceUnavailable as exc:
        log.warning("event=crosswalk_unchecked reason=%r", exc.reason)
        return
    unknown = sorted(services.crosswalk.codes() - known)
    if unknown:
        listed = ", ".join(f"{code} ({year})" for year, code in unknown[:5])
        raise CrosswalkError(
            f"{services.settings.crosswalk}: finance codes not in sppspm for their year: {listed}"
            + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        )


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    """The gateway app. `services` may be given by tests that share connectors."""
    services = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.ekin.open()
        await services.sppspm.open()
        try:
            await check_crosswalk_codes(services)
            yield
        finally:
            await services.ekin.close()
            await services.sppspm.close()

    graphql = GatewayGraphQL(build_schema(), graphql_ide="graphiql" if settings.graphiql else None)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = [await services.ekin.check(), await services.sppspm.check()]
        ready = all(h.healthy for h in checks)
        body = {
            "status": "ready" if ready else "not ready",
            "sources": {h.name: {"healthy": h.healthy, "error": h.last_error} for h in checks},
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
