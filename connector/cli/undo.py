"""``referee undo RUN``: revert what one run applied (owners back, tags off, "undone" notes)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from connector.cli.common import (
    ConfigOption,
    NowOption,
    build_adapters,
    handle_errors,
    open_config,
    open_store,
    parse_now,
    stdout,
)
from connector.cli.signals import graceful_stop
from connector.cli.sync import BreakLockOption, FormatOption, OutputFormat, exit_for
from connector.domain import ActionStatus
from connector.errors import UsageError


@handle_errors
def undo_command(
    run: Annotated[str, typer.Argument(help="The run to revert (see `referee runs`).")],
    config_path: ConfigOption,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would be reverted.")] = False,
    output: FormatOption = OutputFormat.table,
    now: NowOption = None,
    break_lock: BreakLockOption = False,
) -> None:
    """Revert a run: owners back to the previous owner unless someone changed them since, tags removed,
    an "undone" note beside each note; all journaled as actions of an undo run.

    Example: referee undo 20261127T100000-ab12cd34ef56 -c config.toml --dry-run
    """
    from connector.report import print_report, report_to_json
    from connector.sync import SyncOptions
    from connector.undo import run_undo

    config = open_config(config_path)
    store = open_store(config)
    try:
        if not any(r.run_id == run for r in store.list_runs(limit=100_000)):
            raise UsageError(f'no run "{run}" in the state store (see `referee runs` for run ids)')
        entries = store.list_journal(run_id=run, status=ActionStatus.APPLIED, limit=1_000_000)
        moment = parse_now(now, config)
        names = sorted({e.action.target.adapter for e in entries}) or None
        adapters = build_adapters(config, store, names, now=moment if now else None)
        with graceful_stop() as stop:
            options = SyncOptions(now=moment, apply=not dry_run, break_lock=break_lock, stop=stop.event)
            report = run_undo(store, adapters, run, entries, options)
        if output is OutputFormat.json:
            print(json.dumps(report_to_json(report), ensure_ascii=False, indent=2))
        else:
            print_report(report, stdout)
    finally:
        store.close()
    exit_for(report, stop, adapters)
