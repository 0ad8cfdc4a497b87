"""Bulk Read for large first loads: threshold, job lifecycle, CSV mapping, paging, fallbacks."""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from responses import matchers
from strict_zoho import csv_zip
from zoho_support import API, NOW, add_token, load, sent_json

from adapters.zoho.activities import ACTIVITY_FIELDS
from adapters.zoho.bulk_wire import bulk_fields, lookup_fields, open_result, to_raw
from adapters.zoho.config import ZohoAdapterConfig
from adapters.zoho.wire import fields_for, to_record
from connector.domain import Module, RecordRef
from connector.errors import AuthError, CrmApiError, FatalApiError

BULK = "https://www.zohoapis.com/crm/bulk/v8/read"
JOB = "554023000000850001"
JOB2 = "554023000000850002"
ME = matchers.query_param_matcher({"type": "CurrentUser"}, strict_match=False)
WATERMARK = (NOW - timedelta(minutes=1)).isoformat(timespec="seconds")
LEAD_FIELDS = fields_for(Module.LEADS, {})
LEAD_HEADER = ["Id", *LEAD_FIELDS]
LEAD_ROWS = [
    [
        "554023000000536001",
        "554023000000235011",
        "2025-02-27T10:02:11+05:30",
        "2025-03-01T09:15:42+05:30",
        "554023000000235011",
        "Trade show,VIP",
        "Contacted",
        "Zylker, Inc.",
        "Christopher",
        "Maclead",
        "christopher-maclead@zylker.com",
        "",
        "+1-555-555-5555",
        "555-555-5555",
        "https://www.zylker.com",
        "United States",
        "Chicago",
        "false",
    ],
    [
        "554023000000536002",
        "554023000000235022",
        "2025-02-28T11:40:00+05:30",
        "2025-03-01T10:00:00+05:30",
        "554023000000299999",  # the integration user: an echo of our own write
        "",
        "Not Contacted",
        "Chemel",
        "Zoë",
        "Merced",
        "james@chemel.com",
        "jmerced@gmail.com",
        "",
        "+1 (555) 010-2000",
        "",
        "Canada",
        "Toronto",
        "false",
    ],
    [
        "554023000000536003",
        "554023000000235011",
        "2025-02-20 08:00:00",  # no offset: read in the org's zone
        "2025-02-21 09:30:00",
        "554023000000235011",
        "",
        "",
        "Feltz Printing",
        "",
        "Lee",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "true",  # converted: read as status "Converted"
    ],
]


def created(job_id: str = JOB) -> dict[str, Any]:
    body = load("bulk_read_created")
    body["data"][0]["details"]["id"] = job_id
    return body


def job(state: str, *, job_id: str = JOB, module: str = "Leads", **result: Any) -> dict[str, Any]:
    """A job-details answer; ``result`` (page, count, more_records…) only once COMPLETED, as in Zoho's."""
    body = copy.deepcopy(load("bulk_read_job"))
    detail = body["data"][0]
    detail.update(id=job_id, state=state)
    detail["query"]["module"]["api_name"] = module
    if state == "COMPLETED":
        detail["result"].update(download_url=f"/crm/bulk/v8/read/{job_id}/result", **result)
    else:
        del detail["result"]
    return body


def zip_reply(content: bytes) -> dict[str, Any]:
    return {
        "body": content,
        "content_type": "application/zip",
        "headers": {"Content-Disposition": f'attachment; filename="{JOB}.zip"'},
    }


def _setup(rsps: Any) -> None:
    add_token(rsps)
    rsps.get(f"{API}/users", json=load("current_user"), match=[ME])


def _count(rsps: Any, module: str, count: Any) -> None:
    rsps.get(f"{API}/{module}/actions/count", json={"count": count})


