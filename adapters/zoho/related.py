"""What ``change_owner`` moves along with the record: its Tasks, Events (meetings) and Calls.

Zoho's change-owner page (https://www.zoho.com/crm/developer/docs/api/v8/change-owner.html, and
``related_modules`` in the v8 OAS ``change_owner.json``) takes ``related_modules`` as a list of
``{"api_name", "id"}``; "if you have specified both API name and the ID …, and only one of them
is valid, the system proceeds with the valid one", and "unless specified, the ownership of these
related records will not be transferred". The referee sends the API name only (the same list
serves every record of a 500-id call), so the new owner inherits the follow-up work instead of
the old owner keeping open tasks on a record that is no longer theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

RelatedModule = Literal["Tasks", "Events", "Calls"]
DEFAULT_MOVE_RELATED: tuple[RelatedModule, ...] = ("Tasks", "Events", "Calls")


def related_modules(move_related: Sequence[str]) -> dict[str, Any]:
    """The ``related_modules`` part of a change-owner body; nothing at all when the list is empty."""
    if not move_related:
        return {}
    return {"related_modules": [{"api_name": module} for module in move_related]}

