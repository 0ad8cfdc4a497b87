"""Record filters written in config: ``{status = ["New"], country = "CN", status_not = ["Junk"]}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.domain import Record

_RECORD_FIELDS = frozenset(Record.model_fields) - {"extra"}
_EXTRA = "extra."


def check_filter(when: Mapping[str, object]) -> None:
    """Reject keys that name no record field, so a typo cannot silently match nothing."""
    for key in when:
        name = key.removesuffix("_not") if key not in _RECORD_FIELDS else key
        if name not in _RECORD_FIELDS and not (name.startswith(_EXTRA) and len(name) > len(_EXTRA)):
            known = ", ".join(sorted(_RECORD_FIELDS))
            raise ValueError(
                f'"{key}" is not a record field (use one of {known}, "extra.<key>" for a custom '
                'field, or add "_not" to exclude values)'
            )


class FieldMatcher:
    """A compiled ``when`` filter; values compare case-insensitively, every key must hold.

    A key names a record field (``status``, ``country``, ``tags``...) or ``extra.<key>``;
    ``<field>_not`` means "none of these values". On tuple fields (``tags``, ``emails``) any
    element may match.
    """

    def __init__(self, when: Mapping[str, str | tuple[str, ...]]) -> None:
        self.when = dict(when)
        self._tests: list[tuple[str, bool, bool, frozenset[str]]] = []
        for key, expected in sorted(when.items()):
            negate = key.endswith("_not") and key not in _RECORD_FIELDS
            name = (key[:-4] if negate else key).removeprefix(_EXTRA)
            values = (expected,) if isinstance(expected, str) else tuple(expected)
            self._tests.append(
                (name, name in _RECORD_FIELDS, negate, frozenset(v.casefold() for v in values))
            )

    def __call__(self, record: Record) -> bool:
        for name, on_model, negate, values in self._tests:
            actual = getattr(record, name) if on_model else record.extra.get(name)
            if negate == _hit(actual, values):
                return False
        return True


def _hit(actual: Any, values: frozenset[str]) -> bool:
    if actual is None:
        return False
    if isinstance(actual, tuple):
        return any(str(item).casefold() in values for item in actual)
    return str(actual).casefold() in values
