"""The inbox worker: turn stored webhook events into store updates, findings and journaled actions.

For each claimed event: fetch the current records when the event carries only ids, upsert them,
refresh their identity keys, evaluate the rules on the affected records plus the records they
match (not the whole store, so one event costs milliseconds on a large store), then journal and —
with ``[referee] apply = true`` — apply the actions exactly like ``sync`` (shared code:
:func:`connector.apply.apply_batches`; the journal's atomic claim keeps a concurrent ``sync`` from
applying the same action twice). Failures are retried with backoff and parked after N attempts.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connector.apply import apply_batches
from connector.config import Config
from connector.domain import ActionResult, ActionStatus, Finding, Module, Record, RecordRef
from connector.errors import ConnectorError, StateError
from connector.identity_index import CANDIDATE_FIELDS, CheckVerdict, check, refresh_keys
from connector.inbox import Claim, EventStatus, Inbox, describe_refs
from connector.protocol import CrmAdapter, WebhookSource
from connector.sanitize import split_records
from connector.server.logs import get_logger
from connector.server.metrics import Metrics
from connector.store import Store
from connector.sync import is_echo, unhandled
from rules.engine import evaluate
from rules.snapshot import Snapshot

log = get_logger("worker")
PRUNE_EVERY_S = 600.0

Clock = Callable[[], datetime]
RelatedFinder = Callable[[Store, Sequence[Record], Config, datetime], set[RecordRef]]


MAX_ROUNDS = 8
"""Steps of "matches of matches" the worker follows from an event's records."""
MAX_CLUSTER = 2000
"""Records of one customer the worker loads for an event (the sync judges larger ones)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Outcome:
    """What processing one event did (the worker's log line and the tests read it)."""

    records: list[RecordRef] = field(default_factory=list)
    results: list[ActionResult] = field(default_factory=list)
    run_id: str | None = None
    interrupted: bool = False
    """Stopped (SIGINT/SIGTERM) between two call batches: the event goes back to the inbox."""


class Worker:
    """Processes inbox events one at a time; run several (threads, processes, hosts) for throughput."""

    def __init__(
        self,
        config: Config,
        store: Store,
        adapters: Mapping[str, CrmAdapter],
        *,
        metrics: Metrics | None = None,
        clock: Clock = _utcnow,
        holder: str | None = None,
        related: RelatedFinder | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.adapters = adapters
        self.inbox = Inbox(store)
        self.metrics = metrics
        self.clock = clock
        self.holder = holder or f"worker pid {os.getpid()} on {socket.gethostname()}"
        self.related = related or identity_related
        self.settings = config.server.worker
        self._stop: threading.Event | None = None
        self._next_prune = 0.0  # time.monotonic() of the next inbox clean-up

    # --- the loop -------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Process events until ``stop`` is set; an event in flight is finished first."""
        idle = self.settings.poll_interval.total_seconds()
        self._stop = stop
        while not stop.is_set():
            try:
                busy = self.process_one(stop)
            except StateError as exc:
                log.error("inbox unreachable; retrying", extra={"error": str(exc)})
                busy = False
            except Exception as exc:  # the loop must outlive any bug; the event's lease brings it back
                log.exception("worker error; continuing", extra={"error": f"{type(exc).__name__}: {exc}"})
                busy = False
            if not busy:
                self._prune()
                stop.wait(idle)

    def _prune(self) -> None:
        """When idle, at most every ten minutes: forget done events older than ``keep_events``."""
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_EVERY_S
        try:
            removed = self.inbox.prune(before=self.clock() - self.config.server.keep_events)
        except StateError as exc:
            log.error("inbox clean-up failed; retrying later", extra={"error": str(exc)})
            return
        if removed:
            log.info("inbox pruned", extra={"events": removed})

    def process_one(self, stop: threading.Event | None = None) -> bool:
        """Claim and process one due event; ``False`` when the inbox had none."""
        claim = self.inbox.claim(self.holder, now=self.clock(), lease=self.settings.lease)
        if claim is None:
            return False
        if stop is not None and stop.is_set():
            self.inbox.release(claim, now=self.clock())
            return True
        self._process(claim)
        return True

    def drain(self) -> int:
        """Process every due event now (``referee worker --once``, tests); returns how many."""
        done = 0
        while self.process_one():
            done += 1
        return done

    # --- one event ------------------------------------------------------------------------

    def _process(self, claim: Claim) -> None:
        entry = claim.entry
        started = time.perf_counter()
        fields = {"adapter": entry.adapter, "event_id": entry.event_id, "attempt": entry.attempts}
        try:
            outcome = self.handle(claim)
        except Exception as exc:
            message = str(exc) if isinstance(exc, ConnectorError) else f"{type(exc).__name__}: {exc}"
            status = self.inbox.fail(
                claim,
                message,
                now=self.clock(),
                max_attempts=self.settings.max_attempts,
                backoff=self.settings.backoff,
                max_backoff=self.settings.max_backoff,
            )
            next_step = "parked" if status == EventStatus.PARKED else "retry"
            if self.metrics:
                self.metrics.failed.labels(entry.adapter, next_step).inc()
            duration = time.perf_counter() - started
            log.warning(
                "event failed",
                extra={
                    **fields,
                    "records": list(describe_refs(claim.event)),
                    "outcome": next_step,
                    "error": message,
                    "duration_ms": round(duration * 1000, 1),
                },
            )
            return
        if outcome.interrupted:  # what was sent is journaled; the rest is planned again after restart
            self.inbox.release(claim, now=self.clock())
            log.info("event interrupted; back in the inbox", extra={**fields, "run_id": outcome.run_id})
            return
        kept = self.inbox.complete(claim, now=self.clock())
        duration = time.perf_counter() - started
        if self.metrics:
            self.metrics.processed.labels(entry.adapter).inc()
            self.metrics.latency.labels(entry.adapter).observe(duration)
            for result in outcome.results:
                self.metrics.actions.labels(result.action.target.adapter, result.status.value).inc()
        log.info(
            "event processed",
            extra={
                **fields,
                "records": [str(r) for r in outcome.records],
                "outcome": "done" if kept else "done-claim-lost",
                "actions": _count(outcome.results),
                "run_id": outcome.run_id,
                "duration_ms": round(duration * 1000, 1),
            },
        )

    def handle(self, claim: Claim) -> Outcome:
        """Store the event's records, evaluate the rules around them, journal (and apply) actions."""
        now = self.clock()
        event = claim.event
        name = claim.entry.adapter
        adapter = self.adapters.get(name)
        if adapter is None:
            raise StateError(
                f'adapter "{name}" is no longer configured; add it back or leave the event parked'
            )
        records = list(event.records)
        deleted: list[RecordRef] = list(event.deleted)
        if event.record_refs:
            if event.meta.get("operation") == "delete":
                deleted.extend(event.record_refs)
            elif isinstance(adapter, WebhookSource):
                records.extend(adapter.fetch_records(event.record_refs))
        if deleted:
            self.store.delete_records(deleted, seen_at=now)
        records, rejected = split_records(records)  # fetched records were not checked at intake
        for line in rejected:
            log.warning("record rejected", extra={"adapter": name, "detail": line})
        if records:
            self.store.upsert_records(records, seen_at=now)
            _refresh_identity(self.store, records, self.config)
        outcome = Outcome(records=[r.ref for r in records] + deleted)
        if not records or is_echo(self.store, records):
            return outcome
        cluster = self._whole_customer(records, now)
        snapshot = self._snapshot(sorted(cluster, key=str))
        plan = evaluate(snapshot, self.config.ruleset(), now)
        for key, value in plan.assignment_state.items():
            self.store.set_value("assignment", key, value)
        actions = [a for a in plan.actions if a.target in cluster]
        fresh = unhandled(self.store, actions)
        if not fresh:
            return outcome
        apply = self.config.referee.apply
        run_id = self.store.start_run(mode="webhook-apply" if apply else "webhook", adapters=[name], now=now)
        outcome.run_id = run_id
        try:
            self.store.journal_plan(run_id, fresh, now=now)
            if apply:
                applied = apply_batches(
                    self.store, self.adapters, fresh, run_id=run_id, now=now, stop=self._stop
                )
                outcome.results, outcome.interrupted = applied.results, applied.stopped
            else:
                outcome.results = [ActionResult(action=a, status=ActionStatus.PLANNED) for a in fresh]
        except ConnectorError as exc:
            self.store.finish_run(run_id, now=now, status="error", counts={}, error=str(exc))
            raise
        failed = sum(1 for r in outcome.results if r.status == ActionStatus.FAILED)
        status = "interrupted" if outcome.interrupted else "partial" if failed else "ok"
        self.store.finish_run(run_id, now=now, status=status, counts=_count(outcome.results))
        self._notify(plan.findings, outcome, now)
        return outcome

    def _notify(self, findings: Sequence[Finding], outcome: Outcome, now: datetime) -> None:
        """A message to the team's chat about this decision (``[notify]``); never fails the event."""
        if not self.config.notify.targets or outcome.run_id is None:
            return
        from connector.notify.hooks import notify_decision

        mode = "webhook-apply" if self.config.referee.apply else "webhook"
        notify_decision(self.config, self.store, findings, outcome.results, run_id=outcome.run_id, mode=mode, now=now)

    def _whole_customer(self, records: Sequence[Record], now: datetime) -> set[RecordRef]:
        """The changed records and everything that matches them, transitively (A~B, B~C: A too).

        Direct matches alone judged an event on part of a customer whose names or keys chain,
        so worker and sync disagreed on the keeper and kept moving the same leads. Following
        matches of matches gives the worker the cluster the sync's resolution builds, bounded
        by ``MAX_CLUSTER`` records and ``MAX_ROUNDS`` steps for pathological chains.
        """
        cluster = {r.ref for r in records}
        frontier = list(records)
        for _ in range(MAX_ROUNDS):
            found = self.related(self.store, frontier, self.config, now) - cluster
            if not found:
                break
            cluster |= found
            if len(cluster) >= MAX_CLUSTER:
                log.warning("customer cluster capped", extra={"records": len(cluster)})
                break
            frontier = self.store.load_records(refs=sorted(found, key=str))
        return cluster

    def _snapshot(self, refs: Sequence[RecordRef]) -> Snapshot:
        """The rules engine's view of ``refs`` only (users are few, so all of them)."""
        wanted = set(refs)
        return Snapshot(
            users={u.id: u for u in self.store.load_users()},
            records=self.store.load_records(refs=refs),
            activities=self.store.load_activities(records=refs),
            owner_changes=self.store.load_owner_changes(records=refs),
            reassignments=[r for r in self.store.applied_reassignments() if r.record in wanted],
            assignment_state=self.store.get_values("assignment"),
            exemptions=self.store.list_exemptions(),
        )


def _count(results: Sequence[ActionResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    return counts


def _refresh_identity(store: Store, records: Sequence[Record], config: Config) -> None:
    """Keep the identity index (``/v1/check``) in step with the records just stored."""
    refresh_keys(store, records, config.identity)


def identity_related(
    store: Store, records: Sequence[Record], config: Config, now: datetime
) -> set[RecordRef]:
    """Records the identity index matches with ``records`` (the other side of a possible conflict)."""
    related: set[RecordRef] = set()
    for record in records:
        verdict = check(store, candidate_of(record), config, now)
        related.update(_verdict_refs(verdict))
    return related


def candidate_of(record: Record) -> dict[str, object]:
    """A stored record as a ``check`` candidate (the fields ``check`` reads, nothing empty)."""
    data = record.model_dump(mode="json", include=set(CANDIDATE_FIELDS) & set(Record.model_fields))
    return {k: v for k, v in data.items() if v not in (None, [], (), {})}


def _verdict_refs(verdict: CheckVerdict) -> set[RecordRef]:
    """Every record of every customer a check verdict names."""
    return {
        RecordRef(adapter=r.adapter, module=Module(r.module), id=r.id)
        for customer in verdict.customers
        for r in customer.records
    }
