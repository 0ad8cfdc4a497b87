"""``[notify]``: where digests go, what each target receives, and when it stays quiet.

Severity (what ``min_severity`` compares):

- ``critical``: a record changes hands (a reassignment or a move to the pool, applied; planned in a dry run);
- ``warning``: a new conflict (撞单) or a new missed SLA;
- ``info``: a late first contact (the lead is being worked) or an SLA warning step (not yet due).
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from connector.config_base import ConfigModel, TimeZoneName
from connector.durations import Duration

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}
Kind = Literal["pursuit", "sla", "late", "reassign"]
Event = Literal["sync", "worker"]
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class QuietHours(ConfigModel):
    start: time
    end: time

    def covers(self, at: time) -> bool:
        """Inside ``[start, end)``; a window like 22:00-08:00 wraps past midnight."""
        if self.start <= self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end


def parse_quiet_hours(text: str) -> QuietHours:
    match = _HOURS.match(text.strip())
    if match is None:
        raise ValueError(f'quiet_hours "{text}" is not a time range (write e.g. "22:00-08:00")')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if (h1, m1) == (h2, m2):
        raise ValueError(f'quiet_hours "{text}" starts and ends at the same time (write e.g. "22:00-08:00")')
    return QuietHours(start=time(h1, m1), end=time(h2, m2))


class NotifyTarget(ConfigModel):
    """One place digests go, e.g. ``url = "${WECOM_BOT_URL}"`` (an apprise URL such as ``wecombot://KEY``)."""

    name: str = Field(min_length=1, max_length=64)
    url: SecretStr
    teams: tuple[str, ...] = ()
    """Only items involving a rep of these teams (``[teams.*]`` or the CRM's teams); empty: everyone."""
    kinds: tuple[Kind, ...] = ("pursuit", "sla", "late", "reassign")
    min_severity: Severity = "info"
    quiet_hours: str | None = None
    """E.g. ``"22:00-08:00"``: messages wait until the first run after the quiet hours end."""
    timezone: TimeZoneName | None = None
    """The zone of ``quiet_hours`` (default: ``[referee] timezone``)."""
    events: tuple[Event, ...] = ("sync", "worker")
    format: Literal["markdown", "text"] = "markdown"

    @field_validator("url")
    @classmethod
    def _apprise_url(cls, value: SecretStr) -> SecretStr:
        import apprise

        if apprise.Apprise.instantiate(value.get_secret_value()) is None:
            raise ValueError(
                "is not a URL apprise can send to (e.g. wecombot://KEY, dingtalk://TOKEN, feishu://TOKEN, "
                "slack://..., mailtos://user:pass@host; see the apprise wiki)"
            )
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str | None) -> str | None:
        if value is not None:
            parse_quiet_hours(value)
        return value

    @field_validator("kinds", "events")
    @classmethod
    def _not_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("is empty (list at least one, or remove the key for all)")
        return value

    @property
    def quiet(self) -> QuietHours | None:
        return parse_quiet_hours(self.quiet_hours) if self.quiet_hours else None


class NotifySection(ConfigModel):
    targets: tuple[NotifyTarget, ...] = ()
    after_dry_run: bool = True
    """Send digests after dry runs too (marked "planned"), e.g. while the team tries crm-referee."""
    max_items: int = Field(default=10, ge=1, le=200)
    """Items per section of one digest; the rest are counted ("… and 12 more")."""
    max_attempts: int = Field(default=20, ge=1, le=1000)
    """Delivery attempts (one per run) before an undelivered message is dropped (logged)."""
    keep_for: Duration = timedelta(days=3)
    """An undelivered message older than this is dropped (logged): old news helps nobody."""
    report_url: str | None = None
    """A link every digest ends with, e.g. where ``referee sync --report`` output is published."""

    @field_validator("keep_for")
    @classmethod
    def _keep_for(cls, value: timedelta) -> timedelta:
        if not timedelta(hours=1) <= value <= timedelta(days=30):
            raise ValueError('keep_for must be between 1h and 30d (write e.g. "3d")')
        return value

    @field_validator("report_url")
    @classmethod
    def _report_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError('report_url must start with https:// (write e.g. "https://intranet/referee/report.html")')
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> NotifySection:
        names = [t.name for t in self.targets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"target name {', '.join(duplicates)} is used twice (give each target its own name)")
        return self
