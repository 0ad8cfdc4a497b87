"""``[[rules.sla]]``: follow-up deadlines on records and what happens when they are missed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from connector.config_base import ConfigModel
from connector.domain import ActivityKind, Module
from connector.durations import Duration
from rules.assign.config import AssignmentConfig, FieldFilter, TeamConfig
from rules.assign.fields import check_filter
from rules.calendar.config import CalendarConfig

BreachAction = Literal["flag", "reassign", "pool"]
LateAction = Literal["flag", "report"]
KINDS = ("first_activity_within", "no_activity_for", "in_status_for")
MAX_LATE_WINDOW = timedelta(days=366)
DEFAULT_LATE_WINDOW = timedelta(days=7)
"""The late-contact window of a store's first run (there is no previous run to count from)."""
DEFAULT_COUNTS = (ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.TASK, ActivityKind.EMAIL)


class Step(ConfigModel):
    """One rung of an escalation ladder: ``{after = "8h", do = "reassign"}``."""

    after: Duration
    do: BreachAction


class InStatus(ConfigModel):
    status: str
    longer_than: Duration


class SlaRule(ConfigModel):
    name: str
    module: Module = Module.LEADS
    when: FieldFilter = Field(default_factory=dict)
    first_activity_within: Duration | None = None
    no_activity_for: Duration | None = None
    in_status_for: InStatus | None = None
    calendar: str | None = None
    counts: tuple[ActivityKind, ...] = DEFAULT_COUNTS
    on_breach: BreachAction = "flag"
    steps: tuple[Step, ...] = ()
    assign_to: str | None = None
    pool_owner: str | None = None
    max_reassignments: int = 2
    tag: str = "referee:sla-breach"
    notes: bool = True
    on_late: LateAction = "report"
    """First contact made after the deadline: ``report`` (a finding only) or ``flag`` (tag + note).
    Never reassigned or pooled: the lead is being worked."""
    report_late_within: Duration | None = None
    """Report late first contacts made this recently; default: since the previous run (7d on the first)."""

    @field_validator("when")
    @classmethod
    def _known_fields(cls, value: FieldFilter) -> FieldFilter:
        check_filter(value)
        return value

    @field_validator("counts")
    @classmethod
    def _some_counts(cls, value: tuple[ActivityKind, ...]) -> tuple[ActivityKind, ...]:
        if not value:
            raise ValueError('counts is empty (list the activity kinds that satisfy the rule, e.g. ["call"])')
        return value

    @field_validator("max_reassignments")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"max_reassignments = {value} is negative (use 0 to never reassign)")
        return value

    @field_validator("steps")
    @classmethod
    def _ascending(cls, value: tuple[Step, ...]) -> tuple[Step, ...]:
        afters = [step.after for step in value]
        if afters != sorted(set(afters)):
            raise ValueError("steps must have increasing, distinct `after` values (sort the ladder)")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> SlaRule:
        given = [kind for kind in KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            found = ", ".join(given) or "none"
            raise ValueError(
                f'rule "{self.name}" needs exactly one of {", ".join(KINDS)} (found: {found}); '
                'e.g. first_activity_within = "8h"'
            )
        if self.threshold <= timedelta(0):
            raise ValueError(
                f'rule "{self.name}" has a zero deadline (use a positive duration such as "24h")'
            )
        late_keys = {"on_late", "report_late_within"} & self.model_fields_set
        if late_keys and self.first_activity_within is None:
            raise ValueError(
                f'rule "{self.name}" sets {", ".join(sorted(late_keys))}, which only first_activity_within '
                "rules use (remove it, or make the rule a first-contact rule)"
            )
        window = self.report_late_within
        if window is not None and not timedelta(0) < window <= MAX_LATE_WINDOW:
            raise ValueError(
                f'rule "{self.name}": report_late_within must be longer than zero and at most 366d (use e.g. "7d")'
            )
        if "pool" in self.actions and not self.pool_owner:
            raise ValueError(f'rule "{self.name}" sends records to the pool but has no pool_owner (add one)')
        return self

    @property
    def kind(self) -> str:
        if self.first_activity_within is not None:
            return "first_activity_within"
        return "no_activity_for" if self.no_activity_for is not None else "in_status_for"

    @property
    def threshold(self) -> timedelta:
        """The deadline measured from the clock start."""
        if self.in_status_for is not None:
            return self.in_status_for.longer_than
        return self.first_activity_within or self.no_activity_for or timedelta(0)

    @property
    def ladder(self) -> tuple[Step, ...]:
        """The steps, or a single step at the deadline doing ``on_breach``."""
        return self.steps or (Step(after=self.threshold, do=self.on_breach),)

    @property
    def actions(self) -> set[str]:
        return {step.do for step in self.ladder}


def validate_references(
    rules: Sequence[SlaRule],
    calendars: Mapping[str, CalendarConfig],
    teams: Mapping[str, TeamConfig],
    assignment: AssignmentConfig,
) -> list[str]:
    """Cross-section checks the single models cannot make; one ``"<key>: <problem> (<fix>)"`` each.

    The config loader calls this after validation and turns a non-empty list into a ConfigError.
    """
    problems: list[str] = []
    known_calendars = ", ".join(sorted(calendars)) or "none configured"
    known_teams = ", ".join(sorted(teams)) or "none configured"
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        where = f"rules.sla[{i}]"
        if rule.name in seen:
            problems.append(
                f'{where}.name: "{rule.name}" is used by two SLA rules (give each rule its own name)'
            )
        seen.add(rule.name)
        if rule.calendar is not None and rule.calendar not in calendars:
            problems.append(
                f'{where}.calendar: no calendar named "{rule.calendar}" '
                f"(add [calendars.{rule.calendar}] or use one of: {known_calendars})"
            )
        target = rule.assign_to
        if target is not None and target.startswith("team:") and target[5:] not in teams:
            problems.append(
                f'{where}.assign_to: no team named "{target[5:]}" '
                f"(add [teams.{target[5:]}] or use one of: {known_teams})"
            )
        if "reassign" in rule.actions and target is None and not assignment.route:
            problems.append(
                f'{where}.assign_to: rule "{rule.name}" reassigns but names no team and no '
                '[[assignment.route]] exists (set assign_to = "team:<name>" or add routes)'
            )
    for i, route in enumerate(assignment.route):
        if route.team not in teams:
            problems.append(
                f'assignment.route[{i}].team: no team named "{route.team}" '
                f"(add [teams.{route.team}] or use one of: {known_teams})"
            )
    return problems
