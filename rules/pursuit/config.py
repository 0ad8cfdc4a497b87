"""``[[rules.pursuit]]``: when several reps chasing one customer is a conflict, and who keeps it."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from connector.config_base import ConfigModel
from connector.durations import Duration


class PursuitRule(ConfigModel):
    name: str
    active_within: Duration = timedelta(days=30)
    resolve: Literal["first-touch", "protection", "account-owner", "most-recent", "flag-only"] = "first-touch"
    action: Literal["flag", "reassign"] = "flag"
    tag: str = "referee:conflict"
    notes: bool = True
