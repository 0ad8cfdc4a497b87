"""What a sync tells whoever watches it, phase by phase (the CLI draws it; cron sees nothing).

The pipeline calls :class:`RunProgress` at each phase boundary, per pulled batch and per applied
chunk, so a display can show where the run is and never sits still on a stale counter.
:data:`SILENT` is the do-nothing watcher used when no one is looking.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")

APPLY_CHUNK = 25
"""Actions applied between two progress updates (small enough for a live ETA, big enough to batch)."""


class RunProgress(Protocol):
    def phase(self, name: str, total: int | None = None) -> None:
        """A new phase starts (``pull``, ``snapshot``, ``evaluate``, ``journal``, ``apply`` …)."""

    def pulled(self, adapter: str, stream: str, count: int) -> None:
        """``count`` more records or activities of ``adapter``'s ``stream`` are stored."""

    def advance(self, count: int) -> None:
        """``count`` more units of the current phase's ``total`` are done."""


class _Silent:
    def phase(self, name: str, total: int | None = None) -> None:
        return None

    def pulled(self, adapter: str, stream: str, count: int) -> None:
        return None

    def advance(self, count: int) -> None:
        return None


SILENT: RunProgress = _Silent()


def in_chunks(
    items: Sequence[T], work: Callable[[Sequence[T]], list[R]], progress: RunProgress, size: int = APPLY_CHUNK
) -> list[R]:
    """``work`` over ``items`` a chunk at a time, advancing ``progress`` after each chunk."""
    done: list[R] = []
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        done.extend(work(chunk))
        progress.advance(len(chunk))
    return done
