"""``[[rules.sla]]`` validation and the cross-section reference check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from rules.assign.config import AssignmentConfig, TeamConfig
from rules.calendar.config import CalendarConfig
from rules.sla.config import SlaRule, validate_references


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param(
            {},
            "needs exactly one of first_activity_within, no_activity_for, in_status_for "
            r"\(found: none\)",
            id="no-kind",
        ),
        pytest.param(
            {"first_activity_within": "8h", "no_activity_for": "7d"},
            "found: first_activity_within, no_activity_for",
            id="two-kinds",
        ),
        pytest.param({"first_activity_within": "8 hours"}, "is not a duration", id="bad-duration"),
        pytest.param({"first_activity_within": "0h"}, "zero deadline", id="zero"),
        pytest.param(
            {"first_activity_within": "8h", "on_breach": "pool"}, "has no pool_owner", id="pool-no-owner"
        ),
        pytest.param(
            {"first_activity_within": "8h", "on_breach": "delete"},
            "'flag', 'reassign' or 'pool'",
            id="unknown-action",
        ),
        pytest.param({"first_activity_within": "8h", "counts": ["fax"]}, "call", id="unknown-kind"),
        pytest.param({"first_activity_within": "8h", "counts": []}, "counts is empty", id="empty-counts"),
        pytest.param(
            {"first_activity_within": "8h", "max_reassignments": -1}, "is negative", id="negative-max"
        ),
        pytest.param(
            {
                "first_activity_within": "8h",
                "steps": [{"after": "8h", "do": "flag"}, {"after": "4h", "do": "reassign"}],
            },
            "increasing",
            id="unsorted-steps",
        ),
        pytest.param(
            {"first_activity_within": "8h", "steps": [{"after": "3d", "do": "pool"}]},
            "has no pool_owner",
            id="pool-step-no-owner",
        ),
        pytest.param(
            {"in_status_for": {"status": "Qualification"}}, "longer_than", id="in-status-no-duration"
        ),
        pytest.param(
            {"first_activity_within": "8h", "when": {"stauts": ["New"]}},
            '"stauts" is not a record field',
            id="typo-in-when",
        ),
    ],
)
def test_invalid_rule_is_rejected_with_a_hint(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SlaRule.model_validate({"name": "r", **fields})


def test_rule_from_the_issue_parses() -> None:
    rule = SlaRule.model_validate(
        {
            "name": "first-contact-8bh",
            "module": "Leads",
            "when": {"status": ["New", "Not Contacted"]},
            "first_activity_within": "8h",
            "calendar": "cn-office",
            "counts": ["call", "meeting", "email"],
            "on_breach": "reassign",
            "assign_to": "team:inside-sales",
            "max_reassignments": 2,
        }
    )
    assert rule.kind == "first_activity_within"
    assert rule.threshold == timedelta(hours=8)
    assert [(s.after, s.do) for s in rule.ladder] == [(timedelta(hours=8), "reassign")]


def test_validate_references_reports_every_dangling_name_with_a_fix() -> None:
    rules = [
        SlaRule(
            name="a",
            first_activity_within="8h",
            calendar="cn-ofice",
            on_breach="reassign",
            assign_to="team:x",
        ),
        SlaRule(name="a", no_activity_for="7d", on_breach="reassign"),
    ]
    assignment = AssignmentConfig.model_validate({"route": [{"team": "apac"}]})
    problems = validate_references(
        rules, {"cn-office": CalendarConfig()}, {"inside-sales": TeamConfig()}, assignment
    )
    assert problems == [
        'rules.sla[0].calendar: no calendar named "cn-ofice" (add [calendars.cn-ofice] or use one of: cn-office)',
        'rules.sla[0].assign_to: no team named "x" (add [teams.x] or use one of: inside-sales)',
        'rules.sla[1].name: "a" is used by two SLA rules (give each rule its own name)',
        'assignment.route[0].team: no team named "apac" (add [teams.apac] or use one of: inside-sales)',
    ]


def test_reassign_without_team_or_routes_is_reported() -> None:
    rules = [SlaRule(name="a", first_activity_within="8h", on_breach="reassign")]
    (problem,) = validate_references(rules, {}, {}, AssignmentConfig())
    assert "names no team and no [[assignment.route]] exists" in problem


def test_valid_references_give_no_problems() -> None:
    rules = [
        SlaRule(name="a", first_activity_within="8h", calendar="cn", on_breach="reassign", assign_to="team:t")
    ]
    assert validate_references(rules, {"cn": CalendarConfig()}, {"t": TeamConfig()}, AssignmentConfig()) == []
