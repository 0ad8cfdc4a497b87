"""``referee sync --apply`` in a subprocess against a strict fake org served on 127.0.0.1.

The org is small and real-shaped: one customer (Zylker) worked by two reps through a Lead, an
Account and a Deal, with a call, a meeting and a task linked through ``What_Id`` + ``$se_module``;
a new lead nobody called (only a *scheduled* call); and a converted lead. The fake answers only
the fields each request names, as Zoho v8 does, so an activity the adapter cannot link yields
no finding. Assertions stay on findings and on the writes the org received over HTTP, not on how
the adapter batches them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fake_zoho_org import COUNT_SCOPES, DOCUMENTED_SCOPES, FakeZohoOrg

from connector.store import Store
from tests.cli.conftest import run_referee

pytestmark = pytest.mark.e2e

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
BOT, ANN, BEN = "554023000000299999", "554023000000235011", "554023000000235022"
LEAD, ACCOUNT, DEAL = "554023000000536001", "554023000000530001", "554023000000550001"
SILENT_LEAD, CONVERTED_LEAD = "554023000000536002", "554023000000536003"
CONFIG = """
[referee]
state = "sqlite:///{db}"
timezone = "UTC"

[adapters.zoho]
kind = "zoho"
client_id = "${{ZOHO_CLIENT_ID}}"
client_secret = "${{ZOHO_CLIENT_SECRET}}"
refresh_token = "${{ZOHO_REFRESH_TOKEN}}"
accounts_url = "{url}"
api_domain = "{url}"
notes = true

[[identity.match]]
name = "domain"
on = ["domain"]

[[identity.match]]
name = "account-link"
on = ["account"]

[[rules.pursuit]]
name = "two-reps-one-customer"
active_within = "30d"
resolve = "first-touch"
action = "reassign"
tag = "referee:conflict"

