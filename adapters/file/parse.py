"""Pure conversion of one export line (canonical field names) into the domain model.

Every function raises :class:`BadValue` with a message that names the field and the value, so the
reader can prefix ``file:line`` and collect all bad lines before reporting them together.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.file.config import RECORD_FIELDS
from connector.domain import Absence, Activity, ActivityKind, Module, Record, User
from connector.trusted import new_activity, new_record, new_ref

_RECORD_KNOWN = frozenset(RECORD_FIELDS)
_MODULES: dict[str, Module] = {}
for _m in Module:
    for _alias in (_m.value, _m.value[:-1]):  # "Leads" and "Lead"
        _MODULES[_alias.lower()] = _m

_KIND_WORDS: Mapping[ActivityKind, tuple[str, ...]] = {
    ActivityKind.CALL: ("call", "calls", "phone", "phone call", "phonecall", "电话"),
    ActivityKind.MEETING: ("meeting", "meetings", "event", "events", "visit", "appointment", "拜访", "会议"),
    ActivityKind.TASK: ("task", "tasks", "todo", "任务"),
    ActivityKind.NOTE: ("note", "notes", "comment", "备注"),
    ActivityKind.EMAIL: ("email", "emails", "e-mail", "mail", "邮件"),
}
KIND_SYNONYMS: Mapping[str, ActivityKind] = {
    word: kind for kind, words in _KIND_WORDS.items() for word in words
}
_TRUE = frozenset({"true", "yes", "y", "1", "t", "是"})
_FALSE = frozenset({"false", "no", "n", "0", "f", "否"})


class BadValue(ValueError):
    """One field of one line cannot be used; the message says which and why."""


def parse_module(value: Any) -> Module:
    text = _text(value)
    if text is None:
        raise BadValue('missing "module"')
    module = _MODULES.get(text.lower())
    if module is None:
        raise BadValue(f'module "{text}" is not one of {", ".join(m.value for m in Module)}')
    return module


def parse_timestamp(field: str, value: Any, default_tz: tzinfo) -> datetime | None:
    """ISO 8601 text → aware datetime; a naive timestamp is read in ``default_tz``."""
    text = _text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue(f'{field} "{text}" is not an ISO 8601 timestamp') from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=default_tz)


def to_user(row: Mapping[str, Any], default_tz: tzinfo = UTC) -> User:
    time_zone = _text(row.get("time_zone"))
    zone = default_tz
    if time_zone is not None:
        try:
            zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise BadValue(f'time_zone "{time_zone}" is not an IANA time zone') from None
    teams = _list(row.get("team")) + _list(row.get("teams"))
    return User(
        id=_required_id(row),
        name=_text(row.get("name")) or "",
        email=_text(row.get("email")),
        active=_bool("active", row.get("active"), default=True),
        teams=tuple(dict.fromkeys(teams)),
        time_zone=time_zone,
        unavailable=parse_absences(row.get("unavailable"), zone),
    )


def parse_absences(value: Any, zone: tzinfo) -> tuple[Absence, ...]:
    """``[{"from": ..., "to": ..., "reason": ...}]`` (a JSON list, or JSON text in a CSV cell).

    Timestamps without an offset, and dates, are read in ``zone`` (the user's ``time_zone``, else
    the adapter's); a date ``to`` includes that whole day, as in ``[assignment] unavailable``.
    """
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise BadValue(f'unavailable "{value}" is not a JSON list of {{"from", "to"}} objects') from None
    if not isinstance(value, list):
        raise BadValue(f'unavailable must be a list of {{"from", "to"}} objects, got {value!r}')
    absences = []
    for i, item in enumerate(value):
        where = f"unavailable[{i}]"
        if not isinstance(item, Mapping):
            raise BadValue(f'{where} must be an object with "from" and "to", got {item!r}')
        unknown = sorted(set(item) - {"from", "to", "reason"})
        if unknown:
            raise BadValue(f"{where} has unknown key {', '.join(unknown)} (use from, to, reason)")
        starts_at = _instant(f"{where}.from", item.get("from"), zone, end=False)
        ends_at = _instant(f"{where}.to", item.get("to"), zone, end=True)
        if ends_at <= starts_at:
            raise BadValue(f"{where} ends before it starts (swap from and to)")
        absences.append(Absence(starts_at=starts_at, ends_at=ends_at, reason=_text(item.get("reason"))))
    return tuple(sorted(absences, key=lambda a: (a.starts_at, a.ends_at)))


def _instant(field: str, value: Any, zone: tzinfo, *, end: bool) -> datetime:
    text = _text(value)
    if text is None:
        raise BadValue(f'missing "{field}"')
    if len(text) == 10:  # a date: the whole day
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise BadValue(f'{field} "{text}" is not a date (YYYY-MM-DD) or ISO 8601 timestamp') from None
        return datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=zone)
    stamp = parse_timestamp(field, text, zone)
    if stamp is None:  # pragma: no cover - text is not empty, so parse_timestamp returns or raises
        raise BadValue(f'missing "{field}"')
    return stamp


def to_record(row: Mapping[str, Any], adapter: str, default_tz: tzinfo) -> Record:
    record_id = _required_id(row)
    module = parse_module(row.get("module"))
    phones = _list(row.get("phone")) + _list(row.get("mobile"))
    # Every value below has been checked to its declared type, so pydantic need not re-validate
    # (a million-record export spent more time there than in parsing).
    return new_record({
        "adapter": adapter,
        "module": module,
        "id": record_id,
        "owner_id": _text(row.get("owner_id")),
        "co_owner_ids": (),
        "created_at": parse_timestamp("created_at", row.get("created_at"), default_tz),
        "modified_at": parse_timestamp("modified_at", row.get("modified_at"), default_tz),
        "assigned_at": parse_timestamp("assigned_at", row.get("assigned_at"), default_tz),
        "status": _text(row.get("status")),
        "company": _text(row.get("company")),
        "first_name": _text(row.get("first_name")),
        "last_name": _text(row.get("last_name")),
        "emails": tuple(dict.fromkeys(_list(row.get("email")))),
        "phones": tuple(dict.fromkeys(phones)),
        "website": _text(row.get("website")),
        "tax_id": _text(row.get("tax_id")),
        "country": _text(row.get("country")),
        "city": _text(row.get("city")),
        "account_id": _text(row.get("account_id")),
        "tags": tuple(dict.fromkeys(_list(row.get("tags")))),
        "extra": {k: v for k, v in row.items() if k not in _RECORD_KNOWN},
    })


def to_activity(row: Mapping[str, Any], adapter: str, default_tz: tzinfo) -> Activity:
    activity_id = _required_id(row)
    record_id = _text(row.get("record_id"))
    if record_id is None:
        raise BadValue('missing "record_id"')
    module = parse_module(row.get("module"))
    kind = parse_kind(row.get("kind"))
    occurred_at = parse_timestamp("occurred_at", row.get("occurred_at"), default_tz)
    if occurred_at is None:
        raise BadValue('missing "occurred_at"')
    return new_activity({
        "id": activity_id,
        "adapter": adapter,
        "record": new_ref({"adapter": adapter, "module": module, "id": record_id}),
        "owner_id": _text(row.get("owner_id")),
        "kind": kind,
        "occurred_at": occurred_at,
        "completed": _bool("completed", row.get("completed"), default=True),
    })


def parse_kind(value: Any) -> ActivityKind:
    text = _text(value)
    if text is None:
        raise BadValue('missing "kind"')
    kind = KIND_SYNONYMS.get(text.lower().replace("_", " "))
    if kind is None:
        known = ", ".join(k.value for k in ActivityKind)
        raise BadValue(f'kind "{text}" is not one of {known} (or a synonym such as "event" or "phone")')
    return kind


def split_list(value: Any) -> list[str]:
    """A list field: JSON list, or text with ``;``-separated items (CSV cells); empties dropped."""
    return _list(value)


def _required_id(row: Mapping[str, Any]) -> str:
    value = _text(row.get("id"))
    if value is None:
        raise BadValue('missing "id"')
    return value


def _text(value: Any) -> str | None:
    if type(value) is str:  # the common case, first: most cells are plain text
        return value.strip() or None
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, (dict, list)):
        raise BadValue(f"expected text, got a {type(value).__name__}: {value!r}")
    text = str(value).strip()
    return text or None


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(";")
    out = []
    for item in items:
        text = _text(item)
        if text is not None:
            out.append(text)
    return out


def _bool(field: str, value: Any, *, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text is None:
        return default
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise BadValue(f'{field} "{text}" is not true or false')
