"""Turn one JSON item into a domain model, following the ``fields`` map of the config.

Pure: no I/O, no clock. A value that cannot be read (a timestamp that is not one, an unknown
module) raises :class:`CrmApiError` naming the stream, the item and the config key to check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

import jmespath
from jmespath.parser import ParsedResult

from adapters.webhook.config import RECORD_FIELDS
from connector.domain import Absence, Activity, ActivityKind, Module, Record, RecordRef, User
from connector.errors import CrmApiError

T = TypeVar("T")
_EPOCH_MS_THRESHOLD = 100_000_000_000  # larger numbers are epoch milliseconds (year 5138 in seconds)
_TRUE = frozenset({"true", "yes", "y", "1", "done", "completed", "active", "enabled"})
_FALSE = frozenset({"false", "no", "n", "0", "open", "pending", "planned", "inactive", "disabled"})


class FieldMap:
    """Compiled field paths: ``extract(item)`` gives ``{domain key: value or None}``."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.paths: dict[str, ParsedResult] = {key: jmespath.compile(path) for key, path in fields.items()}

    def extract(self, item: Any) -> dict[str, Any]:
        return {key: path.search(item) for key, path in self.paths.items()}


def search(path: str | None, data: Any) -> Any:
    """Evaluate one field path; a missing path (or ``None``) gives ``None``."""
    return None if path is None else jmespath.search(path, data)


def parse_timestamp(value: Any, default_tz: tzinfo) -> datetime | None:
    """ISO 8601 text or epoch seconds (milliseconds when very large); naive → ``default_tz``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a timestamp")
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        value = float(value.strip())
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= _EPOCH_MS_THRESHOLD else value
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str):
        raise ValueError(f"{type(value).__name__} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f'"{value}" is not ISO 8601 or epoch seconds') from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=default_tz)


def cursor_key(value: Any) -> tuple[int, float, str]:
    """Orders cursor values: timestamps by instant, anything else as text after them."""
    try:
        when = parse_timestamp(value, UTC)
    except ValueError:
        when = None
    if when is not None:
        return (0, when.timestamp(), "")
    return (1, 0.0, str(value))


def text(value: Any) -> str | None:
    """A scalar as text (ids are often numbers); empty → ``None``."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = str(value).strip()
    return out or None


def texts(value: Any, *, split_commas: bool = False) -> tuple[str, ...]:
    """A scalar or (nested) list as a de-duplicated tuple of non-empty texts."""
    items: Iterable[Any] = _flatten(value)
    out: list[str] = []
    for item in items:
        parts = str(item).split(",") if split_commas and isinstance(item, str) else [item]
        for part in parts:
            t = text(part)
            if t is not None and t not in out:
                out.append(t)
    return tuple(out)


def _flatten(value: Any) -> Iterable[Any]:
    if isinstance(value, list | tuple):
        for item in value:
            yield from _flatten(item)
    elif value is not None:
        yield value


def boolean(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f'"{value}" is not a yes/no value')


def module(value: Any, default: Module = Module.LEADS) -> Module:
    """``"Leads"``, ``"lead"``, ``"DEALS"`` → :class:`Module`."""
    if value is None or value == "":
        return default
    wanted = str(value).strip().lower()
    for candidate in Module:
        name = candidate.value.lower()
        if wanted in (name, name.removesuffix("s")):
            return candidate
    known = ", ".join(m.value for m in Module)
    raise ValueError(f'"{value}" is not a module (map it to one of {known})')


