"""The pipeline benchmark's generated export is one the file adapter reads without a bad line.

A benchmark that silently feeds the pipeline rejected lines would measure the error path; this
keeps the generator honest at a small size (the benchmark itself runs on demand).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from adapters.file.adapter import FileAdapter
from adapters.file.config import FileAdapterConfig
from benchmarks.identity.world import NOW
from benchmarks.pipeline.export_world import change_records, write_export
from connector.domain import Module


def _pull(folder: Path, full: bool = True) -> tuple[int, int, dict[str, str | None]]:
    adapter = FileAdapter("bench", FileAdapterConfig(kind="file", path=str(folder)), default_tz="Asia/Shanghai")
    records = activities = 0
    statuses: dict[str, str | None] = {}
    for batch in adapter.pull({}, full=full):
        records += len(batch.records)
        activities += len(batch.activities)
        statuses.update({r.id: r.status for r in batch.records if r.module is Module.LEADS})
    assert adapter.pull_users()
    return records, activities, statuses


def test_generated_export_reads_cleanly_and_changes_as_asked(tmp_path: Path) -> None:
    written, acts = write_export(tmp_path, 600, seed=3)
    records, activities, statuses = _pull(tmp_path)
    assert (records, activities) == (written, acts)
    assert acts >= 1.5 * written  # about two activities per record, as the world has
    assert {"New", "Converted"} <= set(statuses.values())
    before = (tmp_path / "records.jsonl").read_bytes().splitlines()
    changed = change_records(tmp_path, 0.05, seed=4, moment=NOW + timedelta(hours=1))
    after = (tmp_path / "records.jsonl").read_bytes().splitlines()
    assert len(after) == len(before) and 0 < changed == sum(a != b for a, b in zip(before, after, strict=True))
    assert _pull(tmp_path)[0] == written
