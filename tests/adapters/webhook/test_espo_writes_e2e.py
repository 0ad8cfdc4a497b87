"""The acceptance case of issue 12, writes included, through the real CLI.

The fake EspoCRM lists activities only per record, stores tags as ids of a Tag entity (a PUT
replaces the whole list), signs webhooks ``t=…,v1=…`` and answers errors with ``{"error": …}``
bodies, sometimes with HTTP 200. ``examples/espo-crm/config.toml`` connects it by configuration
alone: ``referee sync --apply`` in a subprocess finds every duplicate pursuit, lands each flag,
reassign and note once (and is journaled applied), a second run writes nothing, and ``referee serve`` refuses a forged
webhook with 401.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connector.domain import NOTE_MARK
from connector.store import Store
from examples.fakes.base import Running, serve
from examples.fakes.espo import INTEGRATION_USER, EspoCrm, signed_event
from tests.adapters.webhook.test_espo_e2e import ENV, PURSUITS, pursuits
from tests.cli.conftest import DEMO_NOW, ROOT, run_referee
from tests.server.conftest import ServerProcess, free_port

pytestmark = pytest.mark.e2e
MODULE_ENTITY = {"Leads": "Lead", "Contacts": "Contact"}


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


def sync_apply(config: Path) -> dict[str, Any]:
    result = run_referee("sync", "-c", str(config), "--now", DEMO_NOW, "--apply", "--format", "json", env=ENV)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def test_configuration_alone_connects_the_crm_and_every_write_lands_once(
    espo: tuple[Running, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    running, config = espo
    crm: EspoCrm = running.crm  # type: ignore[assignment]

    first = sync_apply(config)

    assert pursuits(first) == PURSUITS
    statuses = Counter((a["type"], a["status"]) for a in first["actions"])
    assert set(statuses) == {("reassign", "applied"), ("flag", "applied"), ("note", "applied")}, first[
        "actions"
    ]
    assert statuses[("reassign", "applied")] == 4
    # each reassign moved the record to the keeper, and only that record
    for action in (a for a in first["actions"] if a["type"] == "reassign"):
        row = crm.records[MODULE_ENTITY[action["module"]]][action["id"]]
        assert row["assignedUserId"] == action["new_owner_id"] and row["assignedUsersIds"] == [
            action["new_owner_id"]
        ]
    # one tag was created by name and merged into each flagged record's ids, keeping the others
    [created] = [t for t in crm.tags.values() if t["name"] == "referee:conflict"]
    flagged = {(a["module"], a["id"]) for a in first["actions"] if a["type"] == "flag"}
    for module, ident in flagged:
        assert crm.records[MODULE_ENTITY[module]][ident]["tagsIds"].count(created["id"]) == 1
    assert crm.records["Lead"]["L1"]["tagsIds"] == ["tag-vip", created["id"]]
    assert crm.calls("POST", r"/api/v1/Tag") == 1
    # one note per noted record, posted as the integration user with the mark
    ours = Counter(
        (n["parentType"], n["parentId"])
        for n in crm.notes
        if n["createdById"] == INTEGRATION_USER and n["post"].startswith(NOTE_MARK)
    )
    noted = {(MODULE_ENTITY[a["module"]], a["id"]) for a in first["actions"] if a["type"] == "note"}
    assert set(ours) - {("Lead", "L8")} == noted and all(ours[k] == 1 for k in noted)
    writes = crm.writes()
    assert writes == len(first["actions"]) + 1  # every action once, plus creating the tag
    store = Store.open(f"sqlite:///{config.parent / 'state.db'}")
    try:
        journal = store.list_journal(limit=1000)
    finally:
        store.close()
    assert len(journal) == len(first["actions"]) and {e.status.value for e in journal} == {"applied"}

    second = sync_apply(config)

    assert crm.writes() == writes, "a second run must write nothing"
    assert second["actions"] == []
    assert second["counts"]["actions_applied"] == 0
    assert second["warnings"] == []

    # webhooks: a forged signature is refused by the real server
    text = config.read_text(encoding="utf-8").replace(
        "[adapters.espo]", '[server.worker]\npoll_interval = "0.1s"\n\n[adapters.espo]'
    )
    config.write_text(text, encoding="utf-8")
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    server = ServerProcess.serve(config, free_port())
    try:
        headers, body = signed_event(
            "Lead.update", "L1", "forged", event_id="evt_x", timestamp=int(time.time())
        )
        forged = httpx.post(f"{server.base_url}/webhooks/espo", content=body, headers=headers, timeout=10)
        assert forged.status_code == 401
    finally:
        server.stop()
    assert "Traceback" not in server.log_text()
