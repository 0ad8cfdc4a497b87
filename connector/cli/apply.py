"""``referee apply PLAN``: send a plan saved by ``referee plan --out`` after review."""

from __future__ import annotations

import json
from pathlib import Path
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
from connector.cli.sync import (
    BreakLockOption,
    EmptyOption,
    FormatOption,
    MassOption,
    MaxActionsOption,
    OutputFormat,
    Rails,
    YesOption,
    confirmer,
    exit_for,
)


@handle_errors
def apply_command(
    plan_path: Annotated[Path, typer.Argument(help="A plan saved by `referee plan --out FILE`.")],
    config_path: ConfigOption,
    output: FormatOption = OutputFormat.table,
    now: NowOption = None,
    break_lock: BreakLockOption = False,
    yes: YesOption = False,
    max_actions: MaxActionsOption = None,
    allow_mass_reassign: MassOption = False,
    allow_empty_activities: EmptyOption = False,
) -> None:
    """Apply exactly a reviewed plan; actions whose record changed since are skipped and reported.

    Example: referee plan -c config.toml --out plan.json && referee apply plan.json -c config.toml
    """
    from connector.apply_plan import apply_plan
    from connector.planfile import load_plan
    from connector.report import print_report, report_to_json
    from connector.sync import SyncOptions

    _, plan = load_plan(plan_path)
    config = open_config(config_path)
    rails = Rails(yes, max_actions, allow_mass_reassign, allow_empty_activities)
    store = open_store(config)
    try:
        moment = parse_now(now, config)
        names = sorted({item.action.target.adapter for item in plan})
        adapters = build_adapters(config, store, names or None, now=moment if now else None)
        with graceful_stop() as stop:
            options = SyncOptions(
                now=moment, apply=True, break_lock=break_lock, stop=stop.event, confirm=confirmer(config, rails),
                max_actions=rails.max_actions, allow_mass_reassign=rails.allow_mass_reassign,
                allow_empty_activities=rails.allow_empty_activities,
            )
            report = apply_plan(config, store, adapters, plan, options)
        if output is OutputFormat.json:
            print(json.dumps(report_to_json(report), ensure_ascii=False, indent=2))
        else:
            print_report(report, stdout)
    finally:
        store.close()
    exit_for(report, stop, adapters)
