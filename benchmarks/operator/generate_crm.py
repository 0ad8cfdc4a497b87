"""A generated file-adapter CRM of N leads, for output-size measurements and the 50k CLI test.

    python -m benchmarks.operator.generate_crm --records 50000 --out /tmp/crm50k

writes ``users.jsonl``, ``records.jsonl``, ``activities.jsonl`` and ``referee.toml`` (one pursuit
and one first-contact SLA rule) into ``--out``. Deterministic: lead ``j`` belongs to rep
``j % 200``; every 25th lead repeats the previous lead's e-mail under another rep (a duplicate
pursuit, both worked), and leads with ``j % 3 == 0`` never got a call (a missed first contact).
Judge it at :data:`NOW`.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = "2026-11-27T10:00:00+00:00"
_NOW = datetime.fromisoformat(NOW)
REPS = 200

CONFIG = """\
[referee]
state = "sqlite:///referee.db"
timezone = "UTC"

[adapters.crm]
kind = "file"
path = "."

[[rules.pursuit]]
name = "two-reps"
active_within = "30d"

[[rules.sla]]
name = "first-contact-24h"
module = "Leads"
first_activity_within = "24h"
on_breach = "flag"
"""


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def generate(records: int, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "users.jsonl").open("w", encoding="utf-8") as f:
        for u in range(REPS):
            f.write(json.dumps({"id": f"u{u}", "name": f"Rep {u:03d}", "team": "sales"}) + "\n")
    with (out / "records.jsonl").open("w", encoding="utf-8") as recs, \
            (out / "activities.jsonl").open("w", encoding="utf-8") as acts:
        for j in range(records):
            owner = f"u{j % REPS}"
            created = _NOW - timedelta(hours=30 + (j % 500))
            k = j - 1 if j % 25 == 0 and j else j  # the duplicate shares its predecessor's e-mail
            email = f"buyer{k}@company{k}.example"
            recs.write(json.dumps({
                "id": f"L-{j:07d}", "module": "Leads", "owner_id": owner, "status": "New",
                "company": f"Company {j} Ltd", "first_name": "Buyer", "last_name": f"No{j}",
                "email": email, "created_at": _iso(created), "modified_at": _iso(created),
                "assigned_at": _iso(created),
            }) + "\n")
            if j % 3 != 0 or (j % 25 in (0, 24)):
                acts.write(json.dumps({
                    "id": f"A-{j:07d}", "record_id": f"L-{j:07d}", "module": "Leads", "owner_id": owner,
                    "kind": "call", "occurred_at": _iso(created + timedelta(hours=2)),
                }) + "\n")
    (out / "referee.toml").write_text(CONFIG, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    generate(args.records, args.out)
    print(f"wrote {args.records:,} leads to {args.out} (judge with --now {NOW})")


if __name__ == "__main__":
    main()
