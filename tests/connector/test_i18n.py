"""The language catalog: both languages have every key, every template fills, dates read naturally."""

from __future__ import annotations

import string
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connector.i18n import LANGUAGES, messages
from connector.i18n.en import EN
from connector.i18n.zh_cn import ZH_CN


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_the_same_keys_and_fields() -> None:
    assert set(EN) == set(ZH_CN)
    # Chinese may leave a field out (no plural "s"), never add one the callers do not pass
    mismatched = {key for key in EN if not fields(ZH_CN[key]) <= fields(EN[key])}
    assert mismatched == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_fills(language: str) -> None:
    msg = messages(language)  # type: ignore[arg-type]
    for key, template in (EN if language == "en" else ZH_CN).items():
        assert msg(key, **dict.fromkeys(fields(template), "x")), key


def test_dates_durations_and_lists() -> None:
    at = datetime(2026, 2, 14, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    en, zh = messages("en"), messages("zh-CN")
    assert en.when(at, at.tzinfo) == "Sat 14 Feb 17:00"  # type: ignore[arg-type]
    assert zh.when(at, at.tzinfo) == "2月14日（周六）17:00"  # type: ignore[arg-type]
    assert zh.duration(timedelta(days=1, hours=2, minutes=30)) == "1天2小时30分钟"
    assert en.duration(timedelta(days=1, hours=2, minutes=30)) == "1d2h30m"
    assert zh.join(["电话", "会面", "邮件"], "or") == "电话、会面或邮件"
    assert en.join(["call", "meeting", "email"], "or") == "call, meeting or email"
    assert zh.person("李娜", "u-li") == "李娜" and en.person("李娜", "u-li") == "李娜 (u-li)"
    assert en.person("", "u-li") == zh.person("", "u-li") == "u-li"


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="zh-CN"):
        messages("fr")  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["note.pursuit.head", "note.sla"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_notes_in_every_language_start_with_the_mark_own_writes_are_recognised_by(key: str, language: str) -> None:
    """The generic adapter drops notes carrying NOTE_MARK as our own writes, so no language may vary it."""
    from connector.domain import NOTE_MARK

    template = (EN if language == "en" else ZH_CN)[key]
    assert template.startswith(NOTE_MARK), template
