"""Forward-only schema migrations, applied in order inside one transaction.

To change the schema, append ``(n, upgrade_vn)`` to :data:`MIGRATIONS` and put any new tables in
``schema.py`` (in a ``V<n>_TABLES`` tuple). A migration takes a Connection inside an open
transaction and must not commit. Released migrations are never edited.

``apply_migrations`` serialises concurrent callers: PostgreSQL takes a transaction-scoped advisory
lock keyed by the current schema, and SQLite runs inside ``BEGIN IMMEDIATE`` (see ``base.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, Table, func, insert, inspect, select, text

from connector.errors import StateError
from connector.store import schema

Migration = Callable[[Connection], None]


def upgrade_v1(conn: Connection) -> None:
    """Foundation: users, records, activities, owner changes, cursors, runs, lock, journal, kv."""
    for table in schema.V1_TABLES:
        table.create(conn, checkfirst=True)


def upgrade_v2(conn: Connection) -> None:
    """Identity keys: blocking keys per record, so ``referee check`` finds candidates by index."""
    for table in schema.V2_TABLES:
        table.create(conn, checkfirst=True)


def upgrade_v3(conn: Connection) -> None:
    """Webhook inbox: events committed before ``referee serve`` answers 202 (server issue)."""
    for table in schema.V3_TABLES:
        table.create(conn, checkfirst=True)


def upgrade_v4(conn: Connection) -> None:
    """Absences per user (``users.unavailable``), so assignment skips reps the CRM reports away."""
    _add_columns(conn, schema.V4_COLUMNS)


def upgrade_v5(conn: Connection) -> None:
    """Warnings per run (``runs.warnings``): degraded-but-finished runs say what to fix."""
    _add_columns(conn, schema.V5_COLUMNS)


def _add_columns(conn: Connection, columns: tuple[tuple[Table, str, str], ...]) -> None:
    """ALTER TABLE … ADD COLUMN for each column a store created earlier lacks (idempotent)."""
    for table, column, sql_type in columns:
        present = {c["name"] for c in inspect(conn).get_columns(table.name)}
        if column not in present:
            conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column} {sql_type}"))


def upgrade_v6(conn: Connection) -> None:
    """Findings history: each finding with the runs that first and last saw it (reports issue)."""
    for table in schema.V6_TABLES:
        table.create(conn, checkfirst=True)


def upgrade_v7(conn: Connection) -> None:
    """Wall-clock start and finish per run, and the exemptions table (operator experience issue)."""
    sql_type = "VARCHAR(32)" if conn.dialect.name == "sqlite" else "TIMESTAMP WITH TIME ZONE"
    _add_columns(conn, tuple((table, column, sql_type) for table, column in schema.V7_COLUMNS))
    for table in schema.V7_TABLES:
        table.create(conn, checkfirst=True)


MIGRATIONS: list[tuple[int, Migration]] = [
    (1, upgrade_v1),
    (2, upgrade_v2),
    (3, upgrade_v3),
    (4, upgrade_v4),
    (5, upgrade_v5),
    (6, upgrade_v6),
    (7, upgrade_v7),
]


def current_version() -> int:
    """The schema version this code writes (the last migration's number)."""
    return MIGRATIONS[-1][0]


def read_version(conn: Connection) -> int:
    """The version stored in the database; 0 when it was never migrated."""
    if not inspect(conn).has_table(schema.schema_version.name):
        return 0
    return conn.execute(select(func.max(schema.schema_version.c.version))).scalar() or 0


def apply_migrations(conn: Connection, *, now: datetime | None = None) -> list[int]:
    """Bring the schema to :func:`current_version`; returns the versions applied (often none)."""
    _check_order()
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('crm-referee migrate ' || current_schema()))")
        )
    schema.schema_version.create(conn, checkfirst=True)
    found = read_version(conn)
    target = current_version()
    if found > target:
        raise StateError(
            f"the state store has schema version {found}, newer than this crm-referee understands "
            f"({target}); upgrade crm-referee or point [referee] state at another store"
        )
    applied: list[int] = []
    for version, upgrade in MIGRATIONS:
        if version <= found:
            continue
        upgrade(conn)
        conn.execute(
            insert(schema.schema_version).values(version=version, applied_at=now or datetime.now(UTC))
        )
        applied.append(version)
    return applied


def _check_order() -> None:
    versions = [v for v, _ in MIGRATIONS]
    if versions != list(range(1, len(versions) + 1)):
        raise StateError(f"MIGRATIONS must be numbered 1, 2, 3, ... without gaps (found {versions})")
