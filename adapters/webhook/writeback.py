"""What the generic adapter reads back around its writes: owners, tags and its own notes.

A REST CRM's write endpoints are one call per action, so every action is its own batch. Reading
back uses the single-record read (``read.record``, mapped with ``read.records.fields``):

- before a reassign whose endpoint has no condition of its own (no ``{from}`` in its path or
  body), the record is re-read and the move skipped when a person changed the owner meanwhile;
- an unknown outcome (a timeout after sending) is settled from the owner, the tags, and the
  record's note texts when ``read.records.fields`` maps ``notes`` to them (e.g.
  ``notes = "notes[*].text"``): a note is ours when it carries its action's key footer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector.domain import Action, ActionResult, ActionStatus, ActionType, Record, SkipCode
from connector.notes import carries_key

if TYPE_CHECKING:
    from adapters.webhook.adapter import WebhookAdapter
    from adapters.webhook.config_write import WriteEndpoint

NOTES_FIELD = "notes"


def can_read_back(adapter: WebhookAdapter) -> bool:
    return bool(adapter.config.read.record) and bool(adapter.config.read.records)


def lists_notes(adapter: WebhookAdapter) -> bool:
    """The record read carries the note texts (``notes`` mapped in ``read.records.fields``)."""
    return can_read_back(adapter) and any(NOTES_FIELD in e.fields for e in adapter.config.read.records)


def conditional(endpoint: WriteEndpoint) -> bool:
    """True when the write is guarded already: ``{from}`` is sent (the CRM refuses a changed owner),
    or the endpoint reads the record first and checks its owner (``current`` + ``expect_owner``)."""
    if endpoint.current is not None and (endpoint.expect_owner is not None or endpoint.current.if_match):
        return True
    return "{from}" in endpoint.path or "{from}" in json.dumps(endpoint.body or {})


def owner_changed(adapter: WebhookAdapter, action: Action) -> ActionResult | None:
    """Re-read the record right before an unconditional reassign; a person's change wins."""
    if action.type is not ActionType.REASSIGN or not can_read_back(adapter):
        return None
    fresh = adapter.fetch_records([action.target])
    record = fresh[0] if fresh else None
    if record is None:
        return None  # cannot tell from here: the write itself answers for a missing record
    if record.owner_id == action.new_owner_id:
        return ActionResult(
            action=action, status=ActionStatus.APPLIED, message=f"already owned by {action.new_owner_id}",
            applied_at=adapter.clock(),
        )
    if record.owner_id != action.previous_owner_id:
        return ActionResult(
            action=action, status=ActionStatus.SKIPPED, code=SkipCode.OWNER_CHANGED,
            message=f"owner changed meanwhile (planned from {action.previous_owner_id}, now {record.owner_id})",
        )
    return None


def verify(adapter: WebhookAdapter, actions: Sequence[Action]) -> dict[str, ActionStatus]:
    """Per key: applied, planned (not done) or skipped (owner changed by a person); unknown left out."""
    if not can_read_back(adapter):
        return {}
    refs = list(dict.fromkeys(a.target for a in actions))
    records: dict[object, Record] = {r.ref: r for r in adapter.fetch_records(refs)}
    found: dict[str, ActionStatus] = {}
    for action in actions:
        record = records.get(action.target)
        if record is None:
            continue
        if action.type is ActionType.REASSIGN:
            if record.owner_id == action.new_owner_id:
                found[action.idempotency_key] = ActionStatus.APPLIED
            elif record.owner_id == action.previous_owner_id:
                found[action.idempotency_key] = ActionStatus.PLANNED
            else:
                found[action.idempotency_key] = ActionStatus.SKIPPED
        elif action.type is ActionType.FLAG:
            done = action.tag in record.tags
            found[action.idempotency_key] = ActionStatus.APPLIED if done else ActionStatus.PLANNED
        elif lists_notes(adapter):
            texts = record.extra.get(NOTES_FIELD) or []
            texts = texts if isinstance(texts, list) else [texts]
            done = any(carries_key(t, action.idempotency_key) for t in texts)
            found[action.idempotency_key] = ActionStatus.APPLIED if done else ActionStatus.PLANNED
    return found
