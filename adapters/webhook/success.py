"""Honest success: whether a write's answer says the CRM really did it. Pure function.

A 2xx is not enough: CRMs answer ``200 {"error": true}``, ``{"success": false}`` or a bulk
answer whose items failed. ``success`` is a path on the answer's JSON (an empty answer is
``null``) that must be true; otherwise the write failed with the CRM's own message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.webhook.crm_errors import describe
from adapters.webhook.fieldpath import PathError, search
from connector.domain import ActionStatus

CHANGED_MEANWHILE = frozenset({409, 412})


@dataclass(frozen=True)
class Verdict:
    status: ActionStatus
    detail: str = ""


def judge(
    status: int,
    body: Any,
    *,
    crm: str,
    label: str,
    success: str | None,
    message: str | None,
    error_text: Callable[[], str],
    shorten: Callable[[str], str],
) -> Verdict:
    """Applied, skipped (409/412: changed meanwhile) or failed, with the CRM's words.

    ``error_text`` gives the CRM's message for a non-2xx answer; ``shorten`` blanks secrets and
    cuts the CRM's words to one short line.
    """
    if not 200 <= status < 300:
        detail = error_text()
        if status in CHANGED_MEANWHILE:
            return Verdict(ActionStatus.SKIPPED, f"changed meanwhile in {crm} (HTTP {status}): {detail}")
        return Verdict(ActionStatus.FAILED, f"{label} answered HTTP {status}: {detail}")
    if success is None:
        return Verdict(ActionStatus.APPLIED)
    try:
        ok = search(success, body)
    except PathError as exc:
        return Verdict(ActionStatus.FAILED, shorten(f"{label} answered {status}, but success {exc}"))
    if _truthy(ok):
        return Verdict(ActionStatus.APPLIED)
    words = shorten(_words(body, message))  # the CRM's words are shortened, ours are not
    return Verdict(
        ActionStatus.FAILED,
        f"{label} answered {status} but did not do it (success = {success} is not true): {words}",
    )


def _truthy(value: Any) -> bool:
    """JMESPath truth: false, null, "", [] and {} are false (and so are 0 and "false" here)."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0", "no")
    return bool(value)


def _words(body: Any, message: str | None) -> str:
    if message is not None:
        try:
            found = search(message, body)
        except PathError:
            found = None
        if found not in (None, "", [], {}):
            return found if isinstance(found, str) else str(found)
    return describe(body) or "no message"
