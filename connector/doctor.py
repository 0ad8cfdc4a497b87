"""``referee doctor``: is every part of a config ready, before the first real run?

Each check is one line: what was checked, passed or failed, and for a failure the fix and the
exit status it maps to (the CLI exits with the first failure's). Adapters contribute their own
checks through an optional ``doctor(adapter, writes)`` function in ``adapters/<kind>/doctor.py``
(credentials, one read per stream, write endpoints or scopes), so nothing here knows a CRM.
Nothing is ever written to a CRM.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from connector.config import Config
from connector.domain import ActionType
from connector.errors import ConnectorError
from connector.protocol import CrmAdapter
from connector.store import Store
from rules.requirements import writes_needed

Outcome = Literal["pass", "fail", "note"]


@dataclass(frozen=True)
class Check:
    subject: str
    """What was checked, e.g. ``adapter acme: read records /leads``."""
    outcome: Outcome
    message: str
    fix: str = ""
    exit_code: int = 0
    """For a failure: the exit status the same problem causes in a sync (2 config, 3 CRM, 1 store)."""

    @property
    def failed(self) -> bool:
        return self.outcome == "fail"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def passed(subject: str, message: str) -> Check:
    return Check(subject, "pass", message)


def note(subject: str, message: str) -> Check:
    """Not a failure, but something doctor could not prove (e.g. a write scope, without writing)."""
    return Check(subject, "note", message)


def failed(subject: str, message: str, fix: str, exit_code: int) -> Check:
    return Check(subject, "fail", message, fix, exit_code)


def from_error(subject: str, exc: ConnectorError, fix: str) -> Check:
    return failed(subject, str(exc), fix, exc.exit_code)


AdapterDoctor = Callable[[str, CrmAdapter, Mapping[ActionType, Sequence[str]]], list[Check]]


def run_doctor(
    config: Config, open_store: Callable[[], Store], build: Callable[[Store | None], Mapping[str, CrmAdapter]],
    now: datetime,
) -> list[Check]:
    """Every check, in order: state store, calendars, rules, then each adapter."""
    checks: list[Check] = []
    store: Store | None = None
    try:
        store = open_store()
        checks.extend(store_checks(store))
    except ConnectorError as exc:
        checks.append(from_error("state store", exc, "fix [referee] state (see docs/operations.md)"))
    try:
        checks.extend(calendar_checks(config, now))
        writes = writes_needed(config.rules.pursuit, config.rules.sla)
        checks.append(_writes_check(config, writes))
        try:
            adapters = build(store)
        except ConnectorError as exc:
            checks.append(from_error("adapters", exc, "fix the [adapters.<name>] section it names"))
            return checks
        for name, adapter in adapters.items():
            checks.extend(adapter_checks(name, config.adapter(name).kind, adapter, writes))
    finally:
        if store is not None:
            store.close()
    return checks


def store_checks(store: Store) -> list[Check]:
    from connector.store import CURRENT_VERSION

    checks = [passed("state store", f"opened {store!r}")]
    version = store.schema_version()
    if version == CURRENT_VERSION:
        checks.append(passed("state store schema", f"version {version} (current)"))
    else:
        checks.append(failed("state store schema", f"version {version}, this crm-referee writes {CURRENT_VERSION}",
                             "run any referee command once to migrate, or upgrade crm-referee", 1))
    holder = store.lock_holder()
    if holder is None:
        checks.append(passed("run lock", "free"))
    else:
        who, since = holder
        checks.append(note("run lock", f"held by {who} since {since.isoformat(timespec='seconds')} "
                                       "(a sync is running, or crashed: then use sync --break-lock)"))
    return checks


def calendar_checks(config: Config, now: datetime) -> list[Check]:
    """Each calendar with what it counts as business time (its holidays come from the country code)."""
    checks: list[Check] = []
    for name, calendar in config.calendars.items():
        source = f"public holidays of {calendar.holidays}" if calendar.holidays else "no public holidays"
        extra = len(calendar.extra_holidays) + len(calendar.extra_workdays)
        checks.append(passed(f"calendar {name}", f"time zone {calendar.timezone}; {source}; {extra} extra day(s)"))
    return checks


def adapter_checks(
    name: str, kind: str, adapter: CrmAdapter, writes: Mapping[ActionType, Sequence[str]]
) -> list[Check]:
    try:
        module = importlib.import_module(f"adapters.{kind}.doctor")
    except ImportError:
        return [note(f"adapter {name}", f"kind {kind} has no connection checks")]
    check: AdapterDoctor = module.doctor
    try:
        return check(name, adapter, writes)
    except ConnectorError as exc:  # a check that could not finish still gives one line, not a traceback
        return [from_error(f"adapter {name}", exc, "see the message")]


def _writes_check(config: Config, writes: Mapping[ActionType, Sequence[str]]) -> Check:
    mode = "apply" if config.referee.apply else "dry-run"
    if not writes:
        return note("rules", f"no rules write back ({mode})")
    listed = "; ".join(f"{kind.value} ({', '.join(rules)})" for kind, rules in writes.items())
    return passed("rules", f"can write {listed}; mode {mode}")
