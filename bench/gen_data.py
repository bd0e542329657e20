"""Realistic noisy customer records with known truth, Chinese or Latin flavour.

Each real customer (entity) appears 1..6 times, as the different source systems of a
company would hold it (ERP, marketing, call centre, WeCom): each source fills its own
subset of fields and writes them its own way, and each copy gets independent noise:
traditional characters, homophone typos (IME errors), spacing, phone formats (+86,
0086, dashes, full-width digits), digit typos, changed phones and addresses, e-mail case
and typos, short or long administrative names, company legal-form and region variants.
Hard negatives come for free (common names such as 王伟 in the same city) and on
purpose (relatives sharing surname, address and home phone).

    python bench/gen_data.py --rows 100000 --flavour zh --out /tmp/zh_100k.csv
"""

from __future__ import annotations

import argparse
import csv
import random
from functools import cache
from pathlib import Path

import yaml
from faker.providers.address.en_US import Provider as UsAddress
from faker.providers.company.zh_CN import Provider as ZhCompany
from faker.providers.person.en_US import Provider as UsPerson
from faker.providers.person.zh_CN import Provider as ZhPerson
from opencc import OpenCC

ZH_COLUMNS = [
    "id",
    "entity",
    "name",
    "mobile",
    "email",
    "company_name",
    "province",
    "city",
    "district",
    "address",
]
EN_COLUMNS = ["id", "entity", "name", "phone", "email", "address", "city", "postcode", "birth_date"]
ZH_SPEC = {
    "id": "id",
    "fields": {
        "name": "person_name",
        "mobile": "phone",
        "email": "email",
        "company_name": "company_name",
        "province": "category",
        "city": "category",
        "district": "category",
        "address": "address",
    },
}
EN_SPEC = {
    "id": "id",
    "region": "US",
    "fields": {
        "name": "person_name",
        "phone": "phone",
        "email": "email",
        "address": "address",
        "city": "category",
        "postcode": "postcode",
        "birth_date": "date",
    },
}
_s2t = OpenCC("s2t")
_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


@cache
def _homophones() -> dict[str, list[str]]:
    """Common characters (GB2312 level 1) grouped by toneless pinyin."""
    from pypinyin import Style, lazy_pinyin

    groups: dict[str, list[str]] = {}
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            groups.setdefault(lazy_pinyin(ch, style=Style.NORMAL)[0], []).append(ch)
    return {ch: g for g in groups.values() for ch in g if len(g) > 1}


@cache
def _districts() -> list[tuple[str, str, str]]:
    from dedupe.cn_address import _table

    t = _table()
    out = []
    for code, name in t.names.items():
        if len(code) == 6 and code[:2] in t.names:
            prov = t.names[code[:2]]
            city = t.names.get(code[:4], prov if prov.endswith("市") else None)
            if city:
                out.append((prov, city, name))
    return sorted(out)


def _weighted(rng: random.Random, table: dict[str, float], k: int) -> list[str]:
    return rng.choices(list(table), weights=list(table.values()), k=k)


def _typo(rng: random.Random, s: str, alphabet: str) -> str:
    if len(s) < 2:
        return s
    i = rng.randrange(len(s))
    op = rng.random()
    if op < 0.4:
        return s[:i] + rng.choice(alphabet) + s[i + 1 :]
    if op < 0.7 and i < len(s) - 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s[:i] + s[i + 1 :]


