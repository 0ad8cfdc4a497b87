"""Fair assignment: teams, strategies, capacity, unavailability and territory routing."""

from __future__ import annotations

from rules.assign.assigner import TEAM_PREFIX, Assigner, Pick
from rules.assign.config import DEFAULT_CLOSED_STATUSES, AssignmentConfig, Route, TeamConfig, Unavailability
from rules.assign.fields import FieldMatcher

__all__ = [
    "DEFAULT_CLOSED_STATUSES",
    "TEAM_PREFIX",
    "Assigner",
    "AssignmentConfig",
    "FieldMatcher",
    "Pick",
    "Route",
    "TeamConfig",
    "Unavailability",
]
