from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from connector.domain import ActivityKind, Module, OwnerChange, Record, User
from connector.errors import StateError
from connector.store import Store, schema
from connector.store.snapshots import match_ids_query
from tests.store.builders import HOUR, NOW, a_record, a_ref, an_activity

SHANGHAI = timezone(timedelta(hours=8))


def test_users_round_trip_per_adapter(store: Store) -> None:
    alice = User(id="u1", name="Alice", email="a@x.io", teams=("east", "vip"), time_zone="Asia/Shanghai")
    bob = User(id="u2", name="Bob", active=False)
    store.upsert_users("zoho", [alice, bob])
    store.upsert_users("file", [User(id="u1", name="Other Alice")])

    assert store.load_users("zoho") == [alice, bob]
    assert [u.name for u in store.load_users()] == ["Other Alice", "Alice", "Bob"]


def test_upserting_a_user_replaces_it(store: Store) -> None:
    store.upsert_users("zoho", [User(id="u1", name="Alice", teams=("east",))])
    store.upsert_users("zoho", [User(id="u1", name="Alice B.", teams=())])
    assert store.load_users("zoho") == [User(id="u1", name="Alice B.")]


def test_records_round_trip_with_aware_utc_datetimes_tuples_and_extra(store: Store) -> None:
    record = a_record(
        created_at=datetime(2026, 11, 1, 9, 30, 15, 123456, tzinfo=SHANGHAI),
        modified_at=NOW,
        assigned_at=NOW - HOUR,
        status="Open",
        company="Acme 有限公司",
        first_name="Li",
        last_name="Wei",
        emails=("li@acme.cn", "wei@acme.cn"),
        phones=("+8613800000000",),
        website="acme.cn",
        tax_id="91310000",
        country="CN",
        city="Shanghai",
        account_id="acc-1",
        tags=("vip", "referee:pursuit"),
        extra={"Lead_Source": "Web", "score": 7, "nested": {"a": [1, 2]}},
    )
    store.upsert_records([record], seen_at=NOW)

    (loaded,) = store.load_records()
    assert loaded == record
    assert loaded.created_at == datetime(2026, 11, 1, 1, 30, 15, 123456, tzinfo=UTC)
    for value in (loaded.created_at, loaded.modified_at, loaded.assigned_at):
        assert value is not None
        assert value.utcoffset() == timedelta(0)
    assert loaded.emails == ("li@acme.cn", "wei@acme.cn")
    assert dict(loaded.extra) == {"Lead_Source": "Web", "score": 7, "nested": {"a": [1, 2]}}


def test_a_minimal_record_round_trips(store: Store) -> None:
    record = a_record(owner=None)
    store.upsert_records([record], seen_at=NOW)
    assert store.load_records() == [record]


def test_naive_datetimes_are_refused(store: Store) -> None:
    naive = Record.model_construct(**{**a_record().__dict__, "created_at": datetime(2026, 1, 1)})
    with pytest.raises(StateError, match="naive datetime"):
        store.upsert_records([naive], seen_at=NOW)


def test_first_insert_is_not_an_owner_change(store: Store) -> None:
    assert store.upsert_records([a_record("1", "u1"), a_record("2", None)], seen_at=NOW) == []
    assert store.load_owner_changes() == []


def test_owner_changes_are_detected_stored_and_returned(store: Store) -> None:
    store.upsert_records([a_record("1", "u1"), a_record("2", "u1"), a_record("3", None)], seen_at=NOW)
    later = NOW + HOUR
    changes = store.upsert_records(
        [a_record("1", "u2"), a_record("2", "u1", status="Contacted"), a_record("3", "u3")], seen_at=later
    )

    assert changes == [
        OwnerChange(record=a_ref("1"), old_owner_id="u1", new_owner_id="u2", seen_at=later),
        OwnerChange(record=a_ref("3"), old_owner_id=None, new_owner_id="u3", seen_at=later),
    ]
    assert store.load_owner_changes() == changes
    assert store.load_owner_changes(records=[a_ref("3")]) == changes[1:]
    assert store.load_owner_changes("file") == []


def test_owner_changes_within_one_batch_are_all_seen(store: Store) -> None:
    store.upsert_records([a_record("1", "u1")], seen_at=NOW)
    changes = store.upsert_records([a_record("1", "u2"), a_record("1", "u3")], seen_at=NOW + HOUR)
    assert [(c.old_owner_id, c.new_owner_id) for c in changes] == [("u1", "u2"), ("u2", "u3")]
    assert store.load_records()[0].owner_id == "u3"


def test_owner_change_history_accumulates_in_order(store: Store) -> None:
    store.upsert_records([a_record("1", "u1")], seen_at=NOW)
    store.upsert_records([a_record("1", "u2")], seen_at=NOW + HOUR)
    store.upsert_records([a_record("1", "u1")], seen_at=NOW + 2 * HOUR)
    history = store.load_owner_changes("zoho", [a_ref("1")])
    assert [(c.new_owner_id, c.seen_at) for c in history] == [("u2", NOW + HOUR), ("u1", NOW + 2 * HOUR)]


