"""Business calendars: working hours, weekdays, public holidays and make-up working days."""

from __future__ import annotations

from rules.calendar.clock import WALL_CLOCK, BusinessCalendar, Clock, WallClock, build_clock, build_clocks
from rules.calendar.config import CalendarConfig
from rules.calendar.workdays import WorkdayRule, public_holidays

__all__ = [
    "WALL_CLOCK",
    "BusinessCalendar",
    "CalendarConfig",
    "Clock",
    "WallClock",
    "WorkdayRule",
    "build_clock",
    "build_clocks",
    "public_holidays",
]
