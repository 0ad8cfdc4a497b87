"""Builders for file-adapter tests: write a small export directory, build an adapter on it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.file.adapter import FileAdapter
from adapters.file.config import FileAdapterConfig

FIXED_NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any] | str]) -> Path:
    """Rows are dicts (dumped as JSON) or raw text lines (written as they are, for bad-line tests)."""
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def a_record(id: str = "L-1", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": id,
        "module": "Leads",
        "owner_id": "u-1",
        "created_at": "2026-11-01T09:00:00+08:00",
        "modified_at": "2026-11-01T09:00:00+08:00",
    }
    row.update(fields)
    return row


def an_activity(id: str = "a-1", record_id: str = "L-1", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": id,
        "record_id": record_id,
        "module": "Leads",
        "owner_id": "u-1",
        "kind": "call",
        "occurred_at": "2026-11-01T10:00:00+08:00",
    }
    row.update(fields)
    return row


@pytest.fixture
def export(tmp_path: Path) -> Callable[..., Path]:
    """``export(users=[...], records=[...], activities=[...])`` → a directory of JSON Lines files."""

    def build(
        users: Iterable[Any] = ({"id": "u-1", "name": "One"},),
        records: Iterable[Any] = (),
        activities: Iterable[Any] = (),
    ) -> Path:
        write_jsonl(tmp_path / "users.jsonl", users)
        write_jsonl(tmp_path / "records.jsonl", records)
        write_jsonl(tmp_path / "activities.jsonl", activities)
        return tmp_path

    return build


def make_adapter(
    path: Path,
    *,
    default_tz: str = "Asia/Shanghai",
    clock: Callable[[], datetime] = lambda: FIXED_NOW,
    **config: Any,
) -> FileAdapter:
    return FileAdapter(
        "crm", FileAdapterConfig(kind="file", path=path, **config), default_tz=default_tz, clock=clock
    )


def pull_all(adapter: FileAdapter, cursors: Mapping[str, str] | None = None, *, full: bool = False):
    """All batches, plus every record and activity they carried."""
    batches = list(adapter.pull(cursors or {}, full=full))
    records = [r for b in batches for r in b.records]
    activities = [a for b in batches for a in b.activities]
    return batches, records, activities
