"""The working-day calendar of the demo data: public holidays and WIB office-day arithmetic.

Holidays follow the SKB 3 Menteri on national holidays and cuti bersama for 2025
(as amended in August 2025 with 18 August) and 2026 (SKB 1497/2/5 of 2025). The worked
deadline examples of legacy-systems.md use a smaller holiday set of their own; they are
tested on that set, not on this calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from connectors.domain import WIB
from connectors.working_days import WorkingCalendar

DEMO_NOW = datetime(2026, 11, 20, 9, 30)
"""The fixed 'now' of the demo data, WIB clock time: nothing in the data happens after it."""


@dataclass(frozen=True, slots=True)
class Holiday:
    day: date
    description: str
    kind: str  # NASIONAL, CUTI_BERSAMA or LOKAL, as in sppspm.hari_libur.jenis


def _h(y: int, m: int, d: int, description: str, kind: str = "NASIONAL") -> Holiday:
    return Holiday(date(y, m, d), description, kind)


_CB = "CUTI_BERSAMA"

HOLIDAYS: tuple[Holiday, ...] = (
    _h(2025, 1, 1, "Tahun Baru 2025 Masehi"),
    _h(2025, 1, 27, "Isra Mikraj Nabi Muhammad SAW"),
    _h(2025, 1, 28, "Cuti Bersama Tahun Baru Imlek", _CB),
    _h(2025, 1, 29, "Tahun Baru Imlek 2576 Kongzili"),
    _h(2025, 3, 28, "Cuti Bersama Hari Suci Nyepi", _CB),
    _h(2025, 3, 29, "Hari Suci Nyepi Tahun Baru Saka 1947"),
    _h(2025, 3, 31, "Hari Raya Idul Fitri 1446 Hijriah"),
    _h(2025, 4, 1, "Hari Raya Idul Fitri 1446 Hijriah"),
    _h(2025, 4, 2, "Cuti Bersama Idul Fitri 1446 Hijriah", _CB),
    _h(2025, 4, 3, "Cuti Bersama Idul Fitri 1446 Hijriah", _CB),
    _h(2025, 4, 4, "Cuti Bersama Idul Fitri 1446 Hijriah", _CB),
    _h(2025, 4, 7, "Cuti Bersama Idul Fitri 1446 Hijriah", _CB),
    _h(2025, 4, 18, "Wafat Yesus Kristus"),
    _h(2025, 4, 20, "Kebangkitan Yesus Kristus (Paskah)"),
    _h(2025, 5, 1, "Hari Buruh Internasional"),
    _h(2025, 5, 12, "Hari Raya Waisak 2569 BE"),
    _h(2025, 5, 13, "Cuti Bersama Hari Raya Waisak", _CB),
    _h(2025, 5, 29, "Kenaikan Yesus Kristus"),
    _h(2025, 5, 30, "Cuti Bersama Kenaikan Yesus Kristus", _CB),
    _h(2025, 6, 1, "Hari Lahir Pancasila"),
    _h(2025, 6, 6, "Hari Raya Idul Adha 1446 Hijriah"),
    _h(2025, 6, 9, "Cuti Bersama Idul Adha 1446 Hijriah", _CB),
    _h(2025, 6, 27, "Tahun Baru Islam 1447 Hijriah"),
    _h(2025, 8, 17, "Hari Proklamasi Kemerdekaan Republik Indonesia"),
    _h(2025, 8, 18, "Cuti Bersama Proklamasi Kemerdekaan (HUT ke-80 RI)", _CB),
    _h(2025, 9, 5, "Maulid Nabi Muhammad SAW"),
    _h(2025, 12, 25, "Hari Raya Natal"),
    _h(2025, 12, 26, "Cuti Bersama Hari Raya Natal", _CB),
    _h(2026, 1, 1, "Tahun Baru 2026 Masehi"),
    _h(2026, 1, 16, "Isra Mikraj Nabi Muhammad SAW"),
    _h(2026, 2, 16, "Cuti Bersama Tahun Baru Imlek", _CB),
    _h(2026, 2, 17, "Tahun Baru Imlek 2577 Kongzili"),
    _h(2026, 3, 18, "Cuti Bersama Hari Suci Nyepi Tahun Baru Saka 1948", _CB),
    _h(2026, 3, 19, "Hari Suci Nyepi Tahun Baru Saka 1948"),
    _h(2026, 3, 20, "Cuti Bersama Idul Fitri 1447 Hijriah", _CB),
    _h(2026, 3, 21, "Hari Raya Idul Fitri 1447 Hijriah"),
    _h(2026, 3, 22, "Hari Raya Idul Fitri 1447 Hijriah"),
    _h(2026, 3, 23, "Cuti Bersama Idul Fitri 1447 Hijriah", _CB),
    _h(2026, 3, 24, "Cuti Bersama Idul Fitri 1447 Hijriah", _CB),
    _h(2026, 4, 3, "Wafat Yesus Kristus"),
    _h(2026, 4, 5, "Kebangkitan Yesus Kristus (Paskah)"),
    _h(2026, 5, 1, "Hari Buruh Internasional"),
    _h(2026, 5, 14, "Kenaikan Yesus Kristus"),
    _h(2026, 5, 15, "Cuti Bersama Kenaikan Yesus Kristus", _CB),
    _h(2026, 5, 27, "Hari Raya Idul Adha 1447 Hijriah"),
    _h(2026, 5, 28, "Cuti Bersama Idul Adha 1447 Hijriah", _CB),
    _h(2026, 5, 31, "Hari Raya Waisak 2570 BE"),
    _h(2026, 6, 1, "Hari Lahir Pancasila"),
    _h(2026, 6, 16, "Tahun Baru Islam 1448 Hijriah"),
    _h(2026, 8, 17, "Hari Proklamasi Kemerdekaan Republik Indonesia"),
    _h(2026, 8, 25, "Maulid Nabi Muhammad SAW"),
    _h(2026, 12, 24, "Cuti Bersama Hari Raya Natal", _CB),
    _h(2026, 12, 25, "Hari Raya Natal"),
)

HOLIDAY_DATES: frozenset[date] = frozenset(h.day for h in HOLIDAYS)


CALENDAR = WorkingCalendar(HOLIDAY_DATES)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not in HOLIDAYS."""
    return CALENDAR.is_working_day(day)


def day_zero(day: date) -> date:
    """The day itself if it is a working day, else the next working day."""
    return CALENDAR.day_zero(day)


def nth_working_day(start: date, n: int) -> date:
    """The n-th working day after the working day `start` (n = 0 gives day_zero(start))."""
    return CALENDAR.nth_working_day(start, n)


def deadline(received: datetime, working_days: int) -> datetime:
    """End (24:00 WIB) of the given working day after day 0 of `received` (naive WIB)."""
    return CALENDAR.deadline(received.replace(tzinfo=WIB), working_days).replace(tzinfo=None)


def working_days_in_month(year: int, month: int) -> list[date]:
    """The working days of a calendar month, in order."""
    day = date(year, month, 1)
    days: list[date] = []
    while day.month == month:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def month_of(period: str) -> tuple[int, int]:
    """('2026', '10') parts of a 'YYYY-MM' period as integers."""
    return int(period[:4]), int(period[5:7])
