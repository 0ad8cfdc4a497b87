"""Each sync run writes the findings history; late first contacts are reported once per mode."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from connector.cli.common import build_adapters
from connector.config import Config, load_config
from connector.domain import finding_key
from connector.store import Store
from connector.sync import SyncOptions, SyncReport, run_sync

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-11-27T10:00:00+08:00")


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Config, Store]:
    shutil.copytree(ROOT / "examples" / "demo-crm", tmp_path / "demo-crm")
    shutil.copy(ROOT / "examples" / "demo.toml", tmp_path / "demo.toml")
    config = load_config(tmp_path / "demo.toml")
    store = Store.open(config.state_url())
    yield config, store
    store.close()


def sync(demo: tuple[Config, Store], now: datetime, *, apply: bool = False) -> SyncReport:
    config, store = demo
    return run_sync(config, store, build_adapters(config, store, now=now), SyncOptions(now=now, apply=apply))


def late(report: SyncReport) -> list[str]:
    return [f.records[0].id for f in report.findings if f.details.get("outcome") == "met-late"]


def test_first_run_records_every_finding_as_new(demo: tuple[Config, Store]) -> None:
    report = sync(demo, NOW)
    assert report.new_findings == {finding_key(f) for f in report.findings}
    rows = demo[1].list_findings()
    assert {r.key for r in rows} == report.new_findings
    assert all(r.first_seen_run == report.run_id == r.last_seen_run for r in rows)


def test_a_later_run_knows_them_and_reports_the_late_contact_once(demo: tuple[Config, Store]) -> None:
    first = sync(demo, NOW)
    assert late(first) == ["L-1024"]
    second = sync(demo, NOW + timedelta(hours=1))
    assert late(second) == []  # reported by the first run
    assert second.new_findings == set()
    [row] = [r for r in demo[1].list_findings() if r.finding.details.get("outcome") == "met-late"]
    assert row.first_seen_run == first.run_id and row.times_seen == 1


def test_replaying_the_same_instant_reports_the_same(demo: tuple[Config, Store]) -> None:
    assert late(sync(demo, NOW)) == late(sync(demo, NOW)) == ["L-1024"]


def test_a_dry_run_does_not_use_up_the_first_apply_run(demo: tuple[Config, Store]) -> None:
    assert late(sync(demo, NOW)) == ["L-1024"]
    applied = sync(demo, NOW + timedelta(hours=1), apply=True)
    assert late(applied) == ["L-1024"]
    assert late(sync(demo, NOW + timedelta(hours=2), apply=True)) == []
    [row] = [r for r in demo[1].list_findings() if r.finding.details.get("outcome") == "met-late"]
    assert row.first_applied_at == NOW + timedelta(hours=1)
