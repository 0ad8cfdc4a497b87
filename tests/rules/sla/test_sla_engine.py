"""SLA rule kinds and the tricky cases: weekends, holidays, make-up days, colleagues, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.domain import ActionType, Finding, OwnerChange
from rules.snapshot import Reassignment
from tests.rules.sla.sla_builders import NY, a_deal, a_lead, a_rule, an_activity, run, sh

FLAG_8BH = a_rule(calendar="cn-office", counts=["call", "meeting"])


def test_friday_1730_assignment_with_monday_1000_call_is_not_a_breach() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 9, 17, 30))
    call = an_activity(lead, sh(2026, 1, 12, 10, 0))
    assert run(FLAG_8BH, [lead], sh(2026, 1, 12, 9, 30)) == ([], [], {})
    assert run(FLAG_8BH, [lead], sh(2026, 1, 13, 9, 0), [call])[0] == []
    wall_clock = a_rule(counts=["call"])
    assert len(run(wall_clock, [lead], sh(2026, 1, 12, 9, 30))[0]) == 1


def test_friday_breach_says_it_in_words() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 9, 17, 30))
    findings, actions, _ = run(FLAG_8BH, [lead], sh(2026, 1, 12, 17, 0))
    (finding,) = findings
    assert finding.evidence[0] == (
        "assigned Fri 09 Jan 17:30 (from assigned_at), due Mon 12 Jan 16:30 (8 business hours, cn-office)"
    )
    assert finding.evidence[1] == "no call or meeting by the owner u1"
    assert finding.evidence[2] == "8.5 business hours elapsed"
    assert finding.due_at == finding.breached_at == sh(2026, 1, 12, 16, 30)
    assert finding.details["calendar"] == "cn-office"
    assert finding.details["clock_start_source"] == "assigned_at"
    assert finding.details["business_time_elapsed"] == "8h30m"
    assert [a.type for a in actions] == [ActionType.FLAG, ActionType.NOTE]
    assert actions[0].tag == "referee:sla-breach"
    assert "due Mon 12 Jan 16:30" in actions[1].text


def test_assigned_the_day_before_national_day_is_due_after_the_holiday() -> None:
    lead = a_lead(assigned_at=sh(2026, 9, 30, 14, 0))
    assert run(FLAG_8BH, [lead], sh(2026, 10, 7, 23, 0))[0] == []
    (finding,) = run(FLAG_8BH, [lead], sh(2026, 10, 8, 14, 0))[0]
    assert finding.due_at == sh(2026, 10, 8, 13, 0)


def test_make_up_saturday_is_a_working_day() -> None:
    lead = a_lead(assigned_at=sh(2026, 2, 13, 17, 0))  # Friday; Saturday 14 Feb is a make-up day
    (finding,) = run(FLAG_8BH, [lead], sh(2026, 2, 14, 17, 0))[0]
    assert finding.due_at == sh(2026, 2, 14, 16, 0)
    ordinary = a_lead(assigned_at=sh(2026, 1, 16, 17, 0))  # Saturday 17 Jan is not
    assert run(FLAG_8BH, [ordinary], sh(2026, 1, 17, 17, 0))[0] == []


def test_a_colleagues_call_does_not_count() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9, 0))
    colleague = an_activity(lead, sh(2026, 1, 12, 10, 0), owner="u2")
    (finding,) = run(FLAG_8BH, [lead], sh(2026, 1, 13, 10, 0), [colleague])[0]
    assert finding.owners == ("u1",)


def test_an_activity_before_assignment_does_not_count() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9, 0))
    earlier = an_activity(lead, sh(2026, 1, 11, 20, 0))
    assert len(run(FLAG_8BH, [lead], sh(2026, 1, 13, 10, 0), [earlier])[0]) == 1


@pytest.mark.parametrize(
    ("activity", "breached"),
    [
        pytest.param({"kind": "note"}, True, id="note-does-not-count"),
        pytest.param({"kind": "email"}, True, id="kind-not-in-counts"),
        pytest.param({"completed": False}, True, id="open-task-does-not-count"),
        pytest.param({"kind": "meeting"}, False, id="meeting-counts"),
    ],
)
def test_only_counted_completed_kinds_satisfy_the_rule(activity: dict, breached: bool) -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9, 0))
    act = an_activity(lead, sh(2026, 1, 12, 10, 0), **activity)
    assert bool(run(FLAG_8BH, [lead], sh(2026, 1, 13, 10, 0), [act])[0]) is breached


def test_default_counts_are_everything_but_notes() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9, 0))
    rule = a_rule(calendar="cn-office")
    for kind in ("call", "meeting", "task", "email"):
        assert (
            run(rule, [lead], sh(2026, 1, 14), [an_activity(lead, sh(2026, 1, 12, 10), kind=kind)])[0] == []
        )
    assert run(rule, [lead], sh(2026, 1, 14), [an_activity(lead, sh(2026, 1, 12, 10), kind="note")])[0]


def test_dst_in_new_york_uses_local_office_hours() -> None:
    lead = a_lead(assigned_at=datetime(2026, 3, 6, 16, 0, tzinfo=NY))  # Friday EST
    rule = a_rule(calendar="ny-office", first_activity_within="2h")
    assert run(rule, [lead], datetime(2026, 3, 9, 9, 59, tzinfo=NY))[0] == []
    (finding,) = run(rule, [lead], datetime(2026, 3, 9, 10, 0, tzinfo=NY))[0]
    assert finding.due_at == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # 10:00 EDT


@pytest.mark.parametrize(
    ("fields", "source", "start"),
    [
        pytest.param(
            {"assigned_at": sh(2026, 1, 12, 9), "created_at": sh(2026, 1, 1)},
            "assigned_at",
            sh(2026, 1, 12, 9),
            id="crm-assigned-at-first",
        ),
        pytest.param(
            {"created_at": sh(2026, 1, 1)}, "owner change", sh(2026, 1, 12, 9), id="owner-change-next"
        ),
    ],
)
def test_clock_start_sources(fields: dict, source: str, start: datetime) -> None:
    lead = a_lead(**fields)
    change = OwnerChange(record=lead.ref, old_owner_id="u9", new_owner_id="u1", seen_at=sh(2026, 1, 12, 9))
    (finding,) = run(FLAG_8BH, [lead], sh(2026, 1, 14), owner_changes=[change])[0]
    assert finding.details["clock_start_source"] == source
    assert finding.details["clock_start"] == start.isoformat()


def test_clock_start_falls_back_to_created_at_and_ignores_changes_to_other_owners() -> None:
    lead = a_lead(created_at=sh(2026, 1, 12, 9))
    other = OwnerChange(record=lead.ref, old_owner_id="u1", new_owner_id="u2", seen_at=sh(2026, 1, 13, 9))
    (finding,) = run(FLAG_8BH, [lead], sh(2026, 1, 14), owner_changes=[other])[0]
    assert finding.details["clock_start_source"] == "created_at"


def test_a_later_reassignment_overrides_a_stale_crm_assigned_at() -> None:
    lead = a_lead(owner="u2", assigned_at=sh(2026, 1, 5, 9))
    move = Reassignment(
        record=lead.ref, rule="first-contact", from_owner="u1", to_owner="u2", at=sh(2026, 1, 13, 9)
    )
    assert run(FLAG_8BH, [lead], sh(2026, 1, 13, 15), reassignments=[move])[0] == []
    (finding,) = run(FLAG_8BH, [lead], sh(2026, 1, 14, 9, 30), reassignments=[move])[0]
    assert finding.details["clock_start_source"] == "reassignment"


def test_record_without_any_timestamp_or_owner_is_skipped() -> None:
    assert (
        run(FLAG_8BH, [a_lead(), a_lead("L2", owner=None, assigned_at=sh(2026, 1, 1))], sh(2026, 2, 1))[0]
        == []
    )


def test_when_filters_on_record_fields() -> None:
    rule = a_rule(calendar="cn-office", when={"status": ["New", "Not Contacted"], "country_not": ["US"]})
    records = [
        a_lead("L1", assigned_at=sh(2026, 1, 5, 9)),
        a_lead("L2", status="Contacted", assigned_at=sh(2026, 1, 5, 9)),
        a_lead("L3", status="not contacted", assigned_at=sh(2026, 1, 5, 9), country="CN"),
        a_lead("L4", assigned_at=sh(2026, 1, 5, 9), country="US"),
        a_deal("D1", status="New", assigned_at=sh(2026, 1, 5, 9)),
    ]
    findings = run(rule, records, sh(2026, 1, 14))[0]
    assert [f.records[0].id for f in findings] == ["L1", "L3"]


def test_no_activity_for_counts_from_the_owners_last_activity() -> None:
    rule = a_rule(first_activity_within=None, no_activity_for="7d", name="follow-up-7d")
    lead = a_lead(assigned_at=sh(2026, 1, 1, 9))
    calls = [an_activity(lead, sh(2026, 1, 2, 10)), an_activity(lead, sh(2026, 1, 5, 10))]
    colleague = an_activity(lead, sh(2026, 1, 10, 10), owner="u2")
    assert run(rule, [lead], sh(2026, 1, 12, 9), [*calls, colleague])[0] == []
    (finding,) = run(rule, [lead], sh(2026, 1, 12, 11), [*calls, colleague])[0]
    assert finding.due_at == sh(2026, 1, 12, 10)
    assert (
        finding.evidence[1]
        == "last call by the owner Mon 05 Jan 02:00 UTC, due Mon 12 Jan 02:00 UTC (7d, wall-clock)"
    )
    silent = a_lead("L2", assigned_at=sh(2026, 1, 1, 9))
    (never,) = run(rule, [silent], sh(2026, 1, 8, 9))[0]
    assert never.due_at == sh(2026, 1, 8, 9)


def test_in_status_for_flags_deals_stuck_in_a_status() -> None:
    rule = a_rule(
        name="stuck",
        module="Deals",
        first_activity_within=None,
        in_status_for={"status": "Qualification", "longer_than": "14d"},
    )
    stuck = a_deal("D1", created_at=sh(2026, 1, 1))
    moved_on = a_deal("D2", status="Proposal", created_at=sh(2026, 1, 1))
    recent = a_deal("D3", extra={"status_changed_at": "2026-01-10T00:00:00+08:00"}, created_at=sh(2026, 1, 1))
    findings, actions, _ = run(rule, [stuck, moved_on, recent], sh(2026, 1, 20))
    assert [f.records[0].id for f in findings] == ["D1"]
    assert (
        findings[0]
        .evidence[0]
        .startswith("in status Qualification since Wed 31 Dec 16:00 UTC (from created_at)")
    )
    assert actions[0].type == ActionType.FLAG
    (late,) = run(rule, [recent], sh(2026, 1, 25))[0]
    assert late.details["clock_start_source"] == "status_changed_at"


def test_already_tagged_record_gets_no_second_flag() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 5, 9), tags=("referee:sla-breach",))
    findings, actions, _ = run(FLAG_8BH, [lead], sh(2026, 1, 14))
    assert len(findings) == 1
    assert actions == []
    assert findings[0].details["outcome"] == "already flagged referee:sla-breach"


def test_custom_tag_and_notes_off() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 5, 9))
    rule = a_rule(calendar="cn-office", tag="overdue", notes=False)
    (action,) = run(rule, [lead], sh(2026, 1, 14))[1]
    assert action.tag == "overdue"


def test_keys_are_stable_across_runs_and_findings_validate() -> None:
    leads = [a_lead(f"L{i}", assigned_at=sh(2026, 1, 5, 9)) for i in range(3)]
    first = run(FLAG_8BH, leads, sh(2026, 1, 14))
    second = run(FLAG_8BH, list(reversed(leads)), sh(2026, 1, 15))
    assert [a.idempotency_key for a in first[1]] == [a.idempotency_key for a in second[1]]
    assert len({a.idempotency_key for a in first[1]}) == 6
    for finding in first[0]:
        assert Finding.model_validate(finding.model_dump()) == finding


def test_future_activity_does_not_count_yet() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9))
    planned = an_activity(lead, sh(2026, 1, 20, 9))
    assert len(run(FLAG_8BH, [lead], sh(2026, 1, 14), [planned])[0]) == 1


def test_records_owned_by_the_pool_are_left_alone() -> None:
    rule = a_rule(on_breach="pool", pool_owner="u-pool")
    lead = a_lead(owner="u-pool", assigned_at=sh(2026, 1, 1))
    assert run(rule, [lead], sh(2026, 2, 1)) == ([], [], {})


def test_elapsed_is_reported_in_business_time() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9))
    (finding,) = run(FLAG_8BH, [lead], sh(2026, 1, 13, 12))[0]
    assert finding.details["business_seconds_elapsed"] == int(timedelta(hours=12).total_seconds())


def test_records_sharing_an_id_across_modules_keep_their_own_activities() -> None:
    lead = a_lead("X1", assigned_at=sh(2026, 1, 12, 9))
    deal = a_deal("X1", assigned_at=sh(2026, 1, 12, 9))
    call_on_deal = an_activity(deal, sh(2026, 1, 12, 10))
    rule = a_rule(calendar="cn-office")
    assert [f.records[0].module for f in run(rule, [lead, deal], sh(2026, 1, 14), [call_on_deal])[0]] == [
        "Leads"
    ]
    call_on_lead = an_activity(lead, sh(2026, 1, 12, 10))
    assert run(rule, [lead, deal], sh(2026, 1, 14), [call_on_lead])[0] == []


def test_the_garbage_collector_setting_is_restored() -> None:
    import gc

    lead = a_lead(assigned_at=sh(2026, 1, 5, 9))
    assert gc.isenabled()
    run(FLAG_8BH, [lead], sh(2026, 1, 14))
    assert gc.isenabled()
    gc.disable()
    try:
        run(FLAG_8BH, [lead], sh(2026, 1, 14))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_when_can_filter_on_custom_fields() -> None:
    rule = a_rule(calendar="cn-office", when={"extra.lead_source": "Website", "tags_not": ["vip"]})
    records = [
        a_lead("L1", assigned_at=sh(2026, 1, 5, 9), extra={"lead_source": "website"}),
        a_lead("L2", assigned_at=sh(2026, 1, 5, 9), extra={"lead_source": "Trade show"}),
        a_lead("L3", assigned_at=sh(2026, 1, 5, 9), extra={"lead_source": "Website"}, tags=("vip",)),
    ]
    assert [f.records[0].id for f in run(rule, records, sh(2026, 1, 14))[0]] == ["L1"]
