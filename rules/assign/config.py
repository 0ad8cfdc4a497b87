"""``[teams.<name>]`` and ``[assignment]``: who may receive a reassigned or lapsed record."""

from __future__ import annotations

from connector.config_base import ConfigModel


class TeamConfig(ConfigModel):
    members: tuple[str, ...] = ()


class AssignmentConfig(ConfigModel):
    pass
