"""The names a webhook-adapter config may use: domain fields per stream and ``{placeholders}``."""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[A-Za-z0-9_]+)?)\}")
"""``{id}``, ``{cursor}``, and for per-record reads ``{record.id}``, ``{record.<extra field>}``."""

WRITE_PLACEHOLDERS = frozenset({"id", "to", "from", "tag", "text", "module", "now"})
READ_PLACEHOLDERS = frozenset({"cursor", "id", "module", "now"})
RECORD_PLACEHOLDER_PREFIX = "record."

RECORD_FIELDS = frozenset(
    {
        "id",
        "module",
        "owner_id",
        "created_at",
        "modified_at",
        "assigned_at",
        "status",
        "company",
        "first_name",
        "last_name",
        "email",
        "emails",
        "phone",
        "phones",
        "website",
        "tax_id",
        "country",
        "city",
        "account_id",
        "tags",
    }
)
RECORD_ONLY_FOR_READING = frozenset({"modified_by"})
"""Mapped but not kept: ``modified_by`` equal to ``integration_user`` marks our own write coming back."""

ACTIVITY_FIELDS = frozenset(
    {"id", "record_id", "record_module", "owner_id", "kind", "occurred_at", "completed", "text", "created_by"}
)
"""``text`` and ``created_by`` are only read to recognise notes and tasks crm-referee wrote itself."""

USER_FIELDS = frozenset({"id", "name", "email", "active", "teams", "time_zone", "unavailable"})
DELETED_FIELDS = frozenset({"id", "module"})


def placeholders(value: Any) -> set[str]:
    """Every ``{name}`` in a string, or in the strings of a nested dict/list."""
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(placeholders(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(placeholders(v) for v in value)) if value else set()
    return set()


def check_placeholders(value: Any, allowed: frozenset[str], *, record_fields: bool = False) -> None:
    """Raise ``ValueError`` naming any placeholder outside ``allowed`` (and ``{record.*}`` if allowed)."""
    unknown = {
        name
        for name in placeholders(value) - allowed
        if not (record_fields and name.startswith(RECORD_PLACEHOLDER_PREFIX))
    }
    if unknown:
        names = ", ".join("{" + n + "}" for n in sorted(unknown))
        known = ", ".join("{" + n + "}" for n in sorted(allowed))
        extra = ", {record.<field>} (with for_each)" if record_fields else ""
        raise ValueError(f"unknown placeholder {names} (use {known}{extra})")
