"""Blocking keys of one record, kept in the store so one new record can be checked in milliseconds.

A key is ``(key_type, key_value)``: exact values for exact fields (``("email", "a@acme.com")``)
and name tokens for fuzzy fields (``("company~", "字节")``). Two records can only match under the
configured rules when they share at least one key, so the store's index finds every candidate.
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.identity.config import MatchRule
from rules.identity.features import Features
from rules.identity.match import fuzzy_value
from rules.identity.similarity import block_tokens

FUZZY_SUFFIX = "~"


def rule_key(rule: MatchRule) -> tuple[str, bool] | None:
    """The ``(field, fuzzy)`` a rule blocks on: its first exact field other than city, else its first
    fuzzy field (city never blocks alone). Two records can only match under ``rule`` when they
    share a key of this field."""
    specs = rule.fields
    exact = [s for s in specs if not s.fuzzy and s.name != "city"]
    # one selective field per rule is enough to find every candidate of that rule
    if exact:
        return (exact[0].name, False)
    fuzzy = [s for s in specs if s.fuzzy]
    return (fuzzy[0].name, True) if fuzzy else None


def key_fields(rules: Iterable[MatchRule]) -> tuple[tuple[str, bool], ...]:
    """``(field, fuzzy)`` pairs the rules need keys for; city never blocks alone, so it has none."""
    needed: dict[tuple[str, bool], None] = {}
    for rule in rules:
        key = rule_key(rule)
        if key is not None:
            needed.setdefault(key, None)
    return tuple(needed)


def blocking_keys(features: Features, rules: Iterable[MatchRule]) -> list[tuple[str, str]]:
    """Every ``(key_type, key_value)`` of ``features`` under ``rules``, sorted and unique."""
    keys: set[tuple[str, str]] = set()
    for name, fuzzy in key_fields(rules):
        if fuzzy:
            value = fuzzy_value(features, name)
            if value:
                keys.add((name, value))
                keys.update((name + FUZZY_SUFFIX, token) for token in block_tokens(value))
        else:
            keys.update((name, value) for value in features.exact(name))
    return sorted(keys)


candidate_keys = blocking_keys
"""The keys to look up for a candidate record are the ones it would be stored with."""
