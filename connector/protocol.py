"""The one small interface every CRM adapter implements.

Nothing outside ``adapters/<crm>/`` knows a CRM's field names or HTTP shapes: adapters turn them
into the domain model on the way in and turn :class:`~connector.domain.Action` into API calls on
the way out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from connector.domain import Action, ActionResult, ActionStatus, Activity, Record, RecordRef, User


@dataclass(frozen=True)
class PullBatch:
    """One slice of a pull. ``cursor`` is set on the last batch of a stream that finished.

    The pipeline stores the batch first and only then saves ``cursor`` under ``stream``, so a
    crash mid-stream re-reads that stream next time instead of skipping records.
    """

    stream: str
    records: Sequence[Record] = ()
    activities: Sequence[Activity] = ()
    deleted: Sequence[RecordRef] = ()
    deleted_activities: Sequence[str] = ()
    """Ids of this adapter's activities to forget (deleted in the CRM, or no longer linked)."""
    cursor: str | None = None


@dataclass(frozen=True)
class InboundEvent:
    """A verified change notification, reduced to what the worker needs.

    ``records`` arrived whole, ``record_refs`` must be fetched, ``deleted`` are gone from the CRM.
    """

    event_id: str
    records: Sequence[Record] = ()
    record_refs: Sequence[RecordRef] = ()
    meta: Mapping[str, str] = field(default_factory=dict)
    deleted: Sequence[RecordRef] = ()


@runtime_checkable
class CrmAdapter(Protocol):
    """Pull users, pull changes since cursors, and apply a batch of actions."""

    name: str

    def pull_users(self) -> Sequence[User]: ...

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[PullBatch]:
        """Yield changes since ``cursors`` (stream name → cursor text); ``full`` ignores them."""
        ...

    def apply(self, actions: Sequence[Action]) -> Sequence[ActionResult]:
        """Apply actions and report one result per action, in any order."""
        ...

    def supported_actions(self) -> frozenset[str]:
        """The action types this CRM can carry out (others are planned as ``skipped``)."""
        ...


@runtime_checkable
class WriteBatches(Protocol):
    """Adapters that write several actions per call say how: the pipeline claims and journals one
    batch at a time, so a crash loses at most the batch in flight. Without it, each call to
    ``apply`` gets every action of that adapter at once."""

    def write_batches(self, actions: Sequence[Action]) -> Sequence[Sequence[Action]]:
        """``actions`` split into the groups one write call (or a few) carries, in sending order."""
        ...


@runtime_checkable
class WriteVerifier(Protocol):
    """Adapters that can read back what a write did (owner, tags, notes carrying the action key).

    Used for actions whose outcome is unknown (a timeout after sending, a run that died mid-call)
    and, for notes, before writing them when the CRM lists a record's notes cheaply.
    """

    def verify(self, actions: Sequence[Action]) -> Mapping[str, ActionStatus]:
        """Per idempotency key: ``applied`` (done in the CRM), ``planned`` (not done, safe to send),
        or ``skipped`` (a person changed the record since); keys left out could not be told."""
        ...


@runtime_checkable
class WebhookSource(Protocol):
    """Implemented by adapters whose CRM can push change notifications to ``referee serve``."""

    name: str

    def verify_inbound(
        self, headers: Mapping[str, str], body: bytes, *, method: str = "POST", url: str = ""
    ) -> InboundEvent:
        """Verify and parse a webhook; raise ``WebhookRejectedError`` when it must be refused.

        ``method`` and ``url`` are the request line as received, for schemes that sign them.
        """
        ...

    def fetch_records(self, refs: Sequence[RecordRef]) -> Sequence[Record]:
        """Read the current state of specific records (events that carry only ids)."""
        ...
