"""Chinese people, addresses and companies, shared by the cn_b2b and cn_retail flavours:
names (with pinyin renderings), office and home addresses, industries, brands, legal forms,
job titles, personal mail domains and well-known companies."""

from __future__ import annotations

from dataclasses import dataclass

from .cn_tables import (
    BUILDING_KINDS,
    BUILDING_STEMS,
    CANTONESE,
    CN_DOUBLE_F,
    CN_DOUBLE_M,
    CN_F_FIRST,
    CN_M_FIRST,
    CN_SINGLE_F,
    CN_SINGLE_M,
    ESTATE_KINDS,
    HOMO,
    NEAR_FORM,
    STREET_STEMS,
    STREET_SUFFIX,
    SURNAME_W,
    CnCity,
    cn_numeral,
    cn_typo,
    lue,
    py_of,
    to_trad,
)
from .core import Rng, System, Weighted, fw_digits, zipf

# =============================================================================================
# Chinese people, addresses, companies
# =============================================================================================


@dataclass
class CnName:
    sur: str
    given: str
    male: bool
    english: str = ""
    cantonese: bool = False

    @property
    def full(self) -> str:
        return self.sur + self.given


def cn_new_name(rng: Rng, male: bool, common_bias: float = 0.6) -> CnName:
    sur = SURNAME_W.draw(rng)
    r = rng.random()
    if r < common_bias * 0.55:
        given = (CN_SINGLE_M if male else CN_SINGLE_F).draw(rng)
    elif r < common_bias:
        given = (CN_DOUBLE_M if male else CN_DOUBLE_F).draw(rng)
    else:
        first = rng.pick(CN_M_FIRST if male else CN_F_FIRST)
        given = first + (CN_SINGLE_M if male else CN_SINGLE_F).draw(rng)
    return CnName(sur, given, male)


def cn_pinyin_name(n: CnName, rng: Rng) -> str:
    """Romanised renderings used by international CRMs, passports, login names."""
    sur = lue(" ".join(py_of(n.sur)).replace(" ", ""), rng)
    syl = [lue(x, rng) for x in py_of(n.given)]
    given = "".join(syl)
    if n.english and rng.p(0.75):
        s = CANTONESE.get(n.sur, sur.capitalize()) if n.cantonese else sur.capitalize()
        return rng.wpick(
            [
                (f"{n.english} {s}", 6),
                (f"{n.english} {s.upper()}", 2),
                (f"{s} {n.english}", 1),
                (
                    f"{n.english} {s} {given.capitalize()}"
                    if not n.cantonese
                    else f"{n.english} {s}",
                    1,
                ),
                (f"{n.full} {n.english}", 2),
                (f"{n.english} {n.full}", 1),
                (f"{n.english}({n.full})", 1),
                (f"{s}, {n.english}", 1),
            ]
        )
    g_cap = given.capitalize()
    g_split = " ".join(x.capitalize() for x in syl)
    g_hyph = "-".join(x.capitalize() if i == 0 else x for i, x in enumerate(syl))
    S = sur.capitalize()
    return rng.wpick(
        [
            (f"{S} {g_cap}", 6),
            (f"{sur.upper()} {g_cap}", 3),
            (f"{g_cap} {S}", 5),
            (f"{sur.upper()} {given.upper()}", 2),
            (f"{S} {g_split}", 1),
            (f"{S}, {g_cap}", 1),
            (f"{g_hyph} {S}", 1),
            (f"{sur}{given}", 1),
            (f"{g_split} {S}", 0.5),
        ]
    )


@dataclass
class CnAddr:
    city: CnCity
    district: tuple[str, str]
    street: tuple[str, str]  # (hanzi, english)
    num: int
    place: tuple[str, str]  # building or estate name (hanzi, english); may be ("", "")
    residential: bool
    block: int  # 栋
    unit: int  # 单元
    floor: int
    room: int
    postcode: str


def cn_new_street(rng: Rng) -> tuple[str, str]:
    stem, stem_en = rng.pick(STREET_STEMS)
    suf, suf_en, _ = rng.choices(STREET_SUFFIX, weights=[s[2] for s in STREET_SUFFIX])[0]
    return stem + suf, f"{stem_en} {suf_en}"


