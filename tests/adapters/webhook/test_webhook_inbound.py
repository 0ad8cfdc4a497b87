"""Inbound webhooks: the pure signature check, then parsing into an ``InboundEvent``."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import responses
from webhook_builders import BASE, NOW

from adapters.webhook.config import SignatureConfig
from adapters.webhook.signature import sign, signed_payload, verify_signature
from connector.domain import Module, RecordRef
from connector.errors import CrmApiError, WebhookRejectedError

SECRET = "whsec-abc"
BODY = b'{"event": {"id": "evt-1", "data": {"id": "L-9", "owner": {"id": "u-1"}}}}'
TS = str(int(NOW.timestamp()))
SHA256 = SignatureConfig(
    header="X-Signature", prefix="sha256=", timestamp_header="X-Timestamp", tolerance="5m"
)


def verify(
    headers: dict[str, str], body: bytes = BODY, config: SignatureConfig = SHA256, secret: str = SECRET
) -> None:
    verify_signature(headers, body, secret=secret, config=config, now=NOW)


def good_headers(config: SignatureConfig = SHA256, body: bytes = BODY, ts: str = TS) -> dict[str, str]:
    headers = {config.header: sign(body, SECRET, config, ts if config.timestamp_header else None)}
    if config.timestamp_header:
        headers[config.timestamp_header] = ts
    return headers


# -- the pure check ---------------------------------------------------------------------------------


def test_signed_string_is_timestamp_dot_body() -> None:
    assert signed_payload(b"{}", "1700000000") == b"1700000000.{}"
    expected = hmac.new(SECRET.encode(), b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign(b"{}", SECRET, SHA256, "1700000000") == "sha256=" + expected


def test_valid_signature_passes() -> None:
    verify(good_headers())


def test_header_names_are_case_insensitive_and_hex_case_is_ignored() -> None:
    headers = {k.lower(): v.upper().replace("SHA256=", "sha256=") for k, v in good_headers().items()}
    verify(headers)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        pytest.param(lambda h, b: (h, b, "other-secret"), "does not match", id="wrong-secret"),
        pytest.param(
            lambda h, b: (h, b.replace(b"u-1", b"u-2"), SECRET), "does not match", id="tampered-body"
        ),
        pytest.param(
            lambda h, b: ({"X-Timestamp": TS}, b, SECRET), "missing X-Signature", id="missing-header"
        ),
        pytest.param(
            lambda h, b: ({**h, "X-Signature": h["X-Signature"].removeprefix("sha256=")}, b, SECRET),
            'does not start with "sha256="',
            id="missing-prefix",
        ),
        pytest.param(
            lambda h, b: ({"X-Signature": h["X-Signature"]}, b, SECRET),
            "missing X-Timestamp",
            id="no-timestamp",
        ),
        pytest.param(
            lambda h, b: ({**h, "X-Timestamp": "yesterday"}, b, SECRET),
            "is not a timestamp",
            id="bad-timestamp",
        ),
        pytest.param(lambda h, b: (h, b, ""), "no inbound secret", id="no-secret-configured"),
    ],
)
def test_rejections(mutate: Callable, message: str) -> None:
    headers, body, secret = mutate(good_headers(), BODY)
    with pytest.raises(WebhookRejectedError, match=message) as info:
        verify(headers, body, secret=secret)
    assert info.value.status == 401


@pytest.mark.parametrize(
    ("offset", "accepted", "message"),
    [
        pytest.param(timedelta(minutes=-4), True, "", id="4m-old-ok"),
        pytest.param(timedelta(minutes=-6), False, "old, beyond the tolerance of 300s", id="stale"),
        pytest.param(timedelta(minutes=6), False, "in the future", id="future"),
    ],
)
def test_timestamp_tolerance(offset: timedelta, accepted: bool, message: str) -> None:
    ts = str(int((NOW + offset).timestamp()))
    headers = good_headers(ts=ts)  # correctly signed, so only freshness decides
    if accepted:
        verify(headers)
    else:
        with pytest.raises(WebhookRejectedError, match=message):
            verify(headers)


def test_iso_timestamp_header_is_accepted() -> None:
    verify(good_headers(ts=NOW.isoformat()))


def test_hmac_sha1_legacy_scheme() -> None:
    config = SignatureConfig(header="X-Hub-Signature", scheme="hmac-sha1", prefix="sha1=")
    digest = hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest()
    verify({"X-Hub-Signature": f"sha1={digest}"}, config=config)
    with pytest.raises(WebhookRejectedError, match="does not match"):
        verify({"X-Hub-Signature": f"sha1={digest}"}, body=BODY + b" ", config=config)


def test_base64_encoding() -> None:
    config = SignatureConfig(header="X-Shop-Hmac", encoding="base64")
    verify(good_headers(config), config=config)


def test_token_scheme_compares_the_shared_secret() -> None:
    config = SignatureConfig(header="X-Webhook-Token", scheme="token")
    verify({"X-Webhook-Token": SECRET}, config=config)
    with pytest.raises(WebhookRejectedError, match="does not match"):
        verify({"X-Webhook-Token": "guess"}, config=config)
    with pytest.raises(WebhookRejectedError, match="missing X-Webhook-Token"):
        verify({}, config=config)


# -- through the adapter ------------------------------------------------------------------------------


INBOUND: dict[str, Any] = {
    "secret": SECRET,
    "signature": {"header": "X-Signature", "prefix": "sha256=", "timestamp_header": "X-Timestamp"},
    "event_id": "event.id",
    "record": "event.data",
}


def test_verified_event_carries_the_mapped_record(make_adapter: Callable) -> None:
    adapter = make_adapter(inbound=INBOUND)
    event = adapter.verify_inbound(good_headers(), BODY)
    assert event.event_id == "evt-1"
    assert [(r.id, r.owner_id, r.module) for r in event.records] == [("L-9", "u-1", Module.LEADS)]


def test_event_without_id_gets_a_body_digest(make_adapter: Callable) -> None:
    adapter = make_adapter(inbound=INBOUND)
    body = b'{"event": {"data": [{"id": "L-1"}, {"id": "L-2"}]}}'
    event = adapter.verify_inbound(good_headers(body=body), body)
    assert event.event_id == "sha256:" + hashlib.sha256(body).hexdigest()
    assert [r.id for r in event.records] == ["L-1", "L-2"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b'{"event": ', "not valid JSON: Expecting value", id="truncated"),
        pytest.param(b'"just text"', "JSON but not an object", id="scalar"),
        pytest.param(b'{"event": {"id": "e"}}', 'has no record or record id at "event.data"', id="no-record"),
        pytest.param(b'{"event": {"data": {"name": "x"}}}', "has no id", id="record-without-id"),
    ],
)
def test_malformed_payload_is_400(make_adapter: Callable, body: bytes, message: str) -> None:
    adapter = make_adapter(inbound=INBOUND)
    with pytest.raises(WebhookRejectedError, match=message) as info:
        adapter.verify_inbound(good_headers(body=body), body)
    assert info.value.status == 400


def test_signature_is_checked_before_parsing(make_adapter: Callable) -> None:
    adapter = make_adapter(inbound=INBOUND)
    with pytest.raises(WebhookRejectedError) as info:
        adapter.verify_inbound({}, b"not json")
    assert info.value.status == 401


def test_adapter_without_inbound_rejects(make_adapter: Callable) -> None:
    with pytest.raises(WebhookRejectedError, match=r"no \[adapters.acme.inbound\] section") as info:
        make_adapter().verify_inbound(good_headers(), BODY)
    assert info.value.status == 404


def id_only_adapter(make_adapter: Callable) -> Any:
    inbound = {**INBOUND, "record": None, "record_id": "lead_ids", "module": "Leads"}
    return make_adapter(inbound=inbound, read={"record": {"path": "/leads/{id}", "item": "data"}})


def test_id_only_event_gives_refs_then_fetch_reads_them(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = id_only_adapter(make_adapter)
    body = json.dumps({"event_id": "e-2", "lead_ids": ["L-1", "L-gone"]}).encode()
    event = adapter.verify_inbound(good_headers(body=body), body)
    assert [str(ref) for ref in event.record_refs] == ["acme/Leads/L-1", "acme/Leads/L-gone"]
    crm_http.get(f"{BASE}/leads/L-1", json={"data": {"id": "L-1", "owner": {"id": "u-3"}}})
    crm_http.get(f"{BASE}/leads/L-gone", status=404, json={"message": "not found"})
    records = adapter.fetch_records(event.record_refs)
    assert [(r.id, r.owner_id) for r in records] == [("L-1", "u-3")]


def test_fetch_without_single_record_endpoint_is_unsupported(make_adapter: Callable) -> None:
    ref = RecordRef(adapter="acme", module=Module.LEADS, id="1")
    with pytest.raises(CrmApiError, match=r"reading single Leads records is not supported.*read.record"):
        make_adapter().fetch_records([ref])


# -- payload shapes: several modules, ids only, deletions ---------------------------------------------

CHANGES: dict[str, Any] = {
    "secret": SECRET,
    "signature": {"header": "X-Signature", "prefix": "sha256=", "timestamp_header": "X-Timestamp"},
    "changes": "events",
    "record": "object",
    "record_id": "object_id",
    "module_path": "kind",
    "modules": {"lead": "Leads", "person": "Contacts"},
    "deleted": "action == 'deleted'",
}


def changes_adapter(make_adapter: Callable) -> Any:
    read = {
        "records": [
            {"name": "leads", "module": "Leads", "path": "/leads", "fields": {"id": "id", "owner_id": "owner"}},
            {"name": "people", "module": "Contacts", "path": "/people", "fields": {"id": "pid", "email": "mail"}},
        ],
        "record": {"path": "/{module}/{id}"},
    }
    return make_adapter(inbound=CHANGES, read=read)


def test_a_list_of_changes_for_several_modules(make_adapter: Callable) -> None:
    body = json.dumps(
        {
            "events": [
                {"kind": "lead", "action": "updated", "object": {"id": "L-1", "owner": "u-1"}},
                {"kind": "person", "action": "updated", "object": {"pid": 7, "mail": "a@b.cn"}},
                {"kind": "person", "action": "updated", "object_id": 8},
                {"kind": "person.deleted", "action": "deleted", "object_id": 9},
                {"kind": "lead", "action": "deleted", "object": {"id": "L-2"}},
                {"kind": "deal", "action": "updated", "object_id": 5},
            ]
        }
    ).encode()
    event = changes_adapter(make_adapter).verify_inbound(good_headers(body=body), body)
    assert [(r.module, r.id, r.owner_id, r.emails) for r in event.records] == [
        (Module.LEADS, "L-1", "u-1", ()),
        (Module.CONTACTS, "7", None, ("a@b.cn",)),
    ]
    assert event.record_refs == [RecordRef(adapter="acme", module=Module.CONTACTS, id="8")]
    assert [str(r) for r in event.deleted] == ["acme/Contacts/9", "acme/Leads/L-2"]  # deals are not read


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"events": {"not": "a list"}}, "change 1 has no record or record id", id="object-is-one-change"),
        pytest.param({"events": "x"}, 'no list of changes at "events"', id="not-a-list"),
        pytest.param({"events": [{"kind": "lead", "object": "L-1"}]}, "is not an object", id="record-not-an-object"),
        pytest.param({"events": [{"kind": "lead", "action": "deleted"}]}, "deletion but names no record id", id="deletion-without-id"),
        pytest.param({"events": [{"kind": "lead", "object": {"id": "L-1", "owner": {"a": 1}}, "action": 1}]}, None, id="odd-but-valid"),
    ],
)
def test_unreadable_changes_are_400_with_a_reason(make_adapter: Callable, changes: Any, message: str | None) -> None:
    body = json.dumps(changes).encode()
    adapter = changes_adapter(make_adapter)
    if message is None:
        adapter.verify_inbound(good_headers(body=body), body)
        return
    with pytest.raises(WebhookRejectedError, match=message) as info:
        adapter.verify_inbound(good_headers(body=body), body)
    assert info.value.status == 400


def test_a_failing_path_in_a_payload_is_400_not_a_traceback(make_adapter: Callable) -> None:
    inbound = {**INBOUND, "event_id": "join('-', event.ids)"}
    body = b'{"event": {"ids": null, "data": {"id": "L-1"}}}'
    with pytest.raises(WebhookRejectedError, match=r"inbound.event_id: path \"join\('-', event.ids\)\" failed") as info:
        make_adapter(inbound=inbound).verify_inbound(good_headers(body=body), body)
    assert info.value.status == 400


def test_ids_are_fetched_through_the_record_endpoint_of_their_module(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = changes_adapter(make_adapter)
    crm_http.get(f"{BASE}/Contacts/8", json={"pid": 8, "mail": "c@d.cn"})
    [record] = adapter.fetch_records([RecordRef(adapter="acme", module=Module.CONTACTS, id="8")])
    assert (record.module, record.id, record.emails) == (Module.CONTACTS, "8", ("c@d.cn",))  # people's fields
