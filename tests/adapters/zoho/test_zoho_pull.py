"""Pulling users, records, deletions and activities: paging, cursors, retries, budgets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from responses import matchers
from zoho_support import API, NOW, add_token, load

from adapters.zoho import client as client_module
from connector.domain import Module
from connector.errors import BudgetExhaustedError, CrmApiError, QuotaExhaustedError

ME = matchers.query_param_matcher({"type": "CurrentUser"}, strict_match=False)
WATERMARK = (NOW - timedelta(minutes=1)).isoformat(timespec="seconds")


def _query(request: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def _lead(i: int) -> dict[str, Any]:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    return {
        "id": str(9000000000 + i),
        "Owner": {"name": "Patricia Boyle", "id": "554023000000235011", "email": "p.boyle@zylker.com"},
        "Modified_By": {"name": "Patricia Boyle", "id": "554023000000235011", "email": "p.boyle@zylker.com"},
        "Created_Time": base.isoformat(),
        "Modified_Time": (base + timedelta(seconds=i)).isoformat(),
        "Last_Name": f"Lead {i}",
        "Tag": [],
    }


def _setup(rsps: Any) -> None:
    add_token(rsps)
    rsps.get(f"{API}/users", json=load("current_user"), match=[ME])


def test_paging_past_2000_switches_from_page_to_page_token(org, make_adapter) -> None:
    org.add("Leads", *(_lead(i) for i in range(2450)))
    adapter = make_adapter(modules=["Leads"], activity_modules=[], poll_deleted=False)
    batches = list(adapter.pull({}))
    assert sum(len(b.records) for b in batches) == 2450
    assert [b.cursor for b in batches][-1] == WATERMARK and all(b.cursor is None for b in batches[:-1])
    queries = [r.query for r in org.received if r.path == "/crm/v8/Leads"]
    assert len(queries) == 13  # ceil(2450 / 200): the minimum
    assert [q.get("page") for q in queries[:10]] == [str(p) for p in range(1, 11)]
    assert all("page_token" in q and "page" not in q for q in queries[10:])
    assert [r.status for r in org.received if r.path == "/crm/v8/Leads"] == [200] * 13
    assert {(q["per_page"], q["sort_by"], q["sort_order"]) for q in queries} == {
        ("200", "Modified_Time", "asc")
    }
    assert queries[0]["fields"].split(",")[:2] == ["Owner", "Created_Time"]
    assert adapter.api_calls() == {"GET /Leads": 13, "GET /users": 1, "POST /oauth/v2/token": 1}


def test_incremental_sends_if_modified_since_and_304_yields_only_the_cursor(zoho_http, make_adapter) -> None:
    _setup(zoho_http)
    since = "2025-03-01T10:00:00+00:00"
    zoho_http.get(f"{API}/Leads", status=304, match=[matchers.header_matcher({"If-Modified-Since": since})])
    adapter = make_adapter(modules=["Leads"], activity_modules=[], poll_deleted=False)
    batches = list(adapter.pull({"Leads": since}))
    assert [(b.stream, list(b.records), b.cursor) for b in batches] == [("Leads", [], WATERMARK)]


def test_full_ignores_cursors(zoho_http, make_adapter) -> None:
    _setup(zoho_http)
    zoho_http.get(f"{API}/Leads", json=load("leads_page"))
    adapter = make_adapter(modules=["Leads"], activity_modules=[], poll_deleted=False)
    batches = list(adapter.pull({"Leads": "2025-03-01T10:00:00+00:00"}, full=True))
    assert "If-Modified-Since" not in zoho_http.calls[-1].request.headers
    assert len(batches[0].records) == 3


def test_204_means_no_records(zoho_http, make_adapter) -> None:
    _setup(zoho_http)
    zoho_http.get(f"{API}/Deals", status=204)
    batches = list(make_adapter(modules=["Deals"], activity_modules=[], poll_deleted=False).pull({}))
    assert [(b.stream, b.cursor) for b in batches] == [("Deals", WATERMARK)]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("<html><body>502 Bad Gateway</body></html>", id="proxy-html-page"),
        pytest.param('{"data": [{"id": "1"', id="truncated-json"),
    ],
)
def test_a_200_that_is_not_json_stops_the_pull_without_a_cursor(zoho_http, make_adapter, body: str) -> None:
    """Garbage is never read as "no records": that would move the cursor past unseen data."""
    _setup(zoho_http)
    zoho_http.get(f"{API}/Leads", body=body, status=200, content_type="text/html")
    adapter = make_adapter(modules=["Leads"], activity_modules=[], poll_deleted=False)
    batches = []
    with pytest.raises(CrmApiError, match=r"GET /Leads answered HTTP 200 with a body that is not JSON"):
        batches.extend(adapter.pull({"Leads": "2025-03-01T10:00:00+00:00"}))
    assert all(b.cursor is None for b in batches)


def test_streams_records_deletions_and_activities_with_echo_marks(zoho_http, make_adapter) -> None:
    _setup(zoho_http)
    zoho_http.get(f"{API}/Leads", json=load("leads_page"))
    zoho_http.get(
        f"{API}/Leads/deleted",
        json=load("deleted_leads"),
        match=[matchers.query_param_matcher({"type": "all", "page": "1", "per_page": "200"})],
    )
    zoho_http.get(f"{API}/Calls", json=load("calls_page"))
    zoho_http.get(f"{API}/Tasks", json=load("tasks_page"))
    adapter = make_adapter(
        modules=["Leads"], activity_modules=["Calls", "Tasks"], fields={"tax_id": "Tax_ID"}
    )
    cursors = {"Leads/deleted": "2025-02-28T00:00:00+00:00"}
    batches = list(adapter.pull(cursors, full=True))
    assert [(b.stream, b.cursor) for b in batches] == [
        ("Leads", WATERMARK),
        ("Leads/deleted", WATERMARK),
        ("Calls", WATERMARK),
        ("Calls/deleted", WATERMARK),  # first run of that stream: no call
        ("Tasks", WATERMARK),
        ("Tasks/deleted", WATERMARK),
    ]
    leads = batches[0].records
    assert [r.extra.get("modified_by_integration", False) for r in leads] == [False, True, False]
    assert leads[0].tax_id == "US-99-1234567"
    assert [d.id for d in batches[1].deleted] == ["554023000000536009"]
    assert [a.id for a in batches[2].activities] == ["554023000000600001"]  # Deal/Case calls not tracked
    assert [a.completed for a in batches[4].activities] == [True, False]
    calls = next(c.request for c in zoho_http.calls if c.request.url.startswith(f"{API}/Calls"))
    assert "$se_module" in _query(calls)["fields"].split(",")  # Zoho sends only what is asked for


def test_first_run_skips_the_deleted_poll(zoho_http, make_adapter) -> None:
    _setup(zoho_http)
    zoho_http.get(f"{API}/Accounts", status=204)
    batches = list(make_adapter(modules=["Accounts"], activity_modules=[]).pull({}))
    assert [(b.stream, b.cursor) for b in batches] == [
        ("Accounts", WATERMARK),
        ("Accounts/deleted", WATERMARK),
    ]


def test_page_token_cap_restarts_the_chain_from_the_last_modified_time(org, make_adapter, monkeypatch) -> None:
    monkeypatch.setattr(client_module, "MAX_DISCRETE_PAGE", 1)
    org.chain_cap = 200  # Zoho's cap is 100,000 records per page-token chain
    rows = [_lead(i) for i in range(300)]
    org.add("Leads", *rows)
    batches = list(make_adapter(modules=["Leads"], activity_modules=[], poll_deleted=False).pull({}))
    ids = [r.id for b in batches for r in b.records]
    assert set(ids) == {r["id"] for r in rows}
    calls = [r for r in org.received if r.path == "/crm/v8/Leads"]
    assert [(r.status, "page_token" in r.query) for r in calls] == [(200, False), (400, True), (200, False)]
    restart = calls[-1]
    assert restart.headers["if-modified-since"] == "2025-01-01T00:03:18+00:00"  # last seen (199 s) minus 1 s
    assert restart.query["page"] == "1"


def test_429_is_retried_honouring_retry_after(zoho_http_ordered, make_adapter, slept) -> None:
    add_token(zoho_http_ordered)
    zoho_http_ordered.get(
        f"{API}/users", status=429, json=load("error_too_many_requests"), headers={"Retry-After": "2"}
    )
    zoho_http_ordered.get(f"{API}/users", json=load("users"))
    users = make_adapter(pull_unavailability=False).pull_users()
    assert [u.id for u in users] == ["554023000000235011", "554023000000235022"]
    assert slept == [2.0]


def test_500_is_retried_with_backoff(zoho_http_ordered, make_adapter, slept) -> None:
    add_token(zoho_http_ordered)
    zoho_http_ordered.get(f"{API}/users", status=500, json=load("error_internal"))
    zoho_http_ordered.get(f"{API}/users", status=500, json=load("error_internal"))
    zoho_http_ordered.get(f"{API}/users", json=load("users"))
    assert len(make_adapter(pull_unavailability=False).pull_users()) == 2
    assert len(slept) == 2 and 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 2.0


def test_used_up_daily_credits_stop_the_pull_at_once_saying_when_they_free_up(
    zoho_http, make_adapter, slept
) -> None:
    """Zoho answers 429 TOO_MANY_REQUESTS about the 24-hour period: no retry can help."""
    _setup(zoho_http)
    zoho_http.get(f"{API}/Leads", status=429, json=load("error_credits_exhausted"))
    adapter = make_adapter(modules=["Leads"], activity_modules=[])
    batches = []
    with pytest.raises(QuotaExhaustedError, match="daily API credits are used up") as caught:
        batches.extend(adapter.pull({}))
    assert caught.value.resets_at == NOW + timedelta(hours=24)
    assert "2025-03-02T12:00+00:00 at the latest" in str(caught.value)
    assert caught.value.exit_code == 3
    assert adapter.api_calls()["GET /Leads"] == 1 and slept == []  # not retried
    assert all(b.cursor is None for b in batches)


def test_a_concurrency_429_is_still_retried(zoho_http_ordered, make_adapter, slept) -> None:
    add_token(zoho_http_ordered)
    zoho_http_ordered.get(f"{API}/users", json=load("current_user"))
    zoho_http_ordered.get(f"{API}/Leads", status=429, json=load("error_too_many_requests"))
    zoho_http_ordered.get(f"{API}/Leads", json=load("leads_page"))
    adapter = make_adapter(modules=["Leads"], activity_modules=[], poll_deleted=False)
    assert sum(len(b.records) for b in adapter.pull({})) == 3
    assert len(slept) == 1


def test_max_api_calls_is_a_hard_budget(zoho_http, make_adapter) -> None:
    _setup(zoho_http)
    adapter = make_adapter(max_api_calls=2, modules=["Leads"], activity_modules=[])
    with pytest.raises(BudgetExhaustedError, match="budget of 2 API calls"):
        list(adapter.pull({}))
    assert sum(adapter.api_calls().values()) == 2


def test_fetch_records_reads_ids_in_one_call(zoho_http, make_adapter) -> None:
    _setup(zoho_http)
    ids = "554023000000536001,554023000000536002,554023000000536003"
    zoho_http.get(
        f"{API}/Leads",
        json=load("leads_page"),
        match=[matchers.query_param_matcher({"ids": ids}, strict_match=False)],
    )
    from connector.domain import RecordRef

    refs = [RecordRef(adapter="zoho", module=Module.LEADS, id=i) for i in ids.split(",")]
    records = make_adapter().fetch_records(refs)
    assert [r.owner_id for r in records] == ["554023000000235011", "554023000000235022", "554023000000235011"]


def test_a_record_with_a_garbage_timestamp_is_a_bad_record_not_an_empty_date(org, make_adapter) -> None:
    bad = {**_lead(2), "Created_Time": "garbage"}
    org.add("Leads", _lead(1), bad, _lead(3))
    adapter = make_adapter(modules=["Leads"], activity_modules=[], poll_deleted=False)

    records = [r for b in adapter.pull({}) for r in b.records]

    assert [r.id for r in records] == [_lead(1)["id"], _lead(3)["id"]]
    warnings = adapter.drain_warnings()
    assert [w.code for w in warnings] == ["bad_record"]
    assert warnings[0].message == (
        f"zoho: Leads {bad['id']}: field Created_Time = 'garbage' is not a Zoho timestamp "
        "(ISO 8601 with an offset); the record was skipped"
    )
