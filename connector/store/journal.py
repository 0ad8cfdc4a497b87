"""The action journal: one row per idempotency key, so an action is never applied twice.

Life of a row: ``planned`` → ``applying`` (claimed by one run, atomically) → ``applied`` /
``failed`` / ``skipped``. A ``failed`` row can be planned and claimed again; ``applied`` and
``skipped`` rows are final, and ``applying`` rows belong to the run that claimed them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update

from connector.domain import Action, ActionResult, ActionStatus, ActionType, RecordRef
from connector.store import schema
from connector.store.base import StoreBase, chunks, upsert
from rules.snapshot import Reassignment

_journal = schema.journal
_CLAIMABLE = (ActionStatus.PLANNED.value, ActionStatus.FAILED.value)
_PLAN_UPDATES = ("run_id", "status", "type", "rule", "target_adapter", "target_module", "target_id", "action")


@dataclass(frozen=True)
class JournalEntry:
    """The journal's current knowledge of one action."""

    idempotency_key: str
    run_id: str
    status: ActionStatus
    action: Action
    message: str
    attempts: int
    planned_at: datetime
    updated_at: datetime
    applied_at: datetime | None


class JournalStore(StoreBase):
    def journal_plan(self, run_id: str, actions: Sequence[Action], *, now: datetime) -> None:
        """Record actions as planned; rows already applied, skipped or being applied stay as they are."""
        rows = list({a.idempotency_key: _plan_row(run_id, a, now) for a in actions}.values())
        stmt = upsert(
            self.dialect,
            _journal,
            ("idempotency_key",),
            update=(*_PLAN_UPDATES, "updated_at"),
            where=_claimable(),
        )
        with self._write() as conn:
            for chunk in chunks(rows, 1_000):
                conn.execute(stmt, list(chunk))

    def journal_statuses(self, keys: Sequence[str]) -> dict[str, ActionStatus]:
        """The current status of each known key (unknown keys are absent)."""
        found: dict[str, ActionStatus] = {}
        with self._read() as conn:
            for chunk in chunks(list(dict.fromkeys(keys)), 1_000):
                query = select(_journal.c.idempotency_key, _journal.c.status).where(
                    _journal.c.idempotency_key.in_(chunk)
                )
                found.update((key, ActionStatus(status)) for key, status in conn.execute(query))
        return found

    def claim_action(self, key: str, run_id: str, *, now: datetime) -> bool:
        """Take a planned (or failed) action for ``run_id``; ``False`` if it is not claimable.

        One conditional UPDATE: on PostgreSQL a concurrent claimer waits for the row lock and then
        re-checks the status, on SQLite ``BEGIN IMMEDIATE`` serialises writers, so exactly one wins.
        """
        stmt = (
            update(_journal)
            .where(_journal.c.idempotency_key == key, _claimable())
            .values(status=ActionStatus.APPLYING.value, run_id=run_id, updated_at=now)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def release_claim(self, key: str, *, now: datetime) -> bool:
        """Turn an ``applying`` row left by a crashed run into ``failed``, so the next run retries it.

        Only for an admin who checked the CRM: the crashed run may or may not have written it.
        """
        stmt = (
            update(_journal)
            .where(_journal.c.idempotency_key == key, _journal.c.status == ActionStatus.APPLYING.value)
            .values(status=ActionStatus.FAILED.value, message="claim released by an admin", updated_at=now)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def journal_result(self, run_id: str, result: ActionResult, *, now: datetime) -> None:
        """Store the outcome of an action (``applied_at`` defaults to ``now`` when applied).

        An ``applied`` row is final and is never overwritten. An action that was never planned
        (e.g. skipped before planning) gets its row here.
        """
        applied = result.status is ActionStatus.APPLIED
        row = _plan_row(run_id, result.action, now) | {
            "status": result.status.value,
            "message": result.message,
            "attempts": 1,
            "applied_at": (result.applied_at or now) if applied else None,
        }
        stmt = upsert(
            self.dialect,
            _journal,
            ("idempotency_key",),
            update=("run_id", "status", "message", "updated_at", "applied_at"),
            extra={"attempts": _journal.c.attempts + 1},
            where=_journal.c.status != ActionStatus.APPLIED.value,
        )
        with self._write() as conn:
            conn.execute(stmt, row)

    def list_journal(
        self, *, run_id: str | None = None, status: ActionStatus | None = None, limit: int = 100
    ) -> list[JournalEntry]:
        """The most recently updated entries first."""
        query = (
            select(_journal).order_by(_journal.c.updated_at.desc(), _journal.c.idempotency_key).limit(limit)
        )
        if run_id is not None:
            query = query.where(_journal.c.run_id == run_id)
        if status is not None:
            query = query.where(_journal.c.status == ActionStatus(status).value)
        with self._read() as conn:
            return [
                JournalEntry(
                    idempotency_key=row.idempotency_key,
                    run_id=row.run_id,
                    status=ActionStatus(row.status),
                    action=Action.model_validate_json(row.action),
                    message=row.message,
                    attempts=row.attempts,
                    planned_at=row.planned_at,
                    updated_at=row.updated_at,
                    applied_at=row.applied_at,
                )
                for row in conn.execute(query)
            ]

    def applied_targets(self, refs: Sequence[RecordRef]) -> set[RecordRef]:
        """Which of ``refs`` crm-referee has written to (an applied action of any type)."""
        found: set[RecordRef] = set()
        wanted = set(refs)
        with self._read() as conn:
            for chunk in chunks(sorted({r.id for r in wanted}), 1_000):
                query = select(_journal.c.target_adapter, _journal.c.target_module, _journal.c.target_id).where(
                    _journal.c.status == ActionStatus.APPLIED.value, _journal.c.target_id.in_(chunk)
                )
                for adapter, module, id_ in conn.execute(query):
                    ref = RecordRef(adapter=adapter, module=module, id=id_)
                    if ref in wanted:
                        found.add(ref)
        return found

    def applied_reassignments(self, adapter: str | None = None) -> list[Reassignment]:
        """Every reassignment crm-referee applied, oldest first (for ``max_reassignments`` and
        "never back to the rep who just lost it")."""
        query = (
            select(_journal.c.action, _journal.c.applied_at)
            .where(
                _journal.c.status == ActionStatus.APPLIED.value,
                _journal.c.type == ActionType.REASSIGN.value,
            )
            .order_by(_journal.c.applied_at, _journal.c.idempotency_key)
        )
        if adapter is not None:
            query = query.where(_journal.c.target_adapter == adapter)
        with self._read() as conn:
            rows = conn.execute(query).all()
        found: list[Reassignment] = []
        for text, applied_at in rows:
            action = Action.model_validate_json(text)
            found.append(
                Reassignment(
                    record=RecordRef(
                        adapter=action.target.adapter, module=action.target.module, id=action.target.id
                    ),
                    rule=action.rule,
                    from_owner=action.previous_owner_id,
                    to_owner=action.new_owner_id,
                    at=applied_at,
                )
            )
        return found


def _claimable() -> ColumnElement[bool]:
    """Rows a run may (re)take; spelled without IN (...) so it also works in executemany."""
    return or_(*(_journal.c.status == status for status in _CLAIMABLE))


def _plan_row(run_id: str, action: Action, now: datetime) -> dict[str, Any]:
    return {
        "idempotency_key": action.idempotency_key,
        "run_id": run_id,
        "status": ActionStatus.PLANNED.value,
        "type": action.type.value,
        "rule": action.rule,
        "target_adapter": action.target.adapter,
        "target_module": action.target.module.value,
        "target_id": action.target.id,
        "action": action.model_dump_json(),
        "message": "",
        "attempts": 0,
        "planned_at": now,
        "updated_at": now,
        "applied_at": None,
    }
