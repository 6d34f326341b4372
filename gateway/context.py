"""What a resolver can reach: the app's services and this request's caller and loaders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from connectors.ekin.connector import EkinConnector
from connectors.sppspm.connector import SppspmConnector
from gateway.crosswalk import Crosswalk
from gateway.loaders import Loaders
from gateway.settings import Settings


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking. The seam for access control: today every caller is anonymous and
    sees everything; authentication fills `sub`, `roles` and `department`."""

    sub: str | None = None
    roles: frozenset[str] = frozenset()
    department: str | None = None


ANONYMOUS = Caller()


@dataclass(slots=True)
class Services:
    """Long-lived, app-wide objects built in the app's lifespan."""

    settings: Settings
    ekin: EkinConnector
    sppspm: SppspmConnector
    crosswalk: Crosswalk


@dataclass(slots=True)
class RequestContext:
    services: Services
    caller: Caller
    loaders: Loaders
    request: Request | WebSocket | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def fiscal_year(self) -> int:
        return self.services.settings.current_fiscal_year()

    @property
    def crosswalk(self) -> Crosswalk:
        return self.services.crosswalk


def new_context(
    services: Services, caller: Caller = ANONYMOUS, request: Request | WebSocket | None = None
) -> RequestContext:
    loaders = Loaders(services.ekin, services.sppspm, services.crosswalk)
    return RequestContext(services, caller, loaders, request)


Info = StrawberryInfo[RequestContext, None]
