"""Every sentence crm-referee shows people, in each language it speaks (``[referee] language``).

One catalog (this package: ``en.py`` and ``zh_cn.py`` hold the same keys), so a translator
reviews one place. Templates use ``str.format`` fields; the English
templates reproduce the wording the golden tests pin. Pure (no I/O): the rules engine uses it for
evidence and CRM notes, the connector for digests, reports and exports.

Chinese wording follows what sales teams in China say: 撞单 (two reps on one customer), 抢单
(working someone else's customer), 公海 (the public pool), 保护期 (protection period), 首次跟进超时
(first contact too late), 工作小时 (business hours).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from functools import cache
from typing import Literal

from connector.durations import format_duration
from connector.i18n.en import EN as _EN
from connector.i18n.zh_cn import ZH_CN as _ZH

Language = Literal["en", "zh-CN"]
LANGUAGES: tuple[Language, ...] = ("en", "zh-CN")

_TABLES: Mapping[Language, Mapping[str, str]] = {"en": _EN, "zh-CN": _ZH}
_ZH_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class Messages:
    """The sentences of one language; ``msg("sla.elapsed", spent="8h")`` fills a template."""

    def __init__(self, language: Language) -> None:
        self.language: Language = language
        self.zh = language == "zh-CN"
        self._table = _TABLES[language]

    def __call__(self, key: str, /, **values: object) -> str:
        return self._table[key].format(**values)

    def has(self, key: str) -> bool:
        return key in self._table

    def join(self, items: Sequence[str], last: Literal["and", "or"] = "and") -> str:
        """``a, b and c`` / ``a、b和c``."""
        if len(items) <= 1:
            return "".join(items)
        if self.zh:
            return "、".join(items[:-1]) + ("和" if last == "and" else "或") + items[-1]
        return ", ".join(items[:-1]) + f" {last} " + items[-1]

    def when(self, at: datetime, zone: tzinfo, *, with_zone: bool = False) -> str:
        """``Fri 09 Jan 17:30`` / ``1月9日（周五）17:30``, in ``zone``."""
        local = at.astimezone(zone)
        if self.zh:
            suffix = f" {local:%Z}" if with_zone else ""
            return f"{local.month}月{local.day}日（{_ZH_WEEKDAYS[local.weekday()]}）{local:%H:%M}{suffix}"
        return f"{local:%a %d %b %H:%M %Z}" if with_zone else f"{local:%a %d %b %H:%M}"

    def duration(self, value: timedelta) -> str:
        """``1d2h30m`` / ``1天2小时30分钟`` (seconds are dropped once there are minutes)."""
        if not self.zh:
            return format_duration(value)
        total = int(value.total_seconds())
        days, rest = divmod(total, 86_400)
        hours, rest = divmod(rest, 3_600)
        minutes, seconds = divmod(rest, 60)
        parts = [f"{n}{unit}" for n, unit in ((days, "天"), (hours, "小时"), (minutes, "分钟")) if n]
        if seconds and not parts:
            parts.append(f"{seconds}秒")
        return "".join(parts) or "0分钟"

    def business_hours(self, value: timedelta) -> str:
        hours = value.total_seconds() / 3600
        return self("sla.business_hours", hours=f"{hours:.4g}", plural="s" if hours != 1 else "")

    def person(self, name: str, user_id: str) -> str:
        """How sentences name a person: ``王强 Wang Qiang (u-wang)`` in English, the name in Chinese."""
        if not name:
            return user_id
        return name if self.zh else f"{name} ({user_id})"

    def titled(self, module: str, record_id: str, name: str) -> str:
        """A record in digests, reports and exports: ``Acme Inc. (Leads/L-1)`` / ``线索「Acme Inc.」``."""
        if self.zh or not name or name == record_id:
            return self.record(module, record_id, name)
        return f"{name} ({module}/{record_id})"

    def record(self, module: str, record_id: str, name: str) -> str:
        """How sentences name a record: ``Leads/L-1`` in English, ``线索「Acme」`` in Chinese."""
        if self.zh:
            return f"{self(f'module.{module}')}「{name or record_id}」"
        return f"{module}/{record_id}"


@cache
def messages(language: Language = "en") -> Messages:
    """The (shared, immutable) catalog of ``language``."""
    if language not in _TABLES:
        raise ValueError(f'unknown language "{language}" (use one of: {", ".join(LANGUAGES)})')
    return Messages(language)


EN = messages("en")
