"""Event ids, and the errors of a subscriber that resumes with `after`.

An id is `<epoch>:<a>-<b>`: the epoch names one event log (a process's in-process buffer
since its capture loop started, or the deployment's Redis stream since Redis last
started empty), and `(a, b)` orders the events of that log (in-process `(n, 0)`; with
Redis the stream id, milliseconds and sequence). Clients treat ids as opaque; the epoch
lets the gateway tell an id of a log that no longer exists from a malformed one.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from gateway.errors import BadUserInput, GatewayError

_ID = re.compile(r"^([0-9a-f]{1,32}):([0-9]{1,20})-([0-9]{1,20})\Z")


class EventsExpired(GatewayError):
    """The events since `after` are no longer kept (older than the window, or from a log
    that no longer exists): the client reloads its data and subscribes without `after`."""

    code = "EVENTS_EXPIRED"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"after: {reason}; the events since this id are no longer kept: reload your data"
            " and subscribe again without `after`"
        )


class EventsUnavailable(GatewayError):
    """The deployment's event log (Redis) does not answer: the subscription ends, and the
    client subscribes again with the id of the last event it received."""

    code = "EVENTS_UNAVAILABLE"

    def __init__(self) -> None:
        super().__init__(
            "the event log is unavailable; subscribe again in a few seconds with `after` set"
            " to the id of the last event received"
        )


def new_epoch() -> str:
    return secrets.token_hex(4)


@dataclass(frozen=True, slots=True, order=True)
class EventId:
    epoch: str
    position: tuple[int, int]

    def __str__(self) -> str:
        a, b = self.position
        return f"{self.epoch}:{a}-{b}"

    @classmethod
    def parse(cls, text: str) -> EventId:
        """The id a client gave as `after`; BAD_USER_INPUT when it is no event id."""
        match = _ID.match(text)
        if match is None:
            raise BadUserInput(
                "not an event id; give the `id` of an event received", argument="after"
            )
        return cls(match[1], (int(match[2]), int(match[3])))

    @classmethod
    def check(cls, text: str) -> None:
        """`parse`'s refusal alone: `gateway.input_check` checks `after` with it."""
        cls.parse(text)

    @property
    def stream_id(self) -> str:
        a, b = self.position
        return f"{a}-{b}"


def stream_position(stream_id: bytes | str) -> tuple[int, int]:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    a, b = text.split("-")
    return int(a), int(b)
