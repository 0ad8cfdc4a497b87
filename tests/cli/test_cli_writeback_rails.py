"""Safety rails and reviewed plans, through the real CLI on a copy of the demo CRM (file adapter)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connector.domain import Activity, ActivityKind, Record, RecordRef
from connector.rails import RailRefusedError, SafetySection, check_rails
from rules.snapshot import Snapshot
from tests.cli.conftest import DEMO_NOW, run_referee

pytestmark = pytest.mark.e2e


def sync(config: Path, *extra: str):
    return run_referee("sync", "-c", str(config), "--now", DEMO_NOW, *extra)


def notes(config: Path) -> list[dict]:
    path = config.parent / "demo-crm" / "notes.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_dry_run_and_apply_together_are_a_usage_error(demo_config: Path) -> None:
    result = sync(demo_config, "--dry-run", "--apply")
    assert result.returncode == 2
    assert "Error: --apply and --dry-run contradict each other" in result.stderr


def test_max_actions_per_run_refuses_with_the_number_and_the_override(demo_config: Path) -> None:
    with demo_config.open("a", encoding="utf-8") as config:
        config.write("\n[safety]\nmax_actions_per_run = 5\n")
    before = notes(demo_config)
    refused = sync(demo_config, "--apply")
    assert refused.returncode == 5, refused.stderr
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("Error: the plan would write 20 actions, more than max_actions_per_run = 5")
    assert "--max-actions 20" in line
    assert notes(demo_config) == before  # nothing written
    allowed = sync(demo_config, "--apply", "--max-actions", "20")
    assert allowed.returncode == 0, allowed.stderr
    assert len(notes(demo_config)) > len(before)


def test_an_export_without_activities_trips_the_reassign_share_breaker(demo_config: Path) -> None:
    (demo_config.parent / "demo-crm" / "activities.jsonl").write_text("", encoding="utf-8")
    records = (demo_config.parent / "demo-crm" / "records.jsonl").read_text(encoding="utf-8")
    refused = sync(demo_config, "--apply")
    assert refused.returncode == 5, refused.stderr
    match = re.search(r"would reassign (\d+) of (\d+) Leads in demo \((\d+)%\) in one run", refused.stderr)
    assert match, refused.stderr
    moved, total, share = map(int, match.groups())
    leads = sum('"Leads"' in line for line in records.splitlines())
    assert total == leads and moved / total > 0.2 and share == round(100 * moved / total)
    assert "max_reassign_share = 20%" in refused.stderr and "--allow-mass-reassign" in refused.stderr
    assert (demo_config.parent / "demo-crm" / "records.jsonl").read_text(encoding="utf-8") == records
    runs = json.loads(run_referee("runs", "-c", str(demo_config), "--json").stdout)
    assert runs[0]["status"] == "error" and "max_reassign_share" in runs[0]["error"]


def test_plan_out_then_apply_sends_the_reviewed_plan_and_skips_changed_records(demo_config: Path) -> None:
    plan_file = demo_config.parent / "plan.json"
    planned = run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW, "--out", str(plan_file))
    assert planned.returncode == 0, planned.stderr
    assert f"Saved 20 planned actions to {plan_file}" in planned.stderr
    saved = json.loads(plan_file.read_text(encoding="utf-8"))
    moved = next(a["action"]["target"]["id"] for a in saved["actions"] if a["action"]["type"] == "reassign")
    path = demo_config.parent / "demo-crm" / "records.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row in rows:  # a person takes one lead after the review
        if row["id"] == moved:
            row["owner_id"], row["modified_at"] = "u-wang", "2026-11-27T09:30:00+08:00"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

    result = run_referee("apply", str(plan_file), "-c", str(demo_config), "--now", DEMO_NOW, "--format", "json")
    assert result.returncode == 0, result.stderr
    actions = json.loads(result.stdout)["actions"]
    changed = [a for a in actions if a.get("code") == "changed-since-plan"]
    assert changed and {a["id"] for a in changed} == {moved}
    assert "owner_id changed since the plan" in changed[0]["message"]
    assert len(actions) == 20 and sum(a["status"] == "applied" for a in actions) == 20 - len(changed)
    owners = {json.loads(line)["id"]: json.loads(line)["owner_id"] for line in path.read_text().splitlines()}
    assert owners[moved] == "u-wang"  # the person's choice stands

    again = run_referee("apply", str(plan_file), "-c", str(demo_config), "--now", DEMO_NOW, "--format", "json")
    assert again.returncode == 0, again.stderr
    assert not [a for a in json.loads(again.stdout)["actions"] if a["status"] == "applied"]  # nothing twice

    bad = demo_config.parent / "bad.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    refused = run_referee("apply", str(bad), "-c", str(demo_config))
    assert refused.returncode == 2 and "not a plan saved by `referee plan --out`" in refused.stderr


def _lead(i: int) -> Record:
    return Record(adapter="crm", module="Leads", id=str(i), owner_id="u1")


def test_an_activity_stream_that_empties_between_runs_is_refused() -> None:
    snapshot = Snapshot(users={}, records=[_lead(1)], activities=[])
    action = _reassign(1)
    with pytest.raises(RailRefusedError) as refused:
        check_rails(SafetySection(), [action], snapshot, {"crm": 340})
    assert 'adapter "crm" had 340 activities last run and has none now' in str(refused.value)
    assert "--allow-empty-activities" in str(refused.value)
    check_rails(SafetySection(), [action], snapshot, {"crm": 340}, allow_empty_activities=True)
    activity = Activity(
        id="a", adapter="crm", record=RecordRef(adapter="crm", module="Leads", id="1"),
        kind=ActivityKind.CALL, occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    check_rails(SafetySection(), [action], Snapshot(users={}, records=[_lead(1)], activities=[activity]), {"crm": 340})


def _reassign(i: int):
    from connector.domain import Action, ActionType

    return Action(
        type=ActionType.REASSIGN, target=RecordRef(adapter="crm", module="Leads", id=str(i)),
        new_owner_id="u2", previous_owner_id="u1", reason="r", rule="rule", idempotency_key=f"k{i}",
    )