class _Zh:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.surnames = _weighted(rng, ZhPerson.last_names, 200_000)
        self.given = ZhPerson.first_names  # 1- and 2-character given names
        self.single = [g for g in self.given if len(g) == 1]
        self.emails: set[str] = set()
        self.districts = _districts()
        # customers concentrate in big cities: the hard case for name+locality blocking
        big = [
            d
            for d in self.districts
            if d[1]
            in ("北京市", "上海市", "深圳市", "广州市", "杭州市", "成都市", "武汉市", "南京市")
        ]
        self.region_pool = big * 40 + self.districts
        self.domains = ["qq.com", "163.com", "126.com", "sina.com", "gmail.com", "foxmail.com"]
        self.streets = [a + b for a in self.given for b in ("路", "街", "大道")]

    def mobile(self) -> str:
        r = self.rng
        return (
            r.choice(["13", "15", "18", "17", "19"])
            + str(r.randint(0, 9))
            + f"{r.randrange(10**8):08d}"
        )

    def entity(self) -> dict[str, str]:
        r = self.rng
        surname = r.choice(self.surnames)
        given = (
            r.choice(self.given)
            if r.random() < 0.5
            else r.choice(self.single) + r.choice(self.single)
        )
        prov, city, dist = r.choice(self.region_pool)
        from pypinyin import lazy_pinyin

        local = "".join(lazy_pinyin(surname + given))
        email = (
            (
                local
                + (str(r.randint(1, 999)) if r.random() < 0.6 else "")
                + "@"
                + r.choice(self.domains)
            )
            if r.random() < 0.7
            else f"{r.randint(10**5, 10**10)}@qq.com"
        )
        address = f"{r.choice(self.streets)}{r.randint(1, 999)}号"
        if r.random() < 0.6:
            address += (
                f"{r.choice(self.single)}{r.choice(['苑', '园', '小区'])}"
                f"{r.randint(1, 30)}栋{r.randint(1, 30)}{r.randint(1, 4):02d}室"
            )
        company = ""
        if r.random() < 0.2:
            company = r.choice(ZhCompany.company_prefixes) + r.choice(
                ["科技", "贸易", "网络", "信息", "实业", "传媒", "咨询"]
            )
        while email in self.emails:  # an address belongs to one person
            email = email.replace("@", str(r.randint(0, 9)) + "@")
        self.emails.add(email)
        return {
            "name": surname + given,
            "mobile": self.mobile(),
            "email": email,
            "company": company,
            "prov": prov,
            "city": city,
            "dist": dist,
            "address": address,
        }

    def relative(self, e: dict[str, str]) -> dict[str, str]:
        """Same surname, home address and sometimes phone: a classic false merge."""
        r = self.rng
        rel = dict(e)
        rel["name"] = e["name"][0] + r.choice(self.single) + r.choice(self.single)
        rel["email"] = ""
        if r.random() < 0.7:
            rel["mobile"] = self.mobile()
        return rel

    def record(self, e: dict[str, str]) -> dict[str, str]:
        r = self.rng
        source = r.choice(["erp", "marketing", "callcentre", "wecom"])
        name = e["name"]
        if r.random() < 0.08:
            name = _s2t.convert(name)
        if r.random() < 0.06:
            i = r.randrange(1, len(name))
            alts = _homophones().get(name[i])
            if alts:
                name = name[:i] + r.choice(alts) + name[i + 1 :]
        if r.random() < 0.03:
            name = " ".join(name)
        mobile = e["mobile"]
        if r.random() < 0.04:
            mobile = self.mobile()  # a new number
        elif r.random() < 0.02:
            mobile = mobile[:3] + _typo(r, mobile[3:], "0123456789")
        mobile = r.choice(["{}", "{}", "+86 {}", "+86-{}", "0086{}", "86 {}"]).format(
            r.choice(
                [
                    mobile,
                    f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
                    f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
                ]
            )
        )
        if r.random() < 0.03:
            mobile = mobile.translate(_FULL)
        email = e["email"]
        if email and r.random() < 0.2:
            email = email.upper() if r.random() < 0.5 else " " + email.capitalize()
        if email and r.random() < 0.02:
            email = _typo(r, email, "abcdefghijklmnopqrstuvwxyz")
        prov, city, dist = e["prov"], e["city"], e["dist"]
        address = e["address"]
        if r.random() < 0.03:
            address = f"{r.choice(self.streets)}{r.randint(1, 999)}号"  # moved
        lead = [dist]
        if r.random() < 0.7:
            lead.insert(0, city if r.random() < 0.6 else city.rstrip("市"))
        if r.random() < 0.4:
            lead.insert(0, prov if r.random() < 0.6 else prov.rstrip("省市"))
        address = "".join(lead) + address
        if r.random() < 0.05:
            address = _s2t.convert(address)
        company = e["company"]
        if company:
            company = r.choice(
                [
                    f"{city.rstrip('市')}{company}有限公司",
                    f"{company}({city.rstrip('市')})有限公司",
                    f"{company}有限责任公司",
                    f"{company}有限公司",
                    company,
                ]
            )
        rec = {
            "name": name,
            "mobile": mobile,
            "email": email.strip() and email,
            "company_name": company,
            "province": prov,
            "city": city.rstrip("市") if r.random() < 0.3 else city,
            "district": dist,
            "address": address,
        }
        keep = {
            "erp": ("name", "mobile", "company_name", "province", "city", "district", "address"),
            "marketing": ("name", "mobile", "email", "city"),
            "callcentre": ("name", "mobile", "address"),
            "wecom": ("name", "mobile", "email", "company_name"),
        }[source]
        out = {k: (v if k in keep else "") for k, v in rec.items()}
        if r.random() < 0.08:  # a form left the phone empty
            out["mobile"] = ""
        return out