def cn_new_office(rng: Rng, city: CnCity, brand: tuple[str, str] | None = None) -> CnAddr:
    dist_i = rng.randrange(len(city.districts))
    if brand and rng.p(0.25):
        place = (brand[0] + "大厦", brand[1].capitalize() + " Building")
    elif rng.p(0.85):
        st, st_en = rng.pick(BUILDING_STEMS)
        k, k_en = rng.choices(BUILDING_KINDS, weights=[5, 3, 2, 2, 1, 1, 1])[0]
        place = (st + k, f"{st_en} {k_en}")
    else:
        place = ("", "")
    floor = rng.randint(2, 38)
    return CnAddr(
        city,
        city.districts[dist_i],
        cn_new_street(rng),
        rng.randint(1, 999),
        place,
        False,
        rng.randint(1, 6) if rng.p(0.3) else 0,
        0,
        floor,
        floor * 100 + rng.randint(1, 20),
        str(city.postcode + 10 * (dist_i + 1) + rng.randint(0, 9)),
    )


def cn_new_home(rng: Rng, city: CnCity, estate: CnAddr | None = None) -> CnAddr:
    """A flat; if `estate` is given, a different flat in the same 小区 (neighbours)."""
    if estate is None:
        dist_i = rng.randrange(len(city.districts))
        st, st_en = rng.pick(BUILDING_STEMS + STREET_STEMS)
        kind = rng.pick(ESTATE_KINDS)
        estate = CnAddr(
            city,
            city.districts[dist_i],
            cn_new_street(rng),
            rng.randint(1, 1500),
            (st + kind, st_en),
            True,
            0,
            0,
            0,
            0,
            str(city.postcode + 10 * (dist_i + 1) + rng.randint(0, 9)),
        )
    floor = rng.randint(1, 33)
    return CnAddr(
        estate.city,
        estate.district,
        estate.street,
        estate.num,
        estate.place,
        True,
        rng.randint(1, 30),
        rng.randint(1, 4),
        floor,
        floor * 100 + rng.randint(1, 4),
        estate.postcode,
    )


def cn_render_addr(a: CnAddr, rng: Rng, s: System) -> str:
    """One rendering of an address; `s.noise` picks which deviations happen."""
    c = a.city
    if rng.p(s.n("addr_english")):
        unit = f"Room {a.room}, " if not a.residential else f"Flat {a.room}, Block {a.block}, "
        place = f"{a.place[1]}, " if a.place[1] else ""
        return (
            f"{unit}{place}No.{a.num} {a.street[1]}, {a.district[1]} District, {c.pinyin}"
            f"{', China' if rng.p(0.5) else ''}"
        )
    parts: list[str] = []
    if c.province and rng.p(s.noise.get("addr_province", 0.5)):
        parts.append(c.province if not rng.p(0.3) else c.province.rstrip("省"))
    if not rng.p(s.n("addr_no_city")):
        parts.append(c.name + ("市" if rng.p(0.8) else ""))
    partial = rng.p(s.n("addr_partial"))
    parts.append(a.district[0] if not rng.p(0.1) else a.district[0].rstrip("区"))
    if not partial:
        parts.append(a.street[0])
        parts.append(
            f"{a.num}"
            + rng.wpick([("号", 10), ("#", 1), ("", 1), ("弄" if a.residential else "号", 1)])
        )
        if a.residential:
            if a.place[0] and rng.p(0.85):
                parts.append(a.place[0])
            parts.append(
                rng.wpick(
                    [
                        (f"{a.block}栋{a.unit}单元{a.room}室", 4),
                        (f"{a.block}号楼{a.unit}单元{a.room}", 3),
                        (f"{a.block}-{a.unit}-{a.room}", 3),
                        (f"{a.block}幢{a.room}室", 1),
                        (f"{a.block}栋{a.room}", 2),
                        (f"{a.block}栋", 0.5),
                    ]
                )
            )
        else:
            if a.place[0] and rng.p(0.8):
                parts.append(a.place[0] + (f"{a.block}号楼" if a.block and rng.p(0.6) else ""))
            fl = a.floor
            parts.append(
                rng.wpick(
                    [
                        (f"{fl}楼{a.room}室", 3),
                        (f"{fl}层{a.room}", 2),
                        (f"{a.room}室", 3),
                        (f"{fl}F", 1),
                        (f"{cn_numeral(fl)}楼", 1),
                        (f"{fl}层", 1),
                        (f"-{a.room}", 0.5),
                        ("", 1),
                    ]
                )
            )
    sep = " " if rng.p(s.n("addr_spaces")) else ""
    out = sep.join(p for p in parts if p)
    if rng.p(s.n("addr_postcode")):
        out = rng.pick([f"{out}（邮编{a.postcode}）", f"{a.postcode} {out}", f"{out} {a.postcode}"])
    if rng.p(s.n("addr_typo")):
        out = cn_typo(out, rng, NEAR_FORM if rng.p(0.5) else HOMO)
    if rng.p(s.n("trad")):
        out = to_trad(out)
    if rng.p(s.n("fullwidth")):
        out = fw_digits(out)
    return out


