"""Recognise crm-referee's own notes and tasks when they come back as activities.

An activity is ours when it was made by the configured ``integration_user`` (its owner or its
creator), or when its text carries the note mark and the journal shows we wrote to that record.
Ours never counts as a rep's activity, so it can neither keep an SLA alive nor look like a
second rep pursuing the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from adapters.webhook.mapping import MappedActivity
from connector.domain import NOTE_MARK, Activity, RecordRef

_MARK_WITHIN = 300  # notes may be wrapped in HTML (<p>…), so look for the mark near the start


class Journal(Protocol):
    def applied_targets(self, refs: Sequence[RecordRef]) -> set[RecordRef]: ...


class OwnWrites:
    def __init__(self, integration_user: str | None, journal: Journal | None) -> None:
        self.integration_user = integration_user
        self.journal = journal

    def keep(self, mapped: Sequence[MappedActivity]) -> tuple[list[Activity], int]:
        """The activities that are not ours, and how many were dropped as ours."""
        me = self.integration_user
        candidates = [m for m in mapped if not (me is not None and me in (m.activity.owner_id, m.created_by))]
        marked = {m.activity.record for m in candidates if m.text and NOTE_MARK in m.text[:_MARK_WITHIN]}
        ours: set[RecordRef] = set()
        if marked:
            ours = (
                self.journal.applied_targets(sorted(marked, key=str)) if self.journal is not None else marked
            )
        kept = [
            m.activity
            for m in candidates
            if not (m.activity.record in ours and m.text and NOTE_MARK in m.text[:_MARK_WITHIN])
        ]
        return kept, len(mapped) - len(kept)
