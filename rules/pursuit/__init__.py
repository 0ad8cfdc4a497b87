"""Duplicate pursuit (撞单): findings and actions when several reps chase one customer."""

from __future__ import annotations

from rules.pursuit.config import PursuitRule
from rules.pursuit.engine import evaluate_pursuit

__all__ = ["PursuitRule", "evaluate_pursuit"]
