"""The durable webhook inbox: events are committed here before the server answers 202.

Each row is one verified event, unique per ``(adapter, event_id)`` so a redelivered webhook is
stored once. Workers take rows with :meth:`Inbox.claim`: on PostgreSQL with
``SELECT ... FOR UPDATE SKIP LOCKED`` (several servers and workers share one inbox), on SQLite
inside ``BEGIN IMMEDIATE`` (one writer at a time, so a plain select-then-update is atomic). A claim
carries a token and a time: a claim older than the lease belongs to a worker that died and may be
taken again, and only the holder of the current token may finish the event.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, and_, delete, exc, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from connector.domain import Record, RecordRef
from connector.errors import StateError, UsageError
from connector.events import EventStatus
from connector.protocol import InboundEvent
from connector.store import Store, schema

_inbox = schema.inbox
MAX_ERROR_CHARS = 2_000


@dataclass(frozen=True)
class InboxEntry:
    """One inbox row as ``referee inbox`` and the worker see it."""

    seq: int
    adapter: str
    event_id: str
    status: EventStatus
    attempts: int
    received_at: datetime
    available_at: datetime
    claimed_at: datetime | None
    finished_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class Claim:
    """An event a worker holds: ``token`` proves the claim when the worker finishes it."""

    entry: InboxEntry
    event: InboundEvent
    token: str


def encode_event(event: InboundEvent) -> str:
    """The verified event as JSON text (records in domain field names)."""
    return json.dumps(
        {
            "event_id": event.event_id,
            "records": [r.model_dump(mode="json") for r in event.records],
            "record_refs": [r.model_dump(mode="json") for r in event.record_refs],
            "meta": dict(event.meta),
            "deleted": [r.model_dump(mode="json") for r in event.deleted],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode_event(text: str) -> InboundEvent:
    data = json.loads(text)
    return InboundEvent(
        event_id=data["event_id"],
        records=tuple(Record.model_validate(r) for r in data.get("records", ())),
        record_refs=tuple(RecordRef.model_validate(r) for r in data.get("record_refs", ())),
        meta=dict(data.get("meta", {})),
        deleted=tuple(RecordRef.model_validate(r) for r in data.get("deleted", ())),
    )


class Inbox:
    """Inbox operations on the state store's engine (one instance per process is enough)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # SQLite has one writer at a time; queueing this process's inserts on a lock is much
        # cheaper than letting request threads collide in SQLite's sleeping busy handler.
        self._add_lock = threading.Lock() if store.dialect == "sqlite" else contextlib.nullcontext()

    # --- the server side ------------------------------------------------------------------

    def add(self, adapter: str, event: InboundEvent, body: bytes, *, now: datetime) -> bool:
        """Commit ``event``; ``False`` when this adapter already stored an event with that id."""
        row = _row(adapter, event, body, now)
        try:
            with self._add_lock, self.store.begin() as conn:
                conn.execute(insert(_inbox), row)
        except exc.IntegrityError:
            if self._exists(adapter, event.event_id):
                return False
            raise StateError(f'could not store webhook event "{event.event_id}" (integrity error)') from None
        return True

    def add_many(self, items: Sequence[tuple[str, InboundEvent, bytes]], *, now: datetime) -> list[bool]:
        """Commit several events in one transaction (group commit); per item, ``False`` = duplicate.

        One commit per batch instead of per request is what lets the server accept hundreds of
        webhooks a second on PostgreSQL (each commit waits for a WAL flush) and on SQLite.
        """
        stmt = insert_ignore(self.store.dialect)
        seen: set[tuple[str, str]] = set()
        inserted: list[bool] = []
        with self._add_lock, self.store.begin() as conn:
            for adapter, event, body in items:
                key = (adapter, event.event_id)
                if key in seen:  # the same event twice in one batch
                    inserted.append(False)
                    continue
                seen.add(key)
                result = conn.execute(stmt, _row(adapter, event, body, now))
                inserted.append(result.rowcount == 1)
        return inserted

    def _exists(self, adapter: str, event_id: str) -> bool:
        with self.store.connect() as conn:
            found = conn.execute(
                select(_inbox.c.seq).where(_inbox.c.adapter == adapter, _inbox.c.event_id == event_id)
            ).first()
        return found is not None

    # --- the worker side ------------------------------------------------------------------

    def claim(self, holder: str, *, now: datetime, lease: timedelta) -> Claim | None:
        """Take the oldest due event (or one whose claim expired); ``None`` when there is none."""
        due = or_(
            and_(_inbox.c.status == EventStatus.PENDING.value, _inbox.c.available_at <= now),
            and_(_inbox.c.status == EventStatus.PROCESSING.value, _inbox.c.claimed_at < now - lease),
        )
        query = select(_inbox).where(due).order_by(_inbox.c.seq).limit(1)
        if self.store.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        token = f"{holder} {uuid.uuid4().hex[:12]}"
        with self.store.begin() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            conn.execute(
                update(_inbox)
                .where(_inbox.c.seq == row.seq)
                .values(
                    status=EventStatus.PROCESSING.value,
                    attempts=row.attempts + 1,
                    claimed_at=now,
                    claimed_by=token,
                )
            )
        entry = _entry(row)
        entry = InboxEntry(
            **{**entry.__dict__, "status": EventStatus.PROCESSING, "attempts": row.attempts + 1}
        )
        return Claim(entry=entry, event=decode_event(row.event), token=token)

    def complete(self, claim: Claim, *, now: datetime) -> bool:
        """Mark the claimed event done; ``False`` if the claim was lost (lease expired, taken over)."""
        return self._finish(claim, status=EventStatus.DONE, now=now, error=None, available_at=None)

    def fail(
        self,
        claim: Claim,
        error: str,
        *,
        now: datetime,
        max_attempts: int,
        backoff: timedelta,
        max_backoff: timedelta,
    ) -> EventStatus:
        """Schedule a retry with exponential backoff, or park the event after ``max_attempts``."""
        if claim.entry.attempts >= max_attempts:
            self._finish(claim, status=EventStatus.PARKED, now=now, error=error, available_at=None)
            return EventStatus.PARKED
        delay = min(backoff * (2 ** (claim.entry.attempts - 1)), max_backoff)
        self._finish(claim, status=EventStatus.PENDING, now=now, error=error, available_at=now + delay)
        return EventStatus.PENDING

    def release(self, claim: Claim, *, now: datetime) -> None:
        """Give an event back untouched (shutdown): the attempt does not count."""
        with self.store.begin() as conn:
            conn.execute(
                update(_inbox)
                .where(_inbox.c.seq == claim.entry.seq, _inbox.c.claimed_by == claim.token)
                .values(
                    status=EventStatus.PENDING.value,
                    attempts=_inbox.c.attempts - 1,
                    available_at=now,
                    claimed_at=None,
                    claimed_by=None,
                )
            )

    def _finish(
        self,
        claim: Claim,
        *,
        status: EventStatus,
        now: datetime,
        error: str | None,
        available_at: datetime | None,
    ) -> bool:
        values: dict[str, Any] = {
            "status": status.value,
            "error": error[:MAX_ERROR_CHARS] if error else None,
            "claimed_at": None,
            "claimed_by": None,
        }
        if available_at is not None:
            values["available_at"] = available_at
        if status in (EventStatus.DONE, EventStatus.PARKED):
            values["finished_at"] = now
        with self.store.begin() as conn:
            result = conn.execute(
                update(_inbox)
                .where(_inbox.c.seq == claim.entry.seq, _inbox.c.claimed_by == claim.token)
                .values(**values)
            )
        return result.rowcount == 1

    # --- operators ------------------------------------------------------------------------

    def list(self, *, status: EventStatus | None = None, limit: int = 50) -> list[InboxEntry]:
        """The newest events first."""
        query = select(_inbox).order_by(_inbox.c.seq.desc()).limit(limit)
        if status is not None:
            query = query.where(_inbox.c.status == status.value)
        with self.store.connect() as conn:
            return [_entry(row) for row in conn.execute(query)]

    def get(self, seq: int) -> InboxEntry | None:
        with self.store.connect() as conn:
            row = conn.execute(select(_inbox).where(_inbox.c.seq == seq)).first()
        return None if row is None else _entry(row)

    def retry(self, seq: int, *, now: datetime) -> InboxEntry:
        """Re-queue a parked (or failed, waiting) event now, with a fresh attempt count."""
        with self.store.begin() as conn:
            row = conn.execute(select(_inbox.c.status).where(_inbox.c.seq == seq)).first()
            if row is None:
                raise UsageError(f"no inbox event {seq} (list them with: referee inbox -c FILE)")
            if row.status not in (EventStatus.PARKED.value, EventStatus.PENDING.value):
                raise UsageError(
                    f"inbox event {seq} is {row.status}; only parked or waiting events can be retried"
                )
            conn.execute(
                update(_inbox)
                .where(_inbox.c.seq == seq)
                .values(status=EventStatus.PENDING.value, attempts=0, available_at=now, finished_at=None)
            )
        entry = self.get(seq)
        assert entry is not None
        return entry

    def depth(self) -> int:
        """Events not yet done or parked (waiting, retrying or in flight)."""
        pending = (EventStatus.PENDING.value, EventStatus.PROCESSING.value)
        with self.store.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(_inbox).where(_inbox.c.status.in_(pending))
                ).scalar_one()
            )

    def prune(self, *, before: datetime, batch: int = 1_000) -> int:
        """Delete done events (with their raw bodies) finished before ``before``; returns how many.

        Parked and pending events are kept whatever their age: they still need someone. In
        batches, so a large backlog never holds a long write lock. A CRM redelivering an event
        older than ``[server] keep_events`` is accepted again (the staleness guard keeps it from
        undoing newer record copies).
        """
        removed = 0
        while True:
            with self._add_lock, self.store.begin() as conn:
                old = (
                    select(_inbox.c.seq)
                    .where(_inbox.c.status == EventStatus.DONE.value, _inbox.c.finished_at < before)
                    .limit(batch)
                )
                seqs = [row.seq for row in conn.execute(old)]
                if seqs:
                    conn.execute(delete(_inbox).where(_inbox.c.seq.in_(seqs)))
            removed += len(seqs)
            if len(seqs) < batch:
                return removed

    def counts(self) -> dict[str, int]:
        """Events per status."""
        with self.store.connect() as conn:
            rows = conn.execute(select(_inbox.c.status, func.count()).group_by(_inbox.c.status))
            return {status: int(n) for status, n in rows}


