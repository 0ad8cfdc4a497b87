"""Benchmark: ``referee stats`` figures and the HTML report over a large SQLite store.

Fills a fresh store with the SLA benchmark's synthetic CRM (records, activities), records the
findings of one evaluation in the findings history and journals its actions (as a sync run
would), then times what managers run: ``compute_stats`` (30 days) and ``gather`` + ``render``
of the report. Prints wall and CPU time per step, the report's size and the peak RSS.

    python -m benchmarks.reporting.bench_report --records 50000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.sla.bench_sla import NOW, USERS, LazyActivities, build_records, config
from connector.config import parse_config
from connector.domain import User
from connector.reporting.data import gather
from connector.reporting.html import render
from connector.reporting.period import Period
from connector.reporting.stats import compute_stats
from connector.store import Store
from connector.sync import build_snapshot
from rules.sla.engine import evaluate_sla


def timed(label: str, func):  # type: ignore[no-untyped-def]
    t0, c0 = time.perf_counter(), time.process_time()
    result = func()
    print(f"{label}: {time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--activities-per-record", type=int, default=5)
    args = parser.parse_args()
    rules, calendars, teams, assignment = config()
    cfg = parse_config(
        {
            "referee": {"timezone": "Asia/Shanghai"},
            "calendars": {name: c.model_dump() for name, c in calendars.items()},
            "teams": {name: t.model_dump() for name, t in teams.items()},
            "rules": {"sla": [r.model_dump(mode="json", exclude_unset=True) for r in rules]},
        },
        environ={},
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        records = build_records(args.records)
        activities = list(LazyActivities(records, args.activities_per_record))
        store.upsert_users("crm", [User(id=u, name=f"Rep {u}") for u in [*USERS, "u-pool"]])
        timed("fill store", lambda: (store.upsert_records(records, seen_at=NOW), store.upsert_activities(activities)))
        snapshot = build_snapshot(store)
        findings, actions, _ = evaluate_sla(snapshot, rules, calendars, teams, assignment, NOW)
        run = store.start_run(mode="apply", adapters=["crm"], now=NOW)
        timed(f"history: {len(findings):,} findings", lambda: store.record_findings(run, findings, now=NOW, applied=True))
        store.journal_plan(run, actions, now=NOW)
        store.finish_run(run, now=NOW, status="ok", counts={})
        period = Period(NOW - timedelta(days=30), NOW)
        loaded = timed("load snapshot (as sync does)", lambda: build_snapshot(store))
        stats = timed("stats (30 days), snapshot loaded", lambda: compute_stats(cfg, store, loaded, period, now=NOW))
        data = timed("report: gather (loads the snapshot too)", lambda: gather(cfg, store, now=NOW, period=period))
        page = timed("report: render", lambda: render(data))
        store.close()
    print(f"reps {len(stats.reps)}  actions {len(data.actions):,}  report {len(page.encode()) / 1e6:.1f} MB")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
