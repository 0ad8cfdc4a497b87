"""Each configured rule as one plain sentence, for ``referee validate``.

A TOML table says what a rule *is*; the sentence says what it will *do* to a lead, in the terms a
sales manager checks: which records, which deadline, business or wall-clock time on which
calendar, and what happens at each step of the ladder.
"""

from __future__ import annotations

from connector.durations import format_duration
from rules.pursuit.config import PursuitRule
from rules.sla.config import SlaRule

_KEEPER = {
    "first-touch": "the rep who worked it first keeps it",
    "protection": "the owner keeps it while their own last activity is within {period}, then the first to work it",
    "account-owner": "the owner of the linked account keeps it",
    "most-recent": "the rep with the most recent activity keeps it",
    "flag-only": "no one is chosen",
}

_STEP = {"flag": "tag it {tag}", "reassign": "reassign it {target}", "pool": "move it to the public pool ({pool})"}


def pursuit_sentence(rule: PursuitRule) -> str:
    keeper = _KEEPER[rule.resolve].format(period=format_duration(rule.protection_period or rule.active_within))
    if rule.action == "reassign" and rule.resolve != "flag-only":
        act = "the other reps' records are reassigned to the keeper"
    else:
        act = f"every record in the conflict is tagged {rule.tag}"
    shared = f"; members of team(s) {', '.join(rule.allow_shared)} may pursue one customer together" if (
        rule.allow_shared
    ) else ""
    notes = ", with a note saying why" if rule.notes else ""
    return (
        f"pursuit rule {rule.name}: when two or more reps have worked one customer within "
        f"{format_duration(rule.active_within)}, {keeper}; {act}{notes}{shared}."
    )


def sla_sentence(rule: SlaRule) -> str:
    what = f"{rule.module.value} record" + (f" matching {_filter(rule)}" if rule.when else "")
    clock = f"business hours of calendar {rule.calendar}" if rule.calendar else "wall-clock time"
    kinds = "/".join(k.value for k in rule.counts)
    if rule.first_activity_within is not None:
        duty = f"must get a first {kinds} within {format_duration(rule.threshold)} of being assigned"
    elif rule.no_activity_for is not None:
        duty = f"must not go {format_duration(rule.threshold)} without a {kinds}"
    else:
        assert rule.in_status_for is not None
        duty = f'must not stay in status "{rule.in_status_for.status}" longer than {format_duration(rule.threshold)}'
    target = _target(rule)
    steps = "; ".join(
        f"after {format_duration(step.after)} " + _STEP[step.do].format(tag=rule.tag, target=target,
                                                                       pool=rule.pool_owner or "")
        for step in rule.ladder
    )
    late = ""
    if rule.first_activity_within is not None:
        late = "; a first contact made late is " + ("reported and tagged" if rule.on_late == "flag" else "reported")
        late += " (never reassigned)"
    return f"sla rule {rule.name}: each {what} {duty}, counted in {clock}; {steps}{late}."


def _target(rule: SlaRule) -> str:
    if rule.assign_to and rule.assign_to.startswith("team:"):
        return f"within team {rule.assign_to[5:]}"
    if rule.assign_to:
        return f"to {rule.assign_to}"
    return "by the [[assignment.route]] rules"


def _filter(rule: SlaRule) -> str:
    parts = []
    for key, value in sorted(rule.when.items()):
        values = value if isinstance(value, tuple) else (value,)
        negate = key.endswith("_not")
        name = key.removesuffix("_not") if negate else key
        parts.append(f"{name} {'not in' if negate else 'in'} {', '.join(values)}")
    return " and ".join(parts)
