"""One entry point for the whole rules engine: a snapshot and the rule config in, a plan out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connector.domain import Action, ActionType, Finding, RecordRef
from connector.i18n import Language, messages
from rules.assign.config import AssignmentConfig, TeamConfig
from rules.calendar.config import CalendarConfig
from rules.exemptions import Exemption
from rules.identity.config import IdentityConfig
from rules.identity.resolve import resolve
from rules.pursuit.config import PursuitRule
from rules.pursuit.engine import evaluate_pursuit
from rules.sla.config import SlaRule
from rules.sla.engine import evaluate_sla
from rules.snapshot import Plan, Snapshot


@dataclass(frozen=True)
class RuleSet:
    """The parts of the config the engine reads, gathered so ``rules/`` never imports the loader."""

    identity: IdentityConfig = field(default_factory=IdentityConfig)
    pursuit: Sequence[PursuitRule] = ()
    sla: Sequence[SlaRule] = ()
    calendars: Mapping[str, CalendarConfig] = field(default_factory=dict)
    teams: Mapping[str, TeamConfig] = field(default_factory=dict)
    assignment: AssignmentConfig = field(default_factory=AssignmentConfig)
    timezone: str = "UTC"
    """``[referee] timezone``: the zone findings speak in when a rule has no calendar."""
    language: Language = "en"
    """``[referee] language``: the language of evidence sentences and CRM notes."""
    exemptions: Sequence[Exemption] = ()
    """``[[exempt]]`` from the config; added to the snapshot's (from the store)."""


def evaluate(snapshot: Snapshot, ruleset: RuleSet, now: datetime) -> Plan:
    """Run every rule on ``snapshot`` as of ``now``; deterministic for equal inputs."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    resolution = resolve(snapshot.records, ruleset.identity)
    msg = messages(ruleset.language)
    exemptions = (*ruleset.exemptions, *snapshot.exemptions)
    pursuit_findings, pursuit_actions = evaluate_pursuit(
        snapshot, ruleset.identity, ruleset.pursuit, now, resolution=resolution, msg=msg, exemptions=exemptions
    )
    sla_findings, sla_actions, state = evaluate_sla(
        snapshot, ruleset.sla, ruleset.calendars, ruleset.teams, ruleset.assignment, now,
        timezone=ruleset.timezone, msg=msg,
    )
    return Plan(
        findings=tuple(pursuit_findings) + tuple(sla_findings),
        actions=_dedupe([*pursuit_actions, *sla_actions]),
        assignment_state=state,
        resolution=resolution,
    )


_MOVE_AND_NOTE = (ActionType.REASSIGN, ActionType.NOTE)


def _dedupe(actions: Sequence[Action]) -> tuple[Action, ...]:
    """Drop repeated idempotency keys, and a second reassign of one record (the first rule wins).

    A dropped reassignment takes its rule's note on that record with it, so no note explains a
    move that will not happen.
    """
    reassigned: dict[RecordRef, str] = {}
    for action in actions:
        if action.type == ActionType.REASSIGN:
            reassigned.setdefault(action.target, action.rule)
    dropped = {
        (a.rule, a.target)
        for a in actions
        if a.type == ActionType.REASSIGN and reassigned[a.target] != a.rule
    }
    seen: set[str] = set()
    kept: list[Action] = []
    for action in actions:
        orphaned = (action.rule, action.target) in dropped and action.type in _MOVE_AND_NOTE
        if action.idempotency_key in seen or orphaned:
            continue
        seen.add(action.idempotency_key)
        kept.append(action)
    return tuple(kept)


__all__ = ["Finding", "Plan", "RuleSet", "Snapshot", "evaluate"]
