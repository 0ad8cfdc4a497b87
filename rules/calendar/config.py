"""``[calendars.<name>]``: business hours, weekdays and holidays."""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise

from pydantic import field_validator, model_validator

from connector.config_base import ConfigModel, TimeZoneName

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class CalendarConfig(ConfigModel):
    """A working-time calendar; without ``hours`` it means plain wall-clock time."""

    timezone: TimeZoneName = "UTC"
    hours: tuple[str, ...] = ()
    weekdays: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    holidays: str | None = None
    extra_holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()


    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        spans = sorted(parse_interval(text) for text in value)
        for (_, end), (start, _) in pairwise(spans):
            if start < end:
                raise ValueError(f"business hours {list(value)} overlap (list each stretch of time once)")
        return value

    @field_validator("weekdays")
    @classmethod
    def _valid_weekdays(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(day.strip().lower()[:3] for day in value)
        for raw, day in zip(value, cleaned, strict=True):
            if day not in WEEKDAYS or raw.strip().lower() not in (day, _LONG[day]):
                raise ValueError(f'"{raw}" is not a weekday (use {", ".join(WEEKDAYS)})')
        if not cleaned:
            raise ValueError(
                'weekdays is empty (list the working days, e.g. ["mon", "tue", "wed", "thu", "fri"])'
            )
        return cleaned

    @field_validator("holidays")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import holidays as holidays_pkg

        country, _, subdiv = value.upper().partition("-")
        supported = holidays_pkg.list_supported_countries()
        if country not in supported:
            raise ValueError(
                f'"{value}" is not a country the holidays package knows '
                '(write an ISO code such as "CN", "US" or "US-NY")'
            )
        if subdiv and subdiv not in supported[country]:
            shown = ", ".join(supported[country][:12]) or "none"
            raise ValueError(
                f'"{value}": {country} has no subdivision "{subdiv}" (known: {shown}; or write just "{country}")'
            )
        return value.upper()

    @model_validator(mode="after")
    def _no_day_both_ways(self) -> CalendarConfig:
        both = sorted(set(self.extra_holidays) & set(self.extra_workdays))
        if both:
            listed = ", ".join(d.isoformat() for d in both)
            raise ValueError(f"{listed} is listed in both extra_holidays and extra_workdays (keep it in one)")
        return self


_LONG = {
    "mon": "monday",
    "tue": "tuesday",
    "wed": "wednesday",
    "thu": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}


def parse_interval(text: str) -> tuple[int, int]:
    """``"09:00-12:00"`` → ``(540, 720)``: minutes after local midnight; ``24:00`` is 1440."""
    match = _INTERVAL.match(text) if isinstance(text, str) else None
    hint = '(write "HH:MM-HH:MM" with the start before the end, e.g. "09:00-12:00")'
    if not match:
        raise ValueError(f'"{text}" is not a time interval {hint}')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ValueError(f'"{text}" is not a time interval {hint}')
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise ValueError(f'"{text}" ends before it starts {hint}')
    return start, end
