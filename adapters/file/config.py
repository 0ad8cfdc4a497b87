"""``[adapters.<name>]`` with ``kind = "file"``: a directory of JSON Lines or CSV exports."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from connector.config_base import ConfigModel
from connector.links import check_record_url

USER_FIELDS: tuple[str, ...] = ("id", "name", "email", "active", "team", "time_zone", "unavailable")
RECORD_FIELDS: tuple[str, ...] = (
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
    "phone",
    "mobile",
    "website",
    "tax_id",
    "country",
    "city",
    "account_id",
    "tags",
)
ACTIVITY_FIELDS: tuple[str, ...] = (
    "id",
    "record_id",
    "module",
    "owner_id",
    "kind",
    "occurred_at",
    "completed",
)


def _check_fields(mapping: dict[str, str], known: tuple[str, ...]) -> dict[str, str]:
    unknown = sorted(set(mapping) - set(known))
    if unknown:
        raise ValueError(
            f"unknown canonical field(s) {', '.join(unknown)} "
            f"(map one of {', '.join(known)} to a column header; other columns are kept in `extra`)"
        )
    return mapping


class ColumnMaps(ConfigModel):
    """Per file: canonical field name = column header (or JSON key) in the export."""

    users: dict[str, str] = Field(default_factory=dict)
    records: dict[str, str] = Field(default_factory=dict)
    activities: dict[str, str] = Field(default_factory=dict)

    @field_validator("users")
    @classmethod
    def _users(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_fields(value, USER_FIELDS)

    @field_validator("records")
    @classmethod
    def _records(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_fields(value, RECORD_FIELDS)

    @field_validator("activities")
    @classmethod
    def _activities(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_fields(value, ACTIVITY_FIELDS)

    def for_stream(self, stream: str) -> dict[str, str]:
        return {"users": self.users, "records": self.records, "activities": self.activities}[stream]


class FileAdapterConfig(ConfigModel):
    kind: Literal["file"]
    path: Path
    format: Literal["auto", "jsonl", "csv"] = "auto"
    columns: ColumnMaps = ColumnMaps()
    batch_size: int = Field(default=5000, ge=1)
    record_url: str | None = None
    """Links to records in reports and digests, e.g. ``"https://crm.example.com/{module}/{id}"``."""

    @field_validator("record_url")
    @classmethod
    def _record_url(cls, value: str | None) -> str | None:
        return check_record_url(value)

    def relative_to(self, base: Path) -> FileAdapterConfig:
        """A copy whose relative ``path`` is taken relative to ``base`` (the config file's folder)."""
        if self.path.is_absolute():
            return self
        return self.model_copy(update={"path": base / self.path})


def describe(config: FileAdapterConfig) -> list[str]:
    """Lines for ``referee validate``."""
    mapped = [s for s in ("users", "records", "activities") if config.columns.for_stream(s)]
    lines = [f"folder {config.path} ({config.format})"]
    if mapped:
        lines.append(f"column maps for {', '.join(mapped)}")
    return lines
