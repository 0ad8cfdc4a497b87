"""CRM and config text is printed as written, never as Rich markup, and our own ``[section]`` hints
survive in error lines: the real CLI in a subprocess, as a user runs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.domain import Module, Record
from connector.inbox import Inbox
from connector.protocol import InboundEvent
from connector.store import Store
from tests.cli.conftest import run_referee

pytestmark = pytest.mark.e2e
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
HOSTILE = "CRM said [/] then [link=https://evil.example]click[/link] and [bold]loud[/bold]"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(f'[referee]\nstate = "sqlite:///{tmp_path / "s.db"}"\n', encoding="utf-8")
    return path


def test_an_inbox_error_and_a_run_error_print_literally(config: Path, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    try:
        inbox = Inbox(store)
        record = Record(adapter="acme", module=Module.LEADS, id="[red]L-1[/red]")
        inbox.add("acme", InboundEvent(event_id="[/]evt", records=(record,)), b"{}", now=NOW)
        claim = inbox.claim("test", now=NOW, lease=timedelta(minutes=5))
        assert claim is not None
        inbox.fail(claim, HOSTILE, now=NOW, max_attempts=1, backoff=timedelta(1), max_backoff=timedelta(1))
        run = store.start_run(mode="dry-run", adapters=["acme"], now=NOW)
        store.finish_run(run, now=NOW, status="error", counts={}, error=HOSTILE)
    finally:
        store.close()

    inbox_out = run_referee("inbox", "-c", str(config))
    runs_out = run_referee("runs", "-c", str(config))

    for result in (inbox_out, runs_out):
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        flat = "".join(result.stdout.split())  # table cells wrap; compare without the layout
        assert "[link=https://evil.example]click[/link]" in flat
        assert "[bold]loud[/bold]" in flat and "\x1b]8;" not in result.stdout  # no terminal hyperlink
    assert "[/]evt" in inbox_out.stdout


def test_our_own_section_hints_survive_in_an_error_line(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[referee]\nstate = "sqlite:///{tmp_path / "s.db"}"\n\n[adapters.demo]\nkind = "file"\npath = "nowhere"\n'
        '\n[[rules.pursuit]]\nname = "p"\nactive_within = "30d"\nresolve = "first-touch"\naction = "flag"\n',
        encoding="utf-8",
    )

    result = run_referee("sync", "-c", str(config), "--now", "2026-11-27T10:00:00+08:00")

    assert result.returncode == 2
    assert result.stderr.startswith("Error: ")
    assert "[adapters.<name>]" in result.stderr
