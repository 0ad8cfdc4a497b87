"""``referee runs``: what past runs did (``referee journal`` lives in :mod:`connector.cli.journal`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

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
    """List past runs, newest first, with their counts.

    Example: referee runs -c config.toml -n 5
    """
    config = open_config(config_path)
    store = open_store(config)
    try:
        runs = store.list_runs(limit)
        left = stranded(store, now=datetime.now(UTC), holding_lock=False)
    finally:
        store.close()
    if as_json:
        print(json.dumps([_run_json(r, left) for r in runs], ensure_ascii=False, indent=2))
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
    for unsettled in left:
        stdout.print(stranded_line(unsettled), highlight=False, markup=False)


def _run_json(run: RunInfo, left: list[Stranded]) -> dict[str, Any]:
    unsettled = next((s for s in left if s.run_id == run.run_id), None)
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
        "unsettled": unsettled.to_json() if unsettled else None,
    }
