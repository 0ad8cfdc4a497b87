"""Try every field path of an endpoint against its ``sample`` item when the config loads.

A sample is one item as the CRM sends it. Mapping it with the endpoint's own fields finds the
paths that would fail on real data (a function fed a null, a timestamp in an unknown format)
before the first sync does, and says which key to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import TYPE_CHECKING, Any

from adapters.webhook.mapping import (
    ActivityMapper,
    BadItemError,
    Context,
    DeletedMapper,
    RecordMapper,
    UserMapper,
)
from connector.domain import Module, RecordRef

if TYPE_CHECKING:
    from adapters.webhook.config_read import ReadSection

_SAMPLE = Context(adapter="sample", tz=UTC)
_PARENT = RecordRef(adapter="sample", module=Module.LEADS, id="sample-record")


def check_samples(section: ReadSection) -> None:
    """Raise ``ValueError`` naming the endpoint and field whose path fails on its sample."""
    users = section.users
    if users is not None and users.sample is not None:
        _try("read.users", UserMapper(_SAMPLE, users.fields).read, users.sample)
    for name, endpoint in section.streams("records"):
        if endpoint.sample is not None:
            records = RecordMapper(
                _SAMPLE, endpoint.fields, stream=name, module=endpoint.module, deleted=endpoint.deleted
            )
            _try(f"read.records ({name})", records.read, endpoint.sample)
    for name, endpoint in section.streams("activities"):
        if endpoint.sample is not None:
            acts = ActivityMapper(_SAMPLE, endpoint.fields, kinds=endpoint.kinds, stream=name)
            _try(
                f"read.activities ({name})",
                acts.read,
                endpoint.sample,
                _PARENT if endpoint.for_each else None,
            )
    for name, endpoint in section.streams("deleted"):
        if endpoint.sample is not None:
            gone = DeletedMapper(_SAMPLE, endpoint.fields, stream=name, module=endpoint.module)
            _try(f"read.deleted ({name})", gone.read, endpoint.sample)


def _try(where: str, read: Callable[..., object], *args: Any) -> None:
    try:
        read(*args)
    except BadItemError as exc:
        detail = str(exc).removeprefix("sample: ")
        raise ValueError(f"{where}: the sample fails: {detail}") from None
