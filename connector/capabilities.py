"""Which actions an adapter can write, and in words why not, for plans and applies alike.

A dry run must already show what an apply would skip (a CSV export, a CRM without a ``write.flag``
endpoint), with the same reason; adapters may say it in their own words through an optional
``why_unsupported(action_type)`` method.
"""

from __future__ import annotations

from connector.domain import Action, ActionResult, ActionStatus
from connector.protocol import CrmAdapter


def unsupported_reason(name: str, adapter: CrmAdapter | None, action: Action) -> str | None:
    """Why ``adapter`` cannot carry out ``action``, or ``None`` when it can."""
    if adapter is not None and action.type in adapter.supported_actions():
        return None
    explain = getattr(adapter, "why_unsupported", None)
    if callable(explain):
        return str(explain(action.type.value))
    return f'adapter "{name}" cannot {action.type} records (no write endpoint configured)'


def planned_result(name: str, adapter: CrmAdapter | None, action: Action) -> ActionResult:
    """A dry run's verdict on ``action``: planned, or skipped with the reason an apply would give."""
    why = unsupported_reason(name, adapter, action)
    if why is None:
        return ActionResult(action=action, status=ActionStatus.PLANNED)
    return ActionResult(action=action, status=ActionStatus.SKIPPED, message=why)
