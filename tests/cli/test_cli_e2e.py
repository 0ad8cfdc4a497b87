"""The real CLI, in a subprocess, on a private copy of the demo CRM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import DEMO_NOW, run_referee

pytestmark = pytest.mark.e2e


def plan_json(config: Path, *extra: str) -> dict:
    result = run_referee("plan", "-c", str(config), "--now", DEMO_NOW, "--format", "json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_version_and_help() -> None:
    result = run_referee("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("referee (crm-referee) ")
    assert "sync" in run_referee("--help").stdout


@pytest.mark.parametrize("command", ["sync", "plan", "validate", "runs", "journal", "check"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run_referee(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Example: referee " + command in result.stdout


def test_plan_json_on_the_demo_finds_pursuit_and_sla(demo_config: Path) -> None:
    report = plan_json(demo_config)
    assert report["mode"] == "dry-run"
    assert report["run_id"]
    kinds = {f["kind"] for f in report["findings"]}
    assert kinds == {"pursuit", "sla"}
    for finding in report["findings"]:
        assert finding["evidence"] and all(isinstance(line, str) and line for line in finding["evidence"])
        assert finding["records"] and all(
            set(ref) == {"adapter", "module", "id", "owner_id"} for ref in finding["records"]
        )
        if finding["kind"] == "pursuit":
            assert len(finding["owners"]) >= 2
            assert "keeper" in finding
            assert finding["customer"]
        else:
            assert finding["due_at"] and finding["breached_at"]
    assert report["actions"]
    assert {a["status"] for a in report["actions"]} == {"planned"}
    for action in report["actions"]:
        assert {"type", "adapter", "module", "id", "reason", "status"} <= set(action)


def test_plan_is_deterministic(demo_config: Path) -> None:
    first, second = plan_json(demo_config), plan_json(demo_config)
    assert first["counts"]["records_pulled"] > 0
    assert second["counts"]["records_pulled"] == 0  # incremental: nothing changed since the first run
    assert all(f.pop("new") for f in first["findings"])  # JSON keeps every finding and says which are new
    assert not any(f.pop("new") for f in second["findings"])
    assert (first["findings"], first["actions"]) == (second["findings"], second["actions"])


def test_table_output_explains_findings(demo_config: Path) -> None:
    result = run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW)
    assert result.returncode == 0, result.stderr
    assert "PURSUIT" in result.stdout and "SLA" in result.stdout
    assert "Dry run: nothing was written" in result.stdout


def test_apply_writes_back_and_second_apply_does_nothing_new(demo_config: Path) -> None:
    records_before = (demo_config.parent / "demo-crm" / "records.jsonl").read_text(encoding="utf-8")
    first = run_referee("sync", "-c", str(demo_config), "--apply", "--now", DEMO_NOW, "--format", "json")
    assert first.returncode == 0, first.stderr
    applied = json.loads(first.stdout)
    assert applied["mode"] == "apply"
    assert applied["actions"] and {a["status"] for a in applied["actions"]} <= {"applied", "skipped"}
    assert any(a["status"] == "applied" for a in applied["actions"])
    assert (demo_config.parent / "demo-crm" / "records.jsonl").read_text(encoding="utf-8") != records_before

    second = run_referee("sync", "-c", str(demo_config), "--apply", "--now", DEMO_NOW, "--format", "json")
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert [a for a in again["actions"] if a["status"] == "applied"] == []
    runs = run_referee("runs", "-c", str(demo_config), "--json")
    assert [r["mode"] for r in json.loads(runs.stdout)][:2] == ["apply", "apply"]


def test_bad_config_exits_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[rules.sla]]\nname = "x"\nfirst_activity_within = "24 hours"\n', encoding="utf-8")
    result = run_referee("plan", "-c", str(path))
    assert result.returncode == 2
    assert 'rules.sla[0].first_activity_within: "24 hours" is not a duration' in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_now_is_a_usage_error(demo_config: Path) -> None:
    result = run_referee("plan", "-c", str(demo_config), "--now", "tomorrow")
    assert result.returncode == 2
    assert "is not an ISO 8601 time" in result.stderr


def test_validate_prints_what_is_configured(demo_config: Path) -> None:
    result = run_referee("validate", "-c", str(demo_config))
    assert result.returncode == 0, result.stderr
    assert "adapter demo: kind file" in result.stdout
    assert "pursuit rule two-reps-one-customer" in result.stdout


def test_second_sync_is_refused_while_one_runs(demo_config: Path) -> None:
    from connector.config import load_config
    from connector.store import Store

    config = load_config(demo_config)
    store = Store.open(config.state_url())
    from datetime import UTC, datetime

    with store.run_lock("sync pid 1 on elsewhere", datetime(2026, 11, 27, 2, 0, tzinfo=UTC)):
        result = run_referee("sync", "-c", str(demo_config), "--now", DEMO_NOW)
    store.close()
    assert result.returncode != 0
    assert "another sync is running: sync pid 1 on elsewhere, started " in result.stderr
    assert "s ago)" in result.stderr  # wall-clock age, not the other run's --now (2026-11-27T02:00)
    assert "Traceback" not in result.stderr


def test_check_on_the_demo_store(demo_config: Path) -> None:
    assert run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW).returncode == 0
    candidate = '{"company": "字节跳动", "phone": "0086-138-0013-8000", "owner_id": "u-smith"}'
    result = run_referee("check", "-c", str(demo_config), "--now", DEMO_NOW, "--record", candidate, "--format", "json")
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["known"] and verdict["conflict"]
    [customer] = verdict["customers"]
    assert {r["id"] for r in customer["records"]} == {"L-1002", "L-1003"}
    assert customer["keeper"] == "u-li"
    table = run_referee("check", "-c", str(demo_config), "--now", DEMO_NOW, "--record", candidate)
    assert "Conflict" in table.stdout and "L-1003" in table.stdout
    bad = run_referee("check", "-c", str(demo_config), "--record", "{not json")
    assert bad.returncode == 2 and "--record is not valid JSON" in bad.stderr


def test_journal_lists_actions_and_releases_a_stuck_claim(demo_config: Path) -> None:
    from datetime import UTC, datetime

    from connector.config import load_config
    from connector.store import Store

    report = plan_json(demo_config)
    key = report["actions"][0]["key"]
    listing = run_referee("journal", "-c", str(demo_config), "--status", "planned", "-n", "100")
    assert listing.returncode == 0 and key in listing.stdout
    store = Store.open(load_config(demo_config).state_url())
    assert store.claim_action(key, "crashed-run", now=datetime.now(UTC))
    store.close()
    released = run_referee("journal", "-c", str(demo_config), "--release", key)
    assert released.returncode == 0 and "the next run retries it" in released.stdout
    again = run_referee("journal", "-c", str(demo_config), "--release", key)
    assert again.returncode == 2 and "is in status applying" in again.stderr