def _job_lifecycle(
    rsps: Any, content: bytes, *, job_id: str = JOB, module: str = "Leads", **result: Any
) -> None:
    """Create → ADDED → IN PROGRESS → COMPLETED → download (same-URL responses are served in order)."""
    rsps.post(BULK, status=201, json=created(job_id))
    rsps.get(f"{BULK}/{job_id}", json=job("ADDED", job_id=job_id, module=module))
    rsps.get(f"{BULK}/{job_id}", json=job("IN PROGRESS", job_id=job_id, module=module))
    rsps.get(f"{BULK}/{job_id}", json=job("COMPLETED", job_id=job_id, module=module, **result))
    rsps.get(f"{BULK}/{job_id}/result", **zip_reply(content))


def _labels(rsps: Any) -> list[str]:
    """The data URLs called, in order (token and CurrentUser calls left out)."""
    urls = [c.request.url.split("?")[0] for c in rsps.calls]
    return [u.removeprefix(API) for u in urls if "oauth" not in u and not u.endswith("/users")]


def _bulk_adapter(make_adapter: Any, **overrides: Any) -> Any:
    values = {"modules": ["Leads"], "activity_modules": [], "poll_deleted": False, "bulk_read_above": 20_000}
    return make_adapter(**{**values, **overrides})


# --- threshold ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "count",
    [
        pytest.param(150, id="small-number"),
        pytest.param("20000", id="at-threshold-string-as-in-oas"),
    ],
)
def test_full_load_at_or_below_the_threshold_uses_get_records(zoho_http, make_adapter, count) -> None:
    _setup(zoho_http)
    _count(zoho_http, "Leads", count)
    zoho_http.get(f"{API}/Leads", json=load("leads_page"))
    adapter = _bulk_adapter(make_adapter)
    batches = list(adapter.pull({}))
    assert [len(b.records) for b in batches] == [3] and batches[-1].cursor == WATERMARK
    assert adapter.api_calls() == {
        "GET /Leads": 1,
        "GET /Leads/actions/count": 1,
        "GET /users": 1,
        "POST /oauth/v2/token": 1,
    }


def test_threshold_zero_never_counts(zoho_http, make_adapter) -> None:
    _setup(zoho_http)
    zoho_http.get(f"{API}/Leads", json=load("leads_page"))
    adapter = _bulk_adapter(make_adapter, bulk_read_above=0)
    list(adapter.pull({}))
    assert "GET /Leads/actions/count" not in adapter.api_calls()


@pytest.mark.parametrize(
    "full_cursors",
    [
        pytest.param({"Leads": "2025-03-01T10:00:00+00:00"}, id="records"),
        pytest.param(
            {"Leads": "2025-03-01T10:00:00+00:00", "Leads/deleted": "2025-03-01T10:00:00+00:00"},
            id="and-deleted",
        ),
    ],
)
def test_incremental_runs_never_count_or_use_bulk(zoho_http, make_adapter, full_cursors) -> None:
    _setup(zoho_http)
    since = full_cursors["Leads"]
    zoho_http.get(f"{API}/Leads", status=304, match=[matchers.header_matcher({"If-Modified-Since": since})])
    poll_deleted = "Leads/deleted" in full_cursors
    if poll_deleted:
        zoho_http.get(f"{API}/Leads/deleted", status=304)
    adapter = _bulk_adapter(make_adapter, bulk_read_above=1, poll_deleted=poll_deleted)
    batches = list(adapter.pull(full_cursors))
    assert batches and all(b.cursor == WATERMARK for b in batches)
    assert not any("bulk" in label or "count" in label for label in adapter.api_calls())


# --- the job lifecycle -------------------------------------------------------------------------


