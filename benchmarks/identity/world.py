"""A seeded generator of realistic CRM worlds with ground truth, for identity/pursuit benchmarks.

Each true company gets 1-6 records across Leads/Contacts/Accounts/Deals, written the way people
type them: legal-form and place variants (北京字节跳动科技有限公司 / 字节跳动科技 / 字节跳动科技（北京）有限公司),
full-width characters, occasional typos, phones in several formats, free-mail addresses
(no company domain) and missing fields. Hard negatives: same-city companies whose names differ
by one character (华信科技 / 华新科技) or share a brand with another trade (华为技术 / 华为终端).
About 12% of companies are worked by a second rep, and some activity is logged on other reps'
records (poaching).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connector.domain import Activity, ActivityKind, Module, Record, RecordRef, User
from rules.identity.taxid import USCC_CHARSET, uscc_check_digit

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
CN_CITIES = ["北京", "上海", "深圳", "广州", "杭州", "成都", "南京", "武汉", "苏州", "西安", "天津", "重庆"]
CN_PROVINCE_OF = {"深圳": "广东省", "广州": "广东省", "杭州": "浙江省", "成都": "四川省", "南京": "江苏省",
                  "武汉": "湖北省", "苏州": "江苏省", "西安": "陕西省"}
CN_TRADES = ["科技", "信息技术", "网络科技", "电子", "贸易", "生物医药", "智能装备", "新能源", "文化传媒", "供应链管理",
             "软件", "环保科技", "物流", "餐饮管理", "教育咨询"]
CN_SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
CN_CHARS = ("华信新达恒泰宏远鑫盛博创智联云启源丰汇通瑞德嘉成康宁安拓海天正佳和光明星辰晨阳蓝图金石银河"
            "锦程万象峰峦飞越腾跃卓越睿思捷迅众合凯旋瀚宇")
EN_CITIES = ["London", "Berlin", "New York", "Singapore", "Sydney", "Toronto", "Munich", "Boston"]
EN_INDUSTRY = ["Robotics", "Systems", "Labs", "Foods", "Logistics", "Analytics", "Energy", "Media", "Health",
               "Software", "Capital", "Materials"]
EN_FORMS = ["Inc", "Inc.", "Ltd", "Ltd.", "LLC", "GmbH", "Co., Ltd.", "Limited", "Corp", "Pty Ltd", "S.A.", "B.V."]
EN_SYLLABLES = ["ac", "me", "glo", "bex", "ini", "tech", "ver", "ta", "no", "va", "zen", "tri", "cor", "lex", "qua",
                "ros", "mar", "vel", "dyn", "ari", "sol", "kin", "tor", "bri", "xo", "lum", "pex", "ra", "sta", "on"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕"
EN_FIRST = ["John", "Mary", "James", "Linda", "Robert", "Emma", "David", "Sarah", "Michael", "Laura", "Tom", "Anna"]
EN_LAST = ["Smith", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Johnson", "Roberts", "Walker"]
_NO_EXTRA: dict[str, object] = {}
FREE_MAIL = ["qq.com", "163.com", "126.com", "gmail.com", "foxmail.com", "sina.com", "outlook.com"]


@dataclass
class World:
    records: list[Record]
    activities: list[Activity]
    users: dict[str, User]
    truth: list[int]
    """True company index of each record (same order as ``records``)."""
    conflicts: set[int] = field(default_factory=set)
    """Companies that two or more reps actively pursue (ground truth for pursuit findings)."""


@dataclass
class _Company:
    index: int
    cjk: bool
    brand: str
    trade: str
    city: str
    domain: str
    tax_id: str | None


def _trusted(model: type, values: dict[str, object]) -> object:
    """A model instance without validation and with one shared fields-set (saves ~2 KB each)."""
    instance = object.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", _FIELDS_SET[model])
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


_FIELDS_SET = {Record: set(Record.model_fields), Activity: set(Activity.model_fields)}


def _uscc(rng: random.Random) -> str:
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    body += "".join(rng.choice(USCC_CHARSET) for _ in range(9))
    return body + uscc_check_digit(body)


def _unique(rng: random.Random, make: object, used: set[str]) -> str:
    while True:
        value = make()  # type: ignore[operator]
        if value not in used:
            used.add(value)
            return value


def _companies(rng: random.Random, count: int) -> list[_Company]:
    used: set[str] = set()
    out: list[_Company] = []
    for i in range(count):
        cjk = rng.random() < 0.6
        if out and rng.random() < 0.08:  # hard negative: a near-twin of an earlier company in its city
            twin = out[rng.randrange(len(out))]
            if twin.cjk and cjk:
                brand = twin.brand
                if rng.random() < 0.5:
                    pos = rng.randrange(len(brand))
                    brand = brand[:pos] + rng.choice(CN_CHARS) + brand[pos + 1 :]
                    trade = twin.trade
                else:
                    trade = rng.choice([t for t in CN_TRADES if t != twin.trade])
                if (brand + trade) not in used:
                    used.add(brand + trade)
                    out.append(_Company(i, True, brand, trade, twin.city, f"{_ascii(rng)}.com.cn", _uscc(rng)))
                    continue
            elif not twin.cjk and not cjk:
                trade = rng.choice([t for t in EN_INDUSTRY if t != twin.trade])
                if (twin.brand + trade) not in used:
                    used.add(twin.brand + trade)
                    out.append(_Company(i, False, twin.brand, trade, twin.city, f"{_ascii(rng)}.com", None))
                    continue
        if cjk:
            trade = rng.choice(CN_TRADES)
            brand = _unique(rng, lambda: "".join(rng.choice(CN_CHARS) for _ in range(rng.choice((2, 3, 4)))), used)
            out.append(_Company(i, True, brand, trade, rng.choice(CN_CITIES), f"{_ascii(rng)}.com.cn", _uscc(rng)))
        else:
            brand = _unique(rng, lambda: "".join(rng.choice(EN_SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))).title(), used)
            trade = rng.choice(EN_INDUSTRY)
            out.append(_Company(i, False, brand, trade, rng.choice(EN_CITIES), f"{brand.lower()}{i}.com", None))
    return out


def _ascii(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(9))


def _company_name(rng: random.Random, c: _Company) -> str:
    if c.cjk:
        place = ""
        roll = rng.random()
        if roll < 0.45:
            place = c.city
        elif roll < 0.55:
            place = c.city + "市"
        elif roll < 0.6 and c.city in CN_PROVINCE_OF:
            place = CN_PROVINCE_OF[c.city] + c.city + "市"
        name = place + c.brand + c.trade
        roll = rng.random()
        if roll < 0.7:
            name += rng.choice(CN_SUFFIXES)
        elif roll < 0.8:
            name = c.brand + c.trade + f"（{c.city}）有限公司"
        if rng.random() < 0.05:
            name = name.replace("有限公司", "有限公司 ")
        return name
    name = f"{c.brand} {c.trade}"
    if rng.random() < 0.15:
        name = "The " + name
    if rng.random() < 0.75:
        name += ("" if rng.random() < 0.5 else ",") + " " + rng.choice(EN_FORMS)
    if rng.random() < 0.3:
        name = name.upper() if rng.random() < 0.5 else name.lower()
    if rng.random() < 0.04 and len(c.trade) > 6:  # typo in the industry word
        pos = rng.randrange(1, len(c.trade) - 1)
        name = name.replace(c.trade, c.trade[:pos] + c.trade[pos + 1 :])
    return name


def _phone(rng: random.Random, number: str) -> str:
    fmt = rng.random()
    if fmt < 0.4:
        return number
    if fmt < 0.6:
        return f"+86 {number[:3]} {number[3:7]} {number[7:]}"
    if fmt < 0.75:
        return f"0086-{number[:3]}-{number[3:7]}-{number[7:]}"
    if fmt < 0.9:
        return f"(+86){number}"
    return f"{number[:3]}-{number[3:7]}-{number[7:]}"


def generate(records: int, seed: int = 7, reps: int = 200) -> World:
    """About ``records`` records over ``records / 2.6`` companies, deterministic for a seed."""
    rng = random.Random(seed)
    users = {f"u{i:03d}": User(id=f"u{i:03d}", name=f"Rep {i}", teams=("key-accounts",) if i < 10 else ())
             for i in range(reps)}
    user_ids = sorted(users)
    companies = _companies(rng, max(1, int(records / 2.6)))
    out: list[Record] = []
    acts: list[Activity] = []
    truth: list[int] = []
    conflicts: set[int] = set()
    modules = [Module.LEADS, Module.CONTACTS, Module.DEALS]
    for c in companies:
        if len(out) >= records:
            break
        size = min(rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6)), records - len(out))
        primary = rng.choice(user_ids)
        second = rng.choice(user_ids) if size > 1 and rng.random() < 0.12 else None
        has_account = size > 1 and rng.random() < 0.35
        account_id = f"A{c.index}"
        people = [_person(rng, c.cjk) for _ in range(rng.choice((1, 2, 3)))]
        active: set[str] = set()
        for k in range(size):
            module = Module.ACCOUNTS if has_account and k == 0 else rng.choice(modules)
            rid = account_id if module == Module.ACCOUNTS else f"{module.value[0]}{c.index}x{k}"
            owner = second if second and k == size - 1 else primary
            person, mobile = rng.choice(people)
            local = "".join(ch for ch in person if ch.isascii() and ch.isalpha()).lower() or f"p{rng.randrange(10**6)}"
            emails: tuple[str, ...] = ()
            if module != Module.ACCOUNTS and rng.random() < 0.7:
                domain = c.domain if rng.random() < 0.6 else rng.choice(FREE_MAIL)
                address = f"{local}{rng.randrange(10**6)}@{domain}" if domain in FREE_MAIL else f"{local}@{domain}"
                emails = (address.upper() if rng.random() < 0.1 else address,)
            phones = (_phone(rng, mobile),) if module != Module.ACCOUNTS and rng.random() < 0.5 else ()
            first, last = (person[1:], person[0]) if c.cjk else tuple(person.split(" ", 1))
            ref = RecordRef(adapter="zoho", module=module, id=rid)
            record: Record = _trusted(Record, dict(
                adapter="zoho", module=module, id=rid, owner_id=owner,
                created_at=NOW - timedelta(days=rng.uniform(5, 200)), modified_at=None,
                assigned_at=None, status=None,
                company=_company_name(rng, c) if rng.random() < 0.95 else None,
                first_name=first if module != Module.ACCOUNTS else None,
                last_name=last if module != Module.ACCOUNTS else None,
                emails=emails, phones=phones,
                website=("https://www." + c.domain) if rng.random() < 0.3 else None,
                tax_id=c.tax_id if c.tax_id and rng.random() < 0.2 else None,
                country="CN" if c.cjk else None,
                city=(c.city + ("市" if rng.random() < 0.3 else "")) if rng.random() < 0.8 else None,
                account_id=account_id if has_account and module != Module.ACCOUNTS and rng.random() < 0.8 else None,
                tags=(), extra=_NO_EXTRA,
            ))  # type: ignore[assignment]
            out.append(record)
            truth.append(c.index)
            for n in range(rng.choice((0, 1, 1, 2, 3))):
                days = rng.uniform(0.5, 90)
                acts.append(_trusted(Activity, dict(  # type: ignore[arg-type]
                    id=f"act{len(acts)}", adapter="zoho", record=ref, owner_id=owner,
                    kind=ActivityKind.CALL if n % 2 == 0 else ActivityKind.EMAIL, occurred_at=NOW - timedelta(days=days),
                    completed=True,
                )))
                if days <= 30:
                    active.add(owner)
            if rng.random() < 0.01:  # poaching: someone else logs a call on this record
                poacher = rng.choice(user_ids)
                acts.append(_trusted(Activity, dict(  # type: ignore[arg-type]
                    id=f"act{len(acts)}", adapter="zoho", record=ref, owner_id=poacher, kind=ActivityKind.CALL,
                    occurred_at=NOW - timedelta(days=rng.uniform(0.5, 20)), completed=True,
                )))
                if poacher != owner:
                    active.add(poacher)
        if len(active) >= 2 and not all("key-accounts" in users[u].teams for u in active):
            conflicts.add(c.index)
    return World(out, acts, users, truth, conflicts)


def _person(rng: random.Random, cjk: bool) -> tuple[str, str]:
    mobile = rng.choice(("138", "139", "150", "186", "177", "199")) + f"{rng.randrange(10**8):08d}"
    if cjk:
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else ""), mobile
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}", mobile
