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
    assert "write flag: not supported (no write.flag); flag actions are planned as skipped" in lines
    assert "write note: not supported (no write.note); note actions are planned as skipped" in lines
    assert any(line.startswith("read activities: not configured") for line in lines)
    assert lines[-1].startswith("inbound webhooks: not configured")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"base_url": "crm.example.com"}, "must start with http", id="base-url-scheme"),
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
