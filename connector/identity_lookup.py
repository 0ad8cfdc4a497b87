"""The store reads behind one ``check``, as a handful of raw DB-API statements.

A check used to run about ten SQLAlchemy statements at ~0.3–0.5 ms of overhead each, which was
most of its latency. Here every read is one hand-written statement on a raw cursor inside a
single read transaction (:meth:`Store.raw_read`): the key counts, the candidates' records with
their customer ids (one join), the customers' member records (one join), and their activities and
owner changes. The SQL is the same on SQLite and PostgreSQL apart from the placeholder.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from connector.domain import Activity, OwnerChange, Record
from connector.store import Store
from connector.store.codec import (
    RECORD_FIELDS,
    row_to_activity,
    row_to_owner_change,
    row_to_record,
)
from connector.store.schema import UtcDateTime

CUSTOMER_KEY = "customer"
Ident = tuple[str, str, str]
"""``(adapter, module value, id)`` of a stored record."""

_REFS_PER_STATEMENT = 1000  # 3 parameters each: far below SQLite's and PostgreSQL's limits
_RECORD_DATES = tuple(i for i, name in enumerate(RECORD_FIELDS) if name.endswith("_at"))
_ActivityRow = namedtuple(
    "_ActivityRow",
    "adapter id record_adapter record_module record_id owner_id kind occurred_at completed",
)
_ChangeRow = namedtuple("_ChangeRow", "seq adapter module record_id old_owner_id new_owner_id seen_at")
_RECORD_COLUMNS = ", ".join(f"r.{name}" for name in RECORD_FIELDS)


class Found(NamedTuple):
    """A stored record and its indexed customer id (``None`` before the first full resolution)."""

    record: Record
    customer: str | None
    by_exact_key: bool = True
    """False when only a name token found it: then only token-keyed rules can match it."""


class CheckReader:
    """The statements of one check, run on one cursor (one consistent snapshot of the store)."""

    def __init__(self, store: Store, cursor: Any) -> None:
        self._cursor = cursor
        self._p = store.placeholder
        utc = UtcDateTime()
        dialect = store.engine.dialect
        self._date: Callable[[Any], datetime | None] = lambda v: utc.process_result_value(v, dialect)

    def key_counts(self, keys: Sequence[tuple[str, str]], cap: int) -> list[int]:
        """How many records hold each key, each count stopping at ``cap + 1`` (index only)."""
        if not keys:
            return []
        p, limit = self._p, int(cap) + 1
        counts = ", ".join(
            f"(SELECT count(*) FROM (SELECT 1 FROM identity_keys WHERE key_type = {p} AND key_value = {p}"
            f" LIMIT {limit}) AS t{n})"
            for n in range(len(keys))
        )
        self._cursor.execute(f"SELECT {counts}", [v for key in keys for v in key])
        return [int(c) for c in self._cursor.fetchone()]

    def records_with_keys(
        self, exact: Sequence[tuple[str, str]], tokens: Sequence[tuple[str, str]] = ()
    ) -> list[Found]:
        """Every stored record holding one of the ``exact`` keys or name ``tokens``, in key order,
        with its customer id and whether it holds an exact key."""
        if not exact and not tokens:
            return []
        p = self._p
        found = " UNION ALL ".join(
            f"SELECT adapter, module, record_id, {kind} AS by_token FROM identity_keys WHERE "
            + " OR ".join(f"(key_type = {p} AND key_value = {p})" for _ in keys)
            for kind, keys in ((0, exact), (1, tokens))
            if keys
        )
        sql = (
            f"SELECT {_RECORD_COLUMNS}, c.key_value, f.by_token FROM"
            f" (SELECT adapter, module, record_id, min(by_token) AS by_token FROM ({found}) AS k"
            " GROUP BY adapter, module, record_id) AS f"
            " JOIN records AS r ON r.adapter = f.adapter AND r.module = f.module AND r.id = f.record_id"
            " LEFT JOIN identity_keys AS c ON c.adapter = r.adapter AND c.module = r.module"
            f" AND c.record_id = r.id AND c.key_type = '{CUSTOMER_KEY}'"
        )
        self._cursor.execute(sql, [v for key in (*exact, *tokens) for v in key])
        return self._found(self._cursor.fetchall(), flagged=True)

    def customer_members(self, customers: Sequence[str]) -> list[Found]:
        """Every stored record indexed under one of ``customers``, in key order."""
        found: list[Found] = []
        for start in range(0, len(customers), _REFS_PER_STATEMENT):
            chunk = customers[start : start + _REFS_PER_STATEMENT]
            sql = (
                f"SELECT {_RECORD_COLUMNS}, c.key_value FROM identity_keys AS c"
                " JOIN records AS r ON r.adapter = c.adapter AND r.module = c.module AND r.id = c.record_id"
                f" WHERE c.key_type = '{CUSTOMER_KEY}' AND c.key_value IN ({', '.join([self._p] * len(chunk))})"
            )
            self._cursor.execute(sql, list(chunk))
            found.extend(self._found(self._cursor.fetchall()))
        found.sort(key=lambda f: (f.record.adapter, f.record.module.value, f.record.id))
        return found

    def activities(self, idents: Sequence[Ident]) -> list[Activity]:
        """Activities on those records, by time (as ``Store.load_activities`` orders them)."""
        rows = [
            _ActivityRow(a, i, ra, rm, ri, owner, kind, self._date(at), done)
            for a, i, ra, rm, ri, owner, kind, at, done in self._by_record(
                "SELECT x.adapter, x.id, x.record_adapter, x.record_module, x.record_id, x.owner_id, x.kind,"
                " x.occurred_at, x.completed FROM w JOIN activities AS x ON x.record_adapter = w.a"
                " AND x.record_module = w.m AND x.record_id = w.i",
                idents,
            )
        ]
        rows.sort(key=lambda row: (row.occurred_at, row.adapter, row.id))
        return [row_to_activity(row) for row in rows]

    def owner_changes(self, idents: Sequence[Ident]) -> list[OwnerChange]:
        """Owner changes of those records in the order they were seen."""
        rows = [
            _ChangeRow(seq, a, m, i, old, new, self._date(seen))
            for seq, a, m, i, old, new, seen in self._by_record(
                "SELECT x.seq, x.adapter, x.module, x.record_id, x.old_owner_id, x.new_owner_id, x.seen_at"
                " FROM w JOIN owner_changes AS x ON x.adapter = w.a AND x.module = w.m AND x.record_id = w.i",
                idents,
            )
        ]
        rows.sort(key=lambda row: (row.seen_at, row.seq))
        return [row_to_owner_change(row) for row in rows]

    def _by_record(self, select: str, idents: Sequence[Ident]) -> list[Any]:
        """Rows of ``select`` joined to ``w(a, m, i)``, a VALUES list of the records (index lookups)."""
        rows: list[Any] = []
        for start in range(0, len(idents), _REFS_PER_STATEMENT):
            chunk = idents[start : start + _REFS_PER_STATEMENT]
            values = ", ".join([f"({self._p}, {self._p}, {self._p})"] * len(chunk))
            self._cursor.execute(f"WITH w(a, m, i) AS (VALUES {values}) {select}", [v for t in chunk for v in t])
            rows.extend(self._cursor.fetchall())
        return rows

    def _found(self, rows: Sequence[Sequence[Any]], *, flagged: bool = False) -> list[Found]:
        date = self._date
        out: dict[Ident, Found] = {}
        for row in rows:
            end = -2 if flagged else -1
            values = list(row[:end])
            for i in _RECORD_DATES:
                values[i] = date(values[i])
            found = Found(row_to_record(values), row[end], not (flagged and row[-1]))
            out.setdefault((row[0], row[1], row[2]), found)
        return [out[ident] for ident in sorted(out)]
