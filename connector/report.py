"""Render a sync report as the documented JSON object (the table is ``connector.cli.summary``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connector.domain import ActionResult, Finding, Record, RecordRef, finding_key
from connector.sync import SyncReport


def report_to_json(report: SyncReport) -> dict[str, Any]:
    """The ``--format json`` object. Keys documented in README stay; new keys may be added."""
    return {
        "run_id": report.run_id,
        "mode": report.mode,
        "findings": [
            {**finding_to_json(f, report.records), "new": finding_key(f) in report.new_findings}
            for f in report.findings
        ],
        "actions": [result_to_json(r) for r in report.results],
        "counts": report.counts,
        "api_calls": report.api_calls,
        "warnings": [w.to_json() for w in report.warnings],
    }


def finding_to_json(finding: Finding, records: Mapping[RecordRef, Record]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": finding.kind.value, "rule": finding.rule}
    if finding.customer is not None:
        out["customer"] = finding.customer
    out["records"] = [_ref_json(ref, records) for ref in finding.records]
    out["owners"] = list(finding.owners)
    if finding.kind == "pursuit" or finding.keeper is not None:
        out["keeper"] = finding.keeper
    for key in ("due_at", "breached_at"):
        value = getattr(finding, key)
        if value is not None:
            out[key] = value.isoformat()
    out["evidence"] = list(finding.evidence)
    if finding.details:
        out["details"] = _jsonable(dict(finding.details))
    return out


def result_to_json(result: ActionResult) -> dict[str, Any]:
    action = result.action
    out: dict[str, Any] = {
        "type": action.type.value,
        "adapter": action.target.adapter,
        "module": action.target.module.value,
        "id": action.target.id,
    }
    if action.new_owner_id is not None:
        out["new_owner_id"] = action.new_owner_id
        out["previous_owner_id"] = action.previous_owner_id
    if action.tag is not None:
        out["tag"] = action.tag
    if action.text is not None:
        out["text"] = action.text
    out.update(reason=action.reason, rule=action.rule, status=result.status.value, key=action.idempotency_key)
    if result.message:
        out["message"] = result.message
    return out


def _ref_json(ref: RecordRef, records: Mapping[RecordRef, Record]) -> dict[str, Any]:
    record = records.get(ref)
    return {
        "adapter": ref.adapter,
        "module": ref.module.value,
        "id": ref.id,
        "owner_id": record.owner_id if record else None,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
