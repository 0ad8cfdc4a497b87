"""Chinese place names and generic trade words, from ``companynameparser``'s offline dictionaries.

Only static data shipped inside that package is read (once, at first use): provinces and prefecture
cities in full and short form (北京市/北京, 广东省/广东), districts and counties in full form only
(浦东新区, not 浦东, which is also a brand word), and its trade-word list.
"""

from __future__ import annotations

import csv
import io
from functools import cache, lru_cache
from importlib import resources

from rules.identity.text import fold, has_cjk, words

_PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_CITY_SUFFIXES = ("市",)  # no short forms for 地区/盟/自治州: 阿里(地区) is also 阿里巴巴
GENERIC_WORDS = frozenset({
    "银行", "科技", "技术", "集团", "控股", "实业", "贸易", "商贸", "投资", "发展", "国际", "中国", "中华",
    "电子", "信息", "网络", "软件", "咨询", "服务", "工程", "建设", "物流", "传媒", "文化", "医药", "汽车",
    "能源", "环保", "教育", "管理", "保险", "证券", "电力", "电器", "机械", "食品", "农业", "地产", "置业",
})
NATIONAL_PREFIXES = ("中国", "中华")


def _read(name: str) -> str:
    return resources.files("companynameparser").joinpath("data", name).read_text(encoding="utf-8")


def _short(name: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


@cache
def place_tables() -> tuple[frozenset[str], dict[str, str], int]:
    """(all strippable place names, name → city it implies, longest name length)."""
    names: set[str] = set(NATIONAL_PREFIXES)
    city_of: dict[str, str] = {}
    ambiguous: set[str] = set()  # district names used in several cities (南山区) imply no city
    for row in csv.DictReader(io.StringIO(_read("pca.csv"))):
        province, city, district = row["sheng"], row["shi"], row["qu"]
        for full, suffixes in ((province, _PROVINCE_SUFFIXES), (city, _CITY_SUFFIXES)):
            if not full:
                continue
            short = _short(full, suffixes)
            names.add(full)
            if short:
                names.add(short)
        if city:
            city_short = _short(city, _CITY_SUFFIXES) or city
            city_of.setdefault(city, city_short)
            city_of.setdefault(city_short, city_short)
            if district:
                names.add(district)
                if city_of.get(district, city_short) != city_short:
                    ambiguous.add(district)
                city_of.setdefault(district, city_short)
        if province.endswith("市"):  # municipalities: the province is the city
            short = _short(province, _PROVINCE_SUFFIXES) or province
            city_of[province] = short
            city_of[short] = short
    for name in ambiguous:
        city_of.pop(name, None)
    return frozenset(names), city_of, max(map(len, names))


@cache
def trade_words() -> frozenset[str]:
    """Generic industry words (科技, 软件 …): a name reduced to one of these keeps its place name."""
    words = {line.split()[0] for line in _read("trade.txt").splitlines() if line.strip()}
    return frozenset(words) | GENERIC_WORDS


@cache
def place_brands() -> frozenset[str]:
    """Brands that begin with a place name (长城汽车, 海南航空): their place is part of the brand."""
    names, _, longest = place_tables()
    brands = set()
    for line in _read("brand.txt").splitlines():
        brand = line.split(maxsplit=1)[0] if line.strip() else ""
        if len(brand) >= 3 and _longest_prefix(brand, names, longest):
            brands.add(brand)
    return frozenset(brands)


def _longest_prefix(text: str, names: frozenset[str], longest: int) -> str | None:
    for size in range(min(longest, len(text) - 1), 1, -1):
        if text[:size] in names:
            return text[:size]
    return None


def leading_place(text: str) -> str | None:
    """The longest place name ``text`` starts with, unless it begins a known brand (阿里巴巴)."""
    names, _, longest = place_tables()
    place = _longest_prefix(text, names, longest)
    if place is None:
        return None
    brands = place_brands()
    for size in range(len(place) + 1, min(len(text), len(place) + 6) + 1):
        if text[:size] in brands:
            return None
    return place


def trailing_place(text: str) -> str | None:
    """The longest place name ``text`` ends with, if any."""
    names, _, longest = place_tables()
    for size in range(min(longest, len(text) - 1), 1, -1):
        if text[-size:] in names:
            return text[-size:]
    return None


def city_of_place(place: str) -> str | None:
    """The city a place name implies (北京市 → 北京, 南山区 → 深圳); provinces imply none."""
    return place_tables()[1].get(place)


@lru_cache(maxsize=65536)
def normalize_city(raw: str) -> str | None:
    """``"北京市"`` → ``"北京"``, ``" Shanghai "`` → ``"shanghai"``."""
    parts = words(fold(raw))
    text = "".join(parts) if has_cjk(raw) else " ".join(parts)
    if not text:
        return None
    return city_of_place(text) or _short(text, ("市", "区", "县")) or text
