"""Who is pursuing one customer: owners acting on their own records, and reps acting on others'."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connector.domain import Activity, Record
from rules.snapshot import Snapshot

RefKey = tuple[str, str, str]


def ref_key(adapter: str, module: str, record_id: str) -> RefKey:
    return (adapter, str(module), record_id)


@dataclass
class Pursuer:
    """One rep's involvement with a customer (indices point into the resolution's records)."""

    user: str
    owned: list[int] = field(default_factory=list)
    first_touch: datetime | None = None
    last_own: datetime | None = None
    last_any: datetime | None = None
    poached: list[tuple[int, Activity]] = field(default_factory=list)

    def touch(self, when: datetime | None) -> None:
        if when is not None and (self.first_touch is None or when < self.first_touch):
            self.first_touch = when


@dataclass(frozen=True)
class ActivityIndex:
    """Completed activities by record, and when each former owner stopped owning a record."""

    by_record: Mapping[RefKey, Sequence[Activity]]
    released: Mapping[tuple[RefKey, str], datetime]
    assigned: Mapping[tuple[RefKey, str], datetime]

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, now: datetime) -> ActivityIndex:
        by_record: dict[RefKey, list[Activity]] = {}
        for act in snapshot.activities:
            if act.completed and act.owner_id and act.occurred_at <= now:
                key = ref_key(act.record.adapter, act.record.module, act.record.id)
                by_record.setdefault(key, []).append(act)
        released: dict[tuple[RefKey, str], datetime] = {}
        assigned: dict[tuple[RefKey, str], datetime] = {}
        changes = [(c.record, c.old_owner_id, c.new_owner_id, c.seen_at) for c in snapshot.owner_changes]
        changes += [(r.record, r.from_owner, r.to_owner, r.at) for r in snapshot.reassignments]
        for record, old, new, when in changes:
            key = ref_key(record.adapter, record.module, record.id)
            if old and when > released.get((key, old), when - timedelta(1)):
                released[(key, old)] = when
            if new and when > assigned.get((key, new), when - timedelta(1)):
                assigned[(key, new)] = when
        return cls(by_record, released, assigned)


def collect_pursuers(
    members: Sequence[int], records: Sequence[Record], index: ActivityIndex
) -> dict[str, Pursuer]:
    """Every rep who owns or acted on a record of the customer, with their dates."""
    found: dict[str, Pursuer] = {}
    for i in members:
        record = records[i]
        key = ref_key(record.adapter, record.module, record.id)
        owners = record.owner_ids  # co-owners own the record too: their work on it is their own
        for owner in owners:
            pursuer = found.setdefault(owner, Pursuer(owner))
            pursuer.owned.append(i)
            pursuer.touch(index.assigned.get((key, owner)) or record.assigned_at or record.created_at)
        for act in index.by_record.get(key, ()):
            user = act.owner_id or ""
            pursuer = found.setdefault(user, Pursuer(user))
            pursuer.touch(act.occurred_at)
            if pursuer.last_any is None or act.occurred_at > pursuer.last_any:
                pursuer.last_any = act.occurred_at
            if user in owners:
                if pursuer.last_own is None or act.occurred_at > pursuer.last_own:
                    pursuer.last_own = act.occurred_at
            elif act.occurred_at > index.released.get((key, user), act.occurred_at - timedelta(1)):
                pursuer.poached.append((i, act))
    return found


def active_pursuers(found: Mapping[str, Pursuer], since: datetime) -> list[Pursuer]:
    """Reps pursuing now: own recent activity on their record, or recent activity on someone else's."""
    active = [
        p for p in found.values()
        if (p.owned and p.last_own is not None and p.last_own >= since)
        or any(act.occurred_at >= since for _, act in p.poached)
    ]
    return sorted(active, key=lambda p: p.user)
