"""End to end against a real HTTP server: the Acme demo CRM from ``examples/acme-crm/fake_crm.py``.

The adapter is built from the example config exactly as ``referee`` would load it (only
``base_url`` points at the server's random port), pulls every stream over real sockets, and its
writes are checked in the server's own in-memory data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest
from webhook_builders import ROOT, an_action, load_fake_crm

from adapters.webhook.adapter import WebhookAdapter
from adapters.webhook.config import WebhookAdapterConfig
from connector.config import load_config
from connector.domain import ActionStatus, ActionType, Record
from connector.errors import AuthError, WebhookRejectedError
from connector.http import HttpClient
from connector.protocol import CrmAdapter, WebhookSource

DEMO_NOW = datetime.fromisoformat("2026-11-27T10:00:00+08:00")
CRM_CLOCK = datetime(2026, 11, 27, 2, 5, tzinfo=UTC)  # when the demo CRM stamps our writes
SECRET = "demo-webhook-secret"


@pytest.fixture
def fake_crm() -> ModuleType:
    return load_fake_crm()


@pytest.fixture
def acme(fake_crm: ModuleType) -> Iterator[tuple[Any, WebhookAdapter]]:
    """The running demo CRM and an adapter configured by ``examples/acme-crm/config.toml``."""
    server, thread, base_url = fake_crm.serve(0, clock=lambda: CRM_CLOCK)
    env = {"ACME_TOKEN": fake_crm.DEFAULT_TOKEN, "ACME_WEBHOOK_SECRET": SECRET}
    section = load_config(ROOT / "examples/acme-crm/config.toml", environ=env).adapters["acme"]
    assert isinstance(section, WebhookAdapterConfig)
    config = section.model_copy(update={"base_url": base_url})
    http = HttpClient("acme", timeout=5, sleep=lambda _: None)
    adapter = WebhookAdapter(
        "acme", config, store=None, default_tz="Asia/Shanghai", clock=lambda: DEMO_NOW, http=http
    )
    try:
        yield server, adapter
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def pull_all(adapter: WebhookAdapter, cursors: dict[str, str] | None = None) -> tuple[dict, dict, dict]:
    records: dict[str, Record] = {}
    activities: dict[str, Any] = {}
    saved: dict[str, str] = {}
    for batch in adapter.pull(cursors or {}):
        records.update({r.id: r for r in batch.records})
        activities.update({a.id: a for a in batch.activities})
        if batch.cursor is not None:
            saved[batch.stream] = batch.cursor
    return records, activities, saved


def test_pull_reads_every_page_of_every_stream(acme: tuple[Any, WebhookAdapter]) -> None:
    _, adapter = acme
    assert isinstance(adapter, CrmAdapter) and isinstance(adapter, WebhookSource)
    users = adapter.pull_users()
    assert [u.id for u in users] == ["u-li", "u-zhang", "u-wang", "u-zhao", "u-chen"]
    assert [u.id for u in users if not u.active] == ["u-zhao"]

    records, activities, cursors = pull_all(adapter)
    assert sorted(records) == ["L-1001", "L-1002", "L-1003", "L-1004", "L-1005"]
    assert sorted(activities) == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert cursors == {"records": "2026-11-27T08:30:00+08:00", "activities": "2026-11-26T14:00:00+08:00"}
    # 5 users, 5 leads and 5 activities at 2 per page: 3 pages each, all over real HTTP
    assert adapter.api_calls() == {"GET /users": 3, "GET /leads": 3, "GET /activities": 3}

    l1001 = records["L-1001"]
    assert (l1001.owner_id, l1001.company, l1001.first_name, l1001.city) == (
        "u-li",
        "Bright Optics",
        "Wei",
        "Shenzhen",
    )
    assert l1001.emails == ("chen.wei@brightoptics.cn",) and l1001.extra == {"source": "website", "notes": []}
    assert activities["A-2"].kind == "meeting" and activities["A-1"].record == l1001.ref


def test_seeded_data_holds_a_duplicate_pursuit_and_a_missed_first_contact(
    acme: tuple[Any, WebhookAdapter],
) -> None:
    _, adapter = acme
    records, activities, _ = pull_all(adapter)
    same_email = [r for r in records.values() if "chen.wei@brightoptics.cn" in r.emails]
    pursuers = {a.owner_id for a in activities.values() for r in same_email if a.record == r.ref}
    assert sorted(r.id for r in same_email) == ["L-1001", "L-1002"] and pursuers == {"u-li", "u-zhang"}

    def first_contact_missed(record: Record) -> bool:
        start = record.assigned_at or record.created_at
        assert start is not None
        due = start + timedelta(hours=24)
        touches = [a.occurred_at for a in activities.values() if a.record == record.ref and a.kind != "note"]
        return due < DEMO_NOW and not any(start <= t <= due for t in touches)

    assert [r.id for r in sorted(records.values(), key=lambda r: r.id) if first_contact_missed(r)] == [
        "L-1003"
    ]


def test_writes_land_in_the_crm(acme: tuple[Any, WebhookAdapter]) -> None:
    server, adapter = acme
    leads = server.crm.leads
    _, _, cursors = pull_all(adapter)  # a first sync, before any write
    results = adapter.apply(
        [
            an_action(ActionType.REASSIGN, "L-1002", new_owner_id="u-li", previous_owner_id="u-zhang"),
            an_action(ActionType.FLAG, "L-1001", tag="referee:conflict"),
            an_action(ActionType.FLAG, "L-1002", tag="referee:conflict"),
            an_action(ActionType.FLAG, "L-1003", tag="referee:sla-breach"),
            an_action(ActionType.NOTE, "L-1002", text="Reassigned to Li Na: she touched the customer first."),
            an_action(
                ActionType.REASSIGN, "L-1001", new_owner_id="u-chen", previous_owner_id="u-wang"
            ),  # stale
            an_action(ActionType.REASSIGN, "L-1004", new_owner_id="u-nobody", previous_owner_id="u-wang"),
        ]
    )
    assert [r.status for r in results] == [ActionStatus.APPLIED] * 5 + [
        ActionStatus.SKIPPED,
        ActionStatus.FAILED,
    ]
    assert "changed meanwhile in acme (HTTP 409): lead L-1001 is now owned by u-li" in results[5].message
    assert "HTTP 422: unknown user 'u-nobody'" in results[6].message

    assert leads["L-1002"]["owner"] == {"id": "u-li", "assigned_at": "2026-11-27T02:05:00+00:00"}
    assert leads["L-1001"]["owner"]["id"] == "u-li"  # the stale reassignment changed nothing
    assert leads["L-1004"]["owner"]["id"] == "u-wang"
    assert {k: leads[k]["tags"] for k in ("L-1001", "L-1002", "L-1003")} == {
        "L-1001": ["referee:conflict"],
        "L-1002": ["referee:conflict"],
        "L-1003": ["referee:sla-breach"],
    }
    assert [n["text"] for n in leads["L-1002"]["notes"]] == [
        "Reassigned to Li Na: she touched the customer first."
    ]

    # the next incremental pull sees exactly what changed (plus the boundary lead at the old cursor)
    changed, _, after = pull_all(adapter, cursors)
    assert sorted(changed) == ["L-1001", "L-1002", "L-1003", "L-1004"]
    assert changed["L-1002"].owner_id == "u-li" and changed["L-1003"].tags == ("referee:sla-breach",)
    assert after["records"] == "2026-11-27T02:05:00+00:00"


def test_webhook_from_the_crm_is_verified_and_records_refetched(
    acme: tuple[Any, WebhookAdapter], fake_crm: ModuleType
) -> None:
    server, adapter = acme
    lead = server.crm.leads["L-1003"]
    headers, body = fake_crm.signed_webhook(
        lead, SECRET, event_id="evt-77", timestamp=int(DEMO_NOW.timestamp())
    )
    event = adapter.verify_inbound(headers, body)
    assert event.event_id == "evt-77" and [r.id for r in event.records] == ["L-1003"]

    [fresh] = adapter.fetch_records([event.records[0].ref])
    assert (fresh.id, fresh.owner_id, fresh.company) == ("L-1003", "u-wang", "Harbor Tech")

    forged_headers, _ = fake_crm.signed_webhook(
        lead, "not-the-secret", event_id="evt-78", timestamp=int(DEMO_NOW.timestamp())
    )
    with pytest.raises(WebhookRejectedError, match="does not match"):
        adapter.verify_inbound(forged_headers, body)


def test_wrong_token_is_an_auth_error(fake_crm: ModuleType) -> None:
    server, thread, base_url = fake_crm.serve(0)
    try:
        config = WebhookAdapterConfig.model_validate(
            {
                "kind": "webhook",
                "base_url": base_url,
                "auth": {"type": "bearer", "token": "wrong"},
                "read": {"users": {"path": "/users", "items": "data", "fields": {"id": "id"}}},
            }
        )
        adapter = WebhookAdapter("acme", config, store=None, default_tz="UTC")
        with pytest.raises(AuthError, match="HTTP 401: invalid or missing API token"):
            adapter.pull_users()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
