"""The CRM's own words about an error, in one short line: its message and the fields it names.

Real CRMs put them in different places: ``{"message", "errors": [{"message", "context":
{"propertyName"}}]}`` (HubSpot), ``[{"message", "errorCode", "fields"}]`` (Salesforce),
``{"success": false, "error", "error_info"}`` (Pipedrive), ``{"messageTranslation": {"label",
"data": {"field", "type"}}}`` with an ``X-Status-Reason`` header (EspoCRM). Pure functions:
the caller blanks secrets and shortens.
"""

from __future__ import annotations

from typing import Any

MESSAGE_KEYS = (
    "message",
    "error_description",
    "error",
    "detail",
    "errors",
    "msg",
    "description",
    "error_info",
    "messageTranslation",
)
_CODE_KEYS = ("errorCode", "code", "type", "label", "category")
_FIELD_KEYS = ("fields", "field", "propertyName", "property")
_MAX_ITEMS = 3
_MESSAGE_ROOM = 120  # so the field names still fit in a 200-character line after a long message


def describe(body: Any) -> str | None:
    """``"message (field OwnerId: INVALID_CROSS_REFERENCE_KEY)"``, or ``None`` when there is nothing."""
    message = find_message(body)
    fields = field_errors(body)
    fields = [f for f in fields if message is None or f not in message]
    if message and fields:
        if len(message) > _MESSAGE_ROOM:
            message = message[: _MESSAGE_ROOM - 1].rstrip() + "…"
        return f"{message} ({'; '.join(fields)})"
    return message or ("; ".join(fields) if fields else None)


def find_message(body: Any) -> str | None:
    """The first message-like text in the body (a bare boolean ``error: true`` is no message)."""
    if isinstance(body, str):
        return body.strip() or None
    if isinstance(body, list):
        return "; ".join(m for m in (find_message(b) for b in body[:_MAX_ITEMS]) if m) or None
    if isinstance(body, dict):
        for key in MESSAGE_KEYS:
            if key in body:
                found = find_message(body[key])
                if found:
                    return found
        if "label" in body:  # EspoCRM's messageTranslation
            return find_message(body["label"])
    return None


def field_errors(body: Any) -> list[str]:
    """``"field OwnerId: INVALID_CROSS_REFERENCE_KEY"`` for each field-level error the body lists."""
    found: list[str] = []
    for item in _error_items(body):
        names, where = _field_names(item)
        code = _code(where) or _code(item)
        if not names:
            continue
        text = f"field {', '.join(names)}" + (f": {code}" if code else "")
        if text not in found:
            found.append(text)
    return found[:_MAX_ITEMS]


def _error_items(body: Any, depth: int = 0) -> list[dict[str, Any]]:
    """Dicts that may describe one error: the body, its ``errors`` list, ``context`` and ``data``."""
    if depth > 3:
        return []
    if isinstance(body, list):
        return [i for b in body[:10] for i in _error_items(b, depth + 1)]
    if not isinstance(body, dict):
        return []
    items = [body]
    for key in ("errors", "messageTranslation", "error"):
        if isinstance(body.get(key), dict | list):
            items.extend(_error_items(body[key], depth + 1))
    return items


def _field_names(item: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Field names on the error itself or in its ``context``/``data`` (HubSpot, EspoCRM), and where."""
    for where in (item, item.get("context"), item.get("data")):
        if isinstance(where, dict):
            for key in _FIELD_KEYS:
                names = _names(where.get(key))
                if names:
                    return names, where
    return [], item


def _code(where: dict[str, Any]) -> str | None:
    return next((str(where[k]) for k in _CODE_KEYS if isinstance(where.get(k), str | int)), None)


def _names(value: Any) -> list[str]:
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value[:_MAX_ITEMS] if isinstance(v, str | int)]
    return []
