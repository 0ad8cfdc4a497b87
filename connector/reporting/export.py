"""The per-run CSV admins keep as an audit trail: one row per action, UTF-8 with BOM for Excel.

Columns: record, module, company / name, action, owner before and after (names), tag, note
excerpt, rule, status, reason (why the action was planned), result (what the CRM said), time,
link, idempotency key. Headers follow ``[referee] language``; ids stay as the CRM wrote them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from connector.domain import Record, RecordRef, User
from connector.i18n import Messages
from connector.links import RecordLinks
from connector.reporting.files import write_atomic
from connector.store import JournalEntry

COLUMNS = ("record", "module", "name", "type", "owner_before", "owner_after", "tag", "note", "rule", "status",
           "reason", "message", "time", "link", "key")
NOTE_EXCERPT = 200
BOM = "\ufeff"


def export_rows(
    entries: Iterable[JournalEntry],
    *,
    msg: Messages,
    users: Mapping[str, User],
    records: Mapping[RecordRef, Record],
    links: RecordLinks,
    timezone: str,
) -> Iterable[list[str]]:
    """The header row, then one row per journal entry."""
    zone = ZoneInfo(timezone)

    def person(user_id: str | None) -> str:
        if not user_id:
            return ""
        user = users.get(user_id)
        return f"{user.name} ({user_id})" if user is not None and user.name else user_id

    yield [msg(f"export.{c}") for c in COLUMNS]
    for entry in entries:
        action = entry.action
        target = action.target
        record = records.get(target)
        note = " ".join((action.text or "").split())
        moved = action.new_owner_id is not None
        yield [
            target.id,
            target.module.value,
            record.display_name if record is not None else "",
            msg(f"type.{action.type.value}"),
            person(action.previous_owner_id if moved else (record.owner_id if record else None)),
            person(action.new_owner_id) if moved else "",
            action.tag or "",
            note[:NOTE_EXCERPT] + ("…" if len(note) > NOTE_EXCERPT else ""),
            action.rule,
            entry.status.value,
            action.reason,
            entry.message,
            (entry.applied_at or entry.updated_at).astimezone(zone).isoformat(timespec="seconds"),
            links(target) or "",
            action.idempotency_key,
        ]


def write_csv(rows: Iterable[list[str]], out: Path) -> int:
    """Write ``rows`` atomically with a BOM (Excel then reads UTF-8); returns the number of data rows."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    count = -1
    for row in rows:
        writer.writerow(row)
        count += 1
    write_atomic(out, buffer.getvalue())
    return max(count, 0)
