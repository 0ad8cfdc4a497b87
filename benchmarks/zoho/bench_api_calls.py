"""Count Zoho API calls for a full and a quiet incremental sync, against the API's minimum.

An in-process fake (``responses`` callbacks) serves 100,000 Leads and 100,000 each of Calls,
Events and Tasks with Zoho's paging rules (``page`` up to 2,000 records, then ``page_token``;
``If-Modified-Since`` → 304). The adapter runs unchanged over it; only the network is fake.

Run: python benchmarks/zoho/bench_api_calls.py [--leads N] [--activities-per-module N]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from adapters.zoho.adapter import ZohoAdapter
from adapters.zoho.config import ZohoAdapterConfig

API = "https://www.zohoapis.com/crm/v8"
BASE = datetime(2024, 1, 1, tzinfo=UTC)
OWNER = {"name": "Rep", "id": "554023000000235011", "email": "rep@example.com"}


class KV:
    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def get_value(self, ns: str, key: str) -> str | None:
        return self.data.get((ns, key))

    def set_value(self, ns: str, key: str, value: str) -> None:
        self.data[(ns, key)] = value


def _row(module: str, i: int, leads: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": str(10**15 + i),
        "Owner": OWNER,
        "Modified_By": OWNER,
        "Created_Time": BASE.isoformat(),
        "Modified_Time": (BASE + timedelta(seconds=i)).isoformat(),
    }
    if module == "Leads":
        row.update(
            {"Last_Name": f"Lead {i}", "Company": f"Company {i}", "Email": f"l{i}@example.com", "Tag": []}
        )
    else:
        row.update({"What_Id": {"id": str(10**15 + i % leads), "name": "x"}, "$se_module": "Leads"})
        row.update(
            {
                "Calls": {"Call_Start_Time": row["Modified_Time"]},
                "Events": {"Start_DateTime": row["Modified_Time"]},
                "Tasks": {"Status": "Completed", "Closed_Time": row["Modified_Time"]},
            }[module]
        )
    return row


def fake_module(module: str, total: int, leads: int):
    tokens: dict[str, int] = {}

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        assert not ("page" in query and "page_token" in query)
        since = request.headers.get("If-Modified-Since")
        last = (BASE + timedelta(seconds=total - 1)).isoformat()
        if since and since >= last:
            return 304, {}, ""
        if "page_token" in query:
            start = tokens[query["page_token"]]
        else:
            assert int(query["page"]) <= 10, "page beyond 10 is refused by Zoho"
            start = (int(query["page"]) - 1) * 200
        end = min(start + 200, total)
        more = end < total
        token = f"t{module}{end}"
        tokens[token] = end
        info = {
            "per_page": 200,
            "count": end - start,
            "more_records": more,
            "next_page_token": token if more else None,
        }
        return (
            200,
            {},
            json.dumps({"data": [_row(module, i, leads) for i in range(start, end)], "info": info}),
        )

    return callback


def run(leads: int, per_activity: int) -> dict[str, Any]:
    activity_modules = ("Calls", "Events", "Tasks")
    config = ZohoAdapterConfig(
        kind="zoho",
        client_id="c",
        client_secret="s",
        refresh_token="r",
        modules=["Leads"],
        activity_modules=list(activity_modules),
        max_api_calls=None,
    )
    kv = KV()
    day1 = BASE + timedelta(days=30)
    out: dict[str, Any] = {}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(
            "https://accounts.zoho.com/oauth/v2/token",
            json={"access_token": "a", "api_domain": "https://www.zohoapis.com", "expires_in": 3600},
        )
        rsps.get(
            f"{API}/users",
            json={
                "users": [{"id": "999", "full_name": "Bot", "status": "active"}],
                "info": {"more_records": False},
            },
        )
        rsps.add_callback("GET", f"{API}/Leads", callback=fake_module("Leads", leads, leads))
        for module in activity_modules:
            rsps.add_callback("GET", f"{API}/{module}", callback=fake_module(module, per_activity, leads))
        rsps.get(f"{API}/Leads/deleted", status=304)

        started = time.perf_counter()
        adapter = ZohoAdapter("zoho", config, store=kv, clock=lambda: day1, sleep=lambda s: None)
        cursors: dict[str, str] = {}
        records = activities = 0
        for batch in adapter.pull({}):
            records += len(batch.records)
            activities += len(batch.activities)
            if batch.cursor:
                cursors[batch.stream] = batch.cursor
        out["full"] = (adapter.api_calls(), records, activities, time.perf_counter() - started)

        started = time.perf_counter()
        later = ZohoAdapter(
            "zoho", config, store=kv, clock=lambda: day1 + timedelta(minutes=5), sleep=lambda s: None
        )
        for _ in later.pull(cursors):
            pass
        out["incremental"] = (later.api_calls(), 0, 0, time.perf_counter() - started)
    out["minimum_full"] = math.ceil(leads / 200) + len(activity_modules) * math.ceil(per_activity / 200)
    out["minimum_incremental"] = 1 + len(activity_modules)
    return out


def report(leads: int, per_activity: int, out: dict[str, Any]) -> str:
    full_calls, records, activities, full_s = out["full"]
    inc_calls, _, _, inc_s = out["incremental"]

    def data_calls(calls: dict[str, int]) -> int:
        return sum(
            n
            for label, n in calls.items()
            if label.startswith("GET /") and label not in ("GET /users",) and not label.endswith("/deleted")
        )

    lines = [
        "## Zoho adapter: API calls per sync",
        "",
        "Command: `python benchmarks/zoho/bench_api_calls.py "
        f"--leads {leads} --activities-per-module {per_activity}`",
        "(in-process fake of Get Records with Zoho's paging rules; network time not included).",
        "",
        "| sync | records / activities | calls made | of which record pages | API minimum | wall time |",
        "|---|---|---|---|---|---|",
        f"| full (empty store) | {records:,} / {activities:,} | {sum(full_calls.values())} "
        f"| {data_calls(full_calls)} "
        f"| {out['minimum_full']} (1 per 200 records) | {full_s:.1f} s |",
        f"| incremental, nothing changed | 0 / 0 | {sum(inc_calls.values())} | {data_calls(inc_calls)} "
        f"| {out['minimum_incremental']} (1 per module) | {inc_s:.2f} s |",
        "",
        f"Full sync calls by endpoint: `{json.dumps(full_calls)}`  ",
        f"Incremental calls by endpoint: `{json.dumps(inc_calls)}`",
        "",
        "Overhead beyond the minimum: one token refresh per hour (cached in the store, so the quiet run "
        "needs none), one `GET /users?type=CurrentUser` per run (echo suppression), and one "
        "`GET /{module}/deleted` per record module on incremental runs (`poll_deleted = false` drops it; "
        "the first run skips it).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--activities-per-module", type=int, default=100_000)
    args = parser.parse_args()
    out = run(args.leads, args.activities_per_module)
    print(report(args.leads, args.activities_per_module, out))


if __name__ == "__main__":
    main()
