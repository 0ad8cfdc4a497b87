"""Request and response bodies of the HTTP API, with the examples the OpenAPI document shows."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connector.domain import Module


class Problem(BaseModel):
    """Every error answer: a sentence saying what is wrong and how to fix it."""

    detail: str = Field(description="What went wrong, in words; never a traceback or a secret.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"detail": "X-Signature does not match (wrong secret or the body was changed)"}]
        }
    )


class WebhookAccepted(BaseModel):
    """The event is stored in the inbox; the worker processes it shortly."""

    accepted: bool = True
    duplicate: bool = Field(description="True when this event id was delivered before (stored once).")
    event_id: str
    adapter: str

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"accepted": True, "duplicate": False, "event_id": "evt_01J9Z", "adapter": "acme"}]
        }
    )


class CheckCandidate(BaseModel):
    """A record about to be created (or a lookup), in the domain's field names."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "module": "Leads",
                    "company": "Shanghai Acme Trading Co., Ltd.",
                    "first_name": "Wei",
                    "last_name": "Zhang",
                    "emails": ["zhang.wei@acme.cn"],
                    "phones": ["+86 138 0013 8000"],
                    "website": "https://www.acme.cn",
                    "country": "CN",
                    "city": "Shanghai",
                }
            ]
        },
    )

    module: Module = Module.LEADS
    company: str | None = Field(default=None, max_length=500)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    emails: list[str] = Field(default_factory=list, max_length=20)
    phones: list[str] = Field(default_factory=list, max_length=20)
    website: str | None = Field(default=None, max_length=500)
    tax_id: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=100)
    city: str | None = Field(default=None, max_length=200)
    owner_id: str | None = Field(default=None, max_length=200, description="Who would own the new record.")

    @model_validator(mode="before")
    @classmethod
    def _singular_names(cls, data: Any) -> Any:
        """``email``/``phone`` (a string or a list), as ``referee check --record`` accepts them."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for one, many in (("email", "emails"), ("phone", "phones")):
            if one in data:
                value = data.pop(one)
                extra = value if isinstance(value, list) else [value] if value is not None else []
                existing = data.get(many) or []
                data[many] = [*existing, *extra] if isinstance(existing, list) else existing
        return data

    def as_candidate(self) -> dict[str, object]:
        """The dict the identity engine's ``check`` reads (empty fields left out)."""
        data = self.model_dump(mode="json", exclude_none=True)
        return {k: v for k, v in data.items() if v != []}


class Health(BaseModel):
    status: str

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})


class Readiness(BaseModel):
    status: str = Field(description='"ready" or "not ready"')
    schema_version: int | None = None
    expected_schema_version: int
    detail: str | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ready", "schema_version": 3, "expected_schema_version": 3, "detail": None},
                {
                    "status": "not ready",
                    "schema_version": 2,
                    "expected_schema_version": 3,
                    "detail": "the state store needs migrating (run any referee command once)",
                },
            ]
        }
    )
