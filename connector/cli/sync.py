"""``referee sync`` and ``referee plan``: one run, its rails (confirm, limits) and Ctrl-C."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
from connector.cli.signals import StopFlag, graceful_stop
from connector.cli.summary import DEFAULT_LIMIT, FindingsShown, SummaryOptions
from connector.errors import ConnectorError, UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from connector.config import Config
    from connector.domain import Action
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


YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask before writing more than [safety] confirm_above actions.")
]
MaxActionsOption = Annotated[
    int | None,
    typer.Option("--max-actions", help="Allow this many actions in this run.", show_default="[safety] max_actions_per_run"),
]
MassOption = Annotated[
    bool, typer.Option("--allow-mass-reassign", help="Allow more than [safety] max_reassign_share to move.")
]
EmptyOption = Annotated[
    bool, typer.Option("--allow-empty-activities", help="Allow a run whose activities vanished since the last one.")
]


@dataclass(frozen=True)
class Rails:
    """The per-run overrides of ``[safety]`` given on the command line."""

    yes: bool = False
    max_actions: int | None = None
    allow_mass_reassign: bool = False
    allow_empty_activities: bool = False


@handle_errors
def sync_command(
    config_path: ConfigOption,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write back to the CRM.", show_default="[referee] apply")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only plan; write nothing.")] = False,
    full: FullOption = False,
    output: FormatOption = OutputFormat.table,
    now: NowOption = None,
    adapter: AdapterOption = None,
    break_lock: BreakLockOption = False,
    report_path: ReportOption = None,
    findings: FindingsOption = FindingsShown.new,
    limit: LimitOption = DEFAULT_LIMIT,
    yes: YesOption = False,
    max_actions: MaxActionsOption = None,
    allow_mass_reassign: MassOption = False,
    allow_empty_activities: EmptyOption = False,
) -> None:
    """Pull from the CRMs, find conflicts and missed SLAs, and write back when applying.

    Example: referee sync -c config.toml --dry-run --format json --report report.html
    """
    if apply and dry_run:
        raise UsageError("--apply and --dry-run contradict each other; give one of them")
    config = open_config(config_path)
    do_apply = apply or (config.referee.apply and not dry_run)
    shown = SummaryOptions(findings=findings, limit=limit, terminal=is_terminal())
    rails = Rails(yes, max_actions, allow_mass_reassign, allow_empty_activities)
    _run(config_path, config, do_apply, full, output, now, adapter, break_lock, report_path, shown, rails)


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
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also save the plan to this file, for `referee apply FILE` after review."),
    ] = None,
) -> None:
    """Like sync, but never writes back: show what would change.

    Example: referee plan -c config.toml --now 2026-11-27T10:00:00+08:00 --out plan.json
    """
    if out is not None and not out.parent.is_dir():
        raise UsageError(f"--out {out}: the directory {out.parent} does not exist (create it first)")
    config = open_config(config_path)
    shown = SummaryOptions(findings=findings, limit=limit, terminal=is_terminal())
    _run(config_path, config, False, full, output, now, adapter, break_lock, None, shown, plan_out=out)


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
    rails: Rails = Rails(),
    plan_out: Path | None = None,
) -> None:
    from connector.cli.summary import print_summary
    from connector.readiness import require_rules
    from connector.report import report_to_json
    from connector.sync import SyncInterrupted, SyncOptions, run_sync

    require_rules(config)

    if report_path is not None and not report_path.parent.is_dir():
        raise UsageError(f"--report {report_path}: the directory {report_path.parent} does not exist (create it first)")
    store = open_store(config)
    try:
        moment = parse_now(now, config)
        adapters = build_adapters(config, store, adapter, now=moment if now else None)
        with graceful_stop() as stop:
            options = SyncOptions(
                now=moment, apply=do_apply, full=full, only=adapter or (), break_lock=break_lock,
                stop=stop.event, confirm=confirmer(config, rails), max_actions=rails.max_actions,
                allow_mass_reassign=rails.allow_mass_reassign, allow_empty_activities=rails.allow_empty_activities,
            )
            try:
                report = with_progress(lambda watch: run_sync(config, store, adapters, options, progress=watch))
            except SyncInterrupted as exc:
                stderr.print(f"Interrupted: {escape(str(exc))}", highlight=False)
                raise typer.Exit(stop.exit_status or 130) from None
        _notify(config, store, report, moment)
        if plan_out is not None:
            from connector.planfile import save_plan

            saved = save_plan(plan_out, report, store)
            stderr.print(
                f"Saved {saved} planned actions to {escape(str(plan_out))}: review it, then "
                f"`referee apply {escape(str(plan_out))} -c {escape(str(config_path))}`",
                highlight=False,
            )
        if output is OutputFormat.json:
            print(json.dumps(report_to_json(report), ensure_ascii=False, indent=2))
        else:
            print_summary(report, stdout, shown or SummaryOptions(terminal=is_terminal()))
        if report_path is not None:
            from connector.cli.report import write_report

            write_report(config, store, report_path, now=moment, run_id=report.run_id)
    finally:
        store.close()
    exit_for(report, stop, adapters if do_apply else None)


def exit_for(report: SyncReport, stop: StopFlag, adapters: Mapping[str, object] | None = None) -> None:
    """The documented exit status of a finished run: 130/143 interrupted, 4 failed or unknown writes."""
    if report.interrupted:
        done = sum(1 for r in report.results if r.status.value != "planned")
        stderr.print(
            f"Interrupted: {done} actions done and journaled, {len(report.left)} left planned; "
            "the next run sends them",
            highlight=False,
        )
        raise typer.Exit(stop.exit_status or 130)
    if report.declined:
        stderr.print("Nothing was written (not confirmed). Run `referee plan` to review the actions.")
        raise typer.Exit(1)
    stopped = _apply_stopped(adapters) if adapters is not None else None
    if stopped is not None:
        raise stopped  # one Error line and its exit status (3): what was applied is journaled
    if report.failed or report.unknown:
        raise typer.Exit(4)


def confirmer(config: Config, rails: Rails) -> Callable[[Sequence[Action]], bool] | None:
    """On a terminal, ask before writing more than ``confirm_above`` actions; cron never asks."""
    if rails.yes or not is_terminal() or not sys.stdin.isatty():
        return None
    limit = config.safety.confirm_above

    def confirm(actions: Sequence[Action]) -> bool:
        if len(actions) <= limit:
            return True
        kinds = Counter(a.type.value for a in actions)
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        stderr.print(f"About to write {len(actions)} actions ({summary}), more than confirm_above = {limit}.")
        return typer.confirm("Write them now?", default=False, err=True)

    return confirm


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
