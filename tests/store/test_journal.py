from __future__ import annotations

import threading
from collections.abc import Callable

from connector.domain import ActionResult, ActionStatus, ActionType
from connector.store import Store
from rules.snapshot import Reassignment
from tests.store.builders import HOUR, NOW, a_ref, an_action

PLANNED, APPLYING = ActionStatus.PLANNED, ActionStatus.APPLYING
APPLIED, FAILED, SKIPPED = ActionStatus.APPLIED, ActionStatus.FAILED, ActionStatus.SKIPPED


def test_plan_claim_result(store: Store) -> None:
    action = an_action("1")
    key = action.idempotency_key
    store.journal_plan("run-1", [action], now=NOW)
    assert store.journal_statuses([key, "unknown"]) == {key: PLANNED}

    assert store.claim_action(key, "run-1", now=NOW) is True
    assert store.journal_statuses([key]) == {key: APPLYING}

    store.journal_result(
        "run-1", ActionResult(action=action, status=APPLIED, message="owner set"), now=NOW + HOUR
    )
    (entry,) = store.list_journal(run_id="run-1")
    assert (entry.idempotency_key, entry.status, entry.message, entry.attempts) == (
        key,
        APPLIED,
        "owner set",
        1,
    )
    assert entry.action == action
    assert entry.planned_at == NOW
    assert entry.applied_at == NOW + HOUR
    assert entry.updated_at == NOW + HOUR


def test_an_action_is_claimed_only_once(store: Store) -> None:
    action = an_action("1")
    store.journal_plan("run-1", [action], now=NOW)
    assert store.claim_action(action.idempotency_key, "run-1", now=NOW) is True
    assert store.claim_action(action.idempotency_key, "run-1", now=NOW) is False
    assert store.claim_action(action.idempotency_key, "server-7", now=NOW) is False
    assert store.claim_action("never-planned", "run-1", now=NOW) is False


def test_applied_and_skipped_rows_are_never_downgraded_by_planning(store: Store) -> None:
    applied, skipped, failed = an_action("1"), an_action("2"), an_action("3")
    store.journal_plan("run-1", [applied, skipped, failed], now=NOW)
    for action, status in ((applied, APPLIED), (skipped, SKIPPED), (failed, FAILED)):
        store.claim_action(action.idempotency_key, "run-1", now=NOW)
        store.journal_result("run-1", ActionResult(action=action, status=status), now=NOW)

    store.journal_plan("run-2", [applied, skipped, failed], now=NOW + HOUR)

    keys = [a.idempotency_key for a in (applied, skipped, failed)]
    assert store.journal_statuses(keys) == dict(zip(keys, (APPLIED, SKIPPED, PLANNED), strict=True))
    assert store.claim_action(applied.idempotency_key, "run-2", now=NOW + HOUR) is False
    assert store.claim_action(failed.idempotency_key, "run-2", now=NOW + HOUR) is True
    assert [e.idempotency_key for e in store.list_journal(run_id="run-1")] == keys[:2]


def test_a_claimed_row_is_not_reset_by_a_concurrent_plan(store: Store) -> None:
    action = an_action("1")
    store.journal_plan("sync-1", [action], now=NOW)
    store.claim_action(action.idempotency_key, "sync-1", now=NOW)
    store.journal_plan("server-1", [action], now=NOW)
    assert store.claim_action(action.idempotency_key, "server-1", now=NOW) is False


def test_a_failed_action_is_retried_and_attempts_count(store: Store) -> None:
    action = an_action("1")
    key = action.idempotency_key
    store.journal_plan("run-1", [action], now=NOW)
    store.claim_action(key, "run-1", now=NOW)
    store.journal_result("run-1", ActionResult(action=action, status=FAILED, message="429"), now=NOW)
    assert store.claim_action(key, "run-2", now=NOW + HOUR) is True
    store.journal_result("run-2", ActionResult(action=action, status=APPLIED), now=NOW + HOUR)

    (entry,) = store.list_journal()
    assert (entry.status, entry.attempts, entry.run_id, entry.message) == (APPLIED, 2, "run-2", "")


def test_an_applied_row_is_never_overwritten_by_a_later_result(store: Store) -> None:
    action = an_action("1")
    store.journal_result("run-1", ActionResult(action=action, status=APPLIED), now=NOW)
    store.journal_result("run-2", ActionResult(action=action, status=FAILED, message="late"), now=NOW + HOUR)
    (entry,) = store.list_journal()
    assert (entry.status, entry.run_id, entry.applied_at) == (APPLIED, "run-1", NOW)


def test_a_result_without_a_plan_creates_the_row(store: Store) -> None:
    action = an_action("1", type_=ActionType.FLAG)
    store.journal_result(
        "run-1", ActionResult(action=action, status=SKIPPED, message="not supported"), now=NOW
    )
    (entry,) = store.list_journal(status=SKIPPED)
    assert (entry.action, entry.attempts, entry.applied_at) == (action, 1, None)


def test_list_journal_filters_and_orders_newest_first(store: Store) -> None:
    first, second = an_action("1"), an_action("2")
    store.journal_plan("run-1", [first], now=NOW)
    store.journal_plan("run-2", [second, second], now=NOW + HOUR)
    assert [e.action for e in store.list_journal()] == [second, first]
    assert [e.action for e in store.list_journal(limit=1)] == [second]
    assert [e.action for e in store.list_journal(run_id="run-1")] == [first]
    assert store.list_journal(status=APPLIED) == []


def test_applied_reassignments_are_the_history_of_applied_reassigns(store: Store) -> None:
    moved, flagged, failed = an_action("1", "u2"), an_action("2", type_=ActionType.FLAG), an_action("3", "u4")
    elsewhere = an_action("1", "u5").model_copy(update={"target": a_ref("1", adapter="file")})
    for action, status in ((moved, APPLIED), (flagged, APPLIED), (failed, FAILED), (elsewhere, APPLIED)):
        store.journal_result("run-1", ActionResult(action=action, status=status, applied_at=NOW), now=NOW)

    assert store.applied_reassignments("zoho") == [
        Reassignment(record=a_ref("1"), rule="first-touch", from_owner="u1", to_owner="u2", at=NOW)
    ]
    assert len(store.applied_reassignments()) == 2


def test_concurrent_claims_let_exactly_one_winner(store_url: str, make_store: Callable[[str], Store]) -> None:
    action = an_action("1")
    contenders = [make_store(store_url) for _ in range(4)]
    contenders[0].journal_plan("sync", [action], now=NOW)
    barrier = threading.Barrier(len(contenders))
    won: list[bool] = []

    def claim(store: Store, name: str) -> None:
        barrier.wait()
        won.append(store.claim_action(action.idempotency_key, name, now=NOW))

    threads = [threading.Thread(target=claim, args=(s, f"run-{i}")) for i, s in enumerate(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, False, False, True]


def test_a_stuck_claim_can_be_released_for_a_retry(store: Store) -> None:
    action = an_action("stuck")
    key = action.idempotency_key
    store.journal_plan("run-1", [action], now=NOW)
    assert store.claim_action(key, "run-1", now=NOW)
    assert store.release_claim(key, now=NOW)
    assert store.journal_statuses([key]) == {key: ActionStatus.FAILED}
    assert not store.release_claim(key, now=NOW)  # only applying rows
    assert store.claim_action(key, "run-2", now=NOW)
