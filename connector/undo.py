"""``referee undo RUN``: revert what one run applied, as the actions of a new ``undo`` run.

- a reassignment goes back to the previous owner, planned *from* the owner the run set, so the
  usual re-check skips it (``owner-changed``) when someone changed the owner since;
- a tag the run added is removed (``unflag``; adapters without a way to do it skip it);
- a note cannot be taken back through every CRM, so an "undone" note that names the note's key
  is written next to it.

Each undo action has its own idempotency key (derived from the original), so undoing twice, or
after a crash, writes nothing twice.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence

from connector.apply import apply_batches
from connector.domain import Action, ActionResult, ActionStatus, ActionType, SkipCode, stable_hash
from connector.errors import UsageError
from connector.notes import footer
from connector.protocol import CrmAdapter
from connector.store import Store
from connector.store.journal import JournalEntry
from connector.sync import SyncOptions, SyncReport, status_counts

UNDO_RULE = "undo"


def inverse(entry: JournalEntry, run_id: str) -> Action | ActionResult:
    """The action that reverts ``entry``, or a skipped result saying why it cannot be reverted."""
    action = entry.action
    key = stable_hash("undo", action.idempotency_key)
    if action.type is ActionType.REASSIGN:
        if action.previous_owner_id is None:
            return ActionResult(
                action=action, status=ActionStatus.SKIPPED, code=SkipCode.ALREADY_DONE,
                message="the record had no owner before; nothing to give it back to",
            )
        return Action(
            type=ActionType.REASSIGN, new_owner_id=action.previous_owner_id, previous_owner_id=action.new_owner_id,
            reason=f"undo of run {run_id}: back to {action.previous_owner_id}",
            target=action.target, rule=UNDO_RULE, idempotency_key=key,
        )
    if action.type is ActionType.FLAG:
        return Action(
            type=ActionType.UNFLAG, tag=action.tag, reason=f"undo of run {run_id}: remove tag {action.tag}",
            target=action.target, rule=UNDO_RULE, idempotency_key=key,
        )
    if action.type is ActionType.NOTE:
        text = f"crm-referee: undone — the note {footer(action.idempotency_key)} was written in error by run {run_id}."
        return Action(
            type=ActionType.NOTE, text=text, reason=f"undo of run {run_id}",
            target=action.target, rule=UNDO_RULE, idempotency_key=key,
        )
    return ActionResult(
        action=action, status=ActionStatus.SKIPPED, code=SkipCode.ALREADY_DONE,
        message=f"{action.type.value} actions are not undone",
    )


def run_undo(
    store: Store,
    adapters: Mapping[str, CrmAdapter],
    target_run: str,
    entries: Sequence[JournalEntry],
    options: SyncOptions,
) -> SyncReport:
    """Plan (``options.apply`` false) or carry out the undo of ``entries`` under the run lock."""
    applied = [e for e in entries if e.status is ActionStatus.APPLIED and e.action.rule != UNDO_RULE]
    if not applied:
        raise UsageError(f'run "{target_run}" applied nothing that can be undone (see `referee journal --run {target_run}`)')
    holder = f"undo pid {os.getpid()} on {socket.gethostname()}"
    mode = "undo" if options.apply else "undo-dry-run"
    with store.run_lock(holder, options.now, break_lock=options.break_lock):
        run_id = store.start_run(mode=mode, adapters=sorted(adapters), now=options.now)
        report = SyncReport(run_id=run_id, mode=mode)
        plans = [inverse(e, target_run) for e in applied]
        skipped = [p for p in plans if isinstance(p, ActionResult)]
        actions = [p for p in plans if isinstance(p, Action)]
        done = store.journal_entries([a.idempotency_key for a in actions])
        fresh = [a for a in actions if not (done.get(a.idempotency_key) and done[a.idempotency_key].final)]
        store.journal_plan(run_id, fresh, now=options.now)
        if options.apply:
            sent = apply_batches(store, adapters, fresh, run_id=run_id, now=options.now, stop=options.stop)
            report.results = skipped + sent.results + [
                ActionResult(action=a, status=ActionStatus.PLANNED) for a in sent.left
            ]
            report.left, report.interrupted = sent.left, sent.stopped
        else:
            report.results = skipped + [ActionResult(action=a, status=ActionStatus.PLANNED) for a in fresh]
        report.counts.update(status_counts(report.results))
        status = "interrupted" if report.interrupted else "partial" if report.failed else "ok"
        store.finish_run(run_id, now=options.now, status=status, counts=report.counts)
    return report
