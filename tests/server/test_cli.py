"""``referee inbox``, ``referee inbox retry``, ``referee worker --once`` and serve's guard rails."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connector.inbox import EventStatus, Inbox
from connector.protocol import InboundEvent
from connector.store import Store
from tests.server.conftest import REFEREE, server_env, write_config

pytestmark = pytest.mark.e2e
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def referee(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*REFEREE, *args], capture_output=True, text=True, cwd=cwd, env=server_env(), timeout=60, check=False
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    path = write_config(tmp_path, state)
    store = Store.open(state)
    try:
        inbox = Inbox(store)
        inbox.add("removed-crm", InboundEvent(event_id="orphan"), b"{}", now=NOW)
        claim = inbox.claim("test", now=NOW, lease=NOW - NOW)
        assert claim is not None
        inbox.fail(claim, "adapter gone", now=NOW, max_attempts=1, backoff=NOW - NOW, max_backoff=NOW - NOW)
    finally:
        store.close()
    return path


def test_inbox_lists_events_with_status_attempts_and_error(config: Path) -> None:
    result = referee("inbox", "-c", str(config), "--json", cwd=config.parent)

    assert result.returncode == 0, result.stderr
    [event] = json.loads(result.stdout)
    assert (event["event_id"], event["status"], event["attempts"], event["error"]) == (
        "orphan",
        "parked",
        1,
        "adapter gone",
    )
    table = referee("inbox", "-c", str(config), "--status", "parked", cwd=config.parent)
    assert "orphan" in table.stdout and "adapter gone" in table.stdout


def test_inbox_retry_requeues_a_parked_event(config: Path) -> None:
    result = referee("inbox", "-c", str(config), "retry", "1", cwd=config.parent)

    assert result.returncode == 0, result.stderr
    assert "queued again" in result.stdout
    store = Store(f"sqlite:///{config.parent / 'state.db'}")
    try:
        [entry] = Inbox(store).list()
    finally:
        store.close()
    assert (entry.status, entry.attempts) == (EventStatus.PENDING, 0)
    missing = referee("inbox", "-c", str(config), "retry", "99", cwd=config.parent)
    assert missing.returncode == 2
    assert "no inbox event 99" in missing.stderr


def test_worker_once_processes_due_events_and_exits(config: Path) -> None:
    store = Store(f"sqlite:///{config.parent / 'state.db'}")
    try:
        Inbox(store).retry(1, now=NOW)
    finally:
        store.close()

    result = referee("worker", "-c", str(config), "--once", cwd=config.parent)

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(line.get("event_id") == "orphan" and line.get("outcome") == "retry" for line in lines)


def test_serve_refuses_several_processes_on_sqlite(config: Path) -> None:
    result = referee("serve", "-c", str(config), "--workers", "2", cwd=config.parent)

    assert result.returncode == 2
    assert "needs a PostgreSQL state store" in result.stderr


def test_serve_without_api_keys_warns_at_start(tmp_path: Path) -> None:
    from tests.server.conftest import ServerProcess, free_port

    path = write_config(tmp_path, f"sqlite:///{tmp_path / 'state.db'}")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('api_keys = ["${REFEREE_API_KEY}"]\n', ""), encoding="utf-8")
    assert "api_keys =" not in path.read_text(encoding="utf-8")
    server = ServerProcess.serve(path, free_port())
    try:
        log = server.log_text()
    finally:
        server.stop()
    assert "Warning: [server] api_keys is empty, so POST /v1/check answers 401 to everyone" in log
