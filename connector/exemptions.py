"""Exemptions as people write them: ``[[exempt]]`` in the config, ``referee exempt add`` on the CLI.

A record is named ``adapter/Module/id`` (or ``Module/id`` when one adapter is configured). Both
sources become :class:`rules.exemptions.Exemption` values the pure rules read.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field, model_validator

from connector.config_base import ConfigModel
from connector.domain import Module, RecordRef, stable_hash
from connector.errors import UsageError
from rules.exemptions import Exemption, Kind


class ExemptConfig(ConfigModel):
    """``[[exempt]]``: ``records = ["a/Leads/1", "a/Leads/2"]`` (not the same customer), or
    ``customer = "a/Leads/1"`` with ``reps = ["u-1", "u-2"]`` (they may pursue it together)."""

    records: tuple[str, ...] = ()
    customer: str | None = None
    reps: tuple[str, ...] = ()
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_kind(self) -> ExemptConfig:
        if self.records and (self.customer or self.reps):
            raise ValueError("give either records (not the same customer) or customer + reps (co-pursuit), not both")
        if self.records and len(self.records) != 2:
            raise ValueError('records must name exactly two records, e.g. ["crm/Leads/L-1", "crm/Contacts/C-2"]')
        if not self.records and (not self.customer or len(self.reps) != 2):
            raise ValueError('co-pursuit needs customer = "crm/Leads/L-1" and reps = ["u-1", "u-2"]')
        return self


def parse_ref(text: str, adapters: Sequence[str]) -> RecordRef:
    """``adapter/Module/id`` or, with one adapter configured, ``Module/id``."""
    parts = text.strip().split("/", 2)
    if len(parts) == 2 and len(adapters) == 1:
        parts = [adapters[0], *parts]
    if len(parts) != 3 or not all(parts):
        hint = "adapter/Module/id" + (" (Module/id works when one adapter is configured)" if len(adapters) != 1 else "")
        raise UsageError(f'"{text}" is not a record reference (write {hint}, e.g. crm/Leads/L-1001)')
    adapter, module, record_id = parts
    if adapters and adapter not in adapters:
        raise UsageError(f'"{text}": no adapter named "{adapter}" (configured: {", ".join(adapters)})')
    try:
        return RecordRef(adapter=adapter, module=Module(module), id=record_id)
    except ValueError:
        known = ", ".join(m.value for m in Module)
        raise UsageError(f'"{text}": unknown module "{module}" (use one of {known})') from None


def exemption_id(kind: Kind, records: Sequence[RecordRef], users: Sequence[str]) -> str:
    """The same exemption gets the same id, however often it is added."""
    return "x-" + stable_hash(kind, *sorted(map(str, records)), *sorted(users))[:10]


def make_exemption(kind: Kind, records: Sequence[RecordRef], users: Sequence[str], reason: str) -> Exemption:
    ordered = tuple(sorted(records, key=str)) if kind == "not-same" else tuple(records)
    return Exemption(exemption_id(kind, ordered, users), kind, ordered, tuple(sorted(users)), reason)


def from_config(items: Sequence[ExemptConfig], adapters: Sequence[str]) -> tuple[Exemption, ...]:
    out: list[Exemption] = []
    for item in items:
        if item.records:
            refs = [parse_ref(r, adapters) for r in item.records]
            out.append(make_exemption("not-same", refs, (), item.reason))
        else:
            assert item.customer is not None
            out.append(make_exemption("co-pursue", [parse_ref(item.customer, adapters)], item.reps, item.reason))
    return tuple(out)
