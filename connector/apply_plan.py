"""``referee apply plan.json``: send exactly a reviewed plan, nothing re-decided.

Under the run lock: pull fresh data (so "changed since" is judged on today's CRM), settle what
dead runs left, skip every action whose record changed since the plan (``changed-since-plan``,
reported) or that the journal already finished, check the rails, then send the rest batch by
batch like ``sync --apply``. The run is recorded with mode ``apply``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence

from connector.apply import apply_batches
from connector.config import Config
from connector.domain import ActionResult, ActionStatus, SkipCode
from connector.errors import ConnectorError
from connector.planfile import PlannedAction, changed_since
from connector.progress import SILENT
from connector.protocol import CrmAdapter
from connector.run_warnings import drain_warnings
from connector.store import Store
from connector.sync import (
    SyncOptions,
    SyncReport,
    api_calls,
    check_plan_rails,
    pull_adapter,
    settle_stranded,
    status_counts,
    unhandled,
)


def apply_plan(
    config: Config,
    store: Store,
    adapters: Mapping[str, CrmAdapter],
    plan: Sequence[PlannedAction],
    options: SyncOptions,
) -> SyncReport:
    holder = f"apply pid {os.getpid()} on {socket.gethostname()}"
    with store.run_lock(holder, options.now, break_lock=options.break_lock):
        run_id = store.start_run(mode="apply", adapters=list(adapters), now=options.now)
        report = SyncReport(run_id=run_id, mode="apply")
        try:
            for name, adapter in adapters.items():
                pull_adapter(store, name, adapter, options, report, SILENT)
            settle_stranded(store, adapters, options, report, run_id)
            records = {r.ref: r for r in store.load_records()}
            changed: list[ActionResult] = []
            fresh_items = []
            for item in plan:
                why = changed_since(item, records)
                if why is None:
                    fresh_items.append(item.action)
                else:
                    changed.append(
                        ActionResult(
                            action=item.action, status=ActionStatus.SKIPPED, code=SkipCode.CHANGED_SINCE_PLAN,
                            message=f"not sent: the record {why}; plan again to decide anew",
                        )
                    )
            fresh = unhandled(store, fresh_items)
            store.journal_plan(run_id, fresh, now=options.now)
            store.journal_results(run_id, changed, now=options.now)
            check_plan_rails(store, adapters, options, fresh, config)
            if options.confirm is not None and fresh and not options.confirm(fresh):
                report.declined = True
                report.results = changed + [ActionResult(action=a, status=ActionStatus.PLANNED) for a in fresh]
            else:
                applied = apply_batches(store, adapters, fresh, run_id=run_id, now=options.now, stop=options.stop)
                report.results = changed + applied.results + [
                    ActionResult(action=a, status=ActionStatus.PLANNED) for a in applied.left
                ]
                report.left, report.interrupted = applied.left, applied.stopped
        except ConnectorError as exc:
            report.api_calls = api_calls(adapters)
            store.finish_run(run_id, now=options.now, status="error", counts=report.counts, error=str(exc))
            raise
        report.api_calls = api_calls(adapters)
        report.warnings += drain_warnings(adapters.values())
        report.counts.update(**status_counts(report.results))
        status = "interrupted" if report.interrupted else "partial" if report.failed else "ok"
        store.finish_run(run_id, now=options.now, status=status, counts=report.counts, warnings=report.warnings)
    return report
