"""The findings history: every finding a run reported, with the runs that first and last saw it.

One row per history key (:func:`connector.domain.finding_key`). Each sync run upserts what it
found: a new key gets ``first_seen_*``; a known key gets ``last_seen_*`` moved on and its words
refreshed. Runs that write back also stamp ``first_applied_at`` once, so "reported once" can mean
"once by a run that acts" (a dry run before the first apply does not swallow a late flag).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from connector.domain import Finding, FindingKind, RecordRef, finding_key
from connector.store import schema
from connector.store.base import StoreBase, chunks
from connector.store.codec import dump_json, load_mapping, load_strings

_findings = schema.findings
_REFRESHED = ("records", "owners", "keeper", "customer", "evidence", "details", "due_at", "breached_at",
              "last_seen_run", "last_seen_at")


@dataclass(frozen=True)
class FindingRecord:
    """One finding as the history knows it: the latest words and when runs saw it."""

    key: str
    finding: Finding
    first_seen_run: str
    first_seen_at: datetime
    last_seen_run: str
    last_seen_at: datetime
    first_applied_at: datetime | None
    times_seen: int


class FindingsStore(StoreBase):
    def record_findings(
        self, run_id: str, findings: Sequence[Finding], *, now: datetime, applied: bool
    ) -> set[str]:
        """Upsert what run ``run_id`` found; returns the keys this run saw for the first time.

        ``applied`` says the run writes back (apply mode), which stamps ``first_applied_at`` once.
        """
        rows = {finding_key(f): _row(run_id, f, now, applied) for f in findings}
        known = self._known_keys(list(rows))
        insert = pg_insert(_findings) if self.dialect == "postgresql" else sqlite_insert(_findings)
        stmt = insert.on_conflict_do_update(
            index_elements=["finding_key"],
            set_={
                **{name: insert.excluded[name] for name in _REFRESHED},
                "times_seen": _findings.c.times_seen + 1,
                "first_applied_at": func.coalesce(_findings.c.first_applied_at, insert.excluded.first_applied_at),
            },
        )
        with self._write() as conn:
            for chunk in chunks(list(rows.values()), 1_000):
                conn.execute(stmt, list(chunk))
        return set(rows) - known

    def reported_finding_keys(
        self, *, since: datetime, before: datetime | None = None, applied_only: bool = False
    ) -> frozenset[str]:
        """Keys first reported in ``[since, before)`` (by an apply run, with ``applied_only``)."""
        column = _findings.c.first_applied_at if applied_only else _findings.c.first_seen_at
        query = select(_findings.c.finding_key).where(column >= since)
        if before is not None:
            query = query.where(column < before)
        with self._read() as conn:
            rows = conn.execute(query)
            return frozenset(key for (key,) in rows)

    def list_findings(
        self,
        *,
        seen_from: datetime | None = None,
        seen_until: datetime | None = None,
        kind: FindingKind | None = None,
        keys: Iterable[str] | None = None,
    ) -> list[FindingRecord]:
        """Findings some run saw between ``seen_from`` and ``seen_until`` (both inclusive), oldest first.

        A finding counts when its sightings ``[first_seen_at, last_seen_at]`` overlap the period.
        """
        conditions: list[ColumnElement[bool]] = []
        if seen_from is not None:
            conditions.append(_findings.c.last_seen_at >= seen_from)
        if seen_until is not None:
            conditions.append(_findings.c.first_seen_at <= seen_until)
        if kind is not None:
            conditions.append(_findings.c.kind == FindingKind(kind).value)
        query = select(_findings).where(*conditions).order_by(_findings.c.first_seen_at, _findings.c.finding_key)
        if keys is not None:
            wanted = list(dict.fromkeys(keys))
            found: list[FindingRecord] = []
            with self._read() as conn:
                for chunk in chunks(wanted, 1_000):
                    found.extend(_record(row) for row in conn.execute(query.where(_findings.c.finding_key.in_(chunk))))
            return sorted(found, key=lambda r: (r.first_seen_at, r.key))
        with self._read() as conn:
            return [_record(row) for row in conn.execute(query)]

    def _known_keys(self, keys: Sequence[str]) -> set[str]:
        known: set[str] = set()
        with self._read() as conn:
            for chunk in chunks(keys, 1_000):
                query = select(_findings.c.finding_key).where(_findings.c.finding_key.in_(chunk))
                known.update(key for (key,) in conn.execute(query))
        return known


def _row(run_id: str, finding: Finding, now: datetime, applied: bool) -> dict[str, Any]:
    return {
        "finding_key": finding_key(finding),
        "kind": finding.kind.value,
        "rule": finding.rule,
        "records": json.dumps([[r.adapter, r.module.value, r.id] for r in finding.records], ensure_ascii=False),
        "owners": dump_json(finding.owners) or "[]",
        "keeper": finding.keeper,
        "customer": finding.customer,
        "evidence": dump_json(finding.evidence) or "[]",
        "details": dump_json(finding.details),
        "due_at": finding.due_at,
        "breached_at": finding.breached_at,
        "first_seen_run": run_id,
        "first_seen_at": now,
        "last_seen_run": run_id,
        "last_seen_at": now,
        "first_applied_at": now if applied else None,
        "times_seen": 1,
    }


def _record(row: Any) -> FindingRecord:
    finding = Finding(
        kind=FindingKind(row.kind),
        rule=row.rule,
        records=tuple(RecordRef(adapter=a, module=m, id=i) for a, m, i in json.loads(row.records)),
        owners=load_strings(row.owners),
        keeper=row.keeper,
        customer=row.customer,
        evidence=load_strings(row.evidence),
        due_at=row.due_at,
        breached_at=row.breached_at,
        detected_at=row.last_seen_at,
        details=load_mapping(row.details),
    )
    return FindingRecord(
        key=row.finding_key,
        finding=finding,
        first_seen_run=row.first_seen_run,
        first_seen_at=row.first_seen_at,
        last_seen_run=row.last_seen_run,
        last_seen_at=row.last_seen_at,
        first_applied_at=row.first_applied_at,
        times_seen=row.times_seen,
    )
