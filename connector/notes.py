"""The key footer every note crm-referee writes carries, so a note is never written twice.

The journal knows which notes were sent, but a second state store (a typo in ``state``, a lost
file) does not. The footer puts the action's idempotency key in the note itself: before writing
a note, adapters that can list a record's notes cheaply look for it, and an unknown outcome is
settled by finding (or not finding) it.
"""

from __future__ import annotations

from connector.domain import Action, ActionType

FOOTER_PREFIX = "crm-referee ref "


def footer(key: str) -> str:
    return f"[{FOOTER_PREFIX}{key}]"


def with_footer(action: Action) -> Action:
    """The note as it is sent: its text (or reason) plus the key footer, once."""
    if action.type is not ActionType.NOTE:
        return action
    text = action.text or action.reason
    mark = footer(action.idempotency_key)
    if mark in text:
        return action
    return action.model_copy(update={"text": f"{text}\n\n{mark}"})


def carries_key(text: object, key: str) -> bool:
    """True when a note's text (as the CRM returns it) carries ``key``'s footer."""
    return isinstance(text, str) and footer(key) in text