class _En:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.first = _weighted(
            rng, {**UsPerson.first_names_male, **UsPerson.first_names_female}, 200_000
        )
        self.last = _weighted(rng, UsPerson.last_names, 200_000)
        self.area = [
            "212",
            "312",
            "415",
            "617",
            "202",
            "305",
            "512",
            "206",
            "303",
            "404",
            "713",
            "602",
            "214",
            "718",
            "646",
            "408",
            "503",
            "612",
            "704",
            "919",
        ]
        self.cities = sorted(
            {f"{p} {n}" for p in UsAddress.city_prefixes for n in UsPerson.last_names}
            | {f"{n}{s}" for n in list(UsPerson.last_names)[:300] for s in UsAddress.city_suffixes}
        )
        self.emails: set[str] = set()
        self.suffix = {
            "Street": "St",
            "Avenue": "Ave",
            "Road": "Rd",
            "Boulevard": "Blvd",
            "Lane": "Ln",
            "Drive": "Dr",
            "Court": "Ct",
            "Place": "Pl",
        }

    def phone(self) -> str:
        r = self.rng
        return (
            f"{r.choice(self.area)}{r.randint(2, 9)}{r.randint(0, 9)}{r.randint(2, 9)}"
            f"{r.randrange(10**4):04d}"
        )

    def entity(self) -> dict[str, str]:
        r = self.rng
        first, last = r.choice(self.first), r.choice(self.last)
        city = r.choice(self.cities[:2000])
        return {
            "first": first,
            "last": last,
            "phone": self.phone(),
            "email": self.email(first, last),
            "street": f"{r.randint(1, 9999)} {r.choice(self.last)} {r.choice(list(self.suffix))}",
            "city": city,
            "postcode": f"{r.randint(10000, 99999)}",
            "dob": f"{r.randint(1940, 2005)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
        }

    def email(self, first: str, last: str) -> str:
        r = self.rng
        domain = r.choice(["gmail.com", "yahoo.com", "outlook.com", "aol.com"])
        local = f"{first}.{last}{r.randint(1, 99) if r.random() < 0.5 else ''}".lower()
        while f"{local}@{domain}" in self.emails:  # an address belongs to one person
            local += str(r.randint(0, 9))
        self.emails.add(f"{local}@{domain}")
        return f"{local}@{domain}"

    def relative(self, e: dict[str, str]) -> dict[str, str]:
        rel = dict(e)
        rel["first"] = self.rng.choice(self.first)
        rel["email"] = ""
        rel["dob"] = f"{self.rng.randint(1940, 2005)}-{e['dob'][5:]}"
        return rel

    def record(self, e: dict[str, str]) -> dict[str, str]:
        r = self.rng
        first, last = e["first"], e["last"]
        letters = "abcdefghijklmnopqrstuvwxyz"
        if r.random() < 0.08:
            first = _typo(r, first, letters)
        if r.random() < 0.06:
            last = _typo(r, last, letters)
        if r.random() < 0.04:
            first = first[0] + "."
        form = r.random()
        name = f"{last}, {first}" if form < 0.1 else f"{first} {last}"
        if r.random() < 0.15:
            name = name.upper() if r.random() < 0.5 else name.lower()
        ph = e["phone"] if r.random() > 0.05 else self.phone()
        if r.random() < 0.02:
            ph = ph[:3] + _typo(r, ph[3:], "0123456789")
        ph = r.choice(
            [
                f"({ph[:3]}) {ph[3:6]}-{ph[6:]}",
                f"{ph[:3]}-{ph[3:6]}-{ph[6:]}",
                f"+1 {ph[:3]} {ph[3:6]} {ph[6:]}",
                ph,
                f"1{ph}",
            ]
        )
        email = e["email"]
        if email and r.random() < 0.15:
            email = email.upper()
        if email and r.random() < 0.02:
            email = _typo(r, email, letters)
        street = e["street"]
        for full, short in self.suffix.items():
            if street.endswith(full) and r.random() < 0.4:
                street = street[: -len(full)] + short
        if r.random() < 0.04:
            street = _typo(r, street, letters)
        y, m, d = e["dob"].split("-")
        dob = r.choice([e["dob"], f"{y}/{m}/{d}", f"{int(d)}.{int(m)}.{y}", f"{y}{m}{d}"])
        if r.random() < 0.02:
            dob = f"{y}-{d}-{m}" if int(d) <= 12 else dob
        rec = {
            "name": name,
            "phone": ph,
            "email": email,
            "address": street,
            "city": e["city"] if r.random() > 0.1 else e["city"].upper(),
            "postcode": e["postcode"],
            "birth_date": dob,
        }
        for k in ("phone", "email", "address", "postcode", "birth_date"):
            if r.random() < 0.25:
                rec[k] = ""
        return rec


