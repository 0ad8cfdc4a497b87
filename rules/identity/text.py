"""Unicode folding shared by the normalizers: NFKC, case folding, accent and punctuation removal."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PARENS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_NOT_WORD = re.compile(r"[^\w]+")
_ACCENTED = re.compile(r"[\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff]")


def has_cjk(text: str) -> bool:
    """True when ``text`` contains a Chinese (CJK unified) character."""
    return not text.isascii() and _CJK.search(text) is not None


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """NFKC (full-width → half-width), case-fold and strip accents; keeps CJK characters as they are."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii() or _ACCENTED.search(text) is None:
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFKC", stripped)


def drop_parentheses(text: str) -> str:
    """Remove parenthesised asides such as ``(中国)`` or ``(UK)`` (after NFKC, so full-width too)."""
    previous = None
    while previous != text:
        previous, text = text, _PARENS.sub(" ", text)
    return text


def words(text: str) -> list[str]:
    """Split on anything that is not a letter, digit or underscore."""
    return [w for w in _NOT_WORD.split(text) if w]
