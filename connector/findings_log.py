"""The pipeline's side of the findings history: what the rules need from it, and what a run adds.

Late first contacts are reported once. The rules stay pure, so the pipeline hands them the facts
as data (``Snapshot.previous_run_at`` and ``Snapshot.reported``) and records each run's findings
afterwards. Runs that write back count on their own: a dry run before the first ``--apply`` does
not use up a late contact that the apply run should flag.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from connector.config import Config
from connector.domain import Finding
from connector.store import Store
from rules.sla.late import window_start
from rules.snapshot import Snapshot

SYNC_MODES = ("apply", "dry-run")
FINISHED = ("ok", "partial")


def previous_run_at(store: Store, *, applied: bool, before: datetime) -> datetime | None:
    """When the latest finished sync before ``before`` started (the latest apply run, for apply runs)."""
    modes = ("apply",) if applied else SYNC_MODES
    for run in store.list_runs(limit=5_000):  # webhook runs are listed too
        if run.mode in modes and run.status in FINISHED and run.started_at < before:
            return run.started_at
    return None


def with_history(snapshot: Snapshot, store: Store, config: Config, *, now: datetime, applied: bool) -> Snapshot:
    """``snapshot`` plus the late-contact facts: the previous run's time and the keys reported since."""
    rules = [r for r in config.rules.sla if r.first_activity_within is not None]
    if not rules:
        return snapshot
    previous = previous_run_at(store, applied=applied, before=now)
    since = min(window_start(rule, now, previous) for rule in rules)
    # Only earlier runs count: a run at the same instant (``--now`` replayed) reports the same again.
    reported = store.reported_finding_keys(since=since, before=now, applied_only=applied)
    return dataclasses.replace(snapshot, previous_run_at=previous, reported=reported)


def record_run(store: Store, run_id: str, findings: Sequence[Finding], *, now: datetime, applied: bool) -> set[str]:
    """Add a run's findings to the history; returns the keys seen for the first time."""
    return store.record_findings(run_id, findings, now=now, applied=applied)
