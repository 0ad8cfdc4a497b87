"""Resolution policies: which pursuer keeps the customer, and a sentence saying why."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.domain import Module, Record, User
from connector.i18n import EN, Messages
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
    msg: Messages = EN

    def name(self, user: str) -> str:
        found = self.users.get(user)
        return self.msg.person(found.name if found is not None else "", user)

    def day(self, when: datetime | None) -> str:
        return f"{when:%Y-%m-%d}" if when is not None else self.msg("policy.never")

    def eligible(self) -> list[Pursuer]:
        """Pursuers who can still take the customer (inactive CRM users cannot)."""
        active = [p for p in self.pursuers if (u := self.users.get(p.user)) is None or u.active]
        return active or list(self.pursuers)


def _touch(p: Pursuer) -> tuple[float, str]:
    return (p.first_touch.timestamp() if p.first_touch else float("inf"), p.user)


def first_touch(case: Case) -> Decision:
    keeper = min(case.eligible(), key=_touch)
    msg = case.msg
    others = ("、" if msg.zh else ", ").join(
        msg("policy.first_touch_other", name=case.name(p.user), day=case.day(p.first_touch))
        for p in case.pursuers
        if p.user != keeper.user
    )
    reason = msg("policy.first_touch", keeper=case.name(keeper.user), day=case.day(keeper.first_touch), others=others)
    return Decision(keeper.user, reason)


def most_recent(case: Case) -> Decision:
    def latest(p: Pursuer) -> tuple[float, str]:
        when = p.last_any.timestamp() if p.last_any else float("-inf")
        return (-when, p.user)

    keeper = min(case.eligible(), key=latest)
    return Decision(
        keeper.user, case.msg("policy.most_recent", keeper=case.name(keeper.user), day=case.day(keeper.last_any))
    )


def protection(case: Case) -> Decision:
    period = case.rule.protection_period or timedelta(0)  # the config validator requires it
    owners = [p for p in case.everyone.values() if p.owned]
    protected = min(owners, key=_touch)
    if protected.last_own is not None and protected.last_own >= case.now - period:
        return Decision(
            protected.user,
            case.msg(
                "policy.protected", keeper=case.name(protected.user), day=case.day(protected.last_own),
                days=period.days,
            ),
        )
    rest = [p for p in case.eligible() if p.user != protected.user] or case.eligible()
    keeper = min(rest, key=_touch)
    return Decision(
        keeper.user,
        case.msg(
            "policy.protection_lapsed", owner=case.name(protected.user), day=case.day(protected.last_own),
            days=period.days, keeper=case.name(keeper.user), first=case.day(keeper.first_touch),
        ),
    )


def account_owner(case: Case) -> Decision:
    accounts = [
        case.records[i] for i in case.members
        if case.records[i].module == Module.ACCOUNTS and case.records[i].owner_id
    ]
    if not accounts:
        return Decision(None, case.msg("policy.no_account"))
    account = min(accounts, key=lambda r: ((r.assigned_at or r.created_at or _NEVER).isoformat(), r.id))
    owner = account.owner_id or ""
    label = case.msg.record(account.module, account.id, account.display_name)
    return Decision(owner, case.msg("policy.account_owner", keeper=case.name(owner), account=label))


def flag_only(case: Case) -> Decision:
    return Decision(None, case.msg("policy.flag_only"))


POLICIES: dict[str, Callable[[Case], Decision]] = {
    "first-touch": first_touch,
    "protection": protection,
    "account-owner": account_owner,
    "most-recent": most_recent,
    "flag-only": flag_only,
}
