"""Small builders with sensible defaults for store tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connector.domain import Action, ActionType, Activity, ActivityKind, Module, Record, RecordRef, action_key

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def a_record(id: str = "1", owner: str | None = "u1", **fields: Any) -> Record:
    values: dict[str, Any] = {"adapter": "zoho", "module": Module.LEADS, "id": id, "owner_id": owner}
    return Record(**(values | fields))


def a_ref(id: str = "1", adapter: str = "zoho", module: Module = Module.LEADS) -> RecordRef:
    return RecordRef(adapter=adapter, module=module, id=id)


def an_activity(id: str = "a1", record: RecordRef | str = "1", at: datetime = NOW, **fields: Any) -> Activity:
    values: dict[str, Any] = {
        "id": id,
        "adapter": "zoho",
        "record": a_ref(record) if isinstance(record, str) else record,
        "owner_id": "u1",
        "kind": ActivityKind.CALL,
        "occurred_at": at,
    }
    return Activity(**(values | fields))


def an_action(record: str = "1", new_owner: str = "u2", type_: ActionType = ActionType.REASSIGN) -> Action:
    target = a_ref(record)
    return Action(
        type=type_,
        target=target,
        new_owner_id=new_owner,
        previous_owner_id="u1",
        reason="no call within 24h",
        rule="first-touch",
        idempotency_key=action_key(type_, target, new_owner, "finding"),
    )
