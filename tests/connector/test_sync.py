"""The pipeline with an in-memory fake adapter, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from connector.config import parse_config
from connector.domain import (
    Action,
    ActionResult,
    ActionStatus,
    Activity,
    ActivityKind,
    Module,
    Record,
    User,
)
from connector.errors import CrmApiError
from connector.protocol import CrmAdapter, PullBatch
from connector.sync import SyncOptions, run_sync

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class FakeCrm:
    """An in-memory CRM: records pulled whole, actions recorded and applied to its data."""

    name = "crm"

    def __init__(self, records: list[Record], activities: list[Activity], *, fail_on: str | None = None) -> None:
        self.records = {r.id: r for r in records}
        self.activities = activities
        self.applied: list[Action] = []
        self.pulled_with: list[Mapping[str, str]] = []
        self.fail_on = fail_on
        self.maintained: list[datetime] = []
        self.actions_supported = frozenset({"flag", "note", "reassign"})

    def pull_users(self) -> Sequence[User]:
        return [User(id=f"u{i}", name=f"Rep {i}") for i in range(1, 4)]

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[PullBatch]:
        self.pulled_with.append(dict(cursors))
        if self.fail_on == "pull":
            yield PullBatch(stream="records", records=list(self.records.values())[:1])
            raise CrmApiError("crm: GET /leads answered HTTP 503", crm="crm", status=503)
        yield PullBatch(stream="records", records=list(self.records.values()), cursor="c1")
        yield PullBatch(stream="activities", activities=self.activities, cursor="a1")

    def apply(self, actions: Sequence[Action]) -> Sequence[ActionResult]:
        results = []
        for action in actions:
            if self.fail_on == action.type:
                results.append(ActionResult(action=action, status=ActionStatus.FAILED, message="HTTP 400: bad"))
                continue
            self.applied.append(action)
            record = self.records[action.target.id]
            if action.tag:
                self.records[record.id] = record.model_copy(update={"tags": (*record.tags, action.tag)})
            results.append(ActionResult(action=action, status=ActionStatus.APPLIED))
        return results

    def supported_actions(self) -> frozenset[str]:
        return self.actions_supported

    def maintain(self, now: datetime) -> None:
        self.maintained.append(now)


def lead(id_: str, owner: str, email: str, created: datetime) -> Record:
    return Record(adapter="crm", module=Module.LEADS, id=id_, owner_id=owner, emails=(email,), created_at=created)


def call(id_: str, record: Record, owner: str, at: datetime) -> Activity:
    return Activity(id=id_, adapter="crm", record=record.ref, owner_id=owner, kind=ActivityKind.CALL, occurred_at=at)


@pytest.fixture
def world() -> FakeCrm:
    l1 = lead("L1", "u1", "a@acme.com", NOW - timedelta(days=10))
    l2 = lead("L2", "u2", "A@ACME.com", NOW - timedelta(days=9))
    l3 = lead("L3", "u3", "b@globex.com", NOW - timedelta(days=3))
    acts = [call("A1", l1, "u1", NOW - timedelta(days=2)), call("A2", l2, "u2", NOW - timedelta(days=1))]
    return FakeCrm([l1, l2, l3], acts)


CONFIG = parse_config(
    {
        "adapters": {"crm": {"kind": "file", "path": "unused"}},
        "rules": {
            "pursuit": [{"name": "dup", "active_within": "30d", "resolve": "first-touch", "action": "flag"}],
            "sla": [{"name": "first-24h", "module": "Leads", "first_activity_within": "24h"}],
        },
    },
    environ={},
)


def test_dry_run_plans_journals_and_writes_nothing(make_store, store_url, world) -> None:
    store = make_store(store_url)
    report = run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW))
    assert report.mode == "dry-run"
    assert {f.kind for f in report.findings} == {"pursuit", "sla"}
    assert report.results and {r.status for r in report.results} == {ActionStatus.PLANNED}
    assert world.applied == []
    keys = [r.action.idempotency_key for r in report.results]
    assert set(store.journal_statuses(keys).values()) == {ActionStatus.PLANNED}
    assert store.get_cursors("crm") == {"records": "c1", "activities": "a1"}
    assert world.maintained == [NOW]
    [run] = store.list_runs()
    assert (run.status, run.counts["records_pulled"], run.counts["findings"]) == ("ok", 3, len(report.findings))


def test_apply_then_again_applies_nothing_twice(make_store, store_url, world) -> None:
    store = make_store(store_url)
    first = run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW, apply=True))
    assert first.results and {r.status for r in first.results} == {ActionStatus.APPLIED}
    applied_once = list(world.applied)
    second = run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW, apply=True))
    assert world.applied == applied_once
    assert [r for r in second.results if r.status == ActionStatus.APPLIED] == []
    assert world.pulled_with[-1] == {"records": "c1", "activities": "a1"}


def test_partial_failure_is_journaled_and_retried_next_run(make_store, store_url, world) -> None:
    store = make_store(store_url)
    world.fail_on = "flag"
    report = run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW, apply=True))
    assert report.failed > 0
    failed = [r for r in report.results if r.status == ActionStatus.FAILED]
    assert all(r.message == "HTTP 400: bad" for r in failed)
    assert store.list_runs()[0].status == "partial"
    world.fail_on = None
    retry = run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW, apply=True))
    retried = {r.action.idempotency_key for r in retry.results if r.status == ActionStatus.APPLIED}
    assert {r.action.idempotency_key for r in failed} <= retried


def test_unsupported_action_types_are_skipped_with_a_reason(make_store, store_url, world) -> None:
    store = make_store(store_url)
    world.actions_supported = frozenset({"note"})
    report = run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW, apply=True))
    skipped = [r for r in report.results if r.status == ActionStatus.SKIPPED]
    assert skipped and all("cannot flag records" in r.message for r in skipped)
    assert all(a.type == "note" for a in world.applied)


def test_cursor_is_not_saved_when_a_pull_fails(make_store, store_url, world) -> None:
    store = make_store(store_url)
    world.fail_on = "pull"
    with pytest.raises(CrmApiError):
        run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW))
    assert store.get_cursors("crm") == {}
    run = store.list_runs()[0]
    assert run.status == "error" and "503" in (run.error or "")
    assert store.lock_holder() is None  # the lock is released


def test_full_ignores_cursors(make_store, store_url, world) -> None:
    store = make_store(store_url)
    run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW))
    run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW, full=True))
    assert world.pulled_with == [{}, {}]


def test_fake_satisfies_the_protocol(world) -> None:
    assert isinstance(world, CrmAdapter)


def test_sync_indexes_customers_for_check(make_store, store_url, world) -> None:
    from connector.identity_index import check

    store = make_store(store_url)
    report = run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW))
    assert report.counts["identity_reindexed"] == 3
    verdict = check(store, {"email": "A@acme.com ", "owner_id": "u3"}, CONFIG, NOW)
    assert verdict.known and verdict.conflict
    [customer] = verdict.customers
    assert sorted(r.id for r in customer.records) == ["L1", "L2"]
    assert customer.keeper == "u1"
    again = run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW))
    assert again.counts["identity_reindexed"] == 3  # the fake re-sends every record: all re-indexed
    assert check(store, {"email": "nobody@initech.com"}, CONFIG, NOW).known is False


def test_our_own_write_back_coming_back_is_recognised_as_an_echo(make_store, store_url, world) -> None:
    from connector.domain import ECHO_MARK
    from connector.sync import is_echo

    store = make_store(store_url)
    report = run_sync(CONFIG, store, {"crm": world}, SyncOptions(now=NOW, apply=True))
    flagged = {r.action.target.id for r in report.results if r.status == ActionStatus.APPLIED}
    assert "L1" in flagged
    l1 = world.records["L1"]
    l9 = lead("L9", "u1", "new@initech.com", NOW)
    marked = l1.model_copy(update={"extra": {ECHO_MARK: True}})
    assert is_echo(store, [marked])
    assert not is_echo(store, [l1])  # changed by someone else
    assert not is_echo(store, [marked, l9.model_copy(update={"extra": {ECHO_MARK: True}})])  # L9 never written
    assert not is_echo(store, [])
