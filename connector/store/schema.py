"""Table definitions of the state store (SQLAlchemy Core), grouped by the migration that creates them.

A table, once released, is never edited here: a later schema change adds a migration that alters
it, so that ``upgrade_v1`` keeps creating exactly the v1 shape. New tables go below, in a new
``V<n>_TABLES`` tuple that the matching migration creates.

Every timestamp column is :class:`UtcDateTime`: aware UTC datetimes in, aware UTC datetimes out,
on SQLite (fixed-width ISO text, so text order is time order) and PostgreSQL (``timestamptz``).
List and mapping fields of the domain model are stored as JSON text (``NULL`` when empty).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; naive values are refused instead of guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored (pass an aware datetime)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.isoformat(timespec="microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        return value.astimezone(UTC)


def _text_id() -> String:
    """An identifier column without a length limit (CRM ids and adapter names vary)."""
    return String()


# --- v1: foundation -------------------------------------------------------------------------

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", UtcDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("adapter", _text_id(), primary_key=True),
    Column("id", _text_id(), primary_key=True),
    Column("name", Text, nullable=False, default=""),
    Column("email", Text),
    Column("active", Boolean, nullable=False, default=True),
    Column("teams", Text),
    Column("time_zone", String(64)),
)

records = Table(
    "records",
    metadata,
    Column("adapter", _text_id(), primary_key=True),
    Column("module", String(32), primary_key=True),
    Column("id", _text_id(), primary_key=True),
    Column("owner_id", _text_id()),
    Column("created_at", UtcDateTime),
    Column("modified_at", UtcDateTime),
    Column("assigned_at", UtcDateTime),
    Column("status", Text),
    Column("company", Text),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("emails", Text),
    Column("phones", Text),
    Column("website", Text),
    Column("tax_id", Text),
    Column("country", Text),
    Column("city", Text),
    Column("account_id", _text_id()),
    Column("tags", Text),
    Column("extra", Text),
    Column("seen_at", UtcDateTime, nullable=False),
    Index("ix_records_owner", "adapter", "owner_id"),
)

activities = Table(
    "activities",
    metadata,
    Column("adapter", _text_id(), primary_key=True),
    Column("id", _text_id(), primary_key=True),
    Column("record_adapter", _text_id(), nullable=False),
    Column("record_module", String(32), nullable=False),
    Column("record_id", _text_id(), nullable=False),
    Column("owner_id", _text_id()),
    Column("kind", String(16), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("completed", Boolean, nullable=False, default=True),
    Index("ix_activities_record", "record_adapter", "record_module", "record_id"),
)

owner_changes = Table(
    "owner_changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("adapter", _text_id(), nullable=False),
    Column("module", String(32), nullable=False),
    Column("record_id", _text_id(), nullable=False),
    Column("old_owner_id", _text_id()),
    Column("new_owner_id", _text_id()),
    Column("seen_at", UtcDateTime, nullable=False),
    Index("ix_owner_changes_record", "adapter", "module", "record_id"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("adapter", _text_id(), primary_key=True),
    Column("stream", _text_id(), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("mode", String(32), nullable=False),
    Column("adapters", Text, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("status", String(32), nullable=False),
    Column("counts", Text),
    Column("error", Text),
    Index("ix_runs_started", "started_at"),
)

run_lock = Table(
    "run_lock",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("token", String(64), nullable=False),
    Column("holder", Text, nullable=False),
    Column("acquired_at", UtcDateTime, nullable=False),
)

journal = Table(
    "journal",
    metadata,
    Column("idempotency_key", String(128), primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("type", String(16), nullable=False),
    Column("rule", Text, nullable=False),
    Column("target_adapter", _text_id(), nullable=False),
    Column("target_module", String(32), nullable=False),
    Column("target_id", _text_id(), nullable=False),
    Column("action", Text, nullable=False),
    Column("message", Text, nullable=False, default=""),
    Column("attempts", Integer, nullable=False, default=0),
    Column("planned_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("applied_at", UtcDateTime),
    Index("ix_journal_run", "run_id"),
    Index("ix_journal_status_type", "status", "type"),
)

kv = Table(
    "kv",
    metadata,
    Column("namespace", String(128), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", Text, nullable=False),
)

V1_TABLES: tuple[Table, ...] = (
    users,
    records,
    activities,
    owner_changes,
    cursors,
    runs,
    run_lock,
    journal,
    kv,
)


# --- v2: identity keys (identity issue) -----------------------------------------------------

identity_keys = Table(
    "identity_keys",
    metadata,
    Column("adapter", _text_id(), primary_key=True),
    Column("module", String(32), primary_key=True),
    Column("record_id", _text_id(), primary_key=True),
    Column("key_type", String(32), primary_key=True),  # email, phone, company~, customer, ...
    Column("key_value", Text, primary_key=True),
    Index("ix_identity_keys_key", "key_type", "key_value"),
)

V2_TABLES: tuple[Table, ...] = (identity_keys,)

# --- v3: webhook inbox (server issue) -------------------------------------------------------

inbox = Table(
    "inbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("adapter", _text_id(), nullable=False),
    Column("event_id", String(512), nullable=False),
    Column("status", String(16), nullable=False),  # pending, processing, done, parked
    Column("attempts", Integer, nullable=False, default=0),
    Column("received_at", UtcDateTime, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),  # not before (retry backoff)
    Column("claimed_at", UtcDateTime),
    Column("claimed_by", Text),
    Column("finished_at", UtcDateTime),
    Column("error", Text),
    Column("event", Text, nullable=False),  # the verified InboundEvent as JSON
    Column("body", Text, nullable=False),  # the raw body as received, for audits
    Index("uq_inbox_event", "adapter", "event_id", unique=True),
    Index("ix_inbox_due", "status", "available_at"),
)

V3_TABLES: tuple[Table, ...] = (inbox,)

# --- v4: absences the CRM reports per user (unavailability issue) ---------------------------
# A new column on a released table: ``upgrade_v4`` adds it with ALTER TABLE. Because ``upgrade_v1``
# creates ``users`` from this (now extended) Table object, a fresh store already has the column
# and ``upgrade_v4`` only adds it where it is missing.

users.append_column(Column("unavailable", Text))  # JSON list of absences, NULL when none

V4_COLUMNS: tuple[tuple[Table, str, str], ...] = (
    (users, "unavailable", "TEXT"),  # (table, column, portable SQL type)
)

# --- v5: warnings of a run (Zoho issue: a failed channel renewal warns instead of failing) ----
# Same pattern as v4: ``upgrade_v1`` creates ``runs`` with the column, ``upgrade_v5`` adds it
# to stores created before.

runs.append_column(Column("warnings", Text))  # JSON list of {adapter, code, message}, NULL when none

V5_COLUMNS: tuple[tuple[Table, str, str], ...] = ((runs, "warnings", "TEXT"),)

# --- v6: findings history (reports issue) ---------------------------------------------------
# One row per finding, keyed by its history key (``connector.domain.finding_key``): what it is
# (kind, rule, records, owners, keeper, customer, evidence, details; the latest words) and when
# runs saw it (first and last). Reports, ``referee stats``, digests ("new" conflicts and breaches)
# and "a late first contact is reported once" read it.

findings = Table(
    "findings",
    metadata,
    Column("finding_key", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("rule", Text, nullable=False),
    Column("records", Text, nullable=False),  # JSON [[adapter, module, id], ...]
    Column("owners", Text, nullable=False),  # JSON [user id, ...]
    Column("keeper", _text_id()),
    Column("customer", _text_id()),
    Column("evidence", Text, nullable=False),  # JSON [sentence, ...]
    Column("details", Text),  # JSON object, NULL when empty
    Column("due_at", UtcDateTime),
    Column("breached_at", UtcDateTime),
    Column("first_seen_run", String(64), nullable=False),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("last_seen_run", String(64), nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("first_applied_at", UtcDateTime),  # first seen by a run that writes back (apply mode)
    Column("times_seen", Integer, nullable=False, default=1),
    Index("ix_findings_first_seen", "first_seen_at"),
    Index("ix_findings_last_seen", "last_seen_at"),
)

V6_TABLES: tuple[Table, ...] = (findings,)

# --- v7: operator experience (issue 14) ------------------------------------------------------
# Runs get the wall-clock time they really started and finished (``started_at`` is the run's
# ``--now``, which a replayed run sets weeks back), so ``referee runs`` shows true start times and
# durations. Exemptions: pairs of records that are not one customer, and customers two named reps
# may pursue together (``referee exempt``).

runs.append_column(Column("wall_started_at", UtcDateTime))
runs.append_column(Column("wall_finished_at", UtcDateTime))

V7_COLUMNS: tuple[tuple[Table, str], ...] = ((runs, "wall_started_at"), (runs, "wall_finished_at"))
"""(table, column) added as UtcDateTime columns (the SQL type depends on the dialect)."""

exemptions = Table(
    "exemptions",
    metadata,
    Column("exemption_id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),  # "not-same" or "co-pursue"
    Column("records", Text, nullable=False),  # JSON [[adapter, module, id], ...]
    Column("users", Text, nullable=False),  # JSON [user id, ...] (co-pursue: the reps)
    Column("reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

V7_TABLES: tuple[Table, ...] = (exemptions,)
