"""The operator's view, through the real CLI: summary-first output, no false all-clears, true
facts in ``runs``, exemptions, config defaults and rule sentences."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from benchmarks.operator.generate_crm import NOW as GENERATED_NOW
from benchmarks.operator.generate_crm import generate
from tests.cli.conftest import DEMO_NOW, ROOT, run_referee

pytestmark = pytest.mark.e2e


def _plan(config: Path, *extra: str) -> tuple[int, str, str]:
    result = run_referee("plan", "-c", str(config), "--now", DEMO_NOW, *extra)
    return result.returncode, result.stdout, result.stderr


def test_a_50k_record_crm_prints_a_short_summary_then_one_line(tmp_path: Path) -> None:
    generate(50_000, tmp_path)
    first = run_referee("plan", "--now", GENERATED_NOW, cwd=tmp_path)  # -c defaults to ./referee.toml
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) < 200, len(lines)
    assert lines[1] == "Pulled: 50,000 records, 34,667 activities; 0 API calls"
    assert lines[2].startswith("Findings: 17,332 (17,332 new, 0 known): pursuit two-reps 1,999,")
    assert "PURSUIT two-reps: Company 24 Ltd / Company 25 Ltd — Rep 024, Rep 025; keeper Rep 025" in first.stdout
    assert "… and 17,282 more" in first.stdout

    second = run_referee("plan", "--now", GENERATED_NOW, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("\n") == 1
    assert "0 new finding(s), 17,332 known; 38,662 planned" in second.stdout


def test_findings_all_limit_and_json_new(demo_config: Path) -> None:
    code, first, _ = _plan(demo_config, "--limit", "3")
    assert code == 0
    assert first.splitlines()[4] == "New findings:"
    assert "… and 6 more" in first
    code, again, _ = _plan(demo_config, "--findings", "all")
    assert code == 0
    assert again.count("(known)") == 9 and "      - same email john.doe@acme.com" in again
    result = run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW, "--format", "json")
    report = json.loads(result.stdout)
    assert len(report["findings"]) == 9 and not any(f["new"] for f in report["findings"])


def test_empty_config_and_no_rules_exit_2_with_what_to_add(tmp_path: Path, demo_config: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    code, out, err = _plan(empty)
    assert code == 2 and out == ""
    assert "no adapters are configured" in err and "no rules are configured" in err
    no_rules = tmp_path / "no-rules.toml"
    text = demo_config.read_text(encoding="utf-8")
    no_rules.write_text(text[: text.index("[[rules.")], encoding="utf-8")
    sync = run_referee("sync", "-c", str(no_rules), "--now", DEMO_NOW)
    assert sync.returncode == 2 and "add a [[rules.pursuit]] or [[rules.sla]] rule" in sync.stderr
    assert "No conflicts" not in sync.stdout
    validate = run_referee("validate", "-c", str(no_rules))
    assert validate.returncode == 0
    assert "valid, but a run could not find anything yet" in validate.stdout
    assert "Warning: no rules are configured" in validate.stderr


def test_check_refuses_a_never_synced_store_and_fails_on_conflict(demo_config: Path) -> None:
    candidate = '{"company": "字节跳动", "phone": "0086-138-0013-8000", "owner_id": "u-smith"}'
    never = run_referee("check", "-c", str(demo_config), "--record", candidate)
    assert never.returncode == 1 and "New customer" not in never.stdout
    assert "holds no records of demo yet" in never.stderr and "run referee sync" in never.stderr
    assert _plan(demo_config)[0] == 0
    hook = run_referee("check", "-c", str(demo_config), "--now", DEMO_NOW, "--record", candidate,
                       "--fail-on-conflict")
    assert hook.returncode == 5 and "Conflict" in hook.stdout
    fresh = run_referee("check", "-c", str(demo_config), "--record", '{"email": "nobody@new.example"}',
                        "--fail-on-conflict")
    assert fresh.returncode == 0 and "New customer" in fresh.stdout


def test_a_rule_that_cannot_fire_is_reported(demo_config: Path) -> None:
    text = demo_config.read_text(encoding="utf-8")
    demo_config.write_text(text + '\n[[rules.sla]]\nname = "atlantis-weekly"\nmodule = "Leads"\n'
                           'when = { country = "Atlantis" }\nno_activity_for = "7d"\n', encoding="utf-8")
    result = run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW, "--format", "json")
    assert result.returncode == 0, result.stderr
    [warning] = [w for w in json.loads(result.stdout)["warnings"] if w["code"] == "rule_cannot_fire"]
    assert warning["message"].startswith('SLA rule "atlantis-weekly": no Leads record matches when = ')
    assert "Atlantis" in warning["message"]
    quiet = run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW)  # nothing new: one line, counted
    assert quiet.stdout.count("\n") == 1 and "; 1 warning(s) (see referee runs)" in quiet.stdout
    table = run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW, "--findings", "all")
    assert table.stdout.count('Warning: rules: SLA rule "atlantis-weekly"') == 1  # once per run


def test_runs_show_wall_clock_duration_and_now_with_full_ids(demo_config: Path) -> None:
    for now in (DEMO_NOW, "2026-10-01T10:00:00+08:00"):  # the second run evaluates weeks earlier
        assert run_referee("plan", "-c", str(demo_config), "--now", now).returncode == 0
    listing = run_referee("runs", "-c", str(demo_config), env={"COLUMNS": "80"})
    runs = json.loads(run_referee("runs", "-c", str(demo_config), "--json").stdout)
    assert [r["started_at"][:10] for r in runs] == ["2026-10-01", "2026-11-27"]  # newest first by wall clock
    assert runs[0]["wall_started_at"] >= runs[1]["wall_started_at"]
    assert all(r["duration_seconds"] is not None and r["duration_seconds"] >= 0 for r in runs)
    heads = [line for line in listing.stdout.splitlines() if not line.startswith(" ")]
    assert [h.split()[0] for h in heads] == [r["run_id"] for r in runs]  # whole ids at 80 columns
    assert "as of 2026-10-01T02:00:00+00:00" in heads[0] and " UTC  took " in heads[0]


def test_exemptions_suppress_a_finding_from_the_cli_and_the_config(demo_config: Path) -> None:
    def pursuit_records() -> list[list[str]]:
        result = run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW, "--format", "json")
        assert result.returncode == 0, result.stderr
        return sorted(sorted(r["id"] for r in f["records"]) for f in json.loads(result.stdout)["findings"]
                      if f["kind"] == "pursuit")

    assert pursuit_records() == [["C-2001", "L-1001"], ["L-1002", "L-1003"]]
    added = run_referee("exempt", "add", "Contacts/C-2001", "demo/Leads/L-1001", "--reason", "two Acme entities",
                        "-c", str(demo_config))
    assert added.returncode == 0, added.stderr
    assert pursuit_records() == [["L-1002", "L-1003"]]
    [stored] = json.loads(run_referee("exempt", "list", "-c", str(demo_config), "--json").stdout)
    assert stored["reason"] == "two Acme entities" and stored["source"] == "store"

    demo_config.write_text(demo_config.read_text(encoding="utf-8") + (
        '\n[[exempt]]\ncustomer = "demo/Leads/L-1002"\nreps = ["u-li", "u-wang"]\nreason = "joint key account"\n'
    ), encoding="utf-8")
    assert pursuit_records() == []
    removed = run_referee("exempt", "remove", stored["id"], "-c", str(demo_config))
    assert removed.returncode == 0
    assert pursuit_records() == [["C-2001", "L-1001"]]
    again = run_referee("exempt", "remove", stored["id"], "-c", str(demo_config))
    assert again.returncode == 2 and "no stored exemption" in again.stderr
    bad = run_referee("exempt", "add", "Leads/L-1", "Nope/L-2", "--reason", "x", "-c", str(demo_config))
    assert bad.returncode == 2 and 'unknown module "Nope"' in bad.stderr


def test_config_defaults_to_the_env_then_the_working_directory(tmp_path: Path, demo_config: Path) -> None:
    by_env = run_referee("validate", cwd=tmp_path, env={"REFEREE_CONFIG": str(demo_config)})
    assert by_env.returncode == 0 and f"{demo_config}: OK" in by_env.stdout
    nowhere = tmp_path / "empty-dir"
    nowhere.mkdir()
    missing = run_referee("validate", cwd=nowhere, env={"REFEREE_CONFIG": ""})
    assert missing.returncode == 2
    assert "no ./referee.toml here" in missing.stderr and "REFEREE_CONFIG" in missing.stderr
    shutil.copy(demo_config, nowhere / "referee.toml")
    shutil.copytree(demo_config.parent / "demo-crm", nowhere / "demo-crm")
    assert run_referee("validate", cwd=nowhere, env={"REFEREE_CONFIG": ""}).returncode == 0


def test_validate_describes_rules_in_sentences_and_suggests_keys(tmp_path: Path) -> None:
    result = run_referee("validate", "-c", str(ROOT / "examples" / "demo.toml"))
    assert result.returncode == 0
    assert ("sla rule first-contact-8bh: each Leads record matching status not in Converted, Junk must get a "
            "first call/meeting/email within 8h of being assigned, counted in business hours of calendar "
            "cn-office; after 8h reassign it within team inside-sales") in result.stdout
    assert "counted in wall-clock time" in result.stdout
    typo = tmp_path / "typo.toml"
    typo.write_text('[referee]\ntimezon = "UTC"\n', encoding="utf-8")
    bad = run_referee("validate", "-c", str(typo))
    assert bad.returncode == 2 and 'referee.timezon: unknown key (did you mean "timezone"?)' in bad.stderr


def test_csv_exports_plan_their_writes_as_skipped_with_the_reason(tmp_path: Path, demo_config: Path) -> None:
    folder = demo_config.parent / "demo-crm"
    rows = [json.loads(line) for line in (folder / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    import csv

    keys = sorted({k for row in rows for k, v in row.items() if not isinstance(v, (list, dict))})
    with (folder / "records.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows({k: row.get(k, "") for k in keys} for row in rows)
    (folder / "records.jsonl").unlink()
    result = run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW, "--format", "json")
    assert result.returncode == 0, result.stderr
    actions = json.loads(result.stdout)["actions"]
    assert actions and {a["status"] for a in actions} == {"skipped"}
    assert {a["message"] for a in actions} == {"CSV exports are read-only; export as JSON Lines to write back"}


def test_help_lists_the_new_commands() -> None:
    for command in (["doctor"], ["exempt", "add"], ["exempt", "list"], ["exempt", "remove"]):
        result = run_referee(*command, "--help")
        assert result.returncode == 0 and "Example: referee " + " ".join(command) in result.stdout, command
    assert sys.executable


def test_an_os_error_is_one_error_line_not_a_traceback(tmp_path: Path) -> None:
    result = run_referee("validate", "-c", str(tmp_path))  # a directory, not a file: a config mistake (2)
    assert result.returncode == 2
    assert result.stderr.startswith(f"Error: {tmp_path} is a directory") and "Traceback" not in result.stderr
