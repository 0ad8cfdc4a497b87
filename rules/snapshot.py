"""What the rules engine sees (a :class:`Snapshot`) and what it returns (a :class:`Plan`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from connector.domain import Action, Activity, Finding, OwnerChange, Record, RecordRef, User

if TYPE_CHECKING:
    from rules.exemptions import Exemption
    from rules.identity.resolve import Resolution


@dataclass(frozen=True)
class Reassignment:
    """A reassignment crm-referee applied earlier (from the action journal)."""

    record: RecordRef
    rule: str
    from_owner: str | None
    to_owner: str | None
    at: datetime


@dataclass(frozen=True)
class Snapshot:
    """Everything the rules may look at. Built by the pipeline from the state store."""

    users: Mapping[str, User]
    records: Sequence[Record]
    activities: Sequence[Activity]
    owner_changes: Sequence[OwnerChange] = ()
    reassignments: Sequence[Reassignment] = ()
    assignment_state: Mapping[str, str] = field(default_factory=dict)
    previous_run_at: datetime | None = None
    """When the previous run evaluated: late first contacts since then are reported."""
    reported: frozenset[str] = frozenset()
    """History keys (``connector.domain.finding_key``) of findings already reported, so a late
    first contact is reported once however long ``report_late_within`` is."""
    exemptions: Sequence[Exemption] = ()
    """What people exempted with ``referee exempt`` (the config's ``[[exempt]]`` come in the RuleSet)."""


@dataclass(frozen=True)
class Plan:
    """Findings, the actions they call for, assignment state to persist (e.g. round-robin
    pointers), and the customer resolution (so the pipeline can index customers for ``check``)."""

    findings: tuple[Finding, ...] = ()
    actions: tuple[Action, ...] = ()
    assignment_state: Mapping[str, str] = field(default_factory=dict)
    resolution: Resolution | None = None
