"""Undo on Zoho: remove tags crm-referee added (``POST /{module}/actions/remove_tags``, ≤500 ids).

https://www.zoho.com/crm/developer/docs/api/v8/remove-tags.html; owners go back through the usual
change_owner path (an undo reassign is a reassign), and notes are answered by an "undone" note.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

from adapters.zoho.client import API, ZohoClient
from adapters.zoho.wire import Outcome, item_outcomes
from connector.domain import Action, ActionResult, ActionStatus
from connector.errors import CrmApiError, OutcomeUnknownError

REMOVE_TAGS_BATCH = 500


def remove_tags(client: ZohoClient, actions: Sequence[Action], clock: Callable[[], datetime]) -> list[ActionResult]:
    groups: dict[tuple[str, str], list[Action]] = defaultdict(list)
    for action in actions:
        groups[(action.target.module.value, action.tag or "")].append(action)
    results: list[ActionResult] = []
    for (module, tag), group in sorted(groups.items()):
        for start in range(0, len(group), REMOVE_TAGS_BATCH):
            results += _call(client, module, tag, group[start : start + REMOVE_TAGS_BATCH], clock)
    return results


def _call(
    client: ZohoClient, module: str, tag: str, group: Sequence[Action], clock: Callable[[], datetime]
) -> list[ActionResult]:
    ids = list(dict.fromkeys(a.target.id for a in group))
    endpoint = f"POST /{module}/actions/remove_tags"
    try:
        reply = client.call(
            "POST", f"{API}/{module}/actions/remove_tags", endpoint=endpoint,
            json={"tags": [{"name": tag}], "ids": ids}, scope=f"ZohoCRM.modules.{module.lower()}.UPDATE",
        )
    except OutcomeUnknownError as exc:
        return [ActionResult(action=a, status=ActionStatus.UNKNOWN, message=str(exc)) for a in group]
    except CrmApiError as exc:
        return [ActionResult(action=a, status=ActionStatus.FAILED, message=str(exc)) for a in group]
    if reply.answer.outcome is not Outcome.OK and not isinstance(reply.body.get("data"), list):
        message = f"zoho refused {endpoint} ({reply.answer.code}: {reply.answer.message})"
        return [ActionResult(action=a, status=ActionStatus.FAILED, message=message) for a in group]
    by_id = {o.record_id: o for o in item_outcomes(reply.body) if o.record_id is not None}
    out = []
    for action in group:
        outcome = by_id.get(action.target.id)
        if outcome is not None and outcome.ok:
            out.append(ActionResult(action=action, status=ActionStatus.APPLIED, message=f"removed tag {tag}", applied_at=clock()))
        else:
            detail = f"{outcome.code}: {outcome.message}" if outcome else "no status returned for this record"
            out.append(ActionResult(action=action, status=ActionStatus.FAILED, message=f"{endpoint} failed ({detail})"))
    return out
