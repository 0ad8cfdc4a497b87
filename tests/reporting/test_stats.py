"""``referee stats``: figures computed from known truth, the CLI's three formats, periods."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connector.config import parse_config
from connector.domain import Activity, ActivityKind, Finding, FindingKind, Module, Record, RecordRef, User
from connector.errors import UsageError
from connector.reporting.period import Period, parse_period
from connector.reporting.stats import compute_stats, percentile
from connector.store import FindingRecord
from rules.snapshot import Reassignment, Snapshot
from tests.cli.conftest import DEMO_NOW, run_referee
from tests.reporting.conftest import demo_copy

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 1, 16, 18, 0, tzinfo=SH)
CONFIG = parse_config(
    {
        "referee": {"timezone": "Asia/Shanghai"},
        "calendars": {"office": {"timezone": "Asia/Shanghai", "hours": ["09:00-18:00"]}},
        "teams": {"north": {"members": ["u1", "u2"]}},
        "rules": {"sla": [
            {"name": "fc-4h", "first_activity_within": "4h", "calendar": "office", "counts": ["call"],
             "pool_owner": "pool"},
            {"name": "fc-1h", "first_activity_within": "1h", "calendar": "office", "counts": ["call"]},
        ]},
    },
    environ={},
)
USERS = {u: User(id=u, name=n) for u, n in (("u1", "李娜"), ("u2", "Bo"), ("u3", "Cy"), ("pool", "公海"))}


def lead(id: str, owner: str, assigned: datetime) -> Record:
    return Record(adapter="crm", module=Module.LEADS, id=id, owner_id=owner, assigned_at=assigned)


def call(record: Record, at: datetime, owner: str | None = None) -> Activity:
    return Activity(id=f"a-{record.id}-{at:%d%H%M}", adapter="crm", record=record.ref,
                    owner_id=owner or record.owner_id, kind=ActivityKind.CALL, occurred_at=at)


def history(kind: FindingKind, owners: tuple[str, ...], at: datetime, **fields: object) -> FindingRecord:
    finding = Finding(kind=kind, rule="r", records=(RecordRef(adapter="crm", module=Module.LEADS, id="x"),),
                      owners=owners, evidence=("e",), **fields)
    return FindingRecord(key=str(id(finding)), finding=finding, first_seen_run="r1", first_seen_at=at,
                         last_seen_run="r1", last_seen_at=at, first_applied_at=None, times_seen=1)


def test_figures_from_known_truth() -> None:
    mon = datetime(2026, 1, 12, 9, 0, tzinfo=SH)
    leads = [lead("L1", "u1", mon), lead("L2", "u1", mon), lead("L3", "u1", mon), lead("L4", "u2", mon)]
    acts = [
        call(leads[0], mon + timedelta(minutes=30)),  # 0.5 business hours
        call(leads[1], mon + timedelta(hours=2)),  # 2 h
        call(leads[2], mon + timedelta(hours=10)),  # Mon 19:00 → 9 business hours (late for both rules)
        call(leads[3], mon + timedelta(minutes=15), owner="u3"),  # a colleague: u2 never answered
    ]
    moves = [
        Reassignment(leads[3].ref, "fc-4h", "u2", "u3", mon + timedelta(days=1)),
        Reassignment(leads[2].ref, "fc-4h", "u1", "pool", mon + timedelta(days=2)),
        Reassignment(leads[2].ref, "fc-4h", "u3", "u1", mon - timedelta(days=30)),  # before the period
    ]
    found = [
        history(FindingKind.SLA, ("u1",), mon + timedelta(days=1), details={"outcome": "met-late"}),
        history(FindingKind.SLA, ("u2",), mon + timedelta(days=1)),
        history(FindingKind.PURSUIT, ("u1", "u2"), mon + timedelta(days=1), keeper="u1"),
        history(FindingKind.PURSUIT, ("u1", "u2"), mon - timedelta(days=40), keeper="u2"),  # before
    ]
    snapshot = Snapshot(users=USERS, records=leads, activities=acts, reassignments=moves)
    period = Period(NOW - timedelta(days=30), NOW)
    stats = compute_stats(CONFIG, None, snapshot, period, now=NOW, findings=found)  # type: ignore[arg-type]
    rows = {f.key: f for f in stats.reps}
    li, bo = rows["u1"], rows["u2"]
    assert (li.received, li.answered, li.response_hours) == (3, 3, [0.5, 2.0, 9.0])
    assert li.median_hours == 2.0 and li.p90_hours == round(percentile([0.5, 2.0, 9.0], 90), 2) == 7.6
    assert li.share_within("fc-4h") == round(2 / 3, 4) and li.share_within("fc-1h") == round(1 / 3, 4)
    assert (bo.received, bo.answered, bo.median_hours) == (1, 0, None)
    assert bo.share_within("fc-4h") == 0.0  # unanswered past its deadline
    assert (li.late, li.missed, bo.missed) == (1, 0, 1)
    assert (li.conflicts_kept, bo.conflicts_lost) == (1, 1)
    assert (bo.reassigned_away, rows["u3"].reassigned_to, li.to_pool) == (1, 1, 1)
    assert "pool" not in rows
    [north] = stats.teams
    assert (north.key, north.received, north.answered) == ("north", 4, 3)
    assert stats.total.received == 4
    only = compute_stats(CONFIG, None, snapshot, period, now=NOW, team="north", findings=found)  # type: ignore[arg-type]
    assert {f.key for f in only.reps} == {"u1", "u2"}


def test_percentile_matches_the_usual_definition() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([5], 90) == 5
    assert percentile(list(range(1, 11)), 90) == pytest.approx(9.1)


@pytest.mark.parametrize(
    ("since", "until", "start", "end"),
    [
        pytest.param(None, None, NOW - timedelta(days=30), NOW, id="default-30d"),
        pytest.param("7d", None, NOW - timedelta(days=7), NOW, id="duration"),
        pytest.param("2026-01-01", "2026-01-10", datetime(2026, 1, 1, tzinfo=SH),
                     datetime(2026, 1, 10, 23, 59, 59, 999999, tzinfo=SH), id="dates"),
    ],
)
def test_periods(since: str | None, until: str | None, start: datetime, end: datetime) -> None:
    assert parse_period(since, until, now=NOW, timezone="Asia/Shanghai") == Period(start, end)


@pytest.mark.parametrize("since", ["yesterday", "30x", "2026-13-01"])
def test_bad_periods_say_how_to_write_them(since: str) -> None:
    with pytest.raises(UsageError, match="2026-11-01"):
        parse_period(since, None, now=NOW, timezone="UTC")


@pytest.mark.e2e
def test_stats_cli_formats(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = demo_copy(tmp_path)
    assert run_referee("sync", "-c", str(config), "--now", DEMO_NOW).returncode == 0
    as_json = run_referee("stats", "-c", str(config), "--now", DEMO_NOW, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    reps = {r["key"]: r for r in data["reps"]}
    assert data["sla_rules"] == ["first-contact-8bh"]
    assert reps["u-wang"]["late_first_contacts"] == 1 and reps["u-wang"]["conflicts_as_loser"] == 2
    assert reps["u-li"]["conflicts_as_keeper"] == 1 and "u-pool" not in reps
    team = run_referee("stats", "-c", str(config), "--now", DEMO_NOW, "--team", "key-accounts", "--format", "csv")
    rows = list(csv.reader(io.StringIO(team.stdout)))
    assert rows[0][:3] == ["scope", "rep", "teams"]
    assert {r[1] for r in rows[1:] if r[0] == "rep"} == {"陈静 Chen Jing", "赵磊 Zhao Lei"}
    table = run_referee("stats", "-c", str(config), "--now", DEMO_NOW)
    assert table.returncode == 0 and "Per rep" in table.stdout and "Per team" in table.stdout
    bad = run_referee("stats", "-c", str(config), "--since", "last week")
    assert bad.returncode == 2 and bad.stderr.startswith("Error:") and "Traceback" not in bad.stderr


@pytest.mark.e2e
def test_stats_table_stays_readable_in_80_columns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Fifteen figures per rep do not fit 80 columns: the table turns (figures down, reps across)."""
    config = demo_copy(tmp_path)
    assert run_referee("sync", "-c", str(config), "--now", DEMO_NOW).returncode == 0
    narrow = run_referee("stats", "-c", str(config), "--now", DEMO_NOW, env={"COLUMNS": "80"})
    assert narrow.returncode == 0, narrow.stderr
    lines = narrow.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    figures = [line for line in lines if line.startswith("│ p90 h ")]
    # One row of p90 figures per block of reps, and every rep's figure readable on it.
    assert figures and all("│" in line for line in figures)
    assert "Emily Smith" in narrow.stdout and "赵磊 Zhao Lei" in narrow.stdout
    wide = run_referee("stats", "-c", str(config), "--now", DEMO_NOW, env={"COLUMNS": "250"})
    header = next(line for line in wide.stdout.splitlines() if "p90 h" in line)
    assert "median h" in header and "to pool" in header  # one row per rep when it fits