def test_full_load_above_the_threshold_reads_the_bulk_csv(zoho_http, make_adapter, slept) -> None:
    _setup(zoho_http)
    _count(zoho_http, "Leads", 25_000)
    _job_lifecycle(zoho_http, csv_zip(JOB, LEAD_HEADER, LEAD_ROWS))
    adapter = _bulk_adapter(make_adapter, bulk_poll_interval="15s")
    batches = list(adapter.pull({"Leads": "2025-02-01T00:00:00+00:00"}, full=True))

    assert [(b.stream, len(b.records), b.cursor) for b in batches] == [("Leads", 3, WATERMARK)]
    first, echo, bare = batches[0].records
    assert first.id == "554023000000536001" and first.module is Module.LEADS
    assert first.owner_id == "554023000000235011"
    assert first.company == "Zylker, Inc." and first.status == "Contacted"
    assert first.emails == ("christopher-maclead@zylker.com",)
    assert first.phones == ("+1-555-555-5555", "555-555-5555")
    assert first.tags == ("Trade show", "VIP")
    assert first.created_at == datetime(2025, 2, 27, 4, 32, 11, tzinfo=UTC)
    assert first.modified_at is not None and first.modified_at.utcoffset() == timedelta(hours=5, minutes=30)
    assert first.extra == {"modified_by_id": "554023000000235011"}
    assert echo.first_name == "Zoë" and echo.emails == ("james@chemel.com", "jmerced@gmail.com")
    assert echo.phones == ("+1 (555) 010-2000",) and echo.website is None
    assert echo.extra["modified_by_integration"] is True
    assert bare.created_at == datetime(2025, 2, 20, 8, 0, tzinfo=UTC)  # default_tz "UTC"
    assert (bare.status, bare.emails, bare.tags) == ("Converted", (), ())

    create = next(c for c in zoho_http.calls if c.request.method == "POST" and c.request.url == BULK)
    assert create.request.headers["Content-Type"] == "application/json"
    assert sent_json(create) == {"query": {"module": {"api_name": "Leads"}, "fields": LEAD_FIELDS, "page": 1}}
    assert slept == [15.0, 15.0, 15.0]  # one wait before each of the three polls
    assert adapter.api_calls() == {
        "GET /Leads/actions/count": 1,
        "GET /bulk/read/{job_id}": 3,
        "GET /bulk/read/{job_id}/result": 1,
        "GET /users": 1,
        "POST /bulk/read": 1,
        "POST /oauth/v2/token": 1,
    }


def test_bulk_records_equal_get_records_for_the_same_leads(zoho_http, make_adapter) -> None:
    """The CSV path and the JSON path agree on every mapped field (same fixture leads)."""
    _setup(zoho_http)
    page = load("leads_page")
    rows = []
    for raw in page["data"]:
        rows.append(
            [
                raw["id"],
                *(
                    (raw.get(f) or {}).get("id", "")
                    if f in ("Owner", "Modified_By")
                    else ",".join(t["name"] for t in raw.get(f) or [])
                    if f == "Tag"
                    else raw.get(f) or ""
                    for f in LEAD_FIELDS
                ),
            ]
        )
    _count(zoho_http, "Leads", 50_000)
    _job_lifecycle(zoho_http, csv_zip(JOB, LEAD_HEADER, rows))
    adapter = _bulk_adapter(make_adapter)
    bulk_records = [r for b in adapter.pull({}) for r in b.records]
    json_records = [
        to_record("zoho", Module.LEADS, raw, {}, integration_user_id="554023000000299999")
        for raw in page["data"]
    ]
    assert bulk_records == json_records


@pytest.mark.parametrize(
    ("next_page_token", "second_query"),
    [
        pytest.param(None, {"page": 2}, id="page"),
        pytest.param("c2VydmVyX3Rva2Vu", {"page_token": "c2VydmVyX3Rva2Vu"}, id="page-token"),
    ],
)
def test_more_records_runs_a_job_for_the_next_page(
    zoho_http, make_adapter, monkeypatch, next_page_token, second_query
) -> None:
    from adapters.zoho import bulk as bulk_module

    monkeypatch.setattr(bulk_module, "BATCH", 2)
    _setup(zoho_http)
    _count(zoho_http, "Leads", 200_001)
    more = {"count": 2, "more_records": True, "per_page": 2}
    if next_page_token:
        more["next_page_token"] = next_page_token
    _job_lifecycle(zoho_http, csv_zip(JOB, LEAD_HEADER, LEAD_ROWS[:2]), **more)
    _job_lifecycle(zoho_http, csv_zip(JOB2, LEAD_HEADER, LEAD_ROWS[2:]), job_id=JOB2, page=2, count=1)
    adapter = _bulk_adapter(make_adapter)
    batches = list(adapter.pull({}))
    assert [(len(b.records), b.cursor) for b in batches] == [(2, None), (1, WATERMARK)]
    creates = [sent_json(c)["query"] for c in zoho_http.calls if c.request.url == BULK]
    assert [{k: v for k, v in q.items() if k in ("page", "page_token")} for q in creates] == [
        {"page": 1},
        second_query,
    ]
    assert adapter.api_calls()["POST /bulk/read"] == 2
    assert adapter.api_calls()["GET /bulk/read/{job_id}/result"] == 2


