"""First-response times: how long each lead waited for its owner's first contact, in business time.

The measure behind ``referee stats`` and the report's response-time chart. It uses exactly what
the first-contact SLA uses (clock start, counted kinds, the owner's own completed activities, the
rule's calendar), so the figures and the findings never disagree. Pure: a snapshot in, rows out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.domain import RecordRef
from rules.assign.fields import FieldMatcher
from rules.calendar.clock import build_clock
from rules.calendar.config import CalendarConfig
from rules.sla.config import SlaRule
from rules.sla.history import OwnershipHistory, ref_key
from rules.sla.touches import index_touches
from rules.snapshot import Snapshot


@dataclass(frozen=True)
class Response:
    """One lead under one first-contact rule: when its clock started and how its owner answered."""

    rule: str
    record: RecordRef
    owner: str
    received_at: datetime
    answered_at: datetime | None
    waited: timedelta | None  # business time from clock start to first contact; None while unanswered
    within: bool | None  # answered within the rule's deadline; None while unanswered and not yet due

    @property
    def late(self) -> bool:
        return self.within is False


def first_responses(
    snapshot: Snapshot,
    rule: SlaRule,
    calendars: Mapping[str, CalendarConfig],
    now: datetime,
    *,
    received_from: datetime | None = None,
    received_until: datetime | None = None,
    timezone: str = "UTC",
) -> list[Response]:
    """A :class:`Response` per record the first-contact ``rule`` covers, received in the period."""
    if rule.first_activity_within is None:
        raise ValueError(f'rule "{rule.name}" is not a first_activity_within rule')
    history = OwnershipHistory(snapshot.owner_changes, snapshot.reassignments)
    clock = build_clock(rule.calendar, calendars, wall_zone=timezone)
    matches = FieldMatcher(rule.when)
    pools = {rule.pool_owner} if rule.pool_owner else set()
    starts = {}
    for record in snapshot.records:
        if record.module != rule.module or not record.owner_id or record.owner_id in pools or not matches(record):
            continue
        start = history.clock_start(record)
        if start is None or (received_from and start.at < received_from) or (received_until and start.at >= received_until):
            continue
        starts[ref_key(record)] = (record, start.at)
    owners = [(key, record.owner_id or "", at) for key, (record, at) in starts.items()]
    [touches] = index_touches(snapshot.activities, owners, [(frozenset(rule.counts), False)], now)
    deadline = rule.threshold
    out: list[Response] = []
    for key, (record, start_at) in sorted(starts.items()):
        first = touches.first.get(key)
        waited = clock.elapsed(start_at, first[0]) if first is not None else None
        if waited is not None:
            within: bool | None = waited <= deadline
        else:
            within = False if clock.elapsed(start_at, now) >= deadline else None
        out.append(
            Response(
                rule=rule.name, record=record.ref, owner=record.owner_id or "", received_at=start_at,
                answered_at=first[0] if first is not None else None, waited=waited, within=within,
            )
        )
    return out
