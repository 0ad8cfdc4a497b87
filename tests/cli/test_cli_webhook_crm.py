"""``referee sync --apply`` in a subprocess against a real REST CRM server started by the test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.webhook.webhook_builders import load_fake_crm
from tests.cli.conftest import DEMO_NOW, ROOT, run_referee

pytestmark = pytest.mark.e2e


@pytest.fixture
def acme(tmp_path: Path) -> Iterator[tuple[Any, Path, dict[str, str]]]:
    crm = load_fake_crm()
    server, thread, base_url = crm.serve(0, clock=lambda: datetime(2026, 11, 27, 2, 5, tzinfo=UTC))
    text = (ROOT / "examples/acme-crm/config.toml").read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8765/api/v2", base_url)
    assert base_url in text
    config = tmp_path / "acme.toml"
    config.write_text(text, encoding="utf-8")
    env = {"ACME_TOKEN": crm.DEFAULT_TOKEN, "ACME_WEBHOOK_SECRET": "demo-webhook-secret"}
    try:
        yield server, config, env
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_sync_apply_lands_reassignments_flags_and_notes_in_the_crm(acme) -> None:
    server, config, env = acme
    plan = run_referee("plan", "-c", str(config), "--now", DEMO_NOW, "--format", "json", env=env)
    assert plan.returncode == 0, plan.stderr
    planned = json.loads(plan.stdout)
    assert {f["kind"] for f in planned["findings"]} == {"pursuit", "sla"}
    assert all(lead["tags"] == [] for lead in server.crm.leads.values())  # a plan writes nothing

    result = run_referee("sync", "-c", str(config), "--apply", "--now", DEMO_NOW, "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    reassigns = [a for a in report["actions"] if a["type"] == "reassign"]
    assert reassigns and all(a["status"] == "applied" for a in reassigns)
    leads = server.crm.leads
    for action in reassigns:
        assert leads[action["id"]]["owner"]["id"] == action["new_owner_id"]
    flagged = {a["id"]: a["tag"] for a in report["actions"] if a["type"] == "flag"}
    assert flagged
    for lead_id, tag in flagged.items():
        assert tag in leads[lead_id]["tags"]
    assert any(lead.get("notes") for lead in leads.values())
    assert report["api_calls"]["acme"]

    again = run_referee("sync", "-c", str(config), "--apply", "--now", DEMO_NOW, "--format", "json", env=env)
    assert again.returncode == 0, again.stderr
    assert [a for a in json.loads(again.stdout)["actions"] if a["status"] == "applied"] == []


def test_unreachable_crm_exits_3(acme, tmp_path: Path) -> None:
    _, config, env = acme
    text = config.read_text(encoding="utf-8")
    dead = tmp_path / "dead.toml"
    dead.write_text(_with_base_url(text, "http://127.0.0.1:9/api/v2"), encoding="utf-8")
    result = run_referee("plan", "-c", str(dead), "--now", DEMO_NOW, env=env)
    assert result.returncode == 3, result.stderr
    assert "could not reach the server" in result.stderr
    assert "Traceback" not in result.stderr


def _with_base_url(text: str, url: str) -> str:
    lines = [f'base_url = "{url}"' if line.startswith("base_url") else line for line in text.splitlines()]
    return "\n".join(lines) + "\n"


@pytest.mark.postgres
def test_sync_and_worker_at_once_apply_each_action_once(acme, pg_url: str) -> None:
    """A scheduled `sync --apply` and the webhook worker, racing on one PostgreSQL store."""
    import subprocess
    from collections import Counter

    from adapters.registry import build_adapter
    from connector.config import load_config
    from connector.inbox import Inbox
    from connector.store import Store
    from tests.cli.conftest import REFEREE

    server, config_path, env = acme
    text = config_path.read_text(encoding="utf-8")
    text = text.replace('state = "sqlite:///acme-referee.db"', f'state = "{pg_url}"').replace(
        "apply = false", "apply = true"
    )
    config_path.write_text(text, encoding="utf-8")
    assert run_referee("plan", "-c", str(config_path), "--now", DEMO_NOW, env=env).returncode == 0

    config = load_config(config_path, environ=env)
    store = Store.open(pg_url)
    try:
        adapter = build_adapter("acme", config.adapter("acme"), store=store, default_tz="UTC")
        crm = load_fake_crm()
        for lead_id in ("L-1001", "L-1002", "L-1003"):
            headers, body = crm.signed_webhook(server.crm.leads[lead_id], env["ACME_WEBHOOK_SECRET"], event_id=lead_id)
            assert Inbox(store).add("acme", adapter.verify_inbound(headers, body), body, now=datetime.now(UTC))
    finally:
        store.close()

    full_env = {**__import__("os").environ, **env}
    worker = subprocess.Popen([*REFEREE, "worker", "-c", str(config_path), "--once"], env=full_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sync = run_referee("sync", "-c", str(config_path), "--now", DEMO_NOW, "--format", "json", env=env)
    out, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, out
    assert sync.returncode == 0, sync.stderr

    writes = Counter(server.crm.requests)
    assert writes, "nothing was written"
    notes = Counter((lead_id, n["text"]) for lead_id, lead in server.crm.leads.items() for n in lead["notes"])
    assert notes and set(notes.values()) == {1}  # no note written twice
    store = Store.open(pg_url)
    try:
        applied = [e for e in store.list_journal(limit=1000) if e.status == "applied"]
    finally:
        store.close()
    assert len(applied) == len({e.idempotency_key for e in applied})
    reassigns = [r for r in server.crm.requests if r[0] == "PATCH"]
    assert len(reassigns) == len({path for _, path in reassigns})  # each lead moved at most once
