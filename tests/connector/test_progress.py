"""The pipeline reports every phase, every pulled batch and the apply's progress; the terminal
view draws them and, when interrupted, says what was done."""

from __future__ import annotations

import io
import shutil
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from connector.cli.common import build_adapters
from connector.cli.progress import LiveProgress
from connector.config import load_config
from connector.store import Store
from connector.sync import SyncOptions, run_sync

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-11-27T10:00:00+08:00")


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, int | None]] = []

    def phase(self, name: str, total: int | None = None) -> None:
        self.events.append(("phase", name, total))

    def pulled(self, adapter: str, stream: str, count: int) -> None:
        self.events.append(("pulled", f"{adapter} {stream}", count))

    def advance(self, count: int) -> None:
        self.events.append(("advance", "", count))


def test_apply_reports_each_phase_in_order_with_counts(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples" / "demo-crm", tmp_path / "demo-crm")
    shutil.copy(ROOT / "examples" / "demo.toml", tmp_path / "demo.toml")
    config = load_config(tmp_path / "demo.toml")
    store = Store.open(config.state_url())
    recorder = Recorder()
    try:
        report = run_sync(config, store, build_adapters(config, store, now=NOW),
                          SyncOptions(now=NOW, apply=True), progress=recorder)
    finally:
        store.close()
    phases = [name for kind, name, _ in recorder.events if kind == "phase"]
    assert phases == ["pull", "snapshot", "evaluate", "index", "journal", "apply", "history"]
    pulled = sum(n or 0 for kind, _, n in recorder.events if kind == "pulled")
    assert pulled == report.counts["records_pulled"] + report.counts["activities_pulled"] == 61 + 211
    streams = {name for kind, name, _ in recorder.events if kind == "pulled"}
    assert streams == {"demo records", "demo activities"}
    apply_at = recorder.events.index(("phase", "apply", len(report.results)))
    advanced = [n for kind, _, n in recorder.events[apply_at:] if kind == "advance"]
    assert sum(n or 0 for n in advanced) == len(report.results) and len(advanced) >= 1


def test_the_live_view_says_what_was_done_when_interrupted() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200)
    with Progress(console=console, transient=True) as progress:
        live = LiveProgress(progress)
        live.phase("pull")
        live.pulled("crm", "records", 1_500)
        live.phase("snapshot")
        live.phase("evaluate", 1_500)
        live.interrupted(console)
    text = out.getvalue()
    assert "Interrupted while resolving customers and evaluating rules." in text
    assert "Done: pulling, loading the state store." in text
    assert "Stored: crm records 1,500" in text
