"""Windows of WIB days that activities are asked for: `from`..`to`, both days included.

A window bounds how much of e-kin's activity table one question reads, so it is checked
at the edge (`gateway.input_check`) and again where the window is turned into a condition.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from connectors.domain import WIB
from gateway.errors import BadUserInput

MAX_ACTIVITY_DAYS = 366
"""The longest window of activities, in days: a year, a leap year's included."""


def check_window(start: date, end: date, argument: str = "to") -> None:
    """`start`..`end` is a window of at most MAX_ACTIVITY_DAYS days."""
    if end < start:
        raise BadUserInput(f"to ({end}) is before from ({start})", argument=argument)
    if (end - start).days >= MAX_ACTIVITY_DAYS:
        raise BadUserInput(
            f"from..to spans {(end - start).days + 1} days; at most {MAX_ACTIVITY_DAYS}",
            argument=argument,
        )


def check_filter_window(value: Mapping[str, Any]) -> None:
    """The rule of an input holding `from` and `to` (an ActivityFilter, as coerced)."""
    start, end = value.get("from"), value.get("to")
    if isinstance(start, date) and isinstance(end, date):
        check_window(start, end)


def wib_range(start: date, end: date) -> tuple[datetime, datetime]:
    """The moments of the days start..end (WIB): from the first midnight, before the last."""
    first = datetime.combine(start, datetime.min.time(), WIB)
    return first, datetime.combine(end + timedelta(days=1), datetime.min.time(), WIB)
