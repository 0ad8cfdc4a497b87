"""Engine, transactions and schema management shared by every part of :class:`Store`.

SQLite gets WAL (readers never block the writer), a 30 s busy timeout, and explicit transactions:
pysqlite's own implicit BEGIN is switched off so that DDL is transactional and write transactions
start with ``BEGIN IMMEDIATE`` (taking the write lock up front avoids "database is locked" when a
read transaction later tries to write).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Insert,
    Table,
    create_engine,
    event,
    exc,
    make_url,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from connector.errors import StateError
from connector.store import migrations

T = TypeVar("T")

BUSY_TIMEOUT_S = 30
_SQLITE_BEGIN = "referee_sqlite_begin"
_EXAMPLES = '"sqlite:///path/to/referee.db" or "postgresql+psycopg://user@host/db"'


class StoreBase:
    """Owns the engine; subclasses run their statements through :meth:`_read` and :meth:`_write`."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except exc.ArgumentError as error:
            raise StateError(
                f"the state store URL is not valid ({error}); write it like {_EXAMPLES}"
            ) from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise StateError(
                f'state store URL "{parsed.render_as_string(hide_password=True)}" is not supported '
                f"(write it like {_EXAMPLES})"
            )
        self._safe_url = parsed.render_as_string(hide_password=True)
        try:
            if self.dialect == "sqlite":
                self.engine = _sqlite_engine(url)
            else:
                self.engine = create_engine(url, pool_pre_ping=True)
        except ImportError as error:
            raise StateError(
                f"cannot open the state store at {self._safe_url}: {error} "
                "(for PostgreSQL run: pip install 'crm-referee[postgres]')"
            ) from None
        except exc.ArgumentError as error:
            raise StateError(f"cannot open the state store at {self._safe_url}: {error}") from None

    @classmethod
    def open(cls, url: str) -> Self:
        """Construct and migrate: the usual way to get a ready store."""
        store = cls(url)
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    # --- schema ---------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create or upgrade the schema to the current version; a no-op when it is current."""
        self._ensure_sqlite_dir()
        with self._write() as conn:
            migrations.apply_migrations(conn)

    def schema_version(self) -> int:
        with self._read() as conn:
            return migrations.read_version(conn)

    def is_current(self) -> bool:
        return self.schema_version() == migrations.current_version()

    def ping(self) -> None:
        """Raise :class:`StateError` when the database cannot be reached."""
        with self._read() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._safe_url!r})"

    # --- transactions ---------------------------------------------------------------------

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A read transaction for modules outside the store (e.g. the identity index)."""
        with self._read() as conn:
            yield conn

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction (committed on success) for modules outside the store."""
        with self._write() as conn:
            yield conn

    @contextmanager
    def raw_read(self) -> Iterator[Any]:
        """A DB-API cursor inside one read transaction, for latency-critical paths.

        SQLAlchemy costs ~0.3 ms per statement (compile-cache lookup, execution context, result
        wrapping); a raw cursor costs ~20 µs. Statements use ``?`` placeholders on SQLite and
        ``%s`` on PostgreSQL (see :attr:`placeholder`); values come back as the driver gives them
        (on SQLite, datetimes are ISO strings). Driver errors surface as :class:`StateError`.
        """
        try:
            raw = self.engine.raw_connection()
        except exc.SQLAlchemyError as error:
            raise StateError(f"state store {self._safe_url}: {_describe(error)}") from error
        try:
            cursor = raw.cursor()
            if self.dialect == "sqlite":
                cursor.execute("BEGIN")  # one snapshot for every statement (autocommit otherwise)
            try:
                yield cursor
            finally:
                cursor.close()
                raw.rollback()  # read-only: ends the transaction (SQLite: no-op outside one)
        except self.engine.dialect.loaded_dbapi.Error as error:
            raise StateError(f"state store {self._safe_url}: {_describe_driver(error)}") from error
        finally:
            raw.close()

    @property
    def placeholder(self) -> str:
        """The DB-API parameter marker for :meth:`raw_read` statements."""
        return "?" if self.dialect == "sqlite" else "%s"

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A short transaction for reads (deferred on SQLite, so it never waits for a writer)."""
        with self._transaction(immediate=False) as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A transaction that will write: ``BEGIN IMMEDIATE`` on SQLite; committed on success."""
        with self._transaction(immediate=True) as conn:
            yield conn

    @contextmanager
    def _transaction(self, *, immediate: bool) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    conn.execution_options(**{_SQLITE_BEGIN: "BEGIN IMMEDIATE" if immediate else "BEGIN"})
                with conn.begin():
                    yield conn
        except exc.IntegrityError:
            raise
        except exc.SQLAlchemyError as error:
            raise StateError(f"state store {self._safe_url}: {_describe(error)}") from error

    def _ensure_sqlite_dir(self) -> None:
        if self.dialect != "sqlite":
            return
        database = make_url(self.url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StateError(
                    f"cannot create the folder {folder} for the state store ({error.strerror}); "
                    "change [referee] state or create the folder"
                ) from None


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(_SQLITE_BEGIN, "BEGIN"))

    return engine


def _switch_to_wal(cursor: Any, attempts: int = 50) -> None:
    """``PRAGMA journal_mode=WAL``, retried: on a brand-new file two processes switching at once
    can get "database is locked" without SQLite's busy handler being consulted."""
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))


def _describe_driver(error: Exception) -> str:
    message = str(error).strip().splitlines()
    return message[0] if message else type(error).__name__


def _describe(error: exc.SQLAlchemyError) -> str:
    """The driver's message without SQLAlchemy's SQL/parameter dump (which may hold data)."""
    orig = getattr(error, "orig", None)
    message = str(orig if orig is not None else error).strip().splitlines()
    return message[0] if message else type(error).__name__


def upsert(
    dialect: str,
    table: Table,
    keys: Sequence[str],
    update: Sequence[str] | None = None,
    *,
    extra: Mapping[str, Any] | None = None,
    where: ColumnElement[bool] | None = None,
) -> Insert:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` for SQLite and PostgreSQL (same syntax on both).

    ``update`` names the columns taken from the new row (default: every non-key column), ``extra``
    adds other assignments (e.g. a counter), and ``where`` limits which existing rows change.
    """
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    names = update if update is not None else [c.name for c in table.columns if c.name not in keys]
    assignments: dict[str, Any] = {name: insert.excluded[name] for name in names}
    assignments.update(extra or {})
    return insert.on_conflict_do_update(index_elements=list(keys), set_=assignments, where=where)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items (bounded statements and parameter lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
