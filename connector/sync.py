"""The sync pipeline: pull → store → settle → evaluate → plan → rails → journal → apply → summary.

Journal-first: every planned action is written to the journal before anything is sent to a CRM,
each call batch is claimed atomically before it is sent and journaled as soon as it comes back
(:mod:`connector.apply`), and an action whose idempotency key is already applied is never
planned again. Actions earlier runs left ``applying`` or ``unknown`` are settled by reading the
CRM first (:mod:`connector.recovery`). Dry-run (the default) stops after journaling the plan.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connector.apply import apply_actions, apply_batches
from connector.capabilities import planned_result
from connector.config import Config
from connector.domain import (
    ECHO_MARK,
    HEALABLE_SKIPS,
    Action,
    ActionResult,
    ActionStatus,
    Finding,
    FindingKind,
    Record,
    RecordRef,
)
from connector.errors import ConnectorError
from connector.findings_log import record_run, with_history
from connector.identity_index import sync_keys
from connector.progress import SILENT, RunProgress
from connector.protocol import CrmAdapter
from connector.rails import KV_NAMESPACE, activity_counts, check_rails
from connector.recovery import Settled, Stranded, settle_all, stranded
from connector.rule_coverage import idle_rule_warnings
from connector.run_warnings import MAX_PER_RUN, RunWarning, drain_warnings
from connector.sanitize import split_records
from connector.store import Store
from rules.engine import evaluate
from rules.snapshot import Plan, Snapshot

ProgressHook = Callable[[str, int], None]
"""Called as ``progress(adapter_name, records_and_activities_so_far)`` while pulling."""
Confirm = Callable[[Sequence[Action]], bool]
"""Asked before writing more than ``[safety] confirm_above`` actions; ``False`` writes nothing."""

__all__ = ["SyncInterrupted", "SyncOptions", "SyncReport", "apply_actions", "run_sync"]


@dataclass(frozen=True)
class SyncOptions:
    now: datetime
    apply: bool = False
    full: bool = False
    only: Sequence[str] = ()
    break_lock: bool = False
    stop: threading.Event | None = None
    """Set (by a signal handler) to stop after the call in flight; the rest stays planned."""
    confirm: Confirm | None = None
    max_actions: int | None = None
    allow_mass_reassign: bool = False
    allow_empty_activities: bool = False


class SyncInterrupted(ConnectorError):
    """The run was asked to stop (SIGINT/SIGTERM) while pulling; nothing was planned or sent."""

    exit_code = 130


@dataclass
class SyncReport:
    run_id: str
    mode: str
    findings: list[Finding] = field(default_factory=list)
    results: list[ActionResult] = field(default_factory=list)
    records: dict[RecordRef, Record] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    api_calls: dict[str, dict[str, int]] = field(default_factory=dict)
    new_findings: set[str] = field(default_factory=set)
    """History keys (``connector.domain.finding_key``) no earlier run had reported."""
    warnings: list[RunWarning] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)
    """User id → name, so output speaks of people rather than ids."""
    stranded: list[Stranded] = field(default_factory=list)
    """Actions earlier runs left ``applying``/``unknown`` that this run did not settle."""
    settled: list[Settled] = field(default_factory=list)
    """What reading the CRM showed for actions earlier runs left behind."""
    left: list[Action] = field(default_factory=list)
    """Actions not sent because the run was stopped (they stay planned for the next run)."""
    interrupted: bool = False
    declined: bool = False

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if r.status == ActionStatus.FAILED)

    @property
    def unknown(self) -> int:
        """Sent without a clear answer: journaled ``unknown``, settled by the next run."""
        return sum(1 for r in self.results if r.status == ActionStatus.UNKNOWN)


def run_sync(
    config: Config,
    store: Store,
    adapters: Mapping[str, CrmAdapter],
    options: SyncOptions,
    *,
    progress: RunProgress = SILENT,
) -> SyncReport:
    """Run one sync under the store's run lock and return what happened."""
    mode = "apply" if options.apply else "dry-run"
    holder = f"sync pid {os.getpid()} on {socket.gethostname()}"
    with store.run_lock(holder, options.now, break_lock=options.break_lock):
        run_id = store.start_run(mode=mode, adapters=list(adapters), now=options.now)
        report = SyncReport(run_id=run_id, mode=mode)
        try:
            changed: list[RecordRef] = []
            for name, adapter in adapters.items():
                progress.phase("pull")
                changed.extend(pull_adapter(store, name, adapter, options, report, progress))
                _maintain(adapter, options.now)
            settle_stranded(store, adapters, options, report, run_id)
            progress.phase("snapshot")
            snapshot = with_history(build_snapshot(store), store, config, now=options.now, applied=options.apply)
            progress.phase("evaluate", len(snapshot.records))
            plan = evaluate(snapshot, config.ruleset(), options.now)
            report.warnings += idle_rule_warnings(config, snapshot)
            if confirm_clock_starts(store, adapters, plan, snapshot, options.now):
                snapshot = with_history(build_snapshot(store), store, config, now=options.now, applied=options.apply)
                plan = evaluate(snapshot, config.ruleset(), options.now)
            if plan.resolution is not None:
                progress.phase("index")
                report.counts["identity_reindexed"] = sync_keys(store, plan.resolution, config.identity, changed)
            _execute(store, adapters, plan, snapshot, options, report, run_id, config, progress)
            progress.phase("history", len(plan.findings))
            report.findings = list(plan.findings)
            report.new_findings = record_run(store, run_id, plan.findings, now=options.now, applied=options.apply)
            report.records = {r.ref: r for r in snapshot.records}
            report.users = {u.id: u.name for u in snapshot.users.values() if u.name}
            for key, value in plan.assignment_state.items():
                store.set_value("assignment", key, value)
        except ConnectorError as exc:
            report.api_calls = api_calls(adapters)
            report.warnings += drain_warnings(adapters.values())
            store.finish_run(
                run_id, now=options.now, status="error", counts=report.counts, error=str(exc),
                warnings=report.warnings,
            )
            raise
        report.api_calls = api_calls(adapters)
        report.warnings += drain_warnings(adapters.values())
        report.counts.update(findings=len(report.findings), **status_counts(report.results))
        status = "interrupted" if report.interrupted else "partial" if report.failed else "ok"
        store.finish_run(run_id, now=options.now, status=status, counts=report.counts, warnings=report.warnings)
    return report


