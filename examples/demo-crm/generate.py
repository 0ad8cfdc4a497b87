"""Generate the demo CRM export (users/records/activities JSON Lines) deterministically.

    python examples/demo-crm/generate.py            # rewrite the files next to this script
    python examples/demo-crm/generate.py --out DIR  # write somewhere else

Every timestamp is an offset from ANCHOR (Friday 2026-11-20, Asia/Shanghai), and the story in
README.md is written for ``--now 2026-11-27T10:00:00+08:00``. The hand-written story records
come first; the "normal, well-handled" filler comes from a seeded random generator.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CST = timezone(timedelta(hours=8))
ANCHOR = datetime(2026, 11, 20, tzinfo=CST)  # a Friday
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=CST)  # the --now the README story is told for
SEED = 20261120

USERS: list[dict[str, Any]] = [
    {
        "id": "u-li",
        "name": "李娜 Li Na",
        "email": "li.na@referee-demo.com",
        "active": True,
        "team": "inside-sales",
        "time_zone": "Asia/Shanghai",
    },
    {
        "id": "u-wang",
        "name": "王强 Wang Qiang",
        "email": "wang.qiang@referee-demo.com",
        "active": True,
        "team": "inside-sales",
        "time_zone": "Asia/Shanghai",
    },
    {
        "id": "u-smith",
        "name": "Emily Smith",
        "email": "emily.smith@referee-demo.com",
        "active": True,
        "team": ["inside-sales", "overseas"],
        "time_zone": "Asia/Singapore",
    },
    {
        "id": "u-chen",
        "name": "陈静 Chen Jing",
        "email": "chen.jing@referee-demo.com",
        "active": True,
        "team": "key-accounts",
        "time_zone": "Asia/Shanghai",
    },
    {
        "id": "u-zhao",
        "name": "赵磊 Zhao Lei",
        "email": "zhao.lei@referee-demo.com",
        "active": True,
        "team": "key-accounts",
        "time_zone": "Asia/Shanghai",
    },
    {
        "id": "u-liu",
        "name": "刘洋 Liu Yang (left 2026-10-31)",
        "email": "liu.yang@referee-demo.com",
        "active": False,
        "team": "inside-sales",
    },
    {"id": "u-pool", "name": "公海 Lead pool", "email": None, "active": True, "team": []},
]

_FIELD_ORDER = (
    "id",
    "module",
    "owner_id",
    "created_at",
    "modified_at",
    "assigned_at",
    "status",
    "company",
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile",
    "website",
    "tax_id",
    "country",
    "city",
    "account_id",
    "tags",
)


def at(days: int, clock: str) -> datetime:
    """ANCHOR + ``days`` at local ``HH:MM`` (UTC+8)."""
    hours, minutes = (int(p) for p in clock.split(":"))
    return ANCHOR + timedelta(days=days, hours=hours, minutes=minutes)


class Demo:
    """Collects records and activities in the order they are written."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.activities: list[dict[str, Any]] = []

    def record(self, id: str, module: str, owner: str, created: datetime, **fields: Any) -> str:
        row = {
            "id": id,
            "module": module,
            "owner_id": owner,
            "created_at": created,
            "modified_at": fields.pop("modified_at", created),
            "assigned_at": fields.pop("assigned_at", created),
            **fields,
        }
        self.records.append(row)
        return id

    def act(self, record_id: str, owner: str, kind: str, when: datetime, completed: bool = True) -> None:
        row = next(r for r in self.records if r["id"] == record_id)
        self.activities.append(
            {
                "id": f"act-{len(self.activities) + 1:04d}",
                "record_id": record_id,
                "module": row["module"],
                "owner_id": owner,
                "kind": kind,
                "occurred_at": when,
                "completed": completed,
            }
        )
        if completed and when > row["modified_at"]:
            row["modified_at"] = when


