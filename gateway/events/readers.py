"""The change readers of the two sources, turning source changes into events.

Each poll costs a fixed handful of statements whatever the number of subscribers: the
new history rows (or activities), the requests (or people) they concern, and for e-kin
the pending activities that got reviewed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connectors.domain import ReviewStatus
from connectors.ekin import changes as ekin_changes
from connectors.ekin.connector import EkinConnector
from connectors.ekin.records import Activity
from connectors.sppspm import changes as sppspm_changes
from connectors.sppspm.connector import SppspmConnector
from connectors.tail import IdTail
from gateway.events.records import (
    ActivityEvent,
    ActivityEventKind,
    PaymentEvent,
    PaymentRequestEventKind,
)

BATCH = 500
RECENT_PENDING = 5_000
"""The newest pending activities, asked for at every poll."""
OLDER_PENDING = 5_000
"""How many older pending activities are asked for at each poll, in turn: at city scale
(some 45,000 pending) every one is asked for within ten polls, and a poll costs a few
milliseconds instead of sixty."""


def _now() -> float:
    # Wall-clock time, not the loop's: the tail's gaps are stored with the position and
    # aged by whichever process captures next.
    return time.time()


class StoredTail(IdTail):
    """An `IdTail` whose gaps can be stored and restored with the reader's position."""

    def stored_gaps(self) -> dict[int, float]:
        return dict(self._gaps)

    @classmethod
    def restored(cls, last_id: int, gaps: dict[int, float]) -> StoredTail:
        tail = cls(last_id)
        tail._gaps = dict(gaps)
        return tail


@dataclass(slots=True)
class Position:
    """Where a reader stands, stored with each poll's events when a deployment shares
    one capture loop (`gateway.events.capture`). `pending` (e-kin's activities waiting
    for review) is stored as a set, changed by each poll's `PendingChange`."""

    last_id: int
    gaps: dict[int, float]
    turn: int = 0
    pending: set[int] = field(default_factory=set)


@dataclass(slots=True)
class PendingChange:
    added: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)


class PaymentChanges:
    """sppspm's `riwayat_status`, tailed by id. The rows one transaction wrote for one
    request (a disbursement writes two) make one event."""

    def __init__(self, sppspm: SppspmConnector) -> None:
        self._sppspm = sppspm
        self._tail = StoredTail(0)

    async def start(self) -> None:
        self._tail = StoredTail(await sppspm_changes.last_history_id(self._sppspm))

    def position(self) -> Position:
        return Position(self._tail.last_id, self._tail.stored_gaps())

    def restore(self, position: Position) -> None:
        self._tail = StoredTail.restored(position.last_id, position.gaps)

    def take_pending_change(self) -> PendingChange:
        return PendingChange()  # sppspm's history says everything: nothing is pending

    async def poll(self) -> tuple[list[PaymentEvent], bool]:
        entries = await sppspm_changes.history_after(
            self._sppspm, self._tail.last_id, self._tail.gaps, BATCH
        )
        fresh = set(self._tail.advance([e.id for e in entries], _now()))
        changes: dict[tuple[int, datetime], bool] = {}
        for entry in entries:
            if entry.id in fresh and entry.request_id is not None:
                key = (entry.request_id, entry.at)
                changes[key] = changes.get(key, False) or entry.created
        if not changes:
            return [], len(entries) == BATCH
        requests = await self._sppspm.requests_by_id(sorted({rid for rid, _ in changes}))
        events = [
            PaymentEvent(
                PaymentRequestEventKind.CREATED
                if created
                else PaymentRequestEventKind.STATUS_CHANGED,
                requests[request_id],
                at,
            )
            for (request_id, at), created in changes.items()
            if request_id in requests
        ]
        return events, len(entries) == BATCH


class ActivityChanges:
    """e-kin's `kinerja`: new rows tailed by id, and pending rows asked for by id until
    they are reviewed: the newest at every poll, older ones in turn."""

    def __init__(self, ekin: EkinConnector, stored: bool = False) -> None:
        self._ekin = ekin
        self._tail = StoredTail(0)
        self._pending: set[int] = set()
        self._turn = 0
        self._stored = stored  # whether the pending set's changes are kept for storing
        self._change = PendingChange()

    async def start(self) -> None:
        self._tail = StoredTail(await ekin_changes.last_activity_id(self._ekin))
        self._pending = await ekin_changes.pending_ids(self._ekin)
        self._change = PendingChange(added=set(self._pending) if self._stored else set())

    def position(self) -> Position:
        return Position(self._tail.last_id, self._tail.stored_gaps(), self._turn, self._pending)

    def restore(self, position: Position) -> None:
        self._tail = StoredTail.restored(position.last_id, position.gaps)
        self._turn = position.turn
        self._pending = set(position.pending)
        self._change = PendingChange()

    def take_pending_change(self) -> PendingChange:
        """How the pending set changed since this was last asked (since `start`: all of
        it), so that a stored copy is updated rather than rewritten."""
        change, self._change = self._change, PendingChange()
        return change

    async def poll(self) -> tuple[list[ActivityEvent], bool]:
        rows = await ekin_changes.activities_after(
            self._ekin, self._tail.last_id, self._tail.gaps, BATCH
        )
        fresh = set(self._tail.advance([a.id for a in rows], _now()))
        logged = [a for a in rows if a.id in fresh]
        reviewed = await ekin_changes.reviewed_among(self._ekin, self._pending_to_ask())
        reviewed_ids = {a.id for a in reviewed}
        logged_pending = {a.id for a in logged if a.status is ReviewStatus.PENDING}
        self._pending.difference_update(reviewed_ids)
        self._pending.update(logged_pending)
        if self._stored:
            self._change.added.difference_update(reviewed_ids)
            self._change.removed.update(reviewed_ids)
            self._change.added.update(logged_pending)
            self._change.removed.difference_update(logged_pending)
        changes: list[tuple[ActivityEventKind, Activity]] = [
            (ActivityEventKind.LOGGED, a) for a in logged
        ]
        changes += [
            (ActivityEventKind.REVIEWED, a)
            for a in logged + reviewed
            if a.status is not ReviewStatus.PENDING
        ]
        if not changes:
            return [], len(rows) == BATCH
        owners = await self._ekin.people(sorted({a.nip for _, a in changes}))
        events = [
            ActivityEvent(kind, activity, owners[activity.nip], _when(kind, activity))
            for kind, activity in changes
            if activity.nip in owners
        ]
        return events, len(rows) == BATCH

    def _pending_to_ask(self) -> list[int]:
        pending = sorted(self._pending)
        recent, older = pending[-RECENT_PENDING:], pending[:-RECENT_PENDING]
        if not older:
            return recent
        start = self._turn % len(older)
        self._turn = start + OLDER_PENDING
        return older[start : start + OLDER_PENDING] + recent


def _when(kind: ActivityEventKind, activity: Activity) -> datetime:
    moment = activity.logged_at if kind is ActivityEventKind.LOGGED else activity.reviewed_at
    return moment or datetime.now(UTC)
