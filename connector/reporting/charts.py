"""The report's charts as Plotly figures (plain JSON, drawn by the plotly.js bundled in the report).

Every label that comes from a CRM (names, teams) is HTML-escaped: Plotly renders a few HTML tags
in text, and CRM text must never become markup.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connector.domain import ActionStatus, ActionType, FindingKind
from connector.reporting.data import ReportData
from rules.sla.late import MET_LATE

_LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 50, "r": 20, "t": 30, "b": 50},
    "height": 320,
    "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
    "font": {"family": "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', sans-serif"},
}


def safe(text: str) -> str:
    return html.escape(text, quote=True)


def timeline(data: ReportData) -> dict[str, Any]:
    """New conflicts, missed SLAs and late first contacts per day (by first sighting)."""
    msg, zone = data.msg, ZoneInfo(data.timezone)
    days = _days(data.period.since.astimezone(zone).date(), data.period.until.astimezone(zone).date())
    counts: dict[str, Counter[date]] = defaultdict(Counter)
    for entry in data.history:
        day = entry.first_seen_at.astimezone(zone).date()
        if entry.finding.kind == FindingKind.PURSUIT:
            counts["conflicts"][day] += 1
        elif entry.finding.details.get("outcome") == MET_LATE:
            counts["late"][day] += 1
        else:
            counts["breaches"][day] += 1
    colors = {"conflicts": "#d62728", "breaches": "#ff7f0e", "late": "#9467bd"}
    traces = [
        {
            "type": "bar",
            "name": msg(f"report.series.{series}"),
            "x": [d.isoformat() for d in days],
            "y": [counts[series][d] for d in days],
            "marker": {"color": colors[series]},
        }
        for series in ("conflicts", "breaches", "late")
    ]
    layout = {**_LAYOUT, "barmode": "stack",
              "xaxis": {"title": {"text": msg("report.axis.day")}, "type": "date"},
              "yaxis": {"title": {"text": msg("report.axis.count")}, "rangemode": "tozero"}}
    return {"data": traces, "layout": layout}


def response_times(data: ReportData) -> dict[str, Any]:
    """Box plot of first-response times (business hours) per team, from the first first-contact rule."""
    msg = data.msg
    members = team_members_of(data)
    by_team: dict[str, list[float]] = defaultdict(list)
    first_rule = data.stats.rules[0] if data.stats.rules else None
    for row in data.stats.responses:
        if row.rule != first_rule or row.waited is None:
            continue
        hours = round(row.waited.total_seconds() / 3600, 2)
        for team in members.get(row.owner) or [msg("stats.no_team")]:
            by_team[team].append(hours)
    traces = [
        {"type": "box", "name": safe(team), "y": values, "boxpoints": "outliers", "boxmean": True}
        for team, values in sorted(by_team.items())
    ]
    layout = {**_LAYOUT, "showlegend": False,
              "yaxis": {"title": {"text": msg("report.axis.hours")}, "rangemode": "tozero"}}
    if not traces:
        layout["annotations"] = [{"text": msg("report.none"), "showarrow": False, "xref": "paper", "yref": "paper",
                                  "x": 0.5, "y": 0.5}]
        layout["xaxis"] = {"visible": False}
    return {"data": traces, "layout": layout}


def actions_by_type(data: ReportData) -> dict[str, Any]:
    """Actions per type, one bar per status."""
    msg = data.msg
    counts: Counter[tuple[str, str]] = Counter((e.action.type.value, e.status.value) for e in data.actions)
    types = [t.value for t in ActionType]
    statuses = [s.value for s in ActionStatus if any(k[1] == s.value for k in counts)] or [ActionStatus.PLANNED.value]
    traces = [
        {
            "type": "bar",
            "name": msg(f"status.{status}") if msg.has(f"status.{status}") else status,
            "x": [msg(f"type.{t}") for t in types],
            "y": [counts[(t, status)] for t in types],
        }
        for status in statuses
    ]
    layout = {**_LAYOUT, "barmode": "group",
              "xaxis": {"title": {"text": msg("report.axis.type")}},
              "yaxis": {"title": {"text": msg("report.axis.count")}, "rangemode": "tozero"}}
    return {"data": traces, "layout": layout}


def team_members_of(data: ReportData) -> dict[str, list[str]]:
    """User id → the teams the report groups them under."""
    teams: dict[str, list[str]] = defaultdict(list)
    for figures in data.stats.reps:
        teams[figures.key].extend(figures.teams)
    return teams


CHARTS = (("timeline", "report.chart.timeline"), ("response", "report.chart.response"),
          ("actions", "report.chart.actions"))
"""Each chart's name and the catalog key of its caption."""


def all_charts(data: ReportData) -> dict[str, dict[str, Any]]:
    return {"timeline": timeline(data), "response": response_times(data), "actions": actions_by_type(data)}


def _days(first: date, last: date) -> list[date]:
    span = max((last - first).days, 0)
    return [first + timedelta(days=i) for i in range(span + 1)]


__all__ = ["CHARTS", "all_charts", "safe"]
