"""A generated demo data set: Chinese customers spread over four silos.

Each real person may appear in the ERP, the marketing platform, the call centre and
WeCom, each copy written the way that silo writes it: mobile as ``+86 138-0013-8000`` or
``13800138000`` or in full-width digits, 有限公司 vs 有限责任公司, traditional characters,
a typo in a name, missing fields, and a few records no rule can accept. Deterministic for
a given seed, so two demo runs land the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from opencc import OpenCC

from quality.formats import USCC_ALPHABET, uscc_check_char

__all__ = ["DemoData", "generate"]

_s2t = OpenCC("s2t")
CST = timezone(timedelta(hours=8))
AS_OF = datetime(2026, 10, 31, 18, 0, tzinfo=CST)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲兰飞鹏辉建国志宇浩然子"
    "轩梓涵欣怡思远晨阳雨桐佳琪俊杰文博一鸣嘉怡诗涵雪梅海燕春生德华立新永庆"
)
# characters people mistype for each other (same or similar pinyin)
TYPO = {
    "伟": "玮",
    "明": "铭",
    "杰": "洁",
    "静": "婧",
    "丽": "莉",
    "军": "君",
    "华": "桦",
    "涛": "韬",
    "磊": "蕾",
    "敏": "民",
    "芳": "方",
    "强": "蔷",
    "鹏": "朋",
    "宇": "雨",
}
REGIONS = [
    ("北京市", "北京市", ["海淀区", "朝阳区", "东城区", "丰台区"]),
    ("上海市", "上海市", ["浦东新区", "徐汇区", "静安区", "闵行区"]),
    ("广东省", "广州市", ["天河区", "越秀区", "海珠区"]),
    ("广东省", "深圳市", ["南山区", "福田区", "宝安区"]),
    ("浙江省", "杭州市", ["西湖区", "滨江区", "余杭区"]),
    ("江苏省", "南京市", ["鼓楼区", "玄武区", "江宁区"]),
    ("四川省", "成都市", ["武侯区", "锦江区", "高新区"]),
    ("湖北省", "武汉市", ["洪山区", "武昌区", "江汉区"]),
]
STREETS = ["中山路", "人民路", "解放路", "建设路", "科技园路", "滨河大道", "长江路", "和平街"]
BRANDS = [
    "星辰",
    "华创",
    "远航",
    "蓝海",
    "云帆",
    "鼎盛",
    "恒通",
    "启明",
    "博雅",
    "金石",
    "新元",
    "瑞丰",
]
TRADES = ["科技", "贸易", "信息技术", "电子", "生物科技", "物流", "文化传媒", "机械制造"]
STAFF = ["zhangsan", "lisi", "wangwu", "zhaoliu", "sunqi"]
DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "example.cn", "foxmail.com"]
LATIN = "abcdefghijklmnopqrstuvwxyz"
# allocated mainland mobile prefixes, so every generated number is a valid one
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
]


@dataclass
class DemoData:
    people: list[dict[str, Any]]  # the truth, one per real customer
    silos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.silos.items()}


def _uscc(rng: random.Random, region: str) -> str:
    body = "91" + region + "".join(rng.choice(USCC_ALPHABET) for _ in range(10))
    body = body[:17]
    return body + uscc_check_char(body)


def _person(rng: random.Random, i: int) -> dict[str, Any]:
    company = rng.random() < 0.2
    province, city, districts = rng.choice(REGIONS)
    district = rng.choice(districts)
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    mobile = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
    handle = "".join(rng.choice(LATIN) for _ in range(rng.randint(4, 8))) + str(rng.randint(1, 999))
    created = AS_OF - timedelta(days=rng.randint(30, 900), minutes=rng.randint(0, 1440))
    person: dict[str, Any] = {
        "id": f"P{i:06d}",
        "customer_type": "company" if company else "person",
        "name": name,
        "mobile": mobile,
        "email": f"{handle}@{rng.choice(DOMAINS)}",
        "province": province,
        "city": city,
        "district": district,
        "address": f"{rng.choice(STREETS)}{rng.randint(1, 999)}号",
        "owner": rng.choice(STAFF),
        "created_at": created.isoformat(),
        "updated_at": min(created + timedelta(days=rng.randint(0, 25)), AS_OF).isoformat(),
    }
    if company:
        brand = rng.choice(BRANDS) + rng.choice(BRANDS)[0]
        person["company_name"] = f"{city.removesuffix('市')}{brand}{rng.choice(TRADES)}有限公司"
        person["uscc"] = _uscc(rng, "110108")
        person["name"] = name  # the contact person
    return person


def _mobile_as_written(rng: random.Random, mobile: str) -> str:
    style = rng.random()
    if style < 0.35:
        return mobile
    if style < 0.55:
        return f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
    if style < 0.7:
        return f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"
    if style < 0.8:
        return "0086" + mobile
    if style < 0.9:
        return mobile.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"})  # full-width
    return f"+86{mobile}"


def _noisy(rng: random.Random, person: dict[str, Any], silo: str) -> dict[str, Any]:
    copy = {k: v for k, v in person.items() if k not in ("orders", "calls")}
    copy["mobile"] = _mobile_as_written(rng, person["mobile"])
    if rng.random() < 0.08:
        copy["name"] = _s2t.convert(copy["name"])
        if copy.get("company_name"):
            copy["company_name"] = _s2t.convert(copy["company_name"])
    if rng.random() < 0.05:
        given = copy["name"][1:]
        for ch in given:
            if ch in TYPO:
                copy["name"] = copy["name"][0] + given.replace(ch, TYPO[ch], 1)
                break
    if copy.get("company_name"):
        r = rng.random()
        if r < 0.3:
            copy["company_name"] = copy["company_name"].replace("有限公司", "有限责任公司")
        elif r < 0.45:
            # 北京星辰科技有限公司 -> 星辰科技(北京)有限公司
            city = person["city"].removesuffix("市")
            rest = copy["company_name"].removeprefix(city).removesuffix("有限公司")
            copy["company_name"] = f"{rest}({city})有限公司"
    if rng.random() < 0.15:
        copy["email"] = copy["email"].upper() if rng.random() < 0.5 else None
    if rng.random() < 0.1 and silo != "wecom":
        copy["mobile"] = None
    if rng.random() < 0.3:
        copy.pop("address", None)
    shift = timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600))
    copy["updated_at"] = min(
        datetime.fromisoformat(person["updated_at"]) + shift, AS_OF
    ).isoformat()
    return {k: v for k, v in copy.items() if v is not None}


def _orders(rng: random.Random, person: dict[str, Any]) -> list[dict[str, Any]]:
    n = rng.choice((0, 1, 1, 2, 3, 5, 8))
    first = datetime.fromisoformat(person["created_at"])
    orders = []
    for k in range(n):
        day = first + timedelta(days=rng.randint(1, max(2, (AS_OF - first).days)))
        amount = round(rng.uniform(99, 20000 if person["customer_type"] == "company" else 3000), 2)
        orders.append(
            {"no": f"SO{person['id'][1:]}{k:02d}", "date": day.date().isoformat(), "amount": amount}
        )
    return sorted(orders, key=lambda o: o["date"])


def _calls(rng: random.Random, person: dict[str, Any]) -> list[dict[str, Any]]:
    calls = []
    for k in range(rng.randint(1, 4)):
        at = AS_OF - timedelta(days=rng.randint(0, 200), minutes=rng.randint(0, 1440))
        calls.append(
            {
                "id": f"CDR{person['id'][1:]}{k}",
                "at": at.isoformat(),
                "agent": str(1000 + rng.randint(1, 30)),
                "direction": rng.choice(("in", "in", "out")),
                "duration": rng.randint(10, 900),
            }
        )
    return calls


def _malformed(rng: random.Random, i: int, silo: str) -> dict[str, Any]:
    """Records no rule can accept: no contact at all, or a 12-digit mobile."""
    base = {
        "id": f"X{silo}{i:04d}",
        "customer_type": "person",
        "created_at": AS_OF.isoformat(),
        "updated_at": AS_OF.isoformat(),
        "owner": "lisi",
    }
    if i % 2 == 0:
        return {**base, "name": rng.choice(SURNAMES) + rng.choice(GIVEN)}
    return {
        **base,
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "mobile": f"1{rng.randrange(10**11):011d}",
    }


SHARE = {"erp": 0.45, "marketing": 0.5, "callcenter": 0.35, "wecom": 0.4}


def generate(n_people: int = 2500, *, seed: int = 20261125) -> DemoData:
    rng = random.Random(seed)
    people = [_person(rng, i) for i in range(n_people)]
    data = DemoData(people=people, silos={name: [] for name in SHARE})
    for person in people:
        silos = [s for s, share in SHARE.items() if rng.random() < share]
        if not silos:
            silos = [rng.choice(list(SHARE))]
        for silo in silos:
            copy = _noisy(rng, person, silo)
            if silo == "erp":
                copy["orders"] = _orders(rng, person)
            elif silo == "callcenter":
                copy["calls"] = _calls(rng, person)
            elif silo == "wecom":
                copy["external_userid"] = "wm" + f"{rng.getrandbits(96):024x}"
                if rng.random() < 0.6:
                    copy["unionid"] = "o" + f"{rng.getrandbits(110):028x}"
                copy["tags"] = rng.sample(
                    ["意向客户", "老客户", "展会", "直播"], k=rng.randint(0, 2)
                )
            data.silos[silo].append(copy)
    for silo in SHARE:
        for i in range(max(2, n_people // 250)):
            bad = _malformed(rng, i, silo)
            if silo == "wecom":
                bad["external_userid"] = "wm" + f"{rng.getrandbits(96):024x}"
                bad.pop("mobile", None)
            if silo == "erp":
                bad["orders"] = []
            if silo == "callcenter":
                bad["calls"] = []
            data.silos[silo].append(bad)
    return data
