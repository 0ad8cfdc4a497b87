from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connector.errors import StateError, SyncLockedError
from connector.store import Store
from tests.store.builders import HOUR, NOW

ROOT = Path(__file__).resolve().parents[2]
LOCKED_MESSAGE = re.compile(
    r"another sync is running: sync pid 123 on host x, started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC "
    r"\(\d+s ago\); if that process is gone \(check with ps on that host\), run with --break-lock"
)
"""The lock says when the other run really started (wall clock), not its ``--now`` (NOW is in 2026-11)."""


def test_cursors_per_adapter_and_stream(store: Store) -> None:
    assert store.get_cursors("zoho") == {}
    store.set_cursor("zoho", "Leads", "2026-11-27T10:00:00+00:00")
    store.set_cursor("zoho", "activities:Calls", "page-token-7")
    store.set_cursor("zoho", "Leads", "2026-11-27T11:00:00+00:00")
    store.set_cursor("file", "records", "etag-1")

    assert store.get_cursors("zoho") == {
        "Leads": "2026-11-27T11:00:00+00:00",
        "activities:Calls": "page-token-7",
    }
    store.clear_cursors("zoho")
    assert store.get_cursors("zoho") == {}
    assert store.get_cursors("file") == {"records": "etag-1"}


def test_runs_are_started_finished_and_listed_newest_first(store: Store) -> None:
    first = store.start_run(mode="sync", adapters=["zoho", "file"], now=NOW)
    store.finish_run(first, now=NOW + HOUR, status="ok", counts={"records": 12, "actions": 2})
    second = store.start_run(mode="dry-run", adapters=["zoho"], now=NOW + 2 * HOUR)

    latest, earlier = store.list_runs()
    assert (latest.run_id, latest.mode, latest.status, latest.finished_at) == (
        second,
        "dry-run",
        "running",
        None,
    )
    assert earlier.run_id == first
    assert earlier.adapters == ("zoho", "file")
    assert earlier.started_at == NOW
    assert earlier.finished_at == NOW + HOUR
    assert earlier.counts == {"records": 12, "actions": 2}
    assert earlier.error is None
    assert [r.run_id for r in store.list_runs(limit=1)] == [second]
    assert first < second, "run ids sort by start time"


def test_a_failed_run_keeps_its_error(store: Store) -> None:
    run_id = store.start_run(mode="sync", adapters=["zoho"], now=NOW)
    store.finish_run(run_id, now=NOW, status="failed", counts={}, error="Zoho said 401")
    assert store.list_runs()[0].error == "Zoho said 401"


def test_finishing_an_unknown_run_is_a_state_error(store: Store) -> None:
    with pytest.raises(StateError, match="not in the state store"):
        store.finish_run("nope", now=NOW, status="ok", counts={})


def test_kv_namespaces(store: Store) -> None:
    assert store.get_value("zoho", "access_token") is None
    store.set_value("zoho", "access_token", "t1")
    store.set_value("zoho", "access_token", "t2")
    store.set_value("zoho", "expires_at", "2026-11-27T11:00:00+00:00")
    store.set_value("assignment", "team:east", "u3")

    assert store.get_value("zoho", "access_token") == "t2"
    assert store.get_values("zoho") == {"access_token": "t2", "expires_at": "2026-11-27T11:00:00+00:00"}
    assert store.get_values("assignment") == {"team:east": "u3"}
    store.delete_value("zoho", "access_token")
    assert store.get_values("zoho") == {"expires_at": "2026-11-27T11:00:00+00:00"}


def test_a_second_lock_is_refused_with_who_and_since(store: Store) -> None:
    with store.run_lock("sync pid 123 on host x", NOW):
        holder, since = store.lock_holder() or ("", NOW)
        assert holder == "sync pid 123 on host x"
        assert abs((datetime.now(UTC) - since).total_seconds()) < 60
        with pytest.raises(SyncLockedError) as caught, store.run_lock("sync pid 456 on host y", NOW + HOUR):
            pass
    assert LOCKED_MESSAGE.fullmatch(str(caught.value)), str(caught.value)
    assert store.lock_holder() is None


def test_the_lock_is_released_after_an_exception(store: Store) -> None:
    with pytest.raises(RuntimeError), store.run_lock("sync pid 1 on host x", NOW):
        raise RuntimeError("adapter blew up")
    with store.run_lock("sync pid 2 on host x", NOW):
        assert (store.lock_holder() or ("",))[0] == "sync pid 2 on host x"


def test_break_lock_takes_over_a_stale_lock(store: Store) -> None:
    stale = store.run_lock("sync pid 1 on host gone", NOW)
    stale.__enter__()  # a process that died without releasing
    with store.run_lock("sync pid 2 on host x", NOW + HOUR, break_lock=True):
        assert (store.lock_holder() or ("",))[0] == "sync pid 2 on host x"
    stale.__exit__(None, None, None)  # the old holder's release does not touch the new lock
    assert store.lock_holder() is None


def test_another_process_cannot_take_the_lock_while_it_is_held(store: Store) -> None:
    script = textwrap.dedent(
        """
        import sys
        from datetime import UTC, datetime
        from connector.errors import SyncLockedError
        from connector.store import Store

        store = Store(sys.argv[1])
        try:
            with store.run_lock("sync pid 999 on host child", datetime.now(UTC)):
                print("acquired")
        except SyncLockedError as error:
            print(error)
        """
    )

    def child() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, store.url],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=True,
        )
        return done.stdout.strip()

    with store.run_lock("sync pid 123 on host x", NOW):
        assert LOCKED_MESSAGE.fullmatch(child())
    assert child() == "acquired"


def test_a_run_keeps_its_warnings_and_the_latest_finished_sync_is_found(store: Store) -> None:
    from connector.run_warnings import RunWarning

    warning = RunWarning("zoho", "watch_renewal_failed", "the notification channel could not be renewed")
    sync = store.start_run(mode="apply", adapters=["zoho"], now=NOW)
    store.finish_run(sync, now=NOW + HOUR, status="ok", counts={}, warnings=[warning])
    webhook = store.start_run(mode="webhook", adapters=["zoho"], now=NOW + 2 * HOUR)
    store.finish_run(webhook, now=NOW + 2 * HOUR, status="ok", counts={})
    store.start_run(mode="dry-run", adapters=["zoho"], now=NOW + 3 * HOUR)  # still running

    assert [r.warnings for r in store.list_runs()] == [(), (), (warning,)]
    latest = store.last_finished_run()
    assert latest is not None and latest.run_id == sync and latest.warnings == (warning,)
