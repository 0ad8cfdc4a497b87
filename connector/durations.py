"""Durations as admins write them in config: ``"90m"``, ``"24h"``, ``"7d"``, ``"1d12h"``, ``"500ms"``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|w|d|h|m|s)")
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
MAX_DURATION = timedelta(days=3660)
"""Ten years: no wait, window or timeout in a config is longer; a bigger one is a typo."""


def parse_duration(text: str) -> timedelta:
    """Parse ``"1d12h"``-style text; raise ``ValueError`` with a hint on anything else."""
    raw = text.strip().replace(" ", "") if isinstance(text, str) else ""
    if not raw or len(raw) > 64 or _PART.sub("", raw) != "":
        raise ValueError(f'"{text[:80]}" is not a duration (write e.g. "24h" or "7d")')
    seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(raw))
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f'"{text}" is longer than ten years (write e.g. "24h" or "7d")')
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Render a timedelta the way config writes it (``"1d12h"``, ``"90m"`` → ``"1h30m"``)."""
    total = int(value.total_seconds())
    millis = round(value.total_seconds() * 1000) - total * 1000
    if total == 0:
        return f"{millis}ms" if millis else "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count}{unit}")
    if millis:
        parts.append(f"{millis}ms")
    return "".join(parts)


def _coerce(value: object) -> object:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        return parse_duration(value)
    raise ValueError(f'{value!r} is not a duration (write e.g. "24h" or "7d")')


Duration = Annotated[timedelta, BeforeValidator(_coerce), PlainSerializer(format_duration, return_type=str)]
"""A pydantic field type that accepts ``"24h"``-style strings."""
