"""A synced copy of the demo CRM (dry run, then the records the report links to)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from connector.cli.common import build_adapters
from connector.config import Config, load_config
from connector.store import Store
from connector.sync import SyncOptions, SyncReport, run_sync

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-11-27T10:00:00+08:00")


def demo_copy(tmp_path: Path, *, language: str = "en", extra: str = "") -> Path:
    shutil.copytree(ROOT / "examples" / "demo-crm", tmp_path / "demo-crm")
    text = (ROOT / "examples" / "demo.toml").read_text(encoding="utf-8")
    text = text.replace('timezone = "Asia/Shanghai"\n', f'timezone = "Asia/Shanghai"\nlanguage = "{language}"\n', 1)
    path = tmp_path / "demo.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


@pytest.fixture
def synced(tmp_path: Path) -> Iterator[tuple[Config, Store, SyncReport]]:
    config = load_config(demo_copy(tmp_path))
    store = Store.open(config.state_url())
    report = run_sync(config, store, build_adapters(config, store, now=NOW), SyncOptions(now=NOW, apply=True))
    yield config, store, report
    store.close()
