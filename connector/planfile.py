"""A reviewed plan on disk: ``referee plan --out plan.json``, then ``referee apply plan.json``.

The file holds each planned action with what its record looked like when it was planned (owner,
tags, last change). ``apply`` pulls fresh data first and sends only the actions whose record is
unchanged; the others are skipped ``changed-since-plan`` and reported, never re-decided.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.domain import Action, ActionStatus, Record, RecordRef
from connector.errors import UsageError

if TYPE_CHECKING:
    from connector.store import Store
    from connector.sync import SyncReport

FORMAT = "crm-referee plan"
VERSION = 1


@dataclass(frozen=True)
class PlannedAction:
    action: Action
    seen: Mapping[str, Any]
    """The record as planned: ``owner_id``, ``tags``, ``modified_at`` (ISO text or ``None``)."""


def record_state(record: Record | None) -> dict[str, Any]:
    if record is None:
        return {"exists": False}
    return {
        "exists": True,
        "owner_id": record.owner_id,
        "tags": sorted(record.tags),
        "modified_at": record.modified_at.isoformat() if record.modified_at else None,
    }


def save_plan(path: Path, report: SyncReport, store: Store) -> int:
    """Write the run's planned actions to ``path``; returns how many."""
    planned = [r.action for r in report.results if r.status is ActionStatus.PLANNED]
    records = {r.ref: r for r in store.load_records()}
    body = {
        "format": FORMAT,
        "version": VERSION,
        "run_id": report.run_id,
        "actions": [
            {"action": a.model_dump(mode="json"), "record": record_state(records.get(a.target))} for a in planned
        ],
    }
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return len(planned)


def load_plan(path: Path) -> tuple[str, list[PlannedAction]]:
    """The plan's run id and actions; a file that is not a plan is a usage error naming it."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file (save one with `referee plan --out {path}`)") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable plan file ({exc})") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT or body.get("version") != VERSION:
        raise UsageError(f"{path}: not a plan saved by `referee plan --out` (format {FORMAT!r} v{VERSION})")
    try:
        items = [
            PlannedAction(Action.model_validate(item["action"]), dict(item.get("record") or {}))
            for item in body.get("actions") or []
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: an action in the plan cannot be read ({exc}); save the plan again") from None
    return str(body.get("run_id") or ""), items


def changed_since(item: PlannedAction, records: Mapping[RecordRef, Record]) -> str | None:
    """Why the record no longer looks as planned, or ``None`` when it is unchanged."""
    now = record_state(records.get(item.action.target))
    for key in ("exists", "owner_id", "tags", "modified_at"):
        if now.get(key) != item.seen.get(key):
            return f"{key} changed since the plan ({item.seen.get(key)!r} then, {now.get(key)!r} now)"
    return None
