"""Tax ids: China's unified social credit code (GB 32100-2015) checked by its check digit."""

from __future__ import annotations

import re

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}$")
_CLEAN = re.compile(r"[\s\-./]+")


def uscc_check_digit(first17: str) -> str:
    """The 18th character of a unified social credit code for its first 17 characters."""
    total = sum(_USCC_VALUES[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True when ``code`` has the USCC shape and a correct check digit."""
    return bool(_USCC_SHAPE.match(code)) and uscc_check_digit(code[:17]) == code[17]


def normalize_tax_id(raw: str) -> str | None:
    """Upper-cased id without separators; an 18-character Chinese code must pass its check digit.

    A code that looks like a USCC but fails the check is dropped (``None``): a typo in a tax id
    must not merge two companies.
    """
    text = _CLEAN.sub("", raw.strip().upper().replace("Ｏ", "0"))
    if len(text) < 5 or not text.isalnum() or len(set(text)) == 1:
        return None
    if len(text) == 18 and text[:2].isalnum() and text[2:8].isdigit():
        return text if is_valid_uscc(text) else None
    return text
