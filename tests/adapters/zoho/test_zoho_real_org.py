"""What a real org sends that a kind fake hides: converted leads, deleted and re-linked activities,
fields an org lacks, refused record counts, the UK data center. All against the strict org fake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fake_zoho_org import COUNT_SCOPES, DOCUMENTED_SCOPES
from strict_zoho import error
from zoho_support import NOW, load

from connector.config import parse_config
from connector.store import Store
from connector.sync import SyncOptions, run_sync

ANN, BEN = "554023000000235011", "554023000000235022"
WATERMARK = (NOW - timedelta(minutes=1)).isoformat(timespec="seconds")


def _lead(
    record_id: str, *, converted: bool, status: str = "Not Contacted", owner: str = ANN
) -> dict[str, Any]:
    return {
        "id": record_id,
        "Owner": {"id": owner, "name": owner},
        "Modified_By": {"id": owner, "name": owner},
        "Created_Time": (NOW - timedelta(days=3)).isoformat(),
        "Modified_Time": (NOW - timedelta(days=1)).isoformat(),
        "Last_Name": f"Lead {record_id}",
        "Lead_Status": status,
        "Converted__s": converted,
        "Tag": [],
    }


def _call(call_id: str, lead: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": call_id,
        "Owner": {"id": ANN, "name": "Ann"},
        "What_Id": {"id": lead, "name": "x"},
        "$se_module": "Leads",
        "Who_Id": None,
        "Call_Start_Time": (NOW - timedelta(hours=5)).isoformat(),
        "Call_Type": "Outbound",
        "Outgoing_Call_Status": "Completed",
        "Created_Time": (NOW - timedelta(hours=5)).isoformat(),
        "Modified_Time": (NOW - timedelta(hours=5)).isoformat(),
        **fields,
    }


def test_converted_leads_are_read_and_carry_status_converted(org, make_adapter) -> None:
    org.add("Leads", _lead("1001", converted=False), _lead("1002", converted=True, status="Contacted"))
    adapter = make_adapter(modules=["Leads"], activity_modules=[], poll_deleted=False)
    records = {r.id: r for b in adapter.pull({}) for r in b.records}
    assert (records["1001"].status, records["1002"].status) == ("Not Contacted", "Converted")
    assert records["1002"].extra["lead_status"] == "Contacted"
    [listing] = [r for r in org.received if r.path == "/crm/v8/Leads"]
    assert listing.query["converted"] == "both"  # Zoho's default (false) hides converted leads
    fetched = adapter.fetch_records([records["1002"].ref])
    assert [r.status for r in fetched] == ["Converted"]


def test_a_converted_lead_leaves_open_lead_rules_through_the_whole_sync(
    org, make_adapter, tmp_path: Path
) -> None:
    org.add("Leads", _lead("1001", converted=False), _lead("1002", converted=False))
    config = parse_config(
        {
            "rules": {
                "sla": [
                    {
                        "name": "first-contact",
                        "module": "Leads",
                        "when": {"status": ["Not Contacted"]},
                        "first_activity_within": "8h",
                    }
                ]
            }
        },
        environ={},
    )
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        adapter = make_adapter(modules=["Leads"], activity_modules=[], poll_deleted=False, store=store)
        first = run_sync(config, store, {"zoho": adapter}, SyncOptions(now=NOW))
        assert sorted(f.records[0].id for f in first.findings) == ["1001", "1002"]
        org.records["Leads"]["1002"].update(Converted__s=True, Modified_Time=NOW.isoformat())
        later = make_adapter(
            modules=["Leads"],
            activity_modules=[],
            poll_deleted=False,
            store=store,
            clock=lambda: NOW + timedelta(minutes=5),
        )
        second = run_sync(config, store, {"zoho": later}, SyncOptions(now=NOW + timedelta(minutes=5)))
    finally:
        store.close()
    assert [f.records[0].id for f in second.findings] == ["1001"]


def test_deleted_and_relinked_activities_stop_counting(org, make_adapter, tmp_path: Path) -> None:
    org.add("Leads", _lead("1001", converted=False), _lead("1002", converted=False))
    org.add("Calls", _call("7001", "1001"), _call("7002", "1002"))
    config = parse_config({}, environ={})
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        adapter = make_adapter(modules=["Leads"], activity_modules=["Calls"], store=store)
        run_sync(config, store, {"zoho": adapter}, SyncOptions(now=NOW))
        assert sorted(a.id for a in store.load_activities()) == ["7001", "7002"]

        later_now = NOW + timedelta(minutes=10)
        org.delete("Calls", "7001", at=NOW)
        org.records["Calls"]["7002"].update(
            What_Id=None, **{"$se_module": None, "Modified_Time": NOW.isoformat()}
        )
        later = make_adapter(
            modules=["Leads"], activity_modules=["Calls"], store=store, clock=lambda: later_now
        )
        report = run_sync(config, store, {"zoho": later}, SyncOptions(now=later_now))
        assert store.load_activities() == []  # 7001 deleted in Zoho, 7002 no longer linked to a lead
    finally:
        store.close()
    deleted_polls = [r for r in org.received if r.path == "/crm/v8/Calls/deleted"]
    assert len(deleted_polls) == 1 and deleted_polls[0].status == 200  # first run skips the poll
    assert report.api_calls["zoho"]["GET /Calls/deleted"] == 1


def test_an_org_without_a_call_status_field_still_loads_its_calls(org, make_adapter) -> None:
    org.schema["Calls"] = org.schema["Calls"] - {"Call_Status"}
    org.add("Calls", _call("7001", "1001"))
    adapter = make_adapter(modules=["Leads"], activity_modules=["Calls"], poll_deleted=False)
    activities = [a for b in adapter.pull({}) if b.stream == "Calls" for a in b.activities]
    assert [(a.id, a.completed) for a in activities] == [("7001", True)]
    calls = [r for r in org.received if r.path == "/crm/v8/Calls"]
    assert [r.status for r in calls] == [400, 200]
    assert "Call_Status" not in calls[1].query["fields"].split(",")


@pytest.mark.parametrize(
    "refusal",
    [
        pytest.param("scope", id="scope-mismatch-401"),
        pytest.param("permission", id="no-permission-403"),
    ],
)
def test_a_refused_record_count_means_no_bulk_read_with_one_warning(org, make_adapter, refusal: str) -> None:
    if refusal == "scope":
        org.scopes = tuple(s for s in DOCUMENTED_SCOPES if s not in COUNT_SCOPES)
    else:
        org.fail("GET", r"/actions/count$", error(403, "NO_PERMISSION", "permission denied"), times=5)
    org.add("Leads", _lead("1001", converted=False))
    adapter = make_adapter(modules=["Leads", "Contacts"], activity_modules=["Calls"], bulk_read_above=1)
    batches = list(adapter.pull({}))
    assert [r.id for b in batches for r in b.records] == ["1001"]
    assert len([r for r in org.received if r.path.endswith("/actions/count")]) == 1  # not asked again
    [warning] = adapter.drain_warnings()
    assert warning.code == "bulk_read_unavailable" and warning.adapter == "zoho"
    assert "ZohoSearch.securesearch.READ and ZohoCRM.settings.layouts.READ" in warning.message
    assert adapter.drain_warnings() == []


def test_uk_data_center_takes_its_token_from_accounts_zoho_uk(zoho_http, make_adapter) -> None:
    zoho_http.post(
        "https://accounts.zoho.uk/oauth/v2/token", json={**load("token"), "api_domain": "https://www.zohoapis.uk"}
    )
    zoho_http.get("https://www.zohoapis.uk/crm/v8/users", json=load("users"))
    adapter = make_adapter(data_center="uk", pull_unavailability=False)
    assert len(adapter.pull_users()) == 2
    assert [c.request.url.split("?")[0] for c in zoho_http.calls] == [
        "https://accounts.zoho.uk/oauth/v2/token",
        "https://www.zohoapis.uk/crm/v8/users",
    ]
