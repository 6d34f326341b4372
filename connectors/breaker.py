"""A circuit breaker: stop asking a source that keeps failing, and ask again later.

CLOSED lets every call through and counts consecutive failures; at the threshold it
opens. OPEN refuses every call until the cool-down has passed; then it is HALF_OPEN and
lets one call through as a probe. The probe's success closes the breaker, its failure
opens it again for another cool-down. The clock is injectable so that tests can move
time by hand.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass


class BreakerState(enum.Enum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    failure_threshold: int = 5
    cool_down_s: float = 10.0


class CircuitOpen(Exception):
    """A call refused by the breaker without touching the source; the message says why
    and when the next probe may go through."""


class CircuitBreaker:
    """The breaker of one source. Callers ask `admit()` before a call and then report
    exactly one outcome: `succeeded`, `failed` or `abandoned`, passing back what
    `admit()` returned (whether the call was the half-open probe)."""

    def __init__(
        self, settings: BreakerSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at < self.settings.cool_down_s:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def seconds_until_probe(self) -> float:
        """How long until a probe may go through; 0 when it may go now (or closed)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.settings.cool_down_s - self._clock())

    def admit(self) -> bool:
        """Let a call through, or raise `CircuitOpen`. Returns True when the call is the
        half-open probe, whose outcome decides the breaker's next state."""
        state = self.state
        if state is BreakerState.CLOSED:
            return False
        if state is BreakerState.OPEN:
            raise CircuitOpen(
                f"circuit breaker open after {self._failures} consecutive failures;"
                f" next probe in {self.seconds_until_probe():.1f} s"
            )
        if self._probe_in_flight:
            # One probe at a time: a source that is still down costs one timeout, not many.
            raise CircuitOpen("circuit breaker half-open; a probe is in flight")
        self._probe_in_flight = True
        return True

    def succeeded(self, probe: bool) -> None:
        """The source answered (an error in the statement itself counts as an answer)."""
        if probe:
            self._probe_in_flight = False
            self._opened_at = None
            self._failures = 0
        elif self._opened_at is None:
            self._failures = 0
        # A late success of a call admitted before the breaker opened proves little:
        # the probe decides.

    def failed(self, probe: bool) -> None:
        """The source did not answer: refused, lost, or timed out."""
        if probe:
            self._probe_in_flight = False
            self._failures += 1
            self._opened_at = self._clock()
        elif self._opened_at is None:
            self._failures += 1
            if self._failures >= self.settings.failure_threshold:
                self._opened_at = self._clock()
        # Late failures of calls admitted before the breaker opened do not extend the
        # cool-down: they say nothing new.

    def abandoned(self, probe: bool) -> None:
        """The call ended without a verdict on the source (cancelled, out of the
        request's time budget, no pool connection free); a probe's slot is freed."""
        if probe:
            self._probe_in_flight = False
