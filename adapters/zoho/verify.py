"""Read back what a write did, and cut writes into the batches one call carries.

- ``verify``: owner and tags from ``GET /{module}?ids=`` (100 ids per call), notes from the
  record's Notes related list (``GET /{module}/{id}/Notes?fields=Note_Content``, 1 call per
  record, ``fields`` mandatory, 204 when it has none:
  https://www.zoho.com/crm/developer/docs/api/v8/get-related-records.html). A note is ours when
  its content carries the action's key footer (:mod:`connector.notes`).
- ``write_batches``: one batch per change_owner call (module and new owner, ≤500 ids), per
  add_tags call (module and tag, ≤500 ids) and per Notes call (≤100), reassignments first, so
  the pipeline journals each call as it comes back and re-reads owners right before each one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from adapters.zoho.client import API, ZohoClient
from adapters.zoho.wire import Outcome
from connector.domain import Action, ActionStatus, ActionType
from connector.notes import carries_key

CHANGE_OWNER_BATCH = 500
TAGS_BATCH = 500
NOTES_BATCH = 100
NOTES_PER_PAGE = 200
MAX_NOTE_PAGES = 5  # 1,000 notes on one record: beyond that the answer is "cannot tell"


def write_batches(actions: Sequence[Action]) -> list[list[Action]]:
    """Reassignments by (module, new owner), then flags by (module, tag), then notes, then the rest."""
    owners: dict[tuple[str, str], list[Action]] = defaultdict(list)
    tags: dict[tuple[str, str], list[Action]] = defaultdict(list)
    notes: list[Action] = []
    rest: list[Action] = []
    for action in actions:
        module = action.target.module.value
        if action.type is ActionType.REASSIGN:
            owners[(module, action.new_owner_id or "")].append(action)
        elif action.type is ActionType.FLAG:
            tags[(module, action.tag or "")].append(action)
        elif action.type is ActionType.NOTE:
            notes.append(action)
        else:
            rest.append(action)
    batches: list[list[Action]] = []
    for _, group in sorted(owners.items()):
        batches += _by_records(group, CHANGE_OWNER_BATCH)
    for _, group in sorted(tags.items()):
        batches += _by_records(group, TAGS_BATCH)
    batches += [list(notes[i : i + NOTES_BATCH]) for i in range(0, len(notes), NOTES_BATCH)]
    if rest:
        batches.append(rest)
    return batches


def _by_records(group: Sequence[Action], size: int) -> list[list[Action]]:
    """At most ``size`` distinct records per batch (actions on one record share its id)."""
    batches: list[list[Action]] = [[]]
    ids: set[str] = set()
    for action in group:
        if action.target.id not in ids and len(ids) == size:
            batches.append([])
            ids = set()
        batches[-1].append(action)
        ids.add(action.target.id)
    return [b for b in batches if b]


def verify(client: ZohoClient, actions: Sequence[Action]) -> dict[str, ActionStatus]:
    """Per key: applied, planned (not done), or skipped (a person changed the owner since)."""
    found: dict[str, ActionStatus] = {}
    fields = [a for a in actions if a.type in (ActionType.REASSIGN, ActionType.FLAG, ActionType.UNFLAG)]
    by_module: dict[str, set[str]] = defaultdict(set)
    for action in fields:
        by_module[action.target.module.value].add(action.target.id)
    rows: dict[tuple[str, str], Mapping[str, Any]] = {}
    for module, ids in sorted(by_module.items()):
        for fresh in client.get_by_ids(module, sorted(ids), ["Owner", "Tag"], converted=True):
            rows[(module, str(fresh.get("id")))] = fresh
    for action in fields:
        row = rows.get((action.target.module.value, action.target.id))
        if row is None:
            continue  # gone from Zoho: nothing to tell
        if action.type is ActionType.REASSIGN:
            owner = _owner(row)
            if owner == action.new_owner_id:
                found[action.idempotency_key] = ActionStatus.APPLIED
            elif owner == action.previous_owner_id or action.previous_owner_id is None:
                found[action.idempotency_key] = ActionStatus.PLANNED
            else:
                found[action.idempotency_key] = ActionStatus.SKIPPED
        else:
            names = {t.get("name") for t in row.get("Tag") or [] if isinstance(t, dict)}
            done = (action.tag in names) is (action.type is ActionType.FLAG)
            found[action.idempotency_key] = ActionStatus.APPLIED if done else ActionStatus.PLANNED
    notes = [a for a in actions if a.type is ActionType.NOTE]
    by_record: dict[tuple[str, str], list[Action]] = defaultdict(list)
    for action in notes:
        by_record[(action.target.module.value, action.target.id)].append(action)
    for (module, record_id), group in sorted(by_record.items()):
        texts = _note_texts(client, module, record_id)
        if texts is None:
            continue
        for action in group:
            done = any(carries_key(t, action.idempotency_key) for t in texts)
            found[action.idempotency_key] = ActionStatus.APPLIED if done else ActionStatus.PLANNED
    return found


def _note_texts(client: ZohoClient, module: str, record_id: str) -> list[str] | None:
    """Every note's content on one record, or ``None`` when there are too many to read."""
    texts: list[str] = []
    for page in _pages(client, module, record_id):
        texts.extend(str(n.get("Note_Content") or "") for n in page)
        if len(texts) >= NOTES_PER_PAGE * MAX_NOTE_PAGES:
            return None
    return texts


def _pages(client: ZohoClient, module: str, record_id: str) -> Iterator[list[dict[str, Any]]]:
    page = 1
    while True:
        reply = client.get(
            f"{API}/{module}/{record_id}/Notes",
            endpoint=f"GET /{module}/{{id}}/Notes",
            scope="ZohoCRM.modules.notes.READ",
            params={"fields": "Note_Content", "per_page": NOTES_PER_PAGE, "page": page},
        )
        if reply.answer.outcome is not Outcome.OK:
            return
        data = list(reply.body.get("data") or [])
        yield data
        if not (reply.body.get("info") or {}).get("more_records") or not data or page >= MAX_NOTE_PAGES:
            return
        page += 1


def _owner(row: Mapping[str, Any]) -> str | None:
    owner = row.get("Owner")
    return str(owner["id"]) if isinstance(owner, dict) and owner.get("id") else None
