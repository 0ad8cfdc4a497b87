"""Resolution policies: which pursuer keeps the customer, and a sentence saying why."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.domain import Module, Record, User
from rules.pursuit.config import PursuitRule
from rules.pursuit.pursuers import Pursuer

_NEVER = datetime.max


@dataclass(frozen=True)
class Decision:
    keeper: str | None
    reason: str


@dataclass(frozen=True)
class Case:
    """Everything a policy looks at for one customer."""

    pursuers: Sequence[Pursuer]
    everyone: Mapping[str, Pursuer]
    records: Sequence[Record]
    members: Sequence[int]
    users: Mapping[str, User]
    rule: PursuitRule
    now: datetime

    def name(self, user: str) -> str:
        found = self.users.get(user)
        return f"{found.name} ({user})" if found is not None and found.name else user

    def eligible(self) -> list[Pursuer]:
        """Pursuers who can still take the customer (inactive CRM users cannot)."""
        active = [p for p in self.pursuers if (u := self.users.get(p.user)) is None or u.active]
        return active or list(self.pursuers)


def _day(when: datetime | None) -> str:
    return f"{when:%Y-%m-%d}" if when is not None else "never"


def _touch(p: Pursuer) -> tuple[float, str]:
    return (p.first_touch.timestamp() if p.first_touch else float("inf"), p.user)


def first_touch(case: Case) -> Decision:
    keeper = min(case.eligible(), key=_touch)
    others = ", ".join(
        f"{case.name(p.user)} on {_day(p.first_touch)}" for p in case.pursuers if p.user != keeper.user
    )
    return Decision(
        keeper.user,
        f"first-touch: {case.name(keeper.user)} touched it first, on {_day(keeper.first_touch)} "
        f"(then {others})",
    )


def most_recent(case: Case) -> Decision:
    def latest(p: Pursuer) -> tuple[float, str]:
        when = p.last_any.timestamp() if p.last_any else float("-inf")
        return (-when, p.user)

    keeper = min(case.eligible(), key=latest)
    return Decision(
        keeper.user, f"most-recent: {case.name(keeper.user)} acted last, on {_day(keeper.last_any)}"
    )


def protection(case: Case) -> Decision:
    period = case.rule.protection_period or timedelta(0)  # the config validator requires it
    owners = [p for p in case.everyone.values() if p.owned]
    protected = min(owners, key=_touch)
    if protected.last_own is not None and protected.last_own >= case.now - period:
        return Decision(
            protected.user,
            f"protection: {case.name(protected.user)} owned it first and acted on "
            f"{_day(protected.last_own)}, within the {_days(period.days)} protection period",
        )
    rest = [p for p in case.eligible() if p.user != protected.user] or case.eligible()
    keeper = min(rest, key=_touch)
    return Decision(
        keeper.user,
        f"protection: {case.name(protected.user)}'s protection lapsed (last own activity "
        f"{_day(protected.last_own)}, period {_days(period.days)}); {case.name(keeper.user)} is the "
        f"earliest active pursuer (first touch {_day(keeper.first_touch)})",
    )


def account_owner(case: Case) -> Decision:
    accounts = [
        case.records[i] for i in case.members
        if case.records[i].module == Module.ACCOUNTS and case.records[i].owner_id
    ]
    if not accounts:
        return Decision(None, "account-owner: the customer has no owned Account record, so a manager decides")
    account = min(accounts, key=lambda r: ((r.assigned_at or r.created_at or _NEVER).isoformat(), r.id))
    owner = account.owner_id or ""
    return Decision(owner, f"account-owner: {case.name(owner)} owns the account {account.module}/{account.id}")


def flag_only(case: Case) -> Decision:
    return Decision(None, "flag-only: no keeper is chosen; a manager decides")


def _days(days: int) -> str:
    return f"{days}-day"


POLICIES: dict[str, Callable[[Case], Decision]] = {
    "first-touch": first_touch,
    "protection": protection,
    "account-owner": account_owner,
    "most-recent": most_recent,
    "flag-only": flag_only,
}
