"""Count Zoho API calls (and credits) of one write-back, against the minimum Zoho's batch limits allow.

The adapter's ``apply`` runs unchanged against the strict test fake (``tests/adapters/zoho/fake_zoho_org``),
which holds ``--records`` Leads, each with an open Task, and enforces Zoho's write limits
(change_owner and add_tags ≤500 ids, Notes ≤100, ``GET ?ids=`` ≤100) and the Tags settings API.
One run applies what a large reassignment day plans: every record reassigned from its owner to
another rep (with ``move_related``, so its Task moves too), flagged with a tag, and given a note.
A second run flags the same number again with the same tag, to show that tags are created once.

Run: python benchmarks/zoho/bench_apply_calls.py [--records N]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import responses

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "adapters" / "zoho"))

from fake_zoho_org import FakeZohoOrg  # (the test fake, shared on purpose)
from zoho_support import FakeKV

from adapters.zoho.adapter import ZohoAdapter
from adapters.zoho.config import ZohoAdapterConfig
from connector.domain import Action, ActionStatus, ActionType, Module, RecordRef

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
BOT, ANN, BEN = "999", "554023000000235011", "554023000000235022"


def _org(records: int) -> FakeZohoOrg:
    org = FakeZohoOrg(clock=lambda: NOW, credits=10**9)
    org.users = [{"id": u, "full_name": u, "status": "active"} for u in (BOT, ANN, BEN)]
    org.current_user = BOT
    for i in range(records):
        lead, task = str(10**15 + i), str(2 * 10**15 + i)
        org.add("Leads", {"id": lead, "Owner": {"id": ANN}, "Last_Name": f"Lead {i}", "Tag": []})
        org.add(
            "Tasks",
            {"id": task, "Owner": {"id": ANN}, "What_Id": {"id": lead}, "$se_module": "Leads", "Status": "Open"},
        )
    return org


def _actions(records: int, run: int) -> list[Action]:
    out: list[Action] = []
    for i in range(records):
        ref = RecordRef(adapter="zoho", module=Module.LEADS, id=str(10**15 + i))
        common: dict[str, Any] = {"target": ref, "reason": "bench", "rule": "bench"}
        if run == 1:
            out.append(
                Action(type=ActionType.REASSIGN, new_owner_id=BEN, previous_owner_id=ANN,
                       idempotency_key=f"r{i}", **common)
            )
            out.append(Action(type=ActionType.NOTE, text="why", idempotency_key=f"n{i}", **common))
        out.append(Action(type=ActionType.FLAG, tag=f"referee:run{run}" if run == 1 else "referee:run1",
                          idempotency_key=f"f{run}-{i}", **common))
    return out


def run(records: int) -> dict[str, Any]:
    config = ZohoAdapterConfig(kind="zoho", client_id="c", client_secret="s", refresh_token="r", max_api_calls=None)
    org, kv = _org(records), FakeKV()
    out: dict[str, Any] = {}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        org.install(rsps)
        for label, number in (("first", 1), ("again", 2)):
            actions = _actions(records, number)
            credits = org.credits or 0
            started, cpu = time.perf_counter(), time.process_time()
            adapter = ZohoAdapter("zoho", config, store=kv, clock=lambda: NOW, sleep=lambda s: None)
            results = adapter.apply(actions)
            out[label] = {
                "actions": len(actions),
                "applied": sum(1 for r in results if r.status is ActionStatus.APPLIED),
                "calls": adapter.api_calls(),
                "credits": credits - (org.credits or 0),
                "wall": time.perf_counter() - started,
                "cpu": time.process_time() - cpu,
            }
    out["moved_tasks"] = sum(1 for t in org.records["Tasks"].values() if t["Owner"]["id"] == BEN)
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def minimum(records: int, *, first: bool) -> int:
    """The writes Zoho's batch limits need, plus the owner re-check reads (≤100 ids per GET)."""
    tags = math.ceil(records / 500)
    if not first:
        return tags
    return math.ceil(records / 500) + tags + math.ceil(records / 100) + math.ceil(records / 100)


def report(records: int, out: dict[str, Any]) -> str:
    lines = [
        "| apply | actions (applied) | calls | credits | minimum (calls) | wall | CPU |",
        "|---|---|---|---|---|---|---|",
    ]
    labels = {
        "first": f"{records:,} reassign + flag + note (new tag)",
        "again": f"{records:,} flags, same tag (a later run)",
    }
    for label in ("first", "again"):
        o = out[label]
        lines.append(
            f"| {labels[label]} | {o['actions']:,} ({o['applied']:,}) | {sum(o['calls'].values())} | {o['credits']} "
            f"| {minimum(records, first=label == 'first')} | {o['wall']:.2f} s | {o['cpu']:.2f} s |"
        )
    lines.append("")
    for label in ("first", "again"):
        lines.append(f"{labels[label]}, calls by endpoint: `{json.dumps(out[label]['calls'])}`  ")
    lines.append(f"Tasks moved with their lead (`move_related`): {out['moved_tasks']:,} of {records:,}  ")
    lines.append(f"Peak RSS of the benchmark process (fake org and adapter together): {out['rss_mb']:.0f} MB")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5_000)
    args = parser.parse_args()
    print(report(args.records, run(args.records)))


if __name__ == "__main__":
    main()
