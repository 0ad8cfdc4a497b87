"""Read one JSON value as what the domain needs: text, lists of text, yes/no, a module, an instant.

Pure. Every reader raises ``ValueError`` with a short reason on a value it cannot read; the
mapping turns that into a message naming the item and the config key.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import Any

from connector.domain import Module

EPOCH_MS_THRESHOLD = 100_000_000_000
"""Numbers at or above this are epoch milliseconds (it is year 5138 in seconds, 1973 in ms)."""
_MIN_YEAR, _MAX_YEAR = 1900, 9999
_TRUE = frozenset({"true", "yes", "y", "1", "done", "completed", "active", "enabled"})
_FALSE = frozenset({"false", "no", "n", "0", "open", "pending", "planned", "inactive", "disabled"})


def parse_timestamp(value: Any, default_tz: tzinfo) -> datetime | None:
    """ISO 8601 text or epoch seconds/milliseconds; naive text is read in ``default_tz``.

    Bounded: an instant outside the years 1900-9999 (``99999999999999999999``, ``1e308``) is a
    ``ValueError``, never an ``OverflowError``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a timestamp")
    if isinstance(value, str) and _looks_numeric(value):
        try:
            value = _number(value.strip())
        except ValueError:  # more digits than int() reads
            raise ValueError(f"{_short(value)} is out of range for an epoch timestamp") from None
    if isinstance(value, int | float):
        return _from_epoch(value)
    if not isinstance(value, str):
        raise ValueError(f"{type(value).__name__} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f'"{_short(value)}" is not ISO 8601 or epoch seconds') from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=default_tz)


def _looks_numeric(value: str) -> bool:
    return value.strip().lstrip("-").replace(".", "", 1).isdigit()


def _number(value: str) -> int | float:
    return float(value) if "." in value else int(value)


def _from_epoch(value: int | float) -> datetime:
    try:
        seconds = value / 1000 if abs(value) >= EPOCH_MS_THRESHOLD else value
        when = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        when = None
    if when is None or not _MIN_YEAR <= when.year <= _MAX_YEAR:
        raise ValueError(
            f"{_short(str(value))} is out of range for an epoch timestamp (seconds or milliseconds)"
        )
    return when


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def cursor_key(value: Any) -> tuple[int, float, str]:
    """Orders cursor values: timestamps by instant, anything else as text after them."""
    try:
        when = parse_timestamp(value, UTC)
    except ValueError:
        when = None
    if when is not None:
        return (0, when.timestamp(), "")
    return (1, 0.0, str(value))


def text(value: Any) -> str | None:
    """A scalar as text (ids are often numbers); empty → ``None``."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = str(value).strip()
    return out or None


def texts(value: Any, *, separators: str = "") -> tuple[str, ...]:
    """A scalar or (nested) list as a de-duplicated tuple of non-empty texts.

    Strings are also split on each of ``separators`` (``","`` for tags, ``";"`` for HubSpot's
    multi-owner property).
    """
    out: list[str] = []
    for item in _flatten(value):
        parts = [item]
        if separators and isinstance(item, str):
            for sep in separators:
                parts = [piece for part in parts for piece in str(part).split(sep)]
        for part in parts:
            t = text(part)
            if t is not None and t not in out:
                out.append(t)
    return tuple(out)


def _flatten(value: Any) -> Iterable[Any]:
    if isinstance(value, list | tuple):
        for item in value:
            yield from _flatten(item)
    elif value is not None:
        yield value


def boolean(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f'"{_short(str(value))}" is not a yes/no value')


def module(value: Any, default: Module = Module.LEADS) -> Module:
    """``"Leads"``, ``"lead"``, ``"DEALS"`` → :class:`Module`."""
    if value is None or value == "":
        return default
    wanted = str(value).strip().lower()
    for candidate in Module:
        name = candidate.value.lower()
        if wanted in (name, name.removesuffix("s")):
            return candidate
    known = ", ".join(m.value for m in Module)
    raise ValueError(f'"{_short(str(value))}" is not a module (map it to one of {known})')
