"""``[identity]``: how records are recognised as the same customer."""

from __future__ import annotations

from connector.config_base import ConfigModel


class MatchRule(ConfigModel):
    """Two records are one customer when all ``on`` fields agree (``company~0.9`` = fuzzy)."""

    name: str
    on: tuple[str, ...]


DEFAULT_MATCH_RULES: tuple[MatchRule, ...] = (
    MatchRule(name="email", on=("email",)),
)


class IdentityConfig(ConfigModel):
    default_region: str = "CN"
    free_email_domains: tuple[str, ...] = ()
    match: tuple[MatchRule, ...] = DEFAULT_MATCH_RULES
