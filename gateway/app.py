"""The ASGI app: built by one factory from settings, so tests build it with their own."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from connectors.breaker import BreakerSettings
from connectors.ekin.connector import EkinConnector
from connectors.source import ANALYTICS_POOL, PoolSettings, SourceUnavailable
from connectors.sppspm.connector import SppspmConnector
from gateway.access.tokens import TokenKeys, TokenVerifier
from gateway.access.trusted import TrustedDocuments
from gateway.context import Services, SourcePair
from gateway.crosswalk import Crosswalk, CrosswalkError
from gateway.events.hub import EventHub
from gateway.health import readiness
from gateway.http import GRAPHIQL_ASSETS, BodySizeLimit, GatewayGraphQL
from gateway.metrics import Metrics
from gateway.post_lane import PostLane
from gateway.schema import build_schema
from gateway.settings import Settings
from gateway.shared_state import SharedState
from gateway.status_page import StatusPage
from gateway.timebound.calendar_cache import CalendarCache
from gateway.tracing import Tracing

log = logging.getLogger("smartgate")


def build_services(settings: Settings) -> Services:
    """Connectors and crosswalk for the app; pools open in the lifespan."""
    crosswalk = Crosswalk.load(settings.crosswalk)

    breaker = BreakerSettings(
        failure_threshold=settings.breaker_failures,
        cool_down_s=settings.breaker_cool_down_ms / 1000,
    )

    def pool(dsn: str) -> PoolSettings:
        return PoolSettings(
            dsn=dsn,
            max_size=settings.pool_max_size,
            statement_timeout_ms=settings.statement_timeout_ms,
            acquire_timeout_ms=settings.pool_acquire_timeout_ms,
            breaker=breaker,
        )

    def analytics_pool(dsn: str) -> PoolSettings:
        """A small pool of its own, with its own statement timeout; statements queue for
        it rather than fail. No connection is held while no analyst asks."""
        return PoolSettings(
            dsn=dsn,
            min_size=0,
            max_size=settings.analytics_pool_max_size,
            statement_timeout_ms=settings.analytics_statement_timeout_ms,
            acquire_timeout_ms=settings.pool_acquire_timeout_ms,
            queue_timeout_ms=settings.analytics_queue_timeout_ms,
            breaker=breaker,
            purpose=ANALYTICS_POOL,
            application_name="smartgate-analytics",
        )

    access = settings.access
    keys = TokenKeys(
        secret=access.jwt_secret,
        public_key_pem=access.jwt_public_key,
        jwks=dict(access.jwks) if access.jwks else None,
        issuer=access.jwt_issuer,
        audience=access.jwt_audience,
    )
    ekin = EkinConnector(pool(settings.ekin_dsn))
    sppspm = SppspmConnector(pool(settings.sppspm_dsn))
    # Twins on pools of their own: opened, closed and counted with their source.
    analytics = SourcePair(
        EkinConnector(analytics_pool(settings.ekin_analytics_dsn or settings.ekin_dsn)),
        SppspmConnector(analytics_pool(settings.sppspm_analytics_dsn or settings.sppspm_dsn)),
    )
    ekin.analytics, sppspm.analytics = analytics.ekin, analytics.sppspm
    shared = SharedState(settings.redis_url) if settings.redis_url else None
    events = EventHub.for_settings(ekin, sppspm, settings, shared)
    return Services(
        settings=settings,
        ekin=ekin,
        sppspm=sppspm,
        analytics=analytics,
        crosswalk=crosswalk,
        events=events,
        calendar=CalendarCache(sppspm, settings.calendar_refresh_s),
        metrics=Metrics([ekin, sppspm, *analytics], [events.payments, events.activities]),
        tracing=Tracing.to_collector(settings.otlp_endpoint),
        tokens=TokenVerifier(keys) if keys.configured else None,
        trusted_documents=(
            TrustedDocuments.load(access.trusted_documents) if access.trusted_documents else None
        ),
        shared=shared,
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


GRAPHQL_PATH = "/graphql"


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    """The gateway app. `services` may be given by tests that share connectors."""
    services = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.ekin.open()
        await services.sppspm.open()
        try:
            await check_crosswalk_codes(services)
            services.events.start()  # with Redis, capture runs while the process runs
            yield
        finally:
            await services.calendar.close()
            await services.events.close()
            services.tracing.shutdown()
            await services.ekin.close()
            await services.sppspm.close()
            if services.shared is not None:
                await services.shared.close()

    access = settings.access
    graphiql = settings.graphiql and not access.production
    graphql = GatewayGraphQL(
        build_schema(access), services, graphql_ide="graphiql" if graphiql else None
    )

    async def healthz(request: Request) -> Response:
        # The process answers: nothing else is checked, so a source down never gets a
        # healthy gateway restarted.
        return JSONResponse({"status": "ok"})

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def readyz(request: Request) -> Response:
        state = await readiness(
            list(services.main),
            settings.ready_requires_all_sources,
            list(services.analytics),
            services.shared,
        )
        return JSONResponse(state.body(), status_code=200 if state.ready else 503)

    middleware = [
        Middleware(BodySizeLimit, max_bytes=access.max_body_bytes),
        Middleware(PostLane, view=graphql, path=GRAPHQL_PATH),  # last: next to the router
    ]
    if access.cors_origins:
        middleware.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(access.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                max_age=600,
            ),
        )
    routes = [
        Route(GRAPHQL_PATH, graphql, methods=["GET", "POST"]),
        WebSocketRoute(GRAPHQL_PATH, graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
    ]
    if graphql.graphiql is not None:  # GraphiQL's own scripts and styles, not a CDN's
        routes.append(Route(GRAPHIQL_ASSETS + "/{path:path}", graphql.graphiql.serve))
    status = StatusPage(services) if settings.status_page == "public" else None
    if status is not None:  # operators and the public; "off": / is a 404
        routes += [Route("/", status.html), Route("/status.json", status.json)]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.status_page = status
    return app
