"""The true assignment time from Zoho's Timeline API, for SLA clocks that would start at creation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from strict_zoho import error
from zoho_support import NOW

from adapters.zoho.timeline import owner_assigned_at
from connector.config import parse_config
from connector.store import Store
from connector.sync import SyncOptions, run_sync

ANN, BEN = "554023000000235011", "554023000000235022"
CREATED = NOW - timedelta(days=3)
RULES = {
    "rules": {
        "sla": [
            {"name": "first-contact", "module": "Leads", "first_activity_within": "8h", "on_breach": "flag"}
        ]
    }
}


def _lead(record_id: str, owner: str = ANN) -> dict[str, Any]:
    return {
        "id": record_id,
        "Owner": {"id": owner, "name": owner},
        "Modified_By": {"id": BEN, "name": "Ben"},
        "Created_Time": CREATED.isoformat(),
        "Modified_Time": (NOW - timedelta(hours=1)).isoformat(),
        "Last_Name": f"Lead {record_id}",
        "Lead_Status": "Not Contacted",
        "Converted__s": False,
        "Tag": [],
    }


def _owner_change(at: Any, **extra: Any) -> dict[str, Any]:
    return {
        "audited_time": at.isoformat(),
        "action": "updated",
        "source": "crm_ui",
        "done_by": {"id": BEN, "name": "Ben"},
        "field_history": [{"api_name": "Owner", "id": "1", "_value": {"new": "Ann", "old": "Ben"}}],
        **extra,
    }


def _added() -> dict[str, Any]:
    return {"audited_time": CREATED.isoformat(), "action": "added", "source": "crm_ui", "field_history": None}


@pytest.mark.parametrize(
    ("entries", "more", "expected"),
    [
        pytest.param(
            [_added(), _owner_change(NOW - timedelta(hours=2))],
            False,
            NOW - timedelta(hours=2),
            id="owner-changed",
        ),
        pytest.param(
            [_owner_change(NOW - timedelta(days=2)), _owner_change(NOW - timedelta(hours=5))],
            False,
            NOW - timedelta(hours=5),
            id="the-latest-change",
        ),
        pytest.param(
            [{"audited_time": (NOW - timedelta(hours=1)).isoformat(), "action": "owner_assigned"}],
            False,
            NOW - timedelta(hours=1),
            id="owner-assigned-action",
        ),
        pytest.param([_added()], False, CREATED, id="never-changed-means-since-creation"),
        pytest.param([_added()], True, None, id="more-pages-unknown"),
        pytest.param(
            [{"audited_time": "garbage", "action": "owner_assigned"}, _added()],
            False,
            CREATED,
            id="bad-time-ignored",
        ),
    ],
)
def test_owner_assigned_at(entries: list[dict[str, Any]], more: bool, expected: Any) -> None:
    assert owner_assigned_at(entries, more=more, created_at=CREATED) == expected


def _sync(org: Any, make_adapter: Any, store: Store, now: Any = NOW, **config: Any) -> Any:
    adapter = make_adapter(
        modules=["Leads"], activity_modules=[], poll_deleted=False, store=store, clock=lambda: now, **config
    )
    return run_sync(parse_config(RULES, environ={}), store, {"zoho": adapter}, SyncOptions(now=now))


def test_an_sla_clock_starts_when_the_timeline_says_the_owner_got_the_record(
    org, make_adapter, tmp_path: Path
) -> None:
    org.add("Leads", _lead("1001"), _lead("1002"), _lead("1003"))
    org.timelines[("Leads", "1001")] = [
        _owner_change(NOW - timedelta(hours=2)),
        _added(),
    ]  # reassigned 2 h ago
    org.timelines[("Leads", "1002")] = [_owner_change(NOW - timedelta(hours=10)), _added()]
    # 1003: no timeline entries at all (204): the owner has had it since creation
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        report = _sync(org, make_adapter, store)
        by_id = {f.records[0].id: f for f in report.findings}
        assert sorted(by_id) == ["1002", "1003"]  # 1001's clock started 2 h ago: not late yet
        assert by_id["1002"].details["clock_start_source"] == "timeline"
        assert by_id["1002"].details["clock_start"] == (NOW - timedelta(hours=10)).isoformat()
        assert any("(from timeline)" in line for line in by_id["1002"].evidence)
        assert by_id["1003"].details["clock_start_source"] == "timeline"
        asked = [r for r in org.received if r.path.endswith("/__timeline")]
        assert len(asked) == 3 and {r.query["sort_order"] for r in asked} == {"desc"}

        later = NOW + timedelta(minutes=10)
        org.records["Leads"]["1001"]["Modified_Time"] = later.isoformat()  # pulled again next run
        again = _sync(org, make_adapter, store, later)
        assert sorted(f.records[0].id for f in again.findings) == ["1002", "1003"]
        assert len([r for r in org.received if r.path.endswith("/__timeline")]) == 3  # cached: no new calls
    finally:
        store.close()


def test_a_new_owner_makes_the_cached_time_stale(org, make_adapter, tmp_path: Path) -> None:
    org.add("Leads", _lead("1001"))
    org.timelines[("Leads", "1001")] = [_owner_change(NOW - timedelta(hours=10))]
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        _sync(org, make_adapter, store)
        later = NOW + timedelta(hours=1)
        org.records["Leads"]["1001"].update(Owner={"id": BEN, "name": "Ben"}, Modified_Time=later.isoformat())
        report = _sync(org, make_adapter, store, later)
    finally:
        store.close()
    # Ben's clock starts at the owner change the store saw, not at Ann's cached assignment
    [record] = [r for r in report.records.values() if r.id == "1001"]
    assert record.owner_id == BEN and record.assigned_at is None
    assert report.findings == []


def test_lookups_are_capped_per_run_and_by_the_api_budget(org, make_adapter, tmp_path: Path) -> None:
    org.add("Leads", *(_lead(str(2000 + i)) for i in range(6)))
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        _sync(org, make_adapter, store, timeline_lookups=2)
        assert len([r for r in org.received if r.path.endswith("/__timeline")]) == 2
    finally:
        store.close()
    store = Store.open(f"sqlite:///{tmp_path / 'other.db'}")
    try:  # token, 2 x users, absences and one page spend 5 of 12 calls; half of the 7 left: 3
        report = _sync(org, make_adapter, store, max_api_calls=12, timeline_lookups=100)
        assert report.api_calls["zoho"]["GET /Leads/{id}/__timeline"] == 3
    finally:
        store.close()


def test_a_refused_timeline_warns_once_and_stops_asking(org, make_adapter, tmp_path: Path) -> None:
    org.add("Leads", _lead("1001"), _lead("1002"))
    org.fail("GET", r"/__timeline$", error(403, "NO_PERMISSION", "permission denied"), times=5)
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        report = _sync(org, make_adapter, store)
    finally:
        store.close()
    assert len([r for r in org.received if r.path.endswith("/__timeline")]) == 1
    assert [w.code for w in report.warnings] == ["timeline_unavailable"]
    assert {f.details["clock_start_source"] for f in report.findings} == {"created_at"}


def test_timeline_lookups_zero_never_asks(org, make_adapter, tmp_path: Path) -> None:
    org.add("Leads", _lead("1001"))
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        report = _sync(org, make_adapter, store, timeline_lookups=0)
    finally:
        store.close()
    assert not [r for r in org.received if r.path.endswith("/__timeline")]
    assert [f.details["clock_start_source"] for f in report.findings] == ["created_at"]
