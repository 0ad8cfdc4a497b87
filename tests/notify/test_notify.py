"""Digests through apprise, tested against a local HTTP receiver and a local SMTP server."""

from __future__ import annotations

import email
import email.policy
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from connector.cli.common import build_adapters
from connector.config import Config, load_config
from connector.notify.hooks import notify_after_sync
from connector.notify.outbox import NAMESPACE, counters
from connector.store import Store
from connector.sync import SyncOptions, SyncReport, run_sync
from tests.cli.conftest import DEMO_NOW, run_referee
from tests.notify.receivers import HttpReceiver, SmtpReceiver, http_receiver, smtp_receiver

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat(DEMO_NOW)


def demo_with(tmp_path: Path, notify: str, *, language: str = "en") -> Path:
    shutil.copytree(ROOT / "examples" / "demo-crm", tmp_path / "demo-crm")
    text = (ROOT / "examples" / "demo.toml").read_text(encoding="utf-8")
    text = text.replace('timezone = "Asia/Shanghai"\n', f'timezone = "Asia/Shanghai"\nlanguage = "{language}"\n', 1)
    path = tmp_path / "demo.toml"
    path.write_text(text + "\n" + notify, encoding="utf-8")
    return path


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with smtp_receiver() as receiver:
        yield receiver


