"""Digest words (golden, both languages), filters, quiet hours, scrubbing, and the [notify] config."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.registry import build_adapter
from connector.config import load_config
from connector.i18n import messages
from connector.links import RecordLinks
from connector.notify.config import NotifySection, NotifyTarget, parse_quiet_hours
from connector.notify.digest import Namer, compose, finding_items, for_target, move_items
from connector.notify.outbox import scrub
from tests.rules.test_demo_golden import demo_plan, in_language

ROOT = Path(__file__).resolve().parents[2]
LINKS = RecordLinks({"demo": "https://crm.example.com/{module}/{id}"})

GOLDEN = {
    "en": (
        "crm-referee: 2 new conflict(s), 6 new SLA breach(es), 1 late first contact(s), 5 reassignment(s)",
        [
            "**New conflicts (撞单)**",
            "- [ACME, Inc](https://crm.example.com/Contacts/C-2001): Emily Smith and 王强 Wang Qiang; keeper Emily Smith",
            "- [北京字节跳动科技有限公司](https://crm.example.com/Leads/L-1002): 李娜 Li Na and 王强 Wang Qiang; keeper 李娜 Li Na",
            "",
            "**New SLA breaches**",
            "- [上海云杉数据科技有限公司 (Leads/L-1020)](https://crm.example.com/Leads/L-1020): SLA first-contact-8bh, owner 李娜 Li Na, due Tue 24 Nov 09:30",
            "- [Northwind Traders Ltd (Leads/L-1021)](https://crm.example.com/Leads/L-1021): SLA first-contact-8bh, owner 王强 Wang Qiang, due Wed 25 Nov 10:30",
            "… and 4 more",
            "",
            "**Late first contacts**",
            "- [杭州西溪智能科技有限公司 (Leads/L-1024)](https://crm.example.com/Leads/L-1024): 王强 Wang Qiang answered 1.5 business hours late (first-contact-8bh)",
            "",
            "**Reassignments**",
            "- [上海云杉数据科技有限公司 (Leads/L-1020)](https://crm.example.com/Leads/L-1020): 李娜 Li Na → 王强 Wang Qiang (first-contact-8bh)",
            "- [Northwind Traders Ltd (Leads/L-1021)](https://crm.example.com/Leads/L-1021): 王强 Wang Qiang → Emily Smith (first-contact-8bh)",
            "… and 3 more",
            "",
            "Run 20261127T100000-d04ffb2c4344 (apply).",
        ],
    ),
    "zh-CN": (
        "crm-referee：新撞单 2 个，新 SLA 超时 6 条，首次跟进超时 1 条，重新分配 5 条",
        [
            "**新撞单**",
            "- [ACME, Inc](https://crm.example.com/Contacts/C-2001)：Emily Smith、王强 Wang Qiang；归属 Emily Smith",
            "- [北京字节跳动科技有限公司](https://crm.example.com/Leads/L-1002)：李娜 Li Na、王强 Wang Qiang；归属 李娜 Li Na",
            "",
            "**新的 SLA 超时**",
            "- [线索「上海云杉数据科技有限公司」](https://crm.example.com/Leads/L-1020)：SLA first-contact-8bh，负责人 李娜 Li Na，截止 11月24日（周二）09:30",
            "- [线索「Northwind Traders Ltd」](https://crm.example.com/Leads/L-1021)：SLA first-contact-8bh，负责人 王强 Wang Qiang，截止 11月25日（周三）10:30",
            "……另有 4 条",
            "",
            "**首次跟进超时**",
            "- [线索「杭州西溪智能科技有限公司」](https://crm.example.com/Leads/L-1024)：王强 Wang Qiang 晚了 1.5 个工作小时才首次跟进（first-contact-8bh）",
            "",
            "**重新分配**",
            "- [线索「上海云杉数据科技有限公司」](https://crm.example.com/Leads/L-1020)：李娜 Li Na → 王强 Wang Qiang（first-contact-8bh）",
            "- [线索「Northwind Traders Ltd」](https://crm.example.com/Leads/L-1021)：王强 Wang Qiang → Emily Smith（first-contact-8bh）",
            "……另有 3 条",
            "",
            "运行 20261127T100000-d04ffb2c4344（写回）。",
        ],
    ),
}


@pytest.fixture(scope="module")
def demo() -> tuple:
    config = load_config(ROOT / "examples" / "demo.toml")
    adapter = build_adapter("demo", config.adapter("demo"), store=None, default_tz="Asia/Shanghai")
    records = {r.ref: r for batch in adapter.pull({}) for r in batch.records}
    return config, {u.id: u for u in adapter.pull_users()}, records


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_digest_words(demo: tuple, language: str) -> None:
    config, users, records = demo
    plan = demo_plan(in_language(config, language))
    msg = messages(language)  # type: ignore[arg-type]
    namer = Namer(msg, users, records, LINKS, "Asia/Shanghai")
    footer = msg("digest.footer", run="20261127T100000-d04ffb2c4344", mode=msg("mode.apply"))
    items = finding_items(plan.findings, namer) + move_items(plan.actions, namer)
    message = compose(items, msg, markdown=True, max_items=2, footer=footer)
    assert message is not None
    assert (message.title, message.body.splitlines()) == GOLDEN[language]


def test_nothing_new_is_no_message() -> None:
    assert compose([], messages("en"), markdown=True, max_items=5, footer="") is None


def test_text_format_puts_links_after_the_line(demo: tuple) -> None:
    config, users, records = demo
    namer = Namer(messages("en"), users, records, LINKS, "Asia/Shanghai")
    items = finding_items(demo_plan(config).findings[:1], namer)
    message = compose(items, messages("en"), markdown=False, max_items=5, footer="end")
    assert message is not None
    assert message.body.splitlines()[1].endswith(" <https://crm.example.com/Contacts/C-2001>")
    assert "**" not in message.body


def test_team_filter_needs_a_member_involved(demo: tuple) -> None:
    config, users, records = demo
    namer = Namer(messages("en"), users, records, LINKS, "Asia/Shanghai")
    items = finding_items(demo_plan(config).findings, namer)
    team = NotifyTarget(name="ka", url="json://127.0.0.1:1/x", teams=("key-accounts",))
    kept = for_target(items, team, {"key-accounts": {"u-chen", "u-zhao"}})
    assert {i.kind for i in kept} == {"sla"} and all(i.people & {"u-chen", "u-zhao"} for i in kept)


def test_quiet_hours_wrap_midnight() -> None:
    night = parse_quiet_hours("22:00-08:00")
    assert night.covers(time(23, 0)) and night.covers(time(7, 59)) and not night.covers(time(8, 0))
    lunch = parse_quiet_hours("12:00-13:30")
    assert lunch.covers(time(12, 0)) and not lunch.covers(time(13, 30))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"url": "no-scheme"}, "apprise", id="bad-url"),
        pytest.param({"quiet_hours": "22-08"}, "22:00-08:00", id="bad-quiet-hours"),
        pytest.param({"quiet_hours": "08:00-08:00"}, "same time", id="empty-quiet-hours"),
        pytest.param({"min_severity": "loud"}, "info", id="bad-severity"),
        pytest.param({"kinds": []}, "is empty", id="no-kinds"),
        pytest.param({"name": ""}, "must not be empty", id="no-name"),
    ],
)
def test_bad_targets_are_refused(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        NotifyTarget.model_validate({"name": "chat", "url": "json://127.0.0.1:1/x", **fields})


def test_target_names_are_unique_and_keep_for_is_bounded() -> None:
    target = {"name": "chat", "url": "json://127.0.0.1:1/x"}
    with pytest.raises(ValidationError, match="used twice"):
        NotifySection.model_validate({"targets": [target, target]})
    with pytest.raises(ValidationError, match="between 1h and 30d"):
        NotifySection.model_validate({"keep_for": "90d"})


def test_scrub_removes_keys_tokens_and_passwords() -> None:
    assert "KEY12345678" not in scrub("failed for wecombot://KEY12345678", "wecombot://KEY12345678")
    text = scrub(
        "mailtos://me:hunter2pass@smtp.example.com refused", "mailtos://me:hunter2pass@smtp.example.com"
    )
    assert "hunter2pass" not in text
    assert "tok3n-abcdef" not in scrub("POST /hook/tok3n-abcdef 500", "json://127.0.0.1:9/hook/tok3n-abcdef")