def story(demo: Demo) -> None:
    """The hand-written situations README.md describes (ids are stable and asserted by tests)."""
    # P1 — duplicate pursuit linked by an identical (normalised) email: Acme, u-smith vs u-wang.
    demo.record(
        "L-1001",
        "Leads",
        "u-smith",
        at(-23, "10:15"),
        status="Contacted",
        company="Acme Inc.",
        first_name="John",
        last_name="Doe",
        email="john.doe@acme.com",
        phone="+1 (415) 555-0134",
        website="https://www.acme.com",
        country="United States",
        city="San Francisco",
        lead_source="Website",
    )
    demo.act("L-1001", "u-smith", "call", at(-23, "11:02"))
    demo.act("L-1001", "u-smith", "email", at(-10, "16:20"))
    demo.act("L-1001", "u-smith", "call", at(4, "09:45"))
    demo.record(
        "C-2001",
        "Contacts",
        "u-wang",
        at(-11, "14:00"),
        company="ACME, Inc",
        first_name="John",
        last_name="Doe",
        email=" John.Doe@ACME.com",
        phone="415-555-0134",
        country="USA",
        lead_source="Trade show",
    )
    demo.act("C-2001", "u-wang", "phone", at(-11, "15:30"))
    demo.act("C-2001", "u-wang", "event", at(-3, "14:00"))

    # P2 — same customer linked only by phone and a fuzzy Chinese company name (free-mail address).
    demo.record(
        "L-1002",
        "Leads",
        "u-li",
        at(-17, "09:20"),
        status="Contacted",
        company="北京字节跳动科技有限公司",
        first_name="伟",
        last_name="张",
        email="zhangwei@bytedance.com",
        phone="+86 138 0013 8000",
        country="中国",
        city="北京",
        lead_source="官网",
    )
    demo.act("L-1002", "u-li", "call", at(-17, "10:05"))
    demo.act("L-1002", "u-li", "meeting", at(-8, "15:00"))
    demo.act("L-1002", "u-li", "call", at(5, "11:30"))
    demo.record(
        "L-1003",
        "Leads",
        "u-wang",
        at(-4, "16:40"),
        status="Contacted",
        company="字节跳动科技",
        last_name="张",
        email="zw_1988@163.com",
        mobile="13800138000",
        city="北京",
        lead_source="展会",
    )
    demo.act("L-1003", "u-wang", "call", at(-4, "17:10"))
    demo.act("L-1003", "u-wang", "call", at(4, "10:20"))

    # P3 — key-accounts co-pursuit of Tencent, linked by the corporate domain tencent.com.
    demo.record(
        "A-3001",
        "Accounts",
        "u-chen",
        at(-60, "10:00"),
        company="腾讯科技（深圳）有限公司",
        website="https://www.tencent.com/zh-cn/",
        tax_id="9144030071526726XG",
        country="中国",
        city="深圳",
        tags=["key-account"],
        industry="Internet",
    )
    demo.record(
        "C-2002",
        "Contacts",
        "u-chen",
        at(-60, "10:30"),
        company="腾讯科技（深圳）有限公司",
        first_name="明",
        last_name="李",
        email="liming@tencent.com",
        phone="+86 755 8601 3388",
        city="深圳",
        account_id="A-3001",
    )
    demo.act("C-2002", "u-chen", "meeting", at(-10, "14:30"))
    demo.act("C-2002", "u-chen", "call", at(3, "11:00"))
    demo.record(
        "L-1004",
        "Leads",
        "u-zhao",
        at(-15, "13:10"),
        status="Contacted",
        company="Tencent",
        first_name="Fang",
        last_name="Wang",
        email="fang.wang@tencent.com",
        website="tencent.com",
        country="China",
        city="Shenzhen",
        lead_source="Referral",
    )
    demo.act("L-1004", "u-zhao", "call", at(-15, "14:00"))
    demo.act("L-1004", "u-zhao", "meeting", at(3, "14:00"))

    # N1/N2 — different customers that share only a free-mail domain: must NOT be linked.
    demo.record(
        "L-1005",
        "Leads",
        "u-li",
        at(-6, "10:00"),
        status="Contacted",
        company="深圳小鱼咖啡有限公司",
        email="xiaoyu2020@qq.com",
        mobile="139 2288 4411",
        city="深圳",
        lead_source="WeChat",
    )
    demo.act("L-1005", "u-li", "call", at(-6, "11:15"))
    demo.act("L-1005", "u-li", "call", at(3, "16:00"))
    demo.record(
        "L-1006",
        "Leads",
        "u-wang",
        at(-5, "09:30"),
        status="Contacted",
        company="杭州青山茶业",
        email="qingshan.tea@qq.com",
        mobile="+86 137 5711 2290",
        city="杭州",
        lead_source="WeChat",
    )
    demo.act("L-1006", "u-wang", "call", at(-5, "10:10"))
    demo.act("L-1006", "u-wang", "email", at(4, "09:00"))
    demo.record(
        "L-1007",
        "Leads",
        "u-smith",
        at(-8, "09:30"),
        status="Contacted",
        company="Blue Harbor Consulting",
        first_name="Mia",
        last_name="Chen",
        email="bh.consult@gmail.com",
        phone="+65 6221 0457",
        country="Singapore",
        lead_source="LinkedIn",
    )
    demo.act("L-1007", "u-smith", "call", at(-8, "11:00"))
    demo.act("L-1007", "u-smith", "meeting", at(5, "15:00"))
    # imported from the old system: naive timestamps, read in [referee] timezone (Asia/Shanghai)
    demo.records[-1]["created_at"] = demo.records[-1]["assigned_at"] = "2026-11-12 09:30:00"
    demo.record(
        "C-2003",
        "Contacts",
        "u-zhao",
        at(-20, "15:00"),
        company="Redwood Analytics",
        first_name="Sam",
        last_name="Reed",
        email="redwood.data@gmail.com",
        phone="(212) 555-0198",
        country="United States",
    )
    demo.act("C-2003", "u-zhao", "call", at(2, "21:00"))

    # N3 — same email as C-2005, but u-smith stopped working it 50+ days ago: not an active pursuit.
    demo.record(
        "C-2004",
        "Contacts",
        "u-smith",
        at(-70, "10:00"),
        company="Globex Corp",
        first_name="Hank",
        last_name="Scorpio",
        email="h.scorpio@globex.com",
        country="United States",
    )
    demo.act("C-2004", "u-smith", "call", at(-52, "10:30"))
    demo.record(
        "C-2005",
        "Contacts",
        "u-chen",
        at(-9, "11:00"),
        company="Globex Corporation",
        first_name="Hank",
        last_name="Scorpio",
        email="H.Scorpio@globex.com",
        phone="+1 212 555 0142",
        country="USA",
    )
    demo.act("C-2005", "u-chen", "meeting", at(1, "10:00"))

    # N4 — same person twice, but one owner: no conflict.
    demo.record(
        "L-1009",
        "Leads",
        "u-li",
        at(-12, "14:00"),
        status="Qualified",
        company="美瑞物流（上海）有限公司",
        first_name="慧",
        last_name="陈",
        email="chen.hui@meridian-logistics.cn",
        phone="021-6888 1234",
        city="上海",
        lead_source="官网",
    )
    demo.act("L-1009", "u-li", "call", at(-12, "15:20"))
    demo.act("L-1009", "u-li", "call", at(2, "10:00"))
    demo.record(
        "C-2006",
        "Contacts",
        "u-li",
        at(-2, "16:00"),
        company="美瑞物流",
        first_name="慧",
        last_name="陈",
        email="chen.hui@meridian-logistics.cn",
        phone="+86 21 6888 1234",
        city="上海",
    )
    demo.act("C-2006", "u-li", "email", at(-2, "16:30"))

    # N5 — orphaned lead of a rep who left (inactive user).
    demo.record(
        "L-1013",
        "Leads",
        "u-liu",
        at(-36, "10:00"),
        status="Contacted",
        company="Umbrella Pharma Co.",
        first_name="Alice",
        last_name="Marcus",
        email="a.marcus@umbrella-pharma.com",
        phone="+44 20 7946 0321",
        country="United Kingdom",
        lead_source="Website",
    )
    demo.act("L-1013", "u-liu", "call", at(-36, "11:00"))
    demo.act("L-1013", "u-liu", "email", at(-21, "17:00"))

    # S1 — assigned Friday evening; the owner only scheduled a Monday call task and never did it.
    demo.record(
        "L-1020",
        "Leads",
        "u-li",
        at(0, "19:30"),
        status="Contacted",
        company="上海云杉数据科技有限公司",
        first_name="磊",
        last_name="周",
        email="zhoulei@yunshan-data.cn",
        mobile="186 2150 7788",
        city="上海",
        lead_source="官网",
    )
    demo.act("L-1020", "u-li", "task", at(3, "09:00"), completed=False)  # planned, never done
    # S2 — only a colleague (u-li) called; the owner u-wang never did.
    demo.record(
        "L-1021",
        "Leads",
        "u-wang",
        at(4, "10:00"),
        status="Not Contacted",
        company="Northwind Traders Ltd",
        first_name="Nancy",
        last_name="Davolio",
        email="nancy.davolio@northwind-traders.co.uk",
        phone="+44 161 496 0718",
        country="United Kingdom",
        lead_source="Website",
    )
    demo.act("L-1021", "u-li", "call", at(4, "15:00"))
    # S3 — assigned Wednesday morning, nobody has touched it since.
    demo.record(
        "L-1022",
        "Leads",
        "u-smith",
        at(5, "09:00"),
        status="Not Contacted",
        company="Initech LLC",
        first_name="Bill",
        last_name="Lumbergh",
        email="bill.lumbergh@initech.com",
        phone="+1 512 555 0170",
        country="United States",
        lead_source="Cold Call",
    )
    # S6 — assigned Monday 09:00, first called Tuesday 11:00: 1.5 business hours after the
    # 8-business-hour deadline (Tue 09:30). A late first contact: reported, never reassigned.
    demo.record(
        "L-1024",
        "Leads",
        "u-wang",
        at(3, "09:00"),
        status="Contacted",
        company="杭州西溪智能科技有限公司",
        first_name="敏",
        last_name="周",
        email="zhoumin@xixi-ai.cn",
        mobile="13757112468",
        city="杭州",
        lead_source="官网",
    )
    demo.act("L-1024", "u-wang", "call", at(4, "11:00"))
    demo.act("L-1024", "u-wang", "email", at(5, "14:00"))
    # S4 — contacted promptly, then silent for 14 days.
    demo.record(
        "L-1023",
        "Leads",
        "u-zhao",
        at(-18, "10:00"),
        status="Contacted",
        company="成都熊猫文创有限公司",
        first_name="芳",
        last_name="刘",
        email="liufang@panda-wenchuang.cn",
        mobile="13608012345",
        city="成都",
        lead_source="展会",
    )
    demo.act("L-1023", "u-zhao", "call", at(-18, "11:30"))
    demo.act("L-1023", "u-zhao", "email", at(-14, "09:15"))
    demo.act("L-1023", "u-zhao", "call", at(-7, "16:00"))
    # S5 — a Deal stuck in "Qualification" since 2026-10-29.
    demo.record(
        "A-3002",
        "Accounts",
        "u-chen",
        at(-45, "10:00"),
        company="苏州恒瑞精密机械有限公司",
        website="www.hengrui-precision.cn",
        tax_id="91320594MA1N8K2Q7B",
        country="中国",
        city="苏州",
        industry="Manufacturing",
    )
    demo.record(
        "D-4001",
        "Deals",
        "u-chen",
        at(-22, "14:00"),
        status="Qualification",
        company="苏州恒瑞精密机械有限公司",
        account_id="A-3002",
        amount=680000,
        currency="CNY",
        deal_name="恒瑞精密 - 产线改造",
        status_changed_at=at(-22, "14:00"),
    )
    demo.act("D-4001", "u-chen", "call", at(-16, "10:00"))
    # Pool — arrived overnight through the web form, not yet assigned to a rep (14h old at --now).
    demo.record(
        "L-1030",
        "Leads",
        "u-pool",
        at(6, "20:00"),
        status="Not Contacted",
        company="Stark Industries",
        first_name="Pepper",
        last_name="Potts",
        email="pepper.potts@stark-industries.com",
        phone="+1 (310) 555-0111",
        country="United States",
        lead_source="Website",
    )


