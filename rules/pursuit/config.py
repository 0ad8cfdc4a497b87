"""``[[rules.pursuit]]``: when several reps chasing one customer is a conflict, and who keeps it."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import model_validator

from connector.config_base import ConfigModel
from connector.durations import Duration

Policy = Literal["first-touch", "protection", "account-owner", "most-recent", "flag-only"]


class PursuitRule(ConfigModel):
    name: str
    active_within: Duration = timedelta(days=30)
    """A rep pursues a customer when their own activity on it is this recent."""
    resolve: Policy = "first-touch"
    protection_period: Duration | None = None
    """For ``resolve = "protection"``: how long the owner's last activity protects the customer."""
    allow_shared: tuple[str, ...] = ()
    """Teams (``User.teams``) whose members may pursue one customer together (联合跟进)."""
    action: Literal["flag", "reassign"] = "flag"
    tag: str = "referee:conflict"
    notes: bool = True

    @model_validator(mode="after")
    def _protection_needs_period(self) -> PursuitRule:
        if self.resolve == "protection" and self.protection_period is None:
            raise ValueError('resolve = "protection" needs protection_period (add e.g. protection_period = "15d")')
        if self.active_within <= timedelta(0):
            raise ValueError('active_within must be positive (write e.g. active_within = "30d")')
        return self
