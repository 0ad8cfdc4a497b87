"""Per-rep and per-team figures for a period, from the state store (``referee stats``, the report).

What a sales manager asks first: how many leads each rep received, how fast they answered
(median and p90 first-response time in business hours), how many answered within each SLA, how
many first contacts were late or missed, which conflicts (撞单) they were in (as keeper, as the
rep who lost the customer), and how many records crm-referee moved to them, away from them, and
back to the pool (公海).

Sources: first responses are measured on the current snapshot with the SLA rules' own clocks
(``rules.sla.response``); late / missed counts and conflicts come from the findings history (first
seen in the period); moves come from the journal (applied reassignments in the period). Figures
are attributed to the record's current owner.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connector.config import Config
from connector.domain import FindingKind, User
from connector.reporting.period import Period
from connector.store import FindingRecord, Store
from rules.sla.late import MET_LATE
from rules.sla.response import Response, first_responses
from rules.snapshot import Reassignment, Snapshot

ALL = "*"
"""The row of every rep together (the team column of the totals row)."""


@dataclass
class Figures:
    """The figures of one rep, one team, or everyone (``ALL``)."""

    key: str
    name: str
    teams: tuple[str, ...] = ()
    received: int = 0
    answered: int = 0
    response_hours: list[float] = field(default_factory=list)
    within: dict[str, list[bool]] = field(default_factory=dict)  # SLA rule → answered in time, per due lead
    late: int = 0
    missed: int = 0
    conflicts_kept: int = 0
    conflicts_lost: int = 0
    conflicts_open: int = 0
    reassigned_to: int = 0
    reassigned_away: int = 0
    to_pool: int = 0

    @property
    def median_hours(self) -> float | None:
        return round(statistics.median(self.response_hours), 2) if self.response_hours else None

    @property
    def p90_hours(self) -> float | None:
        return round(percentile(self.response_hours, 90), 2) if self.response_hours else None

    def share_within(self, rule: str) -> float | None:
        verdicts = self.within.get(rule, [])
        return round(sum(verdicts) / len(verdicts), 4) if verdicts else None

    def to_json(self, rules: Sequence[str]) -> dict[str, object]:
        return {
            "key": self.key,
            "name": self.name,
            "teams": list(self.teams),
            "leads_received": self.received,
            "answered": self.answered,
            "median_first_response_hours": self.median_hours,
            "p90_first_response_hours": self.p90_hours,
            "within_sla": {rule: self.share_within(rule) for rule in rules},
            "late_first_contacts": self.late,
            "missed": self.missed,
            "conflicts_as_keeper": self.conflicts_kept,
            "conflicts_as_loser": self.conflicts_lost,
            "conflicts_undecided": self.conflicts_open,
            "reassignments_received": self.reassigned_to,
            "reassignments_taken_away": self.reassigned_away,
            "returned_to_pool": self.to_pool,
        }


@dataclass(frozen=True)
class Stats:
    period: Period
    rules: tuple[str, ...]  # the first-contact SLA rules, in config order
    reps: tuple[Figures, ...]
    teams: tuple[Figures, ...]
    total: Figures
    responses: tuple[Response, ...]


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default), without numpy."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def compute_stats(
    config: Config,
    store: Store,
    snapshot: Snapshot,
    period: Period,
    *,
    now: datetime,
    team: str | None = None,
    findings: Sequence[FindingRecord] | None = None,
) -> Stats:
    """Figures per rep, per team and in total for ``period``; ``team`` keeps that team's reps only."""
    memberships = team_members(config, snapshot.users)
    pools = {r.pool_owner for r in config.rules.sla if r.pool_owner}
    reps: dict[str, Figures] = {}

    def rep(user_id: str) -> Figures:
        if user_id not in reps:
            user = snapshot.users.get(user_id)
            reps[user_id] = Figures(user_id, user.name if user and user.name else user_id,
                                    tuple(sorted(t for t, members in memberships.items() if user_id in members)))
        return reps[user_id]

    rule_names: list[str] = []
    responses: list[Response] = []
    for index, rule in enumerate(r for r in config.rules.sla if r.first_activity_within is not None):
        rule_names.append(rule.name)
        rows = first_responses(snapshot, rule, config.calendars, now, received_from=period.since,
                               received_until=period.until, timezone=config.referee.timezone)
        responses.extend(rows)
        for row in rows:
            figures = rep(row.owner)
            if row.within is not None:
                figures.within.setdefault(rule.name, []).append(row.within)
            if index == 0:  # the first first-contact rule measures "received" and response times
                figures.received += 1
                if row.waited is not None:
                    figures.answered += 1
                    figures.response_hours.append(row.waited.total_seconds() / 3600)
    if findings is None:
        findings = store.list_findings(seen_from=period.since, seen_until=period.until)
    for entry in findings:
        if not period.since <= entry.first_seen_at <= period.until:
            continue
        finding = entry.finding
        if finding.kind == FindingKind.SLA and finding.owners:
            figures = rep(finding.owners[0])
            if finding.details.get("outcome") == MET_LATE:
                figures.late += 1
            else:
                figures.missed += 1
        elif finding.kind == FindingKind.PURSUIT:
            for owner in finding.owners:
                figures = rep(owner)
                if finding.keeper is None:
                    figures.conflicts_open += 1
                elif finding.keeper == owner:
                    figures.conflicts_kept += 1
                else:
                    figures.conflicts_lost += 1
    for move in _moves(snapshot.reassignments, period):
        if move.to_owner in pools:
            if move.from_owner:
                rep(move.from_owner).to_pool += 1
            continue
        if move.to_owner:
            rep(move.to_owner).reassigned_to += 1
        if move.from_owner:
            rep(move.from_owner).reassigned_away += 1
    for pool in pools:
        reps.pop(pool, None)
    chosen = [f for f in reps.values() if team is None or team in f.teams]
    chosen.sort(key=lambda f: (f.name.casefold(), f.key))
    team_rows = [
        _sum(name, name, [f for f in chosen if name in f.teams])
        for name in sorted(memberships)
        if team is None or name == team
    ]
    return Stats(
        period=period,
        rules=tuple(rule_names),
        reps=tuple(chosen),
        teams=tuple(t for t in team_rows if t.received or t.late or t.missed or t.conflicts_kept
                    or t.conflicts_lost or t.conflicts_open or t.reassigned_to or t.reassigned_away or t.to_pool),
        total=_sum(ALL, ALL, chosen),
        responses=tuple(r for r in responses if team is None or r.owner in {f.key for f in chosen}),
    )


