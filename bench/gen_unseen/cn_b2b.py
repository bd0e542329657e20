"""cn_b2b: Chinese B2B contacts (CRM / ERP / business-card scans / call centre / web form),
colleagues at one company as the hard negatives."""

from __future__ import annotations

from dataclasses import dataclass, field

from .cn_people import (
    BRAND_W,
    FAMOUS_CN,
    INDUSTRIES,
    INDUSTRY_WORDS,
    LEGAL_SUFFIX,
    PERSONAL_DOMAINS,
    TITLE_EN,
    TITLES_CN,
    CnAddr,
    CnName,
    cn_new_name,
    cn_new_office,
    cn_pinyin_name,
    cn_render_addr,
)
from .cn_tables import (
    CANTONESE,
    CN_CITIES,
    CN_CITY_BY_NAME,
    CN_CITY_W,
    ENGLISH_F,
    ENGLISH_M,
    HOMO,
    NEAR_FORM,
    PY,
    CnCity,
    cn_landline_fmt,
    cn_landline_local,
    cn_mobile,
    cn_mobile_fmt,
    cn_typo,
    lue,
    py_of,
    to_trad,
)
from .core import (
    Flavour,
    Rng,
    System,
    Weighted,
    count_distribution,
    created_at,
    digit_typo,
    email_noise,
    fw_digits,
    kv,
    luhn_free_digits,
)

# =============================================================================================
# cn_b2b
# =============================================================================================


@dataclass
class CnOffice:
    city: CnCity
    addrs: list[CnAddr]  # [current] or [old, current]
    move_t: float
    exchange: str
    switchboard: str
    branch: str  # "" or e.g. "北京分公司"

    def addr_at(self, t: float) -> CnAddr:
        return self.addrs[0] if (len(self.addrs) == 1 or t < self.move_t) else self.addrs[1]


@dataclass
class CnCompany:
    full: str
    shorts: list[str]
    english: str
    domain: str | None
    email_style: int
    offices: list[CnOffice]
    industry: str
    tax_id: str
    famous: bool = False
    used_locals: dict[str, int] = field(default_factory=dict)


@dataclass
class CnJob:
    company: CnCompany
    office: CnOffice
    start: float
    titles: list[str]  # [title] or [old, promoted]
    promo_t: float
    email: str
    direct: str  # local number of a direct line, "" if none
    ext: str


@dataclass
class B2BPerson:
    eid: str
    name: CnName
    mobiles: list[str]
    mobile_t: float
    work_mobile: str
    jobs: list[CnJob]
    personal_email: str

    def job_at(self, t: float) -> CnJob:
        j = self.jobs[0]
        for cand in self.jobs:
            if cand.start <= t:
                j = cand
        return j

    def mobile_at(self, t: float) -> str:
        return self.mobiles[0] if (len(self.mobiles) == 1 or t < self.mobile_t) else self.mobiles[1]


def cn_email_local(n: CnName, style: int, rng: Rng) -> str:
    sur = lue("".join(py_of(n.sur)), rng)
    syl = [lue(x, rng) for x in py_of(n.given)]
    given = "".join(syl)
    initials = "".join(x[0] for x in syl)
    if style == 6 and n.english:
        e = n.english.lower()
        return rng.pick([f"{e}.{sur}", f"{e}{sur}", f"{e}_{sur}", f"{e}"])
    return [
        f"{sur}{given}",
        f"{given}.{sur}",
        f"{sur}.{given}",
        f"{sur}{initials}",
        f"{initials}{sur}",
        f"{sur}_{given}",
        f"{sur}{given}",
    ][style % 7]


def cn_personal_email(n: CnName, birth_year: int, rng: Rng) -> str:
    if rng.p(0.4):
        return f"{rng.randint(10**5, 3 * 10**9)}@qq.com"
    sur = lue("".join(py_of(n.sur)), rng)
    given = "".join(lue(x, rng) for x in py_of(n.given))
    local = rng.pick(
        [
            f"{sur}{given}{birth_year}",
            f"{sur}{given}{rng.randint(1, 999)}",
            f"{given}{sur}",
            f"{sur}{given}{str(birth_year)[2:]}",
            f"{sur}_{given}",
            f"{(n.english or given).lower()}{rng.randint(1, 99)}",
        ]
    )
    return f"{local}@{rng.wpick(PERSONAL_DOMAINS[1:])}"


