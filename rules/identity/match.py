"""Comparing two records under one match rule, with the values that made them match."""

from __future__ import annotations

from dataclasses import dataclass

from connector.domain import Record
from rules.identity.config import FieldSpec, MatchRule
from rules.identity.features import Features
from rules.identity.similarity import similarity


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """One agreeing field: the values shown to people, and the score for fuzzy fields."""

    field: str
    value_a: str
    value_b: str
    score: float | None = None
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class MatchEdge:
    """Records ``a`` and ``b`` (indices into the resolution's records) matched by ``rule``."""

    a: int
    b: int
    rule: str
    fields: tuple[FieldMatch, ...]


def fuzzy_value(features: Features, name: str) -> str | None:
    """The normalized string a fuzzy field compares."""
    if name == "company":
        return features.company.key if features.company else None
    return features.person


def shown_value(record: Record, spec: FieldSpec, normalized: str) -> str:
    """What an explanation prints for a field: the name as typed for fuzzy fields, else the key."""
    if spec.name == "company" and spec.fuzzy and record.company:
        return record.company.strip()
    if spec.name == "person" and spec.fuzzy:
        return " ".join(p for p in (record.first_name, record.last_name) if p) or normalized
    if spec.name == "account":
        return normalized.partition(":")[2]
    return normalized


def match_pair(
    rule: MatchRule, a: Features, b: Features, record_a: Record, record_b: Record
) -> tuple[FieldMatch, ...] | None:
    """The agreeing fields when every field of ``rule`` agrees for ``a`` and ``b``, else ``None``."""
    found: list[FieldMatch] = []
    for spec in rule.fields:
        if spec.fuzzy:
            value_a, value_b = fuzzy_value(a, spec.name), fuzzy_value(b, spec.name)
            if not value_a or not value_b:
                return None
            threshold = spec.threshold or 0.0
            score = similarity(value_a, value_b, threshold)
            if score < threshold:
                return None
            found.append(FieldMatch(
                spec.name, shown_value(record_a, spec, value_a), shown_value(record_b, spec, value_b),
                round(score, 4), threshold,
            ))
            continue
        common = sorted(set(a.exact(spec.name)) & set(b.exact(spec.name)))
        if not common:
            return None
        shown = shown_value(record_a, spec, common[0])
        found.append(FieldMatch(spec.name, shown, shown))
    return tuple(found)
