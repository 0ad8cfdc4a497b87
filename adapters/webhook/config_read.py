"""``[adapters.<name>.read]``: the list endpoints a webhook adapter pulls, and how to page them.

``records``, ``activities`` and ``deleted`` take one table or an array of tables (one per CRM
object: leads and contacts, calls and meetings). Each is a *stream* with its own cursor; give
each a ``name`` when a section has several.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from adapters.webhook.fieldpath import FieldPath
from adapters.webhook.vocab import (
    ACTIVITY_FIELDS,
    DELETED_FIELDS,
    READ_PLACEHOLDERS,
    RECORD_PLACEHOLDER_PREFIX,
    USER_FIELDS,
    check_placeholders,
    placeholders,
)
from connector.config_base import ConfigModel
from connector.domain import Module
from connector.durations import Duration


class Pagination(ConfigModel):
    """How to get from one page to the next.

    ``page``/``offset`` send ``param`` (and ``limit_param = limit``); ``cursor`` sends the token
    found at ``next``; ``next-url`` follows the URL found at ``next``; ``link-header`` follows
    the RFC 8288 ``rel="next"`` link. ``page``/``offset`` may also take the next value from the
    body (``next``, e.g. Pipedrive's ``additional_data.pagination.next_start``). ``location =
    "body"`` puts ``param`` (and the limit) in the JSON body, as search APIs want. ``stop`` ends
    page/offset paging on an ``empty`` page or a ``short`` one; ``has_more`` (a path to a
    boolean) also stops. A next value of ``0``, ``""`` or one already seen ends the list.
    """

    style: Literal["none", "page", "offset", "cursor", "link-header", "next-url"] = "none"
    param: str | None = Field(default=None, min_length=1)
    next: FieldPath | None = None
    location: Literal["query", "body"] = "query"
    start: int | None = Field(default=None, ge=0)
    limit_param: str | None = Field(default=None, min_length=1)
    limit: int | None = Field(default=None, gt=0, le=100_000)
    stop: Literal["empty", "short"] = "empty"
    has_more: FieldPath | None = None
    max_pages: int = Field(default=1000, gt=0, le=1_000_000)

    @model_validator(mode="after")
    def _complete(self) -> Pagination:
        if self.style == "cursor" and (self.param is None or self.next is None):
            raise ValueError('style "cursor" needs param (the query parameter) and next (the token\'s path)')
        if self.style == "next-url" and self.next is None:
            raise ValueError('style "next-url" needs next (the path of the next page\'s URL in the body)')
        if self.location == "body" and self.style in ("link-header", "next-url"):
            raise ValueError(
                f'location = "body" works with page, offset and cursor paging, not "{self.style}"'
            )
        if self.stop == "short" and self.limit is None:
            raise ValueError('stop = "short" needs limit (the page size the CRM honours)')
        if self.limit_param is not None and self.limit is None:
            raise ValueError('limit_param and limit go together (e.g. limit_param = "per_page", limit = 100)')
        return self

    @property
    def first(self) -> int:
        """The first page number (``page``, default 1) or offset (``offset``, default 0)."""
        if self.start is not None:
            return self.start
        return 1 if self.style == "page" else 0

    @property
    def query_param(self) -> str:
        return self.param or ("page" if self.style == "page" else "offset")


def _as_tuple(value: Any) -> Any:
    if value is None:
        return ()
    return (value,) if isinstance(value, dict) else value


def _json_sample(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(
                f"sample is not valid JSON: {exc} (paste one item of the CRM's answer)"
            ) from None
    if value is not None and not isinstance(value, dict):
        raise ValueError("sample must be one JSON object: an item of the list, as the CRM sends it")
    return value


class ReadEndpoint(ConfigModel):
    """One list endpoint: users, records, activities or deleted records.

    ``for_each = "records"`` makes it a per-record read: its path, params and body use
    ``{record.id}`` (or ``{record.<field>}``) and it runs once for every record the pull brought
    (``for_modules`` limits which), ``concurrency`` at a time. ``initial_cursor`` (or
    ``lookback``, a duration before now) fills ``{cursor}`` when none is saved yet;
    ``cursor_format`` rewrites a timestamp cursor the way the CRM's filter wants it (``iso-z``
    for SOQL, ``epoch-ms`` for HubSpot), while the cursor is saved as the CRM sent it.
    """

    name: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    module: Module | None = None
    method: Literal["GET", "POST"] = "GET"
    path: str = Field(min_length=1)
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    body: dict[str, Any] | None = None
    items: FieldPath | list[FieldPath] | None = None
    pagination: Pagination = Pagination()
    cursor_field: FieldPath | None = None
    cursor_path: FieldPath | None = None
    cursor_format: Literal["as-sent", "iso-z", "epoch-s", "epoch-ms"] = "as-sent"
    initial_cursor: str | None = Field(default=None, min_length=1)
    lookback: Duration | None = None
    for_each: Literal["records"] | None = None
    for_modules: list[Module] = Field(default_factory=list)
    concurrency: int = Field(default=4, ge=1, le=16)
    fields: dict[str, FieldPath] = Field(default_factory=dict)
    kinds: dict[str, Literal["call", "meeting", "task", "note", "email"]] = Field(default_factory=dict)
    owners: Literal["first", "all"] = "first"
    deleted: FieldPath | None = None
    missing_means_deleted: bool = False
    sample: Annotated[dict[str, Any] | None, BeforeValidator(_json_sample)] = None

    @field_validator("items")
    @classmethod
    def _some_items(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and not value:
            raise ValueError('items is an empty list (give one path, or several: ["open", "closed"])')
        return value

    @field_validator("lookback")
    @classmethod
    def _sane_lookback(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and not timedelta(minutes=1) <= value <= timedelta(days=3660):
            raise ValueError("lookback must be between 1m and 3660d")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ReadEndpoint:
        templated = [self.path, self.params, self.body]
        check_placeholders(templated, READ_PLACEHOLDERS, record_fields=self.for_each is not None)
        used = placeholders(templated)
        if self.for_each is not None:
            if not any(name.startswith(RECORD_PLACEHOLDER_PREFIX) for name in used):
                raise ValueError(
                    'for_each = "records" needs {record.id} (or another {record.<field>}) in path, params or body'
                )
            if "cursor" in used or self.cursor_field is not None:
                raise ValueError(
                    "a per-record read (for_each) reads each record's whole list; drop {cursor} and cursor_field"
                )
        elif self.for_modules:
            raise ValueError('for_modules only applies to per-record reads (for_each = "records")')
        if "id" not in self.fields:
            raise ValueError('fields.id is required (the path of each item\'s id, e.g. id = "id")')
        if self.pagination.location == "body" and self.method != "POST":
            raise ValueError('pagination.location = "body" needs method = "POST" (a search endpoint)')
        if self.initial_cursor is not None and self.lookback is not None:
            raise ValueError("set initial_cursor or lookback, not both")
        return self

    def items_paths(self) -> tuple[str | None, ...]:
        """The lists to read in each answer (``(None,)``: the body itself is the list)."""
        if self.items is None:
            return (None,)
        return tuple(self.items) if isinstance(self.items, list) else (self.items,)


class RecordEndpoint(ConfigModel):
    """A single-record read, e.g. ``path = "/leads/{id}"``; used for webhooks that carry only ids.

    ``fields`` defaults to those of the records endpoint of the same ``module``.
    """

    module: Module | None = None
    method: Literal["GET", "POST"] = "GET"
    path: str = Field(min_length=1)
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    item: FieldPath | None = None
    fields: dict[str, FieldPath] = Field(default_factory=dict)

    @field_validator("path")
    @classmethod
    def _has_id(cls, value: str) -> str:
        check_placeholders(value, READ_PLACEHOLDERS)
        if "{id}" not in value:
            raise ValueError('the single-record path needs {id} (e.g. "/leads/{id}")')
        return value


Endpoints = Annotated[tuple[ReadEndpoint, ...], BeforeValidator(_as_tuple)]
RecordEndpoints = Annotated[tuple[RecordEndpoint, ...], BeforeValidator(_as_tuple)]


class ReadSection(ConfigModel):
    users: ReadEndpoint | None = None
    records: Endpoints = ()
    activities: Endpoints = ()
    deleted: Endpoints = ()
    record: RecordEndpoints = ()

    @model_validator(mode="after")
    def _known_fields(self) -> ReadSection:
        if self.users is not None:
            _check_fields("users", self.users, USER_FIELDS, ("id",))
            _only_on("users", self.users)
        for endpoint in self.activities:
            required = ("id", "occurred_at") if endpoint.for_each else ("id", "record_id", "occurred_at")
            _check_fields("activities", endpoint, ACTIVITY_FIELDS, required)
            _only_on("activities", endpoint)
        for endpoint in self.deleted:
            _check_fields("deleted", endpoint, DELETED_FIELDS, ("id",))
            _only_on("deleted", endpoint)
        for endpoint in self.records:
            _only_on("records", endpoint)
        self._unique_streams()
        self._unique_record_modules()
        self._samples_map()
        return self

    def streams(self, kind: Literal["records", "activities", "deleted"]) -> list[tuple[str, ReadEndpoint]]:
        """``(stream name, endpoint)`` pairs: the cursor key of each list endpoint of ``kind``."""
        endpoints: tuple[ReadEndpoint, ...] = getattr(self, kind)
        if len(endpoints) == 1 and endpoints[0].name is None:
            return [(kind, endpoints[0])]
        return [(e.name or f"{kind}[{i}]", e) for i, e in enumerate(endpoints)]

    def records_for(self, module: Module) -> ReadEndpoint | None:
        """The records endpoint that maps ``module`` (one without a module maps every module)."""
        return next((e for e in self.records if e.module == module), None) or next(
            (e for e in self.records if e.module is None), None
        )

    def record_for(self, module: Module) -> RecordEndpoint | None:
        """The single-record endpoint for ``module`` (one without a module serves every module)."""
        return next((e for e in self.record if e.module == module), None) or next(
            (e for e in self.record if e.module is None), None
        )

    def _unique_streams(self) -> None:
        seen: set[str] = set()
        for kind in ("records", "activities", "deleted"):
            endpoints: tuple[ReadEndpoint, ...] = getattr(self, kind)
            for i, endpoint in enumerate(endpoints):
                if len(endpoints) > 1 and endpoint.name is None:
                    raise ValueError(
                        f"read.{kind}[{i}]: several {kind} endpoints need a name each "
                        '(the key their cursor is saved under, e.g. name = "contacts")'
                    )
            for name, _ in self.streams(kind):
                if name in seen:
                    raise ValueError(
                        f'read: two streams are named "{name}" (give each endpoint its own name)'
                    )
                seen.add(name)

    def _unique_record_modules(self) -> None:
        for kind, endpoints in (("records", self.records), ("record", self.record)):
            modules = [e.module for e in endpoints]
            dup = next((m for m in modules if modules.count(m) > 1), None)
            if len(modules) > 1 and (dup is not None or None in modules):
                what = f'module "{dup}"' if dup is not None else "an endpoint without a module"
                raise ValueError(
                    f"read.{kind}: {what} appears twice (with several {kind} endpoints, give each its "
                    'own module, e.g. module = "Contacts")'
                )

    def _samples_map(self) -> None:
        from adapters.webhook.samples import check_samples

        check_samples(self)


def _check_fields(
    stream: str, endpoint: ReadEndpoint, allowed: frozenset[str], required: tuple[str, ...]
) -> None:
    unknown = sorted(set(endpoint.fields) - allowed)
    if unknown:
        raise ValueError(
            f"read.{stream}.fields: unknown field {', '.join(unknown)} (map only {', '.join(sorted(allowed))})"
        )
    missing = [f for f in required if f not in endpoint.fields]
    if missing:
        raise ValueError(f"read.{stream}.fields: {', '.join(missing)} is required")


def _only_on(stream: str, endpoint: ReadEndpoint) -> None:
    """Keys that mean something for one kind of stream only."""
    wrong = []
    if stream != "activities" and (endpoint.for_each is not None or endpoint.kinds):
        wrong.append("for_each" if endpoint.for_each is not None else "kinds")
    if stream != "records":
        if endpoint.deleted is not None:
            wrong.append("deleted")
        if endpoint.missing_means_deleted:
            wrong.append("missing_means_deleted")
        if endpoint.owners != "first":
            wrong.append("owners")
    if wrong:
        raise ValueError(f"read.{stream}: {', '.join(wrong)} does not apply to {stream} endpoints")
