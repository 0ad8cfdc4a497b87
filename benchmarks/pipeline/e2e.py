"""The user's path end to end: generate an export → first ``referee plan`` → quiet plan → 1 %-changed plan.

Run: ``python -m benchmarks.pipeline.e2e --records 100000 [--state URL] [--work DIR]``

Each plan is the real CLI in a child process (file adapter → store → snapshot → identity →
pursuit → SLA → identity index → journal → output), measured with ``wait4``: wall time, CPU time
(user + system) and peak RSS of that process alone. The rule set is the demo's (pursuit, three
SLA rules, round-robin assignment with a pool). Output goes to a file whose size is reported.
The export is generated once per size and seed and kept in ``--work`` (not timed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from benchmarks.identity.world import NOW
from benchmarks.pipeline.export_world import INSIDE_SALES, POOL, change_records, write_export

CONFIG = """\
[referee]
state = "{state}"
apply = false
timezone = "Asia/Shanghai"

[adapters.bench]
kind = "file"
path = "export"

[identity]
default_region = "CN"

[[rules.pursuit]]
name = "two-reps-one-customer"
active_within = "30d"
resolve = "first-touch"
allow_shared = ["key-accounts"]
action = "flag"
tag = "referee:conflict"

[[rules.sla]]
name = "first-contact-8bh"
module = "Leads"
when = {{ status_not = ["Converted", "Junk"] }}
first_activity_within = "8h"
calendar = "cn-office"
counts = ["call", "meeting", "email"]
on_breach = "reassign"
assign_to = "team:inside-sales"
max_reassignments = 2
pool_owner = "{pool}"

[[rules.sla]]
name = "follow-up-7d"
module = "Leads"
when = {{ status_not = ["Converted", "Junk"] }}
no_activity_for = "7d"
on_breach = "pool"
pool_owner = "{pool}"

[[rules.sla]]
name = "stuck-in-qualification"
module = "Deals"
in_status_for = {{ status = "Qualification", longer_than = "14d" }}
on_breach = "flag"

[calendars.cn-office]
timezone = "Asia/Shanghai"
hours = ["09:00-12:00", "13:30-18:00"]
weekdays = ["mon", "tue", "wed", "thu", "fri"]
holidays = "CN"

[teams.inside-sales]
members = [{members}]
strategy = "round-robin"
max_open = 100000
"""


@dataclass(frozen=True)
class Measured:
    phase: str
    wall: float
    cpu: float
    peak_rss_mb: float
    output_bytes: int
    exit_code: int


def _plan(work: Path, phase: str, now: str, *extra: str) -> Measured:
    """One ``referee plan`` in a child process; its own rusage, not this process's."""
    out = work / f"{phase}.out"
    started = time.perf_counter()
    with out.open("wb") as handle:
        child = subprocess.Popen(
            [sys.executable, "-m", "connector", "plan", "-c", str(work / "bench.toml"), "--now", now, *extra],
            stdout=handle, stderr=subprocess.STDOUT, env={**os.environ, "COLUMNS": "200"},
        )
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Measured(phase, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.stat().st_size,
                    child.returncode)


def _print(row: Measured) -> None:
    print(f"{row.phase:<24} wall {row.wall:8.1f} s   cpu {row.cpu:8.1f} s   peak RSS {row.peak_rss_mb:8.0f} MB   "
          f"output {row.output_bytes / 1e6:8.1f} MB   exit {row.exit_code}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path("/tmp/referee-e2e"))
    parser.add_argument("--state", default=None, help="state URL (default: a SQLite file in --work)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of records changed before the last plan")
    args = parser.parse_args()

    work: Path = args.work / f"{args.records}-{args.seed}"
    pristine = work / "pristine"
    if not (pristine / "activities.jsonl").exists():
        started = time.perf_counter()
        records, activities = write_export(pristine, args.records, seed=args.seed)
        print(f"generated {records:,} records, {activities:,} activities in {time.perf_counter() - started:.0f} s "
              f"(not timed below)", flush=True)
    export = work / "export"
    shutil.rmtree(export, ignore_errors=True)
    shutil.copytree(pristine, export)
    for stale in work.glob("state.db*"):
        stale.unlink()
    state = args.state or f"sqlite:///{work / 'state.db'}"
    members = ", ".join(f'"{u}"' for u in INSIDE_SALES)
    (work / "bench.toml").write_text(CONFIG.format(state=state, pool=POOL, members=members), encoding="utf-8")

    now = NOW.isoformat()
    rows = [_plan(work, "first plan", now)]
    _print(rows[-1])
    rows.append(_plan(work, "quiet plan", now))
    _print(rows[-1])
    later = NOW + timedelta(hours=1)
    changed = change_records(export, args.changed, seed=args.seed + 2, moment=later - timedelta(minutes=5))
    print(f"changed {changed:,} records ({args.changed:.0%})", flush=True)
    rows.append(_plan(work, f"{args.changed:.0%}-changed plan", later.isoformat()))
    _print(rows[-1])
    rows.append(_plan(work, "full re-plan (--full)", later.isoformat(), "--full"))
    _print(rows[-1])


if __name__ == "__main__":
    main()
