"""The parts of change capture that need no database: the id tail's gaps and the turns
in which pending activities are asked for."""

from __future__ import annotations

from connectors.tail import IdTail
from gateway.events.readers import OLDER_PENDING, RECENT_PENDING, ActivityChanges


def test_a_row_committed_after_a_higher_id_is_still_read() -> None:
    tail = IdTail(10)
    assert tail.advance([11, 13], now=0.0) == [11, 13]
    assert tail.gaps == [12]  # 12 was handed out, not yet committed
    assert tail.advance([12, 14], now=1.0) == [12, 14]
    assert tail.gaps == []
    assert tail.advance([13, 14], now=2.0) == []  # nothing twice


def test_a_gap_is_given_up_after_its_time() -> None:
    tail = IdTail(0, gap_seconds=5)
    tail.advance([2], now=0.0)
    assert tail.gaps == [1]
    tail.advance([], now=6.0)
    assert tail.gaps == []  # a rolled-back insert leaves its gap for ever


def test_every_pending_activity_is_asked_for_within_a_few_polls() -> None:
    reader = ActivityChanges(ekin=None)  # type: ignore[arg-type]
    reader._pending = set(range(1, 23_001))
    newest = set(range(23_001 - RECENT_PENDING, 23_001))
    asked: set[int] = set()
    polls = -(-(23_000 - RECENT_PENDING) // OLDER_PENDING)  # ceiling
    for _ in range(polls):
        once = reader._pending_to_ask()
        assert newest <= set(once)
        assert len(once) <= RECENT_PENDING + OLDER_PENDING
        asked |= set(once)
    assert asked == reader._pending
