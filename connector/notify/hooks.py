"""What ``referee sync`` and the webhook worker call after they decide: queue digests, deliver.

Both swallow every error after logging it: the run is journaled already, and a chat being down
must not turn a good run into a failed one. Undelivered messages wait for the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from connector.config import Config
from connector.domain import (
    Action,
    ActionResult,
    ActionStatus,
    ActionType,
    Finding,
    Record,
    RecordRef,
    finding_key,
    stable_hash,
)
from connector.i18n import messages
from connector.links import RecordLinks
from connector.notify.digest import Namer, compose, finding_items, for_target, move_items
from connector.notify.outbox import Delivery, Sender, apprise_send, deliver, enqueue
from connector.reporting.stats import team_members
from connector.store import Store
from connector.sync import SyncReport

log = logging.getLogger("crm_referee.notify")


def notify_after_sync(
    config: Config, store: Store, report: SyncReport, *, now: datetime, send: Sender = apprise_send
) -> Delivery | None:
    """Queue this run's digest for each target, then deliver everything waiting."""
    section = config.notify
    if not section.targets:
        return None
    try:
        planned = report.mode != "apply"
        if not planned or section.after_dry_run:
            new = [f for f in report.findings if finding_key(f) in report.new_findings]
            moves = _moves(report.results, new, planned=planned)
            msg = messages(config.referee.language)
            footer = msg("digest.footer", run=report.run_id, mode=msg(f"mode.{report.mode}"))
            _queue(config, store, new, moves, event="sync", origin=report.run_id, now=now, footer=footer,
                   planned=planned, record_names=report.records)
        return deliver(store, section, now=now, timezone=config.referee.timezone, send=send)
    except Exception as error:  # never fail the run for a notification
        log.warning("notify: digests not sent (%s: %s); they are retried next run", type(error).__name__, error)
        return None


def notify_decision(
    config: Config,
    store: Store,
    findings: Sequence[Finding],
    results: Sequence[ActionResult],
    *,
    run_id: str,
    mode: str,
    now: datetime,
    send: Sender = apprise_send,
) -> Delivery | None:
    """A message when the worker decides on an event: the findings behind its actions and the moves."""
    section = config.notify
    if not section.targets or not results:
        return None
    try:
        planned = mode != "webhook-apply"
        if planned and not (section.after_dry_run and _first_announcement(store, results, now, section.keep_for)):
            return deliver(store, section, now=now, timezone=config.referee.timezone, send=send)
        targets = {r.action.target for r in results}
        involved = [f for f in findings if targets & set(f.records)]
        # Applying, only what landed is a move (an action left planned, e.g. stopped by credits,
        # did not happen); in a dry run the planned ones are the decision being announced.
        moved = (ActionStatus.APPLIED, ActionStatus.PLANNED) if planned else (ActionStatus.APPLIED,)
        moves = [r.action for r in results if r.action.type == ActionType.REASSIGN and r.status in moved]
        msg = messages(config.referee.language)
        footer = msg("digest.footer", run=run_id, mode=msg(f"mode.{mode}"))
        _queue(config, store, involved, moves, event="worker", origin=run_id, now=now, footer=footer,
               planned=planned, record_names=None)
        return deliver(store, section, now=now, timezone=config.referee.timezone, send=send)
    except Exception as error:
        log.warning("notify: decision message not sent (%s: %s); retried next run", type(error).__name__, error)
        return None


ANNOUNCED = "notify-announced"


def _first_announcement(store: Store, results: Sequence[ActionResult], now: datetime, keep: timedelta) -> bool:
    """Planned (dry-run) decisions are planned again on every event: announce each decision once."""
    decision = stable_hash(*sorted(r.action.idempotency_key for r in results))
    seen = store.get_values(ANNOUNCED)
    for key, at in seen.items():
        if now - datetime.fromisoformat(at) > keep:
            store.delete_value(ANNOUNCED, key)
    if decision in seen:
        return False
    store.set_value(ANNOUNCED, decision, now.isoformat())
    return True


def _moves(results: Sequence[ActionResult], new: Sequence[Finding], *, planned: bool) -> list[Action]:
    """Applied reassignments; in a dry run, the planned ones of new findings (not re-announced each run)."""
    if not planned:
        return [r.action for r in results if r.action.type == ActionType.REASSIGN and r.status == ActionStatus.APPLIED]
    fresh = {(f.rule, ref) for f in new for ref in f.records}
    return [r.action for r in results if r.action.type == ActionType.REASSIGN and (r.action.rule, r.action.target) in fresh]


def _queue(config: Config, store: Store, findings: Sequence[Finding], moves: Sequence[Action], *, event: str,
           origin: str, now: datetime, footer: str, planned: bool,
           record_names: Mapping[RecordRef, Record] | None) -> None:
    section, msg = config.notify, messages(config.referee.language)
    users = {u.id: u for u in store.load_users()}
    refs = sorted({ref for f in findings for ref in f.records} | {a.target for a in moves}, key=str)
    records = record_names if record_names is not None else {r.ref: r for r in store.load_records(refs=refs)}
    namer = Namer(msg, users, records, RecordLinks.from_adapters(config.adapters), config.referee.timezone)
    items = finding_items(findings, namer) + move_items(moves, namer)
    teams = team_members(config, users)
    for target in section.targets:
        if event not in target.events:
            continue
        title = None
        if event == "worker" and refs:
            first = namer.record(refs[0])
            title = lambda summary, first=first: msg("digest.decision", record=first) + f" ({summary})"  # noqa: E731
        message = compose(for_target(items, target, teams), msg, markdown=target.format == "markdown",
                          max_items=section.max_items, footer=footer, planned=planned,
                          report_url=section.report_url, title=title)
        if message is not None:
            enqueue(store, target, message, origin=origin, now=now)
