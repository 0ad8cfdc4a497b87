"""SLA findings in plain words, in the configured language.

E.g. "assigned Fri 09 Jan 17:30, due Mon 12 Jan 16:30 (8 business hours, cn-office)".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, lru_cache

from connector.domain import ActivityKind, Record, RecordRef
from connector.i18n import EN, Messages
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
    msg: Messages = EN
    owner: str = ""  # how sentences name the owner (``Name (id)``; the id when the name is unknown)

    @property
    def breached(self) -> bool:
        return self.elapsed >= self.rule.threshold

    @cached_property
    def elapsed_text(self) -> str:
        """``1d2h30m``: the elapsed business time the way config writes durations."""
        return EN.duration(self.elapsed)

    @cached_property
    def ref(self) -> RecordRef:
        return self.record.ref

    @cached_property
    def evidence(self) -> tuple[str, ...]:
        return evidence(self)

    @property
    def headline(self) -> str:
        """The short form for action reasons: which rule, and when it was due."""
        return headline(self.rule, self.due_at, self.clock, self.msg)

    @cached_property
    def summary(self) -> str:
        """The long form for CRM notes: the evidence in one sentence."""
        return summary(self.rule, self.clock, self.evidence[:-1], self.msg)


def headline(rule: SlaRule, due_at: datetime, clock: Clock, msg: Messages) -> str:
    return msg("sla.headline", rule=rule.name, when=when(due_at, clock, msg), amount=amount(rule.threshold, clock, msg))


def summary(rule: SlaRule, clock: Clock, lines: tuple[str, ...], msg: Messages) -> str:
    kind = msg(f"sla.kind.{rule.kind}")
    return msg(
        "sla.summary", rule=rule.name, kind=kind, amount=amount(rule.threshold, clock, msg),
        core=msg("sla.summary_sep").join(lines),
    )


def when(at: datetime, clock: Clock, msg: Messages = EN) -> str:
    """``Fri 09 Jan 17:30`` in the calendar's time zone (named when the rule has no calendar)."""
    return msg.when(at, clock.zone, with_zone=not clock.business_hours)


def amount(value: timedelta, clock: Clock, msg: Messages = EN) -> str:
    """``8 business hours`` on a business calendar, ``1d12h`` on wall-clock time."""
    return _amount(value, clock.business_hours, msg)


@lru_cache(maxsize=4096)
def _amount(value: timedelta, business_hours: bool, msg: Messages) -> str:
    """Cached: deadlines repeat on every finding of a rule, and elapsed times often repeat too."""
    return msg.business_hours(value) if business_hours else msg.duration(value)


def kinds_text(rule: SlaRule, msg: Messages = EN) -> str:
    return _kinds_text(rule.counts, msg)


@lru_cache(maxsize=256)
def _kinds_text(counts: tuple[ActivityKind, ...], msg: Messages) -> str:
    return msg.join([msg(f"kind.{kind}") for kind in counts], "or")


def start_text(start: ClockStart, clock: Clock, msg: Messages) -> str:
    key = f"source.{start.source}"  # adapters may name their own sources (Zoho: "timeline")
    return msg("sla.start", when=when(start.at, clock, msg), source=msg(key) if msg.has(key) else start.source)


def due_text(rule: SlaRule, due_at: datetime, clock: Clock, msg: Messages) -> str:
    return msg("sla.due", when=when(due_at, clock, msg), deadline=_deadline(rule.threshold, clock.name,
                                                                           clock.business_hours, msg))


@lru_cache(maxsize=1024)
def _deadline(threshold: timedelta, calendar: str, business_hours: bool, msg: Messages) -> str:
    shown = msg(f"calendar.{calendar}") if msg.has(f"calendar.{calendar}") else calendar
    return msg("sla.deadline", amount=_amount(threshold, business_hours, msg), calendar=shown)


def evidence(breach: Breach) -> tuple[str, ...]:
    rule, clock, record, msg = breach.rule, breach.clock, breach.record, breach.msg
    due = due_text(rule, breach.due_at, clock, msg)
    start = start_text(breach.start, clock, msg)
    if rule.in_status_for is not None:
        lines = [msg("sla.in_status", status=record.status, start=start, due=due)]
    elif rule.no_activity_for is not None and breach.last is not None:
        last_at, last_kind = breach.last
        lines = [
            msg("sla.assigned", start=start),
            msg("sla.last_activity", kind=msg(f"kind.{last_kind}"), when=when(last_at, clock, msg), due=due),
            msg("sla.none_since", kinds=kinds_text(rule, msg)),
        ]
    else:
        lines = [
            msg("sla.assigned_due", start=start, due=due),
            msg("sla.none_by_owner", kinds=kinds_text(rule, msg), owner=breach.owner or record.owner_id),
        ]
    spent = amount(breach.elapsed, clock, msg) if clock.business_hours else msg.duration(breach.elapsed)
    lines.append(msg("sla.elapsed", spent=spent) + ("" if breach.breached else msg("sla.warning")))
    return tuple(lines)
