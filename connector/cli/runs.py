"""``referee runs``: what past runs did (``referee journal`` lives in :mod:`connector.cli.journal`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from connector.cli.common import ConfigOption, handle_errors, open_config, open_store, stdout
from connector.recovery import Stranded, stranded
from connector.report import stranded_line

if TYPE_CHECKING:
    from connector.store.runs import RunInfo


@handle_errors
def runs_command(
    config_path: ConfigOption,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many runs to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List past runs, newest first by when they really started, with duration and counts.

    "as of" is the run's --now (the time it evaluated), shown apart from its wall-clock start.

    Example: referee runs -c config.toml -n 5
    """
    config = open_config(config_path)
    store = open_store(config)
    try:
        runs = store.list_runs(limit, by_wall_clock=True)
        left = stranded(store, now=datetime.now(UTC), holding_lock=False)
    finally:
        store.close()
    if as_json:
        print(json.dumps([_run_json(r, left) for r in runs], ensure_ascii=False, indent=2))
        return
    if not runs:
        stdout.print("No runs yet (referee sync starts the first).")
    for run in runs:  # lines, not a table: ids and times stay whole on an 80-column terminal
        head = (f"{run.run_id}  {run.mode}  started {_started(run)}  took {_duration(run)}  "
                f"as of {run.started_at.isoformat(timespec='seconds')}  {run.status}")
        stdout.print(head, markup=False, highlight=False)
        if run.error:
            stdout.print(f"    error: {run.error}", markup=False, highlight=False)
        counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(run.counts.items()) if v)
        if counts:
            stdout.print(f"    {counts}", markup=False, highlight=False)
        for warning in run.warnings:
            stdout.print(f"    warning: {warning.adapter}: {warning.message}", markup=False, highlight=False)

    for unsettled in left:
        stdout.print(stranded_line(unsettled), highlight=False, markup=False)

def _started(run: RunInfo) -> str:
    if run.wall_started_at is None:
        return "unknown (older run)"
    return run.wall_started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(run: RunInfo) -> str:
    seconds = run.duration_seconds
    if seconds is None:
        return "running" if run.finished_at is None else "?"
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}m {secs:04.1f}s" if minutes else f"{secs:.1f}s"


def _run_json(run: RunInfo, left: list[Stranded]) -> dict[str, Any]:
    unsettled = next((s for s in left if s.run_id == run.run_id), None)
    return {
        "run_id": run.run_id,
        "mode": run.mode,
        "adapters": list(run.adapters),
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "wall_started_at": run.wall_started_at.isoformat() if run.wall_started_at else None,
        "wall_finished_at": run.wall_finished_at.isoformat() if run.wall_finished_at else None,
        "duration_seconds": run.duration_seconds,
        "status": run.status,
        "counts": dict(run.counts),
        "error": run.error,
        "warnings": [w.to_json() for w in run.warnings],
        "unsettled": unsettled.to_json() if unsettled else None,
    }
