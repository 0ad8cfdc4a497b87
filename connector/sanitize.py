"""Can this record be stored? Checks run before data reaches the state store or the inbox.

One bad record from a CRM (a NUL byte PostgreSQL refuses, a lone surrogate no encoder takes, a
1 MB company name, a date that overflows in UTC, a value nested thousands deep) must be reported
and skipped, not stop a sync or fail the group commit of other webhooks. Pure functions: the
callers decide whether a problem is a 400 (webhook) or a bad-record warning (sync).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connector.domain import Record
from connector.protocol import InboundEvent

MAX_TEXT = 16 * 1024
"""Characters in one text field (a company name, an e-mail); CRMs cap theirs far lower (Zoho: 255)."""
MAX_ID = 500
"""Characters in an id (record, owner, account): ids are primary keys, and index rows are small."""
MAX_EXTRA = 256 * 1024
"""Characters of one record's ``extra`` values, all together."""
MAX_DEPTH = 32
"""Nesting of ``extra`` values; real CRM payloads nest 3–5 deep."""
MIN_YEAR, MAX_YEAR = 1900, 2999
_PLAIN = (type(None), bool, int, float)


def text_problem(value: str, limit: int = MAX_TEXT) -> str | None:
    """Why ``value`` cannot be stored as text, or ``None``."""
    if "\x00" in value:
        return "contains a NUL byte"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"is not valid Unicode (a lone surrogate at character {exc.start})"
    if len(value) > limit:
        return f"is {len(value):,} characters long (at most {limit:,})"
    return None


def time_problem(value: datetime) -> str | None:
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        return f"{value.isoformat()} is outside the dates a store can hold"
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        return f"{value.isoformat()} is outside {MIN_YEAR}–{MAX_YEAR}"
    return None


def value_problem(value: Any, depth: int = 0) -> str | None:
    """Problems in a JSON-like value (``extra``): depth, text, and types JSON cannot hold."""
    if depth > MAX_DEPTH:
        return f"nests deeper than {MAX_DEPTH} levels"
    kind = type(value)
    if kind is str:
        return None if _clean(value, MAX_EXTRA) else text_problem(value, MAX_EXTRA)
    if kind in _PLAIN:
        return None
    if kind is dict or isinstance(value, Mapping):
        items: Iterable[Any] = [*value.keys(), *value.values()]
    elif kind is list or kind is tuple:
        items = value
    else:
        return f"holds a {kind.__name__}, which is not JSON"
    for item in items:
        problem = value_problem(item, depth + 1)
        if problem is not None:
            return problem
    return None


_ID_FIELDS = frozenset({"adapter", "id", "owner_id", "co_owner_ids", "account_id"})
_TEXT_FIELDS = ("adapter", "id", "owner_id", "status", "company", "first_name", "last_name", "website",
                "tax_id", "country", "city", "account_id")
_LIST_FIELDS = ("co_owner_ids", "emails", "phones", "tags")
_TIME_FIELDS = ("created_at", "modified_at", "assigned_at")


def _clean(value: str, limit: int) -> bool:
    """The fast path every ordinary value takes: ASCII, short, no NUL."""
    return len(value) <= limit and value.isascii() and "\x00" not in value


def record_problem(record: Record) -> str | None:
    """``"field company contains a NUL byte"``-style reason a record cannot be stored, or ``None``.

    Runs on every pulled record, so ordinary values take one cheap test each (about 5 µs a record).
    """
    fields = record.__dict__
    for name in _TEXT_FIELDS:
        value = fields[name]
        if value is not None and not _clean(value, MAX_ID if name in _ID_FIELDS else MAX_TEXT):
            problem = text_problem(value, MAX_ID if name in _ID_FIELDS else MAX_TEXT)
            if problem is not None:
                return f"field {name} {problem}"
    for name in _LIST_FIELDS:
        limit = MAX_ID if name in _ID_FIELDS else MAX_TEXT
        for value in fields[name]:
            if not _clean(value, limit) and (problem := text_problem(value, limit)) is not None:
                return f"field {name} {problem}"
    for name in _TIME_FIELDS:
        value = fields[name]
        if value is not None and not MIN_YEAR < value.year < MAX_YEAR and (problem := time_problem(value)):
            return f"field {name} {problem}"
    extra = fields["extra"]
    if extra and not _flat_and_clean(extra):
        problem = value_problem(dict(extra))
        if problem is None and _size(extra) > MAX_EXTRA:
            problem = f"is larger than {MAX_EXTRA:,} characters"
        if problem is not None:
            return f"field extra {problem}"
    return None


def _flat_and_clean(extra: Mapping[str, Any]) -> bool:
    """Adapters' ``extra`` is usually a few short scalars: check those without a recursive walk."""
    for key, value in extra.items():
        if type(key) is not str or not _clean(key, 200):
            return False
        if type(value) is str:
            if not _clean(value, 1024):
                return False
        elif type(value) not in _PLAIN:
            return False
    return len(extra) <= 64


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        return sum(len(str(k)) + _size(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return sum(_size(v) for v in value)
    return 8


def describe(record: Record, problem: str) -> str:
    """The one line a run warning or a 400 carries: adapter, module, id, field, reason."""
    shown = record.id if text_problem(record.id, 200) is None else repr(record.id[:60])
    return f"{record.adapter}: {record.module.value} {shown}: {problem}"


def event_problem(event: InboundEvent) -> str | None:
    """Why a webhook event cannot join the inbox (checked before the group commit), or ``None``."""
    problem = text_problem(event.event_id, 500)
    if problem is not None:
        return f"the event id {problem}"
    for ref in (*event.record_refs, *event.deleted):
        problem = text_problem(ref.id, 500)
        if problem is not None:
            return f"{ref.module.value} id {problem}"
    for record in event.records:
        problem = record_problem(record)
        if problem is not None:
            return describe(record, problem)
    problem = value_problem(dict(event.meta))
    return None if problem is None else f"the event's metadata {problem}"


def split_records(records: Sequence[Record]) -> tuple[list[Record], list[str]]:
    """The records that can be stored, and one line per record that cannot."""
    good: list[Record] = []
    bad: list[str] = []
    for record in records:
        problem = record_problem(record)
        if problem is None:
            good.append(record)
        else:
            bad.append(describe(record, problem) + "; the record was skipped")
    return good, bad
