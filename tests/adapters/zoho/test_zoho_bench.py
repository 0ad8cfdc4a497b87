"""The call-count benchmark runs against the strict fake and its figures stay explainable.

``docs/performance.md`` reports these numbers at 100,000 records per module; here a small org
keeps the arithmetic (minimum + the documented overhead) checked on every test run.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "zoho" / "bench_api_calls.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_api_calls", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_get_records_sync_costs_its_pages_plus_the_documented_overhead() -> None:
    bench = _bench()
    out = bench.run(leads=900, per_activity=450, bulk_read_above=0)
    full, incremental = out["full"], out["incremental"]
    pages = math.ceil(900 / 200) + 3 * math.ceil(450 / 200)
    assert (full["records"], full["activities"]) == (900, 1350)
    assert sum(full["calls"].values()) == pages + 4  # token, 2 x users, absences
    assert sum(incremental["calls"].values()) == 4 + 4 + 3  # 4 x 304, 4 deletion polls, users x2 + absences
    assert incremental["credits"] == 4 + 4 * 2 + 3
    assert "| incremental, nothing changed | 0 / 0 | 11 | 15 |" in bench.report(900, 450, {"get-records": out})


def test_bulk_read_sync_reads_large_modules_in_one_job_each() -> None:
    bench = _bench()
    out = bench.run(leads=301, per_activity=10, bulk_read_above=300)
    calls = out["full"]["calls"]
    assert (calls["POST /bulk/read"], calls["GET /bulk/read/{job_id}/result"]) == (1, 1)
    assert calls["GET /Leads/actions/count"] == 1 and "GET /Leads" not in calls
    assert out["full"]["records"] == 301


def _apply_bench():
    path = BENCH.with_name("bench_apply_calls.py")
    spec = importlib.util.spec_from_file_location("bench_apply_calls", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_write_back_costs_zohos_batches_plus_token_and_tags_once() -> None:
    bench = _apply_bench()
    out = bench.run(records=600)
    first, again = out["first"], out["again"]
    assert first["applied"] == first["actions"] == 1800 and again["applied"] == 600
    assert first["calls"]["POST /Leads/actions/change_owner"] == 2 and first["calls"]["POST /Notes"] == 6
    # the documented overhead: one token refresh, one tag listing and one tag creation, once
    assert sum(first["calls"].values()) == bench.minimum(600, first=True) + 3
    assert again["calls"] == {"POST /Leads/actions/add_tags": 2}  # tag known, token cached
    assert out["moved_tasks"] == 600
