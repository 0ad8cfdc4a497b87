"""``referee sync`` and ``referee plan``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from connector.cli.common import (
    ConfigOption,
    NowOption,
    build_adapters,
    handle_errors,
    is_terminal,
    open_config,
    open_store,
    parse_now,
    stderr,
    stdout,
)
from connector.cli.progress import with_progress
from connector.cli.summary import DEFAULT_LIMIT, FindingsShown, SummaryOptions
from connector.errors import ConnectorError, UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from connector.config import Config
    from connector.store import Store
    from connector.sync import SyncReport


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table for people, json for scripts.")]
FullOption = Annotated[bool, typer.Option("--full", help="Ignore stored cursors and pull everything again.")]
AdapterOption = Annotated[
    list[str] | None, typer.Option("--adapter", "-a", help="Only this adapter (repeatable).", show_default="all")
]
BreakLockOption = Annotated[
    bool, typer.Option("--break-lock", help="Remove a stale run lock left by a crashed sync first.")
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Also write the HTML report of this run to this file.")
]
FindingsOption = Annotated[
    FindingsShown,
    typer.Option("--findings", help="Table output: only findings no earlier run reported (new), or all with evidence."),
]
LimitOption = Annotated[
    int, typer.Option("--limit", min=1, help="Table output: print at most this many finding and action lines.")
]


@handle_errors
def sync_command(
    config_path: ConfigOption,
    apply: Annotated[
        bool | None,
        typer.Option("--apply/--dry-run", help="Write back to the CRM, or only plan.", show_default="[referee] apply"),
    ] = None,
    full: FullOption = False,
    output: FormatOption = OutputFormat.table,
    now: NowOption = None,
    adapter: AdapterOption = None,
    break_lock: BreakLockOption = False,
    report_path: ReportOption = None,
    findings: FindingsOption = FindingsShown.new,
    limit: LimitOption = DEFAULT_LIMIT,
) -> None:
    """Pull from the CRMs, find conflicts and missed SLAs, and write back when applying.

    Example: referee sync -c config.toml --dry-run --format json --report report.html
    """
    config = open_config(config_path)
    do_apply = config.referee.apply if apply is None else apply
    shown = SummaryOptions(findings=findings, limit=limit, terminal=is_terminal())
    _run(config_path, config, do_apply, full, output, now, adapter, break_lock, report_path, shown)


@handle_errors
def plan_command(
    config_path: ConfigOption,
    full: FullOption = False,
    output: FormatOption = OutputFormat.table,
    now: NowOption = None,
    adapter: AdapterOption = None,
    break_lock: BreakLockOption = False,
    findings: FindingsOption = FindingsShown.new,
    limit: LimitOption = DEFAULT_LIMIT,
) -> None:
    """Like sync, but never writes back: show what would change.

    Example: referee plan -c config.toml --now 2026-11-27T10:00:00+08:00 --format json
    """
    config = open_config(config_path)
    shown = SummaryOptions(findings=findings, limit=limit, terminal=is_terminal())
    _run(config_path, config, False, full, output, now, adapter, break_lock, None, shown)


def _run(
    config_path: Path,
    config: Config,
    do_apply: bool,
    full: bool,
    output: OutputFormat,
    now: str | None,
    adapter: list[str] | None,
    break_lock: bool,
    report_path: Path | None = None,
    shown: SummaryOptions | None = None,
) -> None:
    from connector.cli.summary import print_summary
    from connector.readiness import require_rules
    from connector.report import report_to_json
    from connector.sync import SyncOptions, run_sync

    require_rules(config)

    if report_path is not None and not report_path.parent.is_dir():
        raise UsageError(f"--report {report_path}: the directory {report_path.parent} does not exist (create it first)")
    store = open_store(config)
    try:
        moment = parse_now(now, config)
        adapters = build_adapters(config, store, adapter, now=moment if now else None)
        options = SyncOptions(now=moment, apply=do_apply, full=full, only=adapter or (), break_lock=break_lock)
        report = with_progress(lambda watch: run_sync(config, store, adapters, options, progress=watch))
        _notify(config, store, report, moment)
        if output is OutputFormat.json:
            print(json.dumps(report_to_json(report), ensure_ascii=False, indent=2))
        else:
            print_summary(report, stdout, shown or SummaryOptions(terminal=is_terminal()))
        if report_path is not None:
            from connector.cli.report import write_report

            write_report(config, store, report_path, now=moment, run_id=report.run_id)
    finally:
        store.close()
    stopped = _apply_stopped(adapters) if do_apply else None
    if stopped is not None:
        raise stopped  # one Error line and its exit status (3): what was applied is journaled
    if report.failed:
        raise typer.Exit(4)


def _apply_stopped(adapters: Mapping[str, object]) -> ConnectorError | None:
    """An adapter whose write-back stopped early (daily credits, budget); the rest stays planned."""
    for adapter in adapters.values():
        hook = getattr(adapter, "apply_stopped", None)
        stopped = hook() if callable(hook) else None
        if isinstance(stopped, ConnectorError):
            return stopped
    return None


def _notify(config: Config, store: Store, report: SyncReport, now: datetime) -> None:
    """Digests after the run (``[notify]``); never fails it: undelivered ones wait for the next run."""
    if not config.notify.targets:
        return
    from connector.notify.hooks import notify_after_sync

    delivery = notify_after_sync(config, store, report, now=now)
    if delivery is not None and delivery.failed:
        stderr.print(
            f"Notifications: {len(delivery.failed)} not delivered (retried next run): "
            + escape("; ".join(delivery.failed.values())),
            highlight=False,
        )