def test_failed_job_is_a_clear_error(zoho_http, make_adapter) -> None:
    _setup(zoho_http)
    _count(zoho_http, "Leads", 30_000)
    zoho_http.post(BULK, status=201, json=created())
    zoho_http.get(f"{BULK}/{JOB}", json=job("IN PROGRESS"))
    zoho_http.get(f"{BULK}/{JOB}", json=job("FAILURE"))
    with pytest.raises(CrmApiError, match=f"job {JOB} for Leads ended in state FAILURE.*bulk_read_above = 0"):
        list(_bulk_adapter(make_adapter).pull({}))


def test_a_job_that_never_completes_times_out(zoho_http, make_adapter, slept) -> None:
    _setup(zoho_http)
    _count(zoho_http, "Leads", 30_000)
    zoho_http.post(BULK, status=201, json=created())
    zoho_http.get(f"{BULK}/{JOB}", json=job("IN PROGRESS"))
    adapter = _bulk_adapter(make_adapter, bulk_poll_interval="10s", bulk_timeout="1m")
    with pytest.raises(FatalApiError, match="did not complete within 60 s; raise bulk_timeout"):
        list(adapter.pull({}))
    assert slept == [10.0] * 6
    assert adapter.api_calls()["GET /bulk/read/{job_id}"] == 6


def test_a_throttled_download_is_retried(zoho_http_ordered, make_adapter, slept) -> None:
    """More than 10 downloads a minute answer 429; the one retry layer waits and repeats."""
    rsps = zoho_http_ordered
    add_token(rsps)
    rsps.get(f"{API}/users", json=load("current_user"))
    _count(rsps, "Leads", 30_000)
    rsps.post(BULK, status=201, json=created())
    rsps.get(f"{BULK}/{JOB}", json=job("COMPLETED"))
    rsps.get(
        f"{BULK}/{JOB}/result",
        status=429,
        json=load("error_too_many_requests"),
        headers={"Retry-After": "60"},
    )
    rsps.get(f"{BULK}/{JOB}/result", **zip_reply(csv_zip(JOB, LEAD_HEADER, LEAD_ROWS)))
    adapter = _bulk_adapter(make_adapter)
    assert sum(len(b.records) for b in adapter.pull({})) == 3
    assert slept == [10.0, 60.0]
    assert adapter.api_calls()["GET /bulk/read/{job_id}/result"] == 2


# --- fallbacks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "logged"),
    [
        pytest.param(
            401, load("error_scope_mismatch"), "lacks the scope ZohoCRM.bulk.read", id="scope-mismatch"
        ),
        pytest.param(
            400, load("bulk_read_field_not_supported"), "FIELD_NOT_SUPPORTED", id="field-not-supported"
        ),
    ],
)
def test_refused_bulk_read_falls_back_to_get_records(
    zoho_http, make_adapter, caplog, status, body, logged
) -> None:
    _setup(zoho_http)
    _count(zoho_http, "Leads", 90_000)
    zoho_http.post(BULK, status=status, json=body)
    zoho_http.get(f"{API}/Leads", json=load("leads_page"))
    adapter = _bulk_adapter(make_adapter)
    with caplog.at_level(logging.WARNING, logger="adapters.zoho.bulk"):
        batches = list(adapter.pull({}))
    assert [len(b.records) for b in batches] == [3] and batches[-1].cursor == WATERMARK
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert logged in caplog.text and "loading Leads with Get Records instead" in caplog.text
    assert adapter.api_calls()["GET /Leads"] == 1


