"""Which stretch of time a report or ``referee stats`` covers: ``--since 30d`` or a date, ``--until``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from connector.durations import parse_duration
from connector.errors import UsageError

DEFAULT_SPAN = timedelta(days=30)


@dataclass(frozen=True)
class Period:
    """``[since, until]``, both aware."""

    since: datetime
    until: datetime


def parse_period(since: str | None, until: str | None, *, now: datetime, timezone: str) -> Period:
    """``--since`` as a duration back from ``--until`` ("30d") or a date/time; ``--until`` defaults to now."""
    zone = ZoneInfo(timezone)
    end = _moment(until, "--until", zone, end_of_day=True) if until else now
    if since is None:
        start = end - DEFAULT_SPAN
    elif since[:1].isdigit() and since[-1:].isalpha():
        try:
            start = end - parse_duration(since)
        except ValueError:
            raise UsageError(f'--since "{since}" is neither a duration nor a date (write e.g. 30d or 2026-11-01)') from None
    else:
        start = _moment(since, "--since", zone, end_of_day=False)
    if start >= end:
        raise UsageError(f"--since ({start.isoformat()}) is not before --until ({end.isoformat()}); swap them")
    return Period(start, end)


def _moment(text: str, option: str, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=zone)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f'{option} "{text}" is not a date or time (write e.g. 2026-11-01 or 2026-11-01T09:00)') from None
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)
