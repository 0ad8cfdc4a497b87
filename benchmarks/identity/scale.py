"""Full resolution + pursuit on a large generated world: wall time, CPU time and peak RSS.

Run: ``python -m benchmarks.identity.scale --records 1000000``
The world is generated first (not timed); peak RSS includes it (the records and activities the
pipeline would hold in memory anyway).
"""

from __future__ import annotations

import argparse
import gc
import resource
import time

from benchmarks.identity.world import NOW, generate
from rules.identity.config import IdentityConfig
from rules.pursuit.config import PursuitRule
from rules.pursuit.engine import evaluate_pursuit
from rules.snapshot import Snapshot


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    world = generate(args.records, seed=args.seed)
    print(f"generated {len(world.records)} records, {len(world.activities)} activities "
          f"in {time.perf_counter() - started:.0f}s; peak RSS so far {rss_mb():.0f} MB", flush=True)
    gc.collect()
    gc.freeze()  # the world is long-lived: keep the cyclic GC from rescanning it
    snapshot = Snapshot(users=world.users, records=world.records, activities=world.activities)
    rule = PursuitRule(name="dup", allow_shared=("key-accounts",))
    wall, cpu = time.perf_counter(), time.process_time()
    findings, actions = evaluate_pursuit(snapshot, IdentityConfig(), [rule], NOW)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"resolution + pursuit: wall={wall:.1f}s cpu={cpu:.1f}s findings={len(findings)} "
          f"actions={len(actions)} peak_rss={rss_mb():.0f} MB", flush=True)


if __name__ == "__main__":
    main()
