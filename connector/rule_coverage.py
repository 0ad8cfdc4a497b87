"""Rules that cannot fire on the data the store holds, reported once per run.

A rule on ``Deals`` when the CRM sends no deals, a ``when`` filter on a status nobody uses, or an
identity match on ``tax_id`` when no record has one all evaluate to "nothing found", which reads
like good news. Each becomes a run warning (code ``rule_cannot_fire``) that says what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from connector.config import Config
from connector.domain import Record
from connector.run_warnings import RunWarning
from rules.assign.fields import FieldMatcher
from rules.snapshot import Snapshot

CODE = "rule_cannot_fire"
SOURCE = "rules"

_IDENTITY_FIELDS: dict[str, Callable[[Record], object]] = {
    "email": lambda r: r.emails,
    "phone": lambda r: r.phones,
    "domain": lambda r: r.website or r.emails,
    "tax_id": lambda r: r.tax_id,
    "company": lambda r: r.company,
    "person": lambda r: r.first_name or r.last_name,
    "city": lambda r: r.city,
    "account": lambda r: r.account_id,
}


def idle_rule_warnings(config: Config, snapshot: Snapshot) -> list[RunWarning]:
    """One warning per configured rule that no stored record can trigger."""
    records = snapshot.records
    if not records:
        if config.rules.sla or config.rules.pursuit:
            return [_warn("the state store holds no records, so no rule can find anything "
                          "(check the adapters' streams, or run with --full)")]
        return []
    warnings: list[RunWarning] = []
    modules = {r.module for r in records}
    for rule in config.rules.sla:
        in_module = [r for r in records if r.module == rule.module]
        if not in_module:
            found = ", ".join(sorted(m.value for m in modules))
            warnings.append(_warn(f'SLA rule "{rule.name}" watches {rule.module.value}, but no {rule.module.value} '
                                  f"were pulled (found: {found}); check the rule's module or the adapter's streams"))
            continue
        if rule.when and not any(FieldMatcher(rule.when)(r) for r in in_module):
            warnings.append(_warn(f'SLA rule "{rule.name}": no {rule.module.value} record matches '
                                  f"when = {dict(rule.when)} (check the values against the CRM's)"))
            continue
        if rule.in_status_for is not None and not _has_status(in_module, rule.in_status_for.status):
            statuses = ", ".join(sorted({r.status for r in in_module if r.status})[:8]) or "none"
            warnings.append(_warn(f'SLA rule "{rule.name}": no {rule.module.value} record has status '
                                  f'"{rule.in_status_for.status}" (statuses seen: {statuses})'))
    if config.rules.pursuit and "match" in config.identity.model_fields_set:  # the defaults adapt to any CRM
        warnings.extend(_identity_warnings(config, records))
    return warnings


def _identity_warnings(config: Config, records: Iterable[Record]) -> list[RunWarning]:
    present: set[str] = set()
    for record in records:
        present.update(name for name, get in _IDENTITY_FIELDS.items() if get(record))
        present.update(f"extra.{key}" for key, value in record.extra.items() if value)
    out: list[RunWarning] = []
    for match in config.identity.match:
        missing = [spec.name for spec in match.fields if spec.name not in present]
        if missing:
            out.append(_warn(f'identity match "{match.name}" needs {", ".join(missing)}, which no stored record '
                             "has, so it can never link two records (map the field in the adapter or drop the rule)"))
    return out


def _has_status(records: Iterable[Record], status: str) -> bool:
    wanted = status.casefold()
    return any((r.status or "").casefold() == wanted for r in records)


def _warn(message: str) -> RunWarning:
    return RunWarning(SOURCE, CODE, message)