def build_snapshot(store: Store, adapter: str | None = None) -> Snapshot:
    """Everything the rules engine reads, from the store."""
    users = {u.id: u for u in store.load_users(adapter)}
    return Snapshot(
        users=users,
        records=store.load_records(adapter),
        activities=store.load_activities(adapter),
        owner_changes=store.load_owner_changes(adapter),
        reassignments=store.applied_reassignments(adapter),
        assignment_state=store.get_values("assignment"),
        exemptions=store.list_exemptions(),
    )


def pull_adapter(
    store: Store,
    name: str,
    adapter: CrmAdapter,
    options: SyncOptions,
    report: SyncReport,
    progress: RunProgress,
) -> list[RecordRef]:
    """Store everything the adapter has changed since its cursors; return the refs it brought."""
    store.upsert_users(name, adapter.pull_users())
    refs: list[RecordRef] = []
    cursors = {} if options.full else store.get_cursors(name)
    for batch in adapter.pull(cursors, full=options.full):
        if options.stop is not None and options.stop.is_set():
            raise SyncInterrupted("stopped while pulling; nothing was planned or written (run again to go on)")
        records = _storable(name, batch.records, report)
        if records:
            refs.extend(r.ref for r in records)
            changes = store.upsert_records(records, seen_at=options.now)
            report.counts["owner_changes_seen"] = report.counts.get("owner_changes_seen", 0) + len(changes)
        if batch.activities:
            store.upsert_activities(batch.activities)
        if batch.deleted:
            store.delete_records(batch.deleted, seen_at=options.now)
        if batch.deleted_activities:
            store.delete_activities(name, batch.deleted_activities)
        if batch.cursor is not None:
            store.set_cursor(name, batch.stream, batch.cursor)
        progress.pulled(name, batch.stream, len(batch.records) + len(batch.activities))
        report.counts["records_pulled"] = report.counts.get("records_pulled", 0) + len(batch.records)
        report.counts["activities_pulled"] = report.counts.get("activities_pulled", 0) + len(batch.activities)
    return refs


