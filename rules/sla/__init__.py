"""Follow-up SLAs: first contact, silence and stuck-status deadlines on business calendars."""

from __future__ import annotations

from rules.sla.config import InStatus, SlaRule, Step, validate_references
from rules.sla.engine import evaluate_sla

__all__ = ["InStatus", "SlaRule", "Step", "evaluate_sla", "validate_references"]
