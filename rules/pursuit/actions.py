"""The flag, reassign and note actions for one pursuit finding, with stable idempotency keys."""

from __future__ import annotations

from connector.domain import NOTE_MARK, Action, ActionType, Finding, RecordRef, action_key
from rules.identity.resolve import Resolution
from rules.pursuit.config import PursuitRule


def plan_actions(
    finding: Finding, resolution: Resolution, members: tuple[int, ...], rule: PursuitRule
) -> list[Action]:
    """Flags for untagged records, reassigns to the keeper (``action = "reassign"``), one note each."""
    fingerprint = finding.fingerprint
    records = [resolution.records[i] for i in members]
    reassign = rule.action == "reassign" and finding.keeper is not None
    moves = {
        position: record.owner_id
        for position, record in enumerate(records)
        if reassign and record.owner_id and record.owner_id != finding.keeper
    }
    reason = f"{len(finding.owners)} reps pursue customer {finding.customer} ({', '.join(finding.owners)})"
    actions: list[Action] = []
    for position, (record, ref) in enumerate(zip(records, finding.records, strict=True)):
        if position in moves:
            actions.append(Action(
                type=ActionType.REASSIGN, target=ref, new_owner_id=finding.keeper,
                previous_owner_id=moves[position], reason=reason, rule=rule.name,
                idempotency_key=action_key(ActionType.REASSIGN, ref, finding.keeper, fingerprint),
            ))
        if rule.tag not in record.tags:
            actions.append(Action(
                type=ActionType.FLAG, target=ref, tag=rule.tag, reason=reason, rule=rule.name,
                idempotency_key=action_key(ActionType.FLAG, ref, rule.tag, fingerprint),
            ))
        if rule.notes:
            actions.append(Action(
                type=ActionType.NOTE, target=ref, text=note_text(finding, ref, moves.get(position)),
                reason=reason, rule=rule.name,
                idempotency_key=action_key(ActionType.NOTE, ref, f"pursuit:{finding.customer}", fingerprint),
            ))
    return actions


def note_text(finding: Finding, ref: RecordRef, moved_from: str | None) -> str:
    """The note left on one record: why it is one customer, who pursues, and what was decided."""
    details = finding.details
    lines = [
        f"{NOTE_MARK} {len(finding.owners)} reps are pursuing the same customer "
        f"\"{details.get('customer_name', finding.customer)}\" (pursuit rule \"{finding.rule}\").",
        "Why these records are one customer:",
    ]
    for match in details.get("matches", ()):
        lines.append(f"- {match['evidence']} (match rule \"{match['rule']}\")")
    matches = len(details.get("matches", ()))
    lines.append("Who is pursuing:")
    pursuit_end = matches + len(finding.owners)
    lines.extend(f"- {sentence}" for sentence in finding.evidence[matches:pursuit_end])
    lines.append(f"Decision: {details.get('decision', '')}.")
    label = f"{ref.module}/{ref.id}"
    if moved_from is not None:
        lines.append(f"This record ({label}) moves from {moved_from} to {finding.keeper}.")
    elif finding.keeper is None:
        lines.append(f"This record ({label}) is flagged for a manager.")
    else:
        lines.append(f"This record ({label}) is flagged; {finding.keeper} keeps the customer.")
    return "\n".join(lines)

