"""Late first contacts: the owner reached out after the deadline (``details.outcome = "met-late"``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from connector.domain import ActionType, User, finding_key
from rules.sla.config import SlaRule
from tests.rules.sla.sla_builders import USERS, a_lead, a_rule, an_activity, run, sh

LATE_8BH = a_rule(calendar="cn-office", counts=["call", "meeting"], on_breach="reassign", assign_to="team:inside-sales")
WIDE = a_rule(calendar="cn-office", counts=["call"], report_late_within="30d")


def test_one_hour_late_on_a_make_up_saturday() -> None:
    lead = a_lead(assigned_at=sh(2026, 2, 13, 17, 0))  # Friday; Sat 14 Feb 2026 is a make-up workday (调休)
    call = an_activity(lead, sh(2026, 2, 14, 17, 0))
    findings, actions, _ = run(LATE_8BH, [lead], sh(2026, 2, 16, 10, 0), [call])
    [late] = findings
    assert late.details["outcome"] == "met-late"
    assert late.due_at == sh(2026, 2, 14, 16, 0)
    assert late.details["business_time_late"] == "1h" and late.details["business_seconds_late"] == 3600
    assert late.details["first_contact_at"] == call.occurred_at.isoformat()
    assert late.evidence == (
        "assigned Fri 13 Feb 17:00 (from assigned_at), due Sat 14 Feb 16:00 (8 business hours, cn-office)",
        "first call by the owner u1 on Sat 14 Feb 17:00, 1 business hour late",
        "the lead is being worked now, so it stays with its owner",
    )
    assert actions == []  # on_late = "report" (default): never reassigned, even with on_breach = "reassign"


def test_late_across_a_holiday_counts_business_time_only() -> None:
    lead = a_lead(assigned_at=sh(2026, 9, 30, 14, 0))  # due Thu 8 Oct 13:00, after National Day
    call = an_activity(lead, sh(2026, 10, 8, 15, 30))
    [late] = run(WIDE, [lead], sh(2026, 10, 9, 10, 0), [call])[0]
    assert late.due_at == sh(2026, 10, 8, 13, 0)
    assert late.details["business_time_late"] == "2h30m"  # eight calendar days, 2.5 business hours
    on_time = an_activity(lead, sh(2026, 10, 8, 12, 0))
    assert run(WIDE, [lead], sh(2026, 10, 9, 10, 0), [on_time])[0] == []


def test_a_colleagues_late_call_does_not_count_but_the_owners_does() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9, 0))
    colleague = an_activity(lead, sh(2026, 1, 13, 11, 0), owner="u2")
    [missed] = run(WIDE, [lead], sh(2026, 1, 14, 10, 0), [colleague])[0]
    assert missed.details.get("outcome") != "met-late" and missed.details["step"] == 1
    owner = an_activity(lead, sh(2026, 1, 13, 15, 0))
    [late] = run(WIDE, [lead], sh(2026, 1, 14, 10, 0), [colleague, owner])[0]
    assert late.details["outcome"] == "met-late" and late.owners == ("u1",)
    assert late.details["first_contact_at"] == owner.occurred_at.isoformat()


def test_an_activity_before_assignment_does_not_count() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9, 0))
    before = an_activity(lead, sh(2026, 1, 9, 16, 0))
    [missed] = run(WIDE, [lead], sh(2026, 1, 14, 10, 0), [before])[0]
    assert missed.details.get("outcome") != "met-late"
    late = an_activity(lead, sh(2026, 1, 13, 12, 0))
    [found] = run(WIDE, [lead], sh(2026, 1, 14, 10, 0), [before, late])[0]
    assert found.details["first_contact_at"] == late.occurred_at.isoformat()
    assert found.details["business_time_late"] == "4h"  # due Mon 17:00, called Tue 12:00


def test_reported_once_since_the_previous_run() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9, 0))
    call = an_activity(lead, sh(2026, 1, 13, 12, 0))
    rule = a_rule(calendar="cn-office", counts=["call"])
    assert len(run(rule, [lead], sh(2026, 1, 13, 13, 0), [call], previous_run_at=sh(2026, 1, 13, 11, 0))[0]) == 1
    assert run(rule, [lead], sh(2026, 1, 13, 14, 0), [call], previous_run_at=sh(2026, 1, 13, 13, 0))[0] == []


def test_first_run_looks_back_seven_days() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9, 0))
    call = an_activity(lead, sh(2026, 1, 13, 12, 0))
    rule = a_rule(calendar="cn-office", counts=["call"])
    assert len(run(rule, [lead], sh(2026, 1, 20, 11, 0), [call])[0]) == 1
    assert run(rule, [lead], sh(2026, 1, 20, 13, 0), [call])[0] == []


def test_a_long_window_never_reports_a_known_contact_twice() -> None:
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9, 0))
    call = an_activity(lead, sh(2026, 1, 13, 12, 0))
    [late] = run(WIDE, [lead], sh(2026, 1, 14, 10, 0), [call])[0]
    assert run(WIDE, [lead], sh(2026, 1, 15, 10, 0), [call], reported=frozenset({finding_key(late)}))[0] == []
    # the missed breach before the contact has the same fingerprint but its own history key
    assert finding_key(late) != late.fingerprint


def test_on_late_flag_tags_and_notes_once() -> None:
    rule = a_rule(calendar="cn-office", counts=["call"], on_late="flag", on_breach="pool", pool_owner="u-pool")
    lead = a_lead(assigned_at=sh(2026, 1, 12, 9, 0))
    call = an_activity(lead, sh(2026, 1, 13, 12, 0))
    [late], actions, _ = run(rule, [lead], sh(2026, 1, 14, 10, 0), [call])
    assert [a.type for a in actions] == [ActionType.FLAG, ActionType.NOTE]
    assert actions[0].tag == "referee:sla-breach" and "4 business hours late" in (actions[1].text or "")
    assert late.details["do"] == "flag"
    again = run(rule, [lead], sh(2026, 1, 14, 11, 0), [call])[1]
    assert [a.idempotency_key for a in again] == [a.idempotency_key for a in actions]
    tagged = lead.model_copy(update={"tags": ("referee:sla-breach",)})
    assert run(rule, [tagged], sh(2026, 1, 14, 10, 0), [call])[1] == []


def test_late_contact_in_chinese_names_the_owner() -> None:
    users = {**USERS, "u1": User(id="u1", name="李娜")}
    lead = a_lead(assigned_at=sh(2026, 2, 13, 17, 0))
    call = an_activity(lead, sh(2026, 2, 14, 17, 0))
    [late] = run(LATE_8BH, [lead], sh(2026, 2, 16, 10, 0), [call], users=users, language="zh-CN")[0]
    assert late.evidence[1] == "首次跟进超时：负责人 李娜 的第一次电话在 2月14日（周六）17:00，晚了 1 个工作小时"


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"no_activity_for": "7d", "on_late": "flag"}, id="on_late-on-a-follow-up-rule"),
        pytest.param({"first_activity_within": "8h", "report_late_within": "0s"}, id="zero-window"),
        pytest.param({"first_activity_within": "8h", "report_late_within": "400d"}, id="window-too-long"),
        pytest.param({"first_activity_within": "8h", "on_late": "reassign"}, id="late-is-never-reassigned"),
    ],
)
def test_bad_late_settings_are_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        SlaRule.model_validate({"name": "r", **fields})


def test_window_setting_is_a_duration() -> None:
    assert a_rule(report_late_within="2d").report_late_within == timedelta(days=2)
