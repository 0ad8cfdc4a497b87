"""The ``[adapters.<name>]`` webhook section: what it accepts, what it refuses, what validate prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from webhook_builders import BASE_CONFIG, ROOT, make_config, merge

from adapters.webhook.config import WebhookAdapterConfig, describe
from connector.config import load_config, parse_config
from connector.errors import ConfigError

EXAMPLE = ROOT / "examples" / "acme-crm" / "config.toml"


def test_example_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_TOKEN", "acme-demo-token")
    monkeypatch.setenv("ACME_WEBHOOK_SECRET", "demo-webhook-secret")
    config = load_config(EXAMPLE)
    acme = config.adapters["acme"]
    assert isinstance(acme, WebhookAdapterConfig)
    assert acme.auth is not None and acme.auth.type == "bearer"
    assert acme.auth.token.get_secret_value() == "acme-demo-token"
    assert acme.inbound is not None and acme.inbound.secret.get_secret_value() == "demo-webhook-secret"
    assert acme.timeout.total_seconds() == 20
    assert len(acme.read.records) == 1 and acme.read.records[0].pagination.style == "cursor"
    assert {"reassign", "flag", "note"} == {t for t in ("reassign", "flag", "note") if getattr(acme.write, t)}
    assert config.rules.pursuit and config.rules.sla


def test_example_config_needs_its_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACME_TOKEN", raising=False)
    monkeypatch.setenv("ACME_WEBHOOK_SECRET", "x")
    with pytest.raises(ConfigError, match="environment variable ACME_TOKEN is not set"):
        load_config(EXAMPLE)


def test_describe_lists_capabilities_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_TOKEN", "tok-never-printed")
    monkeypatch.setenv("ACME_WEBHOOK_SECRET", "sec-never-printed")
    lines = describe(load_config(EXAMPLE).adapters["acme"])  # type: ignore[arg-type]
    text = "\n".join(lines)
    assert "never-printed" not in text
    assert "read records: GET /leads (cursor pagination, incremental on updated_at" in text
    assert "write reassign: PATCH /leads/{id}" in text
    assert (
        "inbound webhooks: hmac-sha256 in X-Acme-Signature over {timestamp}.{body}, timestamp in "
        "X-Acme-Timestamp within 5m; record at event.data" in text
    )


def test_describe_reports_unsupported_writes() -> None:
    config = make_config(write={"flag": None, "reassign": None})
    lines = describe(config)
    assert (
        "write flag: not supported (no write.flag); a dry run lists flag actions as planned, "
        "--apply journals them skipped with that reason"
    ) in lines
    assert any(line.startswith("write note: not supported (no write.note)") for line in lines)
    assert any(line.startswith("read activities: not configured") for line in lines)
    assert lines[-1].startswith("inbound webhooks: not configured")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"base_url": "crm.example.com"}, "must be an http:// or https:// URL", id="base-url-scheme"),
        pytest.param({"base_url": "http://"}, "with a host", id="base-url-no-host"),
        pytest.param({"base_url": "https://crm.example.com:99999"}, "with a host", id="base-url-bad-port"),
        pytest.param({"timeout": "0s"}, "timeout must be between", id="zero-timeout"),
        pytest.param({"auth": {"type": "oauth"}}, "does not match any of the expected tags", id="auth-type"),
        pytest.param({"auth": {"type": "basic", "username": "u"}}, "password", id="basic-needs-password"),
        pytest.param(
            {"read": {"records": {"fields": {"owner_id": "owner..id"}}}},
            "is not a valid field path",
            id="bad-path",
        ),
        pytest.param(
            {"read": {"records": {"pagination": {"style": "cursor", "param": "c"}}}},
            'style "cursor" needs param',
            id="cursor-needs-next",
        ),
        pytest.param(
            {"read": {"records": {"pagination": {"style": "page", "stop": "short"}}}},
            'stop = "short" needs limit',
            id="short-needs-limit",
        ),
        pytest.param(
            {"read": {"records": {"pagination": {"style": "scroll"}}}}, "Input should be", id="style"
        ),
        pytest.param(
            {"write": {"flag": {"path": "/leads/{lead}/tags"}}},
            r"unknown placeholder \{lead\}",
            id="write-placeholder",
        ),
        pytest.param(
            {"read": {"records": {"fields": {"id": None}}}}, "fields.id is required", id="id-required"
        ),
        pytest.param(
            {
                "write": {
                    "flag": {
                        "path": "/leads/{id}",
                        "merge": {"field": "tags", "current": "tags", "add": "{tag}"},
                    }
                }
            },
            r"merge works on the record as it is now, so add current = \{ path",
            id="merge-needs-current",
        ),
        pytest.param(
            {"write": {"flag": {"path": "/leads/{id}", "body": {"t": "{tag_id}"}}}},
            r"unknown placeholder \{tag_id\}",
            id="tag-id-needs-lookup",
        ),
        pytest.param(
            {"write": {"flag": {"path": "/l/{id}", "current": {"path": "/l/{id}"}, "drop": ["id"]}}},
            "drop leaves keys out of the whole record, so it needs whole = true",
            id="drop-needs-whole",
        ),
        pytest.param(
            {"write": {"note": [{"path": "/n", "module": "Leads"}, {"path": "/m", "module": "Leads"}]}},
            "write.note has two endpoints for module Leads",
            id="one-endpoint-per-module",
        ),
        pytest.param(
            {"write": {"note": {"path": "/n", "success": "status =="}}},
            "is not a valid field path",
            id="success-path",
        ),
        pytest.param(
            {"read": {"users": {"path": "/u", "fields": {"id": "id", "phone": "p"}}}},
            "read.users.fields: unknown field phone",
            id="user-field",
        ),
        pytest.param(
            {"read": {"activities": {"path": "/a", "fields": {"id": "id"}}}},
            "record_id, occurred_at is required",
            id="activity-required",
        ),
        pytest.param({"read": {"record": {"path": "/leads"}}}, "needs {id}", id="single-record-needs-id"),
        pytest.param(
            {"inbound": {"secret": "s", "signature": {"header": "X-S"}}},
            "set record .* and/or record_id",
            id="inbound-source",
        ),
        pytest.param(
            {"inbound": {"secret": "s", "signature": {"header": "X-S", "scheme": "md5"}, "record": "a"}},
            "Input should be",
            id="inbound-scheme",
        ),
        pytest.param(
            {"inbound": {"secret": "s", "signature": {"header": "X-S"}, "record_id": "id"}},
            "needs read.record",
            id="record-id-needs-fetch",
        ),
    ],
)
def test_invalid_configs_are_explained(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WebhookAdapterConfig.model_validate(merge(BASE_CONFIG, overrides))


def test_loader_errors_never_show_secrets(tmp_path: Path) -> None:
    raw = {
        "adapters": {"acme": merge(BASE_CONFIG, {"auth": {"type": "bearer", "token": "${T}"}, "timeout": 5})}
    }
    with pytest.raises(ConfigError) as info:
        parse_config(raw, environ={"T": "super-secret"})
    assert "adapters.acme.timeout" in str(info.value) and "super-secret" not in str(info.value)


@pytest.mark.parametrize(
    ("read", "message"),
    [
        pytest.param(
            {
                "activities": {
                    "for_each": "records",
                    "path": "/a",
                    "fields": {"id": "id", "occurred_at": "at"},
                }
            },
            r"needs \{record.id\}",
            id="fan-out-needs-a-record-field",
        ),
        pytest.param(
            {
                "activities": {
                    "path": "/leads/{record.id}/calls",
                    "fields": {"id": "id", "record_id": "r", "occurred_at": "at"},
                }
            },
            r"unknown placeholder \{record.id\}",
            id="record-field-needs-for-each",
        ),
        pytest.param(
            {
                "activities": {
                    "for_each": "records",
                    "path": "/l/{record.id}",
                    "params": {"since": "{cursor}"},
                    "fields": {"id": "id", "occurred_at": "at"},
                }
            },
            "drop {cursor} and cursor_field",
            id="fan-out-reads-whole-lists",
        ),
        pytest.param(
            {
                "activities": {
                    "for_each": "records",
                    "path": "/l/{record.id}",
                    "concurrency": 64,
                    "fields": {"id": "id", "occurred_at": "at"},
                }
            },
            "less than or equal to 16",
            id="concurrency-bounded",
        ),
        pytest.param(
            {"records": [{"path": "/a", "fields": {"id": "id"}}, {"path": "/b", "fields": {"id": "id"}}]},
            "need a name each",
            id="streams-need-names",
        ),
        pytest.param(
            {
                "records": [
                    {"name": "a", "module": "Leads", "path": "/a", "fields": {"id": "id"}},
                    {"name": "a", "module": "Contacts", "path": "/b", "fields": {"id": "id"}},
                ]
            },
            'two streams are named "a"',
            id="stream-names-unique",
        ),
        pytest.param(
            {
                "records": [
                    {"name": "a", "module": "Leads", "path": "/a", "fields": {"id": "id"}},
                    {"name": "b", "module": "Leads", "path": "/b", "fields": {"id": "id"}},
                ]
            },
            'module "Leads" appears twice',
            id="one-endpoint-per-module",
        ),
        pytest.param(
            {"records": {"pagination": {"style": "cursor", "param": "a", "next": "n", "location": "body"}}},
            'needs method = "POST"',
            id="body-paging-needs-post",
        ),
        pytest.param({"records": {"items": []}}, "items is an empty list", id="items-list"),
        pytest.param({"records": {"owners": "some"}}, "Input should be 'first' or 'all'", id="owners"),
        pytest.param(
            {"users": {"path": "/u", "fields": {"id": "id"}, "deleted": "gone"}},
            "deleted does not apply to users",
            id="deleted-on-users",
        ),
        pytest.param(
            {"records": {"initial_cursor": "0", "lookback": "1d"}},
            "initial_cursor or lookback, not both",
            id="initial-cursor",
        ),
        pytest.param({"records": {"sample": "{not json"}}, "sample is not valid JSON", id="sample-json"),
        pytest.param({"records": {"sample": "[1, 2]"}}, "sample must be one JSON object", id="sample-object"),
        pytest.param(
            {"records": {"fields": {"tags": "join(',', labels)"}, "sample": '{"id": 1, "labels": null}'}},
            r"read.records \(records\): the sample fails: records item 1: field tags: path \"join\(',', labels\)\" failed",
            id="sample-finds-a-failing-path",
        ),
        pytest.param(
            {"records": {"fields": {"created_at": "created"}, "sample": {"id": 1, "created": "yesterday"}}},
            "the sample fails: records item 1: created_at",
            id="sample-finds-a-bad-timestamp",
        ),
    ],
)
def test_read_configs_are_explained(read: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WebhookAdapterConfig.model_validate(merge(BASE_CONFIG, {"read": read}))


def test_a_sample_that_maps_cleanly_is_accepted() -> None:
    config = make_config(read={"records": {"sample": '{"id": 1, "owner": {"id": null}, "contacts": []}'}})
    assert config.read.records[0].sample == {"id": 1, "owner": {"id": None}, "contacts": []}


def test_every_example_config_loads_and_describes_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "ACME_TOKEN",
        "ACME_WEBHOOK_SECRET",
        "ESPO_API_KEY",
        "ESPO_WEBHOOK_SECRET",
        "HUBSPOT_CLIENT_ID",
        "HUBSPOT_CLIENT_SECRET",
        "HUBSPOT_REFRESH_TOKEN",
        "PIPEDRIVE_API_TOKEN",
        "PIPEDRIVE_WEBHOOK_CREDENTIALS",
        "SF_CLIENT_ID",
        "SF_CLIENT_SECRET",
    ):
        monkeypatch.setenv(name, f"value-of-{name}")
    for path in sorted((ROOT / "examples").glob("*/config.toml")):
        config = load_config(path)
        for section in config.adapters.values():
            if isinstance(section, WebhookAdapterConfig):
                text = "\n".join(describe(section))
                assert "value-of-" not in text, path
