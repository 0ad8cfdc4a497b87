"""The owner's own completed activities since the clock started, in one pass over all activities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connector.domain import Activity, ActivityKind
from rules.sla.history import RefKey


@dataclass
class Touches:
    """Earliest and latest qualifying activity per record, for one set of counted kinds."""

    kinds: frozenset[ActivityKind]
    first: dict[RefKey, Activity] = field(default_factory=dict)
    last: dict[RefKey, Activity] = field(default_factory=dict)


def index_touches(
    activities: Iterable[Activity],
    owners: Mapping[RefKey, tuple[str, datetime]],
    kind_sets: Sequence[frozenset[ActivityKind]],
    now: datetime,
) -> list[Touches]:
    """One :class:`Touches` per kind set, in the same order.

    An activity counts when it is completed, by the record's current owner, at or after that
    owner's clock start (``owners[key] = (owner_id, start)``) and not in the future. A
    colleague's call or a call before the assignment does not count.
    """
    out = [Touches(kinds) for kinds in kind_sets]
    for act in activities:
        ref = act.record
        key = (ref.adapter, ref.module, ref.id)
        owner = owners.get(key)
        if owner is None or act.owner_id != owner[0] or not act.completed:
            continue
        at = act.occurred_at
        if at < owner[1] or at > now:
            continue
        kind = act.kind
        for touches in out:
            if kind in touches.kinds:
                first = touches.first.get(key)
                if first is None or at < first.occurred_at:
                    touches.first[key] = act
                last = touches.last.get(key)
                if last is None or at > last.occurred_at:
                    touches.last[key] = act
    return out
