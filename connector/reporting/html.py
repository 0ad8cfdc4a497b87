"""The report as one self-contained HTML file: styles, data and plotly.js inline; no network needed.

Layout, top to bottom: the period (or run) and four tiles (conflicts, missed SLAs, late first
contacts, actions); three charts (conflicts and breaches per day, first-response time per team,
actions by type and status); the per-rep table (click a header to sort); the open conflicts with
their evidence and links to the records in the CRM; the SLA findings; the actions.
Every text from a CRM or a config is escaped (``html.escape``); JSON in ``<script>`` is escaped too.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from connector.domain import ActionType, FindingKind, RecordRef
from connector.reporting.charts import CHARTS, all_charts
from connector.reporting.data import ReportData
from connector.reporting.stats import Figures
from rules.sla.late import MET_LATE

MAX_ROWS = 500

_CSS = """
:root { --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; --accent:#0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif;
       color: var(--ink); background: #fff; }
header, main { max-width: 1200px; margin: 0 auto; padding: 16px 24px; }
header { border-bottom: 1px solid var(--line); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.muted { color: var(--muted); }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 16px 0; }
.tile { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.tile b { display: block; font-size: 26px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 16px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
figcaption { font-weight: 600; padding: 0 4px 4px; }
.chart { min-height: 320px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); position: sticky; top: 0; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[aria-sort=ascending]::after { content: " ▲"; }
table.sortable th[aria-sort=descending]::after { content: " ▼"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
ul.evidence { margin: 0; padding-left: 18px; }
a { color: var(--accent); }
@media print { .chart { break-inside: avoid; } }
"""

_SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = a.cells[column].dataset.sort || a.cells[column].textContent;
        var y = b.cells[column].dataset.sort || b.cells[column].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""

_DRAW_JS = """
var charts = JSON.parse(document.getElementById("chart-data").textContent);
Object.keys(charts).forEach(function (name) {
  var figure = charts[name];
  Plotly.newPlot("chart-" + name, figure.data, figure.layout,
                 {displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"]});
});
"""


def render(data: ReportData, plotly_js: str | None = None) -> str:
    """The whole report page; ``plotly_js`` defaults to the plotly.js bundled in the plotly package."""
    if plotly_js is None:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    msg = data.msg
    charts = all_charts(data)
    lang = "zh-CN" if msg.zh else "en"
    parts = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(msg('report.title'))}</title><style>{_CSS}</style></head><body>",
        _header(data),
        "<main>",
        _tiles(data),
        '<section class="charts">',
        *(
            f'<figure><figcaption>{_e(msg(caption))}</figcaption>'
            f'<div class="chart" id="chart-{name}" data-chart="{name}"></div></figure>'
            for name, caption in CHARTS
        ),
        "</section>",
        f"<h2>{_e(msg('report.reps'))}</h2>",
        _rep_table(data),
        f"<h2>{_e(msg('report.conflicts'))}</h2>",
        _conflicts(data),
        f"<h2>{_e(msg('report.breaches'))}</h2>",
        _breaches(data),
        f"<h2>{_e(msg('report.actions'))}</h2>",
        _actions(data),
        "</main>",
        f'<script type="application/json" id="chart-data">{_script_json(charts)}</script>',
        f"<script>{_script_text(plotly_js)}</script>",
        f"<script>{_DRAW_JS}{_SORT_JS}</script>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _header(data: ReportData) -> str:
    msg, zone = data.msg, ZoneInfo(data.timezone)
    period = msg("report.period", since=_day(data.period.since, zone), until=_day(data.period.until, zone))
    lines = [f"<h1>{_e(msg('report.title'))}</h1>", f'<div class="muted">{_e(period)}']
    if data.run is not None:
        run = data.run
        lines.append(" · " + _e(msg("report.run", run=run.run_id, mode=run.mode, status=run.status)))
    lines.append(" · " + _e(msg("report.generated", at=data.generated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"))))
    return "<header>" + "".join(lines) + "</div></header>"


def _tiles(data: ReportData) -> str:
    conflicts = sum(1 for f in data.findings if f.finding.kind == FindingKind.PURSUIT)
    late = sum(1 for f in data.findings if f.finding.details.get("outcome") == MET_LATE)
    breaches = sum(1 for f in data.findings if f.finding.kind == FindingKind.SLA) - late
    tiles = (("conflicts", conflicts), ("breaches", breaches), ("late", late), ("actions", len(data.actions)))
    cells = "".join(
        f'<div class="tile" data-tile="{key}"><b>{value}</b>{_e(data.msg(f"report.tile.{key}"))}</div>'
        for key, value in tiles
    )
    return f'<section class="tiles">{cells}</section>'


def _rep_table(data: ReportData) -> str:
    msg, stats = data.msg, data.stats
    heads = [msg("stats.rep"), msg("stats.teams"), msg("stats.received"), msg("stats.answered"), msg("stats.median"),
             msg("stats.p90"), *(msg("stats.within", rule=r) for r in stats.rules), msg("stats.late"),
             msg("stats.missed"), msg("stats.kept"), msg("stats.lost"), msg("stats.reassigned_to"),
             msg("stats.reassigned_away"), msg("stats.to_pool")]
    rows = [_rep_row(f, stats.rules) for f in stats.reps]
    if not rows:
        return f'<p class="muted">{_e(msg("stats.none"))}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in heads)
    return f'<table class="sortable" id="reps"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _rep_row(f: Figures, rules: Sequence[str]) -> str:
    def num(value: float | int | None, percent: bool = False) -> str:
        if value is None:
            return '<td class="num" data-sort="-1">–</td>'
        shown = f"{value:.0%}" if percent else (f"{value:g}" if isinstance(value, float) else str(value))
        return f'<td class="num" data-sort="{value}">{shown}</td>'

    cells = [f"<td>{_e(f.name)}</td>", f"<td>{_e(', '.join(f.teams))}</td>", num(f.received), num(f.answered),
             num(f.median_hours), num(f.p90_hours), *(num(f.share_within(r), percent=True) for r in rules),
             num(f.late), num(f.missed), num(f.conflicts_kept), num(f.conflicts_lost), num(f.reassigned_to),
             num(f.reassigned_away), num(f.to_pool)]
    return "<tr>" + "".join(cells) + "</tr>"


def _conflicts(data: ReportData) -> str:
    msg = data.msg
    rows = []
    for entry in [e for e in data.findings if e.finding.kind == FindingKind.PURSUIT][:MAX_ROWS]:
        finding = entry.finding
        customer = str(finding.details.get("customer_name") or finding.customer or "")
        keeper = data.person(finding.keeper) if finding.keeper else msg("report.no_keeper")
        rows.append(
            f"<tr><td>{_e(customer)}</td><td>{_refs(data, finding.records)}</td>"
            f"<td>{_e(', '.join(data.person(o) for o in finding.owners))}</td><td>{_e(keeper)}</td>"
            f"<td>{_evidence(finding.evidence)}</td><td>{_e(_stamp(entry.first_seen_at, data))}</td></tr>"
        )
    heads = ("customer", "records", "reps", "keeper", "evidence", "first_seen")
    return _table("conflicts", heads, rows, data, total=sum(1 for e in data.findings if e.finding.kind == FindingKind.PURSUIT))


def _breaches(data: ReportData) -> str:
    rows = []
    sla = [e for e in data.findings if e.finding.kind == FindingKind.SLA]
    for entry in sla[:MAX_ROWS]:
        finding = entry.finding
        outcome = str(finding.details.get("outcome", ""))
        due = _stamp(finding.due_at, data) if finding.due_at else ""
        rows.append(
            f"<tr><td>{_e(finding.rule)}</td><td>{_refs(data, finding.records)}</td>"
            f"<td>{_e(', '.join(data.person(o) for o in finding.owners))}</td><td>{_e(due)}</td>"
            f"<td>{_e(outcome)}</td><td>{_evidence(finding.evidence)}</td></tr>"
        )
    return _table("breaches", ("rule", "records", "owner", "due", "outcome", "evidence"), rows, data, total=len(sla))


def _actions(data: ReportData) -> str:
    msg, rows = data.msg, []
    for entry in data.actions[:MAX_ROWS]:
        action = entry.action
        if action.type == ActionType.REASSIGN:
            change = f"{data.person(action.previous_owner_id)} → {data.person(action.new_owner_id)}"
        elif action.type == ActionType.FLAG:
            change = action.tag or ""
        else:
            change = " ".join((action.text or "").split())[:120]
        status = msg(f"status.{entry.status.value}") if msg.has(f"status.{entry.status.value}") else entry.status.value
        reason = entry.message or action.reason
        rows.append(
            f"<tr><td>{_e(msg(f'type.{action.type.value}'))}</td><td>{_refs(data, (action.target,))}</td>"
            f"<td>{_e(change)}</td><td>{_e(status)}</td><td>{_e(action.rule)}</td><td>{_e(reason)}</td></tr>"
        )
    return _table("actions", ("type", "records", "change", "status", "rule", "reason"), rows, data, total=len(data.actions))


def _table(name: str, heads: Iterable[str], rows: list[str], data: ReportData, *, total: int) -> str:
    msg = data.msg
    if not rows:
        return f'<p class="muted">{_e(msg("report.none"))}</p>'
    head = "".join(f"<th>{_e(msg(f'report.col.{h}'))}</th>" for h in heads)
    more = f'<p class="muted">{_e(msg("report.more", count=total - len(rows)))}</p>' if total > len(rows) else ""
    return f'<table id="{name}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'


def _refs(data: ReportData, refs: Iterable[RecordRef]) -> str:
    links = []
    for ref in refs:
        label = data.msg.titled(ref.module, ref.id, data.record_name(ref))
        url = data.links(ref)
        links.append(f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(label)}</a>' if url else _e(label))
    return "<br>".join(links)


def _evidence(lines: Iterable[str]) -> str:
    return '<ul class="evidence">' + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>"


def _stamp(at: datetime, data: ReportData) -> str:
    return at.astimezone(ZoneInfo(data.timezone)).strftime("%Y-%m-%d %H:%M")


def _day(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _script_json(value: Any) -> str:
    """JSON that cannot end its ``<script>`` element early (``</script>`` in CRM text)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_text(js: str) -> str:
    return js.replace("</script", "<\\/script")
