"""Inbox operations on SQLite and PostgreSQL: dedupe, claims, leases, backoff, parking, retry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from connector.domain import Module, Record, RecordRef
from connector.errors import UsageError
from connector.inbox import EventStatus, Inbox
from connector.protocol import InboundEvent
from connector.store import Store

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
BACKOFF = {"max_attempts": 3, "backoff": timedelta(seconds=10), "max_backoff": timedelta(seconds=15)}


def event(event_id: str) -> InboundEvent:
    record = Record(
        adapter="acme", module=Module.LEADS, id=f"L-{event_id}", company="Acme", emails=("a@acme.com",)
    )
    ref = RecordRef(adapter="acme", module=Module.CONTACTS, id="C-1")
    return InboundEvent(
        event_id=event_id, records=(record,), record_refs=(ref,), meta={"operation": "update"}
    )


@pytest.fixture
def inbox(make_store: Callable[[str], Store], store_url: str) -> Inbox:
    return Inbox(make_store(store_url))


def test_same_event_id_is_stored_once_per_adapter(inbox: Inbox) -> None:
    assert inbox.add("acme", event("e1"), b"{}", now=NOW) is True
    assert inbox.add("acme", event("e1"), b"{}", now=NOW) is False
    assert inbox.add("other", event("e1"), b"{}", now=NOW) is True  # ids are per CRM
    assert [(e.adapter, e.event_id) for e in inbox.list()] == [("other", "e1"), ("acme", "e1")]


def test_claim_takes_the_oldest_event_and_round_trips_it(inbox: Inbox) -> None:
    inbox.add("acme", event("e1"), b'{"raw": 1}', now=NOW)
    inbox.add("acme", event("e2"), b"{}", now=NOW)

    claim = inbox.claim("w1", now=NOW, lease=LEASE)

    assert claim is not None
    assert claim.event == event("e1")
    assert (claim.entry.status, claim.entry.attempts) == (EventStatus.PROCESSING, 1)
    second = inbox.claim("w2", now=NOW, lease=LEASE)
    assert second is not None and second.entry.event_id == "e2"
    assert inbox.claim("w3", now=NOW, lease=LEASE) is None
    assert inbox.depth() == 2


def test_a_claim_past_its_lease_is_taken_over_and_the_old_holder_cannot_finish(inbox: Inbox) -> None:
    inbox.add("acme", event("e1"), b"{}", now=NOW)
    stale = inbox.claim("crashed", now=NOW, lease=LEASE)
    assert stale is not None
    assert inbox.claim("w2", now=NOW + LEASE - timedelta(seconds=1), lease=LEASE) is None

    fresh = inbox.claim("w2", now=NOW + LEASE + timedelta(seconds=1), lease=LEASE)

    assert fresh is not None and fresh.entry.attempts == 2
    assert inbox.complete(stale, now=NOW) is False
    assert inbox.complete(fresh, now=NOW) is True
    assert inbox.list()[0].status == EventStatus.DONE
    assert inbox.depth() == 0


def test_failures_back_off_exponentially_then_park(inbox: Inbox) -> None:
    inbox.add("acme", event("e1"), b"{}", now=NOW)
    waits = []
    when = NOW
    for _ in range(2):
        claim = inbox.claim("w", now=when, lease=LEASE)
        assert claim is not None
        assert inbox.fail(claim, "CRM said no", now=when, **BACKOFF) == EventStatus.PENDING
        entry = inbox.list()[0]
        waits.append(entry.available_at - when)
        assert inbox.claim("w", now=entry.available_at - timedelta(seconds=1), lease=LEASE) is None
        when = entry.available_at

    last = inbox.claim("w", now=when, lease=LEASE)
    assert last is not None
    assert inbox.fail(last, "CRM said no", now=when, **BACKOFF) == EventStatus.PARKED

    assert waits == [timedelta(seconds=10), timedelta(seconds=15)]  # 10 s, then 20 s capped at 15 s
    parked = inbox.list()[0]
    assert (parked.status, parked.attempts, parked.error) == (EventStatus.PARKED, 3, "CRM said no")
    assert inbox.claim("w", now=when + timedelta(days=1), lease=LEASE) is None


def test_retry_requeues_a_parked_event_with_fresh_attempts(inbox: Inbox) -> None:
    inbox.add("acme", event("e1"), b"{}", now=NOW)
    claim = inbox.claim("w", now=NOW, lease=LEASE)
    assert claim is not None
    inbox.fail(claim, "boom", now=NOW, max_attempts=1, backoff=timedelta(seconds=1), max_backoff=timedelta(1))
    seq = inbox.list()[0].seq

    entry = inbox.retry(seq, now=NOW)

    assert (entry.status, entry.attempts) == (EventStatus.PENDING, 0)
    assert inbox.claim("w", now=NOW, lease=LEASE) is not None


def test_retry_refuses_unknown_and_finished_events(inbox: Inbox) -> None:
    inbox.add("acme", event("e1"), b"{}", now=NOW)
    claim = inbox.claim("w", now=NOW, lease=LEASE)
    assert claim is not None
    inbox.complete(claim, now=NOW)

    with pytest.raises(UsageError, match="is done; only parked or waiting events can be retried"):
        inbox.retry(claim.entry.seq, now=NOW)
    with pytest.raises(UsageError, match="no inbox event 999"):
        inbox.retry(999, now=NOW)


def test_release_gives_the_event_back_without_counting_the_attempt(inbox: Inbox) -> None:
    inbox.add("acme", event("e1"), b"{}", now=NOW)
    claim = inbox.claim("w", now=NOW, lease=LEASE)
    assert claim is not None

    inbox.release(claim, now=NOW)

    again = inbox.claim("w", now=NOW, lease=LEASE)
    assert again is not None and again.entry.attempts == 1


def test_prune_deletes_only_done_events_finished_before_the_cutoff(inbox: Inbox) -> None:
    for event_id in ("old-done", "new-done", "old-parked", "pending"):
        inbox.add("acme", event(event_id), b"{}", now=NOW)
    for event_id, finished in (("old-done", NOW), ("new-done", NOW + timedelta(days=8))):
        claim = inbox.claim("w", now=finished, lease=LEASE)
        assert claim is not None and claim.entry.event_id == event_id
        assert inbox.complete(claim, now=finished)
    claim = inbox.claim("w", now=NOW, lease=LEASE)
    assert claim is not None and claim.entry.event_id == "old-parked"
    inbox.fail(claim, "broken", now=NOW, max_attempts=1, backoff=timedelta(1), max_backoff=timedelta(1))

    removed = inbox.prune(before=NOW + timedelta(days=7), batch=1)

    assert removed == 1
    assert {e.event_id: e.status for e in inbox.list()} == {
        "new-done": EventStatus.DONE,
        "old-parked": EventStatus.PARKED,
        "pending": EventStatus.PENDING,
    }
