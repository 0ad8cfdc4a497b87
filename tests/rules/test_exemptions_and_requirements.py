"""Exemptions honoured by findings (pure), and the write types the rules can ask for."""

from __future__ import annotations

from connector.domain import ActionType, Finding, FindingKind, Module, Record, RecordRef
from connector.exemptions import make_exemption
from rules.pursuit.config import PursuitRule
from rules.requirements import writes_needed
from rules.sla.config import SlaRule

A, B, C = (RecordRef(adapter="crm", module=Module.LEADS, id=i) for i in ("L-1", "L-2", "L-3"))
RECORDS = {
    A: Record(adapter="crm", module=Module.LEADS, id="L-1", owner_id="u-1"),
    B: Record(adapter="crm", module=Module.LEADS, id="L-2", owner_id="u-2"),
    C: Record(adapter="crm", module=Module.LEADS, id="L-3", owner_id="u-3"),
}


def _finding(*refs: RecordRef) -> Finding:
    owners = tuple(RECORDS[r].owner_id or "" for r in refs)
    return Finding(kind=FindingKind.PURSUIT, rule="two-reps", records=refs, owners=owners, evidence=("same email",))


def test_a_not_same_pair_drops_the_finding_it_covers() -> None:
    from rules.exemptions import honour

    pair = make_exemption("not-same", [B, A], (), "two branches")
    assert honour(_finding(A, B), RECORDS, [pair]) is None


def test_a_partial_exemption_keeps_the_finding_and_says_so() -> None:
    from rules.exemptions import honour

    pair = make_exemption("not-same", [A, B], (), "two branches")
    kept = honour(_finding(A, B, C), RECORDS, [pair])
    assert kept is not None and kept.evidence[0] == "same email"
    assert kept.evidence[-1] == (
        f"exemption {pair.id}: Leads/L-1 and Leads/L-2 are not the same customer (two branches); "
        "other records still link the customer"
    )


def test_co_pursuit_drops_a_finding_of_exactly_those_reps() -> None:
    from rules.exemptions import honour

    joint = make_exemption("co-pursue", [A], ("u-2", "u-1"), "joint account")
    assert honour(_finding(A, B), RECORDS, [joint]) is None
    third = honour(_finding(A, B, C), RECORDS, [joint])
    assert third is not None and third.evidence[-1].endswith("still a conflict because u-3 also pursue it")
    assert make_exemption("co-pursue", [A], ("u-1", "u-2"), "x").id == joint.id  # same exemption, same id


def test_writes_needed_follow_the_rules() -> None:
    flag_only = PursuitRule(name="p", notes=False)
    moving = PursuitRule(name="q", action="reassign")
    pool = SlaRule(name="s", no_activity_for="7d", on_breach="pool", pool_owner="u-pool", notes=False)
    ladder = SlaRule(name="t", first_activity_within="8h", steps=[{"after": "8h", "do": "reassign"}], notes=False)
    assert writes_needed([flag_only], []) == {ActionType.FLAG: ("p",)}
    assert writes_needed([moving], [pool, ladder]) == {
        ActionType.REASSIGN: ("q", "s", "t"),
        ActionType.FLAG: ("q", "t"),  # a reassign step without a pool flags when nobody can take it
        ActionType.NOTE: ("q",),
    }
