"""Pairwise precision/recall/F1 of customer resolution, and of pursuit findings, on a generated world.

Run: ``python -m benchmarks.identity.accuracy --records 100000 --seed 7``
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence

from benchmarks.identity.world import NOW, generate
from rules.identity.config import IdentityConfig
from rules.identity.resolve import resolve, sort_key
from rules.pursuit.config import PursuitRule
from rules.pursuit.engine import evaluate_pursuit
from rules.snapshot import Snapshot


def pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(predicted: Sequence[int], truth: Sequence[int]) -> tuple[float, float, float]:
    """Precision, recall and F1 over record pairs put in one customer (predicted vs true)."""
    both = Counter(zip(predicted, truth, strict=True))
    tp = sum(pairs(n) for n in both.values())
    pred = sum(pairs(n) for n in Counter(predicted).values())
    true = sum(pairs(n) for n in Counter(truth).values())
    precision = tp / pred if pred else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def prf(predicted: set[object], truth: set[object]) -> tuple[float, float, float]:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    return precision, recall, (2 * precision * recall / (precision + recall) if tp else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    world = generate(args.records, seed=args.seed)
    identity = IdentityConfig()
    started = time.perf_counter()
    resolution = resolve(world.records, identity)
    elapsed = time.perf_counter() - started
    truth_of = {sort_key(r): t for r, t in zip(world.records, world.truth, strict=True)}
    truth = [truth_of[sort_key(r)] for r in resolution.records]
    precision, recall, f1 = pairwise(resolution.roots, truth)
    print(f"records={len(world.records)} true_customers={len(set(world.truth))} "
          f"found_customers={len(set(resolution.roots))} resolve_seconds={elapsed:.1f}")
    print(f"resolution pairwise: precision={precision:.4f} recall={recall:.4f} f1={f1:.4f}")
    print(f"stats: {resolution.stats}")
    rule = PursuitRule(name="dup", active_within="30d", allow_shared=("key-accounts",))
    snapshot = Snapshot(users=world.users, records=world.records, activities=world.activities)
    findings, actions = evaluate_pursuit(snapshot, identity, [rule], NOW)
    by_ref = {(r.adapter, r.module.value, r.id): t for r, t in zip(world.records, world.truth, strict=True)}
    found_records = {(ref.adapter, ref.module.value, ref.id) for f in findings for ref in f.records}
    conflict_records = {k for k, t in by_ref.items() if t in world.conflicts}
    p, r, f = prf(found_records, conflict_records)  # type: ignore[arg-type]
    found_companies = {Counter(by_ref[(x.adapter, x.module.value, x.id)] for x in fi.records).most_common(1)[0][0]
                       for fi in findings}
    cp, cr, cf = prf(found_companies, world.conflicts)  # type: ignore[arg-type]
    print(f"pursuit: findings={len(findings)} true_conflicts={len(world.conflicts)} actions={len(actions)}")
    print(f"pursuit records: precision={p:.4f} recall={r:.4f} f1={f:.4f}")
    print(f"pursuit customers: precision={cp:.4f} recall={cr:.4f} f1={cf:.4f}")


if __name__ == "__main__":
    main()
