"""``[[rules.sla]]``: follow-up deadlines on records and what happens when they are missed."""

from __future__ import annotations

from typing import Literal

from connector.config_base import ConfigModel
from connector.domain import Module
from connector.durations import Duration


class SlaRule(ConfigModel):
    name: str
    module: Module = Module.LEADS
    first_activity_within: Duration | None = None
    on_breach: Literal["flag", "reassign", "pool"] = "flag"
    tag: str = "referee:sla-breach"
    notes: bool = True
