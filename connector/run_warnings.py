"""Run warnings: something an operator should fix that did not stop the run.

An adapter that degrades gracefully (a notification channel it could not renew, an optional
scope it lacks) records a :class:`RunWarning` in its :class:`WarningLog` instead of failing the
sync. The pipeline drains every adapter's log once per run; the warnings end up in the run record
(``referee runs``), the sync report (``--format json``) and ``/metrics``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

MAX_PER_RUN = 50
"""A run keeps at most this many warnings (the first ones): a warning storm must not bloat the store."""


@dataclass(frozen=True)
class RunWarning:
    adapter: str
    code: str
    """Stable and machine-readable, e.g. ``watch_renewal_failed``; ``/metrics`` labels by it."""
    message: str
    """One line a user can act on: what happened and how to fix it. Never a secret."""

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RunWarning:
        return cls(
            adapter=str(raw.get("adapter", "")),
            code=str(raw.get("code", "")),
            message=str(raw.get("message", "")),
        )


class WarningLog:
    """An adapter's warnings since the last drain; the same warning twice is kept once."""

    def __init__(self, adapter: str) -> None:
        self.adapter = adapter
        self._items: dict[tuple[str, str], RunWarning] = {}

    def add(self, code: str, message: str) -> None:
        if len(self._items) < MAX_PER_RUN:
            self._items.setdefault((code, message), RunWarning(self.adapter, code, message))

    def drain(self) -> list[RunWarning]:
        items, self._items = list(self._items.values()), {}
        return items


def drain_warnings(adapters: Iterable[object]) -> list[RunWarning]:
    """Every warning the adapters recorded since the last call (adapters without a log have none)."""
    found: list[RunWarning] = []
    for adapter in adapters:
        drain = getattr(adapter, "drain_warnings", None)
        if callable(drain):
            found.extend(drain())
    return found[:MAX_PER_RUN]


def warnings_to_json(warnings: Sequence[RunWarning]) -> list[dict[str, str]]:
    return [w.to_json() for w in warnings]