def test_scope_mismatch_on_polling_is_still_an_auth_error(zoho_http, make_adapter) -> None:
    _setup(zoho_http)
    _count(zoho_http, "Leads", 90_000)
    zoho_http.post(BULK, status=201, json=created())
    zoho_http.get(f"{BULK}/{JOB}", status=401, json=load("error_scope_mismatch"))
    with pytest.raises(AuthError, match=r"ZohoCRM\.bulk\.read"):
        list(_bulk_adapter(make_adapter).pull({}))


def test_a_result_missing_a_requested_column_falls_back(zoho_http, make_adapter, caplog) -> None:
    _setup(zoho_http)
    header = [h for h in LEAD_HEADER if h != "Tag"]
    rows = [[v for h, v in zip(LEAD_HEADER, row, strict=True) if h != "Tag"] for row in LEAD_ROWS]
    _count(zoho_http, "Leads", 90_000)
    _job_lifecycle(zoho_http, csv_zip(JOB, header, rows))
    zoho_http.get(f"{API}/Leads", json=load("leads_page"))
    with caplog.at_level(logging.WARNING, logger="adapters.zoho.bulk"):
        batches = list(_bulk_adapter(make_adapter).pull({}))
    assert "lacks the columns Tag" in caplog.text
    assert [len(b.records) for b in batches] == [3]
    assert _labels(zoho_http) == [
        "/Leads/actions/count",
        BULK,
        *[f"{BULK}/{JOB}"] * 3,
        f"{BULK}/{JOB}/result",
        "/Leads",
    ]


# --- activities --------------------------------------------------------------------------------


def test_activities_use_bulk_read_and_link_through_se_module(zoho_http, make_adapter) -> None:
    _setup(zoho_http)
    fields = bulk_fields("Calls", ACTIVITY_FIELDS["Calls"])
    assert fields == list(ACTIVITY_FIELDS["Calls"]) and fields.count("$se_module") == 1
    header = ["Id", *fields]
    by_field = [
        {
            "Owner": "554023000000235011",
            "What_Id": "554023000000536001",
            "Who_Id": "",
            "Call_Start_Time": "2025-03-01T10:30:00+05:30",
            "Call_Type": "Outbound",
            "Outgoing_Call_Status": "Completed",
            "Call_Status": "",
            "Created_Time": "2025-03-01T10:45:00+05:30",
            "Modified_Time": "2025-03-01T10:45:00+05:30",
            "$se_module": "Leads",
        },
        {
            "Owner": "554023000000235022",
            "What_Id": "554023000000550001",
            "Who_Id": "554023000000540001",
            "Call_Start_Time": "2025-03-20T10:00:00+00:00",
            "Call_Type": "Outbound",
            "Outgoing_Call_Status": "Scheduled",
            "Call_Status": "",
            "Created_Time": "2025-03-01T10:45:00+00:00",
            "Modified_Time": "2025-03-01T10:45:00+00:00",
            "$se_module": "Deals",
        },
    ]
    rows = [[f"55402300000060000{i + 1}", *(r[f] for f in fields)] for i, r in enumerate(by_field)]
    _count(zoho_http, "Calls", 120_000)
    _job_lifecycle(zoho_http, csv_zip(JOB, header, rows), module="Calls")
    adapter = make_adapter(modules=["Leads", "Contacts"], activity_modules=["Calls"], bulk_read_above=20_000)
    zoho_http.get(f"{API}/Leads/actions/count", json={"count": 10})
    zoho_http.get(f"{API}/Leads", status=204)
    zoho_http.get(f"{API}/Contacts/actions/count", json={"count": 0})
    zoho_http.get(f"{API}/Contacts", status=204)
    batches = [b for b in adapter.pull({}) if b.stream == "Calls"]
    activities = [a for b in batches for a in b.activities]
    assert [(a.id, a.record, a.owner_id, a.completed) for a in activities] == [
        (
            "554023000000600001",
            RecordRef(adapter="zoho", module=Module.LEADS, id="554023000000536001"),
            "554023000000235011",
            True,
        ),
        (
            "554023000000600002",
            RecordRef(adapter="zoho", module=Module.CONTACTS, id="554023000000540001"),
            "554023000000235022",
            False,
        ),
    ]
    assert batches[-1].cursor == WATERMARK
    create = next(c for c in zoho_http.calls if c.request.url == BULK)
    assert sent_json(create)["query"]["module"] == {"api_name": "Calls"}


