"""The feeds of one gateway process."""

from __future__ import annotations

from connectors.ekin.connector import EkinConnector
from connectors.sppspm.connector import SppspmConnector
from gateway.events.feed import Feed
from gateway.events.readers import ActivityChanges, PaymentChanges
from gateway.events.records import ActivityEvent, PaymentEvent


class EventHub:
    def __init__(self, ekin: EkinConnector, sppspm: SppspmConnector, interval_s: float) -> None:
        self.payments: Feed[PaymentEvent] = Feed("sppspm", PaymentChanges(sppspm), interval_s)
        self.activities: Feed[ActivityEvent] = Feed("ekin", ActivityChanges(ekin), interval_s)

    async def close(self) -> None:
        await self.payments.stop()
        await self.activities.stop()
