"""A run's news as digest items, and the message one target receives (in ``[referee] language``).

Items: new conflicts (撞单), new missed SLAs, late first contacts, and reassignments (applied,
or planned in a dry run). Each names people and companies, links the record when its adapter has
a ``record_url``, and carries a severity and the reps involved, for the per-target filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from connector.domain import Action, ActionType, Finding, FindingKind, Record, RecordRef, User
from connector.i18n import Messages
from connector.links import RecordLinks
from connector.notify.config import SEVERITY_RANK, NotifyTarget
from rules.calendar.clock import WALL_CLOCK
from rules.sla.late import MET_LATE

SECTIONS = ("pursuit", "sla", "late", "reassign")
_SECTION_KEYS = {"pursuit": "digest.conflicts", "sla": "digest.breaches", "late": "digest.late", "reassign": "digest.moves"}
_SUMMARY_KEYS = {
    "pursuit": "digest.summary.conflicts", "sla": "digest.summary.breaches", "late": "digest.summary.late",
    "reassign": "digest.summary.moves",
}


@dataclass(frozen=True)
class Item:
    kind: str  # "pursuit" | "sla" | "late" | "reassign"
    severity: str  # "info" | "warning" | "critical"
    people: frozenset[str]  # user ids involved (for team filters)
    text: str  # the line, without its link
    link: str | None = None
    label: str = ""  # the link's text


@dataclass(frozen=True)
class Message:
    title: str
    body: str


class Namer:
    """People and records in words: names, not ids."""

    def __init__(self, msg: Messages, users: Mapping[str, User], records: Mapping[RecordRef, Record],
                 links: RecordLinks, timezone: str) -> None:
        self.msg, self.users, self.records, self.links = msg, users, records, links
        self.zone = ZoneInfo(timezone)

    def person(self, user_id: str | None) -> str:
        if not user_id:
            return "–"
        user = self.users.get(user_id)
        return user.name if user is not None and user.name else user_id

    def record(self, ref: RecordRef) -> str:
        found = self.records.get(ref)
        return self.msg.titled(ref.module, ref.id, found.display_name if found is not None else ref.id)


def finding_items(findings: Iterable[Finding], namer: Namer) -> list[Item]:
    """Items for findings (the caller passes the new ones)."""
    msg, items = namer.msg, []
    for finding in findings:
        ref = finding.records[0] if finding.records else None
        link = namer.links(ref) if ref is not None else None
        label = namer.record(ref) if ref is not None else ""
        people = frozenset(finding.owners)
        if finding.kind == FindingKind.PURSUIT:
            customer = str(finding.details.get("customer_name") or finding.customer or label)
            keeper = namer.person(finding.keeper) if finding.keeper else msg("report.no_keeper")
            names = [namer.person(o) for o in finding.owners]
            reps = "、".join(names) if msg.zh else msg.join(names)
            text = msg("digest.conflict", customer=customer, reps=reps, keeper=keeper)
            items.append(Item("pursuit", "warning", people, text, link, customer))
        elif finding.details.get("outcome") == MET_LATE:
            delay = timedelta(seconds=int(finding.details.get("business_seconds_late", 0)))
            wall = finding.details.get("calendar") == WALL_CLOCK
            late = msg.duration(delay) if wall else msg.business_hours(delay)
            text = msg("digest.late_item", record=label, owner=namer.person(_first(finding.owners)), late=late,
                       rule=finding.rule)
            items.append(Item("late", "info", people, text, link, label))
        else:
            due = msg.when(finding.due_at, namer.zone) if finding.due_at else "–"
            text = msg("digest.breach", record=label, rule=finding.rule, owner=namer.person(_first(finding.owners)),
                       due=due)
            severity = "warning" if finding.breached_at is not None else "info"
            items.append(Item("sla", severity, people, text, link, label))
    return items


def move_items(actions: Iterable[Action], namer: Namer) -> list[Item]:
    """Items for reassignments (the caller passes the applied ones, or the planned ones of a dry run)."""
    items = []
    for action in actions:
        if action.type != ActionType.REASSIGN:
            continue
        label = namer.record(action.target)
        text = namer.msg("digest.move", record=label, old=namer.person(action.previous_owner_id),
                         new=namer.person(action.new_owner_id), rule=action.rule)
        people = frozenset(p for p in (action.previous_owner_id, action.new_owner_id) if p)
        items.append(Item("reassign", "critical", people, text, namer.links(action.target), label))
    return items


def for_target(items: Sequence[Item], target: NotifyTarget, teams: Mapping[str, set[str]]) -> list[Item]:
    """The items ``target`` wants: its kinds, at least its severity, involving its teams."""
    floor = SEVERITY_RANK[target.min_severity]
    members: set[str] = set().union(*(teams.get(t, set()) for t in target.teams)) if target.teams else set()
    return [
        item for item in items
        if item.kind in target.kinds and SEVERITY_RANK[item.severity] >= floor
        and (not target.teams or item.people & members)
    ]


def compose(
    items: Sequence[Item],
    msg: Messages,
    *,
    markdown: bool,
    max_items: int,
    footer: str,
    planned: bool = False,
    report_url: str | None = None,
    title: Callable[[str], str] | None = None,
) -> Message | None:
    """One digest: a title that counts, a section per kind, a footer; ``None`` when there is nothing."""
    if not items:
        return None
    by_kind = {kind: [i for i in items if i.kind == kind] for kind in SECTIONS}
    summary = msg("digest.summary_sep").join(
        msg(_SUMMARY_KEYS[kind], count=len(found)) for kind, found in by_kind.items() if found
    )
    lines: list[str] = []
    for kind, found in by_kind.items():
        if not found:
            continue
        heading = msg("digest.moves_planned") if kind == "reassign" and planned else msg(_SECTION_KEYS[kind])
        lines.append(f"**{heading}**" if markdown else heading)
        lines.extend(_line(item, markdown) for item in found[:max_items])
        if len(found) > max_items:
            lines.append(msg("digest.more", count=len(found) - max_items))
        lines.append("")
    lines.append(footer)
    if report_url:
        lines.append(msg("digest.report", url=report_url))
    head = title(summary) if title is not None else msg("digest.title", summary=summary)
    return Message(title=head, body="\n".join(lines))


def _line(item: Item, markdown: bool) -> str:
    """The item as a list line; in Markdown its record (or customer) name is the link."""
    if item.link is None:
        return f"- {item.text}"
    if markdown and item.label and item.label in item.text:
        return "- " + item.text.replace(item.label, f"[{_md(item.label)}]({item.link})", 1)
    return f"- {item.text} <{item.link}>"


def _md(text: str) -> str:
    """Link text cannot close the link early."""
    return text.replace("[", "(").replace("]", ")")


def _first(values: Sequence[str]) -> str | None:
    return values[0] if values else None