def target(name: str, url_var: str, **extra: str) -> str:
    lines = [f'[[notify.targets]]\nname = "{name}"\nurl = "${{{url_var}}}"']
    lines += [f"{key} = {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def sync_in_process(config: Config, store: Store, now: datetime) -> SyncReport:
    report = run_sync(config, store, build_adapters(config, store, now=now), SyncOptions(now=now))
    notify_after_sync(config, store, report, now=now)
    return report


@pytest.mark.e2e
def test_sync_sends_one_digest_to_chat_and_one_mail(tmp_path: Path, http: HttpReceiver, smtp: SmtpReceiver) -> None:
    config = demo_with(tmp_path, target("chat", "CHAT_URL") + target("mail", "MAIL_URL", format='"text"'))
    env = {"CHAT_URL": http.url("/bot/secret-token-123"), "MAIL_URL": smtp.url()}
    result = run_referee("sync", "-c", str(config), "--now", DEMO_NOW, env=env)
    assert result.returncode == 0, result.stderr
    [chat] = http.messages
    assert chat["title"] == (
        "crm-referee: 2 new conflict(s), 6 new SLA breach(es), 1 late first contact(s), 5 reassignment(s)"
    )
    body = chat["message"]
    assert "**New conflicts (撞单)**" in body
    link = "[ACME, Inc](https://crm.example.com/Contacts/C-2001)"
    assert f"- {link}: Emily Smith and 王强 Wang Qiang; keeper Emily Smith" in body
    assert "杭州西溪智能科技有限公司" in body and "王强 Wang Qiang answered 1.5 business hours late" in body
    assert "Reassignments planned (dry run: nothing was written)" in body
    assert "u-wang" not in body  # names, not ids
    [mail] = smtp.mails
    parsed = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert parsed["Subject"].startswith("crm-referee: 2 new conflict(s)")
    assert mail.rcpt_tos == ["boss@example.com"]
    assert "北京字节跳动科技有限公司" in parsed.get_body(("plain",)).get_content()
    again = run_referee("sync", "-c", str(config), "--now", "2026-11-27T11:00:00+08:00", env=env)
    assert again.returncode == 0, again.stderr
    assert len(http.messages) == 1 and len(smtp.mails) == 1  # nothing new: nothing sent


@pytest.mark.e2e
def test_digest_in_chinese(tmp_path: Path, http: HttpReceiver) -> None:
    config = demo_with(tmp_path, target("wecom", "CHAT_URL"), language="zh-CN")
    result = run_referee("sync", "-c", str(config), "--now", DEMO_NOW, env={"CHAT_URL": http.url()})
    assert result.returncode == 0, result.stderr
    [chat] = http.messages
    assert chat["title"] == "crm-referee：新撞单 2 个，新 SLA 超时 6 条，首次跟进超时 1 条，重新分配 5 条"
    assert "**新撞单**" in chat["message"]
    text = chat["message"]
    assert "- [ACME, Inc](https://crm.example.com/Contacts/C-2001)：Emily Smith、王强 Wang Qiang；归属 Emily Smith" in text
    assert "](https://crm.example.com/Leads/L-1024)：王强 Wang Qiang 晚了 1.5 个工作小时才首次跟进（first-contact-8bh）" in text
    assert "[线索「杭州西溪智能科技有限公司」]" in text


def test_a_failed_delivery_never_fails_the_run_and_is_retried(tmp_path: Path, http: HttpReceiver,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_URL", http.url("/hook/tok3n-abcdef"))
    config = load_config(demo_with(tmp_path, target("chat", "CHAT_URL")))
    store = Store.open(config.state_url())
    try:
        http.statuses = [500]
        sync_in_process(config, store, NOW)
        assert len(http.requests) == 1 and http.messages == [http.requests[0]["json"]]
        [waiting] = store.get_values(NAMESPACE).values()
        assert '"attempts": 1' in waiting and "tok3n-abcdef" not in waiting
        assert counters(store)["failures"] == "1"
        sync_in_process(config, store, NOW + timedelta(hours=1))
        assert len(http.requests) == 2 and http.requests[1]["json"]["title"] == http.requests[0]["json"]["title"]
        assert store.get_values(NAMESPACE) == {}
    finally:
        store.close()


def test_an_unreachable_target_is_logged_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    with http_receiver() as gone:
        url = gone.url("/secret-path-xyz")
    monkeypatch.setenv("CHAT_URL", url)  # the receiver is shut: connection refused
    config = load_config(demo_with(tmp_path, target("chat", "CHAT_URL")))
    store = Store.open(config.state_url())
    try:
        sync_in_process(config, store, NOW)
        assert len(store.get_values(NAMESPACE)) == 1
        assert "retried next run" in caplog.text and "secret-path-xyz" not in caplog.text
    finally:
        store.close()


def test_quiet_hours_hold_messages_until_the_next_run_after_them(tmp_path: Path, http: HttpReceiver,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_URL", http.url())
    config = load_config(demo_with(tmp_path, target("chat", "CHAT_URL", quiet_hours='"09:00-12:00"')))
    store = Store.open(config.state_url())
    try:
        sync_in_process(config, store, NOW)  # 10:00 Shanghai: quiet
        assert http.requests == [] and len(store.get_values(NAMESPACE)) == 1
        sync_in_process(config, store, NOW + timedelta(hours=3))  # 13:00
        assert len(http.requests) == 1
    finally:
        store.close()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param({"kinds": '["late"]'}, ["Late first contacts"], id="kind"),
        pytest.param({"min_severity": '"critical"'}, ["Reassignments planned (dry run: nothing was written)"],
                     id="severity"),
        pytest.param({"teams": '["key-accounts"]'}, ["New SLA breaches", "Reassignments planned (dry run: nothing was written)"],
                     id="team"),
    ],
)
def test_per_target_filters(tmp_path: Path, http: HttpReceiver, monkeypatch: pytest.MonkeyPatch,
                            extra: dict[str, str], expected: list[str]) -> None:
    monkeypatch.setenv("CHAT_URL", http.url())
    config = load_config(demo_with(tmp_path, target("chat", "CHAT_URL", **extra)))
    store = Store.open(config.state_url())
    try:
        sync_in_process(config, store, NOW)
    finally:
        store.close()
    [message] = http.messages
    sections = [line.strip("*") for line in message["message"].splitlines() if line.startswith("**")]
    assert sections == expected
    if "teams" in extra:  # key-accounts: 陈静 Chen Jing's stuck deal and 赵磊 Zhao Lei's silent lead only
        assert "恒瑞精密" in message["message"] and "成都熊猫文创" in message["message"]
        assert "ACME" not in message["message"]


def test_no_digest_after_a_dry_run_when_switched_off(tmp_path: Path, http: HttpReceiver,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_URL", http.url())
    config = load_config(demo_with(tmp_path, "[notify]\nafter_dry_run = false\n" + target("chat", "CHAT_URL")))
    store = Store.open(config.state_url())
    try:
        sync_in_process(config, store, NOW)
    finally:
        store.close()
    assert http.requests == []
