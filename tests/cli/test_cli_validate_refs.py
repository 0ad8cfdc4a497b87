"""``referee validate`` checks the export folder and the people rules send leads to."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import DEMO_NOW, run_referee


def test_a_missing_export_folder_is_one_error_line(demo_config: Path) -> None:
    text = demo_config.read_text(encoding="utf-8").replace('path = "demo-crm"', 'path = "demo-crx"')
    demo_config.write_text(text, encoding="utf-8")
    result = run_referee("validate", "-c", str(demo_config))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:") and "demo-crx: no such directory" in lines[0]


def test_an_unknown_pool_owner_or_member_is_named_once_the_crm_users_are_known(demo_config: Path) -> None:
    text = demo_config.read_text(encoding="utf-8")
    typo = text.replace('pool_owner = "u-pool"', 'pool_owner = "u-pol"').replace('"u-smith"', '"u-smiht"')
    assert typo != text
    demo_config.write_text(typo, encoding="utf-8")
    before = run_referee("validate", "-c", str(demo_config))  # no store yet: nothing to compare with
    assert before.returncode == 0 and "u-pol" not in before.stderr
    assert run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW).returncode == 0
    after = run_referee("validate", "-c", str(demo_config))
    assert after.returncode == 0, after.stderr
    assert 'pool_owner "u-pol" is not a user the CRM reported' in after.stderr
    assert 'team inside-sales: member(s) "u-smiht"' in after.stderr
    assert "u-pool\"" not in after.stderr  # the rules that name the right owner are not flagged
    plain = demo_config.read_text(encoding="utf-8").replace('"u-pol"', '"u-pool"').replace('"u-smiht"', '"u-smith"')
    demo_config.write_text(plain, encoding="utf-8")
    assert "Warning: rule" not in run_referee("validate", "-c", str(demo_config)).stderr
