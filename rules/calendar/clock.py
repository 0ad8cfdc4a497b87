"""Business-time arithmetic: add business time to an instant, measure business time between two.

Every instant maps to a *position*: the business microseconds counted from a fixed origin. A
day's working intervals and the running total before each day are computed once, lazily, and
kept in sorted lists, so a position is one ``bisect`` plus a walk over that day's few
intervals; no per-minute loops. Elapsed time is a difference of positions and adding time is
the inverse lookup, so ``elapsed(a, add(a, d)) == d`` holds to the microsecond.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

from rules.calendar.config import CalendarConfig, parse_interval
from rules.calendar.workdays import WorkdayRule

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_US = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_CHUNK_DAYS = 62
_MAX_IDLE_DAYS = 3660
WALL_CLOCK = "wall-clock"


def to_micros(at: datetime) -> int:
    """Microseconds since the Unix epoch, exact (no float rounding)."""
    return (at - _EPOCH) // _US


def from_micros(micros: int, zone: tzinfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=micros)).astimezone(zone)


class Clock(Protocol):
    """What SLA rules need from a calendar."""

    name: str
    zone: tzinfo
    business_hours: bool

    def position(self, at: datetime) -> int:
        """Business microseconds from a fixed origin up to ``at`` (only differences mean anything)."""
        ...

    def add(self, start: datetime, amount: timedelta) -> datetime: ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta: ...


class WallClock:
    """Plain elapsed time: used by rules without a calendar and by calendars without ``hours``."""

    business_hours = False

    def __init__(self, name: str = WALL_CLOCK, zone: tzinfo = UTC) -> None:
        self.name = name
        self.zone = zone

    def position(self, at: datetime) -> int:
        return to_micros(at)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        return start + amount

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return end - start


class BusinessCalendar:
    """Working hours on working days in one time zone, with holidays and make-up days."""

    business_hours = True

    def __init__(self, name: str, config: CalendarConfig) -> None:
        if not config.hours:
            raise ValueError(f'calendar "{name}" has no hours (use WallClock for wall-clock time)')
        self.name = name
        self.zone: tzinfo = ZoneInfo(config.timezone)
        self._spans = sorted(parse_interval(text) for text in config.hours)
        self._workdays = WorkdayRule(config)
        self._origin = 0  # ordinal of the first day held
        self._starts: list[int] = []  # local midnight of each held day, plus the one after the last
        self._cum: list[int] = []  # business time before each held day, plus the total after the last
        self._intervals: list[tuple[tuple[int, int], ...]] = []

    def position(self, at: datetime) -> int:
        micros = to_micros(at)
        rough = _EPOCH_ORDINAL + micros // _DAY_US
        self._cover(rough - 1, rough + 1)
        index = bisect_right(self._starts, micros) - 1
        done = self._cum[index]
        for begin, end in self._intervals[index]:
            if micros <= begin:
                break
            done += min(micros, end) - begin
        return done

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return timedelta(microseconds=self.position(end) - self.position(start))

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest instant by which ``amount`` of business time has passed since ``start``."""
        if amount < timedelta(0):
            raise ValueError("cannot add a negative business duration")
        if not amount:
            return start
        target = self.position(start) + amount // _US
        idle = 0
        while self._cum[-1] < target:
            before = self._cum[-1]
            last = self._origin + len(self._intervals) - 1
            self._cover(last + 1, last + _CHUNK_DAYS)
            idle = idle + _CHUNK_DAYS if self._cum[-1] == before else 0
            if idle > _MAX_IDLE_DAYS:
                raise ValueError(f'calendar "{self.name}" has no working time for ten years (check weekdays)')
        index = bisect_left(self._cum, target) - 1
        remaining = target - self._cum[index]
        for begin, end in self._intervals[index]:
            if remaining <= end - begin:
                return from_micros(begin + remaining, start.tzinfo or UTC)
            remaining -= end - begin
        raise AssertionError("unreachable: running totals and intervals disagree")  # pragma: no cover

    def _cover(self, first: int, last: int) -> None:
        """Make sure days ``first..last`` (ordinals) are held, growing in chunks."""
        if not self._intervals:
            self._origin = first
            self._starts = [self._midnight(first)]
            self._cum = [0]
            self._append(first, last)
            return
        if first < self._origin:
            self._prepend(min(first, self._origin - _CHUNK_DAYS))
        held_last = self._origin + len(self._intervals) - 1
        if last > held_last:
            self._append(held_last + 1, max(last, held_last + _CHUNK_DAYS))

    def _append(self, first: int, last: int) -> None:
        for ordinal in range(first, last + 1):
            intervals = self._day(ordinal)
            self._intervals.append(intervals)
            self._starts.append(self._midnight(ordinal + 1))
            self._cum.append(self._cum[-1] + sum(end - begin for begin, end in intervals))

    def _prepend(self, first: int) -> None:
        days = [self._day(ordinal) for ordinal in range(first, self._origin)]
        starts = [self._midnight(ordinal) for ordinal in range(first, self._origin)]
        totals = [sum(end - begin for begin, end in day) for day in days]
        cum = [self._cum[0]]
        for total in reversed(totals):
            cum.append(cum[-1] - total)
        cum.reverse()
        self._intervals = days + self._intervals
        self._starts = starts + self._starts
        self._cum = cum[:-1] + self._cum
        self._origin = first

    def _midnight(self, ordinal: int) -> int:
        day = date.fromordinal(ordinal)
        return to_micros(datetime(day.year, day.month, day.day, tzinfo=self.zone))

    def _day(self, ordinal: int) -> tuple[tuple[int, int], ...]:
        """The working intervals of one local day as epoch microseconds (DST-correct)."""
        day = date.fromordinal(ordinal)
        if not self._workdays.is_workday(day):
            return ()
        out: list[tuple[int, int]] = []
        for begin_min, end_min in self._spans:
            begin = self._local(day, begin_min)
            end = self._local(day, end_min)
            if out:
                begin = max(begin, out[-1][1])
            if end > begin:
                out.append((begin, end))
        return tuple(out)

    def _local(self, day: date, minutes: int) -> int:
        if minutes >= 1440:
            return self._midnight(day.toordinal() + 1)
        hour, minute = divmod(minutes, 60)
        return to_micros(datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone))


def build_clock(name: str | None, calendars: Mapping[str, CalendarConfig], *, wall_zone: str = "UTC") -> Clock:
    """The clock for a rule's ``calendar`` (``None`` → wall-clock time, explained in ``wall_zone``)."""
    if name is None:
        return WallClock(zone=ZoneInfo(wall_zone))
    try:
        config = calendars[name]
    except KeyError:
        known = ", ".join(sorted(calendars)) or "none configured"
        raise ValueError(f'no calendar named "{name}" (configured: {known})') from None
    if not config.hours:
        return WallClock(name, ZoneInfo(config.timezone))
    return BusinessCalendar(name, config)


def build_clocks(calendars: Mapping[str, CalendarConfig]) -> dict[str | None, Clock]:
    """One clock per configured calendar plus wall-clock time under ``None``; share them per run."""
    clocks: dict[str | None, Clock] = {None: WallClock()}
    for name in calendars:
        clocks[name] = build_clock(name, calendars)
    return clocks
