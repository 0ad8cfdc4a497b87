"""Actions a run left ``applying`` or ``unknown``, and settling them by reading the CRM.

A run that dies mid-call (``kill -9``, a lost machine) leaves its batch in flight ``applying``;
a write that timed out after sending is ``unknown``. Neither is sent again blindly: each is
looked up in the CRM (:class:`~connector.protocol.WriteVerifier`: owner, tags, notes carrying the
action's key) and becomes ``applied`` or ``planned`` again. ``sync --apply`` does this for runs
that are gone before it plans; ``referee journal --resolve --run RUN`` does it on demand.

A run is gone when its row is finished (``unknown`` rows outlive their run by design), or when it
is a sync recorded as running while this process holds the run lock (or the lock's holder is a
process on this host that no longer exists), or a webhook worker run older than
:data:`WORKER_LEASE`.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connector.domain import ActionResult, ActionStatus, SkipCode
from connector.errors import ConnectorError
from connector.protocol import CrmAdapter, WriteVerifier
from connector.store import Store
from connector.store.journal import JournalEntry

WORKER_LEASE = timedelta(minutes=15)
"""A webhook worker run still ``running`` after this long is taken for dead (one event is small)."""


@dataclass
class Stranded:
    """The unsettled actions of one run that is no longer alive."""

    run_id: str
    entries: list[JournalEntry]
    run_status: str

    def to_json(self) -> dict[str, object]:
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.status.value] = counts.get(entry.status.value, 0) + 1
        return {
            "run_id": self.run_id,
            "run_status": self.run_status,
            "actions": len(self.entries),
            "by_status": counts,
            "resolve": f"referee journal --resolve --run {self.run_id}",
        }


@dataclass
class Settled:
    """What reading the CRM showed for one run's unsettled actions."""

    run_id: str
    applied: int = 0
    planned: int = 0
    skipped: int = 0
    unresolved: list[JournalEntry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "applied": self.applied,
            "planned_again": self.planned,
            "skipped": self.skipped,
            "unresolved": len(self.unresolved),
            "errors": list(self.errors),
        }

    def sentence(self) -> str:
        text = (
            f"run {self.run_id}: {self.applied} found done in the CRM (journaled applied), "
            f"{self.planned} not done (planned again)"
        )
        if self.skipped:
            text += f", {self.skipped} changed by a person since (skipped)"
        if self.unresolved:
            text += (
                f", {len(self.unresolved)} could not be checked (still {self.unresolved[0].status.value}; "
                "check the CRM, then `referee journal --release KEY`)"
            )
        return text


def stranded(store: Store, *, now: datetime, holding_lock: bool, current_run: str | None = None) -> list[Stranded]:
    """Unsettled actions grouped by a run that is no longer alive, oldest run first."""
    entries = [e for e in store.unsettled() if e.run_id != current_run]
    if not entries:
        return []
    runs = {r.run_id: r for r in store.list_runs(limit=10_000)}
    held = store.lock_holder()
    lock_held = held is not None and holder_alive(held[0])
    newest_running_sync = max(
        (r.run_id for r in runs.values() if r.status == "running" and not r.mode.startswith("webhook")),
        default=None,
    )
    by_run: dict[str, list[JournalEntry]] = {}
    status_of: dict[str, str] = {}
    for entry in entries:
        run = runs.get(entry.run_id)
        if run is not None and run.status == "running":
            if run.mode.startswith("webhook"):
                alive = run.started_at > now - WORKER_LEASE
            else:
                alive = not holding_lock and lock_held and run.run_id == newest_running_sync
            if alive:
                continue
        by_run.setdefault(entry.run_id, []).append(entry)
        status_of[entry.run_id] = run.status if run is not None else "unknown run"
    return [Stranded(run_id, by_run[run_id], status_of[run_id]) for run_id in sorted(by_run)]


def holder_alive(holder: str) -> bool:
    """False when the lock's holder (``sync pid N on HOST``) is a process on this host that is gone."""
    match = re.search(r"pid (\d+) on (\S+)$", holder)
    if match is None or match[2] != socket.gethostname():
        return True  # another machine: only its lease or an admin can tell
    try:
        os.kill(int(match[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def settle(
    store: Store, adapters: Mapping[str, CrmAdapter], left: Stranded, *, now: datetime
) -> Settled:
    """Read the CRM for each action ``left`` behind and journal what it shows."""
    out = Settled(run_id=left.run_id)
    by_adapter: dict[str, list[JournalEntry]] = {}
    for entry in left.entries:
        by_adapter.setdefault(entry.action.target.adapter, []).append(entry)
    results: list[ActionResult] = []
    for name, entries in sorted(by_adapter.items()):
        adapter = adapters.get(name)
        if not isinstance(adapter, WriteVerifier):
            out.unresolved.extend(entries)
            continue
        try:
            found = adapter.verify([e.action for e in entries])
        except ConnectorError as exc:
            out.errors.append(str(exc))
            out.unresolved.extend(entries)
            continue
        for entry in entries:
            results.append(_outcome(entry, found.get(entry.idempotency_key), left.run_id, now, out))
    store.settle([r for r in results if r.status is not ActionStatus.UNKNOWN], now=now)
    still = [r for r in results if r.status is ActionStatus.UNKNOWN]
    store.settle(still, now=now)  # ``applying`` that could not be told becomes ``unknown``
    return out


def _outcome(
    entry: JournalEntry, status: ActionStatus | None, run_id: str, now: datetime, out: Settled
) -> ActionResult:
    action = entry.action
    if status is ActionStatus.APPLIED:
        out.applied += 1
        return ActionResult(
            action=action, status=status, applied_at=now,
            message=f"sent by run {run_id} without a clear answer; the CRM shows it done",
        )
    if status is ActionStatus.PLANNED:
        out.planned += 1
        return ActionResult(
            action=action, status=status,
            message=f"sent by run {run_id} without a clear answer; the CRM shows it not done, so it is sent again",
        )
    if status is ActionStatus.SKIPPED:
        out.skipped += 1
        return ActionResult(
            action=action, status=status, code=SkipCode.OWNER_CHANGED,
            message="the record changed in the CRM since (a person's change wins)",
        )
    out.unresolved.append(entry)
    return ActionResult(
        action=action, status=ActionStatus.UNKNOWN,
        message=f"left by run {run_id}; the CRM could not be asked whether it was done",
    )


def settle_all(
    store: Store, adapters: Mapping[str, CrmAdapter], left: Sequence[Stranded], *, now: datetime
) -> list[Settled]:
    """Settle every stranded run and mark runs recorded ``running`` as ``crashed``."""
    done = [settle(store, adapters, run, now=now) for run in left]
    dead = [run.run_id for run in left if run.run_status == "running"]
    if dead:
        store.mark_crashed(dead, now=now)
    return done
