"""us_latin: US contacts (households, flat shares and employers as the hard negatives)."""

from __future__ import annotations

import datetime as dt
import re

from faker import Faker
from faker.providers.person.en_US import Provider as UsPersonProvider

from .core import (
    Flavour,
    System,
    Weighted,
    count_distribution,
    created_at,
    digit_typo,
    luhn_free_digits,
    rand_date,
    strip_accents,
    typo,
)
from .us_tables import (
    ASIAN_LAST,
    HISP_FIRST_F,
    HISP_FIRST_M,
    HISP_LAST,
    US_CITY_W,
    US_DIRS,
    US_FAMOUS,
    US_HANDLES,
    US_JUNK_EMPLOYER,
    US_MAIL,
    US_MAIL_TYPO,
    US_NICK,
    US_ORDINALS,
    US_SOUND,
    US_STATE_ALT,
    US_STREET_STEMS,
    US_SUFFIX,
    US_SYSTEMS,
    UsAddr,
    UsCity,
    UsCompany,
    UsPerson,
    us_phone_fmt,
)


class UsLatin(Flavour):
    name = "us_latin"
    region = "US"
    cols = {
        "id": "Customer ID",
        "name": "Full Name",
        "employer": "Employer",
        "home": "Home Phone",
        "cell": "Cell Phone",
        "email": "E-mail Address",
        "street": "Street Address",
        "city": "City",
        "st": "ST",
        "zip": "ZIP",
        "dob": "DOB",
        "ssn": "SSN (last 4)",
        "source": "Source",
        "updated": "Last Updated",
    }
    spec = {
        "name": "person_name",
        "employer": "company_name",
        "home": "phone",
        "cell": "phone",
        "email": "email",
        "street": "address",
        "city": "text",
        "st": "category",
        "zip": "postcode",
        "dob": "date",
        "ssn": "identifier",
    }
    systems = US_SYSTEMS
    counts = count_distribution([0.58, 0.2, 0.08, 0.05], 0.09, 30, 2.2)

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.fake = Faker("en_US")
        self.fake.seed_instance(seed)
        P = UsPersonProvider
        self.first_m = Weighted(list(P.first_names_male), list(P.first_names_male.values()))
        self.first_f = Weighted(list(P.first_names_female), list(P.first_names_female.values()))
        self.lasts = Weighted(list(P.last_names), list(P.last_names.values()))
        self.buildings: dict[str, list[UsAddr]] = {}
        self.famous = [UsCompany(n, v, d) for n, v, d in US_FAMOUS]
        self.companies: list[UsCompany] = []
        self.released: list[str] = []

    def make_id(self, i: int) -> str:
        return f"C{i:08d}"

    # -- generation ----------------------------------------------------------------------
    def _phone(self, city: UsCity) -> str:
        rng = self.rng

        def draw(_: int = 0) -> str:
            return rng.pick(city.areas) + str(rng.randint(2, 9)) + luhn_free_digits(rng, 6)

        return self.claim(draw(), draw)

    def _addr(self, city: UsCity | None = None) -> UsAddr:
        rng = self.rng
        city = city or US_CITY_W.draw(rng)
        pool = self.buildings.setdefault(f"{city.name},{city.st}", [])
        if pool and rng.p(0.35):  # another unit in a known apartment building
            b = rng.pick(pool)
            return UsAddr(b.num, b.predir, b.stem, b.suffix, self._unit(), b.city, b.zip5, b.plus4)
        if rng.p(0.3):
            stem = rng.pick(US_ORDINALS)[0]
        elif rng.p(0.6):
            stem = rng.pick(US_STREET_STEMS)
        else:
            stem = self.fake.last_name()
        suffix = rng.choices(US_SUFFIX, weights=[x[2] for x in US_SUFFIX])[0][0]
        predir = rng.pick(US_DIRS)[0] if rng.p(0.2) else ""
        apt = rng.p(0.35)
        a = UsAddr(
            str(rng.randint(1, 9999)),
            predir,
            stem,
            suffix,
            self._unit() if apt else "",
            city,
            rng.pick(city.zip3) + f"{rng.randint(1, 99):02d}",
            f"{rng.randint(1, 9999):04d}",
        )
        if apt:
            pool.append(a)
        if rng.p(0.02):
            a.po_box = str(rng.randint(1, 99999))
        return a

    def _unit(self) -> str:
        rng = self.rng
        return rng.pick(
            [
                f"{rng.randint(1, 30)}{rng.pick('ABCDEF')}",
                str(rng.randint(1, 40) * 100 + rng.randint(1, 20)),
                str(rng.randint(1, 400)),
            ]
        )

    def _company(self) -> UsCompany:
        rng = self.rng
        if rng.p(0.25):
            return rng.pick(self.famous)
        if self.companies and rng.p(0.3):
            return rng.pick(self.companies)
        name = self.fake.company()
        base = re.sub(r"[^a-z]", "", name.split()[0].lower().split("-")[0].rstrip(","))
        v = [
            name,
            name.replace(" LLC", ""),
            name.replace(" Inc", ", Inc."),
            name.upper(),
            name.replace(" and ", " & "),
        ]
        tld = rng.pick([".com", ".com", "inc.com", "group.com", ".net", ".us"])
        full = re.sub(r"[^a-z]", "", name.lower())
        domain = self.claim(base + tld, lambda k: f"{full}{tld}" if k == 2 else f"{base}{k}{tld}")
        c = UsCompany(name, v, domain)
        self.companies.append(c)
        return c

    def _email(self, first: str, nick: str, last: str, birth: dt.date) -> str:
        rng = self.rng
        f = strip_accents(first).lower()
        n = strip_accents(nick or first).lower()
        lst = re.sub(r"[^a-z]", "", strip_accents(last.split()[0]).lower())
        yy = f"{birth.year % 100:02d}"
        local = rng.wpick(
            [
                (f"{f}.{lst}", 6),
                (f"{f}{lst}", 4),
                (f"{f[0]}{lst}", 4),
                (f"{n}{lst}{yy}", 3),
                (f"{n}.{lst}", 3),
                (f"{lst}{f[0]}", 1),
                (f"{f}_{lst}", 1),
                (f"{n}{rng.randint(1, 999)}", 2),
                (rng.pick(US_HANDLES) + str(rng.randint(1, 99)), 1),
            ]
        )
        return f"{local}@{rng.wpick(US_MAIL)}"

    def _person(
        self,
        male: bool,
        last: str,
        birth: dt.date,
        home: UsAddr,
        home_phone: str,
        first: str = "",
        hisp: bool = False,
    ) -> UsPerson:
        rng = self.rng
        if not first:
            if hisp and rng.p(0.7):
                first = rng.pick(HISP_FIRST_M if male else HISP_FIRST_F)
            else:
                first = (self.first_m if male else self.first_f).draw(rng)
        middle = (
            (self.first_m if male == rng.p(0.95) else self.first_f).draw(rng) if rng.p(0.7) else ""
        )
        if hisp and middle and rng.p(0.5):
            middle = rng.pick(HISP_FIRST_M if male else HISP_FIRST_F)
        nick = rng.pick(US_NICK[first]) if (first in US_NICK and rng.p(0.45)) else ""
        lasts = [last]
        name_t = 2.0
        if not male and rng.p(0.06):
            lasts.append(self.lasts.draw(rng))
            name_t = rng.uniform(0.1, 0.9)
        homes = [home]
        hp = [home_phone]
        move_t = 2.0
        if rng.p(0.15):
            homes.append(self._addr(home.city if rng.p(0.7) else None))
            hp.append(self._phone(homes[1].city) if (home_phone and rng.p(0.5)) else "")
            move_t = rng.uniform(0.1, 0.9)
        cells = [self._phone(home.city)] if rng.p(0.9) else [""]
        if cells[0] and self.released and rng.p(0.02):
            cells[0] = self.released.pop(rng.randrange(len(self.released)))
        cell_t = 2.0
        if rng.p(0.07):
            self.released.append(cells[0])
            cells.append(self._phone(homes[-1].city))
            cell_t = rng.uniform(0.1, 0.9)
        emails = [self.claim_mailbox(self._email(first, nick, last, birth))]
        email_t = 2.0
        if rng.p(0.15):
            emails.append(self.claim_mailbox(self._email(first, nick, lasts[-1], birth)))
            email_t = rng.uniform(0.1, 0.9)
        jobs: list[tuple[UsCompany, str]] = []
        job_t = 2.0
        if 2024 - birth.year < 67 and rng.p(0.6):
            for _ in range(2 if rng.p(0.15) else 1):
                c = self._company()
                f = strip_accents(first).lower()
                lst = re.sub(r"[^a-z]", "", strip_accents(last.split()[0]).lower())
                local = rng.pick([f"{f}.{lst}", f"{f[0]}{lst}", f"{f}{lst[0]}"])
                jobs.append((c, self.claim_mailbox(f"{local}@{c.domain}")))
            job_t = rng.uniform(0.1, 0.9)
        elif rng.p(0.5):
            jobs.append((UsCompany("", [rng.pick(US_JUNK_EMPLOYER)], ""), ""))
        suffix = ""
        return UsPerson(
            self.new_eid(),
            male,
            first,
            middle,
            lasts,
            name_t,
            suffix,
            nick,
            rng.p(0.04),
            birth,
            homes,
            move_t,
            hp,
            cells,
            cell_t,
            emails,
            email_t,
            jobs,
            job_t,
            f"{rng.randint(1, 9999):04d}",
        )

    def _birth(self, lo: int, hi: int) -> dt.date:
        y = 2024 - self.rng.randint(lo, hi)
        return rand_date(self.rng, dt.date(y, 1, 1), dt.date(y, 12, 31))

    def make_group(self) -> list[dict[str, str]]:
        rng = self.rng
        home = self._addr()
        land = self._phone(home.city) if rng.p(0.4) else ""
        r = rng.random()
        hisp = r < 0.16
        asian = 0.16 <= r < 0.22
        last = (
            rng.pick(HISP_LAST)
            if hisp
            else (rng.pick(ASIAN_LAST) if asian else self.lasts.draw(rng))
        )
        if hisp and rng.p(0.6):
            last = f"{last} {rng.pick(HISP_LAST)}"
        kind = rng.wpick(
            [
                ("single", 37),
                ("couple", 33),
                ("family", 15),
                ("roommates", 8),
                ("junior", 4),
                ("twins", 1),
            ]
        )
        members: list[UsPerson] = []
        if kind == "single":
            members.append(
                self._person(rng.p(0.5), last, self._birth(18, 90), home, land, hisp=hisp)
            )
        elif kind == "roommates":
            for _ in range(rng.randint(2, 3)):
                members.append(
                    self._person(rng.p(0.5), self.lasts.draw(rng), self._birth(19, 35), home, land)
                )
        else:
            age = rng.randint(24, 80) if kind != "junior" else rng.randint(42, 80)
            he = self._person(True, last, self._birth(age, age), home, land, hisp=hisp)
            wife_last = last if rng.p(0.8) else self.lasts.draw(rng)
            she = self._person(
                False, wife_last, self._birth(max(18, age - 6), age + 4), home, land, hisp=hisp
            )
            members += [he, she]
            if rng.p(0.06):  # shared household mailbox
                stem = re.sub(r"[^a-z]", "", strip_accents(last.split()[0]).lower())
                tag = rng.pick(["family", "house", "s", ""])
                hh = self.claim_mailbox(f"{stem}{tag}{rng.randint(1, 99)}@{rng.wpick(US_MAIL)}")
                he.household_email = she.household_email = hh
            names = f"{he.first} & {she.first} {last}"
            he.household_names = she.household_names = names
            if kind in ("family", "twins") and age >= 40:
                n = 2 if kind == "twins" else rng.randint(1, 2)
                kb = self._birth(18, age - 22)
                for _ in range(n):
                    kid = self._person(
                        rng.p(0.5),
                        last,
                        kb if kind == "twins" else self._birth(18, age - 22),
                        home,
                        land,
                    )
                    members.append(kid)
            if kind == "junior":
                he.suffix = rng.pick(["Sr.", "Sr.", "", "II"])
                jr = self._person(True, last, self._birth(18, age - 20), home, land, first=he.first)
                jr.middle = he.middle
                jr.suffix = "III" if he.suffix == "II" else "Jr."
                jr.nick = he.nick if rng.p(0.3) else ""
                members.append(jr)
        rows: list[dict[str, str]] = []
        for p in members:
            for t in self.record_times():
                rows.append(self.emit(p, t, self.sys_w.draw(rng)))
        return rows

    # -- rendering -----------------------------------------------------------------------
    def render_name(self, p: UsPerson, s: System, t: float) -> str:
        rng = self.rng
        if p.household_names and rng.p(s.n("household_name")):
            lst = p.lasts[0].split()[0]
            return rng.pick(
                [
                    p.household_names,
                    f"The {lst} Family",
                    f"{lst} Household",
                    f"Mr. and Mrs. {p.household_names.split(' & ')[0]} {lst}",
                ]
            )
        last = p.at(p.lasts, t, p.name_t)
        if len(p.lasts) > 1 and t >= p.name_t and rng.p(0.25):
            last = f"{p.lasts[0]}-{p.lasts[1]}" if rng.p(0.5) else f"{p.lasts[0]} {p.lasts[1]}"
        if " " in last and "-" not in last and rng.p(0.6):  # Hispanic double surname
            a, b = last.split(" ", 1)
            last = rng.wpick([(a, 5), (f"{a}-{b}", 2), (f"{a} {b[0]}.", 0.5), (b, 0.5)])
        first = p.first
        middle = p.middle
        if p.nick and rng.p(s.n("nickname")):
            first = p.nick
        elif rng.p(0.02) and p.first in US_NICK:
            first = rng.pick(US_NICK[p.first])
        if p.by_middle and middle and rng.p(0.6):
            first, middle = (middle, "") if rng.p(0.5) else (f"{p.first[0]}.", middle)
        if rng.p(s.n("soundalike")):
            if first in US_SOUND:
                first = rng.pick(US_SOUND[first])
            elif last in US_SOUND:
                last = rng.pick(US_SOUND[last])
        if rng.p(s.n("typo")):
            if rng.p(0.5):
                last = typo(last, rng)
            else:
                first = typo(first, rng)
        mid = ""
        if middle and not rng.p(0.3):
            mid = f"{middle[0]}." if rng.p(s.n("middle_initial") + 0.1) else ""
            if not mid and rng.p(0.15):
                mid = middle
            if mid and rng.p(0.3):
                mid = mid.rstrip(".")
        suf = p.suffix if (p.suffix and not rng.p(s.n("drop_suffix"))) else ""
        if suf and rng.p(0.4):
            suf = rng.pick([suf.rstrip("."), suf.upper().rstrip(".")])
        if rng.p(s.n("last_first")):
            out = f"{last}, {first}" + (f" {mid}" if mid else "") + (f" {suf}" if suf else "")
        else:
            out = " ".join(x for x in (first, mid, last) if x)
            if suf:
                out += rng.pick([f" {suf}", f", {suf}"])
            if rng.p(0.03):
                out = (
                    rng.pick(
                        ["Mr. " if p.male else "Ms. ", "Dr. ", "Mrs. " if not p.male else "Mr. "]
                    )
                    + out
                )
        if rng.p(s.n("upper")):
            out = strip_accents(out).upper()
        elif rng.p(s.n("lower")):
            out = out.lower()
        elif rng.p(0.6):
            out = strip_accents(out)
        return out

    def render_addr(self, a: UsAddr, s: System) -> str:
        rng = self.rng
        if a.po_box and rng.p(0.5):
            return rng.pick([f"PO Box {a.po_box}", f"P.O. Box {a.po_box}", f"POB {a.po_box}"])
        usps = rng.p(s.n("usps"))
        stem = a.stem
        for o, full in US_ORDINALS:
            if stem == o and not usps and rng.p(0.15):
                stem = full
        if usps or rng.p(0.6):
            suf = next(x[1] for x in US_SUFFIX if x[0] == a.suffix)
            if not usps and rng.p(0.3):
                suf += "."
        else:
            suf = a.suffix
        d = a.predir
        if d and not usps:
            d = rng.wpick([(d, 5), (d + ".", 2), (dict(US_DIRS)[d], 2), ("", 1)])
        line = " ".join(x for x in (a.num, d, stem, suf) if x)
        if a.unit and not rng.p(s.n("unit_dropped")):
            u = a.unit
            if len(u) >= 2 and u[-1].isalpha() and rng.p(0.2):
                u = f"{u[:-1]}-{u[-1]}"
            if usps:
                unit = rng.pick([f"APT {a.unit}", f"# {a.unit}", f"UNIT {a.unit}"])
            else:
                unit = rng.wpick(
                    [
                        (f"Apt {u}", 6),
                        (f"Apt. {u}", 3),
                        (f"#{u}", 4),
                        (f"Unit {u}", 2),
                        (f"Apartment {u}", 1),
                        (f"Ste {u}", 0.3),
                        (f"# {u}", 1),
                    ]
                )
            line += rng.pick([" ", ", ", " "]) + unit
        if rng.p(s.n("typo")):
            line = typo(line, rng)
        return line.upper() if usps else line

    def render(self, p: UsPerson, t: float, s: System) -> dict[str, str]:
        rng = self.rng
        row = {k: "" for k in self.cols}
        row["entity"] = p.eid
        row["source"] = s.name
        row["updated"] = created_at(
            rng, t, rng.pick(["%m/%d/%Y", "%Y-%m-%dT%H:%M:%SZ", "%m/%d/%Y %I:%M %p"])
        )
        if rng.p(s.n("stale")):
            t = 0.0
        if self.fill(s, "name"):
            row["name"] = self.render_name(p, s, t)
        if self.fill(s, "employer") and p.jobs:
            c = p.at(p.jobs, t, p.job_t)[0]
            row["employer"] = rng.pick(c.variants) if rng.p(0.5) else (c.name or c.variants[0])
        home = p.at(p.homes, t, p.move_t)
        hp = p.at(p.home_phones, t, p.move_t)
        cell = p.at(p.cells, t, p.cell_t)
        if self.fill(s, "home") and hp:
            row["home"] = us_phone_fmt(hp, rng, s.n("phone7"))
        if self.fill(s, "cell") and cell:
            row["cell"] = us_phone_fmt(cell, rng, s.n("phone7"))
        if rng.p(s.n("phone_typo")) and row["cell"]:
            row["cell"] = digit_typo(row["cell"], rng)
        if rng.p(s.n("swap_phones")):
            row["home"], row["cell"] = row["cell"], row["home"]
        if self.fill(s, "email"):
            r = rng.random()
            if p.household_email and r < 0.3:
                e = p.household_email
            elif p.jobs and p.jobs[0][1] and r < 0.45:
                e = p.at(p.jobs, t, p.job_t)[1] or p.emails[0]
            elif rng.p(s.n("old_email")):
                e = p.emails[0]
            else:
                e = p.at(p.emails, t, p.email_t)
            local, dom = e.split("@")
            if dom == "gmail.com" and rng.p(s.n("gmail_dots")):
                local = (
                    local.replace(".", "")
                    if "." in local
                    else local[: len(local) // 2] + "." + local[len(local) // 2 :]
                )
            if rng.p(s.n("email_plus")):
                local += "+" + rng.pick(["shop", "deals", "amazon", "news"])
            if rng.p(s.n("email_typo")) and dom in US_MAIL_TYPO:
                dom = rng.pick(US_MAIL_TYPO[dom])
            e = f"{local}@{dom}"
            if rng.p(0.05):
                e = rng.pick([e.capitalize(), e.upper(), f" {e}"])
            row["email"] = e
        if self.fill(s, "street"):
            row["street"] = self.render_addr(home, s)
        if self.fill(s, "city"):
            cname = home.city.name
            row["city"] = cname.upper() if rng.p(s.n("upper") * 0.7) else cname
            if rng.p(0.02):
                row["city"] = rng.pick(
                    {
                        "New York": ["NYC", "New York City", "Manhattan"],
                        "Brooklyn": ["New York", "Bklyn"],
                    }.get(cname, [cname.lower()])
                )
        if self.fill(s, "st"):
            st = home.city.st
            row["st"] = rng.wpick(
                [
                    (st, 20),
                    (home.city.state, 2),
                    (rng.pick(US_STATE_ALT.get(st, [st])), 1),
                    (st.lower(), 0.5),
                ]
            )
        if self.fill(s, "zip"):
            z = home.zip5
            if rng.p(s.n("zip4")):
                z = (
                    rng.pick([f"{z}-{home.plus4}", f"{z}{home.plus4}"])
                    if rng.p(0.9)
                    else f"{z}-{rng.randint(1, 9999):04d}"
                )
            if rng.p(s.n("zip_lost_zero")):
                z = z.lstrip("0")
            row["zip"] = z
        if self.fill(s, "dob"):
            b = p.birth
            if rng.p(0.01):
                row["dob"] = rng.pick(["01/01/1900", "1900-01-01", "00/00/0000"])
            elif rng.p(s.n("dob_year_only")):
                row["dob"] = str(b.year)
            elif rng.p(s.n("dob_intl")):
                row["dob"] = f"{b.day:02d}/{b.month:02d}/{b.year}"
            elif rng.p(s.n("dob_long")):
                row["dob"] = b.strftime("%B ") + f"{b.day}, {b.year}"
            else:
                row["dob"] = rng.wpick(
                    [
                        (f"{b.month:02d}/{b.day:02d}/{b.year}", 6),
                        (f"{b.month}/{b.day}/{b.year}", 3),
                        (b.isoformat(), 3 if s.name == "Ecommerce" else 0.5),
                        (f"{b.month}/{b.day}/{b.year % 100:02d}", 1),
                    ]
                )
        if self.fill(s, "ssn"):
            v = p.ssn4
            if rng.p(s.n("ssn_lost_zero")):
                v = v.lstrip("0")
            row["ssn"] = (
                v if not rng.p(0.2) else rng.pick([f"XXX-XX-{v}", f"***-**-{v}", f"xxx-xx-{v}"])
            )
        return row
