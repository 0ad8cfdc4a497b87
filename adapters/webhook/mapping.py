"""Turn one JSON item into a domain model, following the ``fields`` map of one endpoint.

Pure: no I/O, no clock. An item that cannot be mapped (a path that fails on it, a timestamp
that is not one, an unknown module) raises :class:`BadItemError` naming the adapter, the stream,
the item, the field and the expression, so a pull can report that item as a bad line and go on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Literal, TypeVar

from jmespath.parser import ParsedResult

from adapters.webhook.fieldpath import PathError, compiled, evaluate
from adapters.webhook.values import boolean, module, parse_timestamp, text, texts
from adapters.webhook.vocab import RECORD_FIELDS, RECORD_ONLY_FOR_READING
from connector.domain import ECHO_MARK, Absence, Activity, ActivityKind, Module, Record, RecordRef, User
from connector.errors import CrmApiError

T = TypeVar("T")
_NOT_KEPT = RECORD_FIELDS | RECORD_ONLY_FOR_READING


class BadItemError(CrmApiError):
    """One item of a CRM answer could not be mapped; the message says which, where and why."""


@dataclass(frozen=True)
class Context:
    """What every mapper of one adapter shares."""

    adapter: str
    tz: tzinfo
    integration_user: str | None = None


class FieldMap:
    """Compiled field paths of one stream; ``extract(item)`` gives ``{domain key: value or None}``."""

    def __init__(self, fields: Mapping[str, str], *, adapter: str, stream: str, section: str) -> None:
        self.adapter, self.stream, self.section = adapter, stream, section
        self.paths: dict[str, tuple[str, ParsedResult]] = {k: (p, compiled(p)) for k, p in fields.items()}

    def extract(self, item: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        ident = None
        if "id" in self.paths:
            values["id"] = self._one("id", item, None)
            ident = text(values["id"])
        for key in self.paths:
            if key != "id":
                values[key] = self._one(key, item, ident)
        return values

    def _one(self, key: str, item: Any, ident: str | None) -> Any:
        expression, path = self.paths[key]
        try:
            return evaluate(path, expression, item)
        except PathError as exc:
            raise BadItemError(
                f"{self.adapter}: {self.stream} item {ident or '(no id yet)'}: field {key}: path "
                f'"{expression}" failed: {exc.reason} (check {self.section}.fields.{key})',
                crm=self.adapter,
            ) from None

    def require_id(self, values: Mapping[str, Any]) -> str:
        ident = text(values.get("id"))
        if ident is None:
            raise BadItemError(
                f"{self.adapter}: a {self.stream} item has no id (check {self.section}.fields.id)",
                crm=self.adapter,
            )
        return ident


class _Reader:
    """Converts one mapped value; a ``ValueError`` becomes a :class:`BadItemError` naming the config key."""

    def __init__(self, fields: FieldMap, ident: str, values: Mapping[str, Any]) -> None:
        self.fields, self.ident, self.values = fields, ident, values

    def __call__(self, key: str, convert: Callable[[Any], T]) -> T:
        try:
            return convert(self.values.get(key))
        except ValueError as exc:
            f = self.fields
            raise BadItemError(
                f"{f.adapter}: {f.stream} item {self.ident}: {key} {exc} (check {f.section}.fields.{key})",
                crm=f.adapter,
            ) from None


def _required(value: T | None) -> T:
    if value is None:
        raise ValueError("is missing")
    return value


class RecordMapper:
    """Items of one records endpoint → :class:`Record` (or a :class:`RecordRef` when flagged deleted).

    ``owners = "first"`` keeps the first of several owners; ``"all"`` keeps the others as
    co-owners. ``modified_by`` equal to the integration user sets the echo mark.
    """

    def __init__(
        self,
        ctx: Context,
        fields: Mapping[str, str],
        *,
        stream: str = "records",
        section: str = "read.records",
        module: Module | None = None,
        owners: Literal["first", "all"] = "first",
        deleted: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.module = module
        self.owners = owners
        flag = {"__deleted": deleted} if deleted is not None else {}
        self.fields = FieldMap({**fields, **flag}, adapter=ctx.adapter, stream=stream, section=section)

    def read(self, item: Any, default_module: Module = Module.LEADS) -> Record | RecordRef:
        values = self.fields.extract(item)
        read = _Reader(self.fields, self.fields.require_id(values), values)
        fallback = self.module or default_module
        kind = read("module", lambda v: module(v, fallback))
        if read("__deleted", lambda v: boolean(v, False)):
            return RecordRef(adapter=self.ctx.adapter, module=kind, id=read.ident)
        stamps = {key: read(key, self._stamp) for key in ("created_at", "modified_at", "assigned_at")}
        owners = texts(values.get("owner_id"), separators=";")
        extra = {
            k: v for k, v in values.items() if k not in _NOT_KEPT and not k.startswith("__") and v is not None
        }
        me = self.ctx.integration_user
        if me is not None and text(values.get("modified_by")) == me:
            extra[ECHO_MARK] = True
        return Record(
            adapter=self.ctx.adapter,
            module=kind,
            id=read.ident,
            owner_id=owners[0] if owners else None,
            co_owner_ids=owners[1:] if self.owners == "all" else (),
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
            tags=texts(values.get("tags"), separators=","),
            extra=extra,
            **stamps,
        )

    def _stamp(self, value: Any) -> datetime | None:
        return parse_timestamp(value, self.ctx.tz)


@dataclass(frozen=True)
class MappedActivity:
    """An activity plus what is read only to recognise crm-referee's own notes and tasks."""

    activity: Activity
    text: str | None = None
    created_by: str | None = None


