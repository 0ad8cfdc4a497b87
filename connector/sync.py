"""The sync pipeline: pull → store → evaluate → plan → journal → apply → summary.

Journal-first: every planned action is written to the journal before anything is sent to a CRM,
each action is claimed atomically before it is applied, and an action whose idempotency key is
already applied is never planned again. Dry-run (the default) stops after journaling the plan.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connector.capabilities import planned_result, unsupported_reason
from connector.config import Config
from connector.domain import (
    ECHO_MARK,
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
from connector.progress import SILENT, RunProgress, in_chunks
from connector.protocol import CrmAdapter
from connector.rule_coverage import idle_rule_warnings
from connector.run_warnings import MAX_PER_RUN, RunWarning, drain_warnings
from connector.sanitize import split_records
from connector.store import Store
from rules.engine import evaluate
from rules.snapshot import Plan, Snapshot


@dataclass(frozen=True)
class SyncOptions:
    now: datetime
    apply: bool = False
    full: bool = False
    only: Sequence[str] = ()
    break_lock: bool = False


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

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if r.status == ActionStatus.FAILED)


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
                changed.extend(_pull(store, name, adapter, options, report, progress))
                _maintain(adapter, options.now)
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
            _execute(store, adapters, plan, options, report, run_id, progress)
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
        report.counts.update(findings=len(report.findings), **_status_counts(report.results))
        status = "partial" if report.failed else "ok"
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


def _pull(
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


def _execute(
    store: Store,
    adapters: Mapping[str, CrmAdapter],
    plan: Plan,
    options: SyncOptions,
    report: SyncReport,
    run_id: str,
    progress: RunProgress = SILENT,
) -> None:
    progress.phase("journal", len(plan.actions))
    fresh = unhandled(store, plan.actions)
    store.journal_plan(run_id, fresh, now=options.now)
    if not options.apply:
        report.results = [planned_result(a.target.adapter, adapters.get(a.target.adapter), a) for a in fresh]
        return
    progress.phase("apply", len(fresh))
    report.results = in_chunks(
        fresh, lambda chunk: apply_actions(store, adapters, chunk, run_id=run_id, now=options.now), progress
    )


HANDLED = frozenset({ActionStatus.APPLIED, ActionStatus.APPLYING, ActionStatus.SKIPPED})
"""Journal states that end an action's life: it is not planned again (``failed`` is retried)."""


def unhandled(store: Store, actions: Sequence[Action]) -> list[Action]:
    """The actions the journal has not already applied, skipped, or handed to a running apply."""
    statuses = store.journal_statuses([a.idempotency_key for a in actions])
    return [a for a in actions if statuses.get(a.idempotency_key) not in HANDLED]


def is_echo(store: Store, records: Sequence[Record]) -> bool:
    """True when a change notification only reports our own write-back coming back.

    Every record must carry the adapter's echo mark (last changed by the integration user) and
    have an applied action in the journal; then there is nothing new to judge.
    """
    if not records or not all(r.extra.get(ECHO_MARK) for r in records):
        return False
    return store.applied_targets([r.ref for r in records]) == {r.ref for r in records}


def apply_actions(
    store: Store,
    adapters: Mapping[str, CrmAdapter],
    actions: Sequence[Action],
    *,
    run_id: str,
    now: datetime,
) -> list[ActionResult]:
    """Claim, apply and journal ``actions``; shared by ``sync`` and the webhook worker."""
    results: list[ActionResult] = []
    for adapter_name, group in _by_adapter(actions).items():
        adapter = adapters.get(adapter_name)
        supported = adapter.supported_actions() if adapter else frozenset()
        to_send: list[Action] = []
        for action in group:
            if action.type not in supported:
                why = unsupported_reason(adapter_name, adapter, action) or ""
                results.append(ActionResult(action=action, status=ActionStatus.SKIPPED, message=why))
            elif store.claim_action(action.idempotency_key, run_id, now=now):
                to_send.append(action)
        if to_send and adapter is not None:
            results.extend(_send(adapter, to_send))
    for result in results:
        store.journal_result(run_id, result, now=now)
    return results


def _send(adapter: CrmAdapter, actions: Sequence[Action]) -> list[ActionResult]:
    try:
        return list(adapter.apply(actions))
    except ConnectorError as exc:
        return [ActionResult(action=a, status=ActionStatus.FAILED, message=str(exc)) for a in actions]


def _by_adapter(actions: Iterable[Action]) -> dict[str, list[Action]]:
    grouped: dict[str, list[Action]] = {}
    for action in actions:
        grouped.setdefault(action.target.adapter, []).append(action)
    return grouped


def _status_counts(results: Sequence[ActionResult]) -> dict[str, int]:
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