B2B_SYSTEMS = [
    System(
        "CRM",
        0.34,
        kv(
            "name=.99 company=.97 mobile=.85 office=.5 email=.75 address=.5 industry=.7 "
            "title=.6 taxid=0"
        ),
        kv(
            "name_pinyin=.05 name_english=.4 name_homo=.01 name_honorific=.02 name_with_co=.03 "
            "trad=.01 co_short=.4 co_english=.04 co_typo=.02 mobile_intl=.1 mobile_spaced=.25 "
            "swap_phones=.03 multi_phone=.02 email_personal=.2 email_case=.05 addr_province=.4 "
            "addr_english=.03 addr_partial=.1 addr_no_city=.05 industry_wrong=.03 title_en=.1 "
            "landline_no_area=.05"
        ),
    ),
    System(
        "ERP",
        0.18,
        kv(
            "name=.9 company=1 mobile=.4 office=.85 email=.2 address=.92 industry=.6 title=.15 "
            "taxid=.8"
        ),
        kv(
            "name_honorific=.1 name_dept=.03 name_homo=.02 co_bracket_fw=.3 addr_province=.85 "
            "addr_postcode=.1 office_switchboard=.7 taxid_old=.12 taxid_typo=.02 "
            "landline_no_area=.03 addr_registered=.4 mobile_spaced=.05"
        ),
    ),
    System(
        "名片扫描",
        0.16,
        kv(
            "name=.97 company=.95 mobile=.9 office=.6 email=.8 address=.6 industry=0 title=.85 "
            "taxid=0"
        ),
        kv(
            "name_near=.06 trad=.06 fullwidth=.1 email_ocr=.05 phone_label=.15 name_pinyin=.04 "
            "name_english=.3 co_english=.1 co_short=.1 addr_postcode=.2 addr_english=.05 "
            "addr_typo=.05 addr_province=.5 mobile_intl=.25 mobile_spaced=.5 title_en=.2 "
            "landline_no_area=.02"
        ),
    ),
    System(
        "呼叫中心",
        0.16,
        kv(
            "name=.9 company=.7 mobile=.75 office=.35 email=.1 address=.15 industry=.1 title=.2 "
            "taxid=0"
        ),
        kv(
            "name_homo=.18 name_honorific=.15 co_short=.85 co_homo=.08 callerid_switchboard=.2 "
            "phone_typo=.03 addr_partial=.5 addr_province=.1 addr_typo=.1 landline_no_area=.15 "
            "email_typo=.1"
        ),
    ),
    System(
        "官网表单",
        0.16,
        kv(
            "name=.97 company=.9 mobile=.95 office=.2 email=.85 address=.35 industry=.75 "
            "title=.6 taxid=0"
        ),
        kv(
            "name_pinyin=.08 name_english=.3 name_space=.03 co_short=.6 co_free=.1 "
            "email_personal=.5 email_typo=.03 email_case=.05 mobile_intl=.15 addr_partial=.6 "
            "addr_province=.3 trad=.02 landline_no_area=.1 industry_wrong=.05 title_free=.3"
        ),
    ),
]


