"""Missed follow-up SLAs on business calendars, with escalation ladders and fair reassignment.

For each ``[[rules.sla]]`` and each matching record: find when the clock started, measure the
business time since (on the rule's calendar), pick the highest ladder step reached, and turn it
into a finding plus flag / reassign / pool actions, each with one explanatory note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from connector.domain import (
    Action,
    ActionType,
    ActivityKind,
    Finding,
    FindingKind,
    Record,
    RecordRef,
    User,
    action_key,
    finding_key,
    stable_hash,
)
from connector.durations import format_duration
from connector.gcpause import gc_paused
from connector.i18n import EN, Messages
from rules.assign.assigner import Assigner
from rules.assign.config import AssignmentConfig, TeamConfig
from rules.assign.fields import FieldMatcher
from rules.calendar.clock import Clock, build_clock
from rules.calendar.config import CalendarConfig
from rules.sla.config import SlaRule
from rules.sla.explain import Breach
from rules.sla.history import ClockStart, OwnershipHistory, RefKey, ref_key
from rules.sla.late import LateContact, late_actions, window_start
from rules.sla.touches import Touches, index_touches
from rules.snapshot import Snapshot

_US = timedelta(microseconds=1)
rule_text = lru_cache(maxsize=1024)(format_duration)


def evaluate_sla(
    snapshot: Snapshot,
    rules: Sequence[SlaRule],
    calendars: Mapping[str, CalendarConfig],
    teams: Mapping[str, TeamConfig],
    assignment: AssignmentConfig,
    now: datetime,
    *,
    timezone: str = "UTC",
    msg: Messages = EN,
) -> tuple[list[Finding], list[Action], dict[str, str]]:
    """Findings and actions for every SLA rule, plus the assignment pointers to persist.

    ``timezone`` is the zone wall-clock rules (no ``calendar``) speak in; ``msg`` the language.
    """
    if not rules:
        return [], [], dict(snapshot.assignment_state)
    with gc_paused():
        return _evaluate(snapshot, rules, calendars, teams, assignment, now, timezone, msg)


def _evaluate(
    snapshot: Snapshot,
    rules: Sequence[SlaRule],
    calendars: Mapping[str, CalendarConfig],
    teams: Mapping[str, TeamConfig],
    assignment: AssignmentConfig,
    now: datetime,
    timezone: str,
    msg: Messages,
) -> tuple[list[Finding], list[Action], dict[str, str]]:
    records = sorted(snapshot.records, key=lambda r: (r.adapter, r.module, r.id))
    history = OwnershipHistory(snapshot.owner_changes, snapshot.reassignments)
    starts: dict[RefKey, ClockStart] = {}
    owners: list[tuple[RefKey, str, datetime]] = []
    for record in records:
        if record.owner_id and (start := history.clock_start(record)):
            key = ref_key(record)
            starts[key] = start
            owners.append((key, record.owner_id, start.at))
    kind_sets = list(dict.fromkeys((frozenset(r.counts), r.no_activity_for is not None) for r in rules))
    touches = dict(zip(kind_sets, index_touches(snapshot.activities, owners, kind_sets, now), strict=True))
    del owners
    clocks: dict[str | None, Clock] = {}
    decider = _Decider(
        Assigner(teams, assignment, snapshot.users, records, snapshot.assignment_state, now, msg), history, msg
    )
    names = _Names(snapshot.users, msg)
    pools = {rule.pool_owner for rule in rules if rule.pool_owner}
    findings: list[Finding] = []
    for rule in rules:
        if rule.calendar not in clocks:
            clocks[rule.calendar] = build_clock(rule.calendar, calendars, wall_zone=timezone)
        clock = clocks[rule.calendar]
        touched = touches[(frozenset(rule.counts), rule.no_activity_for is not None)]
        judge = _Judge(rule, clock, starts, touched, now, names, window_start(rule, now, snapshot.previous_run_at))
        matches = FieldMatcher(rule.when)
        for record in records:
            if record.module != rule.module or record.owner_id in pools or not matches(record):
                continue
            verdict = judge(record)
            if isinstance(verdict, LateContact):
                finding = verdict.finding(now)
                if finding_key(finding) not in snapshot.reported:
                    decider.actions.extend(late_actions(verdict, finding, decider.flagged))
                    findings.append(finding)
            elif verdict is not None:
                findings.append(decider.decide(verdict, _finding(verdict, now)))
    return findings, decider.actions, decider.assigner.state


class _Names:
    """How sentences name a record's owner, looked up once per owner."""

    def __init__(self, users: Mapping[str, User], msg: Messages) -> None:
        self.users, self.msg = users, msg
        self._cache: dict[str, str] = {}

    def __call__(self, user_id: str | None) -> str:
        if user_id is None:
            return ""
        if user_id not in self._cache:
            user = self.users.get(user_id)
            self._cache[user_id] = self.msg.person(user.name if user is not None else "", user_id)
        return self._cache[user_id]


