"""The example configs for HubSpot, Pipedrive and Salesforce, each against its fake.

``referee plan`` runs in a subprocess on each shipped config (only the fake's address is put
in), then the patterns each API is there to show are checked in process: token refresh and
caching, webhooks for several modules, deletions, and the integration user's own work.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.webhook.adapter import WebhookAdapter
from connector.config import parse_config
from connector.domain import Module, RecordRef
from connector.errors import WebhookRejectedError
from connector.store import Store
from connector.sync import SyncOptions, run_sync
from examples.fakes import hubspot, pipedrive, salesforce
from examples.fakes.base import FakeCrm, Running, serve
from tests.cli.conftest import DEMO_NOW, ROOT, run_referee

NOW = datetime.fromisoformat(DEMO_NOW)
ENV = {
    "hubspot": {
        "HUBSPOT_CLIENT_ID": hubspot.CLIENT_ID,
        "HUBSPOT_CLIENT_SECRET": hubspot.CLIENT_SECRET,
        "HUBSPOT_REFRESH_TOKEN": hubspot.REFRESH_TOKEN,
    },
    "pipedrive": {"PIPEDRIVE_API_TOKEN": pipedrive.DEFAULT_TOKEN, "PIPEDRIVE_WEBHOOK_CREDENTIALS": "referee:hook-pw"},
    "salesforce": {"SF_CLIENT_ID": salesforce.CLIENT_ID, "SF_CLIENT_SECRET": salesforce.CLIENT_SECRET},
}
DEFAULT_PORT = {"hubspot": "127.0.0.1:8767", "pipedrive": "127.0.0.1:8768", "salesforce": "localhost:8769"}
EXPECTED = {
    "hubspot": {frozenset({"Contacts/501", "Contacts/502"})},
    "pipedrive": {frozenset({"Contacts/301", "Leads/adf21080-0e10-11eb-879b-05d71fb426ec"})},
    "salesforce": {frozenset({"Leads/00Q000000000001", "Contacts/003000000000001"})},
}


def _fake(name: str) -> FakeCrm:
    clock: Callable[[], datetime] = lambda: NOW  # noqa: E731
    if name == "hubspot":
        return hubspot.HubSpot(clock=clock)
    if name == "salesforce":
        return salesforce.Salesforce(clock=clock)
    return pipedrive.Pipedrive()


class Example:
    """A running fake and the example config pointed at it."""

    def __init__(self, name: str, tmp_path: Path) -> None:
        self.name = name
        self.running: Running = serve(_fake(name))
        port = self.running.url.rsplit(":", 1)[1]
        host = DEFAULT_PORT[name].split(":")[0]
        if isinstance(self.running.crm, salesforce.Salesforce):
            self.running.crm.instance_url = self.running.url  # 127.0.0.1: another host than base_url's
        text = (ROOT / f"examples/{name}/config.toml").read_text(encoding="utf-8")
        text = text.replace(DEFAULT_PORT[name], f"{host}:{port}")
        text = text.replace(f'state = "sqlite:///{name}-referee.db"', f'state = "sqlite:///{tmp_path / "state.db"}"')
        self.path = tmp_path / f"{name}.toml"
        self.path.write_text(text, encoding="utf-8")
        self.config = parse_config(tomllib.loads(text), environ=ENV[name])
        self.state = f"sqlite:///{tmp_path / 'state.db'}"

    @property
    def crm(self) -> Any:
        return self.running.crm

    def adapter(self, store: Store | None) -> WebhookAdapter:
        section = self.config.adapters[self.name]
        return WebhookAdapter(self.name, section, store=store, default_tz="Asia/Shanghai", clock=lambda: NOW)  # type: ignore[arg-type]


@pytest.fixture(params=["hubspot", "pipedrive", "salesforce"])
def example(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Example]:
    running = Example(request.param, tmp_path)
    try:
        yield running
    finally:
        running.running.stop()


def _example(name: str, tmp_path: Path) -> Iterator[Example]:
    running = Example(name, tmp_path)
    try:
        yield running
    finally:
        running.running.stop()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Example]:
    yield from _example("hubspot", tmp_path)


@pytest.fixture
def pd(tmp_path: Path) -> Iterator[Example]:
    yield from _example("pipedrive", tmp_path)


@pytest.fixture
def sf(tmp_path: Path) -> Iterator[Example]:
    yield from _example("salesforce", tmp_path)


@pytest.mark.e2e
def test_referee_plan_on_the_example_finds_its_pursuit(example: Example) -> None:
    result = run_referee("plan", "-c", str(example.path), "--now", DEMO_NOW, "--format", "json", env=ENV[example.name])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    found = {frozenset(f"{r['module']}/{r['id']}" for r in f["records"]) for f in report["findings"] if f["kind"] == "pursuit"}
    assert found == EXPECTED[example.name]
    assert report["warnings"] == []


def sync(example: Example, store: Store, *, full: bool = False) -> None:
    run_sync(example.config, store, {example.name: example.adapter(store)}, SyncOptions(now=NOW, full=full))


# -- HubSpot: OAuth refresh token, search in a POST body, v3 signatures, several modules -------------


def test_hubspot_token_is_cached_across_runs_and_refreshed_once_on_401(hub: Example, tmp_path: Path) -> None:
    store = Store.open(hub.state)
    try:
        sync(hub, store)
        assert hub.crm.refreshes == 1
        sync(hub, store)  # a second run (a new adapter, as cron starts it) reuses the stored token
        assert hub.crm.refreshes == 1
        hub.crm.expire_tokens()
        adapter = hub.adapter(store)
        assert [u.id for u in adapter.pull_users()] == ["101", "102", "103"]
        assert hub.crm.refreshes == 2 and adapter.api_calls()["GET /crm/v3/owners"] == 2  # 401, then the retry
    finally:
        store.close()


def test_hubspot_search_sends_after_in_the_body_and_the_cursor_in_the_filter(hub: Example) -> None:
    store = Store.open(hub.state)
    try:
        sync(hub, store)
        cursors = store.get_cursors("hubspot")
    finally:
        store.close()
    assert cursors["contacts"] == "2026-11-26T06:30:00.000Z" and cursors["companies"] == "2026-11-20T00:00:00.000Z"


def test_hubspot_webhook_with_changes_for_two_modules_and_a_deletion(hub: Example) -> None:
    adapter = hub.adapter(None)
    url = "https://referee.example.com/webhooks/hubspot"
    events = [
        {"eventId": 1, "subscriptionId": 7, "portalId": 62515, "appId": 54321, "occurredAt": 1764208800000, "subscriptionType": "contact.propertyChange", "attemptNumber": 0, "objectId": 501, "propertyName": "email", "propertyValue": "x@y.cn", "changeSource": "CRM"},
        {"eventId": 2, "subscriptionId": 8, "portalId": 62515, "appId": 54321, "occurredAt": 1764208800000, "subscriptionType": "company.deletion", "attemptNumber": 0, "objectId": 701, "changeSource": "CRM"},
        {"eventId": 3, "subscriptionId": 9, "portalId": 62515, "appId": 54321, "occurredAt": 1764208800000, "subscriptionType": "deal.creation", "attemptNumber": 0, "objectId": 9, "changeSource": "CRM"},
    ]
    headers, body = hubspot.signed_webhook(events, hubspot.CLIENT_SECRET, url, timestamp_ms=int(NOW.timestamp() * 1000))
    # behind a proxy the server sees another URL: public_url is what HubSpot signed
    event = adapter.verify_inbound(headers, body, method="POST", url="http://10.0.0.5:8080/webhooks/hubspot")
    assert event.record_refs == [RecordRef(adapter="hubspot", module=Module.CONTACTS, id="501")]
    assert event.deleted == [RecordRef(adapter="hubspot", module=Module.ACCOUNTS, id="701")]  # deals: not read
    [fresh] = adapter.fetch_records(event.record_refs)
    assert (fresh.id, fresh.owner_id, fresh.emails) == ("501", "101", ("chen.wei@brightoptics.cn",))

    forged, _ = hubspot.signed_webhook(events, "another-secret", url, timestamp_ms=int(NOW.timestamp() * 1000))
    with pytest.raises(WebhookRejectedError, match="does not match"):
        adapter.verify_inbound(forged, body, url=url)
    stale, _ = hubspot.signed_webhook(events, hubspot.CLIENT_SECRET, url, timestamp_ms=int((NOW - timedelta(minutes=6)).timestamp() * 1000))
    with pytest.raises(WebhookRejectedError, match="beyond the tolerance of 300s"):
        adapter.verify_inbound(stale, body, url=url)


# -- Pipedrive: next_start offsets, deleted flag, missing from a full read, Basic-auth webhooks -------


def test_pipedrive_archived_leads_and_deleted_persons_leave_the_store(pd: Example) -> None:
    store = Store.open(pd.state)
    try:
        sync(pd, store)
        ids = {r.id for r in store.load_records("pipedrive")}
        assert "b1e8f6a0-0e10-11eb-879b-05d71fb426ec" not in ids and {"301", "302"} <= ids
        activities = {a.id for a in store.load_activities("pipedrive")}
        assert activities == {"801", "802"}  # 803 is the integration user's task
        pd.crm.delete_person(302)
        sync(pd, store)  # persons are a full read every sync: missing means deleted
        assert "302" not in {r.id for r in store.load_records("pipedrive")}
    finally:
        store.close()


def test_pipedrive_webhook_carries_the_record_and_deletions_by_id(pd: Example) -> None:
    adapter = pd.adapter(None)
    person = dict(pd.crm.persons[0], owner_id=12, org_id=21, org_name="Bright Optics")  # v1 webhook shape
    headers, body = pipedrive.webhook("updated", "person", person, None, 301, user="referee", password="hook-pw")
    event = adapter.verify_inbound(headers, body)
    [record] = event.records
    assert (record.id, record.module, record.owner_id, record.account_id) == ("301", Module.CONTACTS, "12", "21")

    headers, body = pipedrive.webhook("deleted", "person", None, person, 301, user="referee", password="hook-pw")
    assert adapter.verify_inbound(headers, body).deleted == [RecordRef(adapter="pipedrive", module=Module.CONTACTS, id="301")]
    headers, body = pipedrive.webhook("updated", "person", person, None, 301, user="referee", password="wrong")
    with pytest.raises(WebhookRejectedError, match="Authorization does not match"):
        adapter.verify_inbound(headers, body)


# -- Salesforce: client credentials, instance_url, nextRecordsUrl, getDeleted, integration user ------


def test_salesforce_calls_the_instance_host_and_reauthenticates_after_session_expiry(sf: Example) -> None:
    store = Store.open(sf.state)
    try:
        sync(sf, store)
        api_hosts = {h for h in sf.crm.hosts if h.startswith("127.0.0.1")}
        assert api_hosts and all(h.startswith("localhost") for h in sf.crm.hosts[:1])  # the token call
        sf.crm.end_sessions()
        sync(sf, store)
        assert sf.crm.calls("POST", "/services/oauth2/token") == 2
        activities = {a.id for a in store.load_activities("salesforce")}
        assert activities == {"00T000000000001", "00T000000000002"}  # 00T…003 is the integration user's
    finally:
        store.close()


def test_salesforce_deleted_records_endpoint_removes_them(sf: Example) -> None:
    store = Store.open(sf.state)
    try:
        sync(sf, store)
        sf.crm.delete("Lead", "00Q000000000002", NOW)  # after the first read's window closed
        sync(sf, store)
        assert "00Q000000000002" not in {r.id for r in store.load_records("salesforce")}
        deleted_calls = [q for m, p, q in sf.crm.requests if p.endswith("/sobjects/Lead/deleted/")]
        first, second = deleted_calls[0], deleted_calls[-1]
        assert first["start"] == ["2026-11-13T02:00:00Z"] and first["end"] == ["2026-11-27T02:00:00Z"]  # 14 days back
        assert second["start"] == ["2026-11-27T02:00:00Z"]  # latestDateCovered of the first read
    finally:
        store.close()