def generate(rows: int, flavour: str = "zh", seed: int = 7) -> list[dict[str, str]]:
    """Rows (id, entity = truth, fields...) shuffled, ids unrelated to the entity."""
    rng = random.Random(seed)
    gen: _Zh | _En = _Zh(rng) if flavour == "zh" else _En(rng)
    out: list[dict[str, str]] = []
    entity = 0
    while len(out) < rows:
        e = gen.entity()
        family = [e] + ([gen.relative(e)] if rng.random() < 0.05 else [])
        for person in family:
            copies = rng.choices([1, 2, 3, 4, 5, 6], weights=[50, 25, 12, 7, 4, 2])[0]
            for _ in range(copies):
                rec = gen.record(person)
                rec["entity"] = f"E{entity}"
                out.append(rec)
            entity += 1
    out = out[:rows]
    rng.shuffle(out)
    ids = rng.sample(range(10 * rows), rows)
    for rec, i in zip(out, ids, strict=True):
        rec["id"] = f"R{i:08d}"
    return out


def write_csv(rows: list[dict[str, str]], path: str, flavour: str) -> None:
    cols = ZH_COLUMNS if flavour == "zh" else EN_COLUMNS
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--flavour", choices=["zh", "en"], default="zh")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    ap.add_argument(
        "--spec-out",
        help="also write the matching spec here (default: <out without .csv>.spec.yaml; "
        "'-' for none), so `bench_csv.py --csv OUT` finds it beside the CSV",
    )
    args = ap.parse_args()
    write_csv(generate(args.rows, args.flavour, args.seed), args.out, args.flavour)
    spec_out = args.spec_out or str(Path(args.out).with_suffix("")) + ".spec.yaml"
    if spec_out != "-":
        spec = ZH_SPEC if args.flavour == "zh" else EN_SPEC
        Path(spec_out).write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False))


if __name__ == "__main__":
    main()