[[rules.sla]]
name = "first-contact-8h"
module = "Leads"
when = {{ status = ["New", "Not Contacted"] }}
first_activity_within = "8h"
on_breach = "flag"
tag = "referee:sla-breach"
"""
ENV = {"ZOHO_CLIENT_ID": "1000.cid", "ZOHO_CLIENT_SECRET": "csecret", "ZOHO_REFRESH_TOKEN": "1000.rtoken"}


def _user(user_id: str, name: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "full_name": name,
        "email": f"{name.split()[0].lower()}@zylker.com",
        "status": "active",
        "time_zone": "UTC",
    }


def _ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


def _lookup(user_id: str) -> dict[str, str]:
    return {"id": user_id, "name": user_id}


def build_org(**overrides: Any) -> FakeZohoOrg:
    org = FakeZohoOrg(clock=lambda: NOW, **overrides)
    org.users = [_user(BOT, "Referee Bot"), _user(ANN, "Ann Lee"), _user(BEN, "Ben Ode")]
    org.current_user = BOT
    common = {"Created_Time": _ago(days=10), "Modified_Time": _ago(days=1), "Tag": []}
    org.add(
        "Leads",
        {
            "id": LEAD,
            "Owner": _lookup(ANN),
            "Modified_By": _lookup(ANN),
            **common,
            "Last_Name": "Buyer",
            "Company": "Zylker Ltd",
            "Email": "buyer@zylker.com",
            "Lead_Status": "Contacted",
            "Converted__s": False,
        },
        {
            "id": SILENT_LEAD,
            "Owner": _lookup(ANN),
            "Modified_By": _lookup(ANN),
            "Created_Time": _ago(days=2),
            "Modified_Time": _ago(days=2),
            "Tag": [],
            "Last_Name": "Feltz",
            "Company": "Feltz Printing",
            "Email": "ops@feltz.example",
            "Lead_Status": "Not Contacted",
            "Converted__s": False,
        },
        {
            "id": CONVERTED_LEAD,
            "Owner": _lookup(BEN),
            "Modified_By": _lookup(BEN),
            "Created_Time": _ago(days=3),
            "Modified_Time": _ago(days=1),
            "Tag": [],
            "Last_Name": "Chemel",
            "Company": "Chemel",
            "Email": "it@chemel.example",
            "Lead_Status": "Not Contacted",
            "Converted__s": True,
        },
    )
    org.add(
        "Accounts",
        {
            "id": ACCOUNT,
            "Owner": _lookup(BEN),
            "Modified_By": _lookup(BEN),
            **common,
            "Account_Name": "Zylker Ltd",
            "Website": "https://zylker.com",
        },
    )
    org.add(
        "Deals",
        {
            "id": DEAL,
            "Owner": _lookup(BEN),
            "Modified_By": _lookup(BEN),
            **common,
            "Deal_Name": "Zylker renewal",
            "Stage": "Qualification",
            "Account_Name": {"id": ACCOUNT, "name": "Zylker Ltd"},
        },
    )
    activity = {"Created_Time": _ago(days=2), "Modified_Time": _ago(days=1), "Who_Id": None}
    org.add(
        "Calls",
        {
            "id": "554023000000600001",
            "Owner": _lookup(ANN),
            **activity,
            "What_Id": _lookup(LEAD),
            "$se_module": "Leads",
            "Call_Start_Time": _ago(days=2),
            "Call_Type": "Outbound",
            "Outgoing_Call_Status": "Completed",
        },
        {
            "id": "554023000000600002",
            "Owner": _lookup(ANN),
            **activity,
            "What_Id": _lookup(SILENT_LEAD),
            "$se_module": "Leads",
            "Call_Start_Time": _ago(hours=-3),
            "Call_Type": "Outbound",
            "Outgoing_Call_Status": "Scheduled",
        },
    )  # planned, not made: no contact
    org.add(
        "Events",
        {
            "id": "554023000000610001",
            "Owner": _lookup(BEN),
            **activity,
            "What_Id": _lookup(ACCOUNT),
            "$se_module": "Accounts",
            "Start_DateTime": _ago(days=1),
            "End_DateTime": _ago(hours=23),
            "$event_cancelled": False,
        },
    )
    org.add(
        "Tasks",
        {
            "id": "554023000000620001",
            "Owner": _lookup(BEN),
            **activity,
            "What_Id": _lookup(DEAL),
            "$se_module": "Deals",
            "Status": "Completed",
            "Due_Date": _ago(days=1)[:10],
            "Closed_Time": _ago(hours=20),
        },
    )
    return org


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FakeZohoOrg, Path]]:
    org = build_org()
    with org.serve() as url:
        config = tmp_path / "referee.toml"
        config.write_text(CONFIG.format(db=tmp_path / "state.db", url=url), encoding="utf-8")
        yield org, config


def sync(config: Path, *extra: str) -> Any:
    return run_referee("sync", "-c", str(config), "--now", NOW.isoformat(), *extra, env=ENV)


def test_sync_apply_links_activities_on_lead_account_and_deal_into_findings_and_writes(served) -> None:
    org, config = served
    result = sync(config, "--apply", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)

    assert report["counts"]["activities_pulled"] == 4  # 2 calls, 1 meeting, 1 task: none dropped
    by_kind = {f["kind"]: f for f in report["findings"]}
    assert set(by_kind) == {"pursuit", "sla"} and len(report["findings"]) == 2
    pursuit = by_kind["pursuit"]
    assert {(r["module"], r["id"]) for r in pursuit["records"]} == {
        ("Leads", LEAD),
        ("Accounts", ACCOUNT),
        ("Deals", DEAL),
    }
    assert set(pursuit["owners"]) == {ANN, BEN} and pursuit["keeper"] == ANN  # Ann's call came first
    sla = by_kind["sla"]
    assert [(r["module"], r["id"]) for r in sla["records"]] == [
        ("Leads", SILENT_LEAD)
    ]  # a scheduled call is no contact
    assert CONVERTED_LEAD not in json.dumps(report["findings"])  # converted: not an open lead

    writes = org.writes()
    assert writes and all(200 <= w.status < 300 for w in writes), [(w.path, w.status, w.body) for w in writes]
    written_paths = {w.path for w in writes}
    assert {"/crm/v8/Accounts/actions/change_owner", "/crm/v8/Deals/actions/change_owner"} <= written_paths
    assert org.records["Accounts"][ACCOUNT]["Owner"]["id"] == ANN
    assert org.records["Deals"][DEAL]["Owner"]["id"] == ANN
    assert org.records["Leads"][LEAD]["Owner"]["id"] == ANN
    tags = {
        (m, rid): {t["name"] for t in raw.get("Tag") or []}
        for m, rows in org.records.items()
        for rid, raw in rows.items()
    }
    assert [tags[("Leads", LEAD)], tags[("Accounts", ACCOUNT)], tags[("Deals", DEAL)]] == [
        {"referee:conflict"}
    ] * 3
    assert tags[("Leads", SILENT_LEAD)] == {"referee:sla-breach"}
    assert tags[("Leads", CONVERTED_LEAD)] == set()
    order = [w.path for w in writes]
    assert order.index("/crm/v8/settings/tags") < min(i for i, p in enumerate(order) if p.endswith("/add_tags"))
    assert {t["name"] for t in org.tags["Leads"]} == {"referee:conflict", "referee:sla-breach"}  # made up front
    moved = [w.body["related_modules"] for w in writes if w.path.endswith("/change_owner")]
    assert moved and all(m == [{"api_name": "Tasks"}, {"api_name": "Events"}, {"api_name": "Calls"}] for m in moved)
    assert org.records["Events"]["554023000000610001"]["Owner"]["id"] == ANN  # Ben's meeting on the Account
    assert org.records["Tasks"]["554023000000620001"]["Owner"]["id"] == ANN  # and his task on the Deal
    noted = {(n["Parent_Id"]["module"]["api_name"], n["Parent_Id"]["id"]) for n in org.notes}
    assert {("Leads", LEAD), ("Accounts", ACCOUNT), ("Deals", DEAL), ("Leads", SILENT_LEAD)} <= noted

    leads_call = next(r for r in org.received if r.path == "/crm/v8/Leads" and "page" in r.query)
    assert leads_call.query["converted"] == "both"
    for module in ("Calls", "Events", "Tasks"):
        asked = next(r for r in org.received if r.path == f"/crm/v8/{module}").query["fields"].split(",")
        assert {"What_Id", "$se_module"} <= set(asked)


def test_used_up_credits_stop_the_run_with_one_line_and_exit_3(tmp_path: Path) -> None:
    org = build_org(credits=6)  # enough for the token-free calls up to the first records page or so
    with org.serve() as url:
        config = tmp_path / "referee.toml"
        config.write_text(CONFIG.format(db=tmp_path / "state.db", url=url), encoding="utf-8")
        result = sync(config, "--apply")
    assert result.returncode == 3, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: zoho: the org's daily API credits are used up")
    assert "2025-03-11T09:00+00:00 at the latest" in lines[0]
    assert "Traceback" not in result.stderr
    refused = [r for r in org.received if r.status == 429]
    assert len(refused) == 1  # stopped at the first refusal: never retried
    assert not org.writes()
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        [run] = store.list_runs()
    finally:
        store.close()
    assert run.status == "error" and "daily API credits" in (run.error or "")


def test_a_token_without_the_count_scopes_loads_without_bulk_read_and_says_so(tmp_path: Path) -> None:
    org = build_org(scopes=tuple(s for s in DOCUMENTED_SCOPES if s not in COUNT_SCOPES))
    with org.serve() as url:
        config = tmp_path / "referee.toml"
        config.write_text(CONFIG.format(db=tmp_path / "state.db", url=url), encoding="utf-8")
        result = sync(config, "--format", "json")
        runs = run_referee("runs", "-c", str(config), "--json", env=ENV)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["records_pulled"] == 5
    [warning] = report["warnings"]
    assert warning["code"] == "bulk_read_unavailable"
    assert all(scope in warning["message"] for scope in COUNT_SCOPES)
    counts = [r for r in org.received if r.path.endswith("/actions/count")]
    assert len(counts) == 1 and counts[0].status == 401  # asked once, then never again this run
    assert json.loads(runs.stdout)[0]["warnings"] == [warning]


def test_a_lost_notification_channel_warns_and_the_sync_still_succeeds(served, tmp_path: Path) -> None:
    org, config = served
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:  # a channel Zoho has forgotten, due for renewal
        store.set_value(
            "zoho:zoho",
            "watch",
            json.dumps(
                {
                    "channel_id": "1000000068001",
                    "token": "t" * 40,
                    "notify_url": "https://referee.example.com/webhooks/zoho",
                    "events": ["Leads.all"],
                    "expires_at": (NOW + timedelta(hours=3)).isoformat(),
                }
            ),
        )
    finally:
        store.close()
    result = sync(config, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {f["kind"] for f in report["findings"]} == {"pursuit", "sla"}
    [warning] = report["warnings"]
    assert warning["code"] == "watch_renewal_failed" and "NOT_SUBSCRIBED" in warning["message"]
    assert "referee zoho watch" in warning["message"]
    table = run_referee("runs", "-c", str(config), env=ENV)
    assert "warning: zoho: the notification channel could" in table.stdout

    recreate = run_referee("zoho", "watch", "-c", str(config), env=ENV)
    assert recreate.returncode == 0, recreate.stderr
    assert [r.method for r in org.received if r.path == "/crm/v8/actions/watch"] == [
        "PATCH",
        "DELETE",
        "POST",
    ]
    assert len(org.channels) == 1 and "1000000068001" not in org.channels


def test_doctor_against_the_fake_org_passes_then_names_a_missing_scope(served) -> None:
    org, config = served
    result = run_referee("doctor", "-c", str(config), "--json", env=ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["subject"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["adapter zoho: auth"]["outcome"] == "pass"
    assert checks["adapter zoho: read Leads"]["outcome"] == "pass"
    assert checks["adapter zoho: write reassign"]["outcome"] == "note"  # Zoho cannot test a write scope
    assert not any(w.path for w in org.writes())  # doctor never writes

    org.scopes = tuple(s for s in org.scopes if "calls" not in s.lower() and s != "ZohoCRM.modules.ALL")
    missing = run_referee("doctor", "-c", str(config), "--json", env=ENV)
    assert missing.returncode == 3
    [failure] = [c for c in json.loads(missing.stdout)["checks"] if c["subject"] == "adapter zoho: read Calls"]
    assert failure["outcome"] == "fail" and "ZohoCRM.modules.calls.READ" in failure["fix"]
