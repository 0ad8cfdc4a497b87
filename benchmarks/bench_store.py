"""Time the state store with many records: ``python benchmarks/bench_store.py [N] [URL]``.

Defaults: 1,000,000 records on a temporary SQLite file. Pass a PostgreSQL URL to measure that
instead (use a scratch database or schema: the benchmark writes into it).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from connector.domain import Module, Record
from connector.store import Store

T = TypeVar("T")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def make_records(n: int, owner_shift: int = 0) -> list[Record]:
    return [
        Record(
            adapter="bench",
            module=Module.LEADS,
            id=f"{i:09d}",
            owner_id=f"u{(i + owner_shift) % 50}",
            created_at=NOW - timedelta(minutes=i),
            modified_at=NOW,
            status="Open",
            company=f"Company {i}",
            first_name="Li",
            last_name=f"Wei{i}",
            emails=(f"lead{i}@example.com",),
            phones=(f"+86138{i:08d}",),
            tags=("web",),
            extra={"source": "web"},
        )
        for i in range(n)
    ]


def timed(label: str, fn: Callable[[], T]) -> T:
    """Print wall and CPU seconds (CPU is the steadier number on a busy machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<44} {wall:8.2f} s wall {cpu:8.2f} s cpu", flush=True)
    return value


def batches(records: list[Record], size: int) -> Iterator[list[Record]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = Store.open(url)
        print(f"{n:,} records on {store.dialect}")
        records = timed("build records (pydantic, not the store)", lambda: make_records(n))

        def insert() -> None:
            for batch in batches(records, 10_000):
                store.upsert_records(batch, seen_at=NOW)

        timed("upsert_records (first pull, 10k per call)", insert)
        timed("count_records", lambda: store.count_records("bench"))
        loaded = timed("load_records (all)", lambda: store.load_records("bench"))
        assert len(loaded) == n
        del loaded
        timed("iter_records (all, batch 10k)", lambda: sum(1 for _ in store.iter_records("bench")))
        changed = make_records(n // 10, owner_shift=1)
        changes = timed(
            f"upsert_records ({n // 10:,} owner changes)", lambda: store.upsert_records(changed, seen_at=NOW)
        )
        assert len(changes) == n // 10
        refs = [r.ref for r in records[: n // 100]]
        timed(f"load_records ({len(refs):,} refs)", lambda: store.load_records(refs=refs))
        store.close()


if __name__ == "__main__":
    main()
