"""Fill ``{placeholder}`` templates in paths, query parameters and JSON bodies. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from adapters.webhook.config import PLACEHOLDER
from connector.domain import Action

Values = Mapping[str, str | None]


def action_values(action: Action) -> dict[str, str | None]:
    """What a write template may use: ``{id}``, ``{module}``, ``{to}``, ``{from}``, ``{tag}``, ``{text}``."""
    return {
        "id": action.target.id,
        "module": action.target.module.value,
        "to": action.new_owner_id,
        "from": action.previous_owner_id,
        "tag": action.tag,
        "text": action.text,
    }


def fill_path(template: str, values: Values) -> str:
    """Substitute URL-encoded values; a placeholder without a value is a ``ValueError``."""

    def one(match: Any) -> str:
        value = values.get(match.group(1))
        if value is None:
            raise ValueError(
                f"the path {template} needs {{{match.group(1)}}}, which this action does not have"
            )
        return quote(value, safe="")

    return PLACEHOLDER.sub(one, template)


def fill_body(template: Any, values: Values) -> Any:
    """Fill strings recursively; a string that is exactly one placeholder is its value (``None`` → null)."""
    if isinstance(template, dict):
        return {key: fill_body(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill_body(value, values) for value in template]
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole:
            return values.get(whole.group(1))
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or "", template)
    return template


def fill_params(template: Mapping[str, Any], values: Values) -> dict[str, Any]:
    """Fill query parameters; a parameter whose placeholder has no value is left out.

    That is how ``updated_since = "{cursor}"`` disappears on the first (full) read.
    """
    out: dict[str, Any] = {}
    for key, value in template.items():
        if isinstance(value, str):
            names = PLACEHOLDER.findall(value)
            if any(values.get(name) is None for name in names):
                continue
            value = PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or "", value)
        out[key] = value
    return out


def fill_read_body(template: Any, values: Values) -> Any:
    """Like :func:`fill_params`, recursively, for the JSON body of a ``POST`` search endpoint."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if isinstance(value, str) and any(values.get(n) is None for n in PLACEHOLDER.findall(value)):
                continue
            out[key] = fill_read_body(value, values)
        return out
    if isinstance(template, list):
        return [fill_read_body(value, values) for value in template]
    return fill_body(template, values)