def team_members(config: Config, users: Mapping[str, User]) -> dict[str, set[str]]:
    """Team → user ids, from ``[teams.*]`` (ids or e-mails) and the teams the CRM reports per user."""
    by_email = {u.email.casefold(): u.id for u in users.values() if u.email}
    teams: dict[str, set[str]] = defaultdict(set)
    for name, team in config.teams.items():
        for member in team.members:
            teams[name].add(by_email.get(member.casefold(), member) if "@" in member else member)
    for user in users.values():
        for name in user.teams:
            teams[name].add(user.id)
    return dict(teams)


def _moves(reassignments: Iterable[Reassignment], period: Period) -> Iterable[Reassignment]:
    return (m for m in reassignments if period.since <= m.at <= period.until)


def _sum(key: str, name: str, rows: Sequence[Figures]) -> Figures:
    total = Figures(key, name)
    for row in rows:
        total.received += row.received
        total.answered += row.answered
        total.response_hours.extend(row.response_hours)
        for rule, verdicts in row.within.items():
            total.within.setdefault(rule, []).extend(verdicts)
        for attr in ("late", "missed", "conflicts_kept", "conflicts_lost", "conflicts_open",
                     "reassigned_to", "reassigned_away", "to_pool"):
            setattr(total, attr, getattr(total, attr) + getattr(row, attr))
    return total
