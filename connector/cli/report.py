"""``referee report``, ``referee stats`` and ``referee export``: what managers and auditors read."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.cells import cell_len
from rich.markup import escape
from rich.table import Table

from connector.cli.common import (
    ConfigOption,
    NowOption,
    handle_errors,
    open_config,
    open_store,
    parse_now,
    stdout,
)

if TYPE_CHECKING:
    from datetime import datetime

    from connector.config import Config
    from connector.reporting.stats import Stats
    from connector.store import Store

SinceOption = Annotated[
    str | None, typer.Option("--since", help="Start: a duration back from --until (30d) or a date (2026-11-01).",
                             show_default="30d")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="End: a date or time; naive values use [referee] timezone.",
                             show_default="now")
]


class StatsFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@handle_errors
def report_command(
    config_path: ConfigOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path("report.html"),
    run: Annotated[str | None, typer.Option("--run", help="Report on this run (see `referee runs`).")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    now: NowOption = None,
) -> None:
    """Write one self-contained HTML report (charts, per-rep table, open conflicts with links).

    Example: referee report -c config.toml --since 30d --out report.html
    """
    config = open_config(config_path)
    store = open_store(config)
    try:
        moment = parse_now(now, config)
        write_report(config, store, out, now=moment, run_id=run, since=since, until=until)
    finally:
        store.close()
    stdout.print(f"Wrote {escape(str(out))}", highlight=False)


def write_report(
    config: Config, store: Store, out: Path, *, now: datetime, run_id: str | None = None,
    since: str | None = None, until: str | None = None,
) -> None:
    """Gather, render and write the report (also used by ``referee sync --report``)."""
    from connector.reporting.data import gather
    from connector.reporting.files import write_atomic
    from connector.reporting.html import render
    from connector.reporting.period import parse_period

    period = None if run_id else parse_period(since, until, now=now, timezone=config.referee.timezone)
    write_atomic(out, render(gather(config, store, now=now, period=period, run_id=run_id)))


@handle_errors
def stats_command(
    config_path: ConfigOption,
    team: Annotated[str | None, typer.Option("--team", help="Only the reps of this team.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    output: Annotated[StatsFormat, typer.Option("--format", "-f", help="table, json or csv.")] = StatsFormat.table,
    now: NowOption = None,
) -> None:
    """Per-rep and per-team figures: leads, first-response times, SLA shares, conflicts, moves.

    Example: referee stats -c config.toml --team inside-sales --since 30d --format csv
    """
    from connector.reporting.period import parse_period
    from connector.reporting.stats import compute_stats
    from connector.sync import build_snapshot

    config = open_config(config_path)
    store = open_store(config)
    try:
        moment = parse_now(now, config)
        period = parse_period(since, until, now=moment, timezone=config.referee.timezone)
        stats = compute_stats(config, store, build_snapshot(store), period, now=moment, team=team)
    finally:
        store.close()
    if output is StatsFormat.json:
        print(json.dumps(_stats_json(stats), ensure_ascii=False, indent=2))
    elif output is StatsFormat.csv:
        _stats_csv(stats, config)
    else:
        _stats_table(stats, config)


@handle_errors
def export_command(
    config_path: ConfigOption,
    run: Annotated[str, typer.Argument(help="The run id (see `referee runs`).", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The CSV file to write.")] = Path("run.csv"),
) -> None:
    """Write one CSV row per action of a run (UTF-8 with BOM: Excel keeps Chinese intact).

    Example: referee export -c config.toml 20261127T100000-d04ffb2c4344 --out run.csv
    """
    from connector.i18n import messages
    from connector.links import RecordLinks
    from connector.reporting.data import actions_of, find_run
    from connector.reporting.export import export_rows, write_csv

    config = open_config(config_path)
    store = open_store(config)
    try:
        entries = actions_of(store, [find_run(store, run)])
        users = {u.id: u for u in store.load_users()}
        records = {r.ref: r for r in store.load_records(refs=sorted({e.action.target for e in entries}, key=str))}
    finally:
        store.close()
    rows = export_rows(
        entries, msg=messages(config.referee.language), users=users, records=records,
        links=RecordLinks.from_adapters(config.adapters), timezone=config.referee.timezone,
    )
    count = write_csv(rows, out)
    stdout.print(f"Wrote {count} actions to {escape(str(out))}", highlight=False)


def _stats_json(stats: Stats) -> dict[str, object]:
    return {
        "since": stats.period.since.isoformat(),
        "until": stats.period.until.isoformat(),
        "sla_rules": list(stats.rules),
        "reps": [f.to_json(stats.rules) for f in stats.reps],
        "teams": [f.to_json(stats.rules) for f in stats.teams],
        "total": stats.total.to_json(stats.rules),
    }


def _columns(stats: Stats, config: Config) -> list[str]:
    from connector.i18n import messages

    msg = messages(config.referee.language)
    return [msg("stats.rep"), msg("stats.teams"), msg("stats.received"), msg("stats.answered"), msg("stats.median"),
            msg("stats.p90"), *(msg("stats.within", rule=r) for r in stats.rules), msg("stats.late"),
            msg("stats.missed"), msg("stats.kept"), msg("stats.lost"), msg("stats.undecided"),
            msg("stats.reassigned_to"), msg("stats.reassigned_away"), msg("stats.to_pool")]


def _cells(stats: Stats, figures: object, label: str | None = None) -> list[str]:
    from connector.reporting.stats import Figures

    assert isinstance(figures, Figures)
    f = figures

    def show(value: float | None, percent: bool = False) -> str:
        if value is None:
            return "–"
        return f"{value:.0%}" if percent else f"{value:g}"

    return [label or f.name, ", ".join(f.teams), str(f.received), str(f.answered), show(f.median_hours),
            show(f.p90_hours), *(show(f.share_within(r), percent=True) for r in stats.rules), str(f.late),
            str(f.missed), str(f.conflicts_kept), str(f.conflicts_lost), str(f.conflicts_open),
            str(f.reassigned_to), str(f.reassigned_away), str(f.to_pool)]


def _stats_table(stats: Stats, config: Config) -> None:
    from connector.i18n import messages

    msg = messages(config.referee.language)
    if not stats.reps:
        stdout.print(msg("stats.none"), highlight=False)
        return
    since, until = f"{stats.period.since:%Y-%m-%d}", f"{stats.period.until:%Y-%m-%d}"
    columns = _columns(stats, config)
    for title, rows, total in ((msg("stats.title", since=since, until=until), stats.reps, True),
                               (msg("stats.team_title", since=since, until=until), stats.teams, False)):
        if not rows:
            continue
        cells = [_cells(stats, figures) for figures in rows]
        if total:
            cells.append(_cells(stats, stats.total, msg("stats.all")))
        for table in _fitting_tables(escape(title), columns, cells, bold_last=total):
            stdout.print(table)


def _fitting_tables(title: str, columns: list[str], rows: list[list[str]], *, bold_last: bool) -> list[Table]:
    """One table per rep row when it fits the terminal; else transposed (figures down, reps across).

    Fifteen-odd figures per rep do not fit 80 columns: folding every header into a tower of
    two-letter lines made the table unreadable, so a narrow terminal gets figures as rows and
    as many reps per table as fit side by side.
    """
    wide = Table(title=title)
    for column in columns:
        wide.add_column(escape(column), no_wrap=True, justify="left" if column == columns[0] else "right")
    for index, row in enumerate(rows):
        wide.add_row(*(escape(c) for c in row), style="bold" if bold_last and index == len(rows) - 1 else None)
    natural = sum(max(cell_len(column), *(cell_len(row[i]) for row in rows)) + 3
                  for i, column in enumerate(columns)) + 1
    if natural <= stdout.width:
        return [wide]
    label_width = max(cell_len(c) for c in columns[1:]) + 3
    # Names and team lists fold inside their column; the figures themselves must not.
    rep_width = max(14, *(cell_len(c) for r in rows for c in r[2:])) + 3
    per_table = max(1, (stdout.width - label_width - 1) // max(rep_width, 1))
    tables = []
    for start in range(0, len(rows), per_table):
        chunk = rows[start:start + per_table]
        table = Table(title=title if start == 0 else None)
        table.add_column("", no_wrap=True)
        for row in chunk:
            table.add_column(escape(row[0]), justify="right", overflow="fold")
        for position, label in enumerate(columns[1:], start=1):
            table.add_row(escape(label), *(escape(row[position]) for row in chunk))
        tables.append(table)
    return tables


def _stats_csv(stats: Stats, config: Config) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["scope", *_columns(stats, config)])
    for figures in stats.reps:
        writer.writerow(["rep", *_cells(stats, figures)])
    for figures in stats.teams:
        writer.writerow(["team", *_cells(stats, figures)])
    writer.writerow(["total", *_cells(stats, stats.total)])
