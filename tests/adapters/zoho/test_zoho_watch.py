"""Notification channels: enable, renew, and verifying what Zoho posts back."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from zoho_support import API, NOW, add_token, load, sent_json

from adapters.zoho.watch import enable_watch, load_channel, renew_if_due
from connector.domain import Module, RecordRef
from connector.errors import UsageError, WebhookRejectedError

URL = "https://referee.example.com/webhooks/zoho"


def _enable(zoho_http, adapter, kv):
    add_token(zoho_http)
    zoho_http.post(f"{API}/actions/watch", status=201, json=load("watch_enable"))
    return enable_watch(adapter, kv, URL, NOW)


def test_enable_subscribes_modules_with_a_random_token_kept_in_the_store(zoho_http, make_adapter, kv) -> None:
    adapter = make_adapter(modules=["Leads", "Deals"], activity_modules=["Calls"])
    channel = _enable(zoho_http, adapter, kv)
    [watch] = sent_json(zoho_http.calls[-1])["watch"]
    assert watch["events"] == ["Leads.all", "Deals.all", "Calls.all"]
    assert watch["notify_url"] == URL and watch["channel_id"] == channel.channel_id
    assert 20 <= len(watch["token"]) <= 50
    assert watch["channel_expiry"] == (NOW + timedelta(days=7) - timedelta(minutes=5)).isoformat()
    assert channel.expires_at == "2025-03-08T09:55:00+00:00"  # what Zoho granted
    assert load_channel(kv, "zoho") == channel
    assert enable_watch.__module__ == "adapters.zoho.watch"


def test_second_enable_rotates_the_token(zoho_http, make_adapter, kv, slept) -> None:
    adapter = make_adapter()
    first = _enable(zoho_http, adapter, kv)
    zoho_http.delete(f"{API}/actions/watch", json=load("watch_disable"))
    second = enable_watch(adapter, kv, URL, NOW)
    assert first.token != second.token
    assert [c.request.method for c in zoho_http.calls[1:]] == ["POST", "DELETE", "POST"] and slept == []


def test_watch_url_must_be_https(make_adapter, kv) -> None:
    with pytest.raises(UsageError, match="https://"):
        enable_watch(make_adapter(), kv, "http://insecure/webhooks/zoho", NOW)


def test_renew_only_when_due(zoho_http, make_adapter, kv) -> None:
    adapter = make_adapter()
    channel = _enable(zoho_http, adapter, kv)
    assert renew_if_due(adapter, kv, NOW + timedelta(days=5)) == "not-due"
    zoho_http.patch(f"{API}/actions/watch", json=load("watch_enable"))
    later = NOW + timedelta(days=6, hours=1)
    assert renew_if_due(adapter, kv, later) == "renewed"
    [watch] = sent_json(zoho_http.calls[-1])["watch"]
    assert (watch["channel_id"], watch["token"]) == (channel.channel_id, channel.token)
    assert watch["channel_expiry"] == (later + timedelta(days=7) - timedelta(minutes=5)).isoformat()


def test_renew_without_channel(make_adapter, kv) -> None:
    assert renew_if_due(make_adapter(), kv, NOW) == "not-enabled"


def test_enable_failure_is_reported(zoho_http, make_adapter, kv) -> None:
    add_token(zoho_http)
    zoho_http.post(
        f"{API}/actions/watch",
        status=202,
        json={
            "watch": [
                {
                    "code": "INVALID_DATA",
                    "details": {"api_name": "token"},
                    "message": "invalid data",
                    "status": "error",
                }
            ]
        },
    )
    with pytest.raises(Exception, match="INVALID_DATA"):
        enable_watch(make_adapter(), kv, URL, NOW)
    assert load_channel(kv, "zoho") is None


def _notification(channel, **changes) -> bytes:
    body = {**load("notification"), "channel_id": channel.channel_id, "token": channel.token, **changes}
    return json.dumps(body).encode()


def test_verify_inbound_accepts_the_stored_token(zoho_http, make_adapter, kv) -> None:
    adapter = make_adapter()
    channel = _enable(zoho_http, adapter, kv)
    event = adapter.verify_inbound({}, _notification(channel))
    assert [r.id for r in event.record_refs] == ["554023000000536001", "554023000000536002"]
    assert event.record_refs[0] == RecordRef(adapter="zoho", module=Module.LEADS, id="554023000000536001")
    assert event.meta["operation"] == "update"
    assert event.event_id.startswith(f"zoho:{channel.channel_id}:1740823200000:")
    assert adapter.verify_inbound({}, _notification(channel)).event_id == event.event_id


@pytest.mark.parametrize(
    ("change", "status"),
    [
        pytest.param({"token": "forged"}, 401, id="wrong-token"),
        pytest.param({"channel_id": "999"}, 401, id="wrong-channel"),
    ],
)
def test_verify_inbound_rejects_forgeries(zoho_http, make_adapter, kv, change, status) -> None:
    adapter = make_adapter()
    channel = _enable(zoho_http, adapter, kv)
    with pytest.raises(WebhookRejectedError) as caught:
        adapter.verify_inbound({}, _notification(channel, **change))
    assert caught.value.status == status
    assert channel.token not in str(caught.value)


def test_verify_inbound_rejects_garbage_and_unknown_channels(make_adapter) -> None:
    adapter = make_adapter()
    with pytest.raises(WebhookRejectedError) as caught:
        adapter.verify_inbound({}, b"not json")
    assert caught.value.status == 400
    with pytest.raises(WebhookRejectedError, match="no notification channel"):
        adapter.verify_inbound({}, json.dumps(load("notification")).encode())


def test_activity_notifications_carry_ids_in_meta(zoho_http, make_adapter, kv) -> None:
    adapter = make_adapter()
    channel = _enable(zoho_http, adapter, kv)
    event = adapter.verify_inbound({}, _notification(channel, module="Calls", ids=["554023000000600001"]))
    assert event.record_refs == [] and event.meta["ids"] == "554023000000600001"


def test_maintain_hook_renews_through_the_adapter_store(zoho_http, make_adapter, kv) -> None:
    """The sync pipeline calls ``maintain(now)`` once per run; it renews a channel that is due."""
    adapter = make_adapter()
    _enable(zoho_http, adapter, kv)
    assert adapter.maintain(NOW + timedelta(days=1)) == "not-due"
    zoho_http.patch(f"{API}/actions/watch", json=load("watch_enable"))
    assert adapter.maintain(NOW + timedelta(days=6, hours=1)) == "renewed"
    assert make_adapter(store=None).maintain(NOW) == "not-enabled"


NOT_SUBSCRIBED = {"watch": [{"code": "NOT_SUBSCRIBED", "details": {}, "message": "not subscribed", "status": "error"}]}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(400, NOT_SUBSCRIBED, "NOT_SUBSCRIBED: not subscribed", id="not-subscribed"),
        pytest.param(401, load("error_scope_mismatch"), "lacks the scope ZohoCRM.notifications.ALL", id="scope-lost"),
    ],
)
def test_a_failed_renewal_is_one_warning_not_an_error(zoho_http, make_adapter, kv, status, body, expected) -> None:
    adapter = make_adapter()
    channel = _enable(zoho_http, adapter, kv)
    zoho_http.patch(f"{API}/actions/watch", status=status, json=body)
    assert adapter.maintain(NOW + timedelta(days=6, hours=12)) == "failed"
    [warning] = adapter.drain_warnings()
    assert warning.code == "watch_renewal_failed"
    assert expected in warning.message and "run `referee zoho watch`" in warning.message
    assert f"notifications stop at {channel.expires_at}" in warning.message
    assert channel.token not in warning.message
    assert load_channel(kv, "zoho") == channel  # kept: `referee zoho watch` reuses its URL


def test_an_expired_channel_warns_without_a_call(zoho_http, make_adapter, kv) -> None:
    adapter = make_adapter()
    channel = _enable(zoho_http, adapter, kv)
    calls = len(zoho_http.calls)
    assert adapter.maintain(NOW + timedelta(days=8)) == "expired"
    [warning] = adapter.drain_warnings()
    assert warning.code == "watch_channel_expired" and channel.expires_at in warning.message
    assert len(zoho_http.calls) == calls


def test_watch_again_without_url_recreates_the_channel_for_the_stored_url(zoho_http, make_adapter, kv) -> None:
    adapter = make_adapter()
    first = _enable(zoho_http, adapter, kv)
    zoho_http.delete(f"{API}/actions/watch", status=400, json=NOT_SUBSCRIBED)  # Zoho forgot it already
    second = enable_watch(adapter, kv, None, NOW)
    assert second.notify_url == URL and (second.channel_id, second.token) != (first.channel_id, first.token)
    delete = next(c for c in zoho_http.calls if c.request.method == "DELETE")
    assert f"channel_ids={first.channel_id}" in delete.request.url
    assert load_channel(kv, "zoho") == second


def test_watch_without_url_and_without_a_stored_channel_is_a_usage_error(make_adapter, kv) -> None:
    with pytest.raises(UsageError, match="give --url"):
        enable_watch(make_adapter(), kv, None, NOW)
