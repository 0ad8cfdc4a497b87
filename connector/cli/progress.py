"""The live view of a sync on a terminal: one line per phase, pull counts per stream, apply with ETA.

Every line has a spinner and an elapsed clock that Rich redraws on its own, so a long evaluate
or a slow write never looks frozen. Without a TTY (cron) nothing is drawn. On Ctrl-C the user
is told which phases finished and what was pulled, so they know what the next run will redo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from connector.cli.common import is_terminal, stderr
from connector.progress import SILENT, RunProgress

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")

PHASES = {
    "pull": "pulling",
    "snapshot": "loading the state store",
    "evaluate": "resolving customers and evaluating rules",
    "index": "indexing customers for referee check",
    "journal": "journaling the plan",
    "apply": "writing back",
    "history": "recording findings",
}


class _CountColumn(ProgressColumn):
    """``12/40 eta 0:00:05`` for phases with a total; nothing for open-ended ones."""

    def __init__(self) -> None:
        super().__init__()
        self._eta = TimeRemainingColumn()

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        eta = self._eta.render(task)
        return Text(f"{int(task.completed):,}/{int(task.total):,} eta ") + eta


class LiveProgress:
    """A :class:`RunProgress` drawn with Rich; also remembers what was done for an interruption."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._phase: TaskID | None = None
        self._phase_name = ""
        self._streams: dict[tuple[str, str], TaskID] = {}
        self.pulled_counts: dict[tuple[str, str], int] = {}
        self.finished: list[str] = []

    def phase(self, name: str, total: int | None = None) -> None:
        self._close_phase()
        self._phase_name = name
        if name == "pull":
            return  # streams get their own lines as batches arrive
        label = PHASES.get(name, name)
        if total is not None and name in ("apply", "journal", "history"):
            self._phase = self._progress.add_task(label, total=total or None)
        else:
            suffix = f" ({total:,} records)" if total else ""
            self._phase = self._progress.add_task(label + suffix, total=None)

    def pulled(self, adapter: str, stream: str, count: int) -> None:
        key = (adapter, stream)
        self.pulled_counts[key] = self.pulled_counts.get(key, 0) + count
        if key not in self._streams:
            self._streams[key] = self._progress.add_task("", total=None)
        self._progress.update(
            self._streams[key], description=f"pulling {adapter} {stream}: {self.pulled_counts[key]:,}"
        )

    def advance(self, count: int) -> None:
        if self._phase is not None:
            self._progress.advance(self._phase, count)

    def interrupted(self, console: Console) -> None:
        done = ", ".join(PHASES.get(p, p) for p in self.finished) or "nothing finished"
        pulled = ", ".join(f"{a} {s} {n:,}" for (a, s), n in self.pulled_counts.items()) or "nothing"
        console.print(
            f"Interrupted while {PHASES.get(self._phase_name, self._phase_name) or 'starting'}. "
            f"Done: {done}. Stored: {pulled} (cursors are saved per batch, so the next run continues "
            "from there; actions journaled as planned are applied by the next --apply run).",
            markup=False,
            highlight=False,
        )

    def _close_phase(self) -> None:
        if self._phase_name:
            self.finished.append(self._phase_name)
        if self._phase is not None:
            task = self._progress.tasks[self._phase]
            if task.total is not None:
                self._progress.update(self._phase, completed=task.total)
            self._progress.stop_task(self._phase)
        self._phase = None


def with_progress(run: Callable[[RunProgress], T]) -> T:
    """Run ``run`` with a live view on a terminal, silently otherwise; Ctrl-C says what was done."""
    if not is_terminal():
        try:
            return run(SILENT)
        except KeyboardInterrupt:
            stderr.print("Interrupted.", highlight=False)
            raise typer.Exit(130) from None
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        BarColumn(bar_width=20),
        TimeElapsedColumn(),
        _CountColumn(),
    )
    live: LiveProgress | None = None
    try:
        with Progress(*columns, transient=True, console=stderr) as progress:
            live = LiveProgress(progress)
            return run(live)
    except KeyboardInterrupt:
        if live is not None:
            live.interrupted(stderr)
        raise typer.Exit(130) from None