class ActivityMapper:
    """Items of one activities endpoint → :class:`Activity`.

    For a per-record read, ``parent`` is the record the list was read for: it is the activity's
    record unless ``record_id`` is mapped.
    """

    def __init__(
        self,
        ctx: Context,
        fields: Mapping[str, str],
        *,
        kinds: Mapping[str, str] | None = None,
        stream: str = "activities",
        section: str = "read.activities",
        module: Module | None = None,
    ) -> None:
        self.ctx = ctx
        self.module = module
        self.fields = FieldMap(fields, adapter=ctx.adapter, stream=stream, section=section)
        self.kinds = {k.lower(): ActivityKind(v) for k, v in (kinds or {}).items()}

    def read(self, item: Any, parent: RecordRef | None = None) -> MappedActivity:
        values = self.fields.extract(item)
        read = _Reader(self.fields, self.fields.require_id(values), values)
        record_id = read("record_id", lambda v: _required(text(v) or (parent.id if parent else None)))
        fallback = parent.module if parent else (self.module or Module.LEADS)
        activity = Activity(
            id=read.ident,
            adapter=self.ctx.adapter,
            record=RecordRef(
                adapter=self.ctx.adapter,
                module=read("record_module", lambda v: module(v, fallback)),
                id=record_id,
            ),
            owner_id=text(values.get("owner_id")),
            kind=self._kind(values.get("kind")),
            occurred_at=read("occurred_at", lambda v: _required(parse_timestamp(v, self.ctx.tz))),
            completed=read("completed", lambda v: boolean(v, True)),
        )
        note = values.get("text")
        return MappedActivity(
            activity, text=note if isinstance(note, str) else None, created_by=text(values.get("created_by"))
        )

    def _kind(self, value: Any) -> ActivityKind:
        """Configured ``kinds`` first, then our own names; anything else counts as a task."""
        raw = (text(value) or "").lower()
        if raw in self.kinds:
            return self.kinds[raw]
        try:
            return ActivityKind(raw)
        except ValueError:
            return ActivityKind.TASK


class UserMapper:
    def __init__(self, ctx: Context, fields: Mapping[str, str]) -> None:
        self.ctx = ctx
        self.fields = FieldMap(fields, adapter=ctx.adapter, stream="users", section="read.users")

    def read(self, item: Any) -> User:
        values = self.fields.extract(item)
        read = _Reader(self.fields, self.fields.require_id(values), values)
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
            start, end = (
                parse_timestamp(item.get("from"), self.ctx.tz),
                parse_timestamp(item.get("to"), self.ctx.tz),
            )
            if start is None or end is None or end <= start:
                raise ValueError(f"needs from before to in every entry, found {dict(item)!r}")
            out.append(Absence(starts_at=start, ends_at=end, reason=text(item.get("reason"))))
        return tuple(sorted(out, key=lambda a: (a.starts_at, a.ends_at)))


class DeletedMapper:
    """Items of a deleted-records endpoint → the :class:`RecordRef` of each deleted record."""

    def __init__(
        self, ctx: Context, fields: Mapping[str, str], *, stream: str, module: Module | None
    ) -> None:
        self.ctx = ctx
        self.module = module
        self.fields = FieldMap(fields, adapter=ctx.adapter, stream=stream, section="read.deleted")

    def read(self, item: Any) -> RecordRef:
        values = self.fields.extract(item)
        read = _Reader(self.fields, self.fields.require_id(values), values)
        kind = read("module", lambda v: module(v, self.module or Module.LEADS))
        return RecordRef(adapter=self.ctx.adapter, module=kind, id=read.ident)
