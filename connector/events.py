"""The states of a webhook event in the inbox (kept apart so the CLI can name them cheaply)."""

from __future__ import annotations

from enum import StrEnum


class EventStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    PARKED = "parked"
