"""SQLAlchemy Core state store: snapshots, cursors, runs, the run lock and the action journal."""

from __future__ import annotations

from connector.store.findings import FindingRecord
from connector.store.journal import JournalEntry
from connector.store.migrations import MIGRATIONS, current_version
from connector.store.runs import RunInfo
from connector.store.store import Store

CURRENT_VERSION = current_version()

__all__ = ["CURRENT_VERSION", "MIGRATIONS", "FindingRecord", "JournalEntry", "RunInfo", "Store"]
