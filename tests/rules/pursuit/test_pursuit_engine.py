"""Duplicate pursuit: who pursues, policies, poaching, allow_shared, actions and golden evidence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from connector.domain import Action, Activity, ActivityKind, Module, OwnerChange, Record, User
from rules.identity.config import IdentityConfig
from rules.pursuit.config import PursuitRule
from rules.pursuit.engine import evaluate_pursuit
from rules.snapshot import Reassignment, Snapshot

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
IDENTITY = IdentityConfig()
USERS = {
    "u1": User(id="u1", name="Ann", teams=("key-accounts",)),
    "u2": User(id="u2", name="Bo", teams=("key-accounts",)),
    "u3": User(id="u3", name="Cy"),
}


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def rec(id_: str, owner: str | None, module: Module = Module.LEADS, created: float = 60, **fields: object) -> Record:
    return Record(adapter="zoho", module=module, id=id_, owner_id=owner, created_at=ago(created), **fields)  # type: ignore[arg-type]


def act(id_: str, record: Record, owner: str, days: float, kind: ActivityKind = ActivityKind.CALL) -> Activity:
    return Activity(id=id_, adapter="zoho", record=record.ref, owner_id=owner, kind=kind, occurred_at=ago(days))


L1 = rec("L1", "u1", created=40, company="北京字节跳动科技有限公司", emails=("a@bytedance.com",))
C7 = rec("C7", "u2", Module.CONTACTS, created=20, company="字节跳动科技", city="北京市", phones=("13800138000",))
A1 = rec("A1", "u3", Module.ACCOUNTS, created=90, company="字节跳动科技", city="北京")
BASE_ACTS = [act("a1", L1, "u1", 3), act("a2", C7, "u2", 2)]


def run(
    records: Sequence[Record], activities: Sequence[Activity], rule: PursuitRule, **snapshot: object
) -> tuple[list, list[Action]]:
    snap = Snapshot(users=USERS, records=list(records), activities=list(activities), **snapshot)  # type: ignore[arg-type]
    return evaluate_pursuit(snap, IDENTITY, [rule], NOW)


def test_golden_evidence_and_note() -> None:
    findings, actions = run([L1, C7], BASE_ACTS, PursuitRule(name="dup"))
    [finding] = findings
    assert finding.owners == ("u1", "u2")
    assert finding.keeper == "u1"
    assert finding.evidence == (
        "company name 字节跳动科技 ≈ 北京字节跳动科技有限公司 (score 1.00 ≥ 0.92) in 北京 on Contacts/C7 and Leads/L1",
        "Ann (u1) owns Leads/L1 and last acted on it 2024-05-29",
        "Bo (u2) owns Contacts/C7 and last acted on it 2024-05-30",
        "keeper u1 (first-touch: Ann (u1) touched it first, on 2024-04-22 (then Bo (u2) on 2024-05-12))",
    )
    assert finding.details["matches"] == [{"rule": "company-and-city", "evidence": finding.evidence[0]}]
    notes = [a for a in actions if a.type == "note"]
    assert [n.target.id for n in notes] == ["C7", "L1"]
    assert notes[1].text == "\n".join([
        'crm-referee: 2 reps are pursuing the same customer "字节跳动科技" (pursuit rule "dup").',
        "Why these records are one customer:",
        "- company name 字节跳动科技 ≈ 北京字节跳动科技有限公司 (score 1.00 ≥ 0.92) in 北京 on Contacts/C7 "
        'and Leads/L1 (match rule "company-and-city")',
        "Who is pursuing:",
        "- Ann (u1) owns Leads/L1 and last acted on it 2024-05-29",
        "- Bo (u2) owns Contacts/C7 and last acted on it 2024-05-30",
        "Decision: first-touch: Ann (u1) touched it first, on 2024-04-22 (then Bo (u2) on 2024-05-12).",
        "This record (Leads/L1) is flagged; Ann (u1) keeps the customer.",
    ])


def test_inactive_second_owner_is_not_a_conflict() -> None:
    findings, _ = run([L1, C7], [act("a1", L1, "u1", 3), act("a2", C7, "u2", 45)], PursuitRule(name="dup"))
    assert findings == []


@pytest.mark.parametrize(
    ("rule", "keeper", "decision_start"),
    [
        pytest.param(PursuitRule(name="r", resolve="first-touch"), "u3", "first-touch: Cy (u3)", id="first-touch"),
        pytest.param(PursuitRule(name="r", resolve="most-recent"), "u2", "most-recent: Bo (u2)", id="most-recent"),
        pytest.param(PursuitRule(name="r", resolve="account-owner"), "u3", "account-owner: Cy (u3)", id="account-owner"),
        pytest.param(PursuitRule(name="r", resolve="flag-only"), None, "flag-only", id="flag-only"),
        pytest.param(
            PursuitRule(name="r", resolve="protection", protection_period="15d"), "u3", "protection: Cy (u3) owned",
            id="protection-holds",
        ),
        pytest.param(
            PursuitRule(name="r", resolve="protection", protection_period="2d"), "u1", "protection: Cy (u3)'s",
            id="protection-lapsed",
        ),
    ],
)
def test_policies(rule: PursuitRule, keeper: str | None, decision_start: str) -> None:
    acts = [*BASE_ACTS, act("a3", A1, "u3", 5)]
    [finding], _ = run([L1, C7, A1], acts, rule)
    assert finding.owners == ("u1", "u2", "u3")
    assert finding.keeper == keeper
    assert finding.details["decision"].startswith(decision_start)


def test_account_owner_without_account_has_no_keeper() -> None:
    [finding], actions = run([L1, C7], BASE_ACTS, PursuitRule(name="r", resolve="account-owner", action="reassign"))
    assert finding.keeper is None
    assert not [a for a in actions if a.type == "reassign"]


def test_poaching_on_a_single_record_is_reported() -> None:
    lone = rec("L9", "u1", company="Globex")
    [finding], _ = run([lone], [act("a1", lone, "u1", 1), act("a2", lone, "u3", 2, ActivityKind.MEETING)],
                       PursuitRule(name="dup"))
    assert finding.owners == ("u1", "u3")
    assert "Cy (u3) logged a meeting on Leads/L9 owned by Ann (u1) on 2024-05-30 (poaching)" in finding.evidence


def test_allow_shared_team_may_co_pursue() -> None:
    rule = PursuitRule(name="dup", allow_shared=("key-accounts",))
    assert run([L1, C7], BASE_ACTS, rule)[0] == []
    acts = [*BASE_ACTS, act("a3", A1, "u3", 5)]  # u3 is not in key-accounts
    assert len(run([L1, C7, A1], acts, rule)[0]) == 1


def test_reassign_moves_other_records_and_flags_all() -> None:
    _, actions = run([L1, C7], BASE_ACTS, PursuitRule(name="dup", action="reassign", tag="撞单"))
    [move] = [a for a in actions if a.type == "reassign"]
    assert (move.target.id, move.new_owner_id, move.previous_owner_id) == ("C7", "u1", "u2")
    assert sorted(a.target.id for a in actions if a.type == "flag") == ["C7", "L1"]
    assert all(a.tag == "撞单" for a in actions if a.type == "flag")
    note = next(a for a in actions if a.type == "note" and a.target.id == "C7")
    assert "This record (Contacts/C7) moves from Bo (u2) to Ann (u1)." in (note.text or "")


def test_keys_are_stable_and_tagged_records_are_not_reflagged() -> None:
    rule = PursuitRule(name="dup", tag="referee:conflict")
    _, first = run([L1, C7], BASE_ACTS, rule)
    _, again = run([L1, C7], BASE_ACTS, rule)
    assert [a.idempotency_key for a in first] == [a.idempotency_key for a in again]
    tagged = [r.model_copy(update={"tags": ("referee:conflict",)}) for r in (L1, C7)]
    _, after_flag = run(tagged, BASE_ACTS, rule)
    assert [a.type for a in after_flag] == ["note", "note"]
    assert {a.idempotency_key for a in after_flag} <= {a.idempotency_key for a in first}


def test_after_reassign_the_conflict_is_resolved() -> None:
    moved = C7.model_copy(update={"owner_id": "u1"})
    history = [Reassignment(record=C7.ref, rule="dup", from_owner="u2", to_owner="u1", at=ago(1))]
    findings, _ = run([L1, moved], BASE_ACTS, PursuitRule(name="dup", action="reassign"), reassignments=history)
    assert findings == []
    changes = [OwnerChange(record=C7.ref, old_owner_id="u2", new_owner_id="u1", seen_at=ago(1))]
    assert run([L1, moved], BASE_ACTS, PursuitRule(name="dup"), owner_changes=changes)[0] == []


def test_output_order_is_deterministic() -> None:
    other = [rec("L5", "u3", emails=("x@globex.com",)), rec("L6", "u1", emails=("x@globex.com",))]
    acts = [*BASE_ACTS, act("a5", other[0], "u3", 1), act("a6", other[1], "u1", 1)]
    first = run([L1, C7, *other], acts, PursuitRule(name="dup"))
    second = run([*reversed(other), C7, L1], list(reversed(acts)), PursuitRule(name="dup"))
    assert first == second
    assert len(first[0]) == 2


def test_protection_needs_a_period() -> None:
    with pytest.raises(ValueError, match="protection_period"):
        PursuitRule(name="r", resolve="protection")


# -- co-owners: a record owned by several reps is no conflict with itself ------------------------------

SHARED = rec("L5", "u1", created=30, co_owner_ids=("u2",), emails=("x@shared.cn",))


def test_co_owners_working_their_record_are_not_a_pursuit() -> None:
    findings, _ = run([SHARED], [act("s1", SHARED, "u1", 3), act("s2", SHARED, "u2", 2)], PursuitRule(name="dup"))
    assert findings == []  # without co_owner_ids, u2's call would be poaching


def test_co_owners_of_one_record_and_a_duplicate_owned_by_one_of_them_are_no_pursuit() -> None:
    twin = rec("C5", "u2", Module.CONTACTS, created=10, emails=("x@shared.cn",))
    activities = [act("s1", SHARED, "u1", 3), act("s2", twin, "u2", 2)]
    findings, _ = run([SHARED, twin], activities, PursuitRule(name="dup"))
    assert findings == []


def test_a_third_rep_on_a_duplicate_of_a_co_owned_record_is_a_pursuit() -> None:
    other = rec("C6", "u3", Module.CONTACTS, created=10, emails=("x@shared.cn",))
    activities = [act("s1", SHARED, "u1", 3), act("s2", SHARED, "u2", 2), act("s3", other, "u3", 1)]
    [finding] = run([SHARED, other], activities, PursuitRule(name="dup"))[0]
    assert finding.owners == ("u1", "u2", "u3")
    assert "Bo (u2) owns Leads/L5 and last acted on it" in " ".join(finding.evidence)
