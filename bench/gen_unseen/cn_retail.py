"""cn_retail: Chinese retail members (POS / mini-program / e-shop / WeCom ...), families
sharing a phone or a WeChat account as the hard negatives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .cn_people import (
    CnAddr,
    CnName,
    cn_new_home,
    cn_new_name,
    cn_new_office,
    cn_pinyin_name,
    cn_render_addr,
)
from .cn_tables import (
    CN_CITY_W,
    CN_DATE_FORMATS,
    CN_SINGLE_F,
    CN_SINGLE_M,
    HOMO,
    NEAR_FORM,
    CnCity,
    cn_id_number,
    cn_mobile,
    cn_mobile_fmt,
    cn_typo,
    py_of,
    to_trad,
)
from .core import Flavour, System, T, count_distribution, digit_typo, kv, rand_date

# =============================================================================================
# cn_retail
# =============================================================================================

#: Uyghur names are written with a middle dot that every system renders differently; (name, male)
MINORITY_NAMES = [
    ("买买提·艾力", True),
    ("阿不都·热合曼", True),
    ("古丽娜尔·买买提", False),
    ("热依拉·阿不都", False),
    ("艾力·吐尔逊", True),
    ("努尔·艾合买提", True),
    ("迪丽娜尔·吾斯曼", False),
    ("阿依古丽·沙吾提", False),
    ("帕提古丽·依明", False),
    ("吐尔洪·买买提", True),
]
NICK_PHRASES = [
    "岁月静好",
    "平安是福",
    "快乐每一天",
    "开心就好",
    "随缘",
    "知足常乐",
    "花开富贵",
    "心若止水",
    "阳光总在风雨后",
    "简单",
    "淡定",
    "笑看人生",
    "一路有你",
    "健康快乐",
    "微笑",
    "荷塘月色",
]
NICK_EN = [
    "Amy",
    "Sunny",
    "Lily",
    "Coco",
    "Tony",
    "Jack",
    "Kevin",
    "Vivian",
    "Cherry",
    "Grace",
    "Leo",
    "Eric",
    "Sophie",
    "Lucky",
    "Cathy",
    "Annie",
    "Mia",
    "Ivy",
]
EMOJI = ["🌸", "🌹", "🍀", "☀️", "💕", "✨", "🐱", "🌈", "🍓", "🐰", "🎈", "💐"]
BIZ = ["美容", "装修", "代购", "保险", "微商", "房产", "茶叶", "水果", "母婴", "瑜伽"]


@dataclass
class RetailPerson:
    eid: str
    name: CnName
    minority: str
    birth: dt.date
    lunar: bool
    mobiles: list[str]  # own numbers, [] for small children
    mobile_t: float
    borrowed: str  # a household member's number this person's records sometimes carry
    p_borrow: float
    homes: list[CnAddr]
    move_t: float
    work: CnAddr | None
    nicks: list[str]
    nick_t: float
    id_number: str
    t_min: float = 0.0

    def at(self, seq: list[T], t: float, cut: float) -> T:
        return seq[0] if (len(seq) == 1 or t < cut) else seq[1]


RETAIL_SYSTEMS = [
    System(
        "门店POS",
        0.3,
        kv("name=.45 mobile=.97 nick=0 birthday=.2 gender=.5 city=.3 address=0 idno=0"),
        kv(
            "name_honorific=.35 name_homo=.05 bday_md_only=.1 bday_placeholder=.05 "
            "mobile_spaced=.05 phone_typo=.01 emoji_lost=0"
        ),
    ),
    System(
        "小程序",
        0.25,
        kv("name=.55 mobile=.9 nick=1 birthday=.55 gender=.85 city=.7 address=.3 idno=0"),
        kv(
            "name_is_nick=.05 name_pinyin=.03 bday_md_only=.05 bday_placeholder=.03 "
            "city_pinyin=.3 mobile_intl=.1 addr_province=.6 addr_partial=.2 addr_work=.15"
        ),
    ),
    System(
        "电商订单",
        0.25,
        kv("name=.97 mobile=.98 nick=.7 birthday=0 gender=0 city=1 address=1 idno=0"),
        kv(
            "phone_masked=.15 addr_spaces=.7 addr_province=.9 addr_work=.2 addr_typo=.05 "
            "addr_note=.05 name_is_nick=.03 emoji_lost=.05 buyer_id=.5"
        ),
    ),
    System(
        "客服热线",
        0.1,
        kv("name=.85 mobile=.9 nick=0 birthday=.05 gender=.6 city=.4 address=.25 idno=0"),
        kv(
            "name_homo=.2 name_honorific=.25 phone_typo=.04 addr_partial=.5 addr_typo=.1 "
            "addr_province=.2"
        ),
    ),
    System(
        "会员登记表",
        0.1,
        kv("name=.98 mobile=.95 nick=0 birthday=.9 gender=.9 city=.9 address=.7 idno=.45"),
        kv(
            "name_near=.05 idno_masked=.5 phone_typo=.03 trad=.01 bday_year_typo=.02 "
            "addr_province=.5 name_space=.03 bday_placeholder=.01"
        ),
    ),
]

GENDER_CODES = {
    "门店POS": ("男", "女", ""),
    "小程序": ("1", "2", "0"),
    "电商订单": ("男", "女", ""),
    "客服热线": ("先生", "女士", ""),
    "会员登记表": ("男", "女", ""),
}


class CnRetail(Flavour):
    name = "cn_retail"
    region = "CN"
    cols = {
        "id": "会员ID",
        "name": "姓名",
        "mobile": "手机号码",
        "nick": "昵称",
        "birthday": "出生日期",
        "gender": "性别",
        "city": "城市",
        "address": "收货地址",
        "idno": "证件号码",
        "store": "注册门店",
        "level": "会员等级",
        "source": "渠道",
    }
    spec = {
        "name": "person_name",
        "mobile": "phone",
        "nick": "text",
        "birthday": "date",
        "gender": "category",
        "city": "category",
        "address": "address",
        "idno": "identifier",
    }
    systems = RETAIL_SYSTEMS
    counts = count_distribution([0.5, 0.2, 0.1, 0.06], 0.14, 40, 2.0)

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.estates: dict[str, list[CnAddr]] = {}
        self.offices: dict[str, list[CnAddr]] = {}
        self.released: list[tuple[str, float]] = []

    def make_id(self, i: int) -> str:
        return str(8_800_000_000 + i * 7)

    def _estate(self, city: CnCity) -> CnAddr:
        pool = self.estates.setdefault(city.name, [])
        if pool and self.rng.p(0.35):
            return self.rng.pick(pool)
        e = cn_new_home(self.rng, city)
        pool.append(e)
        return e

    def _office(self, city: CnCity) -> CnAddr:
        pool = self.offices.setdefault(city.name, [])
        if len(pool) > 20 and self.rng.p(0.8):
            return self.rng.pick(pool)
        o = cn_new_office(self.rng, city)
        pool.append(o)
        return o

    def _nick(self, n: CnName, minority: str) -> str:
        rng = self.rng
        r = rng.random()
        given = n.given if not minority else minority.split("·")[0]
        if r < 0.08:
            return rng.pick(["微信用户", "微信用户", ".", "A", "😊", "～"])
        if r < 0.2:
            return rng.pick(NICK_PHRASES) + (rng.pick(EMOJI) if rng.p(0.3) else "")
        if r < 0.35:
            return rng.pick(NICK_EN) + (
                rng.pick(["", "_", "."]) + str(rng.randint(1, 99)) if rng.p(0.3) else ""
            )
        if r < 0.5:
            return (
                "".join(py_of(n.sur + n.given)) + str(rng.randint(1, 2000))
                if not minority
                else given
            )
        e = rng.pick(EMOJI)
        return rng.wpick(
            [
                (given, 3),
                (n.sur + given if not minority else minority, 3),
                (f"{given}{e}", 2),
                (f"{e}{given}{e}", 1),
                (f"小{given[-1]}", 1),
                (f"{n.sur}姐" if not n.male else f"{n.sur}哥", 1),
                (f"A{n.sur}{given}-{rng.pick(BIZ)}", 1),
                (f"A-{given}{rng.pick(BIZ)}", 0.5),
                (f"{given}{rng.randint(1, 99)}", 1),
            ]
        )

    def _person(
        self,
        name: CnName,
        birth: dt.date,
        home: CnAddr,
        own_phone: bool,
        minority: str = "",
    ) -> RetailPerson:
        rng = self.rng
        mobiles: list[str] = []
        mobile_t = 2.0
        t_min = 0.0
        if own_phone:
            if self.released and rng.p(0.04):
                num, t_min = self.released.pop(rng.randrange(len(self.released)))
                mobiles.append(num)
            else:
                mobiles.append(cn_mobile(rng))
            if rng.p(0.1):
                mobile_t = rng.uniform(max(0.1, t_min), 0.9)
                mobiles.append(cn_mobile(rng))
                self.released.append((mobiles[0], mobile_t + 0.05))
        homes = [home]
        move_t = 2.0
        if rng.p(0.12):
            city = home.city if rng.p(0.7) else CN_CITY_W.draw(rng)
            homes.append(cn_new_home(rng, city, self._estate(city) if rng.p(0.5) else None))
            move_t = rng.uniform(max(0.1, t_min), 0.9)
        age = 2024 - birth.year
        work = self._office(home.city) if 22 <= age <= 60 and rng.p(0.6) else None
        nicks = [self._nick(name, minority)]
        nick_t = 2.0
        if rng.p(0.3):
            nicks.append(self._nick(name, minority))
            nick_t = rng.uniform(0.1, 0.9)
        adcode = home.city.adcode if rng.p(0.6) else CN_CITY_W.draw(rng).adcode
        return RetailPerson(
            self.new_eid(),
            name,
            minority,
            birth,
            birth.year < 1975 and rng.p(0.15),
            mobiles,
            mobile_t,
            "",
            0.0,
            homes,
            move_t,
            work,
            nicks,
            nick_t,
            cn_id_number(rng, adcode, birth, name.male),
            t_min,
        )

    def make_group(self) -> list[dict[str, str]]:
        rng = self.rng
        city = CN_CITY_W.draw(rng)
        estate = self._estate(city)
        home = cn_new_home(rng, city, estate)
        head_male = rng.p(0.45)
        head_age = rng.randint(20, 70)
        y = 2024 - head_age
        members: list[RetailPerson] = []
        minority = ""
        if rng.p(0.01):
            minority, head_male = rng.pick(MINORITY_NAMES)
        head_name = cn_new_name(rng, head_male, 0.7)
        head = self._person(
            head_name,
            rand_date(rng, dt.date(y, 1, 1), dt.date(y, 12, 28)),
            home,
            True,
            minority=minority,
        )
        members.append(head)
        if head_age >= 24 and rng.p(0.6):
            sy = y + rng.randint(-6, 6)
            spouse = self._person(
                cn_new_name(rng, not head_male, 0.7),
                rand_date(rng, dt.date(sy, 1, 1), dt.date(sy, 12, 28)),
                home,
                True,
            )
            members.append(spouse)
            father = head if head_male else spouse
            mother = spouse if head_male else head
            n_kids = rng.wpick([(0, 35), (1, 45), (2, 20)]) if 26 <= head_age <= 60 else 0
            for _ in range(n_kids):
                ky = y + rng.randint(24, 36)
                if ky > 2023:
                    continue
                kb = rand_date(rng, dt.date(ky, 1, 1), dt.date(ky, 12, 28))
                twins = rng.p(0.03)
                for k in range(2 if twins else 1):
                    kmale = rng.p(0.52)
                    kname = cn_new_name(rng, kmale, 0.5)
                    kname.sur = father.name.sur if rng.p(0.93) else mother.name.sur
                    if twins and k == 1:
                        first = members[-1].name.given[0]
                        kname.given = first + (CN_SINGLE_M if kmale else CN_SINGLE_F).draw(rng)
                    kid = self._person(kname, kb, home, 2024 - ky >= 16)
                    if not kid.mobiles:
                        # a child's membership lives on a parent's phone and WeChat account
                        parent = rng.pick([mother, father])
                        kid.borrowed = parent.mobiles[0]
                        kid.p_borrow = 1.0
                        kid.nicks, kid.nick_t = parent.nicks, parent.nick_t
                        if rng.p(0.3):
                            parent.nicks[-1] = kid.name.given + rng.pick(["妈妈", "爸爸", "妈"])
                    members.append(kid)
            # spouses sometimes give the other's number to get the member price
            if rng.p(0.3):
                spouse.borrowed = head.mobiles[0]
                spouse.p_borrow = 0.15
            if rng.p(0.3):
                head.borrowed = spouse.mobiles[0]
                head.p_borrow = 0.1
        if head_age <= 50 and rng.p(0.08):
            gy = y - rng.randint(22, 32)
            own = rng.p(0.5)
            g = self._person(
                cn_new_name(rng, rng.p(0.4), 0.8),
                rand_date(rng, dt.date(gy, 1, 1), dt.date(gy, 12, 28)),
                home,
                own,
            )
            g.name.sur = head.name.sur if rng.p(0.6) else g.name.sur
            if not own:
                g.borrowed = head.mobiles[0]
                g.p_borrow = 1.0
            members.append(g)
        rows: list[dict[str, str]] = []
        for p in members:
            for t in self.record_times():
                t = p.t_min + t * (1 - p.t_min)
                rows.append(self.emit(p, t, self.sys_w.draw(rng)))
        return rows

    # -- rendering -----------------------------------------------------------------------
    def render_name(self, p: RetailPerson, s: System, t: float) -> str:
        rng = self.rng
        n = p.name
        if rng.p(s.n("name_is_nick")):
            return p.at(p.nicks, t, p.nick_t)
        if p.minority:
            sep = rng.wpick([("·", 5), ("•", 2), (".", 1), ("・", 1), ("", 2), (" ", 1)])
            out = p.minority.replace("·", sep)
            if rng.p(s.n("name_honorific")):
                out = p.minority.split("·")[0] + ("先生" if n.male else "女士")
            return out
        if rng.p(s.n("name_pinyin")):
            return cn_pinyin_name(n, rng)
        sur, given = n.sur, n.given
        if rng.p(s.n("name_homo")):
            if rng.p(0.25):
                sur = cn_typo(sur, rng, HOMO)
            else:
                given = cn_typo(given, rng, HOMO)
        if rng.p(s.n("name_near")):
            given = cn_typo(given, rng, NEAR_FORM)
        if rng.p(s.n("name_honorific")):
            age = 2024 - p.birth.year
            hon = ("先生" if n.male else "女士") if age >= 18 else rng.pick(["同学", "小朋友"])
            if age > 60 and rng.p(0.3):
                hon = "阿姨" if not n.male else "叔叔"
            return sur + hon
        out = f"{sur} {given}" if rng.p(s.n("name_space")) else sur + given
        return to_trad(out) if rng.p(s.n("trad")) else out

    def render_bday(self, p: RetailPerson, s: System) -> str:
        rng = self.rng
        if rng.p(s.n("bday_placeholder")):
            return rng.pick(["1900-01-01", "1970-01-01", "2000-01-01", "1900/1/1", "19000101"])
        b = p.birth
        if p.lunar and rng.p(0.5):
            b = b + dt.timedelta(days=rng.randint(20, 50))
        y = b.year
        if rng.p(s.n("bday_year_typo")):
            y = y + rng.pick([-10, -1, 1, 10])
        if rng.p(s.n("bday_md_only")):
            return rng.pick(
                [f"{b.month}月{b.day}日", f"{b.month:02d}-{b.day:02d}", f"{b.month}/{b.day}"]
            )
        fmts = {
            "门店POS": [("{y}/{m}/{d}", 5), ("{y}{m:02d}{d:02d}", 2)],
            "小程序": [("{y}-{m:02d}-{d:02d}", 10)],
            "会员登记表": [
                ("{y}年{m}月{d}日", 4),
                ("{y}{m:02d}{d:02d}", 2),
                ("{y}.{m}.{d}", 2),
                ("{y}/{m}/{d}", 2),
                ("{y}-{m:02d}-{d:02d}", 1),
            ],
        }
        fmt = rng.wpick(fmts.get(s.name, CN_DATE_FORMATS[:-1]))
        return fmt.format(y=y, m=b.month, d=b.day)

    def render(self, p: RetailPerson, t: float, s: System) -> dict[str, str]:
        rng = self.rng
        row = {k: "" for k in self.cols}
        row["entity"] = p.eid
        row["source"] = s.name
        home = p.at(p.homes, t, p.move_t)
        store = rng.pick(["店", "一店", "旗舰店", "万达店"])
        row["store"] = f"{home.city.name}{home.district[0].rstrip('区')}{store}"
        row["level"] = rng.pick(["普通会员", "银卡", "金卡", "钻石卡", ""])
        if self.fill(s, "name"):
            row["name"] = self.render_name(p, s, t)
        if self.fill(s, "mobile"):
            if p.borrowed and rng.p(p.p_borrow):
                m = p.borrowed
            elif p.mobiles:
                m = p.at(p.mobiles, t, p.mobile_t)
            else:
                m = ""
            if m:
                if rng.p(s.n("phone_masked")):
                    row["mobile"] = f"{m[:3]}****{m[7:]}"
                else:
                    row["mobile"] = cn_mobile_fmt(m, rng, s.n("mobile_intl"), s.n("mobile_spaced"))
                if rng.p(s.n("phone_typo")):
                    row["mobile"] = digit_typo(row["mobile"], rng)
        if self.fill(s, "nick"):
            if rng.p(s.n("buyer_id")):
                base = "".join(py_of(p.name.sur + p.name.given)) if not p.minority else "user"
                nick = rng.pick(
                    [
                        f"tb{rng.randint(10**7, 10**10)}",
                        f"{base}{rng.randint(1, 9999)}",
                        f"jd_{rng.randint(10**5, 10**9):x}",
                        p.at(p.nicks, t, p.nick_t),
                    ]
                )
            else:
                nick = p.at(p.nicks, t, p.nick_t)
            if rng.p(s.n("emoji_lost")):
                nick = "".join("?" if ord(c) > 0xFFFF or c in "☀️" else c for c in nick)
            row["nick"] = nick
        if self.fill(s, "birthday"):
            row["birthday"] = self.render_bday(p, s)
        if self.fill(s, "gender"):
            m, f, u = GENDER_CODES[s.name]
            male = p.name.male if not rng.p(0.02) else not p.name.male
            row["gender"] = u if rng.p(0.05) else (m if male else f)
        addr = home
        if p.work and rng.p(s.n("addr_work")):
            addr = p.work
        if self.fill(s, "city"):
            c = addr.city
            if rng.p(s.n("city_pinyin")):
                row["city"] = rng.pick([c.pinyin, c.pinyin.upper(), c.pinyin.lower()])
            else:
                row["city"] = rng.wpick(
                    [
                        (c.name, 5),
                        (c.name + "市", 4),
                        (f"{c.province}{c.name}市", 1),
                        (addr.district[0], 0.4),
                    ]
                )
        if self.fill(s, "address"):
            a = cn_render_addr(addr, rng, s)
            if rng.p(s.n("addr_note")):
                a += rng.pick(
                    ["(放丰巢柜)", "（菜鸟驿站代收）", " 放门口", "（工作日送）", " 电话联系"]
                )
            row["address"] = a
        if self.fill(s, "idno"):
            idn = p.id_number
            if rng.p(s.n("idno_masked")):
                idn = rng.pick(
                    [
                        f"{idn[:6]}********{idn[-4:]}",
                        f"{idn[:4]}**********{idn[-4:]}",
                        f"{idn[:3]}***********{idn[-4:]}",
                        f"************{idn[-6:]}",
                    ]
                )
            elif idn.endswith("X") and rng.p(0.3):
                idn = idn[:-1] + "x"
            row["idno"] = idn
        return row
