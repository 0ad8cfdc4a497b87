"""The owner's own completed activities since the clock started, in one pass over all activities."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, auto
from typing import Final

from connector.domain import Activity, ActivityKind
from rules.sla.history import RefKey


@dataclass
class Touches:
    """The owner's first (``keep_last=False``) or latest counted activity per record, for one set
    of counted kinds.

    Only times and kinds are kept (not the activities), so a streamed activity list is not
    held in memory. A record is "touched" when it has an entry.
    """

    kinds: frozenset[ActivityKind]
    keep_last: bool = True
    first: dict[RefKey, tuple[datetime, ActivityKind]] = field(default_factory=dict)
    last: dict[RefKey, tuple[datetime, ActivityKind]] = field(default_factory=dict)

    def __contains__(self, key: RefKey) -> bool:
        return key in self.first or key in self.last


def index_touches(
    activities: Iterable[Activity],
    owners: Iterable[tuple[RefKey, str, datetime]],
    kind_sets: Sequence[tuple[frozenset[ActivityKind], bool]],
    now: datetime,
) -> list[Touches]:
    """One :class:`Touches` per ``(kinds, keep_last)``, in the same order.

    ``owners`` lists ``(record key, owner id, clock start)``. An activity counts when it is
    completed, by that owner, at or after the clock start and not in the future: a
    colleague's call or a call before the assignment does not count.
    """
    out = [Touches(kinds, keep_last) for kinds, keep_last in kind_sets]
    firsts = {kind: [t.first for t in out if kind in t.kinds and not t.keep_last] for kind in ActivityKind}
    lasts = {kind: [t.last for t in out if kind in t.kinds and t.keep_last] for kind in ActivityKind}
    # Look records up by id alone (no tuple to build and hash per activity); ids shared by
    # several adapters or modules go to ``shared`` under the full key.
    by_id: dict[str, tuple[str, str, str, datetime, RefKey] | None] = {}
    shared: dict[RefKey, tuple[str, datetime]] = {}
    for key, owner, start in owners:
        other = by_id.get(key[2], _ABSENT)
        if other is _ABSENT:
            by_id[key[2]] = (key[0], key[1], owner, start, key)
            continue
        if other is not None:
            shared[other[4]] = (other[2], other[3])
            by_id[key[2]] = None
        shared[key] = (owner, start)
    for act in activities:
        ref = act.record
        hit = by_id.get(ref.id, _ABSENT)
        if hit is _ABSENT:
            continue
        if hit is None:
            key = (ref.adapter, ref.module, ref.id)
            if key not in shared:
                continue
            owner, start = shared[key]
        else:
            adapter, module, owner, start, key = hit
            if ref.adapter != adapter or ref.module != module:
                continue
        if act.owner_id != owner or not act.completed:
            continue
        at = act.occurred_at
        if at < start or at > now:
            continue
        kind = act.kind
        for first_seen in firsts[kind]:
            first = first_seen.get(key)
            if first is None or at < first[0]:
                first_seen[key] = (at, kind)
        for last_seen in lasts[kind]:
            last = last_seen.get(key)
            if last is None or at > last[0]:
                last_seen[key] = (at, kind)
    return out


class _Absent(Enum):
    """A sentinel type, so ``is _ABSENT`` narrows for the type checker."""

    ABSENT = auto()


_ABSENT: Final = _Absent.ABSENT
