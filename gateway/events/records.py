"""The events subscribers receive."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from connectors.ekin.records import Activity, Person
from connectors.sppspm.records import PaymentRequest


class PaymentRequestEventKind(enum.Enum):
    CREATED = "CREATED"
    STATUS_CHANGED = "STATUS_CHANGED"


class ActivityEventKind(enum.Enum):
    LOGGED = "LOGGED"
    REVIEWED = "REVIEWED"


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    kind: PaymentRequestEventKind
    request: PaymentRequest  # as it stood when the change was read
    at: datetime


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    kind: ActivityEventKind
    activity: Activity
    owner: Person
    at: datetime
