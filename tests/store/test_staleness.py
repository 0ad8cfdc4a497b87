"""An older copy of a record never overwrites the newer stored one (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.domain import Module, Record
from connector.store import Store

SEEN = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
NEWER = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def lead(owner: str, modified: datetime | None, company: str = "Acme") -> Record:
    return Record(adapter="acme", module=Module.LEADS, id="L-1", owner_id=owner, modified_at=modified, company=company)


def test_an_older_copy_is_ignored_and_reveals_no_owner_change(store: Store) -> None:
    store.upsert_records([lead("u-new", NEWER, "Acme Newer")], seen_at=SEEN)

    changes = store.upsert_records([lead("u-old", NEWER - timedelta(days=3), "Acme Older")], seen_at=SEEN)

    assert changes == []
    [stored] = store.load_records("acme")
    assert (stored.owner_id, stored.company, stored.modified_at) == ("u-new", "Acme Newer", NEWER)
    assert store.load_owner_changes("acme") == []


def test_a_newer_or_undated_copy_still_replaces_the_stored_one(store: Store) -> None:
    store.upsert_records([lead("u-a", NEWER)], seen_at=SEEN)

    same_time = store.upsert_records([lead("u-b", NEWER)], seen_at=SEEN)
    undated = store.upsert_records([lead("u-c", None)], seen_at=SEEN)
    later = store.upsert_records([lead("u-d", NEWER + timedelta(hours=1))], seen_at=SEEN)

    assert [(c.old_owner_id, c.new_owner_id) for c in same_time + undated + later] == [
        ("u-a", "u-b"), ("u-b", "u-c"), ("u-c", "u-d"),
    ]
    assert store.load_records("acme")[0].owner_id == "u-d"


def test_within_one_batch_the_newest_copy_wins(store: Store) -> None:
    store.upsert_records(
        [lead("u-new", NEWER), lead("u-old", NEWER - timedelta(days=1))], seen_at=SEEN
    )

    assert store.load_records("acme")[0].owner_id == "u-new"
