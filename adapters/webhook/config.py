"""``[adapters.<name>]`` with ``kind = "webhook"``: a REST CRM described entirely in TOML.

Field paths are JMESPath expressions (``owner.id``, ``contacts[0].email``, ``'Leads'``); they are
compiled here so a typo fails when the config loads, not in the middle of a sync.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import AfterValidator, Field, SecretStr, field_validator, model_validator

from connector.config_base import ConfigModel
from connector.domain import Module
from connector.durations import Duration

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
WRITE_PLACEHOLDERS = frozenset({"id", "to", "from", "tag", "text", "module"})
READ_PLACEHOLDERS = frozenset({"cursor", "id", "module"})

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
ACTIVITY_FIELDS = frozenset(
    {"id", "record_id", "record_module", "owner_id", "kind", "occurred_at", "completed"}
)
USER_FIELDS = frozenset({"id", "name", "email", "active", "teams", "time_zone", "unavailable"})


def _compiles(value: str) -> str:
    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(
            f'"{value}" is not a valid field path: {first_line} '
            "(write e.g. owner.id, contacts[0].email or 'Leads' for a literal)"
        ) from None
    return value


FieldPath = Annotated[str, AfterValidator(_compiles)]
"""A JMESPath expression evaluated against one JSON item (or a whole response body)."""


def _placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(_placeholders(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_placeholders(v) for v in value)) if value else set()
    return set()


def _check_placeholders(value: Any, allowed: frozenset[str]) -> None:
    unknown = _placeholders(value) - allowed
    if unknown:
        names = ", ".join("{" + n + "}" for n in sorted(unknown))
        known = ", ".join("{" + n + "}" for n in sorted(allowed))
        raise ValueError(f"unknown placeholder {names} (use {known})")


class BearerAuth(ConfigModel):
    type: Literal["bearer"]
    token: SecretStr


class BasicAuth(ConfigModel):
    type: Literal["basic"]
    username: str
    password: SecretStr


class HeaderAuth(ConfigModel):
    """An API key in a custom header, e.g. ``name = "X-Api-Key"``."""

    type: Literal["header"]
    name: str
    value: SecretStr


class QueryAuth(ConfigModel):
    """An API key as a query parameter on every request, e.g. ``name = "api_key"``."""

    type: Literal["query"]
    name: str
    value: SecretStr


Auth = Annotated[BearerAuth | BasicAuth | HeaderAuth | QueryAuth, Field(discriminator="type")]


class Pagination(ConfigModel):
    """How to get from one page to the next.

    ``page``/``offset`` send ``param`` (and ``limit_param = limit``); ``cursor`` sends the token
    found at ``next``; ``next-url`` follows the URL found at ``next``; ``link-header`` follows
    the RFC 8288 ``rel="next"`` link. ``stop`` ends page/offset paging on an ``empty`` page or
    a ``short`` one (fewer than ``limit`` items); ``has_more`` (a path to a boolean) also stops.
    """

    style: Literal["none", "page", "offset", "cursor", "link-header", "next-url"] = "none"
    param: str | None = None
    next: FieldPath | None = None
    start: int | None = None
    limit_param: str | None = None
    limit: int | None = Field(default=None, gt=0)
    stop: Literal["empty", "short"] = "empty"
    has_more: FieldPath | None = None
    max_pages: int = Field(default=1000, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> Pagination:
        if self.style == "cursor" and (self.param is None or self.next is None):
            raise ValueError('style "cursor" needs param (the query parameter) and next (the token\'s path)')
        if self.style == "next-url" and self.next is None:
            raise ValueError('style "next-url" needs next (the path of the next page\'s URL in the body)')
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


class ReadEndpoint(ConfigModel):
    """One list endpoint: users, records or activities."""

    method: Literal["GET", "POST"] = "GET"
    path: str
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    body: dict[str, Any] | None = None
    items: FieldPath | None = None
    pagination: Pagination = Pagination()
    cursor_field: FieldPath | None = None
    fields: dict[str, FieldPath] = Field(default_factory=dict)
    kinds: dict[str, Literal["call", "meeting", "task", "note", "email"]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _placeholders_known(self) -> ReadEndpoint:
        _check_placeholders([self.path, self.params, self.body], READ_PLACEHOLDERS)
        if "id" not in self.fields:
            raise ValueError('fields.id is required (the path of each item\'s id, e.g. id = "id")')
        return self


class RecordEndpoint(ConfigModel):
    """A single-record read, e.g. ``path = "/leads/{id}"``; used for webhooks that carry only ids."""

    method: Literal["GET", "POST"] = "GET"
    path: str
    item: FieldPath | None = None
    fields: dict[str, FieldPath] = Field(default_factory=dict)

    @field_validator("path")
    @classmethod
    def _has_id(cls, value: str) -> str:
        _check_placeholders(value, READ_PLACEHOLDERS)
        if "{id}" not in value:
            raise ValueError('the single-record path needs {id} (e.g. "/leads/{id}")')
        return value


class ReadSection(ConfigModel):
    users: ReadEndpoint | None = None
    records: ReadEndpoint | None = None
    activities: ReadEndpoint | None = None
    record: RecordEndpoint | None = None

    @model_validator(mode="after")
    def _known_fields(self) -> ReadSection:
        for stream, allowed, required in (
            ("users", USER_FIELDS, ("id",)),
            ("activities", ACTIVITY_FIELDS, ("id", "record_id", "occurred_at")),
        ):
            endpoint: ReadEndpoint | None = getattr(self, stream)
            if endpoint is None:
                continue
            unknown = sorted(set(endpoint.fields) - allowed)
            if unknown:
                raise ValueError(
                    f"read.{stream}.fields: unknown field {', '.join(unknown)} "
                    f"(map only {', '.join(sorted(allowed))})"
                )
            missing = [f for f in required if f not in endpoint.fields]
            if missing:
                raise ValueError(f"read.{stream}.fields: {', '.join(missing)} is required")
        return self


class WriteEndpoint(ConfigModel):
    """One write call; ``{id}``, ``{to}``, ``{from}``, ``{tag}``, ``{text}``, ``{module}`` are filled in."""

    method: Literal["POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str
    body: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _placeholders_known(self) -> WriteEndpoint:
        _check_placeholders([self.path, self.body], WRITE_PLACEHOLDERS)
        return self


class WriteSection(ConfigModel):
    reassign: WriteEndpoint | None = None
    flag: WriteEndpoint | None = None
    note: WriteEndpoint | None = None


class SignatureConfig(ConfigModel):
    """Where the CRM puts its signature and how it computes it.

    With ``timestamp_header`` the signed string is ``<timestamp> + "." + <raw body>``.
    """

    header: str
    scheme: Literal["hmac-sha256", "hmac-sha1", "token"] = "hmac-sha256"
    prefix: str = ""
    encoding: Literal["hex", "base64"] = "hex"
    timestamp_header: str | None = None
    tolerance: Duration = timedelta(minutes=5)


class InboundConfig(ConfigModel):
    secret: SecretStr
    signature: SignatureConfig
    event_id: FieldPath | None = None
    record: FieldPath | None = None
    record_id: FieldPath | None = None
    module: Module = Module.LEADS

    @model_validator(mode="after")
    def _one_source(self) -> InboundConfig:
        if (self.record is None) == (self.record_id is None):
            raise ValueError(
                "set exactly one of record (the changed record's path in the payload) "
                "or record_id (its id, fetched through read.record)"
            )
        return self


class WebhookAdapterConfig(ConfigModel):
    kind: Literal["webhook"]
    base_url: str
    auth: Auth | None = None
    timeout: Duration = timedelta(seconds=30)
    read: ReadSection = ReadSection()
    write: WriteSection = WriteSection()
    inbound: InboundConfig | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                'base_url must start with http:// or https:// (e.g. "https://crm.example.com/api")'
            )
        return value.rstrip("/")

    @model_validator(mode="after")
    def _inbound_sources(self) -> WebhookAdapterConfig:
        if self.inbound is None:
            return self
        if self.inbound.record is not None and self.read.records is None:
            raise ValueError("inbound.record is mapped with read.records.fields, so configure read.records")
        if self.inbound.record_id is not None and self.read.record is None:
            raise ValueError('inbound.record_id needs read.record (e.g. path = "/leads/{id}") to fetch it')
        return self


def describe(config: WebhookAdapterConfig) -> list[str]:
    """Lines ``referee validate`` prints for this adapter (see :mod:`adapters.webhook.describe`)."""
    from adapters.webhook.describe import describe as describe_webhook

    return describe_webhook(config)
