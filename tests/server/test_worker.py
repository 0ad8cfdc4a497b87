"""The worker in-process: a webhook revealing a second rep on a customer is journaled and applied once."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from connector.config import Config, parse_config
from connector.domain import (
    Action,
    ActionResult,
    ActionStatus,
    Activity,
    ActivityKind,
    Module,
    Record,
    RecordRef,
    User,
)
from connector.inbox import EventStatus, Inbox
from connector.protocol import InboundEvent, PullBatch
from connector.store import Store
from connector.worker import Worker

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
CONFIG = {
    "referee": {"apply": True},
    "rules": {
        "pursuit": [
            {"name": "same-customer", "active_within": "30d", "resolve": "first-touch", "action": "flag"}
        ]
    },
}


class FakeCrm:
    """Applies every action it is given and remembers them (a fake, not a mock)."""

    name = "crm"

    def __init__(self) -> None:
        self.applied: list[Action] = []

    def pull_users(self) -> Sequence[User]:
        return []

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[PullBatch]:
        return iter(())

    def apply(self, actions: Sequence[Action]) -> Sequence[ActionResult]:
        self.applied.extend(actions)
        return [ActionResult(action=a, status=ActionStatus.APPLIED, applied_at=NOW) for a in actions]

    def supported_actions(self) -> frozenset[str]:
        return frozenset({"flag", "note", "reassign"})


def lead(record_id: str, owner: str, days_ago: int) -> Record:
    return Record(
        adapter="crm",
        module=Module.LEADS,
        id=record_id,
        owner_id=owner,
        created_at=NOW - timedelta(days=days_ago),
        company="Acme Inc.",
        emails=("john.doe@acme.com",),
        phones=("+1 415 555 0134",),
    )


def call(record_id: str, owner: str, days_ago: int) -> Activity:
    ref = RecordRef(adapter="crm", module=Module.LEADS, id=record_id)
    return Activity(
        id=f"call-{record_id}",
        adapter="crm",
        record=ref,
        owner_id=owner,
        kind=ActivityKind.CALL,
        occurred_at=NOW - timedelta(days=days_ago),
    )


@pytest.fixture
def setup(make_store: Callable[[str], Store], store_url: str) -> tuple[Store, Config, FakeCrm]:
    from connector.identity_index import refresh_keys

    store = make_store(store_url)
    config = parse_config(CONFIG, environ={})
    store.upsert_users("crm", [User(id="u-li", name="Li"), User(id="u-wang", name="Wang")])
    existing = lead("L-1", "u-li", days_ago=10)
    store.upsert_records([existing], seen_at=NOW)
    refresh_keys(store, [existing], config.identity)
    store.upsert_activities([call("L-1", "u-li", 5), call("L-2", "u-wang", 1)])
    return store, config, FakeCrm()


def test_a_second_rep_on_a_customer_is_flagged_journaled_and_applied_once(
    setup: tuple[Store, Config, FakeCrm],
) -> None:
    store, config, crm = setup
    worker = Worker(config, store, {"crm": crm}, clock=lambda: NOW)
    inbox = Inbox(store)
    newcomer = lead("L-2", "u-wang", days_ago=2)
    inbox.add("crm", InboundEvent(event_id="e1", records=[newcomer]), b"{}", now=NOW)
    inbox.add("crm", InboundEvent(event_id="e2", records=[newcomer]), b"{}", now=NOW)  # redelivered change

    assert worker.drain() == 2

    assert [e.status for e in inbox.list()] == [EventStatus.DONE, EventStatus.DONE]
    assert crm.applied, "the conflict produced no action"
    assert {a.rule for a in crm.applied} == {"same-customer"}
    assert len({a.idempotency_key for a in crm.applied}) == len(
        crm.applied
    )  # the second event applied nothing
    entries = store.list_journal()
    assert {e.status for e in entries} == {ActionStatus.APPLIED}
    [run] = [r for r in store.list_runs() if r.mode == "webhook-apply"]
    assert run.status == "ok"
    assert store.load_records(refs=[newcomer.ref]) == [newcomer]


def test_dry_run_only_journals_the_plan(setup: tuple[Store, Config, FakeCrm]) -> None:
    store, config, crm = setup
    dry = config.model_copy(update={"referee": config.referee.model_copy(update={"apply": False})})
    worker = Worker(dry, store, {"crm": crm}, clock=lambda: NOW)
    Inbox(store).add("crm", InboundEvent(event_id="e1", records=[lead("L-2", "u-wang", 2)]), b"{}", now=NOW)

    assert worker.drain() == 1

    assert crm.applied == []
    assert {e.status for e in store.list_journal()} == {ActionStatus.PLANNED}
    assert [r.mode for r in store.list_runs()] == ["webhook"]
