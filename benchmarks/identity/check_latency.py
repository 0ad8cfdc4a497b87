"""Latency of the one-record ``check`` against a large SQLite store: p50 and p99.

Run: ``python -m benchmarks.identity.check_latency --records 1000000 --db /tmp/identity-bench.db``
The store is built once (records, activities, identity keys with customer ids) and reused when
the file exists. Candidates are variants of stored records (other legal form, e-mail case, phone
format) plus 20% unknown companies.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from pathlib import Path

from benchmarks.identity.world import NOW, generate
from connector.config import parse_config
from connector.identity_index import check, refresh_keys
from connector.store import Store
from rules.identity.resolve import resolve

CONFIG = parse_config({"rules": {"pursuit": [{"name": "dup", "active_within": "30d"}]}}, environ={})


def build(path: Path, records: int) -> None:
    started = time.perf_counter()
    world = generate(records)
    store = Store.open(f"sqlite:///{path}")
    store.upsert_users("zoho", list(world.users.values()))
    for start in range(0, len(world.records), 50_000):
        store.upsert_records(world.records[start : start + 50_000], seen_at=NOW)
    for start in range(0, len(world.activities), 100_000):
        store.upsert_activities(world.activities[start : start + 100_000])
    print(f"stored {len(world.records)} records in {time.perf_counter() - started:.0f}s", flush=True)
    resolution = resolve(world.records, CONFIG.identity)
    rows = refresh_keys(store, resolution.records, CONFIG.identity, resolution)
    print(f"wrote {rows} identity keys; build took {time.perf_counter() - started:.0f}s", flush=True)
    store.close()


def candidates(store: Store, count: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    sample = [r for r in store.iter_records(batch=50_000) if rng.random() < count / 400_000][:count]
    out: list[dict[str, object]] = []
    for record in sample:
        if rng.random() < 0.2:
            out.append({"company": f"Unknown Widgets {rng.randrange(10**9)} GmbH", "city": "Berlin"})
            continue
        candidate: dict[str, object] = {"owner_id": "u999"}
        if record.company:
            candidate["company"] = record.company.replace("有限公司", "股份有限公司") + (" " if rng.random() < 0.5 else "")
        if record.city:
            candidate["city"] = record.city
        if record.emails and rng.random() < 0.5:
            candidate["email"] = record.emails[0].upper()
        if record.phones and rng.random() < 0.5:
            candidate["phone"] = record.phones[0]
        out.append(candidate)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/identity-bench.db"))
    parser.add_argument("--checks", type=int, default=2000)
    args = parser.parse_args()
    if not args.db.exists():
        build(args.db, args.records)
    store = Store.open(f"sqlite:///{args.db}")
    print(f"store has {store.count_records()} records", flush=True)
    todo = candidates(store, args.checks, seed=3)
    users = {u.id: u for u in store.load_users()}  # what the server keeps in memory
    for candidate in todo[:20]:  # warm up: dictionaries, statement cache
        check(store, candidate, CONFIG, NOW, users)
    timings: list[float] = []
    cpu: list[float] = []
    known = conflicts = 0
    for candidate in todo:
        started, started_cpu = time.perf_counter(), time.process_time()
        verdict = check(store, candidate, CONFIG, NOW, users)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        known += verdict.known
        conflicts += verdict.conflict
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"checks={len(timings)} known={known} conflicts={conflicts} "
          f"p50={p50:.2f}ms p99={p99:.2f}ms max={timings[-1]:.2f}ms "
          f"cpu_p50={statistics.median(cpu):.2f}ms (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
