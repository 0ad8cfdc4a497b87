"""``[adapters.<name>]`` with ``kind = "webhook"``: a REST CRM described entirely in TOML.

Field paths are JMESPath expressions (``owner.id``, ``contacts[0].email``, ``'Leads'``); they are
compiled here so a typo fails when the config loads, not in the middle of a sync. The read side
lives in :mod:`adapters.webhook.config_read`, writes in :mod:`adapters.webhook.config_write`, credentials in :mod:`adapters.webhook.config_auth`
and webhooks in :mod:`adapters.webhook.config_inbound`; this module puts them together.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from adapters.webhook.config_auth import (
    Auth,
    BasicAuth,
    BearerAuth,
    HeaderAuth,
    LoginAuth,
    OAuth2Auth,
    QueryAuth,
)
from adapters.webhook.config_inbound import InboundConfig, SignatureConfig
from adapters.webhook.config_read import Pagination, ReadEndpoint, ReadSection, RecordEndpoint
from adapters.webhook.config_write import WriteEndpoint, WriteSection
from adapters.webhook.fieldpath import FieldPath
from adapters.webhook.vocab import (
    ACTIVITY_FIELDS,
    PLACEHOLDER,
    READ_PLACEHOLDERS,
    RECORD_FIELDS,
    USER_FIELDS,
    WRITE_PLACEHOLDERS,
)
from connector.config_base import ConfigModel, TimeZoneName, check_http_url
from connector.durations import Duration
from connector.links import check_record_url

__all__ = [
    "ACTIVITY_FIELDS",
    "PLACEHOLDER",
    "READ_PLACEHOLDERS",
    "RECORD_FIELDS",
    "USER_FIELDS",
    "WRITE_PLACEHOLDERS",
    "Auth",
    "BasicAuth",
    "BearerAuth",
    "FieldPath",
    "HeaderAuth",
    "InboundConfig",
    "LoginAuth",
    "OAuth2Auth",
    "Pagination",
    "QueryAuth",
    "ReadEndpoint",
    "ReadSection",
    "RecordEndpoint",
    "SignatureConfig",
    "WebhookAdapterConfig",
    "WriteEndpoint",
    "WriteSection",
]


class WebhookAdapterConfig(ConfigModel):
    """One REST CRM. ``timezone`` reads its naive timestamps (default: ``[referee] timezone``);
    ``integration_user`` is the CRM user id crm-referee writes as, so its own notes, tasks and
    changes are never taken for a rep's work."""

    kind: Literal["webhook"]
    base_url: str
    auth: Auth | None = None
    timeout: Duration = timedelta(seconds=30)
    timezone: TimeZoneName | None = None
    integration_user: str | None = Field(default=None, min_length=1)
    read: ReadSection = ReadSection()
    write: WriteSection = WriteSection()
    inbound: InboundConfig | None = None
    record_url: str | None = None
    """Links to records in reports and digests, e.g. ``"https://crm.example.com/{module}/{id}"``."""

    @field_validator("record_url")
    @classmethod
    def _record_url(cls, value: str | None) -> str | None:
        return check_record_url(value)

    @field_validator("timeout")
    @classmethod
    def _positive_timeout(cls, value: timedelta) -> timedelta:
        if not timedelta(0) < value <= timedelta(minutes=10):
            raise ValueError('timeout must be between 1ms and 10m (e.g. "30s")')
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return check_http_url(value, "base_url").rstrip("/")

    @model_validator(mode="after")
    def _inbound_sources(self) -> WebhookAdapterConfig:
        if self.inbound is None:
            return self
        if self.inbound.record is not None and not self.read.records:
            raise ValueError("inbound.record is mapped with read.records.fields, so configure read.records")
        if self.inbound.record_id is not None and not self.read.record:
            raise ValueError('inbound.record_id needs read.record (e.g. path = "/leads/{id}") to fetch it')
        return self


def describe(config: WebhookAdapterConfig) -> list[str]:
    """Lines ``referee validate`` prints for this adapter (see :mod:`adapters.webhook.describe`)."""
    from adapters.webhook.describe import describe as describe_webhook

    return describe_webhook(config)
