"""Company names to a comparable key: legal forms, noise and leading place names removed.

Latin names use ``cleanco``'s legal-form dictionary (Inc, GmbH & Co. KG, S.p.A., Pty Ltd …) through
our own token-level stripper, which is ~20x faster than ``cleanco.basename`` and fixes its quirks:
a leading "The" goes, and a name is never stripped to nothing ("AAT" stays "aat").
Chinese names lose legal forms (有限公司, 股份有限公司, 集团 …), branch suffixes (北京分公司) and
leading place names (广东省深圳市), unless that would leave only a generic word (北京银行 stays).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

from cleanco.termdata import terms_by_country, terms_by_type

from rules.identity.places import city_of_place, leading_place, trade_words, trailing_place
from rules.identity.text import drop_parentheses, fold, has_cjk, words

CJK_LEGAL_FORMS = (
    "集团股份有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "控股有限公司", "有限公司",
    "股份合作公司", "股份公司", "集团公司", "有限合伙", "合伙企业", "总公司", "公司", "集团", "控股", "股份",
)
CJK_BRANCH_FORMS = ("分公司", "子公司", "办事处", "代表处", "分部", "分厂", "分店", "营业部", "分行", "支行")
_CJK_SUFFIXES = tuple(sorted(CJK_LEGAL_FORMS + CJK_BRANCH_FORMS, key=len, reverse=True))
_LATIN_EXTRA_TERMS = ("group", "holding", "holdings", "and co", "and company", "co ltd", "coltd")


@dataclass(frozen=True, slots=True)
class CompanyName:
    """``key`` is what fuzzy matching compares; ``city`` is implied by a stripped place name."""

    key: str
    cjk: bool
    city: str | None = None


def _latin_terms() -> frozenset[tuple[str, ...]]:
    raw = itertools.chain(*terms_by_type.values(), *terms_by_country.values(), _LATIN_EXTRA_TERMS)
    return frozenset(t for t in (tuple(_latin_words(term)) for term in raw) if t)


def _latin_words(text: str) -> list[str]:
    text = fold(text).replace("&", " and ")
    for mark in (".", "'", "’", ","):
        text = text.replace(mark, "")
    return words(text)


_LATIN_TERMS = _latin_terms()
_LONGEST_TERM = max(map(len, _LATIN_TERMS))


@lru_cache(maxsize=524288)
def normalize_company(raw: str) -> CompanyName | None:
    """``"北京字节跳动科技有限公司"`` → key ``"字节跳动科技"`` (city 北京); ``"Acme, Inc."`` → ``"acme"``."""
    text = drop_parentheses(fold(raw))
    if has_cjk(text):
        return _chinese(text)
    tokens = _latin_words(text)
    if not tokens:
        return None
    return CompanyName(" ".join(strip_latin_legal_forms(tokens)), cjk=False)


def strip_latin_legal_forms(tokens: list[str]) -> list[str]:
    """Drop a leading "the" and trailing legal forms, keeping at least one token."""
    tokens = list(tokens)
    if len(tokens) > 1 and tokens[0] == "the":
        del tokens[0]
    stripped = True
    while stripped and len(tokens) > 1:
        stripped = False
        for size in range(min(_LONGEST_TERM, len(tokens) - 1), 0, -1):
            if tuple(tokens[-size:]) in _LATIN_TERMS:
                del tokens[-size:]
                stripped = True
                break
    return tokens


def _chinese(text: str) -> CompanyName | None:
    name = "".join(words(text))
    if not name:
        return None
    name = _strip_cjk_suffixes(name)
    generic = trade_words()
    city = None
    while (place := leading_place(name)) is not None:
        rest = name[len(place):]
        if len(rest) < 2 or rest in generic:
            break
        city = city_of_place(place) or city
        name = rest
    return CompanyName(name, cjk=True, city=city)


def _strip_cjk_suffixes(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in _CJK_SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                name = name[: -len(suffix)]
                changed = True
                if suffix in CJK_BRANCH_FORMS:
                    place = trailing_place(name)
                    if place and len(name) - len(place) >= 2:
                        name = name[: -len(place)]
                break
    return name
