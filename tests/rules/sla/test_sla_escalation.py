"""Breach outcomes: reassign fairly, respect limits, fall back to the pool, climb ladders."""

from __future__ import annotations

from connector.domain import ActionType
from rules.assign.config import AssignmentConfig, TeamConfig
from rules.snapshot import Reassignment
from tests.rules.sla.sla_builders import a_lead, a_rule, an_activity, run, sh

REASSIGN = a_rule(
    calendar="cn-office",
    on_breach="reassign",
    assign_to="team:inside-sales",
    max_reassignments=2,
    pool_owner="u-pool",
)
ASSIGNED = sh(2026, 1, 12, 9)
NOW = sh(2026, 1, 14, 9)


def moves(actions: list) -> list[tuple[str, str | None, str | None]]:
    return [
        (a.target.id, a.previous_owner_id, a.new_owner_id) for a in actions if a.type == ActionType.REASSIGN
    ]


def test_breach_reassigns_by_round_robin_with_one_note() -> None:
    lead = a_lead(assigned_at=ASSIGNED)
    findings, actions, state = run(REASSIGN, [lead], NOW)
    assert moves(actions) == [("L1", "u1", "u2")]
    assert [a.type for a in actions] == [ActionType.REASSIGN, ActionType.NOTE]
    assert actions[1].text.startswith('crm-referee: SLA "first-contact"')
    assert "Reassigned from u1 to u2: assigned to u2 by round robin in team inside-sales" in actions[1].text
    assert findings[0].details["new_owner"] == "u2"
    assert state == {"round-robin:inside-sales": "u2"}


def test_reassigned_record_starts_a_fresh_clock_so_the_next_run_does_nothing() -> None:
    moved = a_lead(owner="u2", assigned_at=ASSIGNED)
    history = [Reassignment(record=moved.ref, rule="first-contact", from_owner="u1", to_owner="u2", at=NOW)]
    assert run(REASSIGN, [moved], sh(2026, 1, 14, 15), reassignments=history) == ([], [], {})


def test_never_reassigned_back_to_the_rep_who_just_lost_it() -> None:
    moved = a_lead(owner="u2", assigned_at=ASSIGNED)
    history = [
        Reassignment(record=moved.ref, rule="first-contact", from_owner="u1", to_owner="u2", at=ASSIGNED)
    ]
    state = {"round-robin:inside-sales": "u3"}  # next in rotation would be u1
    _, actions, _ = run(REASSIGN, [moved], NOW, reassignments=history, state=state)
    assert moves(actions) == [("L1", "u2", "u3")]


def test_after_max_reassignments_the_record_goes_to_the_pool() -> None:
    lead = a_lead(owner="u3", assigned_at=ASSIGNED)
    history = [
        Reassignment(
            record=lead.ref, rule="first-contact", from_owner="u1", to_owner="u2", at=sh(2026, 1, 5)
        ),
        Reassignment(
            record=lead.ref, rule="first-contact", from_owner="u2", to_owner="u3", at=sh(2026, 1, 8)
        ),
    ]
    findings, actions, _ = run(REASSIGN, [lead], NOW, reassignments=history)
    assert moves(actions) == [("L1", "u3", "u-pool")]
    assert (
        "already reassigned 2 time(s) by this rule (max_reassignments = 2)" in findings[0].details["outcome"]
    )


def test_after_max_reassignments_without_a_pool_it_is_only_flagged() -> None:
    rule = REASSIGN.model_copy(update={"pool_owner": None, "max_reassignments": 0})
    findings, actions, _ = run(rule, [a_lead(assigned_at=ASSIGNED)], NOW)
    assert [a.type for a in actions] == [ActionType.FLAG, ActionType.NOTE]
    assert findings[0].details["outcome"].startswith("flagged because already reassigned 0 time(s)")


def test_nobody_eligible_goes_to_the_pool_with_the_reason() -> None:
    teams = {"inside-sales": TeamConfig(members=("u1", "u2"), max_open=1)}
    leads = [a_lead(assigned_at=ASSIGNED), a_lead("X", owner="u2", status="Contacted")]
    findings, actions, _ = run(REASSIGN, leads, NOW, teams=teams)
    assert moves(actions) == [("L1", "u1", "u-pool")]
    outcome = findings[0].details["outcome"]
    assert "u1 just lost this record" in outcome
    assert "u2 is at capacity (1 open, max 1)" in outcome


def test_unavailable_member_is_skipped() -> None:
    config = AssignmentConfig.model_validate(
        {
            "unavailable": [{"user": "u2", "from": "2026-01-13", "to": "2026-01-20"}],
            "timezone": "Asia/Shanghai",
        }
    )
    _, actions, _ = run(REASSIGN, [a_lead(assigned_at=ASSIGNED)], NOW, assignment=config)
    assert moves(actions) == [("L1", "u1", "u3")]


