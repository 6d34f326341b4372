"""What a resolver can reach: the app's services, the caller, and the operation's own
loaders, access policy and audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from connectors.domain import WIB
from connectors.ekin.connector import EkinConnector
from connectors.source import Source
from connectors.sppspm.connector import SppspmConnector
from connectors.sppspm.records import Official
from gateway.access.audit import AuditTrail
from gateway.access.caller import ANONYMOUS, Caller, Role
from gateway.access.limits import QueryLimits
from gateway.access.policy import Access
from gateway.access.rate_limit import RateLimiter, RateLimits
from gateway.access.tokens import TokenVerifier
from gateway.access.trusted import TrustedDocuments
from gateway.crosswalk import Crosswalk
from gateway.events.hub import EventHub
from gateway.load_shedding import InFlight
from gateway.loaders import Loaders
from gateway.metrics import Metrics
from gateway.settings import ANONYMOUS_ROLE, RoleLimits, Settings
from gateway.shared_state import SharedState
from gateway.timebound.calendar_cache import CalendarCache
from gateway.tracing import Tracing


@dataclass(frozen=True, slots=True)
class SourcePair:
    """The two systems through one kind of pool: the main pools, which the frontends and
    department systems use and every write goes through, or the analytics pools."""

    ekin: EkinConnector
    sppspm: SppspmConnector

    def __iter__(self) -> Iterator[Source]:
        return iter((self.ekin, self.sppspm))


@dataclass(slots=True)
class Services:
    """Long-lived, app-wide objects built in the app's lifespan.

    `ekin` and `sppspm` are the main pools; `analytics` the same systems (or their read
    replicas) through small pools of their own (see `reads_for`)."""

    settings: Settings
    ekin: EkinConnector
    sppspm: SppspmConnector
    analytics: SourcePair
    crosswalk: Crosswalk
    events: EventHub
    calendar: CalendarCache
    metrics: Metrics
    tracing: Tracing = field(default_factory=Tracing)
    tokens: TokenVerifier | None = None
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    trusted_documents: TrustedDocuments | None = None
    shared: SharedState | None = None  # Redis, when SMARTGATE_REDIS_URL is set
    in_flight: InFlight = field(init=False)
    rate_limits: RateLimits = field(init=False)  # in Redis when shared, else rate_limiter
    _limits: dict[frozenset[str], RoleLimits] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        settings = self.settings
        self.in_flight = InFlight(
            settings.max_in_flight,
            settings.max_in_flight_cost,
            settings.overload_queue_ms / 1000,
        )
        self.rate_limits = RateLimits(
            self.rate_limiter, self.shared, settings.rate_limit_without_redis
        )
        self.trace_with(self.tracing)

    def trace_with(self, tracing: Tracing) -> None:
        """Spans of operations, loader batches and SQL statements go to `tracing`."""
        self.tracing = tracing
        for source in (*self.main, *self.analytics):
            source.tracer = tracing.tracer

    @property
    def main(self) -> SourcePair:
        return SourcePair(self.ekin, self.sppspm)

    def limits_of(self, roles: frozenset[str]) -> RoleLimits:
        """`AccessSettings.limits_of`, worked out once per set of roles (the settings do
        not change while the app runs)."""
        limits = self._limits.get(roles)
        if limits is None:
            limits = self._limits[roles] = self.settings.access.limits_of(roles)
        return limits

    def reads_for(self, caller: Caller) -> SourcePair:
        """The pools a caller's reads go through: the analytics pools for a caller whose
        only role is ANALYST (their ad-hoc questions must not hold or wait for the
        frontends' connections), the main pools for everyone else. Writes always go
        through the main pools (an ANALYST writes nothing)."""
        return self.analytics if caller.roles == {Role.ANALYST} else self.main


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
    operation_cost: int = 0  # the query cost of the operation being run (access.limits)
    _limits: tuple[Caller, RoleLimits] | None = field(default=None, init=False, repr=False)

    @property
    def limits(self) -> RoleLimits:
        """The cost, time and rate limits of the caller's most generous role (worked out
        once per caller: an operation asks several times)."""
        known = self._limits
        if known is not None and known[0] is self.caller:
            return known[1]
        limits = self.services.limits_of(self.caller.roles)
        self._limits = (self.caller, limits)
        return limits

    @property
    def limits_role(self) -> str:
        return "+".join(sorted(self.caller.roles)) or ANONYMOUS_ROLE

    @property
    def query_limits(self) -> QueryLimits:
        access = self.services.settings.access
        limits = self.limits
        return QueryLimits(
            access.max_depth,
            limits.max_aliases if limits.max_aliases is not None else access.max_aliases,
            limits.cost,
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
    get a copy with fresh loaders and trail (`for_event`).

    `reads` are the pools this operation reads through (`Services.reads_for`), and its
    `loaders` read through them; a read that bypasses the loaders asks `reads`, never
    `services.ekin` or `services.sppspm` (those are for writes). A statistics field asks
    `analytics`, whoever the caller: its statement goes to the analytics pools."""

    channel: Channel
    loaders: Loaders
    access: Access
    reads: SourcePair
    audit: AuditTrail = field(default_factory=AuditTrail)
    now: datetime = field(default_factory=lambda: datetime.now(WIB))  # one clock per operation
    document: str | None = None  # the operation's text, for the audit lines of its events
    input_refusals: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Mutation fields whose input `gateway.input_check` refused, by response key: the
    input field at fault and why."""
    selects: dict[tuple[str | int, ...], bool] = field(default_factory=dict)
    """What `schema.people.selects_below` found, by field path without list indices and
    the name asked for: the same for every item of a list in one operation."""

    _analytics_loaders: Loaders | None = None

    @classmethod
    async def open(
        cls, channel: Channel, reads: SourcePair | None = None, now: datetime | None = None
    ) -> OperationContext:
        """A context with fresh loaders and an access policy that is ready to use; its
        reads go through the caller's pools unless `reads` names others, and its clock
        is now unless `now` says otherwise."""
        reads = reads or channel.services.reads_for(channel.caller)
        loaders = _loaders(channel.services, reads)
        access = await _access(channel.services, channel.caller, loaders, reads)
        return cls(channel, loaders, access, reads, now=now or datetime.now(WIB))

    def for_event(self) -> OperationContext:
        """The context of one event of a subscription: nothing cached from an earlier
        event, the subscription's access policy."""
        return OperationContext(
            self.channel,
            _loaders(self.services, self.reads),
            self.access,
            self.reads,
            document=self.document,
        )

    def release(self) -> None:
        """The operation has its answer: what its loaders hold is let go (`Loaders.release`)."""
        self.loaders.release()
        if self._analytics_loaders is not None:
            self._analytics_loaders.release()

    @property
    def analytics(self) -> SourcePair:
        """The analytics pools, for statistics fields and whole-city reports, whoever asks."""
        return self.services.analytics

    @property
    def analytics_loaders(self) -> Loaders:
        """Loaders over the analytics pools (this operation's own loaders when its reads go
        there already), made on first use."""
        if self.reads == self.services.analytics:
            return self.loaders
        if self._analytics_loaders is None:
            self._analytics_loaders = _loaders(self.services, self.services.analytics)
        return self._analytics_loaders

    async def renew_access(self) -> None:
        """Read the caller's scope again (people move between positions)."""
        self.access = await _access(self.services, self.caller, self.loaders, self.reads)

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


def _loaders(services: Services, reads: SourcePair) -> Loaders:
    return Loaders(reads.ekin, reads.sppspm, services.crosswalk, services.tracing.tracer)


async def _access(
    services: Services, caller: Caller, loaders: Loaders, reads: SourcePair
) -> Access:
    async def appointments(nip: str) -> list[Official]:
        return await loaders.officials.load((nip, None))

    return await Access.of(
        caller,
        services.crosswalk,
        services.settings.current_fiscal_year(),
        reads.ekin.positions_below,
        appointments,
    )


Info = StrawberryInfo[OperationContext, None]