EN_COMPANIES = [
    ("Aperture Science Labs", "aperture-labs.com"),
    ("Vandelay Industries", "vandelay.com"),
    ("Soylent Foods Inc.", "soylentfoods.com"),
    ("Hooli Cloud Ltd", "hooli.io"),
    ("Wayne Logistics", "waynelogistics.com"),
    ("Cyberdyne Robotics", "cyberdyne.ai"),
    ("Gringotts Capital", "gringotts.co.uk"),
    ("Oceanic Air Cargo", "oceanic-cargo.com"),
    ("Pied Piper GmbH", "piedpiper.de"),
    ("Tyrell Biotech", "tyrellbio.com"),
    ("Wonka Confectionery", "wonka-sweets.com"),
    ("Massive Dynamic", "massivedynamic.com"),
]
CN_COMPANIES = [
    ("杭州云栖网络科技有限公司", "yunqi-tech.cn", "杭州"),
    ("深圳市大鹏智能硬件有限公司", "dapeng-hw.com", "深圳"),
    ("广州岭南食品集团", "lingnan-food.cn", "广州"),
    ("南京金陵软件股份有限公司", "jinling-soft.com", "南京"),
    ("武汉长江新材料有限公司", "cj-materials.cn", "武汉"),
    ("西安秦岭医疗器械有限公司", "qinling-med.cn", "西安"),
    ("青岛海岸电子（中国）有限公司", "haian-elec.com", "青岛"),
    ("厦门鹭岛物流有限公司", "ludao-logistics.cn", "厦门"),
    ("天津渤海化工股份有限公司", "bohai-chem.cn", "天津"),
    ("重庆山城汽车配件有限公司", "shancheng-auto.cn", "重庆"),
    ("苏州园林文旅集团", "yuanlin-travel.cn", "苏州"),
    ("长沙湘江教育科技有限公司", "xiangjiang-edu.cn", "长沙"),
    ("合肥科大讯达信息技术有限公司", "xunda-it.cn", "合肥"),
    ("宁波港湾贸易有限公司", "ganwan-trade.cn", "宁波"),
    ("昆明彩云农业科技有限公司", "caiyun-agri.cn", "昆明"),
    ("大连海星渔业有限公司", "haixing-fish.cn", "大连"),
]
EN_PEOPLE = [
    ("Olivia", "Brown"),
    ("Liam", "Wilson"),
    ("Ava", "Taylor"),
    ("Noah", "Anderson"),
    ("Sophia", "Thomas"),
    ("Lucas", "Martin"),
    ("Isla", "Clarke"),
    ("Ethan", "Wright"),
]
CN_PEOPLE = [
    ("婷", "王"),
    ("杰", "李"),
    ("敏", "张"),
    ("勇", "刘"),
    ("静", "杨"),
    ("涛", "黄"),
    ("丽", "赵"),
    ("超", "吴"),
    ("霞", "周"),
    ("斌", "徐"),
    ("燕", "孙"),
    ("鹏", "马"),
]
PINYIN = {
    "王": "wang",
    "李": "li",
    "张": "zhang",
    "刘": "liu",
    "杨": "yang",
    "黄": "huang",
    "赵": "zhao",
    "吴": "wu",
    "周": "zhou",
    "徐": "xu",
    "孙": "sun",
    "马": "ma",
    "婷": "ting",
    "杰": "jie",
    "敏": "min",
    "勇": "yong",
    "静": "jing",
    "涛": "tao",
    "丽": "li",
    "超": "chao",
    "霞": "xia",
    "斌": "bin",
    "燕": "yan",
    "鹏": "peng",
}
LEAD_SOURCES = ["官网", "展会", "Website", "Referral", "WeChat", "Partner"]
REPS = ["u-li", "u-wang", "u-smith"]
KEY_REPS = ["u-chen", "u-zhao"]


