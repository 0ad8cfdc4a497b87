"""What the store knows about a record's ownership: when the clock starts and who lost it last."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connector.domain import OwnerChange, Record, RecordRef
from rules.snapshot import Reassignment

RefKey = tuple[str, str, str]


def ref_key(ref: RecordRef | Record) -> RefKey:
    """A cheap hashable key (hashing a frozen pydantic model is several times slower)."""
    return (ref.adapter, ref.module, ref.id)


@dataclass(frozen=True, slots=True)
class ClockStart:
    at: datetime
    source: str  # "assigned_at" (or the adapter's ``extra["assigned_at_source"]``) | "owner change" | "reassignment" | "created_at"


class OwnershipHistory:
    """Owner changes the store observed and reassignments crm-referee applied, indexed per record."""

    def __init__(self, owner_changes: Sequence[OwnerChange], reassignments: Sequence[Reassignment]) -> None:
        self._changed: dict[tuple[RefKey, str | None], datetime] = {}
        for change in owner_changes:
            key = (ref_key(change.record), change.new_owner_id)
            if key not in self._changed or change.seen_at > self._changed[key]:
                self._changed[key] = change.seen_at
        self._moved: dict[tuple[RefKey, str | None], datetime] = {}
        self._counts: Counter[tuple[RefKey, str]] = Counter()
        self._last_lost: dict[RefKey, tuple[datetime, str | None]] = {}
        for move in reassignments:
            moved_key = ref_key(move.record)
            self._counts[(moved_key, move.rule)] += 1
            to_key = (moved_key, move.to_owner)
            if to_key not in self._moved or move.at > self._moved[to_key]:
                self._moved[to_key] = move.at
            if moved_key not in self._last_lost or move.at >= self._last_lost[moved_key][0]:
                self._last_lost[moved_key] = (move.at, move.from_owner)

    def clock_start(self, record: Record) -> ClockStart | None:
        """When the current owner got the record.

        Preference: the CRM's ``assigned_at``, else the owner change the store observed, else a
        reassignment we applied, else ``created_at``. A later observed change to the current
        owner overrides an older ``assigned_at`` (the CRM value then belongs to a previous owner).
        """
        if not self._changed and not self._moved:  # nothing observed: skip building keys
            seen = moved = None
        else:
            key = (ref_key(record), record.owner_id)
            seen, moved = self._changed.get(key), self._moved.get(key)
        if record.assigned_at is not None:
            later = [
                (t, s)
                for t, s in ((seen, "owner change"), (moved, "reassignment"))
                if t and t > record.assigned_at
            ]
            if later:
                at, source = max(later)
                return ClockStart(at, source)
            return ClockStart(record.assigned_at, str(record.extra.get("assigned_at_source") or "assigned_at"))
        if seen is not None:
            return ClockStart(seen, "owner change")
        if moved is not None:
            return ClockStart(moved, "reassignment")
        if record.created_at is not None:
            return ClockStart(record.created_at, "created_at")
        return None

    def reassignments(self, record: Record, rule: str) -> int:
        """How often ``rule`` already reassigned this record (applied, from the journal)."""
        return self._counts[(ref_key(record), rule)]

    def just_lost(self, record: Record) -> str | None:
        """The rep the latest applied reassignment took this record from."""
        last = self._last_lost.get(ref_key(record))
        return last[1] if last else None
