"""The rules-engine facade: dedupe across rules, time zone of wall-clock wording."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.domain import Action, ActionType, Module, Record, RecordRef, User, action_key
from rules.engine import RuleSet, _dedupe, evaluate
from rules.sla.config import SlaRule
from rules.snapshot import Snapshot

REF = RecordRef(adapter="crm", module=Module.LEADS, id="L1")
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def an_action(type_: ActionType, rule: str, value: str) -> Action:
    return Action(
        type=type_, target=REF, rule=rule, reason="r", new_owner_id=value if type_ == "reassign" else None,
        text=value if type_ == "note" else None, tag=value if type_ == "flag" else None,
        idempotency_key=action_key(type_, REF, value, rule),
    )


def test_second_reassign_of_a_record_is_dropped_with_its_note() -> None:
    first = [an_action(ActionType.REASSIGN, "pursuit", "u1"), an_action(ActionType.NOTE, "pursuit", "kept")]
    second = [
        an_action(ActionType.NOTE, "sla", "orphan"),
        an_action(ActionType.REASSIGN, "sla", "u2"),
        an_action(ActionType.FLAG, "sla", "referee:sla-breach"),
    ]
    kept = _dedupe([*first, *second, first[0]])
    assert [(a.rule, a.type) for a in kept] == [
        ("pursuit", "reassign"), ("pursuit", "note"), ("sla", "flag"),
    ]


def test_wall_clock_findings_speak_in_the_configured_time_zone() -> None:
    lead = Record(adapter="crm", module=Module.LEADS, id="L1", owner_id="u1", created_at=NOW - timedelta(days=2))
    snapshot = Snapshot(users={"u1": User(id="u1")}, records=[lead], activities=[])
    rules = (SlaRule(name="first-24h", first_activity_within=timedelta(hours=24)),)
    shanghai = evaluate(snapshot, RuleSet(sla=rules, timezone="Asia/Shanghai"), NOW)
    utc = evaluate(snapshot, RuleSet(sla=rules), NOW)
    [finding] = shanghai.findings
    assert "10:00" in " ".join(finding.evidence)  # created 2026-11-25 02:00 UTC = 10:00 in Shanghai
    assert " ".join(finding.evidence) != " ".join(utc.findings[0].evidence)
