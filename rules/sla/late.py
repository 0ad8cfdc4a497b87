"""Late first contacts: the owner did reach out, but after the deadline.

A manager counts these as breaches (response time is the first thing 跟进效率 measures), yet the
lead is being worked now, so it is never reassigned or pooled: ``on_late = "report"`` makes it a
finding only, ``"flag"`` also tags the record and leaves a note. Each late contact is reported
once: only contacts inside the rule's window (``report_late_within``, else since the previous run,
else 7 days) count, and the pipeline passes the history keys it already reported
(``Snapshot.reported``), so a long window never reports one twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connector.domain import (
    Action,
    ActionType,
    ActivityKind,
    Finding,
    FindingKind,
    Record,
    RecordRef,
    action_key,
    finding_key,
)
from connector.i18n import EN, Messages
from rules.calendar.clock import Clock
from rules.sla.config import DEFAULT_LATE_WINDOW, SlaRule
from rules.sla.explain import amount, due_text, headline, start_text, summary, when
from rules.sla.history import ClockStart

MET_LATE = "met-late"


def window_start(rule: SlaRule, now: datetime, previous_run_at: datetime | None) -> datetime:
    """The earliest first contact ``rule`` still reports as late in a run at ``now``."""
    if rule.report_late_within is not None:
        return now - rule.report_late_within
    return previous_run_at if previous_run_at is not None else now - DEFAULT_LATE_WINDOW


@dataclass(frozen=True)
class LateContact:
    """A first contact by the owner after the deadline, with the delay in business time."""

    rule: SlaRule
    record: Record
    clock: Clock
    start: ClockStart
    due_at: datetime
    contact_at: datetime
    contact_kind: ActivityKind
    late: timedelta
    msg: Messages = EN
    owner: str = ""

    @property
    def ref(self) -> RecordRef:
        return self.record.ref

    @property
    def evidence(self) -> tuple[str, ...]:
        rule, clock, msg = self.rule, self.clock, self.msg
        start = start_text(self.start, clock, msg)
        return (
            msg("sla.assigned_due", start=start, due=due_text(rule, self.due_at, clock, msg)),
            msg(
                "sla.first_contact_late", kind=msg(f"kind.{self.contact_kind}"),
                owner=self.owner or self.record.owner_id, when=when(self.contact_at, clock, msg),
                late=amount(self.late, clock, msg),
            ),
            msg("sla.late_kept"),
        )

    def finding(self, now: datetime) -> Finding:
        rule, clock = self.rule, self.clock
        return Finding(
            kind=FindingKind.SLA,
            rule=rule.name,
            records=(self.ref,),
            owners=(self.record.owner_id,) if self.record.owner_id else (),
            evidence=self.evidence,
            due_at=self.due_at,
            breached_at=self.due_at,
            detected_at=now,
            details={
                "sla": rule.kind,
                "outcome": MET_LATE,
                "episode": f"{MET_LATE}:{self.start.at.astimezone(UTC).isoformat()}",
                "calendar": clock.name,
                "clock_start": self.start.at.isoformat(),
                "clock_start_source": self.start.source,
                "threshold": EN.duration(rule.threshold),
                "first_contact_at": self.contact_at.isoformat(),
                "first_contact_kind": self.contact_kind.value,
                "business_time_late": EN.duration(self.late),
                "business_seconds_late": int(self.late.total_seconds()),
                "do": rule.on_late,
            },
        )


def late_actions(contact: LateContact, finding: Finding, flagged: set[tuple[RecordRef, str]]) -> list[Action]:
    """With ``on_late = "flag"``: one flag (unless the record has the tag) and its note."""
    rule, msg = contact.rule, contact.msg
    if rule.on_late != "flag" or rule.tag in contact.record.tags or (contact.ref, rule.tag) in flagged:
        return []
    flagged.add((contact.ref, rule.tag))
    title = headline(rule, contact.due_at, contact.clock, msg)
    key = action_key(ActionType.FLAG, contact.ref, rule.tag, finding_key(finding))
    actions = [
        Action(
            type=ActionType.FLAG, target=contact.ref, tag=rule.tag, rule=rule.name,
            reason=msg("reason.action", outcome=msg("sla.flagged"), headline=title), idempotency_key=key,
        )
    ]
    if rule.notes:
        what = msg("note.sla.flagged", tag=rule.tag)
        text = msg("note.sla", summary=summary(rule, contact.clock, contact.evidence[:2], msg), what=what)
        actions.append(
            Action(
                type=ActionType.NOTE, target=contact.ref, rule=rule.name, text=text, reason=what,
                idempotency_key=action_key(ActionType.NOTE, contact.ref, key), after=key,
            )
        )
    return actions
