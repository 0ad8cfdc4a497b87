"""Render a sync report as the documented JSON object or as tables for a terminal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape

from connector.domain import Action, ActionResult, ActionType, Finding, Record, RecordRef
from connector.sync import SyncReport


def report_to_json(report: SyncReport) -> dict[str, Any]:
    """The ``--format json`` object. Keys documented in README stay; new keys may be added."""
    return {
        "run_id": report.run_id,
        "mode": report.mode,
        "findings": [finding_to_json(f, report.records) for f in report.findings],
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


def print_report(report: SyncReport, console: Console) -> None:
    """Human summary: each finding with its evidence, then each action with its status and reason."""
    console.print(f"[bold]Run {escape(report.run_id)}[/bold] ({report.mode})", highlight=False)
    if not report.findings:
        console.print("No conflicts and no missed SLAs found.")
    for finding in report.findings:
        head = f"[bold]{finding.kind.value.upper()}[/bold] " + escape(f"{finding.rule}: " + ", ".join(
            f"{ref.module}/{ref.id} ({_owner(ref, report.records)})" for ref in finding.records
        ))
        if finding.keeper:
            head += escape(f"; keeper {finding.keeper}")
        console.print(head, highlight=False)
        for line in finding.evidence:
            console.print(f"    - {line}", highlight=False, markup=False)
    if report.results:
        console.print("[bold]Actions[/bold]")
    for result in report.results:
        action = result.action
        console.print(
            f"  {result.status.value:<8} {action.type.value:<8} {action.target.module}/{action.target.id}"
            f"  {_change(action)}",
            highlight=False,
            markup=False,
        )
        console.print(f"           {result.message or action.reason}", highlight=False, markup=False)
    for warning in report.warnings:
        console.print(f"Warning: {warning.adapter}: {warning.message}", highlight=False, markup=False)
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(report.counts.items()) if v)
    console.print(f"Summary: {counts or 'nothing to do'}", highlight=False)
    if report.mode == "dry-run" and report.results:
        console.print("Dry run: nothing was written. Run with --apply (or set apply = true) to write back.")


def _owner(ref: RecordRef, records: Mapping[RecordRef, Record]) -> str:
    record = records.get(ref)
    return (record.owner_id if record else None) or "no owner"


def _change(action: Action) -> str:
    if action.type == ActionType.REASSIGN:
        return f"{action.previous_owner_id} → {action.new_owner_id}"
    if action.type == ActionType.FLAG:
        return f"tag {action.tag}"
    text = " ".join((action.text or "").split())
    return f'"{text[:70]}…"' if len(text) > 70 else f'"{text}"'
