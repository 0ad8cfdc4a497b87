"""Small builders for SLA tests: a lead, an activity, a snapshot and one call of the engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from connector.domain import Action, Activity, ActivityKind, Finding, Module, OwnerChange, Record, User
from connector.i18n import Language, messages
from rules.assign.config import AssignmentConfig, TeamConfig
from rules.calendar.config import CalendarConfig
from rules.sla.config import SlaRule
from rules.sla.engine import evaluate_sla
from rules.snapshot import Reassignment, Snapshot

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
CALENDARS = {
    "cn-office": CalendarConfig(timezone="Asia/Shanghai", hours=["09:00-18:00"], holidays="CN"),
    "cn-split": CalendarConfig(timezone="Asia/Shanghai", hours=["09:00-12:00", "13:30-18:00"], holidays="CN"),
    "ny-office": CalendarConfig(timezone="America/New_York", hours=["09:00-17:00"], holidays="US"),
}
TEAMS = {"inside-sales": TeamConfig(members=("u1", "u2", "u3"))}
USERS = {u: User(id=u, email=f"{u}@example.com") for u in ("u1", "u2", "u3", "u-pool")}


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def a_lead(id: str = "L1", owner: str | None = "u1", status: str = "New", **fields: object) -> Record:
    return Record(adapter="crm", module=Module.LEADS, id=id, owner_id=owner, status=status, **fields)


def a_deal(id: str = "D1", owner: str = "u1", status: str = "Qualification", **fields: object) -> Record:
    return Record(adapter="crm", module=Module.DEALS, id=id, owner_id=owner, status=status, **fields)


def an_activity(
    record: Record,
    at: datetime,
    owner: str | None = "u1",
    kind: str = "call",
    completed: bool = True,
    id: str = "",
) -> Activity:
    return Activity(
        id=id or f"{record.id}-{owner}-{kind}-{at:%m%d%H%M}",
        adapter=record.adapter,
        record=record.ref,
        owner_id=owner,
        kind=ActivityKind(kind),
        occurred_at=at,
        completed=completed,
    )


def a_rule(**fields: object) -> SlaRule:
    return SlaRule.model_validate({"name": "first-contact", "first_activity_within": "8h", **fields})


def run(
    rules: SlaRule | Sequence[SlaRule],
    records: Sequence[Record],
    now: datetime,
    activities: Sequence[Activity] = (),
    *,
    owner_changes: Sequence[OwnerChange] = (),
    reassignments: Sequence[Reassignment] = (),
    state: dict[str, str] | None = None,
    teams: dict[str, TeamConfig] | None = None,
    assignment: AssignmentConfig | None = None,
    users: dict[str, User] | None = None,
    previous_run_at: datetime | None = None,
    reported: frozenset[str] = frozenset(),
    language: Language = "en",
) -> tuple[list[Finding], list[Action], dict[str, str]]:
    snapshot = Snapshot(
        users=USERS if users is None else users,
        records=records,
        activities=activities,
        owner_changes=owner_changes,
        reassignments=reassignments,
        assignment_state=state or {},
        previous_run_at=previous_run_at,
        reported=reported,
    )
    rule_list = [rules] if isinstance(rules, SlaRule) else list(rules)
    return evaluate_sla(
        snapshot,
        rule_list,
        CALENDARS,
        TEAMS if teams is None else teams,
        assignment or AssignmentConfig(),
        now,
        msg=messages(language),
    )
