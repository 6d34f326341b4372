"""Reading an append-only table by its serial id, without missing rows.

A serial id is handed out when a row is inserted, but the row is seen when its
transaction commits, which can happen in another order: after rows up to id 12 were
read, row 11 may still appear. So the tail keeps the ids it skipped (gaps) and asks for
them again until they appear or are older than `gap_seconds`; an insert that was rolled
back leaves its gap for ever.
"""

from __future__ import annotations

from collections.abc import Iterable


class IdTail:
    def __init__(self, last_id: int, gap_seconds: float = 300.0, max_gaps: int = 10_000) -> None:
        self.last_id = last_id
        self._gap_seconds = gap_seconds
        self._max_gaps = max_gaps
        self._gaps: dict[int, float] = {}  # id -> when it was first missed

    @property
    def gaps(self) -> list[int]:
        """Ids skipped so far that may still appear."""
        return sorted(self._gaps)

    def advance(self, ids: Iterable[int], now: float) -> list[int]:
        """Take the ids a read returned (ascending); return those not taken before."""
        fresh: list[int] = []
        for row_id in ids:
            if row_id in self._gaps:
                del self._gaps[row_id]
                fresh.append(row_id)
            elif row_id > self.last_id:
                first_missing = max(self.last_id + 1, row_id - self._max_gaps)
                for missing in range(first_missing, row_id):
                    self._gaps[missing] = now
                self.last_id = row_id
                fresh.append(row_id)
        expired = [i for i, since in self._gaps.items() if now - since > self._gap_seconds]
        for row_id in expired:
            del self._gaps[row_id]
        while len(self._gaps) > self._max_gaps:
            del self._gaps[min(self._gaps)]
        return fresh
