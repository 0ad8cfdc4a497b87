"""The domain model every adapter produces and the rules engine consumes.

All models are frozen: a snapshot read from the store cannot be changed by a rule by accident.
Timestamps are timezone-aware; naive datetimes are rejected at the boundary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

ECHO_MARK = "modified_by_integration"
"""``Record.extra`` key an adapter sets to True when crm-referee's own integration user made the
record's last change, so our write-backs coming back through polls and webhooks can be recognised."""


NOTE_MARK = "crm-referee:"
"""Every note crm-referee writes starts with this, so adapters can tell our notes, read back as
activities, from a rep's work (together with the journal, which knows where we wrote)."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Module(StrEnum):
    LEADS = "Leads"
    CONTACTS = "Contacts"
    ACCOUNTS = "Accounts"
    DEALS = "Deals"


class ActivityKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    TASK = "task"
    NOTE = "note"
    EMAIL = "email"


class FindingKind(StrEnum):
    PURSUIT = "pursuit"
    SLA = "sla"


class ActionType(StrEnum):
    REASSIGN = "reassign"
    FLAG = "flag"
    NOTE = "note"
    UNFLAG = "unflag"  # only ``referee undo`` plans it: remove a tag crm-referee added


class ActionStatus(StrEnum):
    PLANNED = "planned"
    APPLYING = "applying"  # journal only: claimed by a run, result not yet written
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"  # sent, but no answer proved either way; the next run reads the CRM


class SkipCode(StrEnum):
    """Why an action was skipped. Final codes end its life; the others heal on a later run."""

    OWNER_CHANGED = "owner-changed"
    ALREADY_DONE = "already-done"
    RECORD_GONE = "record-gone"
    EXPLAINED_NOT_DONE = "explained-not-done"
    """A note whose action (``Action.after``) was skipped: nothing happened that it could explain."""
    CHANGED_SINCE_PLAN = "changed-since-plan"
    NO_WRITE_ENDPOINT = "no-write-endpoint"
    READ_ONLY_SOURCE = "read-only-source"
    TURNED_OFF = "turned-off"
    ADAPTER_ERROR = "adapter-error"


HEALABLE_SKIPS = frozenset(
    {SkipCode.NO_WRITE_ENDPOINT, SkipCode.READ_ONLY_SOURCE, SkipCode.TURNED_OFF, SkipCode.ADAPTER_ERROR}
)
"""Skips caused by config or data that a later run retries, once the cause is fixed."""


class Absence(Frozen):
    """A time the CRM reports a user as away (leave, out of office): ``[starts_at, ends_at)``."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Absence:
        if self.ends_at <= self.starts_at:
            raise ValueError(
                f"absence ends ({self.ends_at.isoformat()}) before it starts ({self.starts_at.isoformat()})"
            )
        return self

    def covers(self, when: datetime) -> bool:
        return self.starts_at <= when < self.ends_at


class User(Frozen):
    id: str
    name: str = ""
    email: str | None = None
    active: bool = True
    teams: tuple[str, ...] = ()
    time_zone: str | None = None
    unavailable: tuple[Absence, ...] = ()
    """Absences the CRM reports (empty when it reports none or the adapter cannot read them)."""


class RecordRef(Frozen):
    """Points at one CRM record; hashable so it can key dicts and sets."""

    adapter: str
    module: Module
    id: str

    def __str__(self) -> str:
        return f"{self.adapter}/{self.module}/{self.id}"


class Record(Frozen):
    adapter: str
    module: Module
    id: str
    owner_id: str | None = None
    co_owner_ids: tuple[str, ...] = ()
    """Further owners when the CRM assigns a record to several reps (never including ``owner_id``)."""
    created_at: AwareDatetime | None = None
    modified_at: AwareDatetime | None = None
    assigned_at: AwareDatetime | None = None
    status: str | None = None
    company: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    website: str | None = None
    tax_id: str | None = None
    country: str | None = None
    city: str | None = None
    account_id: str | None = None
    tags: tuple[str, ...] = ()
    extra: Mapping[str, Any] = Field(default_factory=dict)

    @property
    def ref(self) -> RecordRef:
        return RecordRef(adapter=self.adapter, module=self.module, id=self.id)

    @property
    def owner_ids(self) -> tuple[str, ...]:
        """Every owner: ``owner_id`` first, then the co-owners."""
        return ((self.owner_id,) if self.owner_id else ()) + self.co_owner_ids

    @property
    def display_name(self) -> str:
        person = " ".join(p for p in (self.first_name, self.last_name) if p)
        return self.company or person or self.id


class Activity(Frozen):
    id: str
    adapter: str
    record: RecordRef
    owner_id: str | None = None
    kind: ActivityKind
    occurred_at: AwareDatetime
    completed: bool = True


class OwnerChange(Frozen):
    """An owner change the store observed between two pulls (the fallback for ``assigned_at``)."""

    record: RecordRef
    old_owner_id: str | None
    new_owner_id: str | None
    seen_at: AwareDatetime


class Finding(Frozen):
    kind: FindingKind
    rule: str
    records: tuple[RecordRef, ...]
    owners: tuple[str, ...]
    keeper: str | None = None
    customer: str | None = None
    evidence: tuple[str, ...]
    due_at: AwareDatetime | None = None
    breached_at: AwareDatetime | None = None
    detected_at: AwareDatetime | None = None
    details: Mapping[str, Any] = Field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Stable id of *what* was found (not when), used in idempotency keys."""
        parts = [self.kind, self.rule, *sorted(map(str, self.records)), *sorted(self.owners)]
        return stable_hash(*parts)


class Action(Frozen):
    type: ActionType
    target: RecordRef
    new_owner_id: str | None = None
    previous_owner_id: str | None = None
    tag: str | None = None
    text: str | None = None
    reason: str
    rule: str
    idempotency_key: str
    after: str | None = None
    """Key of the action this one explains (a note about a reassignment or a flag): it is sent only
    once that action is applied, and skipped for good when that one is."""


class ActionResult(Frozen):
    action: Action
    status: ActionStatus
    message: str = ""
    applied_at: datetime | None = None
    code: SkipCode | None = None
    """Why a ``skipped`` action was skipped (``None``: the adapter did not say)."""


def stable_hash(*parts: object) -> str:
    """A short, deterministic digest of the parts (order matters)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode())
    return digest.hexdigest()[:24]


def finding_key(finding: Finding) -> str:
    """The finding's key in the findings history: its fingerprint, plus its episode when the same
    finding can happen again as a new event (a late first contact: once per assignment)."""
    episode = finding.details.get("episode")
    return stable_hash(finding.fingerprint, episode) if episode else finding.fingerprint


def action_key(
    type_: ActionType, target: RecordRef, value: str | None, finding_fingerprint: str = ""
) -> str:
    """Idempotency key of an action: the same decision on the same record yields the same key."""
    return stable_hash(type_, target, value or "", finding_fingerprint)