def _phone(rng: random.Random, chinese: bool, serial: int) -> str:
    if not chinese:
        return rng.choice(["+1 (628) 555-{:04d}", "+44 20 7946 {:04d}", "+49 30 {:04d} 5500"]).format(
            1000 + serial
        )
    digits = f"1{rng.choice('3589')}{rng.randint(0, 9)}{serial:04d}{rng.randint(1000, 9999)}"
    style = serial % 4
    if style == 0:
        return f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"
    if style == 1:
        return digits
    if style == 2:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))  # typed in full-width


def _business_time(rng: random.Random, day: int) -> datetime:
    base = ANCHOR + timedelta(days=day)
    while base.weekday() >= 5:
        base += timedelta(days=1)
    return base + timedelta(hours=rng.randint(9, 16), minutes=rng.choice([0, 10, 20, 30, 40, 50]))


def _follow_ups(demo: Demo, rng: random.Random, record_id: str, owner: str, start: datetime) -> None:
    """A well-handled record: first contact within hours, then regular touches up to --now."""
    when = start + timedelta(minutes=rng.randint(20, 300))
    demo.act(record_id, owner, rng.choice(["call", "call", "Phone Call", "email"]), when)
    while True:
        when += timedelta(days=rng.randint(2, 5), hours=rng.randint(-3, 3))
        if when >= NOW - timedelta(hours=2):
            break
        demo.act(record_id, owner, rng.choice(["call", "email", "meeting", "event", "task"]), when)
    last = max(a["occurred_at"] for a in demo.activities if a["record_id"] == record_id)
    if NOW - last > timedelta(days=4):
        demo.act(record_id, owner, "call", NOW - timedelta(hours=rng.randint(3, 30)))


