"""The working-day calendar of the deadline rules: Monday to Friday in WIB, minus the
non-working days sppspm keeps in `hari_libur`. The gateway's service clocks and the
look-alike data both count days with it.

Working days are kept as one sorted list, so each question is a binary search: a
deadline costs microseconds, and a year of a whole city's requests is computed in
memory after one statement.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from connectors.domain import WIB

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
FIRST_YEAR, LAST_YEAR = FIRST_DAY.year, LAST_DAY.year
"""The years any date, period or fiscal year may name: those the calendar covers."""


class WorkingCalendar:
    def __init__(self, holidays: Iterable[date]) -> None:
        self.holidays = frozenset(holidays)
        closed = {day.toordinal() for day in self.holidays}
        # An ordinal's weekday is (ordinal - 1) % 7, Monday being 0.
        self._days = [
            ordinal
            for ordinal in range(FIRST_DAY.toordinal(), LAST_DAY.toordinal() + 1)
            if (ordinal - 1) % 7 < 5 and ordinal not in closed
        ]

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def _index_from(self, day: date) -> int:
        """Index of the first working day on or after `day` (a moment: its WIB day)."""
        index = bisect.bisect_left(self._days, wib_day(day).toordinal())
        if index >= len(self._days):
            raise ValueError(f"{day} is beyond the calendar, which ends {LAST_DAY}")
        return index

    def day_zero(self, received: date) -> date:
        """The (WIB) day of receipt if it is a working day, else the next working day."""
        return date.fromordinal(self._days[self._index_from(received)])

    def nth_working_day(self, received: date, n: int) -> date:
        """The n-th working day after day 0 of `received` (n = 0 is day 0)."""
        return date.fromordinal(self._days[self._index_from(received) + n])

    def deadline(self, received: datetime, working_days: int) -> datetime:
        """The end (24:00 WIB) of the n-th working day after day 0."""
        last = self.nth_working_day(received, working_days)
        return datetime.combine(last + timedelta(days=1), time(), WIB)

    def working_days_after(self, start: date, end: date) -> int:
        """How many working days lie after `start` up to and including `end` (negative when
        `end` is earlier)."""
        return bisect.bisect_right(self._days, end.toordinal()) - bisect.bisect_right(
            self._days, start.toordinal()
        )


def wib_day(moment: date) -> date:
    """The WIB day of a moment; a day is itself."""
    return moment.astimezone(WIB).date() if isinstance(moment, datetime) else moment
