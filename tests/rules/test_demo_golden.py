"""Golden explanations on the bundled demo CRM: the words an admin reads must not drift silently."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from adapters.registry import build_adapter
from connector.config import Config, load_config
from rules.engine import evaluate
from rules.snapshot import Plan, Snapshot

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-11-27T10:00:00+08:00")


def demo_plan(config: Config) -> Plan:
    adapter = build_adapter("demo", config.adapter("demo"), store=None, default_tz=config.referee.timezone)
    records, activities = [], []
    for batch in adapter.pull({}):
        records.extend(batch.records)
        activities.extend(batch.activities)
    users = {u.id: u for u in adapter.pull_users()}
    return evaluate(Snapshot(users=users, records=records, activities=activities), config.ruleset(), NOW)


@pytest.fixture(scope="module")
def demo_config() -> Config:
    return load_config(ROOT / "examples" / "demo.toml")


GOLDEN = {
    ("two-reps-one-customer", ("demo/Contacts/C-2001", "demo/Leads/L-1001")): [
        "same email john.doe@acme.com on Contacts/C-2001 and Leads/L-1001",
        "Emily Smith (u-smith) owns Leads/L-1001 and last acted on it 2026-11-24",
        "王强 Wang Qiang (u-wang) owns Contacts/C-2001 and last acted on it 2026-11-17",
        "keeper u-smith (first-touch: Emily Smith (u-smith) touched it first, on 2026-10-28 "
        "(then 王强 Wang Qiang (u-wang) on 2026-11-09))",
    ],
    ("two-reps-one-customer", ("demo/Leads/L-1002", "demo/Leads/L-1003")): [
        "same phone +8613800138000 on Leads/L-1002 and Leads/L-1003",
        "李娜 Li Na (u-li) owns Leads/L-1002 and last acted on it 2026-11-25",
        "王强 Wang Qiang (u-wang) owns Leads/L-1003 and last acted on it 2026-11-24",
        "keeper u-li (first-touch: 李娜 Li Na (u-li) touched it first, on 2026-11-03 "
        "(then 王强 Wang Qiang (u-wang) on 2026-11-16))",
    ],
    ("first-contact-8bh", ("demo/Leads/L-1020",)): [
        "assigned Fri 20 Nov 19:30 (from assigned_at), due Tue 24 Nov 09:30 (8 business hours, cn-office)",
        "no call, meeting or email by the owner u-li",
        "31 business hours elapsed",
    ],
    ("first-contact-8bh", ("demo/Leads/L-1021",)): [
        "assigned Tue 24 Nov 10:00 (from assigned_at), due Wed 25 Nov 10:30 (8 business hours, cn-office)",
        "no call, meeting or email by the owner u-wang",
        "22.5 business hours elapsed",
    ],
    ("first-contact-8bh", ("demo/Leads/L-1022",)): [
        "assigned Wed 25 Nov 09:00 (from assigned_at), due Thu 26 Nov 09:30 (8 business hours, cn-office)",
        "no call, meeting or email by the owner u-smith",
        "16 business hours elapsed",
    ],
    ("follow-up-7d", ("demo/Leads/L-1013",)): [
        "assigned Thu 15 Oct 10:00 CST (from assigned_at)",
        "last email by the owner Fri 30 Oct 17:00 CST, due Fri 06 Nov 17:00 CST (7d, wall-clock)",
        "no call, meeting, task or email by the owner since",
        "27d17h elapsed",
    ],
    ("follow-up-7d", ("demo/Leads/L-1023",)): [
        "assigned Mon 02 Nov 10:00 CST (from assigned_at)",
        "last call by the owner Fri 13 Nov 16:00 CST, due Fri 20 Nov 16:00 CST (7d, wall-clock)",
        "no call, meeting, task or email by the owner since",
        "13d18h elapsed",
    ],
    ("stuck-in-qualification", ("demo/Deals/D-4001",)): [
        "in status Qualification since Thu 29 Oct 14:00 CST (from status_changed_at), "
        "due Thu 12 Nov 14:00 CST (14d, wall-clock)",
        "28d20h elapsed",
    ],
}


def test_demo_findings_and_their_words(demo_config: Config) -> None:
    plan = demo_plan(demo_config)
    found = {(f.rule, tuple(str(r) for r in f.records)): list(f.evidence) for f in plan.findings}
    assert found == GOLDEN


def test_key_accounts_co_pursuit_is_reported_once_sharing_is_not_allowed(demo_config: Config) -> None:
    rule = demo_config.rules.pursuit[0].model_copy(update={"allow_shared": ()})
    config = demo_config.model_copy(update={"rules": demo_config.rules.model_copy(update={"pursuit": (rule,)})})
    tencent = [f for f in demo_plan(config).findings if "demo/Leads/L-1004" in map(str, f.records)]
    [finding] = tencent
    assert set(finding.owners) == {"u-chen", "u-zhao"} and finding.keeper == "u-chen"
    assert any("tencent.com" in line for line in finding.evidence)
