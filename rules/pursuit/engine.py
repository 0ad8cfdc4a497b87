"""Duplicate pursuit (撞单): several reps actively working one customer.

INTERIM (foundation issue): matches on an identical normalized email only. The identity/pursuit
issue replaces the body; the signature of :func:`evaluate_pursuit` stays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from connector.domain import Action, ActionType, Finding, FindingKind, Record, action_key
from rules.identity.config import IdentityConfig
from rules.pursuit.config import PursuitRule
from rules.snapshot import Snapshot


def evaluate_pursuit(
    snapshot: Snapshot, identity: IdentityConfig, rules: Sequence[PursuitRule], now: datetime
) -> tuple[list[Finding], list[Action]]:
    findings: list[Finding] = []
    actions: list[Action] = []
    by_email: dict[str, list[Record]] = defaultdict(list)
    for record in snapshot.records:
        for email in record.emails:
            by_email[email.strip().lower()].append(record)
    last_own_activity: dict[tuple, datetime] = {}
    for act in snapshot.activities:
        key = (act.record, act.owner_id)
        if act.completed and (key not in last_own_activity or act.occurred_at > last_own_activity[key]):
            last_own_activity[key] = act.occurred_at
    for rule in rules:
        for email in sorted(by_email):
            group = sorted(by_email[email], key=lambda r: (r.adapter, r.module, r.id))
            pursuers = {
                r.owner_id: last_own_activity[(r.ref, r.owner_id)]
                for r in group
                if r.owner_id and (r.ref, r.owner_id) in last_own_activity
                and now - last_own_activity[(r.ref, r.owner_id)] <= rule.active_within
            }
            if len(pursuers) < 2:
                continue
            owners = tuple(sorted(pursuers))
            keeper = min(owners, key=lambda o: (_first_touch(group, o, snapshot), o))
            evidence = (f"same email {email} on " + " and ".join(r.id for r in group),) + tuple(
                f"{o} acted on it last at {pursuers[o]:%Y-%m-%d %H:%M}" for o in owners
            )
            finding = Finding(
                kind=FindingKind.PURSUIT, rule=rule.name, records=tuple(r.ref for r in group),
                owners=owners, keeper=keeper, customer=email, evidence=evidence, detected_at=now,
            )
            findings.append(finding)
            for record in group:
                if rule.tag not in record.tags:
                    actions.append(Action(
                        type=ActionType.FLAG, target=record.ref, tag=rule.tag, rule=rule.name,
                        reason=f"{len(owners)} reps pursue {email}",
                        idempotency_key=action_key(ActionType.FLAG, record.ref, rule.tag),
                    ))
    return findings, actions


def _first_touch(group: Sequence[Record], owner: str, snapshot: Snapshot) -> datetime:
    times = [r.assigned_at or r.created_at for r in group if r.owner_id == owner]
    return min((t for t in times if t is not None), default=datetime.max.replace(tzinfo=None).astimezone())