def test_load_records_filters_by_adapter_and_refs(store: Store) -> None:
    zoho = [a_record("2"), a_record("1"), a_record("9", module=Module.DEALS)]
    other = a_record("1", adapter="file")
    store.upsert_records([*zoho, other], seen_at=NOW)

    assert [str(r.ref) for r in store.load_records()] == [
        "file/Leads/1",
        "zoho/Deals/9",
        "zoho/Leads/1",
        "zoho/Leads/2",
    ]
    assert [r.id for r in store.load_records("zoho")] == ["9", "1", "2"]
    refs = [a_ref("2"), a_ref("404"), a_ref("1", adapter="file"), a_ref("2")]
    assert [str(r.ref) for r in store.load_records(refs=refs)] == ["file/Leads/1", "zoho/Leads/2"]
    assert [str(r.ref) for r in store.load_records("file", refs)] == ["file/Leads/1"]
    assert store.load_records(refs=[]) == []
    assert store.count_records() == 4
    assert store.count_records("zoho") == 3
    assert store.count_records("nobody") == 0


def test_many_records_are_written_and_read_in_chunks(store: Store) -> None:
    records = [a_record(f"{i:05d}", f"u{i % 7}") for i in range(2_500)]
    store.upsert_records(records, seen_at=NOW)
    assert store.load_records("zoho") == records
    refs = [r.ref for r in records[::2]]
    assert store.load_records(refs=refs) == records[::2]


@pytest.mark.parametrize(
    "batch", [pytest.param(1, id="batch-1"), pytest.param(3, id="batch-3"), pytest.param(100, id="batch-100")]
)
def test_iter_records_streams_everything_in_key_order(store: Store, batch: int) -> None:
    records = [a_record(str(i)) for i in range(7)] + [a_record("1", module=Module.CONTACTS)]
    store.upsert_records([*records, a_record("1", adapter="file")], seen_at=NOW)
    expected = sorted(records, key=lambda r: (r.module.value, r.id))
    assert list(store.iter_records("zoho", batch=batch)) == expected
    assert len(list(store.iter_records(batch=batch))) == 9


def test_delete_removes_records_with_their_activities_and_owner_changes(store: Store) -> None:
    store.upsert_records([a_record("1", "u1"), a_record("2")], seen_at=NOW)
    store.upsert_records([a_record("1", "u2")], seen_at=NOW)
    store.upsert_activities([an_activity("a1", "1"), an_activity("a2", "2")])

    store.delete_records([a_ref("1"), a_ref("404")], seen_at=NOW + HOUR)

    assert [r.id for r in store.load_records()] == ["2"]
    assert [a.id for a in store.load_activities()] == ["a2"]
    assert store.load_owner_changes() == []


def test_a_late_deletion_does_not_remove_a_record_stored_after_it(store: Store) -> None:
    store.upsert_records([a_record("1")], seen_at=NOW + HOUR)
    store.delete_records([a_ref("1")], seen_at=NOW)
    assert store.count_records() == 1


def test_activities_round_trip_and_filter_by_record(store: Store) -> None:
    call = an_activity("a1", "1", at=NOW - HOUR)
    meeting = an_activity(
        "a2",
        "2",
        at=datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI),
        kind=ActivityKind.MEETING,
        completed=False,
    )
    elsewhere = an_activity("a1", a_ref("1", adapter="file"), adapter="file", owner_id=None)
    store.upsert_activities([call, meeting, elsewhere])

    assert store.load_activities("zoho") == [meeting, call]
    assert store.load_activities("zoho")[0].occurred_at.tzinfo is not None
    assert store.load_activities(records=[a_ref("1")]) == [call]
    assert store.load_activities("file") == [elsewhere]
    assert len(store.load_activities()) == 3


def test_upserting_an_activity_replaces_it(store: Store) -> None:
    store.upsert_activities([an_activity("a1", completed=False)])
    store.upsert_activities([an_activity("a1", completed=True, owner_id="u9")])
    (loaded,) = store.load_activities()
    assert (loaded.completed, loaded.owner_id) == (True, "u9")


def test_postgres_looks_records_up_through_the_key_index_without_statistics(
    pg_url: str, make_store: Callable[[str], Store]
) -> None:
    store = make_store(pg_url)
    store.upsert_records([a_record(f"{i:05d}") for i in range(3_000)], seen_at=NOW)  # never ANALYZEd
    columns = (schema.records.c.id, schema.records.c.owner_id)
    keys = (schema.records.c.adapter, schema.records.c.module, schema.records.c.id)
    query = match_ids_query("postgresql", columns, keys, "zoho", "Leads", ["00001", "02999"])
    with store.engine.connect() as conn:
        compiled = query.compile(conn)
        plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars())
    assert re.search(r"Index Cond: .*\(id\)::text = \(?wanted\.id", plan), plan


def test_delete_removes_the_identity_keys_of_deleted_records(store: Store) -> None:
    from connector.identity_index import refresh_keys
    from rules.identity.config import IdentityConfig

    one = a_record("1").model_copy(update={"emails": ("a@acme.com",)})
    two = a_record("2").model_copy(update={"emails": ("b@globex.com",)})
    store.upsert_records([one, two], seen_at=NOW)
    refresh_keys(store, [one, two], IdentityConfig())
    store.delete_records([a_ref("1")], seen_at=NOW + HOUR)
    with store.engine.connect() as conn:
        rows = conn.execute(select(schema.identity_keys.c.record_id)).scalars().all()
    assert set(rows) == {"2"}


def test_deleted_activities_are_forgotten_for_their_adapter_only(store: Store) -> None:
    store.upsert_activities([an_activity("c1", "1"), an_activity("c1:who", "2"), an_activity("c2", "1")])
    store.upsert_activities([an_activity("c1", "1", adapter="file")])
    store.delete_activities("zoho", ["c1", "c1:who", "never-stored"])
    assert sorted((a.adapter, a.id) for a in store.load_activities()) == [("file", "c1"), ("zoho", "c2")]