def _storable(name: str, records: Sequence[Record], report: SyncReport) -> list[Record]:
    """The records the store can hold; each other one is a ``record_rejected`` warning, counted."""
    good, bad = split_records(records)
    if bad:
        report.counts["records_rejected"] = report.counts.get("records_rejected", 0) + len(bad)
        room = MAX_PER_RUN - len(report.warnings)
        report.warnings += [RunWarning(name, "record_rejected", line) for line in bad[: max(room, 0)]]
    return good


def confirm_clock_starts(
    store: Store, adapters: Mapping[str, CrmAdapter], plan: Plan, snapshot: Snapshot, now: datetime
) -> int:
    """SLA breaches counted from a record's creation: ask the CRM when the owner really got it.

    Adapters that can tell (an ``assignment_times(records)`` hook, e.g. Zoho's Timeline API)
    return those records with ``assigned_at`` set; they are stored, and the caller evaluates
    again. Returns how many records changed. Rules stay pure: the answer comes in as data.
    """
    unsure = {
        ref
        for finding in plan.findings
        if finding.kind is FindingKind.SLA and finding.details.get("clock_start_source") == "created_at"
        for ref in finding.records
    }
    if not unsure:
        return 0
    by_adapter: dict[str, list[Record]] = {}
    for record in snapshot.records:
        if record.ref in unsure:
            by_adapter.setdefault(record.adapter, []).append(record)
    confirmed: list[Record] = []
    for name, records in sorted(by_adapter.items()):
        hook = getattr(adapters.get(name), "assignment_times", None)
        if callable(hook):
            confirmed.extend(hook(sorted(records, key=lambda r: (r.module, r.id))))
    if confirmed:
        store.upsert_records(confirmed, seen_at=now)
    return len(confirmed)


def _maintain(adapter: CrmAdapter, now: datetime) -> None:
    """Adapters may keep something alive between runs (e.g. Zoho's notification channel)."""
    maintain = getattr(adapter, "maintain", None)
    if callable(maintain):
        maintain(now)


def settle_stranded(
    store: Store, adapters: Mapping[str, CrmAdapter], options: SyncOptions, report: SyncReport, run_id: str
) -> None:
    """Actions earlier runs left ``applying``/``unknown``: settled by reading the CRM when applying."""
    left = stranded(store, now=options.now, holding_lock=True, current_run=run_id)
    if not options.apply:
        report.stranded = left
        return
    report.settled = settle_all(store, adapters, left, now=options.now)
    dead = [
        r.run_id for r in store.list_runs(limit=50)
        if r.status == "running" and r.run_id != run_id and not r.mode.startswith("webhook")
    ]
    store.mark_crashed(dead, now=options.now)  # this process holds the lock: no other sync is alive
    report.stranded = [Stranded(s.run_id, s.unresolved, "unresolved") for s in report.settled if s.unresolved]


def _execute(
    store: Store,
    adapters: Mapping[str, CrmAdapter],
    plan: Plan,
    snapshot: Snapshot,
    options: SyncOptions,
    report: SyncReport,
    run_id: str,
    config: Config,
    progress: RunProgress = SILENT,
) -> None:
    progress.phase("journal", len(plan.actions))
    fresh = unhandled(store, plan.actions)
    waiting = waiting_followers(store, fresh)
    store.journal_plan(run_id, fresh, now=options.now)
    if not options.apply:
        report.results = [planned_result(a.target.adapter, adapters.get(a.target.adapter), a) for a in fresh]
        return
    counts = check_plan_rails(store, adapters, options, fresh, config, snapshot)
    to_send = [a for a in fresh + waiting if not _still_unsupported(a, adapters, store)]
    if options.confirm is not None and to_send and not options.confirm(to_send):
        report.declined = True
        report.results = [ActionResult(action=a, status=ActionStatus.PLANNED) for a in fresh]
        return
    progress.phase("apply", len(to_send))
    applied = apply_batches(
        store, adapters, to_send, run_id=run_id, now=options.now, stop=options.stop, advance=progress.advance
    )
    report.results = applied.results + [ActionResult(action=a, status=ActionStatus.PLANNED) for a in applied.left]
    report.left = applied.left
    report.interrupted = applied.stopped
    store.set_value(KV_NAMESPACE, "activity_counts", json.dumps(counts, sort_keys=True))


