"""Benchmark: SLA rules over 1,000,000 records and 5,000,000 activities.

Run:  python -m benchmarks.sla.bench_sla [--records N] [--activities-per-record K] [--materialize]

Synthetic data is generated in-process. Records are built with ``model_construct`` up front;
activities are either materialised into a list too (``--materialize``) or produced lazily by a
``Sequence`` while the engine iterates them (the default: 5M pydantic models alone take ~2.3 GB).
In lazy mode the time spent building activities is measured chunk by chunk during the run and
subtracted, so the reported evaluation time is the engine's. On a shared machine, read the CPU
time: wall time includes waiting for other processes.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import overload

from connector.domain import Activity, ActivityKind, Module, Record, RecordRef, User
from rules.assign.config import AssignmentConfig, Route, TeamConfig
from rules.calendar.config import CalendarConfig
from rules.sla.config import SlaRule
from rules.sla.engine import evaluate_sla
from rules.snapshot import Snapshot

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)
USERS = [f"u{i}" for i in range(200)]
STATUSES = ("New", "Not Contacted", "Contacted", "Qualification", "Converted", "Junk")
KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING, ActivityKind.NOTE, ActivityKind.TASK)
_REC_FIELDS = set(Record.model_fields)
_ACT_FIELDS = set(Activity.model_fields)
_REF_FIELDS = set(RecordRef.model_fields)
_CHUNK = 10_000


def _mix(i: int, salt: int) -> int:
    """Cheap deterministic pseudo-random number for index ``i``."""
    return ((i + 1) * 2654435761 + salt * 40503) % 4294967291


def record_owner(j: int) -> str:
    return USERS[_mix(j, 1) % len(USERS)]


def record_assigned(j: int) -> datetime:
    return NOW - timedelta(minutes=_mix(j, 2) % (60 * 24 * 14))


def build_records(count: int) -> list[Record]:
    out = []
    for j in range(count):
        module = Module.DEALS if j % 10 == 0 else Module.LEADS
        status = "Qualification" if module is Module.DEALS else STATUSES[_mix(j, 3) % len(STATUSES)]
        out.append(
            Record.model_construct(
                _fields_set=_REC_FIELDS,
                adapter="bench",
                module=module,
                id=f"r{j}",
                owner_id=record_owner(j),
                created_at=record_assigned(j) - timedelta(days=1),
                modified_at=None,
                assigned_at=record_assigned(j) if j % 3 else None,
                status=status,
                company=None,
                first_name=None,
                last_name=None,
                emails=(),
                phones=(),
                website=None,
                tax_id=None,
                country="CN" if j % 4 == 0 else "US",
                city=None,
                account_id=None,
                tags=(),
                extra={},
            )
        )
    return out


class LazyActivities(Sequence[Activity]):
    """``per_record`` activities for each record, built on demand (deterministic)."""

    def __init__(self, records: Sequence[Record], per_record: int) -> None:
        self._records = records
        self._per = per_record
        self.wall = 0.0  # seconds spent building activities, wall clock
        self.cpu = 0.0  # and CPU

    def __len__(self) -> int:
        return len(self._records) * self._per

    @overload
    def __getitem__(self, index: int) -> Activity: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Activity]: ...

    def __getitem__(self, index: int | slice) -> Activity | Sequence[Activity]:
        if isinstance(index, slice):
            return [self._make(i) for i in range(*index.indices(len(self)))]
        return self._make(index)

    def __iter__(self) -> Iterator[Activity]:
        """Build activities in chunks, timing only the building (``wall``/``cpu`` accumulate)."""
        for first in range(0, len(self), _CHUNK):
            t0, c0 = time.perf_counter(), time.process_time()
            chunk = [self._make(i) for i in range(first, min(first + _CHUNK, len(self)))]
            self.wall += time.perf_counter() - t0
            self.cpu += time.process_time() - c0
            yield from chunk

    def _make(self, i: int) -> Activity:
        j = i // self._per
        roll = _mix(i, 4)
        owner = record_owner(j) if roll % 5 else USERS[(roll >> 3) % len(USERS)]
        # the k-th activity of a record lands k gaps after the assignment (a gap is up to 3 days),
        # give or take a few hours, so a few fall before the assignment and some in the future
        gap = (_mix(j, 5) % (60 * 24 * 3)) * (i % self._per)
        offset = timedelta(minutes=gap + (roll >> 5) % (60 * 10) - 60 * 2)
        return Activity.model_construct(
            _fields_set=_ACT_FIELDS,
            id=f"a{i}",
            adapter="bench",
            owner_id=owner,
            record=RecordRef.model_construct(
                _fields_set=_REF_FIELDS, adapter="bench", module=self._records[j].module, id=f"r{j}"
            ),
            kind=KINDS[(roll >> 7) % len(KINDS)],
            occurred_at=record_assigned(j) + offset,
            completed=True,
        )


def config() -> tuple[list[SlaRule], dict[str, CalendarConfig], dict[str, TeamConfig], AssignmentConfig]:
    rules = [
        SlaRule(
            name="first-contact-8bh",
            module="Leads",
            when={"status": ["New", "Not Contacted"]},
            first_activity_within="8h",
            calendar="cn-office",
            counts=["call", "meeting", "email"],
            on_breach="reassign",
            assign_to="team:inside-sales",
            max_reassignments=2,
            pool_owner="u-pool",
        ),
        SlaRule(
            name="follow-up-7d",
            module="Leads",
            when={"status_not": ["Converted", "Junk"]},
            no_activity_for="7d",
            on_breach="pool",
            pool_owner="u-pool",
        ),
        SlaRule(
            name="stuck-in-qualification",
            module="Deals",
            in_status_for={"status": "Qualification", "longer_than": "14d"},
            on_breach="flag",
        ),
    ]
    calendars = {
        "cn-office": CalendarConfig(
            timezone="Asia/Shanghai",
            hours=["09:00-12:00", "13:30-18:00"],
            holidays="CN",
        )
    }
    teams = {
        "inside-sales": TeamConfig(members=USERS[:100], strategy="round-robin", max_open=5000),
        "apac": TeamConfig(members=USERS[100:], strategy="weighted", weights={USERS[100]: 2}),
    }
    routes = [Route(when={"country": "CN"}, team="apac"), Route(team="inside-sales")]
    assignment = AssignmentConfig(route=routes)
    return rules, calendars, teams, assignment


def _rss_mb() -> float:
    """Current resident set size (Linux), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--activities-per-record", type=int, default=5)
    parser.add_argument("--materialize", action="store_true", help="build all activities before evaluating")
    parser.add_argument(
        "--previous-run-hours", type=float, default=None,
        help="a previous run this many hours ago (late first contacts since then); default: a first run (7 days)",
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    records = build_records(args.records)
    users = {u: User(id=u) for u in [*USERS, "u-pool"]}
    t_records = time.perf_counter() - t0

    lazy = LazyActivities(records, args.activities_per_record)
    t0 = time.perf_counter()
    activities: Sequence[Activity] = list(lazy) if args.materialize else lazy
    t_activities = time.perf_counter() - t0

    data_mb = _rss_mb()
    rules, calendars, teams, assignment = config()
    previous = NOW - timedelta(hours=args.previous_run_hours) if args.previous_run_hours is not None else None
    snapshot = Snapshot(users=users, records=records, activities=activities, previous_run_at=previous)
    gc.freeze()  # the snapshot lives for the whole run; keep the collector from rescanning it
    t0, c0 = time.perf_counter(), time.process_time()
    findings, actions, state = evaluate_sla(snapshot, rules, calendars, teams, assignment, NOW)
    t_total, c_total = time.perf_counter() - t0, time.process_time() - c0
    # lazy mode: subtract the time spent building activities inside this very run
    t_eval = t_total if args.materialize else t_total - lazy.wall
    c_eval = c_total if args.materialize else c_total - lazy.cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    by_rule: dict[str, int] = {}
    for finding in findings:
        by_rule[finding.rule] = by_rule.get(finding.rule, 0) + 1
    print(
        f"records: {len(records):,}  activities: {len(activities):,}  mode: "
        f"{'materialized' if args.materialize else 'lazy activities'}"
    )
    built = t_activities if args.materialize else lazy.wall
    print(f"generate records: {t_records:.1f} s   generate activities: {built:.1f} s")
    print(f"evaluate_sla: {t_eval:.1f} s wall, {c_eval:.1f} s CPU (excluding data generation)")
    print(f"findings: {len(findings):,} {by_rule}  actions: {len(actions):,}  state keys: {len(state)}")
    print(f"peak RSS: {peak_mb:,.0f} MB (RSS with the generated data, before evaluation: {data_mb:,.0f} MB)")


if __name__ == "__main__":
    main()