class Mapper:
    """Maps items of one adapter's streams onto domain models."""

    def __init__(
        self,
        adapter: str,
        default_tz: tzinfo,
        *,
        records: Mapping[str, str] | None = None,
        activities: Mapping[str, str] | None = None,
        users: Mapping[str, str] | None = None,
        kinds: Mapping[str, str] | None = None,
    ) -> None:
        self.adapter = adapter
        self.tz = default_tz
        self.records = FieldMap(records or {})
        self.activities = FieldMap(activities or {})
        self.users = FieldMap(users or {})
        self.kinds = {k.lower(): ActivityKind(v) for k, v in (kinds or {}).items()}

    def to_record(
        self, item: Any, fields: FieldMap | None = None, default_module: Module = Module.LEADS
    ) -> Record:
        values = (fields or self.records).extract(item)
        read = _Reader(self.adapter, "records", self._id(values, "records"), values)
        stamps = {key: read(key, self._stamp) for key in ("created_at", "modified_at", "assigned_at")}
        extra = {k: v for k, v in values.items() if k not in RECORD_FIELDS and v is not None}
        return Record(
            adapter=self.adapter,
            module=read("module", lambda v: module(v, default_module)),
            id=read.ident,
            owner_id=text(values.get("owner_id")),
            status=text(values.get("status")),
            company=text(values.get("company")),
            first_name=text(values.get("first_name")),
            last_name=text(values.get("last_name")),
            emails=texts([values.get("email"), values.get("emails")]),
            phones=texts([values.get("phone"), values.get("phones")]),
            website=text(values.get("website")),
            tax_id=text(values.get("tax_id")),
            country=text(values.get("country")),
            city=text(values.get("city")),
            account_id=text(values.get("account_id")),
            tags=texts(values.get("tags"), split_commas=True),
            extra=extra,
            **stamps,
        )

    def to_activity(self, item: Any) -> Activity:
        values = self.activities.extract(item)
        read = _Reader(self.adapter, "activities", self._id(values, "activities"), values)
        record_id = read("record_id", lambda v: _required(text(v)))
        return Activity(
            id=read.ident,
            adapter=self.adapter,
            record=RecordRef(adapter=self.adapter, module=read("record_module", module), id=record_id),
            owner_id=text(values.get("owner_id")),
            kind=self._kind(values.get("kind")),
            occurred_at=read("occurred_at", lambda v: _required(self._stamp(v))),
            completed=read("completed", lambda v: boolean(v, True)),
        )

    def to_user(self, item: Any) -> User:
        values = self.users.extract(item)
        read = _Reader(self.adapter, "users", self._id(values, "users"), values)
        return User(
            id=read.ident,
            name=text(values.get("name")) or "",
            email=text(values.get("email")),
            active=read("active", lambda v: boolean(v, True)),
            teams=texts(values.get("teams")),
            time_zone=text(values.get("time_zone")),
            unavailable=read("unavailable", self._absences),
        )

    def _absences(self, value: Any) -> tuple[Absence, ...]:
        """A list of ``{"from", "to", "reason"?}`` objects (timestamps as for any other field)."""
        if value is None:
            return ()
        if not isinstance(value, list):
            raise ValueError('must be a list of {"from", "to"} objects')
        out = []
        for item in value:
            if not isinstance(item, Mapping):
                raise ValueError(f'must be a list of {{"from", "to"}} objects, found {item!r}')
            start, end = self._stamp(item.get("from")), self._stamp(item.get("to"))
            if start is None or end is None or end <= start:
                raise ValueError(f"needs from before to in every entry, found {dict(item)!r}")
            out.append(Absence(starts_at=start, ends_at=end, reason=text(item.get("reason"))))
        return tuple(sorted(out, key=lambda a: (a.starts_at, a.ends_at)))

    def _stamp(self, value: Any) -> datetime | None:
        return parse_timestamp(value, self.tz)

    def _kind(self, value: Any) -> ActivityKind:
        """Configured ``kinds`` first, then our own names; anything else counts as a task."""
        raw = (text(value) or "").lower()
        if raw in self.kinds:
            return self.kinds[raw]
        try:
            return ActivityKind(raw)
        except ValueError:
            return ActivityKind.TASK

    def _id(self, values: Mapping[str, Any], stream: str) -> str:
        ident = text(values.get("id"))
        if ident is None:
            raise CrmApiError(
                f"{self.adapter}: a {stream} item has no id (check read.{stream}.fields.id)", crm=self.adapter
            )
        return ident


def _required(value: T | None) -> T:
    if value is None:
        raise ValueError("is missing")
    return value


class _Reader:
    """Converts one mapped value; a ``ValueError`` becomes a :class:`CrmApiError` naming the config key."""

    def __init__(self, adapter: str, stream: str, ident: str, values: Mapping[str, Any]) -> None:
        self.adapter, self.stream, self.ident, self.values = adapter, stream, ident, values

    def __call__(self, key: str, convert: Callable[[Any], T]) -> T:
        try:
            return convert(self.values.get(key))
        except ValueError as exc:
            raise CrmApiError(
                f"{self.adapter}: {self.stream} item {self.ident}: {key} {exc} "
                f"(check read.{self.stream}.fields.{key})",
                crm=self.adapter,
            ) from None