def filler(demo: Demo, rng: random.Random) -> None:
    """Normal, well-handled records: unique customers, one owner each, prompt and regular contact."""
    cn = list(CN_COMPANIES)
    en = list(EN_COMPANIES)
    rng.shuffle(cn)
    rng.shuffle(en)
    serial = 0
    # 7 accounts, each with contacts and a deal, all owned by one key-accounts rep
    for n, (company, domain, city) in enumerate(cn[:5] + [(c, d, None) for c, d in en[:2]]):
        serial += 1
        owner = KEY_REPS[n % 2]
        chinese = city is not None
        created = _business_time(rng, -rng.randint(40, 90))
        account = demo.record(
            f"A-{3100 + n}",
            "Accounts",
            owner,
            created,
            company=company,
            website=f"https://www.{domain}",
            country="中国" if chinese else "United States",
            city=city,
            industry=rng.choice(["Manufacturing", "Retail", "Software", "Logistics"]),
        )
        for k in range(1 + (n < 2)):
            first, last = (CN_PEOPLE if chinese else EN_PEOPLE)[(2 * n + k) % (12 if chinese else 8)]
            local = f"{PINYIN[first]}.{PINYIN[last]}" if chinese else f"{first}.{last}".lower()
            email = f"{local}@{domain}"
            contact = demo.record(
                f"C-{2100 + 2 * n + k}",
                "Contacts",
                owner,
                created + timedelta(hours=2),
                company=company if k == 0 else company.replace("有限公司", ""),
                first_name=first,
                last_name=last,
                email=email.upper() if n == 3 and k == 0 else email,
                phone=_phone(rng, chinese, serial * 10 + k),
                city=city,
                account_id=account,
            )
            _follow_ups(demo, rng, contact, owner, _business_time(rng, -rng.randint(8, 20)))
        stage, entered = rng.choice(
            [("Needs Analysis", 9), ("Proposal", 6), ("Negotiation", 3), ("Closed Won", 1)]
        )
        deal_start = _business_time(rng, -rng.randint(15, 30))
        deal = demo.record(
            f"D-{4100 + n}",
            "Deals",
            owner,
            deal_start,
            status=stage,
            company=company,
            account_id=account,
            amount=rng.randrange(50_000, 900_000, 10_000),
            currency="CNY" if chinese else "USD",
            deal_name=f"{company} - 2027 rollout",
            status_changed_at=_business_time(rng, -entered),
        )
        _follow_ups(demo, rng, deal, owner, deal_start)
    # 14 leads for inside sales (and one key-accounts rep), assigned over the last two weeks
    leads = [pair for both in zip(cn[5:], [(c, d, None) for c, d in en[2:]], strict=False) for pair in both]
    for n, (company, domain, city) in enumerate(leads[:14]):
        serial += 1
        chinese = city is not None
        owner = [*REPS, "u-zhao"][n % 4]
        first, last = (CN_PEOPLE if chinese else EN_PEOPLE)[n % (12 if chinese else 8)]
        local = f"{PINYIN[last]}{PINYIN[first]}" if chinese else f"{first[0]}.{last}".lower()
        created = _business_time(rng, -rng.randint(0, 12))
        lead = demo.record(
            f"L-{1100 + n}",
            "Leads",
            owner,
            created,
            status=rng.choice(["Contacted", "Qualified"]),
            company=company,
            first_name=first,
            last_name=last,
            email=f"{local}@{domain}",
            mobile=_phone(rng, chinese, serial * 10),
            website=domain if n % 3 == 0 else None,
            country="中国" if chinese else rng.choice(["United States", "Germany", "UK"]),
            city=city,
            lead_source=rng.choice(LEAD_SOURCES),
            tags=["hot"] if n % 5 == 0 else None,
        )
        _follow_ups(demo, rng, lead, owner, created)


def build() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    demo = Demo()
    story(demo)
    filler(demo, random.Random(SEED))
    activities = sorted(demo.activities, key=lambda a: (a["occurred_at"], a["id"]))
    return USERS, demo.records, activities


def _line(row: dict[str, Any]) -> str:
    ordered = {k: row[k] for k in _FIELD_ORDER if k in row}
    ordered.update({k: v for k, v in row.items() if k not in ordered})
    clean = {
        k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in ordered.items() if v is not None
    }
    return json.dumps(clean, ensure_ascii=False) + "\n"


def write(out: Path) -> Iterator[Path]:
    users, records, activities = build()
    for name, rows in (("users", users), ("records", records), ("activities", activities)):
        path = out / f"{name}.jsonl"
        path.write_text("".join(_line(r) for r in rows), encoding="utf-8")
        yield path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in write(args.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
