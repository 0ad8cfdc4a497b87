"""Field paths: JMESPath expressions checked when the config loads and evaluated without surprises.

A path that does not exist gives ``None``. A path that *fails* on one item (a function fed a
null, ``length(tags)`` on ``"tags": null``) raises :class:`PathError` naming the expression, so
callers can report that one item instead of crashing the run with a traceback.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from pydantic import AfterValidator


class PathError(ValueError):
    """A field path could not be evaluated on one value."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f'path "{expression}" failed: {reason}')
        self.expression = expression
        self.reason = reason


def _first_line(exc: Exception) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _compiles(value: str) -> str:
    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        raise ValueError(
            f'"{value}" is not a valid field path: {_first_line(exc)} '
            "(write e.g. owner.id, contacts[0].email or 'Leads' for a literal)"
        ) from None
    return value


FieldPath = Annotated[str, AfterValidator(_compiles)]
"""A JMESPath expression evaluated against one JSON item (or a whole response body)."""


@lru_cache(maxsize=4096)
def compiled(expression: str) -> ParsedResult:
    return jmespath.compile(expression)


def evaluate(compiled_path: ParsedResult, expression: str, data: Any) -> Any:
    """The value at a compiled path; :class:`PathError` when a function or operator fails on ``data``."""
    try:
        return compiled_path.search(data)
    except JMESPathError as exc:
        raise PathError(expression, _first_line(exc)) from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError) as exc:
        raise PathError(expression, f"{type(exc).__name__}: {_first_line(exc)}") from None


def search(expression: str | None, data: Any) -> Any:
    """Evaluate one path (``None`` gives ``None``); raises :class:`PathError` like :func:`evaluate`."""
    if expression is None:
        return None
    return evaluate(compiled(expression), expression, data)
