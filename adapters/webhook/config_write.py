"""``[adapters.<name>.write]``: how each action type is written back, and how to tell it landed.

A write is one call, optionally preceded by reads that make it safe on real APIs:
``current`` reads the record first (to merge into its tag list, to send the whole record, to
check the owner or take its ETag), ``tag_lookup`` finds a tag's id by name and can create it.
``success`` judges the answer, because many CRMs say "200" when nothing happened.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from adapters.webhook.fieldpath import FieldPath
from adapters.webhook.vocab import WRITE_PLACEHOLDERS, check_placeholders
from connector.config_base import ConfigModel
from connector.domain import Module

LOOKUP_PLACEHOLDERS = frozenset({"tag", "module", "id", "now"})


class CurrentRead(ConfigModel):
    """The read before a write: ``GET path``, the record at ``item`` (default: the whole answer).

    ``if_match = true`` sends the answer's ``ETag`` back as ``If-Match``, so the CRM refuses
    (412) a write over a change made in between.
    """

    method: Literal["GET", "POST"] = "GET"
    path: str
    params: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | None = None
    item: FieldPath | None = None
    if_match: bool = False

    @model_validator(mode="after")
    def _placeholders_known(self) -> CurrentRead:
        check_placeholders([self.path, self.params, self.body], WRITE_PLACEHOLDERS)
        return self


class TagCreate(ConfigModel):
    """Create a tag that the lookup did not find; ``id`` is the new tag's id in the answer."""

    method: Literal["POST", "PUT"] = "POST"
    path: str
    body: dict[str, Any] | None = None
    id: FieldPath = "id"
    success: FieldPath | None = None

    @model_validator(mode="after")
    def _placeholders_known(self) -> TagCreate:
        check_placeholders([self.path, self.body], LOOKUP_PLACEHOLDERS)
        return self


class TagLookup(ConfigModel):
    """Find the id of the tag named ``{tag}``: the item of ``items`` whose ``name`` equals it.

    Filter on the server where the API can (``params``); the answer's first page is searched.
    Without a match, ``create`` makes the tag, or the write fails saying the tag does not exist.
    The id is ``{tag_id}`` in the write. Ids are looked up once per run and tag.
    """

    method: Literal["GET", "POST"] = "GET"
    path: str
    params: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | None = None
    items: FieldPath | None = None
    name: FieldPath = "name"
    id: FieldPath = "id"
    create: TagCreate | None = None

    @model_validator(mode="after")
    def _placeholders_known(self) -> TagLookup:
        check_placeholders([self.path, self.params, self.body], LOOKUP_PLACEHOLDERS)
        return self


class Merge(ConfigModel):
    """Add one element to the list the record has now, and send the whole list.

    ``current`` is the list's path in the current record, ``field`` the dotted key of the body
    that gets the merged list, ``add`` the element (``"{tag_id}"``, ``"{tag}"`` or a table such as
    ``{ id = "{tag_id}" }``). ``key`` compares elements (``id`` for tag objects), ``separator``
    reads and writes a text list (``"a;b"``). An element already there means nothing is sent.
    """

    field: str = Field(min_length=1)
    current: FieldPath
    add: str | dict[str, Any]
    key: FieldPath | None = None
    separator: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _placeholders_known(self) -> Merge:
        check_placeholders(self.add, WRITE_PLACEHOLDERS | {"tag_id"})
        return self


class WriteEndpoint(ConfigModel):
    """One write call; ``{id}``, ``{to}``, ``{from}``, ``{tag}``, ``{text}``, ``{module}``, ``{now}``
    (and ``{tag_id}`` with ``tag_lookup``) are filled in.

    ``whole = true`` starts the body from the current record (less the ``drop`` keys) for APIs
    that only take a whole record. ``expect_owner`` is the owner's path in the current record:
    when it is no longer ``{from}``, a person changed it and the write is skipped. ``success``
    is a path on the answer that must be true (``"!error"``, ``"status == 'SUCCESS'"``), and
    ``message`` where the CRM's own words are when it is not. ``max_length`` cuts ``{text}``.
    ``numbers`` lists dotted body keys sent as JSON numbers (CRMs whose ids are integers).
    """

    module: Module | None = None
    method: Literal["POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str
    body: dict[str, Any] | None = None
    current: CurrentRead | None = None
    tag_lookup: TagLookup | None = None
    merge: Merge | None = None
    whole: bool = False
    drop: tuple[str, ...] = ()
    expect_owner: FieldPath | None = None
    success: FieldPath | None = None
    message: FieldPath | None = None
    max_length: int | None = Field(default=None, ge=2, le=10_000_000)
    numbers: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _placeholders_known(self) -> WriteEndpoint:
        allowed = WRITE_PLACEHOLDERS | ({"tag_id"} if self.tag_lookup is not None else set())
        check_placeholders([self.path, self.body], frozenset(allowed))
        return self

    @model_validator(mode="after")
    def _reads_it_needs(self) -> WriteEndpoint:
        for key, value in (("merge", self.merge), ("whole", self.whole), ("expect_owner", self.expect_owner)):
            if value and self.current is None:
                raise ValueError(
                    f'{key} works on the record as it is now, so add current = {{ path = "..." }} '
                    "(the read before the write)"
                )
        if self.drop and not self.whole:
            raise ValueError("drop leaves keys out of the whole record, so it needs whole = true")
        return self


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


class WriteSection(ConfigModel):
    """One endpoint per action type, or an array of them with ``module`` (one per CRM object).

    ``modules`` spells ``{module}`` the CRM's way (``{ Leads = "Lead" }``).
    """

    modules: dict[Module, str] = Field(default_factory=dict)
    reassign: list[WriteEndpoint] | None = None
    flag: list[WriteEndpoint] | None = None
    note: list[WriteEndpoint] | None = None

    @field_validator("reassign", "flag", "note", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return _as_list(value)

    @model_validator(mode="after")
    def _one_per_module(self) -> WriteSection:
        for action in ("reassign", "flag", "note"):
            endpoints: list[WriteEndpoint] = getattr(self, action) or []
            seen: set[Module | None] = set()
            for endpoint in endpoints:
                if endpoint.module in seen:
                    which = f"module {endpoint.module}" if endpoint.module else "no module"
                    raise ValueError(f"write.{action} has two endpoints for {which} (give each its module)")
                seen.add(endpoint.module)
        return self

    def endpoints(self, action: str) -> list[WriteEndpoint]:
        found: list[WriteEndpoint] | None = getattr(self, action)
        return found or []

    def endpoint_for(self, action: str, module: Module) -> WriteEndpoint | None:
        """The endpoint for ``module``, else the one without a module."""
        endpoints = self.endpoints(action)
        return next((e for e in endpoints if e.module == module), None) or next(
            (e for e in endpoints if e.module is None), None
        )

    def module_name(self, module: Module) -> str:
        return self.modules.get(module, module.value)
