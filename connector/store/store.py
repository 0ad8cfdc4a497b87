"""The state store: everything crm-referee remembers between runs, behind one class.

``Store`` is assembled from one part per job (each in its own module):

- ``base.StoreBase``: URL, engine, transactions, ``migrate``/``schema_version``/``ping``/``close``;
- ``snapshots.SnapshotStore``: users, records, activities and observed owner changes;
- ``runs.RunStore``: the run lock, run history, per-stream cursors and a key/value store;
- ``journal.JournalStore``: the action journal that keeps every action applied at most once;
- ``findings.FindingsStore``: the findings history (first and last run that saw each finding);
- ``exemptions.ExemptionStore``: what people exempted with ``referee exempt``.

SQLite (``sqlite:///referee.db``) is the default; PostgreSQL works by URL
(``postgresql+psycopg://user@host/db``). All datetimes go in and come out timezone-aware (UTC).
Every database failure surfaces as :class:`connector.errors.StateError`.
"""

from __future__ import annotations

from connector.store.exemptions import ExemptionStore
from connector.store.findings import FindingsStore
from connector.store.journal import JournalStore
from connector.store.runs import RunStore
from connector.store.snapshots import SnapshotStore


class Store(SnapshotStore, RunStore, JournalStore, FindingsStore, ExemptionStore):
    """SQLAlchemy Core state store; ``Store.open(url)`` gives a migrated, ready store.

    Example::

        store = Store.open("sqlite:///referee.db")
        with store.run_lock("sync pid 123 on host x", now):
            run_id = store.start_run(mode="sync", adapters=["zoho"], now=now)
            changes = store.upsert_records(records, seen_at=now)
            store.finish_run(run_id, now=now, status="ok", counts={"records": len(records)})
    """
