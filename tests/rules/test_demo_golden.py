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
        "no call, meeting or email by the owner 李娜 Li Na (u-li)",
        "31 business hours elapsed",
    ],
    ("first-contact-8bh", ("demo/Leads/L-1021",)): [
        "assigned Tue 24 Nov 10:00 (from assigned_at), due Wed 25 Nov 10:30 (8 business hours, cn-office)",
        "no call, meeting or email by the owner 王强 Wang Qiang (u-wang)",
        "22.5 business hours elapsed",
    ],
    ("first-contact-8bh", ("demo/Leads/L-1022",)): [
        "assigned Wed 25 Nov 09:00 (from assigned_at), due Thu 26 Nov 09:30 (8 business hours, cn-office)",
        "no call, meeting or email by the owner Emily Smith (u-smith)",
        "16 business hours elapsed",
    ],
    ("first-contact-8bh", ("demo/Leads/L-1024",)): [
        "assigned Mon 23 Nov 09:00 (from assigned_at), due Tue 24 Nov 09:30 (8 business hours, cn-office)",
        "first call by the owner 王强 Wang Qiang (u-wang) on Tue 24 Nov 11:00, 1.5 business hours late",
        "the lead is being worked now, so it stays with its owner",
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


GOLDEN_ZH = {
    ("two-reps-one-customer", ("demo/Contacts/C-2001", "demo/Leads/L-1001")): [
        "联系人「ACME, Inc」和线索「Acme Inc.」的邮箱（john.doe@acme.com）相同",
        "Emily Smith 负责线索「Acme Inc.」，最近一次跟进在 2026-11-24",
        "王强 Wang Qiang 负责联系人「ACME, Inc」，最近一次跟进在 2026-11-17",
        "归属 Emily Smith（先到先得：Emily Smith 最早接触，在 2026-10-28（其后：王强 Wang Qiang 在 2026-11-09））",
    ],
    ("two-reps-one-customer", ("demo/Leads/L-1002", "demo/Leads/L-1003")): [
        "线索「北京字节跳动科技有限公司」和线索「字节跳动科技」的电话（+8613800138000）相同",
        "李娜 Li Na 负责线索「北京字节跳动科技有限公司」，最近一次跟进在 2026-11-25",
        "王强 Wang Qiang 负责线索「字节跳动科技」，最近一次跟进在 2026-11-24",
        "归属 李娜 Li Na（先到先得：李娜 Li Na 最早接触，在 2026-11-03（其后：王强 Wang Qiang 在 2026-11-16））",
    ],
    ("first-contact-8bh", ("demo/Leads/L-1020",)): [
        "分配于 11月20日（周五）19:30（依据分配时间），应于 11月24日（周二）09:30 前完成（8 个工作小时，cn-office）",
        "负责人 李娜 Li Na 没有电话、会面或邮件",
        "已过 31 个工作小时",
    ],
    ("first-contact-8bh", ("demo/Leads/L-1021",)): [
        "分配于 11月24日（周二）10:00（依据分配时间），应于 11月25日（周三）10:30 前完成（8 个工作小时，cn-office）",
        "负责人 王强 Wang Qiang 没有电话、会面或邮件",
        "已过 22.5 个工作小时",
    ],
    ("first-contact-8bh", ("demo/Leads/L-1022",)): [
        "分配于 11月25日（周三）09:00（依据分配时间），应于 11月26日（周四）09:30 前完成（8 个工作小时，cn-office）",
        "负责人 Emily Smith 没有电话、会面或邮件",
        "已过 16 个工作小时",
    ],
    ("first-contact-8bh", ("demo/Leads/L-1024",)): [
        "分配于 11月23日（周一）09:00（依据分配时间），应于 11月24日（周二）09:30 前完成（8 个工作小时，cn-office）",
        "首次跟进超时：负责人 王强 Wang Qiang 的第一次电话在 11月24日（周二）11:00，晚了 1.5 个工作小时",
        "线索已在跟进，仍归原负责人",
    ],
    ("follow-up-7d", ("demo/Leads/L-1013",)): [
        "分配于 10月15日（周四）10:00 CST（依据分配时间）",
        "负责人最近一次邮件在 10月30日（周五）17:00 CST，应于 11月6日（周五）17:00 CST 前完成（7天，自然时间）",
        "此后负责人没有电话、会面、任务或邮件",
        "已过 27天17小时",
    ],
    ("follow-up-7d", ("demo/Leads/L-1023",)): [
        "分配于 11月2日（周一）10:00 CST（依据分配时间）",
        "负责人最近一次电话在 11月13日（周五）16:00 CST，应于 11月20日（周五）16:00 CST 前完成（7天，自然时间）",
        "此后负责人没有电话、会面、任务或邮件",
        "已过 13天18小时",
    ],
    ("stuck-in-qualification", ("demo/Deals/D-4001",)): [
        "自 10月29日（周四）14:00 CST（依据状态变更时间）起处于「Qualification」状态，"
        "应于 11月12日（周四）14:00 CST 前完成（14天，自然时间）",
        "已过 28天20小时",
    ],
}


def in_language(config: Config, language: str) -> Config:
    return config.model_copy(update={"referee": config.referee.model_copy(update={"language": language})})


@pytest.mark.parametrize(("language", "golden"), [("en", GOLDEN), ("zh-CN", GOLDEN_ZH)])
def test_demo_findings_and_their_words(demo_config: Config, language: str, golden: dict) -> None:
    plan = demo_plan(in_language(demo_config, language))
    found = {(f.rule, tuple(str(r) for r in f.records)): list(f.evidence) for f in plan.findings}
    assert found == golden


def test_the_same_decisions_in_both_languages(demo_config: Config) -> None:
    """Language changes words only: the same findings, actions and idempotency keys."""
    en, zh = demo_plan(demo_config), demo_plan(in_language(demo_config, "zh-CN"))
    assert [a.idempotency_key for a in en.actions] == [a.idempotency_key for a in zh.actions]
    assert [f.fingerprint for f in en.findings] == [f.fingerprint for f in zh.findings]


GOLDEN_NOTES = {
    "en": [
        'crm-referee: SLA "first-contact-8bh" (first activity within 8 business hours): assigned Fri 20 Nov 19:30 '
        "(from assigned_at), due Tue 24 Nov 09:30 (8 business hours, cn-office); no call, meeting or email by the "
        "owner 李娜 Li Na (u-li). Reassigned from 李娜 Li Na (u-li) to 王强 Wang Qiang (u-wang): assigned to "
        "王强 Wang Qiang (u-wang) by round robin in team inside-sales.",
        "This record (Leads/L-1001) is flagged; Emily Smith (u-smith) keeps the customer.",
    ],
    "zh-CN": [
        "crm-referee: SLA「first-contact-8bh」（首次跟进时限 8 个工作小时）：分配于 11月20日（周五）19:30（依据分配时间），"
        "应于 11月24日（周二）09:30 前完成（8 个工作小时，cn-office）；负责人 李娜 Li Na 没有电话、会面或邮件。"
        "由 李娜 Li Na 转给 王强 Wang Qiang：按团队 inside-sales 轮流分配给 王强 Wang Qiang。",
        "本记录（线索「Acme Inc.」）已标记；客户归 Emily Smith。",
    ],
}


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_notes_written_into_the_crm_name_people(demo_config: Config, language: str) -> None:
    plan = demo_plan(in_language(demo_config, language))
    sla_note = next(a.text for a in plan.actions if a.type == "note" and a.target.id == "L-1020")
    pursuit_note = next(a.text for a in plan.actions if a.type == "note" and a.target.id == "L-1001")
    assert sla_note == GOLDEN_NOTES[language][0]
    assert (pursuit_note or "").splitlines()[-1] == GOLDEN_NOTES[language][1]


def test_the_late_first_contact_is_reported_never_moved(demo_config: Config) -> None:
    plan = demo_plan(demo_config)
    [late] = [f for f in plan.findings if f.details.get("outcome") == "met-late"]
    assert late.records[0].id == "L-1024" and late.details["business_time_late"] == "1h30m"
    assert not [a for a in plan.actions if a.target.id == "L-1024"]


def test_key_accounts_co_pursuit_is_reported_once_sharing_is_not_allowed(demo_config: Config) -> None:
    rule = demo_config.rules.pursuit[0].model_copy(update={"allow_shared": ()})
    config = demo_config.model_copy(update={"rules": demo_config.rules.model_copy(update={"pursuit": (rule,)})})
    tencent = [f for f in demo_plan(config).findings if "demo/Leads/L-1004" in map(str, f.records)]
    [finding] = tencent
    assert set(finding.owners) == {"u-chen", "u-zhao"} and finding.keeper == "u-chen"
    assert any("tencent.com" in line for line in finding.evidence)
