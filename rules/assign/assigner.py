"""Pick the next owner of a record: round robin, smooth weighted round robin or least loaded.

Pure and deterministic: the result depends only on the config, the snapshot, the persisted
pointers (``Snapshot.assignment_state``) and ``now``. Each pick updates open-record loads and
pointers at once, so several picks within one evaluation stay fair and respect capacity.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from connector.domain import Record, User
from connector.i18n import EN, Messages
from rules.assign.config import AssignmentConfig, TeamConfig
from rules.assign.fields import FieldMatcher

TEAM_PREFIX = "team:"
CRM_SOURCE = "crm"


@dataclass(frozen=True)
class Away:
    """A window ``[start, end)`` in which a member takes no records, and where we learned it."""

    start: datetime
    end: datetime
    shown_end: datetime  # ``end`` in the time zone the reason is written in
    source: str  # "" for ``[assignment] unavailable``, CRM_SOURCE when the CRM reported it


@dataclass(frozen=True)
class Pick:
    """The chosen owner, or ``None`` with the reason nobody could take the record."""

    user_id: str | None
    reason: str
    team: str | None = None


class Assigner:
    def __init__(
        self,
        teams: Mapping[str, TeamConfig],
        config: AssignmentConfig,
        users: Mapping[str, User],
        records: Iterable[Record],
        state: Mapping[str, str],
        now: datetime,
        msg: Messages = EN,
    ) -> None:
        self._msg = msg
        self._teams = teams
        self._users = users
        self._now = now
        self._closed = frozenset(s.casefold() for s in config.closed_statuses)
        self._load: Counter[str] = Counter(
            r.owner_id for r in records if r.owner_id and not self.is_closed(r.status)
        )
        self._by_email = {u.email.casefold(): u.id for u in users.values() if u.email}
        zone = ZoneInfo(config.timezone)
        self._away: dict[str, list[Away]] = {}
        for entry in config.unavailable:
            start, end = entry.window(zone)
            self._away.setdefault(self.resolve(entry.user), []).append(Away(start, end, end, ""))
        for user_id, user in users.items():
            for absence in user.unavailable:  # what the CRM reports counts like a config entry
                away = Away(absence.starts_at, absence.ends_at, absence.ends_at.astimezone(zone), CRM_SOURCE)
                self._away.setdefault(user_id, []).append(away)
        self._routes = [(FieldMatcher(route.when), route.team) for route in config.route]
        self._state = dict(state)
        self._weights: dict[str, dict[str, int]] = {}

    @property
    def state(self) -> dict[str, str]:
        """Pointers to persist: the input state with this run's updates."""
        out = dict(self._state)
        for team, current in self._weights.items():
            out[f"weighted:{team}"] = json.dumps(current, sort_keys=True, separators=(",", ":"))
        return out

    def is_closed(self, status: str | None) -> bool:
        return status is not None and status.casefold() in self._closed

    def load(self, user_id: str) -> int:
        return self._load[user_id]

    def resolve(self, member: str) -> str:
        """A user id for a member written as an id or an email (unknown emails stay as written)."""
        return self._by_email.get(member.casefold(), member) if "@" in member else member

    def team_for(self, record: Record) -> str | None:
        """Territory routing: the team of the first ``[[assignment.route]]`` that matches."""
        return next((team for matches, team in self._routes if matches(record)), None)

    def pick(self, target: str | None, record: Record, exclude: Collection[str] = ()) -> Pick:
        """Choose an owner for ``record`` from ``"team:<name>"``, a user, or (``None``) the routes."""
        if target is None:
            team = self.team_for(record)
            if team is None:
                return Pick(None, self._msg("assign.no_route"))
            return self._pick_team(team, exclude)
        if target.startswith(TEAM_PREFIX):
            return self._pick_team(target.removeprefix(TEAM_PREFIX), exclude)
        user = self.resolve(target)
        why = self.ineligible(user, exclude, None)
        if why:
            return Pick(None, self._msg("assign.cannot_take", target=self.person(target), why=why))
        return Pick(user, self._msg("assign.as_configured", user=self.person(user)))

    def person(self, user_id: str) -> str:
        """``Name (id)`` in English reasons, the name in Chinese ones (the id when the name is unknown)."""
        user = self._users.get(user_id)
        return self._msg.person(user.name if user is not None else "", user_id)

    def transfer(self, record: Record, new_owner: str) -> None:
        """Book a decided move so that later picks in this run see the new loads."""
        if self.is_closed(record.status):
            return
        if record.owner_id:
            self._load[record.owner_id] -= 1
        self._load[new_owner] += 1

    def ineligible(self, user_id: str, exclude: Collection[str], capacity: int | None) -> str | None:
        """Why ``user_id`` may not receive a record now, or ``None`` when they may."""
        msg, user = self._msg, self._users.get(user_id)
        if user is None:
            return msg("assign.unknown_user")
        if not user.active:
            return msg("assign.inactive")
        if user_id in exclude:
            return msg("assign.just_lost")
        away = self._away_now(user_id)
        if away is not None:
            source = msg("assign.crm_source") if away.source == CRM_SOURCE else ""
            return msg("assign.unavailable", until=f"{away.shown_end:%Y-%m-%d %H:%M %Z}", source=source)
        if capacity is not None and self._load[user_id] >= capacity:
            return msg("assign.at_capacity", load=self._load[user_id], capacity=capacity)
        return None

    def _away_now(self, user_id: str) -> Away | None:
        """The window covering ``now``, its end pushed past windows that continue it without a gap."""
        windows = self._away.get(user_id, ())
        current = next((w for w in windows if w.start <= self._now < w.end), None)
        if current is None:
            return None
        longer = True
        while longer:
            longer = False
            for w in windows:
                if w.start <= current.end < w.end:
                    current = Away(current.start, w.end, w.shown_end, current.source)
                    longer = True
        return current

    def _pick_team(self, name: str, exclude: Collection[str]) -> Pick:
        team = self._teams.get(name)
        if team is None:
            return Pick(None, self._msg("assign.no_team", team=name), name)
        written = {self.resolve(m): m for m in team.members}
        members = list(written)
        if team.strategy == "round-robin":
            pointer = f"round-robin:{name}"
            for member in _rotation(members, self._state.get(pointer)):
                if self.ineligible(member, exclude, team.max_open) is None:
                    self._state[pointer] = member
                    reason = self._msg("assign.round_robin", user=self.person(member), team=name)
                    return Pick(member, reason, name)
            return self._nobody(name, members, exclude, team.max_open)
        eligible = [m for m in members if self.ineligible(m, exclude, team.max_open) is None]
        if not eligible:
            return self._nobody(name, members, exclude, team.max_open)
        if team.strategy == "weighted":
            weights = {m: team.weight(written[m]) for m in members}
            chosen = self._weighted(name, weights, eligible)
            how = self._msg("assign.weighted", team=name, weight=weights[chosen])
        else:
            pointer = f"least-loaded:{name}"
            order = {m: i for i, m in enumerate(_rotation(members, self._state.get(pointer)))}
            chosen = min(eligible, key=lambda m: (self._load[m], order[m]))
            self._state[pointer] = chosen
            how = self._msg("assign.least_loaded", team=name, load=self._load[chosen])
        return Pick(chosen, self._msg("assign.by", user=self.person(chosen), how=how), name)

    def _nobody(self, name: str, members: list[str], exclude: Collection[str], capacity: int | None) -> Pick:
        msg = self._msg
        why = msg("pursuit.part_sep").join(
            msg("assign.member_why", user=self.person(m), why=self.ineligible(m, exclude, capacity)) for m in members
        ) or msg("assign.no_members")
        return Pick(None, msg("assign.nobody", team=name, why=why), name)

    def _weighted(self, name: str, weights: Mapping[str, int], eligible: list[str]) -> str:
        members = list(weights)
        current = self._weights.get(name)
        if current is None:
            try:
                stored = json.loads(self._state.get(f"weighted:{name}", "{}"))
            except ValueError:
                stored = {}
            current = {m: int(stored.get(m, 0)) for m in members}
            self._weights[name] = current
        for member in members:
            current.setdefault(member, 0)
        for member in eligible:
            current[member] += weights[member]
        position = {m: i for i, m in enumerate(members)}
        chosen = max(eligible, key=lambda m: (current[m], -position[m]))
        current[chosen] -= sum(weights[m] for m in eligible)
        return chosen


def _rotation(members: list[str], last: str | None) -> list[str]:
    """The members in turn, starting just after ``last`` (from the top if ``last`` left the team)."""
    start = members.index(last) + 1 if last in members else 0
    return members[start:] + members[:start]
