"""Pure conversions between domain models and table rows.

Rows read back were validated when they were written, so readers build models with
``model_construct`` (no validation): loading a million records must stay cheap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from connector.domain import (
    Absence,
    Activity,
    ActivityKind,
    Module,
    OwnerChange,
    Record,
    RecordRef,
    User,
)
from connector.trusted import new_activity, new_record, new_ref


# Readers take anything with the columns as attributes: SQLAlchemy rows and plain namedtuples alike.
class UserRow(Protocol):
    @property
    def id(self) -> Any: ...
    @property
    def name(self) -> Any: ...
    @property
    def email(self) -> Any: ...
    @property
    def active(self) -> Any: ...
    @property
    def teams(self) -> Any: ...
    @property
    def time_zone(self) -> Any: ...
    @property
    def unavailable(self) -> Any: ...


class ActivityRow(Protocol):
    @property
    def adapter(self) -> Any: ...
    @property
    def id(self) -> Any: ...
    @property
    def record_adapter(self) -> Any: ...
    @property
    def record_module(self) -> Any: ...
    @property
    def record_id(self) -> Any: ...
    @property
    def owner_id(self) -> Any: ...
    @property
    def kind(self) -> Any: ...
    @property
    def occurred_at(self) -> Any: ...
    @property
    def completed(self) -> Any: ...


class OwnerChangeRow(Protocol):
    @property
    def adapter(self) -> Any: ...
    @property
    def module(self) -> Any: ...
    @property
    def record_id(self) -> Any: ...
    @property
    def old_owner_id(self) -> Any: ...
    @property
    def new_owner_id(self) -> Any: ...
    @property
    def seen_at(self) -> Any: ...


_MODULES: dict[str, Module] = {m.value: m for m in Module}
_KINDS: dict[str, ActivityKind] = {k.value: k for k in ActivityKind}

RECORD_FIELDS: tuple[str, ...] = (
    "adapter",
    "module",
    "id",
    "owner_id",
    "created_at",
    "modified_at",
    "assigned_at",
    "status",
    "company",
    "first_name",
    "last_name",
    "emails",
    "phones",
    "website",
    "tax_id",
    "country",
    "city",
    "account_id",
    "tags",
    "extra",
)
_loads = json.JSONDecoder().decode




_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, sort_keys=True, default=str)
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\\"]')


def dump_json(value: Sequence[Any] | Mapping[str, Any]) -> str | None:
    """Compact, key-sorted JSON; ``None`` for an empty list or mapping (saves space on big stores)."""
    if not value:
        return None
    if isinstance(value, Mapping):
        return _encoder.encode(value)
    if all(type(item) is str for item in value):
        joined = '","'.join(value)
        if not _NEEDS_ESCAPE.search(joined):  # what json would write, without its overhead
            return f'["{joined}"]'
    return _encoder.encode(list(value))


def load_tuple(text: str | None) -> tuple[Any, ...]:
    return tuple(_loads(text)) if text else ()


def load_strings(text: str) -> tuple[str, ...]:
    """Decode a JSON list of strings written by :func:`dump_json`.

    Without a backslash, no string in it holds a quote or an escape, so splitting on the
    separator is exact and about ten times faster than ``json.loads``.
    """
    if "\\" in text or not text.startswith('["'):
        return tuple(_loads(text))
    return tuple(text[2:-2].split('","'))


def load_mapping(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


CO_OWNERS_KEY = "_co_owner_ids"
"""Co-owners travel in the ``extra`` JSON column under this key: no schema change for a rare field."""


def record_to_row(record: Record, seen_at: datetime) -> dict[str, Any]:
    row = dict(record.__dict__)
    del row["co_owner_ids"]
    row["module"] = record.module.value
    row["emails"] = dump_json(record.emails)
    row["phones"] = dump_json(record.phones)
    row["tags"] = dump_json(record.tags)
    extra = {**record.extra, CO_OWNERS_KEY: list(record.co_owner_ids)} if record.co_owner_ids else record.extra
    row["extra"] = dump_json(extra)
    row["seen_at"] = seen_at
    return row


def row_to_record(row: Sequence[Any]) -> Record:
    """Build a Record from a row selected in :data:`RECORD_FIELDS` order."""
    (
        adapter,
        module,
        id_,
        owner_id,
        created_at,
        modified_at,
        assigned_at,
        status,
        company,
        first_name,
        last_name,
        emails,
        phones,
        website,
        tax_id,
        country,
        city,
        account_id,
        tags,
        extra,
    ) = row
    extra_values = _loads(extra) if extra else {}
    co_owners = tuple(extra_values.pop(CO_OWNERS_KEY, ()))
    return new_record(
        {
            "adapter": adapter,
            "module": _MODULES[module],
            "id": id_,
            "owner_id": owner_id,
            "co_owner_ids": co_owners,
            "created_at": created_at,
            "modified_at": modified_at,
            "assigned_at": assigned_at,
            "status": status,
            "company": company,
            "first_name": first_name,
            "last_name": last_name,
            "emails": load_strings(emails) if emails else (),
            "phones": load_strings(phones) if phones else (),
            "website": website,
            "tax_id": tax_id,
            "country": country,
            "city": city,
            "account_id": account_id,
            "tags": load_strings(tags) if tags else (),
            "extra": extra_values,
        }
    )


def user_to_row(adapter: str, user: User) -> dict[str, Any]:
    return {
        "adapter": adapter,
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "active": user.active,
        "teams": dump_json(user.teams),
        "time_zone": user.time_zone,
        "unavailable": dump_absences(user.unavailable),
    }


def row_to_user(row: UserRow) -> User:
    return User.model_construct(
        id=row.id,
        name=row.name,
        email=row.email,
        active=bool(row.active),
        teams=load_tuple(row.teams),
        time_zone=row.time_zone,
        unavailable=load_absences(row.unavailable),
    )


def dump_absences(absences: Sequence[Absence]) -> str | None:
    """Absences as a JSON list of ``{starts_at, ends_at, reason}`` (ISO 8601 with offset)."""
    return dump_json(
        [
            {"starts_at": a.starts_at.isoformat(), "ends_at": a.ends_at.isoformat(), "reason": a.reason}
            for a in absences
        ]
    )


def load_absences(text: str | None) -> tuple[Absence, ...]:
    return tuple(
        Absence.model_construct(
            starts_at=datetime.fromisoformat(item["starts_at"]),
            ends_at=datetime.fromisoformat(item["ends_at"]),
            reason=item.get("reason"),
        )
        for item in (_loads(text) if text else ())
    )


def activity_to_row(activity: Activity) -> dict[str, Any]:
    return {
        "adapter": activity.adapter,
        "id": activity.id,
        "record_adapter": activity.record.adapter,
        "record_module": activity.record.module.value,
        "record_id": activity.record.id,
        "owner_id": activity.owner_id,
        "kind": activity.kind.value,
        "occurred_at": activity.occurred_at,
        "completed": activity.completed,
    }


def row_to_activity(row: ActivityRow) -> Activity:
    record = new_ref({"adapter": row.record_adapter, "module": _MODULES[row.record_module], "id": row.record_id})
    return new_activity({
        "id": row.id,
        "adapter": row.adapter,
        "record": record,
        "owner_id": row.owner_id,
        "kind": _KINDS[row.kind],
        "occurred_at": row.occurred_at,
        "completed": bool(row.completed),
    })


def row_to_owner_change(row: OwnerChangeRow) -> OwnerChange:
    record = RecordRef.model_construct(adapter=row.adapter, module=_MODULES[row.module], id=row.record_id)
    return OwnerChange.model_construct(
        record=record, old_owner_id=row.old_owner_id, new_owner_id=row.new_owner_id, seen_at=row.seen_at
    )
