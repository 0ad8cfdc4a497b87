"""``[identity]``: how records are recognised as the same customer.

A ``[[identity.match]]`` rule lists fields that must all agree (``company~0.90`` = fuzzy with a
similarity threshold). Rules that could never fire are rejected when the config loads, so a typo
does not silently switch duplicate detection off.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from pydantic import Field, field_validator, model_validator

from connector.config_base import ConfigModel

EXACT_FIELDS = frozenset({"email", "phone", "domain", "tax_id", "company", "person", "city", "account"})
FUZZY_FIELDS = frozenset({"company", "person"})


@dataclass(frozen=True)
class FieldSpec:
    """One parsed ``on`` entry: ``name`` (``extra.x`` kept whole) and an optional fuzzy threshold."""

    name: str
    threshold: float | None = None

    @property
    def fuzzy(self) -> bool:
        return self.threshold is not None

    def __str__(self) -> str:
        return f"{self.name}~{self.threshold:.2f}" if self.fuzzy else self.name


def parse_field(text: str) -> FieldSpec:
    """Parse ``"company~0.9"``; raise ``ValueError`` with a fix hint when it can never match."""
    raw = text.strip()
    name, sep, threshold_text = raw.partition("~")
    name = name.strip()
    known = ", ".join(sorted(EXACT_FIELDS)) + ", extra.<field>"
    if name.startswith("extra."):
        if not name.removeprefix("extra.").strip():
            raise ValueError(f'"{raw}" names no extra field (write e.g. "extra.vat_id")')
    elif name not in EXACT_FIELDS:
        raise ValueError(f'"{raw}": unknown field "{name}" (use one of {known})')
    if not sep:
        return FieldSpec(name)
    if name not in FUZZY_FIELDS:
        raise ValueError(
            f'"{raw}": field "{name}" cannot be fuzzy (only company and person take "~"; write "{name}")'
        )
    try:
        threshold = float(threshold_text)
    except ValueError:
        raise ValueError(f'"{raw}": "{threshold_text}" is not a number (write e.g. "{name}~0.90")') from None
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f'"{raw}": threshold must be between 0 and 1 (write e.g. "{name}~0.90")')
    return FieldSpec(name, threshold)


class MatchRule(ConfigModel):
    """Two records are one customer when all ``on`` fields agree (``company~0.9`` = fuzzy)."""

    name: str
    on: tuple[str, ...]

    @field_validator("on")
    @classmethod
    def _fields_can_match(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError('is empty, so the rule can never match (list fields, e.g. on = ["email"])')
        specs = [parse_field(item) for item in value]
        names = [spec.name for spec in specs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"lists {', '.join(duplicates)} twice (keep one entry per field)")
        if names == ["city"]:
            raise ValueError(
                'city alone would merge every customer in a city (combine it, e.g. ["company~0.90", "city"])'
            )
        return value

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return _parse_fields(self.on)


@lru_cache(maxsize=1024)
def _parse_fields(on: tuple[str, ...]) -> tuple[FieldSpec, ...]:
    return tuple(parse_field(item) for item in on)


DEFAULT_MATCH_RULES: tuple[MatchRule, ...] = (
    MatchRule(name="email", on=("email",)),
    MatchRule(name="phone", on=("phone",)),
    MatchRule(name="domain", on=("domain",)),
    MatchRule(name="tax-id", on=("tax_id",)),
    MatchRule(name="company-and-city", on=("company~0.92", "city")),
    MatchRule(name="account-link", on=("account",)),
)


class IdentityConfig(ConfigModel):
    default_region: str = "CN"
    free_email_domains: tuple[str, ...] = ()
    match: tuple[MatchRule, ...] = DEFAULT_MATCH_RULES
    max_block_size: int = Field(default=200, ge=2)
    """Fuzzy blocks bigger than this are skipped (and counted in the resolution stats)."""

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError('is not a two-letter region phonenumbers knows (write e.g. "CN" or "US")')
        return region

    @field_validator("free_email_domains")
    @classmethod
    def _lower_domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d.strip().lower().lstrip("@") for d in value if d.strip())

    @model_validator(mode="after")
    def _unique_names(self) -> IdentityConfig:
        names = [rule.name for rule in self.match]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"match rule names must be unique; {', '.join(duplicates)} repeats (rename one)")
        return self
