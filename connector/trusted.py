"""Build frozen domain models from values already checked, without pydantic re-validating them.

The bulk path (a file export's parser, the store's decoder) checks every value itself and then
builds hundreds of thousands of records and activities; validating each again would cost more
than parsing it. Only code that has checked every field's type may use these builders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from connector.domain import Activity, Record, RecordRef

M = TypeVar("M", bound=BaseModel)


def trusted_constructor(model: type[M]) -> Callable[[dict[str, Any]], M]:
    """A builder for ``model`` from a complete dict of trusted field values.

    It does what ``model_construct`` does for a model without aliases, defaults to fill or extra
    fields, at about a quarter of the cost (``load_records`` builds a million of these). If this
    pydantic version lays instances out differently, it falls back to ``model_construct``.

    Every instance shares one fields-set (a 20-item set is ~2 KB; a million of them ~2 GB). That
    is safe because the models are frozen, so pydantic never adds to it in place, and
    ``model_copy`` copies it before updating. It stays a ``set`` (not a frozenset) because
    ``model_copy(update=...)`` calls ``.update`` on the copy.
    """
    shared_fields_set = set(model.model_fields)
    new, setattr_ = object.__new__, object.__setattr__

    def build(values: dict[str, Any]) -> M:
        instance = new(model)
        setattr_(instance, "__dict__", values)
        setattr_(instance, "__pydantic_fields_set__", shared_fields_set)
        setattr_(instance, "__pydantic_extra__", None)
        setattr_(instance, "__pydantic_private__", None)
        return instance

    def construct(values: dict[str, Any]) -> M:
        return model.model_construct(**values)

    sample = {name: None for name in model.model_fields}
    fast, slow = build(dict(sample)), construct(dict(sample))
    same = all(
        getattr(fast, attr, None) == getattr(slow, attr, None)
        for attr in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
    )
    return build if same else construct


new_record = trusted_constructor(Record)
"""A :class:`Record` from a dict holding every field, each of its declared type."""
new_activity = trusted_constructor(Activity)
"""An :class:`Activity` from a dict holding every field, each of its declared type."""
new_ref = trusted_constructor(RecordRef)
"""A :class:`RecordRef` from a dict holding adapter, module and id."""
