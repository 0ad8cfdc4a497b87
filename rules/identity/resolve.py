"""Customer resolution: records → customers, without comparing all pairs.

Exact fields go through hash groups (records sharing a key are joined in one pass). Fuzzy fields
are compared only inside blocks keyed by the rule's exact values plus one of the name's rarest
tokens; blocks larger than ``max_block_size`` are skipped and counted in :class:`ResolutionStats`.
Records are sorted by reference first, so the result does not depend on input order.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from connector.domain import Record, stable_hash
from rules.identity.config import IdentityConfig, MatchRule
from rules.identity.features import FeatureExtractor, Features
from rules.identity.match import FieldMatch, MatchEdge, fuzzy_value, match_pair, shown_value
from rules.identity.similarity import block_tokens
from rules.identity.unionfind import UnionFind

RARE_TOKENS_PER_NAME = 3


@dataclass
class ResolutionStats:
    records: int = 0
    comparisons: int = 0
    capped_blocks: int = 0
    largest_capped_block: int = 0
    matches_by_rule: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Resolution:
    """Records (sorted), their features, the customer each belongs to, and why."""

    records: tuple[Record, ...]
    features: tuple[Features, ...]
    roots: tuple[int, ...]
    groups: dict[int, tuple[int, ...]]
    edges: dict[int, tuple[MatchEdge, ...]]
    stats: ResolutionStats

    def customer_id(self, index: int) -> str:
        """Stable customer id: a hash of the smallest record reference in the customer."""
        return customer_id_for(self.records[self.roots[index]])

    def members(self, index: int) -> tuple[int, ...]:
        root = self.roots[index]
        return self.groups.get(root, (root,))


def customer_id_for(smallest: Record) -> str:
    return "cust-" + stable_hash(smallest.adapter, smallest.module, smallest.id)[:12]


def sort_key(record: Record) -> tuple[str, str, str]:
    return (record.adapter, str(record.module), record.id)


def resolve(records: Iterable[Record], config: IdentityConfig) -> Resolution:
    """Group ``records`` into customers with the match rules of ``config``."""
    ordered = tuple(sorted(records, key=sort_key))
    extractor = FeatureExtractor(config)
    features = tuple(extractor.extract(r) for r in ordered)
    uf = UnionFind(len(ordered))
    edges: list[MatchEdge] = []
    stats = ResolutionStats(records=len(ordered))
    for rule in config.match:
        before = len(edges)
        if any(spec.fuzzy for spec in rule.fields):
            _fuzzy_rule(rule, ordered, features, uf, edges, stats, config.max_block_size)
        else:
            _exact_rule(rule, ordered, features, uf, edges)
        stats.matches_by_rule[rule.name] = len(edges) - before
    roots = tuple(uf.find(i) for i in range(len(ordered)))
    members: dict[int, list[int]] = {}
    for index, root in enumerate(roots):
        members.setdefault(root, []).append(index)
    groups = {root: tuple(m) for root, m in members.items() if len(m) > 1}
    by_root: dict[int, list[MatchEdge]] = {}
    for edge in edges:
        by_root.setdefault(roots[edge.a], []).append(edge)
    return Resolution(
        ordered, features, roots, groups, {r: tuple(e) for r, e in by_root.items()}, stats
    )


def _exact_keys(rule: MatchRule, feats: Features) -> list[tuple[str, ...]]:
    values = [feats.exact(spec.name) for spec in rule.fields if not spec.fuzzy]
    if not all(values):
        return []
    if all(len(v) == 1 for v in values):
        return [tuple(v[0] for v in values)]
    return list(itertools.product(*values))


def _exact_rule(
    rule: MatchRule, records: Sequence[Record], features: Sequence[Features], uf: UnionFind,
    edges: list[MatchEdge],
) -> None:
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, feats in enumerate(features):
        for key in _exact_keys(rule, feats):
            groups.setdefault(key, []).append(index)
    specs = rule.fields
    for key, group in groups.items():
        if len(group) < 2:
            continue
        first = group[0]
        shown = tuple(
            FieldMatch(s.name, v := shown_value(records[first], s, value), v)
            for s, value in zip(specs, key, strict=True)
        )
        for other in group[1:]:
            if uf.union(first, other):
                edges.append(MatchEdge(first, other, rule.name, shown))


def _fuzzy_rule(
    rule: MatchRule, records: Sequence[Record], features: Sequence[Features], uf: UnionFind,
    edges: list[MatchEdge], stats: ResolutionStats, cap: int,
) -> None:
    fuzzy_specs = [s for s in rule.fields if s.fuzzy]
    # 1. entities: records with the same exact key and the same normalized fuzzy values
    entities: dict[tuple[tuple[str, ...], tuple[str, ...]], list[int]] = {}
    for index, feats in enumerate(features):
        values = tuple(fuzzy_value(feats, s.name) or "" for s in fuzzy_specs)
        if not all(values):
            continue
        for key in _exact_keys(rule, feats):
            entities.setdefault((key, values), []).append(index)
    for group in entities.values():
        for other in group[1:]:
            if uf.union(group[0], other):
                matched = match_pair(rule, features[group[0]], features[other], records[group[0]], records[other])
                edges.append(MatchEdge(group[0], other, rule.name, matched or ()))
    # 2. blocks: exact key + one of the rarest tokens of the first fuzzy value
    keys = list(entities)
    frequency: Counter[str] = Counter()
    tokens_of: dict[str, list[str]] = {}
    for _, values in keys:
        if values[0] not in tokens_of:
            tokens_of[values[0]] = block_tokens(values[0])
            frequency.update(tokens_of[values[0]])
    blocks: dict[tuple[tuple[str, ...], str], list[int]] = {}
    for entity, (key, values) in enumerate(keys):
        rare = sorted(tokens_of[values[0]], key=lambda t: (frequency[t], t))[:RARE_TOKENS_PER_NAME]
        for token in rare:
            blocks.setdefault((key, token), []).append(entity)
    representative = [entities[k][0] for k in keys]
    for block in blocks.values():
        if len(block) < 2:
            continue
        if len(block) > cap:
            stats.capped_blocks += 1
            stats.largest_capped_block = max(stats.largest_capped_block, len(block))
            continue
        for i, j in itertools.combinations(block, 2):
            a, b = representative[i], representative[j]
            if uf.find(a) == uf.find(b):
                continue
            stats.comparisons += 1
            matched = match_pair(rule, features[a], features[b], records[a], records[b])
            if matched is not None and uf.union(a, b):
                edges.append(MatchEdge(a, b, rule.name, matched))
