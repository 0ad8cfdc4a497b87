"""Count Zoho API calls for a full and a quiet incremental sync, against the API's minimum.

An in-process fake (``responses`` callbacks) serves 100,000 Leads and 100,000 each of Calls,
Events and Tasks with Zoho's paging rules (``page`` up to 2,000 records, then ``page_token``;
``If-Modified-Since`` → 304), and Bulk Read (count, create job, poll, ZIP'd CSV download with
200,000 records per job page). The adapter runs unchanged over it; only the network is fake.
The full sync runs twice: with Bulk Read (``bulk_read_above = 20000``, the default) and without (0).

Run: python benchmarks/zoho/bench_api_calls.py [--leads N] [--activities-per-module N] [--mode both|bulk|get-records]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import time
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from adapters.zoho.adapter import ZohoAdapter
from adapters.zoho.bulk_wire import ROWS_PER_PAGE, lookup_fields
from adapters.zoho.config import ZohoAdapterConfig

API = "https://www.zohoapis.com/crm/v8"
BULK = "https://www.zohoapis.com/crm/bulk/v8/read"
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


def _cell(row: dict[str, Any], field: str, lookups: frozenset[str]) -> str:
    value = row.get(field)
    if value is None:
        return ""
    if field in lookups:
        return str(value["id"])
    if field == "Tag":
        return ",".join(t["name"] for t in value)
    return str(value)


class FakeBulk:
    """Bulk Read over the same rows: count, create (page / page_token), poll twice, ZIP'd CSV."""

    def __init__(self, totals: dict[str, int], leads: int) -> None:
        self.totals = totals
        self.leads = leads
        self.jobs: dict[str, tuple[str, list[str], int]] = {}
        self.polls: dict[str, int] = {}

    def count(self, request: Any) -> tuple[int, dict[str, str], str]:
        module = urlsplit(request.url).path.split("/")[3]
        return 200, {}, json.dumps({"count": self.totals[module]})

    def create(self, request: Any) -> tuple[int, dict[str, str], str]:
        query = json.loads(request.body)["query"]
        page = int(query["page_token"].removeprefix("p")) if "page_token" in query else int(query["page"])
        job_id = str(10**17 + len(self.jobs))
        self.jobs[job_id] = (query["module"]["api_name"], query["fields"], page)
        details = {
            "id": job_id,
            "operation": "read",
            "state": "ADDED",
            "created_by": {"id": "999", "name": "Bot"},
            "created_time": BASE.isoformat(),
        }
        body = {
            "data": [
                {
                    "status": "success",
                    "code": "ADDED_SUCCESSFULLY",
                    "message": "Added successfully.",
                    "details": details,
                }
            ],
            "info": {},
        }
        return 201, {}, json.dumps(body)

    def status(self, request: Any) -> tuple[int, dict[str, str], str]:
        job_id = urlsplit(request.url).path.rsplit("/", 1)[1]
        module, _, page = self.jobs[job_id]
        self.polls[job_id] = self.polls.get(job_id, 0) + 1
        detail: dict[str, Any] = {
            "id": job_id,
            "operation": "read",
            "state": "IN PROGRESS",
            "file_type": "csv",
        }
        if self.polls[job_id] >= 2:
            total = self.totals[module]
            count = max(0, min(ROWS_PER_PAGE, total - (page - 1) * ROWS_PER_PAGE))
            more = page * ROWS_PER_PAGE < total
            detail["state"] = "COMPLETED"
            detail["result"] = {
                "page": page,
                "count": count,
                "per_page": ROWS_PER_PAGE,
                "download_url": f"/crm/bulk/v8/read/{job_id}/result",
                "more_records": more,
                **({"next_page_token": f"p{page + 1}"} if more else {}),
            }
        return 200, {}, json.dumps({"data": [detail]})

    def download(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        job_id = urlsplit(request.url).path.split("/")[-2]
        module, fields, page = self.jobs[job_id]
        lookups = lookup_fields(module)
        start = (page - 1) * ROWS_PER_PAGE
        end = min(start + ROWS_PER_PAGE, self.totals[module])
        text = io.StringIO()
        writer = csv.writer(text, quoting=csv.QUOTE_ALL)
        writer.writerow(["Id", *fields])
        for i in range(start, end):
            row = _row(module, i, self.leads)
            writer.writerow([row["id"], *(_cell(row, f, lookups) for f in fields)])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{job_id}.csv", text.getvalue())
        return 200, {"Content-Type": "application/zip"}, buffer.getvalue()


def run(leads: int, per_activity: int, bulk_read_above: int = 0) -> dict[str, Any]:
    activity_modules = ("Calls", "Events", "Tasks")
    config = ZohoAdapterConfig(
        kind="zoho",
        client_id="c",
        client_secret="s",
        refresh_token="r",
        modules=["Leads"],
        activity_modules=list(activity_modules),
        max_api_calls=None,
        bulk_read_above=bulk_read_above,
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
        bulk = FakeBulk({"Leads": leads, **dict.fromkeys(activity_modules, per_activity)}, leads)
        for module in ("Leads", *activity_modules):
            rsps.add_callback("GET", f"{API}/{module}/actions/count", callback=bulk.count)
        rsps.add_callback("POST", BULK, callback=bulk.create)
        rsps.add_callback("GET", re.compile(rf"{re.escape(BULK)}/\d+$"), callback=bulk.status)
        rsps.add_callback("GET", re.compile(rf"{re.escape(BULK)}/\d+/result$"), callback=bulk.download)

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


THRESHOLD = 20_000


def bulk_minimum(totals: list[int]) -> int:
    """Per module one count; then per 200,000-record page one create, poll and download (above the
    threshold) or one Get Records call per 200 records (at or below it)."""
    return sum(
        1 + (3 * math.ceil(n / ROWS_PER_PAGE) if n > THRESHOLD else max(1, math.ceil(n / 200)))
        for n in totals
    )


def _data_calls(calls: dict[str, int]) -> int:
    """Calls that read records: everything but the token, the users and the deletions."""
    skip = ("POST /oauth/v2/token", "GET /users")
    return sum(n for label, n in calls.items() if label not in skip and not label.endswith("/deleted"))


def report(leads: int, per_activity: int, outs: dict[str, dict[str, Any]]) -> str:
    totals = [leads, per_activity, per_activity, per_activity]
    lines = [
        "## Zoho adapter: API calls per sync",
        "",
        "Command: `python benchmarks/zoho/bench_api_calls.py "
        f"--leads {leads} --activities-per-module {per_activity}`",
        "(in-process fake of Get Records and Bulk Read with Zoho's paging rules; network time and Zoho's "
        "job run time not included — the fake completes a job on the second poll; wall time measured on the "
        "shared 2-core dev machine while other jobs ran, so treat it as an upper bound — the call counts are the "
        "result). `--mode bulk` or `--mode get-records` runs one of the two full syncs.",
        "",
        "| sync | records / activities | calls made | of which record reads | API minimum | wall time |",
        "|---|---|---|---|---|---|",
    ]
    minimums = {
        "bulk": f"{bulk_minimum(totals)} (count + create + poll + download per module)",
        "get-records": f"{outs.get('get-records', outs.get('bulk', {})).get('minimum_full')} (1 per 200 records)",
    }
    labels = {
        "bulk": "full (empty store), Bulk Read on (`bulk_read_above = 20000`)",
        "get-records": "full (empty store), Bulk Read off (`bulk_read_above = 0`)",
    }
    for mode, out in outs.items():
        calls, records, activities, seconds = out["full"]
        lines.append(
            f"| {labels[mode]} | {records:,} / {activities:,} | {sum(calls.values())} | {_data_calls(calls)} "
            f"| {minimums[mode]} | {seconds:.1f} s |"
        )
    any_out = next(iter(outs.values()))
    inc_calls, _, _, inc_s = any_out["incremental"]
    lines += [
        f"| incremental, nothing changed | 0 / 0 | {sum(inc_calls.values())} | {_data_calls(inc_calls)} "
        f"| {any_out['minimum_incremental']} (1 per module) | {inc_s:.2f} s |",
        "",
    ]
    for mode, out in outs.items():
        lines.append(f"Full sync ({mode}) calls by endpoint: `{json.dumps(out['full'][0])}`  ")
    lines += [
        f"Incremental calls by endpoint: `{json.dumps(inc_calls)}` (never Bulk Read: a cursor means "
        "`If-Modified-Since`)",
        "",
        "Overhead beyond the minimum: one token refresh per hour (cached in the store, so the quiet run "
        "needs none), one `GET /users?type=CurrentUser` per run (echo suppression), and one "
        "`GET /{module}/deleted` per record module on incremental runs (`poll_deleted = false` drops it; "
        "the first run skips it). With Bulk Read on, every full load asks `GET /{module}/actions/count` "
        "first (1 call per module, also for modules below the threshold); the job polls depend on how "
        "long Zoho takes (one per `bulk_poll_interval`, 10 s by default).",
        "",
    ]
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
