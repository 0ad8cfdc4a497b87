"""Builders for webhook-adapter tests: configs from a few overrides, actions, the Acme demo CRM."""

from __future__ import annotations

import copy
import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from adapters.webhook.config import WebhookAdapterConfig
from connector.domain import Action, ActionType, Module, RecordRef, action_key

ROOT = Path(__file__).resolve().parents[3]
BASE = "https://crm.example.com/api/v2"
TOKEN = "tok-SECRET-123"
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

BASE_CONFIG: dict[str, Any] = {
    "kind": "webhook",
    "base_url": BASE,
    "auth": {"type": "bearer", "token": TOKEN},
    "read": {
        "records": {
            "path": "/leads",
            "params": {"updated_since": "{cursor}"},
            "items": "data",
            "cursor_field": "updated_at",
            "fields": {
                "id": "id",
                "module": "'Leads'",
                "owner_id": "owner.id",
                "company": "company.name",
                "email": "contacts[0].email",
                "modified_at": "updated_at",
            },
        },
    },
    "write": {
        "reassign": {"method": "PATCH", "path": "/leads/{id}", "body": {"owner_id": "{to}"}},
        "flag": {"method": "POST", "path": "/leads/{id}/tags", "body": {"tag": "{tag}"}},
    },
}


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``base``; ``None`` deletes a key; ``auth`` is replaced."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and key != "auth":
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def make_config(**overrides: Any) -> WebhookAdapterConfig:
    return WebhookAdapterConfig.model_validate(merge(BASE_CONFIG, overrides))


def an_action(type_: ActionType = ActionType.REASSIGN, record_id: str = "L-1", **values: Any) -> Action:
    target = RecordRef(adapter="acme", module=Module.LEADS, id=record_id)
    defaults: dict[str, Any] = {
        ActionType.REASSIGN: {"new_owner_id": "u-2", "previous_owner_id": "u-1"},
        ActionType.FLAG: {"tag": "referee:conflict"},
        ActionType.NOTE: {"text": "Two reps pursue this customer."},
    }[type_]
    values = {**defaults, **values}
    key_value = values.get("new_owner_id") or values.get("tag") or values.get("text")
    return Action(
        type=type_,
        target=target,
        reason="test",
        rule="test-rule",
        idempotency_key=action_key(type_, target, key_value),
        **values,
    )


def load_fake_crm() -> ModuleType:
    """``examples/acme-crm/fake_crm.py`` (its folder name is not a package name, so load it by path)."""
    if "acme_fake_crm" not in sys.modules:
        spec = importlib.util.spec_from_file_location("acme_fake_crm", ROOT / "examples/acme-crm/fake_crm.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["acme_fake_crm"] = module
        spec.loader.exec_module(module)
    return sys.modules["acme_fake_crm"]
