"""Write a generated CRM world as a file-adapter export (users/records/activities JSON Lines).

The world is the identity benchmark's (realistic company variants, second reps, poaching) plus
what the demo's SLA rules read: lead and deal statuses, assignment times and enough activities
(about two per record). Deterministic for a seed, so every run of the pipeline benchmark reads
the same bytes.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from benchmarks.identity.world import NOW, generate
from connector.domain import Activity, Module, Record

LEAD_STATUSES = ("New", "New", "Contacted", "Contacted", "Qualified", "Converted", "Junk")
DEAL_STATUSES = ("Qualification", "Needs Analysis", "Proposal", "Negotiation", "Closed Won")
INSIDE_SALES = [f"u{i:03d}" for i in range(10, 40)]
"""Reps of the team that SLA reassignments go to (the config's ``[teams.inside-sales]``)."""
POOL = "u-pool"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _record_line(record: Record, rng: random.Random) -> dict[str, Any]:
    status = None
    modified = record.created_at + timedelta(days=rng.uniform(0, 3)) if record.created_at else None
    if record.module is Module.LEADS:
        status = rng.choice(LEAD_STATUSES)
    elif record.module is Module.DEALS:
        status = rng.choice(DEAL_STATUSES)
    return {
        "id": record.id, "module": record.module.value, "owner_id": record.owner_id,
        "created_at": _iso(record.created_at), "modified_at": _iso(modified),
        "assigned_at": _iso(record.created_at), "status": status, "company": record.company,
        "first_name": record.first_name, "last_name": record.last_name, "email": list(record.emails),
        "phone": record.phones[0] if record.phones else None, "website": record.website,
        "tax_id": record.tax_id, "country": record.country, "city": record.city,
        "account_id": record.account_id, "tags": [],
    }


def _activity_line(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.id, "record_id": activity.record.id, "module": activity.record.module.value,
        "owner_id": activity.owner_id, "kind": activity.kind.value, "occurred_at": _iso(activity.occurred_at),
        "completed": activity.completed,
    }


def _dumps(line: dict[str, Any]) -> bytes:
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _write(handle: IO[bytes], line: dict[str, Any]) -> None:
    handle.write(_dumps(line))


def write_export(folder: Path, records: int, seed: int = 7) -> tuple[int, int]:
    """Write the three files into ``folder``; return (records, activities) written."""
    folder.mkdir(parents=True, exist_ok=True)
    world = generate(records, seed=seed)
    rng = random.Random(seed + 1)
    with (folder / "users.jsonl").open("wb") as users:
        for user in world.users.values():
            team = "key-accounts" if "key-accounts" in user.teams else (
                "inside-sales" if user.id in INSIDE_SALES else None)
            _write(users, {"id": user.id, "name": user.name, "email": f"{user.id}@bench.example",
                           "active": True, "team": team, "time_zone": "Asia/Shanghai"})
        _write(users, {"id": POOL, "name": "公海 Lead pool", "active": True, "team": None})
    with (folder / "records.jsonl").open("wb") as out:
        for record in world.records:
            _write(out, _record_line(record, rng))
    count = 0
    with (folder / "activities.jsonl").open("wb") as out:
        for activity in world.activities:
            _write(out, _activity_line(activity))
            count += 1
        # Top up to about two activities per record: older calls by the owner, which keep the
        # follow-up clock of most leads running without making new conflicts.
        for record in world.records:
            if count >= 2 * len(world.records):
                break
            if rng.random() < 0.6:
                _write(out, {"id": f"bg{count}", "record_id": record.id, "module": record.module.value,
                             "owner_id": record.owner_id, "kind": "call", "completed": True,
                             "occurred_at": _iso(NOW - timedelta(days=rng.uniform(1, 120)))})
                count += 1
    return len(world.records), count


def change_records(folder: Path, share: float, seed: int, moment: datetime) -> int:
    """Rewrite ``records.jsonl`` with ``share`` of the records modified at ``moment`` (owner swapped
    with another rep's, status unchanged): the input of an incremental plan."""
    rng = random.Random(seed)
    source = folder / "records.jsonl"
    target = folder / "records.jsonl.tmp"
    changed = 0
    with source.open("rb") as lines, target.open("wb") as out:
        for raw in lines:
            if rng.random() < share:
                line = json.loads(raw)
                line["owner_id"] = rng.choice(INSIDE_SALES)
                line["modified_at"] = moment.isoformat()
                line["assigned_at"] = moment.isoformat()
                raw = _dumps(line)
                changed += 1
            out.write(raw)
    target.replace(source)
    return changed