class _Judge:
    """Measures one rule on one record; returns the ladder step reached, if any."""

    def __init__(
        self,
        rule: SlaRule,
        clock: Clock,
        starts: Mapping[RefKey, ClockStart],
        touches: Touches,
        now: datetime,
        names: _Names,
        late_since: datetime,
    ) -> None:
        self.rule, self.clock, self.starts, self.touches, self.now = rule, clock, starts, touches, now
        self.names, self.late_since = names, late_since
        self.now_pos = clock.position(now)
        self.ladder = [(step.after // _US, step) for step in rule.ladder]
        self.first_after = self.ladder[0][0]
        self.threshold = rule.threshold // _US
        self.status = rule.in_status_for.status.casefold() if rule.in_status_for else None

    def __call__(self, record: Record) -> Breach | LateContact | None:
        rule, key = self.rule, ref_key(record)
        start = self.starts.get(key)
        if rule.in_status_for is not None:
            if record.status is None or record.status.casefold() != self.status:
                return None
            start = _status_since(record) or start
            if start is None:
                return None
            since, last = start.at, None
        elif start is None:
            return None
        elif rule.first_activity_within is not None:
            first = self.touches.first.get(key)
            if first is not None:
                return self._late(record, start, *first)
            since, last = start.at, None
        else:
            last = self.touches.last.get(key)
            since = last[0] if last is not None else start.at
        elapsed = self.now_pos - self.clock.position(since)
        if elapsed < self.first_after:
            return None
        index = max(i for i, (after, _) in enumerate(self.ladder) if after <= elapsed)
        return Breach(
            rule=rule,
            record=record,
            clock=self.clock,
            start=start,
            since=since,
            elapsed=timedelta(microseconds=elapsed),
            step=self.ladder[index][1],
            step_index=index,
            due_at=self.clock.add(since, rule.threshold),
            last=last,
            msg=self.names.msg,
            owner=self.names(record.owner_id),
        )

    def _late(self, record: Record, start: ClockStart, at: datetime, kind: ActivityKind) -> LateContact | None:
        """The first contact, when it came after the deadline and inside the reporting window."""
        if at < self.late_since:
            return None
        late = self.clock.position(at) - self.clock.position(start.at) - self.threshold
        if late <= 0:
            return None
        return LateContact(
            rule=self.rule, record=record, clock=self.clock, start=start,
            due_at=self.clock.add(start.at, self.rule.threshold), contact_at=at, contact_kind=kind,
            late=timedelta(microseconds=late), msg=self.names.msg, owner=self.names(record.owner_id),
        )


def _status_since(record: Record) -> ClockStart | None:
    """When the record entered its status: ``extra["status_changed_at"]`` if the CRM gives it."""
    value = record.extra.get("status_changed_at")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            value = None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return ClockStart(value, "status_changed_at")
    if record.created_at is not None:
        return ClockStart(record.created_at, "created_at")
    return None


def _finding(breach: Breach, now: datetime) -> Finding:
    rule, clock, record = breach.rule, breach.clock, breach.record
    return Finding(
        kind=FindingKind.SLA,
        rule=rule.name,
        records=(breach.ref,),
        owners=(record.owner_id,) if record.owner_id else (),
        evidence=breach.evidence,
        due_at=breach.due_at,
        breached_at=breach.due_at if breach.breached else None,
        detected_at=now,
        details={
            "sla": rule.kind,
            "calendar": clock.name,
            "clock_start": breach.start.at.isoformat(),
            "clock_start_source": breach.start.source,
            "counted_from": breach.since.isoformat(),
            "threshold": rule_text(rule.threshold),
            "business_time_elapsed": breach.elapsed_text,
            "business_seconds_elapsed": int(breach.elapsed.total_seconds()),
            "step": breach.step_index + 1,
            "step_after": rule_text(breach.step.after),
            "do": breach.step.do,
        },
    )


class _Decider:
    """Turns breaches into actions; one reassignment and one flag per record and tag per run."""

    def __init__(self, assigner: Assigner, history: OwnershipHistory, msg: Messages) -> None:
        self.assigner, self.history, self.msg = assigner, history, msg
        self.actions: list[Action] = []
        self._moved: set[RefKey] = set()
        self.flagged: set[tuple[RecordRef, str]] = set()

    def decide(self, breach: Breach, finding: Finding) -> Finding:
        rule, record, msg = breach.rule, breach.record, self.msg
        decision = stable_hash(finding.fingerprint, breach.since.astimezone(UTC).isoformat(), breach.step.do)
        do, why = breach.step.do, ""
        if do in ("reassign", "pool") and ref_key(record) in self._moved:
            return _with(finding, outcome=msg("sla.already_moved"))
        if do == "reassign":
            done = self.history.reassignments(record, rule.name)
            if done >= rule.max_reassignments:
                why = msg("sla.max_reassignments", done=done, limit=rule.max_reassignments)
            else:
                exclude = {o for o in (record.owner_id, self.history.just_lost(record)) if o is not None}
                pick = self.assigner.pick(rule.assign_to, record, exclude)
                if pick.user_id is not None:
                    self._move(breach, pick.user_id, pick.reason, decision, ActionType.REASSIGN)
                    return _with(finding, outcome=pick.reason, new_owner=pick.user_id)
                why = pick.reason
            do = "pool" if rule.pool_owner else "flag"
        if do == "pool":
            pool = rule.pool_owner or ""  # SlaRule validation guarantees one for "pool"
            text = msg("sla.to_pool", pool=self.assigner.person(pool) if msg.zh else pool)
            text += msg("sla.because", why=why) if why else ""
            self._move(breach, pool, text, decision, ActionType.REASSIGN)
            return _with(finding, outcome=text, new_owner=pool)
        return self._flag(breach, finding, decision, why)

    def _flag(self, breach: Breach, finding: Finding, decision: str, why: str) -> Finding:
        rule, record, msg = breach.rule, breach.record, self.msg
        outcome = msg("sla.flagged") + (msg("sla.because", why=why) if why else "")
        mark = (breach.ref, rule.tag)
        if rule.tag in record.tags or mark in self.flagged:
            already = msg("sla.already_flagged", tag=rule.tag)
            return _with(finding, outcome=already + (msg("sla.already_flagged_why", why=why) if why else ""))
        self.flagged.add(mark)
        key = action_key(ActionType.FLAG, breach.ref, rule.tag, decision)
        self.actions.append(
            Action(
                type=ActionType.FLAG,
                target=breach.ref,
                tag=rule.tag,
                rule=rule.name,
                reason=msg("reason.action", outcome=outcome, headline=breach.headline),
                idempotency_key=key,
            )
        )
        what = msg("note.sla.flagged", tag=rule.tag) + (msg("note.sla.flagged_why", why=why) if why else "")
        self._note(breach, key, what)
        return _with(finding, outcome=outcome)

    def _move(self, breach: Breach, new_owner: str, how: str, decision: str, type_: ActionType) -> None:
        record = breach.record
        self._moved.add(ref_key(record))
        self.assigner.transfer(record, new_owner)
        key = action_key(type_, breach.ref, f"{breach.step.do}:{record.owner_id}", decision)
        self.actions.append(
            Action(
                type=type_,
                target=breach.ref,
                previous_owner_id=record.owner_id,
                new_owner_id=new_owner,
                rule=breach.rule.name,
                reason=self.msg("reason.action", outcome=how, headline=breach.headline),
                idempotency_key=key,
            )
        )
        person = self.assigner.person
        old = person(record.owner_id) if record.owner_id else ""
        self._note(breach, key, self.msg("note.sla.reassigned", old=old, new=person(new_owner), how=how))

    def _note(self, breach: Breach, main_key: str, what: str) -> None:
        if not breach.rule.notes:
            return
        self.actions.append(
            Action(
                type=ActionType.NOTE,
                target=breach.ref,
                rule=breach.rule.name,
                text=self.msg("note.sla", summary=breach.summary, what=what),
                reason=what,
                idempotency_key=action_key(ActionType.NOTE, breach.ref, main_key),
                after=main_key,
            )
        )


def _with(finding: Finding, **extra: str) -> Finding:
    return finding.model_copy(update={"details": {**finding.details, **extra}})
