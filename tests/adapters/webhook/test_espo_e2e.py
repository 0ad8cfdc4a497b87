"""The acceptance case of issue 12, through the real CLI: a CRM that lists activities only per record.

``examples/espo-crm/config.toml`` against the fake EspoCRM (``examples/fakes/espo.py``), run as a
user would: ``referee plan`` in a subprocess. Every seeded duplicate pursuit must be found, and
nothing that is not one: co-owners are no conflict, the integration user's call and note are
not poaching, and naive UTC times are read as UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.store import Store
from examples.fakes.base import Running, serve
from examples.fakes.espo import DEFAULT_KEY, EspoCrm
from tests.cli.conftest import DEMO_NOW, ROOT, run_referee

pytestmark = pytest.mark.e2e
ENV = {"ESPO_API_KEY": DEFAULT_KEY, "ESPO_WEBHOOK_SECRET": "espo-webhook-secret"}
PURSUITS = {
    frozenset({"Leads/L1", "Leads/L2"}),  # same email
    frozenset({"Leads/L3", "Contacts/C1"}),  # same phone
    frozenset({"Leads/L4"}),  # u-chen called u-wang's lead
    frozenset({"Leads/L5", "Contacts/C2"}),  # C2's owner called 29d23h ago, in UTC
    frozenset({"Leads/L6", "Contacts/C3"}),  # co-owned lead + a third rep's contact
}


@pytest.fixture
def espo(tmp_path: Path) -> Iterator[tuple[Running, Path]]:
    running = serve(EspoCrm())
    text = (ROOT / "examples/espo-crm/config.toml").read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8766/api/v1", f"{running.url}/api/v1")
    text = text.replace('state = "sqlite:///espo-referee.db"', f'state = "sqlite:///{tmp_path / "state.db"}"')
    config = tmp_path / "espo.toml"
    config.write_text(text, encoding="utf-8")
    try:
        yield running, config
    finally:
        running.stop()


def plan(config: Path, *extra: str) -> dict[str, Any]:
    result = run_referee("plan", "-c", str(config), "--now", DEMO_NOW, "--format", "json", *extra, env=ENV)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def pursuits(report: dict[str, Any]) -> set[frozenset[str]]:
    return {
        frozenset(f"{r['module']}/{r['id']}" for r in finding["records"])
        for finding in report["findings"]
        if finding["kind"] == "pursuit"
    }


def test_every_seeded_pursuit_is_found_and_nothing_else(espo: tuple[Running, Path]) -> None:
    running, config = espo
    report = plan(config)

    assert pursuits(report) == PURSUITS
    owners = {frozenset(f"{r['module']}/{r['id']}" for r in f["records"]): set(f["owners"]) for f in report["findings"]}
    assert owners[frozenset({"Leads/L6", "Contacts/C3"})] == {"u-li", "u-wang", "u-chen"}
    assert owners[frozenset({"Leads/L4"})] == {"u-wang", "u-chen"}
    assert report["warnings"] == []
    assert report["counts"]["records_pulled"] == 11
    # one per-record read per record and list: 11 records × calls, meetings, notes
    calls = report["api_calls"]["espo"]
    assert calls["GET /Activities/{record.scope}/{record.id}/history/list/Call"] == 11
    assert calls["GET /{record.scope}/{record.id}/stream"] == 11
    assert running.crm.max_in_flight <= 4  # concurrency = 4 per endpoint, one endpoint at a time


def test_integration_user_work_is_not_stored_as_activity(espo: tuple[Running, Path]) -> None:
    _, config = espo
    plan(config)
    store = Store.open(f"sqlite:///{config.parent / 'state.db'}")
    try:
        stored = {a.id: a for a in store.load_activities("espo")}
    finally:
        store.close()
    assert "a15" not in stored and "n1" not in stored  # the API user's call and crm-referee note
    assert stored["n2"].kind == "note" and stored["a08"].occurred_at.isoformat() == "2026-10-28T03:00:00+00:00"


def test_second_run_is_incremental_and_a_full_run_drops_deleted_records(espo: tuple[Running, Path]) -> None:
    running, config = espo
    assert pursuits(plan(config)) == PURSUITS
    before = len(running.crm.requests)

    again = plan(config)  # only records changed since the cursors are read (and their activities)
    assert pursuits(again) == PURSUITS
    assert again["counts"]["records_pulled"] == 2  # the newest lead and contact: cursor boundaries
    assert len(running.crm.requests) - before < 20

    running.crm.delete("Lead", "L2")
    full = plan(config, "--full")
    assert pursuits(full) == PURSUITS - {frozenset({"Leads/L1", "Leads/L2"})}
    store = Store.open(f"sqlite:///{config.parent / 'state.db'}")
    try:
        ids = {r.id for r in store.load_records("espo")}
    finally:
        store.close()
    assert "L2" not in ids and "L1" in ids


def test_a_wrong_api_key_exits_3_with_one_error_line(espo: tuple[Running, Path]) -> None:
    _, config = espo
    result = run_referee("plan", "-c", str(config), "--now", DEMO_NOW, env={**ENV, "ESPO_API_KEY": "wrong-key"})
    assert result.returncode == 3
    assert "Error: espo: GET /User answered HTTP 401" in result.stderr and "wrong-key" not in result.stderr
    assert "Traceback" not in result.stderr


def test_real_server_refuses_forged_and_unbounded_webhooks_and_accepts_signed_ones(
    espo: tuple[Running, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``referee serve`` in a subprocess: 401 for a forged or absurdly dated signature, 202 for a good one."""
    import time

    import httpx

    from examples.fakes.espo import signed_event
    from tests.server.conftest import ServerProcess, free_port, wait_for

    running, config = espo
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    text = config.read_text(encoding="utf-8").replace("[adapters.espo]", "[server.worker]\npoll_interval = \"0.1s\"\n\n[adapters.espo]")
    config.write_text(text, encoding="utf-8")
    server = ServerProcess.serve(config, free_port())
    try:
        url = f"{server.base_url}/webhooks/espo"
        secret = ENV["ESPO_WEBHOOK_SECRET"]
        now = int(time.time())
        headers, body = signed_event("Lead.update", "L1", "not-the-secret", event_id="evt_forged", timestamp=now)
        forged = httpx.post(url, content=body, headers=headers, timeout=10)
        assert forged.status_code == 401 and "does not match" in forged.json()["detail"]

        headers, body = signed_event("Lead.update", "L1", secret, event_id="evt_far", timestamp=99999999999999999999)
        far = httpx.post(url, content=body, headers=headers, timeout=10)
        assert far.status_code == 401, far.text

        headers, body = signed_event("Lead.update", "L1", secret, event_id="evt_ok", timestamp=now)
        tampered = httpx.post(url, content=body.replace(b"L1", b"L2"), headers=headers, timeout=10)
        assert tampered.status_code == 401
        accepted = httpx.post(url, content=body, headers=headers, timeout=10)
        assert accepted.status_code == 202 and accepted.json()["event_id"] == "evt_ok"

        # the worker inside serve fetches the lead the event names
        wait_for(lambda: running.crm.calls("GET", r"/api/v1/Lead/L1") == 1, what="the worker to fetch L1")
    finally:
        server.stop()  # uvicorn exits -15 after a graceful SIGTERM shutdown
    assert "Traceback" not in server.log_text()
