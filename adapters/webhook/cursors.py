"""Cursors of list streams: the largest value seen, and the forms filters want them in."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from adapters.webhook.config_read import ReadEndpoint
from adapters.webhook.fieldpath import PathError, search
from adapters.webhook.values import cursor_key, parse_timestamp, text


class CursorTracker:
    """The largest cursor seen in a stream: ``cursor_field`` of each item, ``cursor_path`` of each body."""

    def __init__(self, endpoint: ReadEndpoint, saved: str | None, adapter: str) -> None:
        self.endpoint = endpoint
        self.best = saved
        self.adapter = adapter

    def see_item(self, item: Any) -> list[str]:
        return self._see(self.endpoint.cursor_field, item, "cursor_field")

    def see_body(self, body: Any) -> list[str]:
        return self._see(self.endpoint.cursor_path, body, "cursor_path")

    def _see(self, path: str | None, data: Any, key: str) -> list[str]:
        if path is None:
            return []
        try:
            seen = text(search(path, data))
        except PathError as exc:
            return [f"{self.adapter}: {key}: {exc} (check {key})"]
        if seen is not None and (self.best is None or cursor_key(seen) > cursor_key(self.best)):
            self.best = seen
        return []


def formatted(cursor: str, style: str, tz: tzinfo) -> str:
    """A timestamp cursor in the form a filter wants; a cursor that is no timestamp stays as it is."""
    try:
        when = parse_timestamp(cursor, tz)
    except ValueError:
        return cursor
    if when is None:
        return cursor
    if style == "epoch-s":
        return str(int(when.timestamp()))
    if style == "epoch-ms":
        return str(int(when.timestamp() * 1000))
    return stamp(when)


def stamp(when: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, which query languages (SOQL) and REST filters accept alike."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
