"""``[calendars.<name>]``: business hours, weekdays and holidays."""

from __future__ import annotations

from connector.config_base import ConfigModel


class CalendarConfig(ConfigModel):
    timezone: str = "UTC"
