"""The flag, reassign and note actions for one pursuit finding, with stable idempotency keys."""

from __future__ import annotations

from collections.abc import Mapping

from connector.domain import Action, ActionType, Finding, Record, RecordRef, User, action_key
from connector.i18n import EN, Messages
from rules.identity.resolve import Resolution
from rules.pursuit.config import PursuitRule


def plan_actions(
    finding: Finding,
    resolution: Resolution,
    members: tuple[int, ...],
    rule: PursuitRule,
    users: Mapping[str, User] | None = None,
    msg: Messages = EN,
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
    people = _People(users or {}, msg)
    if msg.zh:
        customer = str(finding.details.get("customer_name", finding.customer))
        owners = "、".join(people(o) for o in finding.owners)
    else:
        customer, owners = str(finding.customer), ", ".join(finding.owners)
    reason = msg("pursuit.reason", count=len(finding.owners), customer=customer, owners=owners)
    actions: list[Action] = []
    for position, (record, ref) in enumerate(zip(records, finding.records, strict=True)):
        move_key = action_key(ActionType.REASSIGN, ref, finding.keeper, fingerprint) if position in moves else None
        if move_key is not None:
            actions.append(Action(
                type=ActionType.REASSIGN, target=ref, new_owner_id=finding.keeper,
                previous_owner_id=moves[position], reason=reason, rule=rule.name,
                idempotency_key=move_key,
            ))
        if rule.tag not in record.tags:
            actions.append(Action(
                type=ActionType.FLAG, target=ref, tag=rule.tag, reason=reason, rule=rule.name,
                idempotency_key=action_key(ActionType.FLAG, ref, rule.tag, fingerprint),
            ))
        if rule.notes:
            actions.append(Action(
                type=ActionType.NOTE, target=ref,
                text=note_text(finding, ref, moves.get(position), record=record, people=people),
                reason=reason, rule=rule.name,
                idempotency_key=action_key(ActionType.NOTE, ref, f"pursuit:{finding.customer}", fingerprint),
                after=move_key,  # a note that tells of a move is sent only once the move is done
            ))
    return actions


class _People:
    """Names people the way notes do: ``Emily Smith (u-smith)``, or ``Emily Smith`` in Chinese."""

    def __init__(self, users: Mapping[str, User], msg: Messages) -> None:
        self.users, self.msg = users, msg

    def __call__(self, user_id: str | None) -> str:
        if user_id is None:
            return ""
        user = self.users.get(user_id)
        return self.msg.person(user.name if user is not None else "", user_id)


def note_text(
    finding: Finding,
    ref: RecordRef,
    moved_from: str | None,
    *,
    record: Record | None = None,
    people: _People | None = None,
) -> str:
    """The note left on one record: why it is one customer, who pursues, and what was decided."""
    people = people or _People({}, EN)
    msg, details = people.msg, finding.details
    lines = [
        msg("note.pursuit.head", count=len(finding.owners), customer=details.get("customer_name", finding.customer),
            rule=finding.rule),
        msg("note.pursuit.why"),
    ]
    for match in details.get("matches", ()):
        lines.append(msg("note.pursuit.match", evidence=match["evidence"], rule=match["rule"]))
    matches = len(details.get("matches", ()))
    lines.append(msg("note.pursuit.who"))
    pursuit_end = matches + len(finding.owners)
    lines.extend(f"- {sentence}" for sentence in finding.evidence[matches:pursuit_end])
    lines.append(msg("note.pursuit.decision", decision=details.get("decision", "")))
    label = msg.record(ref.module, ref.id, record.display_name if record else ref.id)
    if moved_from is not None:
        lines.append(msg("note.pursuit.moves", record=label, old=people(moved_from), new=people(finding.keeper)))
    elif finding.keeper is None:
        lines.append(msg("note.pursuit.flag_for_manager", record=label))
    else:
        lines.append(msg("note.pursuit.flag_keeper", record=label, keeper=people(finding.keeper)))
    return "\n".join(lines)

