"""The table output of ``sync``/``plan``: counts first, then what is new, one line each.

A run on a big CRM finds thousands of things, and most of them were already reported by the
previous run. Reprinting them every five minutes buries the new ones (and fills cron mail), so the
table shows counts by rule, action type and status, then only the findings no earlier run had
reported (``--findings all`` shows every one, with its evidence). A run with nothing new and
nothing failed prints a single line when no one is watching (no TTY). JSON keeps everything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from connector.domain import (
    Action,
    ActionResult,
    ActionStatus,
    ActionType,
    Finding,
    Record,
    RecordRef,
    finding_key,
)

if TYPE_CHECKING:
    from rich.console import Console

    from connector.sync import SyncReport


class FindingsShown(StrEnum):
    new = "new"
    all = "all"


DEFAULT_LIMIT = 50
"""Finding lines (and failed/skipped action lines) printed at most, unless ``--limit`` says otherwise."""


@dataclass(frozen=True)
class SummaryOptions:
    findings: FindingsShown = FindingsShown.new
    limit: int = DEFAULT_LIMIT
    terminal: bool = True
    """A person is watching (stderr is a TTY); otherwise a quiet run prints one line."""


def is_new(report: SyncReport, finding: Finding) -> bool:
    return finding_key(finding) in report.new_findings


REPEATING_WARNINGS = frozenset({"rule_cannot_fire"})
"""Warnings every run repeats until the config changes: counted in the quiet line, not a reason to speak."""


def is_quiet(report: SyncReport) -> bool:
    """Nothing a person must look at: no new finding, nothing written or failed, no new kind of warning."""
    written = any(r.status in (ActionStatus.APPLIED, ActionStatus.FAILED) for r in report.results)
    new = any(is_new(report, f) for f in report.findings)
    alarming = any(w.code not in REPEATING_WARNINGS for w in report.warnings)
    return not (written or new or alarming)


def one_line(report: SyncReport) -> str:
    """The whole run in one line (what cron mails, or nothing worth a second line)."""
    new = sum(1 for f in report.findings if is_new(report, f))
    statuses = Counter(r.status.value for r in report.results)
    actions = ", ".join(f"{n:,} {status}" for status, n in sorted(statuses.items())) or "no actions"
    pulled = report.counts.get("records_pulled", 0) + report.counts.get("activities_pulled", 0)
    return (
        f"Run {report.run_id} ({report.mode}): {new:,} new finding(s), {len(report.findings) - new:,} known; "
        f"{actions}; {pulled:,} records and activities pulled; {_calls(report):,} API calls"
        + (f"; {len(report.warnings)} warning(s) (see referee runs)" if report.warnings else "")
    )


def print_summary(report: SyncReport, console: Console, options: SummaryOptions) -> None:
    if not options.terminal and options.findings is FindingsShown.new and is_quiet(report):
        _plain(console, one_line(report))
        return
    _print_counts(report, console)
    shown = [f for f in report.findings if options.findings is FindingsShown.all or is_new(report, f)]
    if shown:
        label = "Findings" if options.findings is FindingsShown.all else "New findings"
        _plain(console, f"{label}:")
        for finding in shown[: options.limit]:
            _plain(console, "  " + finding_line(finding, report.records, report.users, is_new(report, finding)))
            if options.findings is FindingsShown.all:
                for line in finding.evidence:
                    _plain(console, f"      - {line}")
        _more(console, len(shown) - options.limit)
    _print_problem_actions(report, console, options)
    for warning in report.warnings:
        _plain(console, f"Warning: {warning.adapter}: {warning.message}")
    if report.mode == "dry-run" and report.results:
        _plain(console, "Dry run: nothing was written. Run with --apply (or set apply = true) to write back.")


def _print_counts(report: SyncReport, console: Console) -> None:
    counts = report.counts
    _plain(console, f"Run {report.run_id} ({report.mode})")
    _plain(
        console,
        f"Pulled: {counts.get('records_pulled', 0):,} records, {counts.get('activities_pulled', 0):,} activities; "
        f"{_calls(report):,} API calls",
    )
    new = sum(1 for f in report.findings if is_new(report, f))
    if not report.findings:
        _plain(console, "Findings: none (no conflicts and no missed SLAs)")
    else:
        by_rule = Counter(f"{f.kind.value} {f.rule}" for f in report.findings)
        rules = ", ".join(f"{name} {n:,}" for name, n in sorted(by_rule.items()))
        _plain(console, f"Findings: {len(report.findings):,} ({new:,} new, {len(report.findings) - new:,} known): {rules}")
    if report.results:
        by_status = Counter(r.status.value for r in report.results)
        by_type = Counter(r.action.type.value for r in report.results)
        _plain(
            console,
            "Actions: "
            + ", ".join(f"{n:,} {s}" for s, n in sorted(by_status.items()))
            + " ("
            + ", ".join(f"{t} {n:,}" for t, n in sorted(by_type.items()))
            + ")",
        )
    else:
        _plain(console, "Actions: none")


def _print_problem_actions(report: SyncReport, console: Console, options: SummaryOptions) -> None:
    """Failed and skipped actions are listed (they need a person); planned/applied ones are counted."""
    wanted: tuple[ActionStatus, ...] = (ActionStatus.FAILED, ActionStatus.SKIPPED)
    if options.findings is FindingsShown.all:
        wanted += (ActionStatus.PLANNED, ActionStatus.APPLIED)
    listed = [r for r in report.results if r.status in wanted]
    if not listed:
        return
    _plain(console, "Actions:")
    for result in listed[: options.limit]:
        _plain(console, "  " + action_line(result, report.records, report.users))
    _more(console, len(listed) - options.limit)


def finding_line(
    finding: Finding, records: Mapping[RecordRef, Record], users: Mapping[str, str], new: bool = True
) -> str:
    """One finding in one line, in names: the customer, the owners, and the record ids last."""
    refs = ", ".join(f"{r.module}/{r.id}" for r in finding.records)
    subject = _subject(finding.records, records)
    owners = ", ".join(_user(users, o) for o in finding.owners) or "no owner"
    line = f"{finding.kind.value.upper()} {finding.rule}: {subject} — {owners}"
    if finding.keeper:
        line += f"; keeper {_user(users, finding.keeper)}"
    if finding.breached_at is not None:
        line += f"; due {finding.breached_at.strftime('%Y-%m-%d %H:%M %Z')}"
    line += f" [{refs}]"
    return line if new else line + " (known)"


def action_line(result: ActionResult, records: Mapping[RecordRef, Record], users: Mapping[str, str]) -> str:
    action = result.action
    name = _subject((action.target,), records)
    why = " ".join((result.message or action.reason).split())
    return (
        f"{result.status.value} {action.type.value} {name} [{action.target.module}/{action.target.id}]"
        f" {_change(action, users)}: {why}"
    )


def _subject(refs: Sequence[RecordRef], records: Mapping[RecordRef, Record]) -> str:
    names = list(dict.fromkeys(records[r].display_name if r in records else r.id for r in refs))
    if len(names) > 2:
        return f"{names[0]} / {names[1]} (+{len(names) - 2})"
    return " / ".join(names)


def _user(users: Mapping[str, str], user_id: str) -> str:
    return users.get(user_id) or user_id


def _change(action: Action, users: Mapping[str, str]) -> str:
    if action.type == ActionType.REASSIGN:
        old = _user(users, action.previous_owner_id) if action.previous_owner_id else "no owner"
        new = _user(users, action.new_owner_id) if action.new_owner_id else "the public pool"
        return f"{old} → {new}"
    if action.type == ActionType.FLAG:
        return f"tag {action.tag}"
    text = " ".join((action.text or "").split())
    return f'"{text[:60]}…"' if len(text) > 60 else f'"{text}"'


def _calls(report: SyncReport) -> int:
    return sum(sum(endpoints.values()) for endpoints in report.api_calls.values())


def _more(console: Console, hidden: int) -> None:
    if hidden > 0:
        _plain(console, f"  … and {hidden:,} more (--limit N shows more; --format json has everything)")


def _plain(console: Console, text: str) -> None:
    """CRM text is printed literally: no Rich markup, no highlighting."""
    console.print(text, markup=False, highlight=False)
