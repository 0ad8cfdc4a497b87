"""SLA findings in plain words.

E.g. "assigned Fri 09 Jan 17:30, due Mon 12 Jan 16:30 (8 business hours, cn-office)".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from connector.domain import ActivityKind, Record, RecordRef
from connector.durations import format_duration
from rules.calendar.clock import Clock
from rules.sla.config import SlaRule, Step
from rules.sla.history import ClockStart


@dataclass(frozen=True)
class Breach:
    """One rule's verdict on one record: which ladder step is reached and why."""

    rule: SlaRule
    record: Record
    clock: Clock
    start: ClockStart
    since: datetime
    elapsed: timedelta
    step: Step
    step_index: int
    due_at: datetime
    last: tuple[datetime, ActivityKind] | None = None  # the owner's latest counted activity

    @property
    def breached(self) -> bool:
        return self.elapsed >= self.rule.threshold

    @cached_property
    def elapsed_text(self) -> str:
        """``1d2h30m``: the elapsed business time the way config writes durations."""
        return format_duration(self.elapsed)

    @cached_property
    def ref(self) -> RecordRef:
        return self.record.ref

    @cached_property
    def evidence(self) -> tuple[str, ...]:
        return evidence(self)

    @property
    def headline(self) -> str:
        """The short form for action reasons: which rule, and when it was due."""
        rule = self.rule
        return f'SLA "{rule.name}" due {when(self.due_at, self.clock)} ({amount(rule.threshold, self.clock)})'

    @cached_property
    def summary(self) -> str:
        """The long form for CRM notes: the evidence in one sentence."""
        rule = self.rule
        core = "; ".join(self.evidence[:-1])
        return (
            f'SLA "{rule.name}" ({rule.kind.replace("_", " ")} {amount(rule.threshold, self.clock)}): {core}'
        )


def when(at: datetime, clock: Clock) -> str:
    """``Fri 09 Jan 17:30`` in the calendar's time zone (named when the rule has no calendar)."""
    local = at.astimezone(clock.zone)
    return f"{local:%a %d %b %H:%M}" if clock.business_hours else f"{local:%a %d %b %H:%M %Z}"


def amount(value: timedelta, clock: Clock) -> str:
    """``8 business hours`` on a business calendar, ``1d12h`` on wall-clock time."""
    if clock.business_hours:
        hours = value.total_seconds() / 3600
        return f"{hours:.4g} business hour{'s' if hours != 1 else ''}"
    return format_duration(value)


def kinds_text(rule: SlaRule) -> str:
    names = [str(kind) for kind in rule.counts]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def evidence(breach: Breach) -> tuple[str, ...]:
    rule, clock, record = breach.rule, breach.clock, breach.record
    deadline = f"({amount(rule.threshold, clock)}, {clock.name})"
    due = f"due {when(breach.due_at, clock)} {deadline}"
    start = f"{when(breach.start.at, clock)} (from {breach.start.source})"
    if rule.in_status_for is not None:
        lines = [f"in status {record.status} since {start}, {due}"]
    elif rule.no_activity_for is not None and breach.last is not None:
        last_at, last_kind = breach.last
        lines = [
            f"assigned {start}",
            f"last {last_kind} by the owner {when(last_at, clock)}, {due}",
            f"no {kinds_text(rule)} by the owner since",
        ]
    else:
        lines = [f"assigned {start}, {due}", f"no {kinds_text(rule)} by the owner {record.owner_id}"]
    spent = amount(breach.elapsed, clock) if clock.business_hours else breach.elapsed_text
    lines.append(f"{spent} elapsed" + ("" if breach.breached else " (warning step)"))
    return tuple(lines)
