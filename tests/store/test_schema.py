from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import insert, inspect

from connector.errors import StateError
from connector.store import CURRENT_VERSION, MIGRATIONS, Store, schema
from tests.store.builders import NOW


def test_open_migrates_to_the_current_version(store: Store) -> None:
    assert store.schema_version() == CURRENT_VERSION
    assert store.is_current()
    assert [v for v, _ in MIGRATIONS] == list(range(1, CURRENT_VERSION + 1))


def test_a_new_store_has_version_zero_until_migrated(store_url: str) -> None:
    store = Store(store_url)
    try:
        assert store.schema_version() == 0
        assert not store.is_current()
        store.migrate()
        assert store.schema_version() == CURRENT_VERSION
    finally:
        store.close()


def test_migrate_is_idempotent(store: Store) -> None:
    store.migrate()
    store.migrate()
    assert store.schema_version() == CURRENT_VERSION
    assert store.count_records() == 0


def test_migrate_keeps_data(store: Store, store_url: str, make_store: Callable[[str], Store]) -> None:
    store.set_value("ns", "k", "v")
    again = make_store(store_url)
    assert again.get_value("ns", "k") == "v"


def test_concurrent_migrations_both_succeed(store_url: str, make_store: Callable[[str], Store]) -> None:
    stores = [Store(store_url), Store(store_url)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(stores))

    def migrate(store: Store) -> None:
        barrier.wait()
        try:
            store.migrate()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=migrate, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == []
    assert make_store(store_url).schema_version() == CURRENT_VERSION


def test_a_newer_schema_is_refused(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(schema.schema_version).values(version=CURRENT_VERSION + 1, applied_at=NOW))
    with pytest.raises(StateError, match=r"newer than this crm-referee understands"):
        store.migrate()


def test_ping_passes_on_a_reachable_store(store: Store) -> None:
    store.ping()


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(
            "postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2", id="pg-closed-port"
        ),
        pytest.param("sqlite:////proc/no/such/dir/referee.db", id="sqlite-bad-path"),
    ],
)
def test_ping_raises_state_error_without_leaking_the_password(url: str) -> None:
    store = Store(url)
    try:
        with pytest.raises(StateError) as caught:
            store.ping()
        assert "secret" not in str(caught.value)
    finally:
        store.close()


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("mysql://u@h/db", id="unsupported-backend"),
        pytest.param("not a url", id="garbage"),
    ],
)
def test_unsupported_urls_are_a_state_error(url: str) -> None:
    with pytest.raises(StateError, match="sqlite:///"):
        Store(url)


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'nested' / 'state.db'}")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert store.dialect == "sqlite"
    finally:
        store.close()


def test_constructing_a_store_does_no_io(tmp_path: Path) -> None:
    path = tmp_path / "later" / "state.db"
    store = Store(f"sqlite:///{path}")
    assert not path.parent.exists()
    store.migrate()
    assert path.exists()
    store.close()


def test_an_older_store_is_upgraded_forward(store_url: str) -> None:
    store = Store(store_url)
    try:
        with store.engine.begin() as conn:
            schema.schema_version.create(conn)
            MIGRATIONS[0][1](conn)
            conn.execute(insert(schema.schema_version).values(version=1, applied_at=NOW))
        store.set_value("ns", "kept", "yes")
        assert store.schema_version() == 1

        store.migrate()

        assert store.schema_version() == CURRENT_VERSION
        assert set(schema.metadata.tables) <= set(inspect(store.engine).get_table_names())
        assert store.get_value("ns", "kept") == "yes"
    finally:
        store.close()


def test_a_v4_store_gains_run_warnings_and_keeps_its_runs(store_url: str) -> None:
    from sqlalchemy import text

    store = Store(store_url)
    try:
        with store.engine.begin() as conn:
            schema.schema_version.create(conn)
            for version, upgrade in MIGRATIONS[:4]:
                upgrade(conn)
                conn.execute(insert(schema.schema_version).values(version=version, applied_at=NOW))
            conn.execute(text("ALTER TABLE runs DROP COLUMN warnings"))  # as v4 created it
            conn.execute(
                text(
                    "INSERT INTO runs (run_id, mode, adapters, started_at, status) "
                    "VALUES ('r1', 'apply', '[\"zoho\"]', :at, 'running')"
                ),
                {"at": NOW},
            )
        store.migrate()
        assert "warnings" in {c["name"] for c in inspect(store.engine).get_columns("runs")}
        [run] = store.list_runs()
        assert (run.run_id, run.warnings) == ("r1", ())
        store.migrate()  # idempotent
    finally:
        store.close()
