"""Carry out planned actions one call batch at a time, journaling each batch as it comes back.

Shared by ``sync``, ``referee apply``, ``referee undo`` and the webhook worker. For each batch
(:class:`~connector.protocol.WriteBatches`): claim it in the journal, send it, journal the
results, then look at the stop flag (Ctrl-C, SIGTERM). A crash loses at most the batch in
flight, whose rows stay ``applying`` under this run's id until :mod:`connector.recovery` reads
the CRM. Notes that explain another action (``Action.after``) go in a second wave, only once
that action is applied; a note whose action was skipped is skipped with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connector.capabilities import unsupported_reason
from connector.domain import HEALABLE_SKIPS, Action, ActionResult, ActionStatus, ActionType, SkipCode
from connector.errors import ConnectorError, OutcomeUnknownError
from connector.notes import with_footer
from connector.protocol import CrmAdapter, WriteBatches, WriteVerifier
from connector.store import Store


@dataclass
class Applied:
    """What one apply pass did; ``left`` were not sent because the run was asked to stop."""

    results: list[ActionResult] = field(default_factory=list)
    left: list[Action] = field(default_factory=list)
    stopped: bool = False


def apply_actions(
    store: Store,
    adapters: Mapping[str, CrmAdapter],
    actions: Sequence[Action],
    *,
    run_id: str,
    now: datetime,
    stop: threading.Event | None = None,
) -> list[ActionResult]:
    """Claim, apply and journal ``actions`` (see :func:`apply_batches`); the results only."""
    return apply_batches(store, adapters, actions, run_id=run_id, now=now, stop=stop).results


def apply_batches(
    store: Store,
    adapters: Mapping[str, CrmAdapter],
    actions: Sequence[Action],
    *,
    run_id: str,
    now: datetime,
    stop: threading.Event | None = None,
    advance: Callable[[int], None] | None = None,
) -> Applied:
    """Send ``actions`` batch by batch; actions that explain another one wait for it.

    ``advance(n)`` is told after each call batch how many more actions have a result (the
    terminal's apply progress), so a long write phase moves on screen as it goes.
    """
    out = Applied()
    seen = 0

    def tick() -> None:
        nonlocal seen
        now_done = len(out.results) + len(out.left)
        if advance is not None and now_done > seen:
            advance(now_done - seen)
        seen = now_done

    keys = {a.idempotency_key for a in actions}
    first = [a for a in actions if a.after is None or a.after not in keys]
    second = [a for a in actions if a.after is not None and a.after in keys]
    ready, held = _gate(store, first, {})
    _journal_held(store, run_id, held, now, out)
    _send_wave(store, adapters, ready, run_id, now, stop, out, tick)
    done = {r.action.idempotency_key: r for r in out.results}
    ready, held = _gate(store, second, done)
    _journal_held(store, run_id, held, now, out)
    _send_wave(store, adapters, ready, run_id, now, stop, out, tick)
    tick()
    return out


def _gate(
    store: Store, actions: Sequence[Action], done: Mapping[str, ActionResult]
) -> tuple[list[Action], list[ActionResult]]:
    """Which actions may be sent now; the rest come back as results (skipped, or still planned)."""
    leads = [a.after for a in actions if a.after is not None and a.after not in done]
    entries = store.journal_entries(leads) if leads else {}
    ready: list[Action] = []
    held: list[ActionResult] = []
    for action in actions:
        if action.after is None:
            ready.append(action)
            continue
        result = done.get(action.after)
        status = result.status if result else None
        entry = entries.get(action.after)
        if status is ActionStatus.APPLIED or (result is None and entry is not None and entry.status is ActionStatus.APPLIED):
            ready.append(action)
        elif (result is not None and status is ActionStatus.SKIPPED and result.code not in HEALABLE_SKIPS) or (
            result is None and entry is not None and entry.final
        ):
            why = (result.message if result else entry.message if entry else "") or "it was not needed"
            held.append(
                ActionResult(
                    action=action,
                    status=ActionStatus.SKIPPED,
                    code=SkipCode.EXPLAINED_NOT_DONE,
                    message=f"not sent: the action it explains was skipped ({why})",
                )
            )
        else:
            held.append(
                ActionResult(
                    action=action,
                    status=ActionStatus.PLANNED,
                    message="waits until the action it explains is applied",
                )
            )
    return ready, held


def _journal_held(store: Store, run_id: str, held: Sequence[ActionResult], now: datetime, out: Applied) -> None:
    skipped = [r for r in held if r.status is ActionStatus.SKIPPED]
    store.journal_results(run_id, skipped, now=now)
    out.results.extend(held)


def _send_wave(
    store: Store,
    adapters: Mapping[str, CrmAdapter],
    actions: Sequence[Action],
    run_id: str,
    now: datetime,
    stop: threading.Event | None,
    out: Applied,
    tick: Callable[[], None],
) -> None:
    for adapter_name, group in _by_adapter(actions).items():
        adapter = adapters.get(adapter_name)
        supported = adapter.supported_actions() if adapter else frozenset()
        sendable: list[Action] = []
        unsupported: list[ActionResult] = []
        for action in group:
            if adapter is None or action.type not in supported:
                why = unsupported_reason(adapter_name, adapter, action) or ""
                unsupported.append(
                    ActionResult(
                        action=action, status=ActionStatus.SKIPPED, code=SkipCode.NO_WRITE_ENDPOINT, message=why
                    )
                )
            else:
                sendable.append(action)
        store.journal_results(run_id, unsupported, now=now)
        out.results.extend(unsupported)
        if adapter is None or not sendable:
            continue
        sendable = _drop_written_notes(store, adapter, sendable, run_id, now, out)
        batches = adapter.write_batches(sendable) if isinstance(adapter, WriteBatches) else [sendable]
        for batch in batches:
            if out.stopped or (stop is not None and stop.is_set()):
                out.stopped = True
                out.left.extend(batch)
                continue
            _send_batch(store, adapter, batch, run_id, now, out)
            tick()


def _drop_written_notes(
    store: Store, adapter: CrmAdapter, actions: list[Action], run_id: str, now: datetime, out: Applied
) -> list[Action]:
    """Notes the CRM already holds (their key footer is there: another store, a lost journal)."""
    notes = [a for a in actions if a.type is ActionType.NOTE]
    if not notes or not getattr(adapter, "lists_notes", False) or not isinstance(adapter, WriteVerifier):
        return actions
    try:
        found = adapter.verify(notes)
    except ConnectorError:
        return actions  # the write itself will tell whether the CRM answers
    present = {k for k, status in found.items() if status is ActionStatus.APPLIED}
    if not present:
        return actions
    already = [
        ActionResult(
            action=a,
            status=ActionStatus.APPLIED,
            code=SkipCode.ALREADY_DONE,
            message="the CRM already holds this note (found by its key); not written again",
            applied_at=now,
        )
        for a in notes
        if a.idempotency_key in present
    ]
    store.journal_results(run_id, already, now=now)
    out.results.extend(already)
    return [a for a in actions if a.idempotency_key not in present]


def _send_batch(
    store: Store, adapter: CrmAdapter, batch: Sequence[Action], run_id: str, now: datetime, out: Applied
) -> None:
    claimed = store.claim_actions([a.idempotency_key for a in batch], run_id, now=now)
    mine = [a for a in batch if a.idempotency_key in claimed]
    if not mine:
        return
    originals = {a.idempotency_key: a for a in mine}
    try:
        answered = list(adapter.apply([with_footer(a) for a in mine]))
    except OutcomeUnknownError as exc:
        answered = [ActionResult(action=a, status=ActionStatus.UNKNOWN, message=str(exc)) for a in mine]
    except ConnectorError as exc:
        answered = [ActionResult(action=a, status=ActionStatus.FAILED, message=str(exc)) for a in mine]
    by_key = {r.action.idempotency_key: r for r in answered}
    results = []
    for key, action in originals.items():
        result = by_key.get(key)
        if result is None:
            result = ActionResult(
                action=action, status=ActionStatus.UNKNOWN, message="the adapter returned no result for it"
            )
        results.append(result.model_copy(update={"action": action}))
    store.journal_results(run_id, results, now=now)
    out.results.extend(results)


def _by_adapter(actions: Iterable[Action]) -> dict[str, list[Action]]:
    grouped: dict[str, list[Action]] = {}
    for action in actions:
        grouped.setdefault(action.target.adapter, []).append(action)
    return grouped