#: industry taxonomy: canonical key -> label in each system's code list
INDUSTRIES: dict[str, dict[str, str]] = {
    "it": {"crm": "信息技术", "erp": "信息传输、软件和信息技术服务业", "mkt": "IT/互联网"},
    "mfg": {"crm": "制造业", "erp": "制造业", "mkt": "工业制造"},
    "trade": {"crm": "批发零售", "erp": "批发和零售业", "mkt": "零售/电商"},
    "health": {"crm": "医疗健康", "erp": "卫生和社会工作", "mkt": "医疗/医药"},
    "logi": {"crm": "交通物流", "erp": "交通运输、仓储和邮政业", "mkt": "物流/运输"},
    "build": {"crm": "建筑地产", "erp": "建筑业", "mkt": "房地产/建筑"},
    "energy": {"crm": "能源环保", "erp": "电力、热力、燃气及水生产和供应业", "mkt": "能源/环保"},
    "media": {"crm": "文化传媒", "erp": "文化、体育和娱乐业", "mkt": "媒体/广告"},
    "biz": {"crm": "商务服务", "erp": "租赁和商务服务业", "mkt": "咨询/服务"},
    "fin": {"crm": "金融", "erp": "金融业", "mkt": "金融/投资"},
}
INDUSTRY_WORDS: list[tuple[str, str, str]] = [
    ("科技", "Technology", "it"),
    ("网络科技", "Network Technology", "it"),
    ("信息技术", "Information Technology", "it"),
    ("软件", "Software", "it"),
    ("电子", "Electronics", "mfg"),
    ("机械设备", "Machinery Equipment", "mfg"),
    ("实业", "Industrial", "mfg"),
    ("汽车零部件", "Auto Parts", "mfg"),
    ("食品", "Food", "mfg"),
    ("贸易", "Trading", "trade"),
    ("商贸", "Commerce and Trade", "trade"),
    ("医药", "Pharmaceutical", "health"),
    ("医疗器械", "Medical Devices", "health"),
    ("物流", "Logistics", "logi"),
    ("供应链管理", "Supply Chain Management", "logi"),
    ("建筑工程", "Construction Engineering", "build"),
    ("置业", "Real Estate", "build"),
    ("环保科技", "Environmental Technology", "energy"),
    ("新能源", "New Energy", "energy"),
    ("广告传媒", "Advertising Media", "media"),
    ("文化传播", "Culture Communication", "media"),
    ("企业管理咨询", "Management Consulting", "biz"),
    ("投资", "Investment", "fin"),
]
BRAND_CHARS = (
    "华瑞科达信通天宇恒泰德盛鑫创新海联博嘉诚智源利丰汇金和安康佳美远中宏凯星辰光明腾飞益普润万方正云捷"
    "迅讯力兴昌隆泽锐思睿鸿盈优易合晟铭振奥邦诺威宝亿众永启航祥维拓杰环越卓峰麒麟龙凤骏"
)
BRAND_W = Weighted(list(BRAND_CHARS), zipf(len(BRAND_CHARS), 0.5))
LEGAL_SUFFIX = [("有限公司", 70), ("股份有限公司", 12), ("有限责任公司", 10), ("集团有限公司", 4)]
TITLES_CN = [
    ("销售经理", 8),
    ("采购经理", 8),
    ("总经理", 5),
    ("财务总监", 3),
    ("技术总监", 3),
    ("行政专员", 3),
    ("采购专员", 5),
    ("项目经理", 6),
    ("市场部经理", 4),
    ("副总经理", 3),
    ("董事长", 1),
    ("工程师", 6),
    ("商务经理", 4),
    ("区域经理", 3),
    ("总监", 2),
    ("主管", 4),
    ("助理", 3),
    ("运营经理", 3),
    ("人事经理", 2),
    ("IT经理", 2),
    ("法务", 1),
    ("出纳", 1),
    ("会计", 2),
]
TITLE_EN = {
    "销售经理": "Sales Manager",
    "采购经理": "Purchasing Manager",
    "总经理": "General Manager",
    "财务总监": "CFO",
    "技术总监": "CTO",
    "项目经理": "Project Manager",
    "工程师": "Engineer",
    "市场部经理": "Marketing Manager",
    "副总经理": "Deputy GM",
    "董事长": "Chairman",
}
PERSONAL_DOMAINS = [
    ("qq.com", 10),
    ("163.com", 6),
    ("126.com", 3),
    ("sina.com", 1.5),
    ("foxmail.com", 1.5),
    ("hotmail.com", 1),
    ("gmail.com", 1),
    ("sohu.com", 0.5),
    ("139.com", 0.5),
    ("aliyun.com", 0.3),
]