def test_several_breaches_in_one_run_share_the_rotation_and_loads() -> None:
    leads = [a_lead(f"L{i}", assigned_at=ASSIGNED) for i in range(4)]
    _, actions, state = run(REASSIGN, leads, NOW)
    assert moves(actions) == [("L0", "u1", "u2"), ("L1", "u1", "u3"), ("L2", "u1", "u2"), ("L3", "u1", "u3")]
    assert state == {"round-robin:inside-sales": "u3"}
    capped = {"inside-sales": TeamConfig(members=("u1", "u2", "u3"), max_open=1)}
    _, actions, _ = run(REASSIGN, leads, NOW, teams=capped)
    assert moves(actions) == [
        ("L0", "u1", "u2"),
        ("L1", "u1", "u3"),
        ("L2", "u1", "u-pool"),
        ("L3", "u1", "u-pool"),
    ]


def test_reassign_key_does_not_depend_on_who_is_picked() -> None:
    lead = a_lead(assigned_at=ASSIGNED)
    first = run(REASSIGN, [lead], NOW)[1]
    second = run(REASSIGN, [lead], NOW, state={"round-robin:inside-sales": "u2"})[1]
    assert moves(first) != moves(second)
    assert first[0].idempotency_key == second[0].idempotency_key


def test_routing_picks_the_team_when_assign_to_is_omitted() -> None:
    rule = REASSIGN.model_copy(update={"assign_to": None})
    teams = {"apac": TeamConfig(members=("u3",)), "inside-sales": TeamConfig(members=("u2",))}
    config = AssignmentConfig.model_validate(
        {"route": [{"when": {"country": "CN"}, "team": "apac"}, {"team": "inside-sales"}]}
    )
    leads = [
        a_lead("CN1", assigned_at=ASSIGNED, country="CN"),
        a_lead("US1", assigned_at=ASSIGNED, country="US"),
    ]
    _, actions, _ = run(rule, leads, NOW, teams=teams, assignment=config)
    assert moves(actions) == [("CN1", "u1", "u3"), ("US1", "u1", "u2")]


def test_assign_to_a_single_user() -> None:
    rule = REASSIGN.model_copy(update={"assign_to": "u3@example.com"})
    _, actions, _ = run(rule, [a_lead(assigned_at=ASSIGNED)], NOW)
    assert moves(actions) == [("L1", "u1", "u3")]


def test_pool_rule_moves_to_the_pool_owner() -> None:
    rule = a_rule(first_activity_within=None, no_activity_for="7d", on_breach="pool", pool_owner="u-pool")
    lead = a_lead(assigned_at=sh(2026, 1, 1))
    findings, actions, _ = run(rule, [lead], sh(2026, 1, 9))
    assert moves(actions) == [("L1", "u1", "u-pool")]
    assert findings[0].details["outcome"] == "moved to the public pool (u-pool)"


LADDER = a_rule(
    calendar="cn-office",
    assign_to="team:inside-sales",
    pool_owner="u-pool",
    max_reassignments=1,
    steps=[{"after": "4h", "do": "flag"}, {"after": "8h", "do": "reassign"}, {"after": "3d", "do": "pool"}],
)


def test_ladder_climbs_flag_then_reassign_then_pool() -> None:
    lead = a_lead(assigned_at=ASSIGNED)  # Monday 09:00, 9 business hours a day
    assert run(LADDER, [lead], sh(2026, 1, 12, 12, 59)) == ([], [], {})
    findings, actions, _ = run(LADDER, [lead], sh(2026, 1, 12, 14))
    assert [a.type for a in actions] == [ActionType.FLAG, ActionType.NOTE]
    assert findings[0].breached_at is None  # a warning: the 8h deadline is still ahead
    assert findings[0].details["step"] == 1
    findings, actions, _ = run(LADDER, [lead], sh(2026, 1, 13, 9, 30))
    assert moves(actions) == [("L1", "u1", "u2")]
    assert findings[0].breached_at == sh(2026, 1, 12, 17)
    history = [
        Reassignment(record=lead.ref, rule="first-contact", from_owner="u0", to_owner="u1", at=sh(2026, 1, 1))
    ]
    _, actions, _ = run(LADDER, [lead], sh(2026, 1, 13, 9, 30), reassignments=history)
    assert moves(actions) == [("L1", "u1", "u-pool")]  # max_reassignments reached: pool instead
    findings, actions, _ = run(LADDER, [lead], sh(2026, 1, 22, 9, 30))
    assert findings[0].details["do"] == "pool"
    assert moves(actions) == [("L1", "u1", "u-pool")]


def test_ladder_stops_once_the_owner_acts() -> None:
    lead = a_lead(assigned_at=ASSIGNED)
    call = an_activity(lead, sh(2026, 1, 12, 15))
    assert run(LADDER, [lead], sh(2026, 1, 20), [call]) == ([], [], {})


def test_a_record_is_moved_at_most_once_per_run() -> None:
    pool_rule = a_rule(
        name="follow-up",
        first_activity_within=None,
        no_activity_for="1d",
        on_breach="pool",
        pool_owner="u-pool",
    )
    lead = a_lead(assigned_at=ASSIGNED)
    findings, actions, _ = run([REASSIGN, pool_rule], [lead], NOW)
    assert len(findings) == 2
    assert moves(actions) == [("L1", "u1", "u2")]
    assert findings[1].details["outcome"] == "already moved by an earlier rule in this run"