def _row(adapter: str, event: InboundEvent, body: bytes, now: datetime) -> dict[str, Any]:
    return {
        "adapter": adapter,
        "event_id": event.event_id,
        "status": EventStatus.PENDING.value,
        "attempts": 0,
        "received_at": now,
        "available_at": now,
        "event": encode_event(event),
        "body": body.decode("utf-8", errors="replace"),
    }


def insert_ignore(dialect: str) -> Insert:
    """``INSERT ... ON CONFLICT (adapter, event_id) DO NOTHING`` (same syntax on both databases)."""
    insert_ = pg_insert(_inbox) if dialect == "postgresql" else sqlite_insert(_inbox)
    return insert_.on_conflict_do_nothing(index_elements=["adapter", "event_id"])


def _entry(row: Any) -> InboxEntry:
    return InboxEntry(
        seq=row.seq,
        adapter=row.adapter,
        event_id=row.event_id,
        status=EventStatus(row.status),
        attempts=row.attempts,
        received_at=row.received_at,
        available_at=row.available_at,
        claimed_at=row.claimed_at,
        finished_at=row.finished_at,
        error=row.error,
    )


def describe_refs(event: InboundEvent) -> Sequence[str]:
    """The records an event names, for log lines."""
    refs = [str(r.ref) for r in event.records] or [str(r) for r in event.record_refs]
    return refs + [f"{r} (deleted)" for r in event.deleted]
