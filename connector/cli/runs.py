"""``referee runs`` and ``referee journal``: what past runs did."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from connector.cli.common import ConfigOption, handle_errors, open_config, open_store, stdout
from connector.domain import ActionStatus
from connector.errors import UsageError

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
    finally:
        store.close()
    if as_json:
        print(json.dumps([_run_json(r) for r in runs], ensure_ascii=False, indent=2))
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


@handle_errors
def journal_command(
    config_path: ConfigOption,
    run: Annotated[str | None, typer.Option("--run", help="Only this run id.")] = None,
    status: Annotated[ActionStatus | None, typer.Option("--status", help="Only this status.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n")] = 50,
    release: Annotated[
        str | None,
        typer.Option(
            "--release",
            help="Hand an action stuck in 'applying' (its run crashed) back for a retry. "
            "Check in the CRM first whether it was written.",
        ),
    ] = None,
) -> None:
    """Show the action journal: what was planned, applied, skipped or failed, and why.

    Example: referee journal -c config.toml --status failed
    """
    config = open_config(config_path)
    store = open_store(config)
    try:
        if release is not None:
            if not store.release_claim(release, now=datetime.now(UTC)):
                raise UsageError(f'no action "{release}" is in status applying (see --status applying)')
            stdout.print(f"released {release}: the next run retries it")
            return
        entries = store.list_journal(run_id=run, status=status, limit=limit)
    finally:
        store.close()
    table = Table(title="Action journal")
    for column in ("key", "status", "type", "record", "rule", "message"):
        table.add_column(column)
    for entry in entries:
        action = entry.action
        table.add_row(
            action.idempotency_key, entry.status.value, action.type.value, escape(str(action.target)),
            escape(action.rule), escape(entry.message or ""),
        )
    stdout.print(table)


def _run_json(run: RunInfo) -> dict[str, Any]:
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
    }
