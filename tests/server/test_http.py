"""The real server process over HTTP: webhooks in, inbox, worker, /v1/check, health and metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from connector.domain import Module, RecordRef
from connector.inbox import EventStatus, Inbox
from connector.protocol import InboundEvent
from connector.store import Store
from tests.server.conftest import (
    API_KEY,
    ZOHO_CHANNEL,
    ServerProcess,
    lead_event,
    signed_headers,
    wait_for,
)

pytestmark = pytest.mark.e2e


def post_event(
    server: ServerProcess, body: bytes, headers: dict[str, str], adapter: str = "acme"
) -> httpx.Response:
    return httpx.post(f"{server.base_url}/webhooks/{adapter}", content=body, headers=headers, timeout=10)


def inbox_status(
    server: ServerProcess, event_id: str, adapter: str = "acme"
) -> tuple[EventStatus, int] | None:
    store = Store(server.state)
    try:
        for entry in Inbox(store).list(limit=1000):
            if entry.adapter == adapter and entry.event_id == event_id:
                return entry.status, entry.attempts
    finally:
        store.close()
    return None


def test_signed_webhook_is_accepted_then_processed(server: ServerProcess) -> None:
    body = lead_event("evt-signed-1", "A-100")

    response = post_event(server, body, signed_headers(body))

    assert response.status_code == 202
    assert response.json() == {
        "accepted": True,
        "duplicate": False,
        "event_id": "evt-signed-1",
        "adapter": "acme",
    }
    wait_for(lambda: inbox_status(server, "evt-signed-1") == (EventStatus.DONE, 1), what="the worker")
    store = Store(server.state)
    try:
        [record] = store.load_records(refs=[_ref("A-100")])
    finally:
        store.close()
    assert (record.company, record.owner_id, record.emails) == ("Acme Inc.", "u-wang", ("john.doe@acme.com",))
    [line] = [line for line in server.log_lines() if line.get("event_id") == "evt-signed-1"]
    assert line["adapter"] == "acme"
    assert line["outcome"] == "done"
    assert line["records"] == ["acme/Leads/A-100"]
    assert line["duration_ms"] >= 0


def test_duplicate_delivery_is_accepted_once(server: ServerProcess) -> None:
    body = lead_event("evt-dup", "A-101")

    first = post_event(server, body, signed_headers(body))
    second = post_event(server, body, signed_headers(body))

    assert (first.status_code, first.json()["duplicate"]) == (202, False)
    assert (second.status_code, second.json()["duplicate"]) == (202, True)
    store = Store(server.state)
    try:
        rows = [e for e in Inbox(store).list(limit=1000) if e.event_id == "evt-dup"]
    finally:
        store.close()
    assert len(rows) == 1


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        pytest.param({"Content-Type": "application/json"}, "missing X-Acme-Signature", id="unsigned"),
        pytest.param(None, "does not match", id="wrong-secret"),
    ],
)
def test_unsigned_or_badly_signed_webhook_is_401(
    server: ServerProcess, headers: dict[str, str] | None, fragment: str
) -> None:
    body = lead_event("evt-forged", "A-666")
    if headers is None:
        headers = signed_headers(body, secret="not-the-secret")

    response = post_event(server, body, headers)

    assert response.status_code == 401
    assert fragment in response.json()["detail"]
    assert "test-webhook-secret" not in response.text
    assert inbox_status(server, "evt-forged") is None


def test_signature_over_a_changed_body_is_401(server: ServerProcess) -> None:
    headers = signed_headers(lead_event("evt-x", "A-1"))

    response = post_event(server, lead_event("evt-x", "A-2"), headers)

    assert response.status_code == 401


def test_malformed_json_is_400_with_a_reason(server: ServerProcess) -> None:
    body = b'{"event": {"id": "evt-broken", '

    response = post_event(server, body, signed_headers(body))

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "JSON" in detail
    assert "Traceback" not in response.text


def test_body_over_one_mib_is_413(server: ServerProcess) -> None:
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'

    declared = post_event(server, body, signed_headers(body))

    assert declared.status_code == 413


def test_body_over_one_mib_without_content_length_is_413(server: ServerProcess) -> None:
    def chunks():  # streamed: chunked transfer encoding, no Content-Length
        yield b'{"pad": "'
        for _ in range(17):
            yield b"x" * 65536
        yield b'"}'

    response = httpx.post(
        f"{server.base_url}/webhooks/acme",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 413


@pytest.mark.parametrize(
    ("adapter", "fragment"),
    [
        pytest.param("nope", 'no adapter named "nope"', id="unknown"),
        pytest.param("demo", "does not accept webhooks", id="file-adapter-cannot-push"),
    ],
)
def test_unknown_or_push_less_adapter_is_404(server: ServerProcess, adapter: str, fragment: str) -> None:
    response = post_event(server, b"{}", {"Content-Type": "application/json"}, adapter=adapter)

    assert response.status_code == 404
    assert fragment in response.json()["detail"]


def zoho_notification(token: str, ids: list[str], server_time: str = "2026-11-27T10:00:00+08:00") -> bytes:
    # "Deals" is not among the test adapter's modules, so the worker needs no (unreachable) Zoho API.
    return json.dumps(
        {
            "server_time": server_time,
            "query_params": {},
            "module": "Deals",
            "resource_uri": "https://www.zohoapis.com/crm/v8/Leads",
            "ids": ids,
            "affected_fields": [],
            "operation": "update",
            "channel_id": ZOHO_CHANNEL["channel_id"],
            "token": token,
        }
    ).encode()


def test_zoho_notification_with_the_channel_token_is_accepted(server: ServerProcess) -> None:
    body = zoho_notification(ZOHO_CHANNEL["token"], ["5001", "5002"])

    first = post_event(server, body, {"Content-Type": "application/json"}, adapter="zoho")
    again = post_event(server, body, {"Content-Type": "application/json"}, adapter="zoho")

    assert first.status_code == 202
    assert first.json()["duplicate"] is False
    assert again.json() == {**first.json(), "duplicate": True}  # same channel + ids + server time


def test_zoho_notification_with_a_wrong_token_is_401(server: ServerProcess) -> None:
    body = zoho_notification("guessed-token", ["5003"])

    response = post_event(server, body, {"Content-Type": "application/json"}, adapter="zoho")

    assert response.status_code == 401
    assert ZOHO_CHANNEL["token"] not in response.text


def test_event_that_keeps_failing_is_parked_and_retry_requeues_it(server: ServerProcess) -> None:
    # An event of an adapter that was removed from the config fails on every attempt.
    store = Store(server.state)
    try:
        inbox = Inbox(store)
        event = InboundEvent(event_id="evt-orphan", record_refs=[_ref("A-900")])
        assert inbox.add("removed-crm", event, b"{}", now=datetime.now(UTC))
        wait_for(
            lambda: inbox_status(server, "evt-orphan", "removed-crm") == (EventStatus.PARKED, 2),
            what="parking",
        )
        [entry] = [e for e in inbox.list(limit=1000) if e.event_id == "evt-orphan"]
        assert 'adapter "removed-crm" is no longer configured' in (entry.error or "")
        requeued = inbox.retry(entry.seq, now=datetime.now(UTC))
    finally:
        store.close()
    assert (requeued.status, requeued.attempts) == (EventStatus.PENDING, 0)
    wait_for(
        lambda: inbox_status(server, "evt-orphan", "removed-crm") == (EventStatus.PARKED, 2),
        what="parking again",
    )
    outcomes = [line["outcome"] for line in server.log_lines() if line.get("event_id") == "evt-orphan"]
    assert outcomes == ["retry", "parked", "retry", "parked"]


def test_check_without_or_with_a_wrong_key_is_401(server: ServerProcess) -> None:
    candidate = {"company": "Acme Inc."}

    missing = httpx.post(f"{server.base_url}/v1/check", json=candidate, timeout=10)
    wrong = httpx.post(
        f"{server.base_url}/v1/check", json=candidate, headers={"Authorization": "Bearer nope"}, timeout=10
    )

    assert missing.status_code == 401
    assert wrong.status_code == 401
    assert API_KEY not in wrong.text


def test_check_with_the_key_finds_the_stored_customer(server: ServerProcess) -> None:
    body = lead_event(
        "evt-check", "A-200", company={"name": "Globex Shanghai Ltd.", "website": "https://globex.cn"}
    )
    post_event(server, body, signed_headers(body))
    wait_for(lambda: inbox_status(server, "evt-check") == (EventStatus.DONE, 1), what="the worker")

    response = httpx.post(
        f"{server.base_url}/v1/check",
        json={"company": "Globex Shanghai Ltd", "website": "globex.cn"},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
    )

    assert response.status_code == 200, response.text
    assert "A-200" in response.text


def test_check_accepts_email_and_phone_like_the_cli(server: ServerProcess) -> None:
    body = lead_event("evt-check-email", "A-300", contact={"email": "mei.lin@initech.cn", "phone": "+86 21 5555 0101"})
    post_event(server, body, signed_headers(body))
    wait_for(lambda: inbox_status(server, "evt-check-email") == (EventStatus.DONE, 1), what="the worker")
    auth = {"Authorization": f"Bearer {API_KEY}"}

    by_email = httpx.post(f"{server.base_url}/v1/check", json={"email": "MEI.LIN@initech.cn"}, headers=auth, timeout=10)
    by_phone = httpx.post(f"{server.base_url}/v1/check", json={"phone": ["+86 21 5555 0101"]}, headers=auth, timeout=10)

    assert by_email.status_code == 200, by_email.text
    assert by_phone.status_code == 200, by_phone.text
    assert "A-300" in by_email.text and "A-300" in by_phone.text


def test_check_rejects_unknown_fields_with_422(server: ServerProcess) -> None:
    response = httpx.post(
        f"{server.base_url}/v1/check",
        json={"compnay": "typo"},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
    )

    assert response.status_code == 422
    assert "compnay" in response.json()["detail"]


def test_health_and_readiness(server: ServerProcess) -> None:
    health = httpx.get(f"{server.base_url}/healthz", timeout=10)
    ready = httpx.get(f"{server.base_url}/readyz", timeout=10)

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["schema_version"] == ready.json()["expected_schema_version"]


def test_metrics_count_webhooks_and_processing(server: ServerProcess) -> None:
    body = lead_event("evt-metrics", "A-300")
    post_event(server, body, signed_headers(body))
    post_event(server, b"{}", {"Content-Type": "application/json"}, adapter="nope")
    wait_for(lambda: inbox_status(server, "evt-metrics") == (EventStatus.DONE, 1), what="the worker")

    text = httpx.get(f"{server.base_url}/metrics", timeout=10).text

    assert 'referee_webhook_events_received_total{adapter="acme",outcome="accepted"}' in text
    assert 'referee_webhook_events_received_total{adapter="unknown",outcome="unknown_adapter"}' in text
    assert 'referee_events_processed_total{adapter="acme"}' in text
    assert "referee_event_processing_seconds_bucket" in text
    assert "referee_inbox_depth" in text
    assert "referee_crm_api_calls" in text


def test_openapi_document_describes_every_endpoint_with_examples(server: ServerProcess) -> None:
    doc = httpx.get(f"{server.base_url}/openapi.json", timeout=10).json()

    paths = doc["paths"]
    assert {"/webhooks/{adapter}", "/v1/check", "/healthz", "/readyz", "/metrics"} <= set(paths)
    assert paths["/webhooks/{adapter}"]["post"]["requestBody"]["content"]["application/json"]["example"]
    schemas = doc["components"]["schemas"]
    for name in ("CheckCandidate", "WebhookAccepted", "Problem", "Readiness"):
        assert schemas[name].get("examples"), name


def _ref(record_id: str) -> RecordRef:
    return RecordRef(adapter="acme", module=Module.LEADS, id=record_id)


def test_metrics_show_the_latest_syncs_warnings(server: ServerProcess) -> None:
    from datetime import UTC, datetime

    from connector.run_warnings import RunWarning
    from connector.store import Store

    store = Store.open(server.state)
    try:
        now = datetime(2031, 1, 1, tzinfo=UTC)  # later than any run the other tests start
        run_id = store.start_run(mode="apply", adapters=["zoho"], now=now)
        warning = RunWarning("zoho", "watch_renewal_failed", "the notification channel could not be renewed")
        store.finish_run(run_id, now=now, status="ok", counts={}, warnings=[warning])
    finally:
        store.close()
    text = httpx.get(f"{server.base_url}/metrics", timeout=10).text
    assert 'referee_last_sync_warnings{adapter="zoho",code="watch_renewal_failed"} 1.0' in text
