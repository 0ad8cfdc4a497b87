"""Duplicate pursuit (撞单): several reps actively working one customer.

Customers come from :func:`rules.identity.resolve`. For each customer, reps who own a record and
acted on it within ``active_within``, or who acted on a record someone else owns (poaching), are
pursuers; two or more pursuers make a finding unless they all share an ``allow_shared`` team or
all own one record together (co-owners: a record owned by two reps is no conflict with itself).
The rule's policy picks a keeper, and the rule's action flags (and maybe reassigns) the records.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import datetime

from connector.domain import Action, Finding, FindingKind, RecordRef
from connector.gcpause import gc_paused
from connector.i18n import EN, Messages
from rules.exemptions import Exemption, honour
from rules.identity.config import IdentityConfig
from rules.identity.explain import explain_edges, record_label
from rules.identity.resolve import Resolution, resolve
from rules.pursuit.actions import plan_actions
from rules.pursuit.config import PursuitRule
from rules.pursuit.policies import POLICIES, Case, Decision
from rules.pursuit.pursuers import ActivityIndex, Pursuer, active_pursuers, collect_pursuers, ref_key
from rules.snapshot import Snapshot

log = logging.getLogger(__name__)


def evaluate_pursuit(
    snapshot: Snapshot,
    identity: IdentityConfig,
    rules: Sequence[PursuitRule],
    now: datetime,
    *,
    resolution: Resolution | None = None,
    msg: Messages = EN,
    exemptions: Sequence[Exemption] = (),
) -> tuple[list[Finding], list[Action]]:
    """Findings and actions for every customer pursued by more than one rep, in a stable order.

    ``resolution`` of ``snapshot.records`` may be passed in when the caller already has it;
    ``msg`` is the language of evidence and notes.
    """
    if not rules:
        return [], []
    with gc_paused():
        return _evaluate(
            snapshot, identity, rules, now, resolution or resolve(snapshot.records, identity), msg, exemptions
        )


def _evaluate(
    snapshot: Snapshot,
    identity: IdentityConfig,
    rules: Sequence[PursuitRule],
    now: datetime,
    resolution: Resolution,
    msg: Messages,
    exemptions: Sequence[Exemption] = (),
) -> tuple[list[Finding], list[Action]]:
    by_ref = {r.ref: r for r in resolution.records} if exemptions else {}
    if resolution.stats.capped_blocks:
        log.warning(
            "identity: %d fuzzy blocks larger than max_block_size=%d were skipped (largest %d records)",
            resolution.stats.capped_blocks, identity.max_block_size, resolution.stats.largest_capped_block,
        )
    index = ActivityIndex.from_snapshot(snapshot, now)
    findings: list[Finding] = []
    actions: list[Action] = []
    for members in _customers_worth_checking(resolution, index):
        everyone = collect_pursuers(members, resolution.records, index)
        if len(everyone) < 2:
            continue
        for rule in rules:
            finding = _judge(resolution, members, everyone, snapshot, rule, now, msg)
            if finding is not None and exemptions:
                finding = honour(finding, by_ref, exemptions)
            if finding is not None:
                findings.append(finding)
                actions.extend(plan_actions(finding, resolution, members, rule, snapshot.users, msg))
    return findings, actions


def _customers_worth_checking(resolution: Resolution, index: ActivityIndex) -> list[tuple[int, ...]]:
    """Multi-record customers, plus single records someone other than the owner acted on."""
    found = list(resolution.groups.values())
    for i, record in enumerate(resolution.records):
        if resolution.roots[i] != i or i in resolution.groups:
            continue
        acts = index.by_record.get(ref_key(record.adapter, record.module, record.id), ())
        if any(act.owner_id not in record.owner_ids for act in acts):
            found.append((i,))
    return sorted(found)


def _judge(
    resolution: Resolution, members: tuple[int, ...], everyone: dict[str, Pursuer],
    snapshot: Snapshot, rule: PursuitRule, now: datetime, msg: Messages,
) -> Finding | None:
    pursuers = active_pursuers(everyone, now - rule.active_within)
    if len(pursuers) < 2 or _all_share_a_team(pursuers, snapshot, rule) or _co_owners(pursuers, resolution, members):
        return None
    case = Case(pursuers, everyone, resolution.records, members, snapshot.users, rule, now, msg)
    decision = POLICIES[rule.resolve](case)
    records = resolution.records
    label = functools.partial(record_label, msg=msg)
    matched = explain_edges(resolution.edges.get(members[0], ()), records, label, msg)
    pursuit_lines = [_pursuer_sentence(p, case) for p in pursuers]
    evidence = (*(sentence for _, sentence in matched), *pursuit_lines, _decision_sentence(decision, case))
    return Finding(
        kind=FindingKind.PURSUIT,
        rule=rule.name,
        records=tuple(RecordRef(adapter=records[i].adapter, module=records[i].module, id=records[i].id)
                      for i in members),
        owners=tuple(p.user for p in pursuers),
        keeper=decision.keeper,
        customer=resolution.customer_id(members[0]),
        evidence=evidence,
        detected_at=now,
        details={
            "customer_name": records[members[0]].display_name,
            "matches": [{"rule": rule_name, "evidence": sentence} for rule_name, sentence in matched],
            "pursuers": {p.user: _pursuer_details(p, case) for p in pursuers},
            "policy": rule.resolve,
            "decision": decision.reason,
        },
    )


def _all_share_a_team(pursuers: Sequence[Pursuer], snapshot: Snapshot, rule: PursuitRule) -> bool:
    if not rule.allow_shared:
        return False
    for team in rule.allow_shared:
        if all((u := snapshot.users.get(p.user)) is not None and team in u.teams for p in pursuers):
            return True
    return False


def _co_owners(pursuers: Sequence[Pursuer], resolution: Resolution, members: tuple[int, ...]) -> bool:
    """All pursuers own one record together: a record owned by several reps is no conflict with itself."""
    users = {p.user for p in pursuers}
    return any(users <= set(resolution.records[i].owner_ids) for i in members)



def _pursuer_sentence(p: Pursuer, case: Case) -> str:
    msg, parts = case.msg, []
    if p.owned:
        owned = ("、" if msg.zh else ", ").join(record_label(case.records[i], msg) for i in p.owned)
        parts.append(msg("pursuit.owns", name=case.name(p.user), records=owned) + (
            msg("pursuit.last_acted", day=case.day(p.last_own)) if p.last_own else msg("pursuit.no_own_activity")
        ))
    for i, act in p.poached:
        record = case.records[i]
        owner = case.name(record.owner_id) if record.owner_id else msg("pursuit.nobody")
        parts.append(msg(
            "pursuit.poached", name=case.name(p.user), kind=msg(f"kind.{act.kind}"),
            record=record_label(record, msg), owner=owner, day=case.day(act.occurred_at),
        ))
    return msg("pursuit.part_sep").join(parts)


def _pursuer_details(p: Pursuer, case: Case) -> dict[str, object]:
    return {
        "owns": [record_label(case.records[i]) for i in p.owned],
        "first_touch": p.first_touch.isoformat() if p.first_touch else None,
        "last_own_activity": p.last_own.isoformat() if p.last_own else None,
        "poaching": [
            {"record": record_label(case.records[i]), "activity": act.id, "at": act.occurred_at.isoformat()}
            for i, act in p.poached
        ],
    }


def _decision_sentence(decision: Decision, case: Case) -> str:
    if decision.keeper is None:
        return case.msg("pursuit.no_keeper", reason=decision.reason)
    keeper = case.name(decision.keeper) if case.msg.zh else decision.keeper
    return case.msg("pursuit.keeper", keeper=keeper, reason=decision.reason)
