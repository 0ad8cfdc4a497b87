"""Memory of records loaded from the store: bytes per ``Record`` (tracemalloc) and RSS growth.

Run: ``python -m benchmarks.store.record_memory --db /tmp/identity-bench.db --records 200000``
(any store built by ``benchmarks.identity.check_latency`` works; it is only read).
"""

from __future__ import annotations

import argparse
import itertools
import resource
import tracemalloc
from pathlib import Path

from connector.store import Store


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("/tmp/identity-bench.db"))
    parser.add_argument("--records", type=int, default=200_000)
    args = parser.parse_args()
    store = Store.open(f"sqlite:///{args.db}")
    list(itertools.islice(store.iter_records(batch=1000), 1000))  # warm up imports and caches
    rss_before = rss_mb()
    tracemalloc.start()
    records = list(itertools.islice(store.iter_records(batch=50_000), args.records))
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = rss_mb()
    distinct = len({id(r.__pydantic_fields_set__) for r in records})
    print(f"records={len(records)} traced={current / 2**20:.0f} MiB ({current / len(records):.0f} B/record) "
          f"rss_growth={rss_after - rss_before:.0f} MiB distinct_fields_sets={distinct}")
    store.close()


if __name__ == "__main__":
    main()
