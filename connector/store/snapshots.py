"""The latest snapshot of users, records and activities per adapter, and observed owner changes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY

from connector.domain import Activity, OwnerChange, Record, RecordRef, User
from connector.gcpause import gc_paused
from connector.store import codec, schema
from connector.store.base import StoreBase, chunks, upsert

WRITE_CHUNK = 1_000  # rows per executemany and ids per IN (...) list

_records = schema.records
_activities = schema.activities
_changes = schema.owner_changes
_RECORD_COLUMNS = [_records.c[name] for name in codec.RECORD_FIELDS]
_RECORD_ORDER = (_records.c.adapter, _records.c.module, _records.c.id)
_RECORD_KEYS = _RECORD_ORDER
_ACTIVITY_KEYS = (_activities.c.record_adapter, _activities.c.record_module, _activities.c.record_id)
_CHANGE_KEYS = (_changes.c.adapter, _changes.c.module, _changes.c.record_id)
_identity = schema.identity_keys
_IDENTITY_KEYS = (_identity.c.adapter, _identity.c.module, _identity.c.record_id)


class SnapshotStore(StoreBase):
    # --- users ----------------------------------------------------------------------------

    def upsert_users(self, adapter: str, users: Sequence[User]) -> None:
        rows = list({user.id: codec.user_to_row(adapter, user) for user in users}.values())
        stmt = upsert(self.dialect, schema.users, ("adapter", "id"))
        with self._write() as conn:
            for chunk in chunks(rows, WRITE_CHUNK):
                conn.execute(stmt, list(chunk))

    def load_users(self, adapter: str | None = None) -> list[User]:
        query = select(schema.users).order_by(schema.users.c.adapter, schema.users.c.id)
        if adapter is not None:
            query = query.where(schema.users.c.adapter == adapter)
        with self._read() as conn:
            return [codec.row_to_user(row) for row in conn.execute(query)]

    # --- records --------------------------------------------------------------------------

    def upsert_records(self, records: Sequence[Record], *, seen_at: datetime) -> list[OwnerChange]:
        """Insert or replace records; return (and keep) the owner changes this reveals.

        A record seen for the first time is not an owner change. ``seen_at`` is our clock: it
        dates the owner changes (the fallback for ``assigned_at``) and guards ``delete_records``.
        A copy older than the stored one (both have ``modified_at``, the new one's is earlier) is
        ignored: a redelivered or delayed webhook must not undo a newer change, owner included.
        """
        changes: list[OwnerChange] = []
        stmt = upsert(self.dialect, _records, ("adapter", "module", "id"))
        with self._write() as conn:
            for chunk in chunks(records, WRITE_CHUNK):
                stored = _stored_state(conn, [(r.adapter, r.module.value, r.id) for r in chunk])
                rows: dict[tuple[str, str, str], dict[str, Any]] = {}
                found: list[OwnerChange] = []
                for record in chunk:
                    key = (record.adapter, record.module.value, record.id)
                    if key in stored:
                        owner, modified = stored[key]
                        if _is_older(record.modified_at, modified):
                            continue
                        if owner != record.owner_id:
                            found.append(
                                OwnerChange(
                                    record=record.ref,
                                    old_owner_id=owner,
                                    new_owner_id=record.owner_id,
                                    seen_at=seen_at,
                                )
                            )
                    stored[key] = (record.owner_id, record.modified_at)
                    rows[key] = codec.record_to_row(record, seen_at)
                if found:
                    conn.execute(insert(_changes), [_change_row(c) for c in found])
                if rows:
                    conn.execute(stmt, list(rows.values()))
                changes.extend(found)
        return changes

    def delete_records(self, refs: Sequence[RecordRef], *, seen_at: datetime) -> None:
        """Remove records with their activities, owner changes and identity keys.

        A record stored after ``seen_at`` is kept: a late deletion notice must not remove a
        record that a newer pull brought back.
        """
        with self._write() as conn:
            for (adapter, module), ids in _group(refs):
                for chunk in chunks(ids, WRITE_CHUNK):
                    stale = _records.c.seen_at <= seen_at
                    found = _match_ids(conn, (_records.c.id,), _RECORD_KEYS, adapter, module, chunk, stale)
                    gone = [{"a": adapter, "m": module, "i": row.id} for row in found]
                    if not gone:
                        continue
                    for table, keys in (
                        (_records, _RECORD_KEYS),
                        (_activities, _ACTIVITY_KEYS),
                        (_changes, _CHANGE_KEYS),
                        (_identity, _IDENTITY_KEYS),
                    ):
                        adapter_col, module_col, id_col = keys
                        conn.execute(
                            delete(table).where(
                                adapter_col == bindparam("a"),
                                module_col == bindparam("m"),
                                id_col == bindparam("i"),
                            ),
                            gone,
                        )

    def load_records(
        self, adapter: str | None = None, refs: Sequence[RecordRef] | None = None
    ) -> list[Record]:
        """Records in key order; ``refs`` limits them to those records (missing ones are absent)."""
        rows: list[Any] = []
        with gc_paused(), self._read() as conn:
            if refs is None:
                query = select(*_RECORD_COLUMNS).order_by(*_RECORD_ORDER)
                if adapter is not None:
                    query = query.where(_records.c.adapter == adapter)
                rows.extend(conn.execute(query).all())
            else:
                for (ref_adapter, module), ids in _group(refs):
                    if adapter is not None and ref_adapter != adapter:
                        continue
                    for chunk in chunks(ids, WRITE_CHUNK):
                        rows.extend(
                            _match_ids(conn, _RECORD_COLUMNS, _RECORD_KEYS, ref_adapter, module, chunk)
                        )
                rows.sort(key=lambda row: (row.adapter, row.module, row.id))
            return [codec.row_to_record(row) for row in rows]

    def iter_records(self, adapter: str | None = None, batch: int = 10_000) -> Iterator[Record]:
        """Stream records in key order, ``batch`` per query (keyset paging; no long transaction)."""
        after: tuple[str, str, str] | None = None
        while True:
            query = select(*_RECORD_COLUMNS).order_by(*_RECORD_ORDER).limit(batch)
            if adapter is not None:
                query = query.where(_records.c.adapter == adapter)
            if after is not None and adapter is not None:  # spelled so the key index bounds the scan
                query = query.where(tuple_(_records.c.module, _records.c.id) > tuple_(*after[1:]))
            elif after is not None:
                query = query.where(tuple_(*_RECORD_ORDER) > tuple_(*after))
            with gc_paused(), self._read() as conn:
                rows = conn.execute(query).all()
                batch_records = [codec.row_to_record(row) for row in rows]
            yield from batch_records
            if len(rows) < batch:
                return
            last = rows[-1]
            after = (last.adapter, last.module, last.id)

    def count_records(self, adapter: str | None = None) -> int:
        query = select(func.count()).select_from(_records)
        if adapter is not None:
            query = query.where(_records.c.adapter == adapter)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    # --- activities and owner changes -----------------------------------------------------

    def upsert_activities(self, activities: Sequence[Activity]) -> None:
        rows = list({(a.adapter, a.id): codec.activity_to_row(a) for a in activities}.values())
        stmt = upsert(self.dialect, _activities, ("adapter", "id"))
        with self._write() as conn:
            for chunk in chunks(rows, WRITE_CHUNK):
                conn.execute(stmt, list(chunk))

    def delete_activities(self, adapter: str, ids: Sequence[str]) -> None:
        """Forget activities the CRM deleted (or that no longer link to a tracked record)."""
        unique = sorted(set(ids))
        with self._write() as conn:
            for chunk in chunks(unique, WRITE_CHUNK):
                conn.execute(
                    delete(_activities).where(_activities.c.adapter == adapter, _activities.c.id.in_(chunk))
                )

    def load_activities(
        self, adapter: str | None = None, records: Sequence[RecordRef] | None = None
    ) -> list[Activity]:
        """Activities by time; ``records`` limits them to activities on those records."""
        with self._read() as conn:
            rows = list(_select_by_record(conn, _activities, adapter, records, _ACTIVITY_KEYS))
        rows.sort(key=lambda row: (row.occurred_at, row.adapter, row.id))
        return [codec.row_to_activity(row) for row in rows]

    def load_owner_changes(
        self, adapter: str | None = None, records: Sequence[RecordRef] | None = None
    ) -> list[OwnerChange]:
        """Owner changes in the order they were seen."""
        with self._read() as conn:
            rows = list(_select_by_record(conn, _changes, adapter, records, _CHANGE_KEYS))
        rows.sort(key=lambda row: (row.seen_at, row.seq))
        return [codec.row_to_owner_change(row) for row in rows]


def _select_by_record(
    conn: Connection,
    table: Table,
    adapter: str | None,
    records: Sequence[RecordRef] | None,
    keys: tuple[Any, Any, Any],
) -> Iterable[Any]:
    """Rows of ``table`` filtered by the adapter of the record and, if given, the records."""
    if records is None:
        query = select(table)
        if adapter is not None:
            query = query.where(keys[0] == adapter)
        yield from conn.execute(query)
        return
    for (ref_adapter, module), ids in _group(records):
        if adapter is not None and ref_adapter != adapter:
            continue
        for chunk in chunks(ids, WRITE_CHUNK):
            yield from _match_ids(conn, list(table.c), keys, ref_adapter, module, chunk)




def _match_ids(
    conn: Connection,
    columns: Sequence[Any],
    keys: tuple[Any, Any, Any],
    adapter: str,
    module: str,
    ids: Sequence[str],
    *where: ColumnElement[bool],
) -> Iterable[Any]:
    """Rows whose (adapter, module, id) ``keys`` match, looked up id by id through the index.

    On PostgreSQL a plain ``id IN (...)`` depends on table statistics: on a table that grew since
    its last ANALYZE (always true during the first big pull, and forever with autovacuum off) the
    planner filters every row of the adapter instead, once per chunk. A LATERAL lookup per id
    behind ``OFFSET 0`` (which the planner may not flatten) always uses the index.
    """
    return conn.execute(match_ids_query(conn.dialect.name, columns, keys, adapter, module, ids, *where))


def match_ids_query(
    dialect: str,
    columns: Sequence[Any],
    keys: tuple[Any, Any, Any],
    adapter: str,
    module: str,
    ids: Sequence[str],
    *where: ColumnElement[bool],
) -> Select[Any]:
    """The statement behind :func:`_match_ids` (separate so tests can EXPLAIN it)."""
    adapter_col, module_col, id_col = keys
    if dialect != "postgresql":
        return select(*columns).where(adapter_col == adapter, module_col == module, id_col.in_(ids), *where)
    wanted = (
        func.unnest(bindparam("ids", list(ids), type_=ARRAY(String())))
        .table_valued("id")
        .render_derived(name="wanted")
    )
    found = (
        select(*columns)
        .where(adapter_col == adapter, module_col == module, id_col == wanted.c.id, *where)
        .offset(0)
        .lateral("found")
    )
    return select(*(found.c[c.name] for c in columns)).select_from(wanted).join(found, true())


def _stored_state(
    conn: Connection, keys: Sequence[tuple[str, str, str]]
) -> dict[tuple[str, str, str], tuple[str | None, datetime | None]]:
    """The stored owner and ``modified_at`` of each (adapter, module, id) already in the store."""
    groups: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
    for adapter, module, id_ in keys:
        groups[(adapter, module)].append(id_)
    found: dict[tuple[str, str, str], tuple[str | None, datetime | None]] = {}
    for (adapter, module), ids in groups.items():
        columns = (_records.c.id, _records.c.owner_id, _records.c.modified_at)
        for id_, owner_id, modified_at in _match_ids(conn, columns, _RECORD_KEYS, adapter, module, ids):
            found[(adapter, module, id_)] = (owner_id, modified_at)
    return found


def _is_older(new: datetime | None, stored: datetime | None) -> bool:
    return new is not None and stored is not None and new < stored


def _group(refs: Iterable[RecordRef]) -> list[tuple[tuple[str, str], list[str]]]:
    """Record ids grouped by (adapter, module), deduplicated, in a stable order."""
    groups: defaultdict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    for ref in refs:
        groups[(ref.adapter, ref.module.value)][ref.id] = None
    return [(key, list(ids)) for key, ids in sorted(groups.items())]


def _change_row(change: OwnerChange) -> dict[str, Any]:
    return {
        "adapter": change.record.adapter,
        "module": change.record.module.value,
        "record_id": change.record.id,
        "old_owner_id": change.old_owner_id,
        "new_owner_id": change.new_owner_id,
        "seen_at": change.seen_at,
    }
