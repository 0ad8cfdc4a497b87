"""Nothing accepted is lost, nothing is processed twice: kill -9, restarts, competing workers."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from adapters.registry import build_adapter
from connector.config import load_config
from connector.inbox import EventStatus, Inbox
from connector.store import Store
from tests.server.conftest import (
    ServerProcess,
    free_port,
    lead_event,
    processed_ids,
    server_env,
    signed_headers,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.e2e


def distinct_lead(event_id: str, lead_id: str) -> bytes:
    """A lead of its own customer (no identity matches), so each event is cheap to process."""
    return lead_event(
        event_id,
        lead_id,
        company={"name": f"Customer {lead_id}", "website": f"https://{lead_id.lower()}.example"},
        contact={"first_name": "Pat", "last_name": lead_id, "email": f"pat@{lead_id.lower()}.example"},
    )


def inbox_rows(state: str) -> list:
    store = Store(state)
    try:
        return Inbox(store).list(limit=10_000)
    finally:
        store.close()


def all_done(state: str, expected: int) -> bool:
    rows = inbox_rows(state)
    return len(rows) == expected and all(r.status == EventStatus.DONE for r in rows)


def test_sigkill_right_after_202_loses_nothing_and_processes_each_event_once(tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    config = write_config(tmp_path, state, lease="2s")
    events = [f"evt-kill-{i:03d}" for i in range(40)]
    first = ServerProcess.serve(config, free_port())
    with httpx.Client(base_url=first.base_url, timeout=10) as client:
        for i, event_id in enumerate(events):
            body = distinct_lead(event_id, f"K-{i:03d}")
            assert (
                client.post("/webhooks/acme", content=body, headers=signed_headers(body)).status_code == 202
            )
    first.stop(signal.SIGKILL)  # no shutdown hook runs: only what was committed survives

    stored = inbox_rows(state)
    assert sorted(r.event_id for r in stored) == events
    second = ServerProcess.serve(config, free_port())
    try:
        wait_for(lambda: all_done(state, len(events)), timeout=60, what="every event to be processed")
    finally:
        second.stop()

    rows = inbox_rows(state)
    assert sorted(r.event_id for r in rows) == events  # one row per event: none lost, none doubled
    retried = [r.event_id for r in rows if r.attempts > 1]
    assert all(r.attempts <= 2 for r in rows)
    assert len(retried) <= 1  # at most the one event that was in flight when the process died
    counts = Counter(processed_ids(first, second))
    assert max(counts.values()) == 1  # no event was processed to completion twice
    assert len(set(events) - set(counts)) <= 1  # (a kill between "done" and its log line loses the line)
    store = Store(state)
    try:
        assert store.count_records("acme") == len(events)
    finally:
        store.close()


@pytest.mark.postgres
def test_two_workers_on_one_postgres_inbox_process_each_event_exactly_once(
    tmp_path: Path, pg_url: str
) -> None:
    config_path = write_config(tmp_path, pg_url)
    config = load_config(config_path, environ=server_env())
    store = Store.open(pg_url)
    events = [f"evt-pg-{i:03d}" for i in range(60)]
    try:
        acme = build_adapter("acme", config.adapter("acme"), store=store, default_tz="UTC")
        inbox = Inbox(store)
        for i, event_id in enumerate(events):
            body = distinct_lead(event_id, f"P-{i:03d}")
            assert inbox.add(
                "acme", acme.verify_inbound(signed_headers(body), body), body, now=datetime.now(UTC)
            )
    finally:
        store.close()

    workers = [ServerProcess.worker(config_path, name) for name in ("one", "two")]
    try:
        wait_for(lambda: all_done(pg_url, len(events)), timeout=90, what="both workers to drain the inbox")
    finally:
        codes = [w.stop() for w in workers]

    assert codes == [0, 0]  # SIGTERM: each worker finished its event in flight and exited cleanly
    counts = Counter(processed_ids(*workers))
    assert sorted(counts) == events
    assert set(counts.values()) == {1}
    assert all(r.attempts == 1 for r in inbox_rows(pg_url))


@pytest.mark.postgres
def test_two_servers_on_one_postgres_store_accept_and_process_each_event_once(
    tmp_path: Path, pg_url: str
) -> None:
    """A CRM behind a load balancer: deliveries (and redeliveries) land on either server."""
    config_path = write_config(tmp_path, pg_url)
    events = [f"evt-lb-{i:03d}" for i in range(40)]
    servers = [ServerProcess.serve(config_path, free_port()) for _ in range(2)]
    try:
        clients = [httpx.Client(base_url=s.base_url, timeout=10) for s in servers]
        duplicates = 0
        for i, event_id in enumerate(events):
            body = distinct_lead(event_id, f"B-{i:03d}")
            first = clients[i % 2].post("/webhooks/acme", content=body, headers=signed_headers(body))
            assert first.status_code == 202, first.text
            if i % 4 == 0:  # the CRM retries this delivery on the other server
                again = clients[(i + 1) % 2].post("/webhooks/acme", content=body, headers=signed_headers(body))
                assert again.status_code == 202 and again.json()["duplicate"] is True
                duplicates += 1
        for client in clients:
            client.close()
        wait_for(lambda: all_done(pg_url, len(events)), timeout=90, what="both servers' workers to drain the inbox")
    finally:
        codes = [s.stop() for s in servers]
    assert duplicates == 10
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal (exit -15, which systemd
    # counts as a clean stop)
    assert codes == [-signal.SIGTERM, -signal.SIGTERM]
    assert all("Application shutdown complete" in s.log_text() for s in servers)
    counts = Counter(processed_ids(*servers))
    assert sorted(counts) == events
    assert set(counts.values()) == {1}
