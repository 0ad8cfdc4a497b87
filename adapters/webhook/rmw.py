"""Read-modify-write: build a write's body from the record as the CRM has it now. Pure functions.

Many APIs replace a whole list (tag ids, label ids) or a whole record on every write, so the
new value must be the current one plus ours. And a reassign must not overwrite a person who
moved the record since the plan: the owner is compared with the one the plan saw.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from adapters.webhook.config_write import Merge, WriteEndpoint
from adapters.webhook.fieldpath import search
from adapters.webhook.templates import Values, fill_body
from connector.notes import FOOTER_PREFIX


@dataclass(frozen=True)
class Settled:
    """The write need not (or must not) be sent: ``done`` means the CRM already has our change."""

    done: bool
    reason: str


def cut(text: str | None, max_length: int | None) -> tuple[str | None, bool]:
    """``text`` within ``max_length`` characters, the cut marked with "…"; and whether it was cut.

    A trailing key footer (``[crm-referee ref KEY]``) is kept whole after the cut: it is how a
    later run or another store recognises the note, so cutting it off would write it twice.
    """
    if text is None or max_length is None or len(text) <= max_length:
        return text, False
    body, mark = text, ""
    start = text.rfind("[" + FOOTER_PREFIX)
    if start != -1 and text.endswith("]") and len(text) - start + 3 < max_length:
        body, mark = text[:start].rstrip(), "\n\n" + text[start:]
    return body[: max_length - len(mark) - 1].rstrip() + "…" + mark, True


def owner_verdict(
    current: Any, endpoint: WriteEndpoint, expected: str | None, to: str | None
) -> Settled | None:
    """Compare the owner the CRM has now with the plan's: ``None`` when the write may go ahead."""
    if endpoint.expect_owner is None:
        return None
    now = _first(search(endpoint.expect_owner, current))
    if to is not None and now == to:
        return Settled(done=True, reason=f"already owned by {to}; nothing sent")
    if now != expected:
        return Settled(
            done=False,
            reason=f"the owner changed since the plan (expected {expected or 'none'}, the CRM has "
            f"{now or 'none'}); not overwritten",
        )
    return None


def build_body(endpoint: WriteEndpoint, current: Any, values: Values) -> tuple[Any, Settled | None]:
    """The body to send: the template, over the whole current record if asked, with the merge done."""
    body = fill_body(endpoint.body, values) if endpoint.body is not None else None
    if endpoint.whole:
        base = {k: copy.deepcopy(v) for k, v in (current or {}).items() if k not in endpoint.drop}
        body = _deep_merge(base, body or {})
    if endpoint.merge is not None:
        merged, present = merged_list(endpoint.merge, current, values)
        if present:
            return body, Settled(done=True, reason=f"{endpoint.merge.field} already has it; nothing sent")
        body = body if isinstance(body, dict) else {}
        _set(body, endpoint.merge.field, merged)
    if endpoint.numbers and isinstance(body, dict):
        for dotted in endpoint.numbers:
            _numbers_at(body, dotted.split("."))
    return body, None


def _numbers_at(body: Any, parts: list[str]) -> None:
    """Turn the value (or list of values) at ``parts`` into numbers where they read as integers."""
    if not isinstance(body, dict) or parts[0] not in body:
        return
    if len(parts) > 1:
        _numbers_at(body[parts[0]], parts[1:])
        return
    value = body[parts[0]]
    body[parts[0]] = [_number(v) for v in value] if isinstance(value, list) else _number(value)


def _number(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def merged_list(merge: Merge, current: Any, values: Values) -> tuple[Any, bool]:
    """The record's list with our element added, and whether it was there already."""
    element = fill_body(merge.add, values)
    existing = search(merge.current, current)
    if merge.separator is not None:
        items: list[Any] = [p.strip() for p in str(existing or "").split(merge.separator) if p.strip()]
    elif existing is None:
        items = []
    elif isinstance(existing, list):
        items = list(existing)
    else:
        items = [existing]
    wanted = _key(merge, element)
    if any(_key(merge, item) == wanted for item in items):
        return existing, True
    items.append(element)
    return (merge.separator.join(str(i) for i in items) if merge.separator is not None else items), False


def _key(merge: Merge, item: Any) -> str:
    value = search(merge.key, item) if merge.key is not None and isinstance(item, dict) else item
    return str(value)


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("id")
    return None if value is None or value == "" else str(value)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _deep_merge(base[key], value)
        else:
            base[key] = value
    return base


def _set(body: dict[str, Any], dotted: str, value: Any) -> None:
    """``properties.tags`` → ``body["properties"]["tags"] = value`` (making the objects on the way)."""
    *parents, last = dotted.split(".")
    target = body
    for part in parents:
        nxt = target.get(part)
        if not isinstance(nxt, dict):
            nxt = target[part] = {}
        target = nxt
    target[last] = value
