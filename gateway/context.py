"""What a resolver can reach: the app's services, the caller, and the operation's own
loaders, access policy and audit trail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
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
class Channel:
    """Where operations arrive from: one HTTP request, or one WebSocket connection with the
    caller its `connection_init` authenticated. What each operation gets of its own is an
    `OperationContext`, made from the channel by `gateway.operation_scope`."""

    services: Services
    caller: Caller = ANONYMOUS
    request: Request | WebSocket | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    connection_params: dict[str, object] | None = None  # set by strawberry on WebSockets
    response: Response | None = None  # HTTP: where the status and headers are set
    retry_after: str | None = None  # set when the rate limit refused an operation

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
        return QueryLimits(
            access.max_depth,
            access.max_aliases,
            self.limits.cost,
            access.max_selections,
            access.max_overlaps,
        )

    @property
    def rate_key(self) -> str:
        """Whose bucket an operation spends: the `sub`, else the client's address."""
        if self.caller.sub:
            return self.caller.sub
        client = self.request.client if self.request is not None else None
        return f"address:{client.host if client else 'unknown'}"


@dataclass(slots=True)
class OperationContext:
    """What a resolver reaches (`info.context`): the app's services, the caller, and this
    operation's own loaders, access policy and audit trail. A subscription's events each
    get a copy with fresh loaders and trail (`for_event`)."""

    channel: Channel
    loaders: Loaders
    access: Access
    audit: AuditTrail = field(default_factory=AuditTrail)
    now: datetime = field(default_factory=lambda: datetime.now(WIB))  # one clock per operation
    document: str | None = None  # the operation's text, for the audit lines of its events
    input_refusals: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Mutation fields whose input `gateway.input_check` refused, by response key: the
    input field at fault and why."""

    @classmethod
    async def open(cls, channel: Channel) -> OperationContext:
        """A context with fresh loaders and an access policy that is ready to use."""
        loaders = _loaders(channel.services)
        return cls(channel, loaders, await _access(channel.services, channel.caller, loaders))

    def for_event(self) -> OperationContext:
        """The context of one event of a subscription: nothing cached from an earlier
        event, the subscription's access policy."""
        return OperationContext(
            self.channel, _loaders(self.services), self.access, document=self.document
        )

    async def renew_access(self) -> None:
        """Read the caller's scope again (people move between positions)."""
        self.access = await _access(self.services, self.caller, self.loaders)

    @property
    def services(self) -> Services:
        return self.channel.services

    @property
    def caller(self) -> Caller:
        return self.channel.caller

    @property
    def request_id(self) -> str:
        return self.channel.request_id

    @property
    def limits(self) -> RoleLimits:
        return self.channel.limits

    @property
    def fiscal_year(self) -> int:
        return self.services.settings.current_fiscal_year()

    @property
    def crosswalk(self) -> Crosswalk:
        return self.services.crosswalk


def _loaders(services: Services) -> Loaders:
    return Loaders(services.ekin, services.sppspm, services.crosswalk, services.tracing.tracer)


async def _access(services: Services, caller: Caller, loaders: Loaders) -> Access:
    async def appointments(nip: str) -> list[Official]:
        return await loaders.officials.load((nip, None))

    return await Access.of(
        caller,
        services.crosswalk,
        services.settings.current_fiscal_year(),
        services.ekin.positions_below,
        appointments,
    )


Info = StrawberryInfo[OperationContext, None]
