"""Missed follow-up SLAs.

INTERIM (foundation issue): first contact within wall-clock hours only. The SLA issue replaces
the body; the signature of :func:`evaluate_sla` stays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from connector.domain import Action, ActionType, Finding, FindingKind, action_key
from rules.assign.config import AssignmentConfig, TeamConfig
from rules.calendar.config import CalendarConfig
from rules.sla.config import SlaRule
from rules.snapshot import Snapshot


def evaluate_sla(
    snapshot: Snapshot,
    rules: Sequence[SlaRule],
    calendars: Mapping[str, CalendarConfig],
    teams: Mapping[str, TeamConfig],
    assignment: AssignmentConfig,
    now: datetime,
) -> tuple[list[Finding], list[Action], dict[str, str]]:
    findings: list[Finding] = []
    actions: list[Action] = []
    first_own: dict[tuple, datetime] = {}
    for act in snapshot.activities:
        key = (act.record, act.owner_id)
        if act.completed and act.kind != "note" and (key not in first_own or act.occurred_at < first_own[key]):
            first_own[key] = act.occurred_at
    for rule in rules:
        if rule.first_activity_within is None:
            continue
        for record in sorted(snapshot.records, key=lambda r: (r.adapter, r.id)):
            start = record.assigned_at or record.created_at
            if record.module != rule.module or start is None or record.owner_id is None:
                continue
            due = start + rule.first_activity_within
            touched = first_own.get((record.ref, record.owner_id))
            if now <= due or (touched is not None and start <= touched <= due):
                continue
            findings.append(Finding(
                kind=FindingKind.SLA, rule=rule.name, records=(record.ref,), owners=(record.owner_id,),
                evidence=(f"assigned {start:%Y-%m-%d %H:%M}, no call or meeting by {due:%Y-%m-%d %H:%M}",),
                due_at=due, breached_at=due, detected_at=now,
            ))
            if rule.tag not in record.tags:
                actions.append(Action(
                    type=ActionType.FLAG, target=record.ref, tag=rule.tag, rule=rule.name,
                    reason=f"first contact due {due:%Y-%m-%d %H:%M} was missed",
                    idempotency_key=action_key(ActionType.FLAG, record.ref, rule.tag),
                ))
    return findings, actions, dict(snapshot.assignment_state)
