"""Person names for lead/contact matching: folded, tokens sorted so "Smith, John" = "John Smith"."""

from __future__ import annotations

from rules.identity.text import fold, has_cjk, words

_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam"})
_CN_TITLES = ("先生", "女士", "小姐", "经理", "总监", "总经理", "老师", "博士", "主任")


def normalize_person(first: str | None, last: str | None) -> str | None:
    """``("John", "Smith")`` → ``"john smith"``; ``(None, "张伟先生")`` → ``"张伟"``."""
    text = fold(" ".join(p for p in (first, last) if p))
    if has_cjk(text):  # Chinese names are written surname first: 张 + 伟 = 张伟
        joined = "".join(words(fold("".join(p for p in (last, first) if p))))
        for title in _CN_TITLES:
            if joined.endswith(title) and len(joined) > len(title) + 1:
                joined = joined[: -len(title)]
                break
        return joined or None
    tokens = sorted(w for w in words(text.replace("'", "")) if w not in _HONORIFICS)
    return " ".join(tokens) or None
