"""What a resolver can reach: the app's services and this request's caller, access
policy, loaders and audit trail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from connectors.domain import WIB
from connectors.ekin.connector import EkinConnector
from connectors.sppspm.connector import SppspmConnector
from connectors.sppspm.records import Official
from gateway.access.audit import AuditTrail
from gateway.access.caller import ANONYMOUS, Caller
from gateway.access.limits import QueryLimits
from gateway.access.policy import Access
from gateway.access.rate_limit import RateLimiter
from gateway.access.tokens import TokenVerifier
from gateway.access.trusted import TrustedDocuments
from gateway.crosswalk import Crosswalk
from gateway.events.hub import EventHub
from gateway.loaders import Loaders
from gateway.metrics import Metrics
from gateway.settings import ANONYMOUS_ROLE, RoleLimits, Settings
from gateway.timebound.calendar_cache import CalendarCache
from gateway.tracing import Tracing


@dataclass(slots=True)
class Services:
    """Long-lived, app-wide objects built in the app's lifespan."""

    settings: Settings
    ekin: EkinConnector
    sppspm: SppspmConnector
    crosswalk: Crosswalk
    events: EventHub
    calendar: CalendarCache
    metrics: Metrics
    tracing: Tracing = field(default_factory=Tracing)
    tokens: TokenVerifier | None = None
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    trusted_documents: TrustedDocuments | None = None

    def __post_init__(self) -> None:
        self.trace_with(self.tracing)

    def trace_with(self, tracing: Tracing) -> None:
        """Spans of operations, loader batches and SQL statements go to `tracing`."""
        self.tracing = tracing
        self.ekin.tracer = self.sppspm.tracer = tracing.tracer


@dataclass(slots=True)
class RequestContext:
    services: Services
    caller: Caller
    loaders: Loaders
    access: Access
    request: Request | WebSocket | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    audit: AuditTrail = field(default_factory=AuditTrail)
    connection_params: dict[str, object] | None = None  # set by strawberry on WebSockets
    now: datetime = field(default_factory=lambda: datetime.now(WIB))  # one clock per request

    def renew_loaders(self) -> None:
        """Forget what this context's loaders cached (a new event of a subscription)."""
        services = self.services
        self.loaders = Loaders(
            services.ekin, services.sppspm, services.crosswalk, services.tracing.tracer
        )

    @property
    def limits(self) -> RoleLimits:
        """The cost, time and rate limits of the caller's most generous role."""
        return self.services.settings.access.limits_of(frozenset(self.caller.roles))

    @property
    def limits_role(self) -> str:
        return "+".join(sorted(self.caller.roles)) or ANONYMOUS_ROLE

    @property
    def query_limits(self) -> QueryLimits:
        access = self.services.settings.access
        return QueryLimits(access.max_depth, access.max_aliases, self.limits.cost)

    @property
    def fiscal_year(self) -> int:
        return self.services.settings.current_fiscal_year()

    @property
    def crosswalk(self) -> Crosswalk:
        return self.services.crosswalk


def new_context(
    services: Services,
    caller: Caller = ANONYMOUS,
    request: Request | WebSocket | None = None,
    request_id: str | None = None,
) -> RequestContext:
    loaders = Loaders(services.ekin, services.sppspm, services.crosswalk, services.tracing.tracer)

    async def appointments(nip: str) -> list[Official]:
        return await loaders.officials.load((nip, None))

    access = Access(
        caller,
        services.crosswalk,
        services.settings.current_fiscal_year(),
        services.ekin.positions_below,
        appointments,
    )
    context = RequestContext(services, caller, loaders, access, request)
    if request_id:
        context.request_id = request_id
    return context


Info = StrawberryInfo[RequestContext, None]
