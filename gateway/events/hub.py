"""The feeds of one gateway process: captured in the process without Redis
(`local.LocalFeed`), or read from the deployment's Redis streams, which one process of
the deployment writes (`stream.StreamFeed`, `capture.Capture`)."""

from __future__ import annotations

from connectors.ekin.connector import EkinConnector
from connectors.sppspm.connector import SppspmConnector
from gateway.events.capture import Capture
from gateway.events.feed import Feed
from gateway.events.local import LocalFeed
from gateway.events.readers import ActivityChanges, PaymentChanges
from gateway.events.records import ActivityEvent, PaymentEvent
from gateway.events.stream import StreamFeed
from gateway.settings import Settings
from gateway.shared_state import SharedState


class EventHub:
    def __init__(
        self,
        ekin: EkinConnector,
        sppspm: SppspmConnector,
        interval_s: float,
        *,
        kept: int = 10_000,
        shared: SharedState | None = None,
        lease_ms: int = 5_000,
    ) -> None:
        self.payments: Feed[PaymentEvent]
        self.activities: Feed[ActivityEvent]
        self.captures: list[Capture[PaymentEvent] | Capture[ActivityEvent]] = []
        if shared is None:
            self.payments = LocalFeed("sppspm", PaymentChanges(sppspm), interval_s, kept)
            self.activities = LocalFeed("ekin", ActivityChanges(ekin), interval_s, kept)
            return
        payments = Capture(
            "sppspm", shared, lambda: PaymentChanges(sppspm), interval_s, lease_ms, kept
        )
        activities = Capture(
            "ekin", shared, lambda: ActivityChanges(ekin, stored=True), interval_s, lease_ms, kept
        )
        self.captures = [payments, activities]
        self.payments = StreamFeed("sppspm", shared, payments, PaymentEvent, kept)
        self.activities = StreamFeed("ekin", shared, activities, ActivityEvent, kept)

    @classmethod
    def for_settings(
        cls,
        ekin: EkinConnector,
        sppspm: SppspmConnector,
        settings: Settings,
        shared: SharedState | None,
    ) -> EventHub:
        return cls(
            ekin,
            sppspm,
            settings.events_poll_ms / 1000,
            kept=settings.events_kept,
            shared=shared,
            lease_ms=settings.capture_lease_ms,
        )

    def start(self) -> None:
        """With Redis, take part in capturing every source (for as long as the process
        runs); without it, the loops start with their first subscriber."""
        for capture in self.captures:
            capture.start()

    async def close(self) -> None:
        await self.payments.stop()
        await self.activities.stop()
        for capture in self.captures:
            await capture.stop()
