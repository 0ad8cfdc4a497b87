"""Carry out actions on the lines of ``records.jsonl`` in memory (pure; the adapter writes the result).

Lines no action touches are kept byte for byte, so a diff of the export shows only what
crm-referee changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.file.parse import BadValue, parse_module, split_list
from connector.domain import Action, ActionResult, ActionStatus, ActionType, Module, SkipCode


@dataclass
class Outcome:
    """What applying a batch produced: per-action results, new file lines, note lines to append."""

    results: list[ActionResult] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changed: bool = False


def apply_to_lines(
    lines: Sequence[str],
    actions: Sequence[Action],
    *,
    adapter: str,
    columns: Mapping[str, str],
    now: datetime,
) -> Outcome:
    """Apply ``actions`` to the JSON Lines text of a records file (canonical field = ``columns`` key)."""
    key = _Keys(columns)
    out = Outcome(lines=list(lines))
    objects: dict[int, dict[str, Any]] = {}
    index: dict[tuple[Module, str], int] = {}
    for i, text in enumerate(lines):
        obj = _parse(text)
        if obj is None:
            continue
        try:
            ref = (parse_module(obj.get(key.module)), str(obj.get(key.id)).strip())
        except BadValue:
            continue
        objects[i] = obj
        index.setdefault(ref, i)
    dirty: set[int] = set()
    stamp = now.isoformat(timespec="seconds")
    for action in actions:
        target = action.target
        if target.adapter != adapter:
            out.results.append(
                _result(action, ActionStatus.FAILED, f'action targets adapter "{target.adapter}"')
            )
            continue
        position = index.get((target.module, target.id))
        if position is None:
            message = f"record {target.module}/{target.id} not found in records.jsonl"
            out.results.append(_result(action, ActionStatus.FAILED, message))
            continue
        obj = objects[position]
        status, message, changed = _apply_one(action, obj, key, stamp, out.notes)
        if changed:
            obj[key.modified_at] = stamp
            dirty.add(position)
        code = SkipCode.OWNER_CHANGED if status is ActionStatus.SKIPPED else None
        out.results.append(
            _result(action, status, message, now if status is ActionStatus.APPLIED else None, code)
        )
    for position in dirty:
        out.lines[position] = json.dumps(objects[position], ensure_ascii=False) + "\n"
    out.changed = bool(dirty)
    return out


class _Keys:
    """The JSON key each canonical field is stored under (identity unless a column map renames it)."""

    def __init__(self, columns: Mapping[str, str]) -> None:
        self.id = columns.get("id", "id")
        self.module = columns.get("module", "module")
        self.owner_id = columns.get("owner_id", "owner_id")
        self.assigned_at = columns.get("assigned_at", "assigned_at")
        self.modified_at = columns.get("modified_at", "modified_at")
        self.tags = columns.get("tags", "tags")


def _apply_one(
    action: Action, obj: dict[str, Any], key: _Keys, stamp: str, notes: list[str]
) -> tuple[ActionStatus, str, bool]:
    if action.type is ActionType.REASSIGN:
        current = _owner(obj.get(key.owner_id))
        if action.new_owner_id is None:
            return ActionStatus.FAILED, "reassign without a new owner", False
        if current != action.previous_owner_id:
            return (
                ActionStatus.SKIPPED,
                (
                    f"owner changed meanwhile (file says {current or 'nobody'}, "
                    f"expected {action.previous_owner_id or 'nobody'})"
                ),
                False,
            )
        if current == action.new_owner_id:
            return ActionStatus.APPLIED, f"already owned by {current}", False
        obj[key.owner_id] = action.new_owner_id
        obj[key.assigned_at] = stamp
        return ActionStatus.APPLIED, f"owner {current or 'nobody'} → {action.new_owner_id}", True
    if action.type is ActionType.FLAG:
        if not action.tag:
            return ActionStatus.FAILED, "flag without a tag", False
        tags = split_list(obj.get(key.tags))
        if action.tag in tags:
            return ActionStatus.APPLIED, f"already tagged {action.tag}", False
        obj[key.tags] = [*tags, action.tag]
        return ActionStatus.APPLIED, f"tagged {action.tag}", True
    if action.type is ActionType.UNFLAG:
        tags = split_list(obj.get(key.tags))
        if action.tag not in tags:
            return ActionStatus.APPLIED, f"not tagged {action.tag}", False
        obj[key.tags] = [t for t in tags if t != action.tag]
        return ActionStatus.APPLIED, f"removed tag {action.tag}", True
    if not action.text:
        return ActionStatus.FAILED, "note without text", False
    note = {
        "record": {
            "adapter": action.target.adapter,
            "module": str(action.target.module),
            "id": action.target.id,
        },
        "text": action.text,
        "rule": action.rule,
        "idempotency_key": action.idempotency_key,
        "at": stamp,
    }
    notes.append(json.dumps(note, ensure_ascii=False) + "\n")
    return ActionStatus.APPLIED, "note added to notes.jsonl", False


def _parse(text: str) -> dict[str, Any] | None:
    if not text.strip():
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def _owner(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _result(
    action: Action,
    status: ActionStatus,
    message: str,
    applied_at: datetime | None = None,
    code: SkipCode | None = None,
) -> ActionResult:
    return ActionResult(action=action, status=status, message=message, applied_at=applied_at, code=code)


def verify_lines(
    lines: Sequence[str], note_lines: Sequence[str], actions: Sequence[Action], *, columns: Mapping[str, str]
) -> dict[str, ActionStatus]:
    """Per key: applied, planned (not done) or skipped (owner changed); records not found left out."""
    key = _Keys(columns)
    objects: dict[tuple[Module, str], dict[str, Any]] = {}
    for text in lines:
        obj = _parse(text)
        if obj is None:
            continue
        try:
            objects.setdefault((parse_module(obj.get(key.module)), str(obj.get(key.id)).strip()), obj)
        except BadValue:
            continue
    noted = {str(n.get("idempotency_key")) for n in map(_parse, note_lines) if n is not None}
    found: dict[str, ActionStatus] = {}
    for action in actions:
        if action.type is ActionType.NOTE:
            done = action.idempotency_key in noted
            found[action.idempotency_key] = ActionStatus.APPLIED if done else ActionStatus.PLANNED
            continue
        obj = objects.get((action.target.module, action.target.id))
        if obj is None:
            continue
        if action.type is ActionType.REASSIGN:
            owner = _owner(obj.get(key.owner_id))
            found[action.idempotency_key] = (
                ActionStatus.APPLIED
                if owner == action.new_owner_id
                else ActionStatus.PLANNED
                if owner == action.previous_owner_id
                else ActionStatus.SKIPPED
            )
        else:
            done = (action.tag in split_list(obj.get(key.tags))) is (action.type is ActionType.FLAG)
            found[action.idempotency_key] = ActionStatus.APPLIED if done else ActionStatus.PLANNED
    return found