def check_plan_rails(
    store: Store,
    adapters: Mapping[str, CrmAdapter],
    options: SyncOptions,
    fresh: Sequence[Action],
    config: Config,
    snapshot: Snapshot | None = None,
) -> dict[str, int]:
    """Refuse a plan that looks like broken input; returns this run's activity counts to remember."""
    snapshot = snapshot if snapshot is not None else build_snapshot(store)  # sync passes the one it evaluated
    raw = store.get_value(KV_NAMESPACE, "activity_counts")
    previous = {k: int(v) for k, v in json.loads(raw).items() if k in adapters} if raw else {}
    check_rails(
        config.safety,
        fresh,
        snapshot,
        previous,
        max_actions=options.max_actions,
        allow_mass_reassign=options.allow_mass_reassign,
        allow_empty_activities=options.allow_empty_activities,
    )
    return activity_counts(snapshot)


STOPPED_RUNS = frozenset({"crashed", "interrupted"})


def _still_unsupported(action: Action, adapters: Mapping[str, CrmAdapter], store: Store) -> bool:
    """A skip for a missing endpoint that nothing has fixed yet: not reported again every run."""
    adapter = adapters.get(action.target.adapter)
    can_write = getattr(adapter, "can_write", None)
    if adapter is None or (
        action.type.value in adapter.supported_actions() and (not callable(can_write) or can_write(action))
    ):
        return False
    entry = store.journal_entries([action.idempotency_key]).get(action.idempotency_key)
    return entry is not None and entry.status is ActionStatus.SKIPPED


def waiting_followers(store: Store, fresh: Sequence[Action]) -> list[Action]:
    """What earlier runs planned and never sent, although the current plan no longer asks for it.

    An applying run that was killed or interrupted leaves the rest of its plan ``planned``; the
    move it did make may have ended the finding, so the next plan would not repeat the rest
    (the tags and notes of the same decision): they are sent now. So is a note whose action an
    earlier run applied (or skipped, which skips the note).
    """
    planned = {a.idempotency_key for a in fresh}
    stopped = [r.run_id for r in store.list_runs(limit=50) if r.mode == "apply" and r.status in STOPPED_RUNS]
    out: dict[str, Action] = {}
    for entry in store.planned_by(stopped):
        out.setdefault(entry.idempotency_key, entry.action)
    for entry, lead in store.waiting_followers():
        if lead.status is ActionStatus.APPLIED or lead.final:
            out.setdefault(entry.idempotency_key, entry.action)
    return [a for key, a in out.items() if key not in planned]


def unhandled(store: Store, actions: Sequence[Action]) -> list[Action]:
    """The actions the journal has not applied, skipped for good, or left to be settled.

    ``failed`` rows and rows skipped for a cause that can heal (no write endpoint, a read-only
    export) are planned again; ``applying``/``unknown`` ones wait for :mod:`connector.recovery`.
    """
    entries = store.journal_entries([a.idempotency_key for a in actions])
    out = []
    for action in actions:
        entry = entries.get(action.idempotency_key)
        if entry is None or entry.status in (ActionStatus.PLANNED, ActionStatus.FAILED) or (
            entry.status is ActionStatus.SKIPPED and entry.code in HEALABLE_SKIPS
        ):
            out.append(action)
    return out


def is_echo(store: Store, records: Sequence[Record]) -> bool:
    """True when a change notification only reports our own write-back coming back.

    Every record must carry the adapter's echo mark (last changed by the integration user) and
    have an applied action in the journal; then there is nothing new to judge.
    """
    if not records or not all(r.extra.get(ECHO_MARK) for r in records):
        return False
    return store.applied_targets([r.ref for r in records]) == {r.ref for r in records}


def status_counts(results: Sequence[ActionResult]) -> dict[str, int]:
    counts = {f"actions_{s.value}": 0 for s in ActionStatus if s != ActionStatus.APPLYING}
    for result in results:
        counts[f"actions_{result.status.value}"] += 1
    return counts


def api_calls(adapters: Mapping[str, CrmAdapter]) -> dict[str, dict[str, int]]:
    """API calls each adapter has made so far, per endpoint (adapters that count them)."""
    calls: dict[str, dict[str, int]] = {}
    for name, adapter in adapters.items():
        counter = getattr(adapter, "api_calls", None)
        if callable(counter):
            calls[name] = dict(counter())
    return calls
