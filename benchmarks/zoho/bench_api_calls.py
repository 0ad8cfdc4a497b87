"""Count Zoho API calls (and credits) of a full and a quiet incremental sync, against the minimum.

The adapter runs unchanged against the strict test fake (``tests/adapters/zoho/fake_zoho_org``):
the same org that answers only the requested fields, enforces Zoho's paging rules (``page`` up to
2,000 records, then ``page_token``; ``If-Modified-Since`` → 304), Bulk Read (count, create job,
poll, ZIP'd CSV with 200,000 records per job page) and charges Zoho's credits (2 per deleted
records call). Only the storage of this org is synthetic: its 100,000 Leads and 100,000 each of
Calls, Events and Tasks are generated on demand, in ``Modified_Time`` order, so the fake does not
hold 400,000 dicts. Each sync makes the calls ``referee sync`` makes before any write-back: users,
absences, records, deletions, activities, the channel check.

Run: python benchmarks/zoho/bench_api_calls.py [--leads N] [--activities-per-module N] [--mode both|bulk|get-records]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, overload

import responses

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "adapters" / "zoho"))

from fake_zoho_org import FakeZohoOrg  # (the test fake, shared on purpose)
from zoho_support import FakeKV

from adapters.zoho.adapter import ZohoAdapter
from adapters.zoho.bulk_wire import ROWS_PER_PAGE
from adapters.zoho.config import ZohoAdapterConfig

BASE = datetime(2024, 1, 1, tzinfo=UTC)
BOT = "999"
OWNER = {"name": "Rep", "id": "554023000000235011"}
ACTIVITY_MODULES = ("Calls", "Events", "Tasks")
THRESHOLD = 20_000


class SyntheticRows(Sequence[dict[str, Any]]):
    """``total`` records of ``module`` built when read; row ``i`` was modified at ``BASE + i`` seconds."""

    def __init__(self, module: str, total: int, leads: int) -> None:
        self.module, self.total, self.leads = module, total, leads

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(self.total))]
        if not 0 <= index < self.total:
            raise IndexError(index)
        return self._row(index)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self._row(i) for i in range(self.total))

    def _row(self, i: int) -> dict[str, Any]:
        at = (BASE + timedelta(seconds=i)).isoformat()
        row: dict[str, Any] = {
            "id": str(10**15 + i),
            "Owner": OWNER,
            "Modified_By": OWNER,
            "Created_Time": BASE.isoformat(),
            "Modified_Time": at,
            "Tag": [],
        }
        if self.module == "Leads":
            return row | {
                "Last_Name": f"Lead {i}",
                "Company": f"Company {i}",
                "Email": f"l{i}@example.com",
                "Lead_Status": "Contacted",
                "Converted__s": False,
            }
        row |= {
            "What_Id": {"id": str(10**15 + i % self.leads), "name": "x"},
            "$se_module": "Leads",
            "Who_Id": None,
        }
        return (
            row
            | {
                "Calls": {
                    "Call_Start_Time": at,
                    "Call_Type": "Outbound",
                    "Outgoing_Call_Status": "Completed",
                },
                "Events": {"Start_DateTime": at, "End_DateTime": at, "$event_cancelled": False},
                "Tasks": {"Status": "Completed", "Closed_Time": at},
            }[self.module]
        )


def _org(leads: int, per_activity: int, clock: list[datetime]) -> FakeZohoOrg:
    org = FakeZohoOrg(clock=lambda: clock[0], credits=10**9)
    org.users = [
        {"id": BOT, "full_name": "Bot", "status": "active"},
        {"id": OWNER["id"], "full_name": "Rep", "status": "active"},
    ]
    org.current_user = BOT
    org.sources = {"Leads": SyntheticRows("Leads", leads, leads)}
    org.sources |= {m: SyntheticRows(m, per_activity, leads) for m in ACTIVITY_MODULES}
    return org


def _sync(adapter: ZohoAdapter, cursors: dict[str, str], now: datetime) -> tuple[int, int]:
    """What ``referee sync`` asks of the adapter before write-back; the cursors it would save."""
    adapter.pull_users()
    records = activities = 0
    for batch in adapter.pull(cursors):
        records += len(batch.records)
        activities += len(batch.activities)
        if batch.cursor:
            cursors[batch.stream] = batch.cursor
    adapter.maintain(now)
    return records, activities


def run(leads: int, per_activity: int, bulk_read_above: int) -> dict[str, Any]:
    config = ZohoAdapterConfig(
        kind="zoho",
        client_id="c",
        client_secret="s",
        refresh_token="r",
        modules=["Leads"],
        activity_modules=list(ACTIVITY_MODULES),
        max_api_calls=None,
        bulk_read_above=bulk_read_above,
    )
    clock = [BASE + timedelta(days=30)]
    org = _org(leads, per_activity, clock)
    kv = FakeKV()
    out: dict[str, Any] = {}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        org.install(rsps)
        cursors: dict[str, str] = {}
        for label in ("full", "incremental"):
            credits_before = org.credits or 0
            started, cpu = time.perf_counter(), time.process_time()
            adapter = ZohoAdapter("zoho", config, store=kv, clock=lambda: clock[0], sleep=lambda s: None)
            records, activities = _sync(adapter, cursors, clock[0])
            out[label] = {
                "calls": adapter.api_calls(),
                "credits": credits_before - (org.credits or 0),
                "records": records,
                "activities": activities,
                "wall": time.perf_counter() - started,
                "cpu": time.process_time() - cpu,
            }
            clock[0] += timedelta(minutes=5)
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def get_records_minimum(totals: Sequence[int]) -> int:
    return sum(max(1, math.ceil(n / 200)) for n in totals)


def bulk_minimum(totals: Sequence[int]) -> int:
    """Per module above the threshold: create, one poll and one download per 200,000-record page
    (plus the count that decides); below it, Get Records."""
    return sum(
        1 + (3 * math.ceil(n / ROWS_PER_PAGE) if n > THRESHOLD else max(1, math.ceil(n / 200)))
        for n in totals
    )


def report(leads: int, per_activity: int, outs: dict[str, dict[str, Any]]) -> str:
    totals = [leads, *[per_activity] * len(ACTIVITY_MODULES)]
    modules = 1 + len(ACTIVITY_MODULES)
    minimum = {
        "bulk": f"{bulk_minimum(totals)} (count, create, poll, download per module)",
        "get-records": f"{get_records_minimum(totals)} (1 per 200 records)",
    }
    labels = {
        "bulk": "full (empty store), Bulk Read on (`bulk_read_above = 20000`)",
        "get-records": "full (empty store), Bulk Read off (`bulk_read_above = 0`)",
    }
    lines = [
        "| sync | records / activities | calls | credits | API minimum (calls) | wall | CPU |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, out in outs.items():
        full = out["full"]
        lines.append(
            f"| {labels[mode]} | {full['records']:,} / {full['activities']:,} | {sum(full['calls'].values())} "
            f"| {full['credits']} | {minimum[mode]} | {full['wall']:.1f} s | {full['cpu']:.1f} s |"
        )
    inc = next(iter(outs.values()))["incremental"]
    lines.append(
        f"| incremental, nothing changed | 0 / 0 | {sum(inc['calls'].values())} | {inc['credits']} "
        f"| {modules} (1 per module) | {inc['wall']:.2f} s | {inc['cpu']:.2f} s |"
    )
    lines.append("")
    for mode, out in outs.items():
        lines.append(f"Full sync ({mode}) calls by endpoint: `{json.dumps(out['full']['calls'])}`  ")
    lines.append(f"Incremental calls by endpoint: `{json.dumps(inc['calls'])}`  ")
    lines.append(
        f"Peak RSS of the benchmark process (fake org and adapter together): {max(o['rss_mb'] for o in outs.values()):.0f} MB"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--activities-per-module", type=int, default=100_000)
    parser.add_argument("--mode", choices=("both", "bulk", "get-records"), default="both")
    args = parser.parse_args()
    modes = ("bulk", "get-records") if args.mode == "both" else (args.mode,)
    outs = {
        mode: run(args.leads, args.activities_per_module, THRESHOLD if mode == "bulk" else 0)
        for mode in modes
    }
    print(report(args.leads, args.activities_per_module, outs))


if __name__ == "__main__":
    main()
