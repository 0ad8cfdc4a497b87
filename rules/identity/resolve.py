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

from rapidfuzz import fuzz

from connector.domain import Record, stable_hash
from connector.gcpause import gc_paused
from rules.identity.config import IdentityConfig, MatchRule
from rules.identity.features import FeatureExtractor, Features
from rules.identity.match import FieldMatch, MatchEdge, fuzzy_value, match_pair, shown_value
from rules.identity.similarity import block_tokens, latin_similarity
from rules.identity.text import has_cjk
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
    """Records (sorted), the customer each belongs to (``roots``), and why (``edges``)."""

    records: tuple[Record, ...]
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
    with gc_paused():
        return _resolve(records, config)


def _resolve(records: Iterable[Record], config: IdentityConfig) -> Resolution:
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
            if [s.name for s in rule.fields] == ["company", "city"]:
                _attach_cityless(rule, ordered, features, uf, edges)
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
    return Resolution(ordered, roots, groups, {r: tuple(e) for r, e in by_root.items()}, stats)


def _exact_keys(names: Sequence[str], feats: Features) -> list[tuple[str, ...]]:
    if len(names) == 1:
        return [(v,) for v in feats.exact(names[0])]
    values = [feats.exact(name) for name in names]
    if not all(values):
        return []
    if all(len(v) == 1 for v in values):
        return [tuple(v[0] for v in values)]
    return list(itertools.product(*values))


def _exact_rule(
    rule: MatchRule, records: Sequence[Record], features: Sequence[Features], uf: UnionFind,
    edges: list[MatchEdge],
) -> None:
    specs = rule.fields
    names = [s.name for s in specs]
    groups: dict[str | tuple[str, ...], list[int]] = {}
    if len(names) == 1:
        name = names[0]
        for index, feats in enumerate(features):
            for value in feats.exact(name):
                groups.setdefault(value, []).append(index)
    else:
        for index, feats in enumerate(features):
            for combined in _exact_keys(names, feats):
                groups.setdefault(combined, []).append(index)
    for key, group in groups.items():
        if len(group) < 2:
            continue
        first = group[0]
        values = key if isinstance(key, tuple) else (key,)
        shown = tuple(
            FieldMatch(s.name, v := shown_value(records[first], s, value), v)
            for s, value in zip(specs, values, strict=True)
        )
        for other in group[1:]:
            if uf.union(first, other):
                edges.append(MatchEdge(first, other, rule.name, shown))


def _fuzzy_rule(
    rule: MatchRule, records: Sequence[Record], features: Sequence[Features], uf: UnionFind,
    edges: list[MatchEdge], stats: ResolutionStats, cap: int,
) -> None:
    fuzzy_specs = [s for s in rule.fields if s.fuzzy]
    exact_names = [s.name for s in rule.fields if not s.fuzzy]
    # 1. entities: records with the same exact key and the same normalized fuzzy values
    entities: dict[tuple[tuple[str, ...], tuple[str, ...]], list[int]] = {}
    for index, feats in enumerate(features):
        values = tuple(fuzzy_value(feats, s.name) or "" for s in fuzzy_specs)
        if not all(values):
            continue
        for key in _exact_keys(exact_names, feats) if exact_names else [()]:
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
        tokens = tokens_of[values[0]]
        rare = sorted(tokens, key=lambda t: (frequency[t], t))[:RARE_TOKENS_PER_NAME] if len(tokens) > 1 else tokens
        for token in rare:
            blocks.setdefault((key, token), []).append(entity)
    representative = [entities[k][0] for k in keys]
    first_values = [values[0] for _, values in keys]
    lengths = [len(v) for v in first_values]
    cjk = [has_cjk(v) for v in first_values]
    cutoff = (fuzzy_specs[0].threshold or 0.0) * 100
    ratio = fuzz.ratio
    threshold = fuzzy_specs[0].threshold or 0.0
    find, parent = uf.find, uf.parent
    comparisons = 0
    for block in blocks.values():
        if len(block) < 2:
            continue
        if len(block) > cap:
            stats.capped_blocks += 1
            stats.largest_capped_block = max(stats.largest_capped_block, len(block))
            continue
        for i, j in itertools.combinations(block, 2):
            # Indel-based scores cannot reach the threshold when lengths differ too much
            if 2 * min(lengths[i], lengths[j]) < threshold * (lengths[i] + lengths[j]):
                continue
            a, b = representative[i], representative[j]
            # same customer already? (roots read directly: most records are their own root)
            root_a = a if parent[a] == a else find(a)
            if root_a == (b if parent[b] == b else find(b)):
                continue
            comparisons += 1
            if cjk[i] or cjk[j]:
                if not ratio(first_values[i], first_values[j], score_cutoff=cutoff):
                    continue
            elif latin_similarity(first_values[i], first_values[j], threshold) < threshold:
                continue
            matched = match_pair(rule, features[a], features[b], records[a], records[b])
            if matched is not None and uf.union(a, b):
                edges.append(MatchEdge(a, b, rule.name, matched))
    stats.comparisons += comparisons


def _attach_cityless(
    rule: MatchRule, records: Sequence[Record], features: Sequence[Features], uf: UnionFind,
    edges: list[MatchEdge],
) -> None:
    """A record with a company name but no city joins the customer of that exact name when the
    name is known in one city only (ambiguous names, in two cities, stay apart)."""
    cities: dict[str, set[str]] = {}
    first: dict[str, int] = {}
    for index, feats in enumerate(features):
        if feats.company is not None and feats.city:
            cities.setdefault(feats.company.key, set()).add(feats.city)
            first.setdefault(feats.company.key, index)
    company, _ = rule.fields
    for index, feats in enumerate(features):
        if feats.company is None or feats.city or len(cities.get(feats.company.key, ())) != 1:
            continue
        anchor = first[feats.company.key]
        if uf.union(anchor, index):
            fields = (
                FieldMatch("company", shown_value(records[anchor], company, feats.company.key),
                           shown_value(records[index], company, feats.company.key), 1.0, company.threshold),
                FieldMatch("city", features[anchor].city or "", ""),
            )
            edges.append(MatchEdge(anchor, index, rule.name, fields))