class CnB2B(Flavour):
    name = "cn_b2b"
    region = "CN"
    cols = {
        "id": "客户编号",
        "name": "联系人",
        "company": "公司名称",
        "mobile": "手机",
        "office": "办公电话",
        "email": "电子邮箱",
        "address": "联系地址",
        "industry": "所属行业",
        "title": "职务",
        "taxid": "纳税人识别号",
        "source": "数据来源",
        "created": "创建日期",
    }
    spec = {
        "name": "person_name",
        "company": "company_name",
        "mobile": "phone",
        "office": "phone",
        "email": "email",
        "address": "address",
        "industry": "category",
        "title": "text",
        "taxid": "identifier",
    }
    systems = B2B_SYSTEMS
    counts = count_distribution([0.55, 0.2, 0.09, 0.05], 0.11, 30, 2.2)
    SIZE_W = Weighted(list(range(1, 81)), [s**-1.7 for s in range(1, 81)])

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.famous = [self._famous(f) for f in FAMOUS_CN]
        self.companies: list[CnCompany] = []

    # -- companies -----------------------------------------------------------------------
    def _tax_id(self, city: CnCity) -> str:
        rng = self.rng
        org = "".join(rng.pick("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        org += rng.pick("0123456789X")
        check = rng.pick("0123456789ABCDEFGHJKLMNPQRTUWXY")
        return f"91{city.adcode}{rng.randint(0, 99):02d}{org}{check}"

    def _office(self, city: CnCity, brand: tuple[str, str] | None, branch: str = "") -> CnOffice:
        rng = self.rng
        a = cn_new_office(rng, city, brand)
        addrs = [a]
        move_t = 2.0
        if rng.p(0.12):
            addrs.append(cn_new_office(rng, city if rng.p(0.85) else CN_CITY_W.draw(rng), brand))
            move_t = rng.uniform(0.15, 0.85)
        exchange = str(rng.randint(2, 8)) + luhn_free_digits(rng, 3)
        sb = exchange + rng.wpick(
            [("8888", 3), ("0000", 2), ("6666", 1), ("1234", 1), (luhn_free_digits(rng, 4), 6)]
        )
        sb = self.claim(f"{city.area}-{sb}", lambda k: f"{city.area}-{cn_landline_local(rng)}")
        return CnOffice(city, addrs, move_t, sb[-8:][:4], sb.split("-")[1], branch)

    def _famous(self, f: tuple[str, list[str], str, str, str, str]) -> CnCompany:
        full, shorts, en, dom, city, ind = f
        c = CN_CITY_BY_NAME[city]
        offices = [self._office(c, None)]
        for other in self.rng.sample([x for x in CN_CITIES[:10] if x.name != city], 3):
            offices.append(self._office(other, None, f"{other.name}分公司"))
        return CnCompany(
            full, shorts, en, dom, self.rng.randrange(7), offices, ind, self._tax_id(c), True
        )

    def _company(self) -> CnCompany:
        rng = self.rng
        city = CN_CITY_W.draw(rng)
        n_brand = rng.wpick([(2, 10), (3, 1), (4, 0.3)])
        brand = "".join(BRAND_W.draw(rng) for _ in range(n_brand))
        bpy = "".join(PY[c] for c in brand)
        word, word_en, ind = rng.pick(INDUSTRY_WORDS)
        suffix = rng.wpick(LEGAL_SUFFIX)
        style = rng.random()
        if style < 0.65:
            full = (
                f"{city.name}市{brand}{word}{suffix}"
                if city.province
                else f"{city.name}{brand}{word}{suffix}"
            )
        elif style < 0.8:
            full = f"{brand}({city.name}){word}{suffix}"
        else:
            full = f"{brand}{word}{suffix}"
        shorts = [brand + word, brand, brand + word]
        if suffix.startswith("集团"):
            shorts.append(brand + "集团")
        en = f"{city.pinyin} {bpy.capitalize()} {word_en} Co., Ltd."
        domain = None
        if rng.p(0.55):
            stem = (
                bpy
                if rng.p(0.7)
                else "".join(PY[c][0] for c in brand)
                + rng.pick(["tech", "-tech", "group", "gs", ""])
            )
            tld = rng.wpick([(".com", 5), (".com.cn", 3), (".cn", 2), (".net", 1)])
            cpy = city.pinyin.lower().replace("'", "")
            domain = self.claim(
                stem + tld,
                lambda k: (
                    [f"{cpy}{stem}{tld}", f"{stem}-{cpy}{tld}", f"{stem}{cpy[:2]}{tld}"][k - 2]
                    if k <= 4
                    else f"{stem}{k}{tld}"
                ),
            )
        return CnCompany(
            full,
            shorts,
            en,
            domain,
            rng.randrange(7),
            [self._office(city, (brand, bpy))],
            ind,
            self._tax_id(city),
        )

    # -- people --------------------------------------------------------------------------
    def _job(self, co: CnCompany, p_name: CnName, start: float) -> CnJob:
        rng = self.rng
        office = co.offices[0] if (not co.famous or rng.p(0.5)) else rng.pick(co.offices)
        title = rng.wpick(TITLES_CN)
        titles = [title]
        promo_t = 2.0
        if rng.p(0.1):
            titles.append(
                rng.pick(["高级" + title, "副总经理", "总监", title.replace("专员", "经理")])
            )
            promo_t = rng.uniform(start, 1.0)
        email = ""
        if co.domain:
            local = cn_email_local(p_name, co.email_style, rng)
            k = co.used_locals.get(local, 0)
            co.used_locals[local] = k + 1
            if k:
                local = local + rng.pick([str(k + 1), f"{k:02d}", str(rng.randint(1, 99))])
            email = f"{local}@{co.domain}"
        direct = ""
        ext = ""
        r = rng.random()
        if r < 0.5:
            area = office.city.area
            direct = self.claim(
                f"{area}-{cn_landline_local(rng, office.exchange)}",
                lambda k: f"{area}-{cn_landline_local(rng, office.exchange)}",
            ).split("-")[1]
        elif r < 0.85:
            ext = str(rng.randint(100, 8999))
        return CnJob(co, office, start, titles, promo_t, email, direct, ext)

    def _person(self, co: CnCompany) -> B2BPerson:
        rng = self.rng
        male = rng.p(0.6)
        name = cn_new_name(rng, male)
        if rng.p(0.25):
            name.english = rng.pick(ENGLISH_M if male else ENGLISH_F)
            name.cantonese = rng.p(0.12) and name.sur in CANTONESE
        mobiles = [cn_mobile(rng)]
        mobile_t = 2.0
        if rng.p(0.06):
            mobiles.append(cn_mobile(rng))
            mobile_t = rng.uniform(0.1, 0.9)
        jobs = [self._job(co, name, 0.0)]
        if rng.p(0.1):
            other = self._company() if rng.p(0.8) else rng.pick(self.famous)
            jobs.append(self._job(other, name, rng.uniform(0.2, 0.8)))
        work_mobile = cn_mobile(rng) if rng.p(0.08) else ""
        return B2BPerson(
            self.new_eid(),
            name,
            mobiles,
            mobile_t,
            work_mobile,
            jobs,
            self.claim_mailbox(cn_personal_email(name, rng.randint(1965, 2000), rng)),
        )

    def make_group(self) -> list[dict[str, str]]:
        rng = self.rng
        if rng.p(0.04):
            co = rng.pick(self.famous)
            size = rng.randint(1, 5)
        else:
            co = self._company()
            size = self.SIZE_W.draw(rng)
        rows: list[dict[str, str]] = []
        for _ in range(size):
            p = self._person(co)
            for t in self.record_times():
                rows.append(self.emit(p, t, self.sys_w.draw(rng)))
        return rows

    def make_id(self, i: int) -> str:
        return f"KH{i:08d}"

    # -- rendering -----------------------------------------------------------------------
    def render_name(self, p: B2BPerson, s: System, job: CnJob) -> str:
        rng = self.rng
        n = p.name
        if rng.p(s.n("name_dept")):
            return rng.pick(["采购部", "财务部", "行政部", "前台", "总经办"])
        if n.english and rng.p(s.n("name_english")):
            return cn_pinyin_name(n, rng)
        if rng.p(s.n("name_pinyin")):
            return cn_pinyin_name(CnName(n.sur, n.given, n.male), rng)
        sur, given = n.sur, n.given
        if rng.p(s.n("name_homo")):
            if rng.p(0.25):
                sur = cn_typo(sur, rng, HOMO)
            else:
                given = cn_typo(given, rng, HOMO)
        if rng.p(s.n("name_near")):
            given = cn_typo(given, rng, NEAR_FORM) if rng.p(0.7) else given
            sur = cn_typo(sur, rng, NEAR_FORM) if rng.p(0.4) else sur
        if rng.p(s.n("name_honorific")):
            honor = rng.pick(["总", "经理", "工", "先生" if n.male else "女士", "总监", "老师"])
            out = sur + honor
        elif rng.p(s.n("name_space")):
            out = f"{sur} {given}"
        else:
            out = sur + given
        if rng.p(s.n("name_with_co")):
            short = job.company.shorts[0]
            out = rng.pick(
                [f"{out}({short})", f"{short}-{out}", f"{out}（{short}）", f"{short} {out}"]
            )
        if rng.p(s.n("trad")):
            out = to_trad(out)
        return out

    def render_company(self, p: B2BPerson, s: System, job: CnJob) -> str:
        rng = self.rng
        co = job.company
        if rng.p(s.n("co_english")):
            out = co.english
            if rng.p(0.3):
                out = out.replace(
                    "Co., Ltd.", rng.pick(["Co.,Ltd", "CO., LTD.", "Company Limited", "Ltd."])
                )
            return out
        if rng.p(s.n("co_short")):
            out = rng.pick(co.shorts)
        else:
            out = co.full
            if job.office.branch and rng.p(0.5):
                out += job.office.branch
        if rng.p(s.n("co_bracket_fw")):
            out = out.replace("(", "（").replace(")", "）")
        if rng.p(s.n("co_homo")):
            out = cn_typo(out, rng, HOMO)
        if rng.p(s.n("co_typo")):
            out = rng.pick(
                [
                    out.replace("有限公司", "有限责任公司"),
                    out.replace("有限", ""),
                    out + " ",
                    out.replace("市", ""),
                    cn_typo(out, rng, NEAR_FORM),
                ]
            )
        if rng.p(s.n("co_free")):
            out = rng.pick(
                [
                    out + "公司",
                    out.replace("有限公司", ""),
                    out.lower(),
                    f"{out}（{job.office.city.name}）",
                ]
            )
        if rng.p(s.n("trad")):
            out = to_trad(out)
        return out

    def render(self, p: B2BPerson, t: float, s: System) -> dict[str, str]:
        rng = self.rng
        job = p.job_at(t)
        off = job.office
        row = {k: "" for k in self.cols}
        row["entity"] = p.eid
        row["source"] = s.name
        row["created"] = created_at(rng, t, rng.pick(["%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y-%m-%d"]))
        if self.fill(s, "name"):
            row["name"] = self.render_name(p, s, job)
        if self.fill(s, "company"):
            row["company"] = self.render_company(p, s, job)
        # phones
        mob = p.mobile_at(t)
        if p.work_mobile and rng.p(0.5):
            mob = p.work_mobile
        if self.fill(s, "mobile"):
            if rng.p(s.n("callerid_switchboard")):
                row["mobile"] = cn_landline_fmt(off.city.area, off.switchboard, rng)
            else:
                row["mobile"] = cn_mobile_fmt(mob, rng, s.n("mobile_intl"), s.n("mobile_spaced"))
                if rng.p(s.n("multi_phone")):
                    other = (
                        p.mobiles[-1]
                        if len(p.mobiles) > 1
                        else (p.work_mobile or cn_landline_fmt(off.city.area, off.switchboard, rng))
                    )
                    row["mobile"] += rng.pick(["/", "；", ",", " / ", "、"]) + other
                elif rng.p(s.n("multi_phone")):
                    row["mobile"] += rng.pick(["（微信同号）", " 微信同号", "(同微信)"])
        if self.fill(s, "office"):
            if job.direct and not rng.p(s.n("office_switchboard")):
                row["office"] = cn_landline_fmt(
                    off.city.area, job.direct, rng, no_area=s.n("landline_no_area")
                )
            else:
                ext = job.ext if (job.ext and rng.p(0.7)) else ""
                row["office"] = cn_landline_fmt(
                    off.city.area, off.switchboard, rng, ext, s.n("landline_no_area")
                )
        if rng.p(s.n("phone_typo")) and row["mobile"]:
            row["mobile"] = digit_typo(row["mobile"], rng)
        if rng.p(s.n("swap_phones")):
            row["mobile"], row["office"] = row["office"], row["mobile"]
        if rng.p(s.n("phone_label")):
            if row["mobile"]:
                row["mobile"] = rng.pick(["M: ", "手机：", "Mob: ", "M "]) + row["mobile"]
            if row["office"]:
                row["office"] = rng.pick(["T: ", "电话：", "Tel: ", "T "]) + row["office"]
        if rng.p(s.n("fullwidth")):
            row["mobile"] = fw_digits(row["mobile"])
        # email
        if self.fill(s, "email"):
            e = job.email
            if not e or rng.p(s.n("email_personal")):
                e = p.personal_email
            row["email"] = email_noise(e, rng, s)
        if self.fill(s, "address"):
            a = off.addr_at(t)
            if rng.p(s.n("addr_registered")) and len(off.addrs) > 1:
                a = off.addrs[0]  # ERP keeps the registered (old) address after a move
            row["address"] = cn_render_addr(a, rng, s)
        if self.fill(s, "industry"):
            ind = job.company.industry
            if rng.p(s.n("industry_wrong")):
                ind = rng.pick(list(INDUSTRIES))
            tax = "erp" if s.name == "ERP" else ("mkt" if s.name == "官网表单" else "crm")
            row["industry"] = INDUSTRIES[ind][tax]
        if self.fill(s, "title"):
            title = job.titles[0] if (len(job.titles) == 1 or t < job.promo_t) else job.titles[1]
            if rng.p(s.n("title_en")) and title in TITLE_EN:
                title = TITLE_EN[title]
            elif rng.p(s.n("title_free")):
                title = rng.pick(
                    [
                        title.replace("经理", ""),
                        "经理",
                        f"{title}/{rng.pick(['负责人', '对接人'])}",
                        rng.pick(["采购", "销售", "老板", "负责人"]),
                    ]
                )
            row["title"] = title
        if self.fill(s, "taxid"):
            tid = job.company.tax_id
            if rng.p(s.n("taxid_old")):
                tid = tid[2:17]  # pre-2015 15-character registration number: region + org code
            if rng.p(s.n("taxid_typo")):
                tid = digit_typo(tid, rng)
            row["taxid"] = tid
        return row
