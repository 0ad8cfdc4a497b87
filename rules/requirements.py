"""Which write-backs the configured rules can ask for, so set-up checks can test exactly those.

Pure: derived from the rule config alone. ``referee doctor`` checks each adapter for each write
type listed here (an endpoint, a scope, a writable folder), and names the rules that need it.
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.domain import ActionType
from rules.pursuit.config import PursuitRule
from rules.sla.config import SlaRule

_STEP_ACTION = {"flag": ActionType.FLAG, "reassign": ActionType.REASSIGN, "pool": ActionType.REASSIGN}


def writes_needed(pursuit: Sequence[PursuitRule], sla: Sequence[SlaRule]) -> dict[ActionType, tuple[str, ...]]:
    """Each write type the rules can plan, with the names of the rules that plan it (in config order)."""
    needs: dict[ActionType, list[str]] = {}

    def add(kind: ActionType, rule: str) -> None:
        names = needs.setdefault(kind, [])
        if rule not in names:
            names.append(rule)

    for rule in pursuit:  # a conflict is always tagged; "reassign" also moves the others' records
        if rule.action == "reassign" and rule.resolve != "flag-only":
            add(ActionType.REASSIGN, rule.name)
        add(ActionType.FLAG, rule.name)
        if rule.notes:
            add(ActionType.NOTE, rule.name)
    for sla_rule in sla:
        for step in sla_rule.ladder:
            add(_STEP_ACTION[step.do], sla_rule.name)
            if step.do == "reassign" and not sla_rule.pool_owner:  # no one to pick: it is flagged instead
                add(ActionType.FLAG, sla_rule.name)
        if sla_rule.first_activity_within is not None and sla_rule.on_late == "flag":
            add(ActionType.FLAG, sla_rule.name)
        if sla_rule.notes:
            add(ActionType.NOTE, sla_rule.name)
    order = list(ActionType)
    return {kind: tuple(needs[kind]) for kind in sorted(needs, key=order.index)}
