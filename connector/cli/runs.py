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
    """List past runs, newest first, with their counts.

    Example: referee runs -c config.toml -n 5
    """
    config = open_config(config_path)
    store = open_store(config)
    try:
        runs = store.list_runs(limit)
    finally:
        store.close()
    if as_json:
        print(json.dumps([_run_json(r) for r in runs], ensure_ascii=False, indent=2))
        return
    table = Table(title="Runs")
    for column in ("run", "mode", "started", "finished", "status", "counts"):
        table.add_column(column)
    for run in runs:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()) if v)
        finished = run.finished_at.isoformat(timespec="seconds") if run.finished_at else "running"
        status = run.status + (f": {run.error}" if run.error else "")
        status += "".join(f"\nwarning: {w.adapter}: {w.message}" for w in run.warnings)
        table.add_row(
            run.run_id, run.mode, run.started_at.isoformat(timespec="seconds"), finished, escape(status), counts
        )
    stdout.print(table)


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
        "status": run.status,
        "counts": dict(run.counts),
        "error": run.error,
        "warnings": [w.to_json() for w in run.warnings],
    }