# --- pure CSV mapping --------------------------------------------------------------------------


def test_contacts_csv_gives_account_id_and_name() -> None:
    fields = bulk_fields("Contacts", fields_for(Module.CONTACTS, {}))
    assert fields[-1] == "Account_Name.Account_Name"
    row = dict.fromkeys(["Id", *fields], "")
    row.update(
        {
            "Id": "554023000000540001",
            "Owner": "554023000000235011",
            "Account_Name": "554023000000530001",
            "Account_Name.Account_Name": "Zylker, Inc.",
            "Last_Name": "Boyle",
            "Modified_Time": "2025-03-01T09:15:42+01:00",
        }
    )
    raw = to_raw(row, lookup_fields("Contacts"), ZoneInfo("UTC"))
    record = to_record("zoho", Module.CONTACTS, raw, {})
    assert (record.account_id, record.company, record.owner_id) == (
        "554023000000530001",
        "Zylker, Inc.",
        "554023000000235011",
    )
    assert record.modified_at == datetime(2025, 3, 1, 8, 15, 42, tzinfo=UTC)


def test_accounts_account_name_is_text_not_a_lookup() -> None:
    raw = to_raw(
        {"Id": "1", "Account_Name": "Zylker", "Owner": "7"}, lookup_fields("Accounts"), ZoneInfo("UTC")
    )
    assert raw == {"id": "1", "Account_Name": "Zylker", "Owner": {"id": "7"}}


def test_naive_timestamps_take_the_default_zone_and_dates_stay_dates() -> None:
    raw = to_raw(
        {"Id": "1", "Closed_Time": "2025-03-01 09:00:00", "Due_Date": "2025-03-05"},
        lookup_fields("Tasks"),
        ZoneInfo("Europe/Berlin"),
    )
    assert raw["Closed_Time"] == "2025-03-01T09:00:00+01:00" and raw["Due_Date"] == "2025-03-05"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b'{"code":"INTERNAL_ERROR"}', "is not a ZIP file", id="not-a-zip"),
        pytest.param(csv_zip("other", ["Id"], [["1"]]), None, id="single-csv-other-name"),
    ],
)
def test_open_result(content, expected) -> None:
    if expected:
        with pytest.raises(FatalApiError, match=expected):
            open_result(content, JOB)
    else:
        header, rows = open_result(content, JOB)
        assert header == ["Id"] and list(rows) == [{"Id": "1"}]


# --- config ------------------------------------------------------------------------------------


def test_config_defaults_and_durations() -> None:
    config = ZohoAdapterConfig(kind="zoho", client_id="c", client_secret="s")
    assert (config.bulk_read_above, config.bulk_poll_interval, config.bulk_timeout) == (
        20_000,
        timedelta(seconds=10),
        timedelta(minutes=30),
    )
    tuned = ZohoAdapterConfig(
        kind="zoho",
        client_id="c",
        client_secret="s",
        bulk_poll_interval="30s",
        bulk_timeout="2h",
        bulk_read_above=0,
    )
    assert (tuned.bulk_poll_interval, tuned.bulk_timeout, tuned.bulk_read_above) == (
        timedelta(seconds=30),
        timedelta(hours=2),
        0,
    )


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"bulk_read_above": -1}, id="negative-threshold"),
        pytest.param({"bulk_poll_interval": "0s"}, id="zero-interval"),
        pytest.param({"bulk_timeout": "soon"}, id="not-a-duration"),
    ],
)
def test_config_rejects_bad_bulk_settings(overrides) -> None:
    with pytest.raises(ValueError):
        ZohoAdapterConfig(kind="zoho", client_id="c", client_secret="s", **overrides)
