"""Shared base for every config model: frozen, unknown keys rejected, scalars checked strictly.

Pydantic's lax mode reads ``apply = "yes"`` as true, ``timeout = true`` as 1 and accepts ``inf``,
``nan``, ``""`` and astronomically large numbers. A config value is written by a person, so every
model here refuses those: booleans must be ``true``/``false``, numbers must be finite, not booleans
and within ``±MAX_NUMBER``, and text must not be empty (unless the field lists itself in
``empty_ok``) nor hold a NUL byte.
"""

from __future__ import annotations

import math
import types
from pathlib import Path
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, SecretStr, model_validator

MAX_NUMBER = 10**9
"""No count, size or limit in a config is larger; a bigger one is a typo (or an attack)."""


class ConfigModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    empty_ok: ClassVar[frozenset[str]] = frozenset()
    """Text fields of this model where ``""`` is a meaningful value (e.g. a signature prefix)."""

    @model_validator(mode="before")
    @classmethod
    def _strict_scalars(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if key in data:
                problem = _scalar_problem(_scalar_kind(field.annotation), data[key], name in cls.empty_ok)
            elif name in data:
                key, problem = name, _scalar_problem(_scalar_kind(field.annotation), data[name], name in cls.empty_ok)
            else:
                continue
            if problem is not None:
                raise ValueError(f"{key}: {problem}")  # the loader moves ``key`` into the location
        return data


def _scalar_problem(kind: type | None, value: Any, empty_ok: bool) -> str | None:
    if kind is bool:
        return None if isinstance(value, bool) else "must be true or false (without quotes)"
    if kind in (int, float):
        if isinstance(value, bool):
            return "must be a number, not true/false"
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        if isinstance(value, int | float) and abs(value) > MAX_NUMBER:
            return f"is out of range (at most {MAX_NUMBER:,})"
    elif kind is str and isinstance(value, str):
        if "\x00" in value:
            return "must not contain a NUL character"
        if not value.strip() and not empty_ok:
            return "must not be empty (remove the key to use the default)"
    return None


_TEXT = (str, Path, SecretStr)


def _scalar_kind(annotation: Any) -> type | None:
    """``bool``/``int``/``float``/``str`` for ``X`` or ``X | None`` annotations; else ``None``."""
    if annotation in _TEXT:
        return str
    if annotation in (bool, int, float):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1 and args[0] in _TEXT:
            return str
        if len(args) == 1 and args[0] in (bool, int, float):
            return args[0]
        if set(args) == {int, float}:
            return float
    return None


def check_http_url(value: str, key: str, example: str = "https://crm.example.com/api") -> str:
    """An absolute http(s) URL with a host (``"http://"`` or ``"https://:80"`` are not)."""
    hint = f'{key} must be an http:// or https:// URL with a host (e.g. "{example}")'
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number or out of range
    except ValueError:
        raise ValueError(hint) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError(hint)
    return value


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'"{value}" is not an IANA time zone (write e.g. "Asia/Shanghai" or "UTC")') from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
"""An IANA time zone name, checked when the config loads."""
