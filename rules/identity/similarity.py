"""Fuzzy similarity of normalized names, and the blocking tokens that find candidates cheaply.

Token scorers see a Chinese name as one token, so Chinese names are compared character by
character (``fuzz.ratio``) and blocked on character bigrams; Latin names use
``fuzz.token_sort_ratio`` (word order does not matter) and are blocked on words plus a 4-letter
prefix, so a typo in one word still shares a block through another.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from rules.identity.text import has_cjk

GENERIC_LATIN_WORDS = frozenset({
    "and", "of", "the", "for", "analytics", "bank", "capital", "consulting", "design", "digital",
    "electronics", "energy", "engineering", "financial", "foods", "global", "group", "health",
    "healthcare", "industries", "industry", "international", "labs", "laboratories", "logistics",
    "management", "manufacturing", "marketing", "materials", "media", "medical", "network", "networks",
    "partners", "pharma", "pharmaceuticals", "products", "properties", "realty", "research", "resources",
    "retail", "robotics", "security", "services", "software", "solutions", "studio", "studios", "systems",
    "tech", "technologies", "technology", "trading", "transport", "travel", "ventures",
})


def similarity(a: str, b: str, threshold: float = 0.0) -> float:
    """Similarity in 0..1 of two normalized names; 0 when below ``threshold`` (cheap early exit)."""
    if a == b:
        return 1.0
    cutoff = threshold * 100
    if has_cjk(a) or has_cjk(b):
        return fuzz.ratio(a, b, score_cutoff=cutoff) / 100
    return latin_similarity(a, b, threshold)


def latin_similarity(a: str, b: str, threshold: float = 0.0) -> float:
    """:func:`similarity` of two names without Chinese characters (callers that know it skip the test)."""
    if a == b:
        return 1.0
    score = fuzz.token_sort_ratio(a, b, score_cutoff=threshold * 100)
    if not score:
        return 0.0
    # shared industry words ("robotics", "systems") inflate the score of two different brands
    # (Vame Analytics / Vameac Analytics): the brand words must be similar on their own too
    brand_a, brand_b = _brand(a), _brand(b)
    if brand_a != brand_b:
        score = min(score, fuzz.ratio(brand_a, brand_b))
    return score / 100


def _brand(name: str) -> str:
    """The first word that is not a generic industry word (the whole name when all are)."""
    return next((w for w in name.split() if w not in GENERIC_LATIN_WORDS), name)


def block_tokens(value: str) -> list[str]:
    """Candidate-generation tokens of a normalized name (bigrams for Chinese, words for Latin)."""
    if has_cjk(value):
        if len(value) < 2:
            return [value]
        return sorted({value[i : i + 2] for i in range(len(value) - 1)})
    tokens = {w for w in value.split() if len(w) >= 2}
    squashed = value.replace(" ", "")
    if len(squashed) >= 4:
        tokens.add("^" + squashed[:4])
    return sorted(tokens)
