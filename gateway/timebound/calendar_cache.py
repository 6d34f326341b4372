"""The calendar of one gateway process: read from sppspm's `hari_libur` once, then again
in the background when it is older than the refresh interval, never per request."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from connectors.sppspm.connector import SppspmConnector
from connectors.working_days import WorkingCalendar

log = logging.getLogger("smartgate")


class CalendarCache:
    def __init__(self, sppspm: SppspmConnector, refresh_s: float) -> None:
        self._sppspm = sppspm
        self._refresh_s = refresh_s
        self._calendar: WorkingCalendar | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None
        self.loads = 0

    async def current(self) -> WorkingCalendar:
        """The calendar; the first call reads it (raising `SourceUnavailable` when sppspm
        cannot answer), later calls answer from memory and start a background refresh
        when it is stale."""
        calendar = self._calendar
        if calendar is None:
            async with self._lock:
                if self._calendar is None:
                    await self._load()
            assert self._calendar is not None
            return self._calendar
        if self._stale() and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.create_task(self._refresh())
        return calendar

    def _stale(self) -> bool:
        return asyncio.get_running_loop().time() - self._loaded_at > self._refresh_s

    async def _load(self) -> None:
        holidays = await self._sppspm.holidays()
        self._calendar = WorkingCalendar(holidays)
        self._loaded_at = asyncio.get_running_loop().time()
        self.loads += 1

    async def _refresh(self) -> None:
        try:
            await self._load()
        except Exception as exc:  # noqa: BLE001 - keep the calendar we have
            log.warning("event=calendar_refresh_failed error=%r", exc)
            self._loaded_at = asyncio.get_running_loop().time()  # try again next interval

    async def close(self) -> None:
        task, self._refreshing = self._refreshing, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
