"""Users keep the absences the CRM reported (schema v4), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import insert, inspect, text, update

from connector.domain import Absence, User
from connector.store import CURRENT_VERSION, MIGRATIONS, Store, schema
from connector.store.codec import dump_absences, load_absences
from tests.store.builders import NOW

SHANGHAI = timezone(timedelta(hours=8))
LEAVE = Absence(
    starts_at=datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI),
    ends_at=datetime(2026, 11, 30, 18, 0, tzinfo=SHANGHAI),
    reason="Annual leave",
)
MEETING = Absence(starts_at=NOW, ends_at=NOW + timedelta(hours=2))


def test_absences_round_trip(store: Store) -> None:
    alice = User(id="u1", name="Alice", unavailable=(LEAVE, MEETING))
    store.upsert_users("zoho", [alice, User(id="u2", name="Bob")])

    loaded = {u.id: u for u in store.load_users("zoho")}

    assert loaded["u1"] == alice
    assert loaded["u1"].unavailable[0].reason == "Annual leave"
    assert loaded["u1"].unavailable[0].starts_at == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert loaded["u1"].unavailable[1].reason is None
    assert loaded["u2"].unavailable == ()


def test_a_later_pull_without_absences_clears_them(store: Store) -> None:
    store.upsert_users("zoho", [User(id="u1", unavailable=(LEAVE,))])
    store.upsert_users("zoho", [User(id="u1")])
    assert store.load_users("zoho") == [User(id="u1")]


def test_the_column_is_null_when_there_are_none(store: Store) -> None:
    store.upsert_users("zoho", [User(id="u1")])
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT unavailable FROM users")).scalar() is None


def test_codec_keeps_offsets_and_reasons() -> None:
    dumped = dump_absences((LEAVE,))
    assert dumped is not None and "+08:00" in dumped
    assert load_absences(dumped) == (LEAVE,)
    assert dump_absences(()) is None
    assert load_absences(None) == ()


def test_a_v3_store_gains_the_column_and_keeps_its_users(store_url: str) -> None:
    store = Store(store_url)
    try:
        with store.engine.begin() as conn:  # build a v3 store: users without the v4 column
            schema.schema_version.create(conn)
            for version, upgrade in MIGRATIONS[:3]:
                upgrade(conn)
                conn.execute(insert(schema.schema_version).values(version=version, applied_at=NOW))
            conn.execute(text("ALTER TABLE users DROP COLUMN unavailable"))
            conn.execute(
                text("INSERT INTO users (adapter, id, name, active) VALUES ('zoho', 'u1', 'Old', true)")
            )
        assert "unavailable" not in {c["name"] for c in inspect(store.engine).get_columns("users")}
        assert store.schema_version() == 3

        store.migrate()

        assert store.schema_version() == CURRENT_VERSION >= 4
        assert "unavailable" in {c["name"] for c in inspect(store.engine).get_columns("users")}
        assert store.load_users("zoho") == [User(id="u1", name="Old")]
        store.upsert_users("zoho", [User(id="u1", name="Old", unavailable=(LEAVE,))])
        assert store.load_users("zoho")[0].unavailable == (LEAVE,)
    finally:
        store.close()


def test_upgrade_v4_is_a_no_op_on_a_fresh_store(store: Store) -> None:
    upgrade_v4 = dict(MIGRATIONS)[4]
    with store.engine.begin() as conn:
        upgrade_v4(conn)  # the column exists already: nothing to add, no error
        conn.execute(update(schema.users).values(unavailable=None))
    assert store.schema_version() == CURRENT_VERSION
