"""The findings history: first and last sighting per finding, "new" keys, reported keys, periods."""

from __future__ import annotations

from datetime import timedelta

from connector.domain import Finding, FindingKind, finding_key
from connector.store import Store
from tests.store.builders import HOUR, NOW, a_ref


def a_finding(record: str = "1", owner: str = "u1", **fields: object) -> Finding:
    values: dict = {
        "kind": FindingKind.SLA,
        "rule": "first-contact",
        "records": (a_ref(record),),
        "owners": (owner,),
        "evidence": ("assigned Mon 09:00", "no call by the owner 李娜"),
        "due_at": NOW - HOUR,
        "breached_at": NOW - HOUR,
        "details": {"calendar": "cn-office", "outcome": "flagged"},
    }
    return Finding(**(values | fields))


def test_first_sighting_is_new_and_a_second_run_moves_last_seen(store: Store) -> None:
    lead, other = a_finding("1"), a_finding("2")
    assert store.record_findings("r1", [lead], now=NOW, applied=False) == {finding_key(lead)}
    assert store.record_findings("r2", [lead, other], now=NOW + HOUR, applied=True) == {finding_key(other)}
    [first, second] = store.list_findings()
    assert (first.first_seen_run, first.last_seen_run, first.times_seen) == ("r1", "r2", 2)
    assert first.first_seen_at == NOW and first.last_seen_at == NOW + HOUR
    assert first.first_applied_at == NOW + HOUR  # r1 was a dry run
    assert first.finding.evidence == lead.evidence and first.finding.details == dict(lead.details)
    assert first.finding.records == lead.records and first.finding.due_at == lead.due_at
    assert second.first_seen_run == "r2"


def test_first_applied_at_is_stamped_once(store: Store) -> None:
    lead = a_finding()
    store.record_findings("r1", [lead], now=NOW, applied=True)
    store.record_findings("r2", [lead], now=NOW + HOUR, applied=True)
    [row] = store.list_findings()
    assert row.first_applied_at == NOW


def test_reported_keys_since_and_by_apply_runs(store: Store) -> None:
    old, dry, applied = a_finding("1"), a_finding("2"), a_finding("3")
    store.record_findings("r0", [old], now=NOW - 10 * HOUR, applied=True)
    store.record_findings("r1", [dry], now=NOW, applied=False)
    store.record_findings("r2", [applied], now=NOW, applied=True)
    since = NOW - HOUR
    assert store.reported_finding_keys(since=since) == {finding_key(dry), finding_key(applied)}
    assert store.reported_finding_keys(since=since, applied_only=True) == {finding_key(applied)}
    assert store.reported_finding_keys(since=since, before=NOW) == set()


def test_episode_gives_a_late_contact_its_own_key() -> None:
    missed = a_finding()
    late = a_finding(details={"outcome": "met-late", "episode": "met-late:2026-11-20T11:30:00+00:00"})
    assert missed.fingerprint == late.fingerprint
    assert finding_key(missed) == missed.fingerprint != finding_key(late)


def test_list_findings_by_period_kind_and_keys(store: Store) -> None:
    early, late = a_finding("1"), a_finding("2", kind=FindingKind.PURSUIT, keeper="u1", customer="c-1")
    store.record_findings("r1", [early], now=NOW - 48 * HOUR, applied=False)
    store.record_findings("r2", [late], now=NOW, applied=False)
    assert [r.key for r in store.list_findings(seen_from=NOW - HOUR)] == [finding_key(late)]
    assert [r.key for r in store.list_findings(seen_until=NOW - HOUR)] == [finding_key(early)]
    [pursuit] = store.list_findings(kind=FindingKind.PURSUIT)
    assert pursuit.finding.keeper == "u1" and pursuit.finding.customer == "c-1"
    assert [r.key for r in store.list_findings(keys=[finding_key(early), "missing"])] == [finding_key(early)]


def test_many_findings_in_one_run(store: Store) -> None:
    many = [a_finding(str(i)) for i in range(2_500)]
    assert len(store.record_findings("r1", many, now=NOW, applied=False)) == 2_500
    assert store.record_findings("r2", many, now=NOW + timedelta(minutes=5), applied=False) == set()
    assert len(store.list_findings(seen_from=NOW + timedelta(minutes=1))) == 2_500
