"""``[teams.<name>]`` and ``[assignment]``: who may receive a reassigned or lapsed record."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from connector.config_base import ConfigModel, TimeZoneName
from rules.assign.fields import check_filter

DEFAULT_CLOSED_STATUSES = (
    "Converted",
    "Junk",
    "Junk Lead",
    "Lost Lead",
    "Closed",
    "Closed Won",
    "Closed Lost",
    "Closed-Won",
    "Closed-Lost",
)
"""Statuses that do not count towards a member's open load (``[assignment] closed_statuses``)."""

FieldFilter = dict[str, str | tuple[str, ...]]
"""``{field = value}`` or ``{field = [values]}``; a ``<field>_not`` key excludes values instead."""


class TeamConfig(ConfigModel):
    members: tuple[str, ...] = Field(default=(), min_length=1)  # written, it must name someone
    strategy: Literal["round-robin", "weighted", "least-loaded"] = "round-robin"
    weights: dict[str, int] = Field(default_factory=dict)
    max_open: int | None = None

    @field_validator("members")
    @classmethod
    def _unique_members(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seen = [m.strip() for m in value]
        twice = sorted({m for m in seen if seen.count(m) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed twice in members (list each member once)")
        return tuple(seen)

    @field_validator("max_open")
    @classmethod
    def _positive_capacity(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError(f"max_open = {value} leaves no capacity (use a positive number or leave it out)")
        return value

    @model_validator(mode="after")
    def _weights_of_members(self) -> TeamConfig:
        for member, weight in self.weights.items():
            if member not in self.members:
                raise ValueError(
                    f'weight given for "{member}", who is not in members (add them or drop the weight)'
                )
            if weight < 1:
                raise ValueError(
                    f'weight {weight} for "{member}" must be a positive whole number (e.g. 1 or 2)'
                )
        if self.weights and self.strategy != "weighted":
            raise ValueError('weights only apply to strategy = "weighted" (set the strategy or drop weights)')
        return self

    def weight(self, member: str) -> int:
        return self.weights.get(member, 1)


class Unavailability(ConfigModel):
    """A member who must not receive records between ``from`` and ``to`` (dates are whole days)."""

    user: str
    from_: datetime | date = Field(alias="from")
    to: datetime | date

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _date_stays_a_date(cls, value: object) -> object:
        """``"2026-03-01"`` means the whole day, not midnight of a datetime."""
        if isinstance(value, str) and len(value.strip()) == 10:
            return date.fromisoformat(value.strip())
        return value

    def window(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Half-open ``[start, end)``; a date ``to`` includes that whole day."""
        return _instant(self.from_, zone, end=False), _instant(self.to, zone, end=True)

    @model_validator(mode="after")
    def _ordered(self) -> Unavailability:
        zone = ZoneInfo("UTC")
        start, end = self.window(zone)
        if end <= start:
            raise ValueError(f'unavailability of "{self.user}" ends before it starts (swap from and to)')
        return self


class Route(ConfigModel):
    """Territory routing: the first route whose ``when`` matches the record picks the team."""

    when: FieldFilter = Field(default_factory=dict)
    team: str

    @field_validator("when")
    @classmethod
    def _known_fields(cls, value: FieldFilter) -> FieldFilter:
        check_filter(value)
        return value


class AssignmentConfig(ConfigModel):
    unavailable: tuple[Unavailability, ...] = ()
    route: tuple[Route, ...] = ()
    closed_statuses: tuple[str, ...] = DEFAULT_CLOSED_STATUSES
    timezone: TimeZoneName = "UTC"



def _instant(value: datetime | date, zone: ZoneInfo, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
