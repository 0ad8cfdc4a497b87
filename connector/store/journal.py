"""The action journal: one row per idempotency key, so an action is never applied twice.

Life of a row: ``planned`` → ``applying`` (claimed by one run, one call batch at a time,
atomically) → ``applied`` / ``failed`` / ``skipped`` / ``unknown``. ``failed`` rows and rows
skipped for a cause that can heal (``connector.domain.HEALABLE_SKIPS``) are planned and claimed
again; ``applied`` rows and final skips end there. ``applying`` rows belong to the run that
claimed them and ``unknown`` ones were sent without a clear answer: both are settled only by
reading the CRM (:mod:`connector.recovery`), never by sending again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update

from connector.domain import (
    HEALABLE_SKIPS,
    Action,
    ActionResult,
    ActionStatus,
    ActionType,
    RecordRef,
    SkipCode,
)
from connector.store import schema
from connector.store.base import StoreBase, chunks, upsert
from rules.snapshot import Reassignment

_journal = schema.journal
_CLAIMABLE = (ActionStatus.PLANNED.value, ActionStatus.FAILED.value)
_UNSETTLED = (ActionStatus.APPLYING.value, ActionStatus.UNKNOWN.value)
_PLAN_UPDATES = (
    "run_id", "status", "type", "rule", "target_adapter", "target_module", "target_id", "action", "code",
    "after_key",
)


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
    code: SkipCode | None = None

    @property
    def final(self) -> bool:
        """Applied, or skipped for good: never planned again."""
        if self.status is ActionStatus.APPLIED:
            return True
        return self.status is ActionStatus.SKIPPED and self.code not in HEALABLE_SKIPS


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

    def journal_entries(self, keys: Sequence[str]) -> dict[str, JournalEntry]:
        """The journal rows of ``keys`` (unknown keys are absent)."""
        found: dict[str, JournalEntry] = {}
        with self._read() as conn:
            for chunk in chunks(list(dict.fromkeys(keys)), 1_000):
                for row in conn.execute(select(_journal).where(_journal.c.idempotency_key.in_(chunk))):
                    found[row.idempotency_key] = _entry(row)
        return found

    def claim_action(self, key: str, run_id: str, *, now: datetime) -> bool:
        """Take one planned (or failed, or healably skipped) action for ``run_id``."""
        return key in self.claim_actions([key], run_id, now=now)

    def claim_actions(self, keys: Sequence[str], run_id: str, *, now: datetime) -> set[str]:
        """Take the claimable ones of ``keys`` for ``run_id`` in one transaction; return those taken.

        One conditional UPDATE: on PostgreSQL a concurrent claimer waits for the row locks and then
        re-checks the status, on SQLite ``BEGIN IMMEDIATE`` serialises writers, so exactly one wins.
        """
        taken: set[str] = set()
        with self._write() as conn:
            for chunk in chunks(list(dict.fromkeys(keys)), 500):
                claimed = conn.execute(
                    update(_journal)
                    .where(_journal.c.idempotency_key.in_(chunk), _claimable())
                    .values(status=ActionStatus.APPLYING.value, run_id=run_id, updated_at=now)
                    .returning(_journal.c.idempotency_key)
                )
                taken.update(claimed.scalars())
        return taken

    def release_claim(self, key: str, *, now: datetime) -> bool:
        """Turn an ``applying``/``unknown`` row into ``failed``, so the next run sends it again.

        Only for an admin who checked the CRM: the run that claimed it may have written it.
        """
        stmt = (
            update(_journal)
            .where(_journal.c.idempotency_key == key, _unsettled())
            .values(status=ActionStatus.FAILED.value, message="claim released by an admin", updated_at=now)
        )
        with self._write() as conn:
            return conn.execute(stmt).rowcount == 1

    def keys_with_prefix(self, prefix: str, *, limit: int = 10) -> list[str]:
        """Full keys starting with ``prefix`` (``journal --release`` accepts the short form)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = (
            select(_journal.c.idempotency_key)
            .where(_journal.c.idempotency_key.like(escaped + "%", escape="\\"))
            .order_by(_journal.c.idempotency_key)
            .limit(limit)
        )
        with self._read() as conn:
            return list(conn.execute(query).scalars())

    def journal_result(self, run_id: str, result: ActionResult, *, now: datetime) -> None:
        """Store the outcome of one action (see :meth:`journal_results`)."""
        self.journal_results(run_id, [result], now=now)

    def journal_results(self, run_id: str, results: Sequence[ActionResult], *, now: datetime) -> None:
        """Store the outcomes of one call batch in one transaction (``applied_at`` defaults to ``now``).

        An ``applied`` row is final and is never overwritten. An action that was never planned
        (e.g. skipped before planning) gets its row here.
        """
        if not results:
            return
        rows = []
        for result in results:
            applied = result.status is ActionStatus.APPLIED
            rows.append(
                _plan_row(run_id, result.action, now)
                | {
                    "status": result.status.value,
                    "message": result.message,
                    "attempts": 1,
                    "applied_at": (result.applied_at or now) if applied else None,
                    "code": result.code.value if result.code else None,
                }
            )
        stmt = upsert(
            self.dialect,
            _journal,
            ("idempotency_key",),
            update=("run_id", "status", "message", "updated_at", "applied_at", "code"),
            extra={"attempts": _journal.c.attempts + 1},
            where=_journal.c.status != ActionStatus.APPLIED.value,
        )
        with self._write() as conn:
            conn.execute(stmt, rows)

    def settle(self, results: Sequence[ActionResult], *, now: datetime) -> None:
        """What reading the CRM showed for unsettled rows: ``applied``, or ``planned`` to send again.

        Keeps each row's run id (the run that sent it), so ``journal --run`` still shows it there.
        """
        with self._write() as conn:
            for result in results:
                applied = result.status is ActionStatus.APPLIED
                conn.execute(
                    update(_journal)
                    .where(_journal.c.idempotency_key == result.action.idempotency_key, _unsettled())
                    .values(
                        status=result.status.value,
                        message=result.message,
                        updated_at=now,
                        applied_at=(result.applied_at or now) if applied else None,
                        code=result.code.value if result.code else None,
                    )
                )

    def unsettled(self, run_id: str | None = None) -> list[JournalEntry]:
        """Rows left ``applying`` or ``unknown`` (all runs, or one), oldest first."""
        query = select(_journal).where(_unsettled()).order_by(_journal.c.updated_at, _journal.c.idempotency_key)
        if run_id is not None:
            query = query.where(_journal.c.run_id == run_id)
        with self._read() as conn:
            return [_entry(row) for row in conn.execute(query)]

    def planned_by(self, run_ids: Sequence[str]) -> list[JournalEntry]:
        """Rows still ``planned`` under one of ``run_ids`` (runs that stopped before sending them),
        and every row skipped for a cause that can heal (sent again once config or data allow)."""
        planned = and_(_journal.c.run_id.in_(list(run_ids)), _journal.c.status == ActionStatus.PLANNED.value)
        query = (
            select(_journal)
            .where(or_(planned, _healable()) if run_ids else _healable())
            .order_by(_journal.c.planned_at, _journal.c.idempotency_key)
        )
        with self._read() as conn:
            return [_entry(row) for row in conn.execute(query)]

    def waiting_followers(self) -> list[tuple[JournalEntry, JournalEntry]]:
        """Planned rows that explain another action, with that action's row (``after_key``).

        A note whose reassignment was applied by a run that then stopped is sent by a later run,
        even when no plan asks for it any more (the move ended the finding).
        """
        lead = _journal.alias("lead")
        query = (
            select(_journal, *[c.label(f"lead_{c.name}") for c in lead.c])
            .join(lead, lead.c.idempotency_key == _journal.c.after_key)
            .where(_claimable())
            .order_by(_journal.c.planned_at, _journal.c.idempotency_key)
        )
        out = []
        with self._read() as conn:
            for row in conn.execute(query):
                mapping = row._mapping
                lead_row = {c.name: mapping[f"lead_{c.name}"] for c in lead.c}
                out.append((_entry(row), _entry_from(lead_row)))
        return out

    def list_journal(
        self, *, run_id: str | None = None, status: ActionStatus | None = None, limit: int = 100
    ) -> list[JournalEntry]:
        """The most recently updated entries first."""
        query = (
            select(_journal)
            .order_by(_journal.c.updated_at.desc(), _journal.c.planned_at.desc(), _journal.c.idempotency_key)
            .limit(limit)
        )
        if run_id is not None:
            query = query.where(_journal.c.run_id == run_id)
        if status is not None:
            query = query.where(_journal.c.status == ActionStatus(status).value)
        with self._read() as conn:
            return [_entry(row) for row in conn.execute(query)]

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
    return or_(*(_journal.c.status == status for status in _CLAIMABLE), _healable())


def _healable() -> ColumnElement[bool]:
    return and_(
        _journal.c.status == ActionStatus.SKIPPED.value,
        or_(*(_journal.c.code == code.value for code in sorted(HEALABLE_SKIPS))),
    )


def _unsettled() -> ColumnElement[bool]:
    return or_(*(_journal.c.status == status for status in _UNSETTLED))


def _entry(row: Any) -> JournalEntry:
    return _entry_from(row._mapping)


def _entry_from(row: Any) -> JournalEntry:
    return JournalEntry(
        idempotency_key=row["idempotency_key"],
        run_id=row["run_id"],
        status=ActionStatus(row["status"]),
        action=Action.model_validate_json(row["action"]),
        message=row["message"],
        attempts=row["attempts"],
        planned_at=row["planned_at"],
        updated_at=row["updated_at"],
        applied_at=row["applied_at"],
        code=SkipCode(row["code"]) if row["code"] else None,
    )


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
        "code": None,
        "after_key": action.after,
    }