FAMOUS_CN: list[tuple[str, list[str], str, str, str, str]] = [
    (
        "阿里巴巴(中国)网络技术有限公司",
        ["阿里巴巴", "阿里", "阿里巴巴集团", "Alibaba"],
        "Alibaba (China) Network Technology Co., Ltd.",
        "alibaba-inc.com",
        "杭州",
        "it",
    ),
    (
        "深圳市腾讯计算机系统有限公司",
        ["腾讯", "腾讯科技", "腾讯公司", "Tencent"],
        "Shenzhen Tencent Computer Systems Co., Ltd.",
        "tencent.com",
        "深圳",
        "it",
    ),
    (
        "华为技术有限公司",
        ["华为", "华为公司", "HUAWEI"],
        "Huawei Technologies Co., Ltd.",
        "huawei.com",
        "深圳",
        "it",
    ),
    (
        "北京京东世纪贸易有限公司",
        ["京东", "京东集团", "JD"],
        "Beijing Jingdong Century Trading Co., Ltd.",
        "jd.com",
        "北京",
        "trade",
    ),
    (
        "小米科技有限责任公司",
        ["小米", "小米科技", "Xiaomi"],
        "Xiaomi Inc.",
        "xiaomi.com",
        "北京",
        "it",
    ),
    (
        "北京字节跳动科技有限公司",
        ["字节跳动", "字节", "抖音", "ByteDance"],
        "Beijing ByteDance Technology Co., Ltd.",
        "bytedance.com",
        "北京",
        "it",
    ),
    ("比亚迪股份有限公司", ["比亚迪", "BYD"], "BYD Company Limited", "byd.com", "深圳", "mfg"),
    (
        "美的集团股份有限公司",
        ["美的", "美的集团", "Midea"],
        "Midea Group Co., Ltd.",
        "midea.com",
        "佛山",
        "mfg",
    ),
    (
        "联想(北京)有限公司",
        ["联想", "联想集团", "Lenovo"],
        "Lenovo (Beijing) Co., Ltd.",
        "lenovo.com",
        "北京",
        "it",
    ),
    (
        "中国平安保险(集团)股份有限公司",
        ["中国平安", "平安", "平安保险"],
        "Ping An Insurance (Group) Company of China, Ltd.",
        "pingan.com.cn",
        "深圳",
        "fin",
    ),
    (
        "顺丰速运有限公司",
        ["顺丰", "顺丰速运", "SF Express"],
        "SF Express Co., Ltd.",
        "sf-express.com",
        "深圳",
        "logi",
    ),
    (
        "上海汽车集团股份有限公司",
        ["上汽", "上汽集团", "SAIC"],
        "SAIC Motor Corporation Limited",
        "saicmotor.com",
        "上海",
        "mfg",
    ),
]
