from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_NOW = "2026-11-27T10:00:00+08:00"
REFEREE = [sys.executable, "-m", "connector"]


def run_referee(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user or cron would."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [*REFEREE, *args], capture_output=True, text=True, cwd=cwd or ROOT, env=full_env, timeout=120, check=False
    )


@pytest.fixture
def demo_config(tmp_path: Path) -> Path:
    """A private copy of the demo CRM and its config, so tests may write back to it."""
    shutil.copytree(ROOT / "examples" / "demo-crm", tmp_path / "demo-crm")
    config = (ROOT / "examples" / "demo.toml").read_text(encoding="utf-8")
    path = tmp_path / "demo.toml"
    path.write_text(config, encoding="utf-8")
    return path
