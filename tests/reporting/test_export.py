"""``referee export RUN``: one CSV row per action, UTF-8 with BOM so Excel keeps Chinese intact."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.cli.conftest import DEMO_NOW, run_referee
from tests.reporting.conftest import demo_copy


@pytest.mark.e2e
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_export_one_row_per_action(tmp_path: Path, language: str) -> None:
    config = demo_copy(tmp_path, language=language)
    sync = run_referee("sync", "-c", str(config), "--now", DEMO_NOW, "--format", "json")
    assert sync.returncode == 0, sync.stderr
    report = json.loads(sync.stdout)
    out = tmp_path / "run.csv"
    result = run_referee("export", "-c", str(config), report["run_id"], "--out", str(out))
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    header, body = rows[0], rows[1:]
    assert len(body) == len(report["actions"])
    assert header[0] == ("record" if language == "en" else "记录")
    keys = {a["key"] for a in report["actions"]}
    assert {row[-1] for row in body} == keys
    move = next(r for r in body if r[0] == "L-1020" and r[3] in ("reassign", "重新分配"))
    assert move[1] == "Leads" and move[2] == "上海云杉数据科技有限公司"
    assert move[4] == "李娜 Li Na (u-li)" and move[5] == "王强 Wang Qiang (u-wang)"
    assert move[9] == "planned" and move[13] == "https://crm.example.com/Leads/L-1020"
    note = next(r for r in body if r[3] in ("note", "备注") and r[0] == "L-1002")
    assert "北京字节跳动科技有限公司" in note[7]


@pytest.mark.e2e
def test_unknown_run_and_unwritable_path_are_one_error_line(tmp_path: Path) -> None:
    config = demo_copy(tmp_path)
    unknown = run_referee("export", "-c", str(config), "nope", "--out", str(tmp_path / "x.csv"))
    assert unknown.returncode == 2 and "no run \"nope\"" in unknown.stderr and "referee runs" in unknown.stderr
    sync = run_referee("sync", "-c", str(config), "--now", DEMO_NOW, "--format", "json")
    run_id = json.loads(sync.stdout)["run_id"]
    blocked = run_referee("export", "-c", str(config), run_id, "--out", str(tmp_path / "missing" / "x.csv"))
    assert blocked.returncode == 2 and blocked.stderr.startswith("Error: cannot write")
    assert "Traceback" not in blocked.stderr


@pytest.mark.e2e
def test_sync_report_into_a_missing_directory_fails_before_the_run(tmp_path: Path) -> None:
    config = demo_copy(tmp_path)
    result = run_referee("sync", "-c", str(config), "--now", DEMO_NOW, "--report", str(tmp_path / "no" / "r.html"))
    assert result.returncode == 2 and "does not exist (create it first)" in result.stderr
    runs = run_referee("runs", "-c", str(config), "--json")
    assert json.loads(runs.stdout) == []
