"""Everything a report shows, gathered once from the store: one run, or a period of runs.

``--run RUN``: the findings open at that run (its time lies between their first and last
sighting), the actions the journal attributes to it, and the figures of the 30 days up to it.
``--since``: the findings seen in the period, the actions of the runs started in it, the figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.config import Config
from connector.domain import Record, RecordRef, User
from connector.errors import UsageError
from connector.i18n import Messages, messages
from connector.links import RecordLinks
from connector.reporting.period import Period
from connector.reporting.stats import Stats, compute_stats
from connector.store import FindingRecord, JournalEntry, RunInfo, Store
from connector.sync import build_snapshot

MAX_RUNS = 10_000
MAX_ACTIONS_PER_RUN = 1_000_000


@dataclass(frozen=True)
class ReportData:
    period: Period
    run: RunInfo | None
    generated_at: datetime
    msg: Messages
    timezone: str
    stats: Stats
    findings: Sequence[FindingRecord]  # listed: open at the run, or seen in the period
    history: Sequence[FindingRecord]  # charted: seen in the period
    actions: Sequence[JournalEntry]
    users: Mapping[str, User]
    records: Mapping[RecordRef, Record]
    links: RecordLinks

    def person(self, user_id: str | None) -> str:
        if not user_id:
            return ""
        user = self.users.get(user_id)
        return user.name if user is not None and user.name else user_id

    def record_name(self, ref: RecordRef) -> str:
        record = self.records.get(ref)
        return record.display_name if record is not None else ref.id


def find_run(store: Store, run_id: str) -> RunInfo:
    for run in store.list_runs(limit=MAX_RUNS):
        if run.run_id == run_id:
            return run
    raise UsageError(f'no run "{run_id}" in the state store (see `referee runs` for the run ids)')


def runs_in(store: Store, period: Period) -> list[RunInfo]:
    return [r for r in store.list_runs(limit=MAX_RUNS) if period.since <= r.started_at <= period.until]


def actions_of(store: Store, runs: Sequence[RunInfo]) -> list[JournalEntry]:
    """The journal entries each run last touched, oldest run first."""
    entries: list[JournalEntry] = []
    for run in sorted(runs, key=lambda r: (r.started_at, r.run_id)):
        entries.extend(sorted(store.list_journal(run_id=run.run_id, limit=MAX_ACTIONS_PER_RUN),
                              key=lambda e: (e.planned_at, e.idempotency_key)))
    return entries


def gather(
    config: Config,
    store: Store,
    *,
    now: datetime,
    period: Period | None = None,
    run_id: str | None = None,
) -> ReportData:
    """The report's data for one run (``run_id``) or for ``period``."""
    run = find_run(store, run_id) if run_id else None
    if run is not None:
        at = run.started_at
        period = Period(at - timedelta(days=30), at)
        findings = store.list_findings(seen_from=at, seen_until=at)
        actions = actions_of(store, [run])
    else:
        if period is None:
            raise UsageError("give --run RUN or --since (e.g. --since 30d)")
        findings = store.list_findings(seen_from=period.since, seen_until=period.until)
        actions = actions_of(store, runs_in(store, period))
    snapshot = build_snapshot(store)
    history = findings if run is None else store.list_findings(seen_from=period.since, seen_until=period.until)
    stats = compute_stats(config, store, snapshot, period, now=now, findings=history)
    return ReportData(
        period=period,
        run=run,
        generated_at=now,
        msg=messages(config.referee.language),
        timezone=config.referee.timezone,
        stats=stats,
        findings=findings,
        history=history,
        actions=actions,
        users=snapshot.users,
        records={r.ref: r for r in snapshot.records},
        links=RecordLinks.from_adapters(config.adapters),
    )
