"""de_latin: German customers (households and firms as the hard negatives)."""

from __future__ import annotations

import datetime as dt
import re

from faker import Faker
from faker.providers.person.de_DE import Provider as DePersonProvider

from .core import (
    KB_DE,
    Flavour,
    System,
    Weighted,
    count_distribution,
    de_ascii,
    digit_typo,
    email_noise,
    luhn_free_digits,
    mojibake,
    rand_date,
    typo,
    zipf,
)
from .de_tables import (
    DE_BRANCHES,
    DE_CITY_BY_NAME,
    DE_CITY_W,
    DE_COMMON_STREETS,
    DE_FAMOUS,
    DE_FIRST_F,
    DE_FIRST_M,
    DE_FORM_VARIANTS,
    DE_FORMS,
    DE_MAIL,
    DE_MOBILE_PREFIX,
    DE_NOBLE,
    DE_SHORT,
    DE_SOUND,
    DE_SURNAMES_MIGRANT,
    DE_SURNAMES_TOP,
    DE_SYSTEMS,
    DeAddr,
    DeCity,
    DeCompany,
    DeJob,
    DePerson,
    de_mobile_fmt,
    de_phone_fmt,
)


class DeLatin(Flavour):
    name = "de_latin"
    region = "DE"
    cols = {
        "id": "KdNr",
        "anrede": "Anrede",
        "first": "Vorname",
        "last": "Nachname",
        "company": "Firma",
        "phone": "Telefon",
        "mobile": "Mobil",
        "email": "E-Mail",
        "street": "Straße",
        "plz": "PLZ",
        "city": "Ort",
        "dob": "Geburtsdatum",
        "vat": "USt-IdNr",
        "source": "Quelle",
        "note": "Bemerkung",
    }
    spec = {
        "anrede": "category",
        "first": "person_name",
        "last": "person_name",
        "company": "company_name",
        "phone": "phone",
        "mobile": "phone",
        "email": "email",
        "street": "address",
        "plz": "postcode",
        "city": "text",
        "dob": "date",
        "vat": "identifier",
    }
    systems = DE_SYSTEMS
    mixes = {
        "b2b": {
            "Altsystem": 0.3,
            "CRM": 0.45,
            "Callcenter": 0.15,
            "Webshop": 0.05,
            "Gewinnspiel": 0.05,
        },
        "b2c": {
            "Altsystem": 0.2,
            "CRM": 0.05,
            "Callcenter": 0.15,
            "Webshop": 0.4,
            "Gewinnspiel": 0.2,
        },
    }
    counts = count_distribution([0.6, 0.19, 0.08, 0.045], 0.085, 25, 2.3)
    SIZE_W = Weighted(list(range(1, 61)), [s**-1.8 for s in range(1, 61)])

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.fake = Faker("de_DE")
        self.fake.seed_instance(seed)
        tail = [x for x in DePersonProvider.last_names if x not in DE_SURNAMES_TOP]
        sur = DE_SURNAMES_TOP + DE_SURNAMES_MIGRANT + DE_NOBLE + tail
        w = [x * 30 for x in zipf(len(DE_SURNAMES_TOP), 0.8)]
        w += [0.6] * len(DE_SURNAMES_MIGRANT) + [0.3] * len(DE_NOBLE) + [0.5] * len(tail)
        self.surnames = Weighted(sur, w)
        self.first_m = Weighted(DE_FIRST_M, zipf(len(DE_FIRST_M), 0.6))
        self.first_f = Weighted(DE_FIRST_F, zipf(len(DE_FIRST_F), 0.6))
        self.buildings: dict[str, list[DeAddr]] = {}
        self.famous = [self._famous(f) for f in DE_FAMOUS]

    def make_id(self, i: int) -> str:
        return f"{i:07d}" if self.rng.p(0.5) else f"K-{i:07d}"

    # -- generation ----------------------------------------------------------------------
    def _street(self) -> str:
        if self.rng.p(0.45):
            return self.rng.pick(DE_COMMON_STREETS)
        return self.fake.street_name()

    def _addr(self, city: DeCity | None = None, reuse: float = 0.4) -> DeAddr:
        rng = self.rng
        city = city or DE_CITY_W.draw(rng)
        pool = self.buildings.setdefault(city.name, [])
        if pool and rng.p(reuse):
            b = rng.pick(pool)
            extra = rng.pick(
                [
                    "",
                    "",
                    "",
                    "Hinterhaus",
                    "3. OG",
                    f"Whg. {rng.randint(1, 20)}",
                    f"bei {self.surnames.draw(rng)}",
                ]
            )
            return DeAddr(b.street, b.num, b.plz, b.city, extra)
        num = str(rng.randint(1, 180)) + (rng.pick("abcd") if rng.p(0.1) else "")
        a = DeAddr(self._street(), num, rng.randint(city.plz_lo, city.plz_hi), city)
        pool.append(a)
        return a

    def _landline(self, city: DeCity) -> str:
        rng = self.rng

        def draw(_: int = 0) -> str:
            n = rng.wpick([(6, 1), (7, 3), (8, 3)])
            return f"{city.area}/{rng.randint(2, 9)}{luhn_free_digits(rng, n - 1)}"

        return self.claim(draw(), draw).split("/")[1]

    def _mobile(self) -> str:
        return self.rng.pick(DE_MOBILE_PREFIX[:-2]) + luhn_free_digits(
            self.rng, self.rng.pick([7, 8])
        )

    def _vat(self) -> str:
        return "DE" + str(self.rng.randint(1, 3)) + luhn_free_digits(self.rng, 8)

    def _famous(self, f: tuple[str, str, list[str], str, str]) -> DeCompany:
        base, form, shorts, dom, city = f
        c = DE_CITY_BY_NAME[city]
        a = self._addr(c, 0.0)
        return DeCompany(
            base,
            form,
            shorts,
            dom,
            self.rng.randrange(4),
            a,
            c.area,
            self._landline(c)[:5],
            self._vat(),
        )

    def _company(self, owner: str = "") -> DeCompany:
        rng = self.rng
        city = DE_CITY_W.draw(rng)
        form = rng.wpick(DE_FORMS)
        r = rng.random()
        founder = owner or self.surnames.draw(rng)
        if r < 0.6:
            base = f"{founder} {rng.pick(DE_BRANCHES)}"
        elif r < 0.75:
            base = f"{founder} & {rng.pick(['Partner', 'Söhne', self.surnames.draw(rng)])}"
        elif r < 0.85:
            base = f"{rng.pick(DE_BRANCHES)} {founder}"
        else:
            base = f"{self.fake.last_name()}-{rng.pick(DE_BRANCHES)}"
        shorts = [base, base.split(" ")[0]]
        slug = de_ascii(base.split(" ")[0], rng, 1.0).lower()
        slug2 = de_ascii(base, rng, 1.0).lower().replace(" & ", "-").replace(" ", "-")
        stem = rng.pick([slug, slug2, slug + "-" + rng.pick(["gmbh", "online", "group", "ag"])])
        tld = rng.wpick([(".de", 10), (".com", 2), (".eu", 0.5), (".net", 0.5)])
        town = de_ascii(city.name.split(" ")[0], rng, 1.0).lower().strip("()")
        domain = self.claim(
            stem + tld,
            lambda k: (
                [f"{slug2}{tld}", f"{stem}-{town}{tld}", f"{slug2}-{town}{tld}"][k - 2]
                if k <= 4
                else f"{stem}{k}{tld}"
            ),
        )
        a = self._addr(city, 0.1)
        return DeCompany(
            base,
            form,
            shorts,
            domain,
            rng.randrange(5),
            a,
            city.area,
            self._landline(city)[:5],
            self._vat(),
            owner,
        )

    def _email(self, first: str, last: str, style: int, domain: str) -> str:
        rng = self.rng
        f = de_ascii(first, rng, 1.0).lower().replace(" ", "")
        lst = de_ascii(last, rng, 1.0).lower().replace(" ", "").replace("von", "")
        local = [
            f"{f}.{lst}",
            f"{f[0]}.{lst}",
            f"{f[0]}{lst}",
            f"{lst}",
            f"{f}{lst}",
            f"{lst}.{f}",
        ][style % 6]
        return f"{local}@{domain}"

    def _private_email(self, first: str, last: str, birth: dt.date) -> str:
        rng = self.rng
        f = de_ascii(first, rng, 1.0).lower()
        lst = de_ascii(last, rng, 1.0).lower().replace(" ", "")
        short = rng.pick(DE_SHORT.get(first, [first])).lower()
        yy = str(rng.randint(1, 99))
        local = rng.wpick(
            [
                (f"{f}.{lst}", 6),
                (f"{f}{lst}", 2),
                (f"{f[0]}.{lst}", 2),
                (f"{f}.{lst}{birth.year % 100:02d}", 2),
                (f"{f}_{lst}", 1),
                (f"{lst}.{f}", 1),
                (f"{short}{birth.year}", 1),
                (f"{short}{rng.randint(1, 999)}", 1),
                (rng.pick(["mausi", "schatzi", "bienchen", "hase", "fcbayern", "bvb"]) + yy, 0.5),
            ]
        )
        return f"{local}@{rng.wpick(DE_MAIL)}"

    def _person(
        self,
        male: bool,
        last: str,
        birth: dt.date,
        home: DeAddr,
        landline: str,
        job: DeJob | None = None,
        private: bool = True,
        first: str = "",
    ) -> DePerson:
        rng = self.rng
        first = first or (self.first_m if male else self.first_f).draw(rng)
        second = (self.first_m if male else self.first_f).draw(rng) if rng.p(0.15) else ""
        title = rng.wpick([("", 95), ("Dr.", 4), ("Prof. Dr.", 0.5), ("Dipl.-Ing.", 0.5)])
        lasts = [last]
        name_t = 2.0
        if not male and rng.p(0.05):
            lasts.append(self.surnames.draw(rng))
            name_t = rng.uniform(0.1, 0.9)
        homes = [home]
        lands = [landline]
        move_t = 2.0
        if rng.p(0.12):
            homes.append(self._addr(home.city if rng.p(0.6) else None))
            lands.append(self._landline(homes[1].city) if rng.p(0.5) else "")
            move_t = rng.uniform(0.1, 0.9)
        mobiles = [self._mobile()] if rng.p(0.85) else [""]
        mobile_t = 2.0
        if rng.p(0.06):
            mobiles.append(self._mobile())
            mobile_t = rng.uniform(0.1, 0.9)
        email = self.claim_mailbox(self._private_email(first, last, birth))
        email2 = ""
        email_t = 2.0
        if rng.p(0.1):
            email2 = self.claim_mailbox(self._private_email(first, lasts[-1], birth))
            if rng.p(0.3) and "gmail.com" in email:
                email2 = email.replace("gmail.com", "googlemail.com")
            email_t = rng.uniform(0.1, 0.9)
        return DePerson(
            self.new_eid(),
            male,
            title,
            first,
            second,
            lasts,
            name_t,
            birth,
            homes,
            move_t,
            lands,
            mobiles,
            mobile_t,
            email,
            email2,
            email_t,
            job,
            private,
        )

    def _birth(self, age_lo: int, age_hi: int) -> dt.date:
        y = 2024 - self.rng.randint(age_lo, age_hi)
        return rand_date(self.rng, dt.date(y, 1, 1), dt.date(y, 12, 31))

    def _job(self, co: DeCompany, first: str, last: str) -> DeJob:
        rng = self.rng
        email = self._email(first, last, co.mail_style, co.domain)
        k = co.used.get(email, 0)
        co.used[email] = k + 1
        if k:
            loc, dom = email.split("@")
            email = f"{loc}{k + 1}@{dom}"
        return DeJob(co, str(rng.randint(10, 999)), email, self._mobile() if rng.p(0.4) else "")

    def make_group(self) -> list[dict[str, str]]:
        rng = self.rng
        members: list[DePerson] = []
        if rng.p(0.3):  # business contacts
            if rng.p(0.06):
                co = rng.pick(self.famous)
                size = rng.randint(1, 4)
            else:
                co = None
                size = self.SIZE_W.draw(rng)
            if co is None and rng.p(0.15):  # sole trader: the owner is also a private customer
                male = rng.p(0.7)
                last = self.surnames.draw(rng)
                co = self._company(owner=last)
                co.form = rng.pick(["e.K.", "GbR", "GmbH"])
                home = self._addr()
                p = self._person(male, last, self._birth(28, 70), home, self._landline(home.city))
                p.job = self._job(co, p.first, last)
                co.owner = f"{p.first} {last}"
                members.append(p)
                size -= 1
            co = co or self._company()
            for _ in range(max(size, 0)):
                male = rng.p(0.6)
                last = self.surnames.draw(rng)
                first = (self.first_m if male else self.first_f).draw(rng)
                home = self._addr()
                p = self._person(
                    male,
                    last,
                    self._birth(22, 65),
                    home,
                    "",
                    self._job(co, first, last),
                    rng.p(0.15),
                    first,
                )
                members.append(p)
        else:
            home = self._addr()
            land = self._landline(home.city) if rng.p(0.6) else ""
            kind = rng.wpick(
                [("single", 40), ("couple", 35), ("family", 12), ("wg", 8), ("senior_junior", 1.5)]
            )
            last = self.surnames.draw(rng)
            if kind == "single":
                members.append(self._person(rng.p(0.5), last, self._birth(18, 90), home, land))
            elif kind in ("couple", "family", "senior_junior"):
                age = rng.randint(25, 80)
                b1 = self._birth(age, age)
                b2 = self._birth(max(18, age - 6), age + 4)
                last2 = last if rng.p(0.75) else self.surnames.draw(rng)
                he = self._person(True, last, b1, home, land)
                she = self._person(False, last2, b2, home, land)
                if last2 != last and rng.p(0.3):
                    she.lasts = [f"{last2}-{last}"]
                members += [he, she]
                if kind == "family" and age >= 40:
                    for _ in range(rng.randint(1, 2)):
                        members.append(
                            self._person(rng.p(0.5), last, self._birth(18, age - 22), home, land)
                        )
                if kind == "senior_junior" and age >= 45:
                    # father and son with the same first name in the same flat
                    members.append(
                        self._person(
                            True, last, self._birth(18, age - 22), home, land, first=he.first
                        )
                    )
            else:  # Wohngemeinschaft: unrelated people, same address and landline
                for _ in range(rng.randint(2, 4)):
                    members.append(
                        self._person(
                            rng.p(0.5), self.surnames.draw(rng), self._birth(19, 35), home, land
                        )
                    )
        rows: list[dict[str, str]] = []
        for p in members:
            mix = self.sys_mix["b2b" if (p.job and not p.private) else "b2c"]
            for t in self.record_times():
                rows.append(self.emit(p, t, mix.draw(rng)))
        return rows

    # -- rendering -----------------------------------------------------------------------
    def render(self, p: DePerson, t: float, s: System) -> dict[str, str]:
        rng = self.rng
        row = {k: "" for k in self.cols}
        row["entity"] = p.eid
        row["source"] = s.name
        business = p.job is not None and (
            not p.private or (s.name in ("CRM", "Altsystem") and rng.p(0.6))
        )
        if s.name == "Altsystem" and rng.p(s.n("stale")):
            t = 0.0  # the legacy system never saw an update
        last = p.at(p.lasts, t, p.name_t)
        if len(p.lasts) > 1 and t >= p.name_t and rng.p(0.3):
            last = rng.pick([f"{p.lasts[1]}-{p.lasts[0]}", f"{p.lasts[1]} geb. {p.lasts[0]}"])
        m = re.match(r"(von der|von|van den|van der|van|zu) (.+)", last)
        if m and rng.p(0.4):
            last = rng.pick(
                [
                    f"{m.group(2)}, {m.group(1)}",
                    f"{m.group(2)}",
                    f"v. {m.group(2)}",
                    f"{m.group(1).capitalize()} {m.group(2)}",
                ]
            )
        first = p.first
        if p.second and rng.p(0.15):
            first = f"{first} {p.second}"
        if rng.p(s.n("nickname")) and first in DE_SHORT:
            first = rng.pick(DE_SHORT[first])
        if rng.p(s.n("soundalike")):
            if last in DE_SOUND and rng.p(0.6):
                last = rng.pick(DE_SOUND[last])
            elif first in DE_SOUND:
                first = rng.pick(DE_SOUND[first])
        if rng.p(s.n("typo")):
            if rng.p(0.5):
                last = typo(last, rng, KB_DE)
            else:
                first = typo(first, rng, KB_DE)
        if "-" in first and rng.p(0.15):
            first = rng.pick(
                [
                    first.replace("-", " "),
                    first.replace("-", "").capitalize(),
                    ".-".join(x[0] for x in first.split("-")) + ".",
                ]
            )
        if rng.p(s.n("first_initial")):
            first = first[0] + "."
        anrede = "Herr" if p.male else "Frau"
        if p.title:
            r = rng.random()
            if r < s.n("title_in_anrede"):
                anrede = f"{anrede} {p.title}"
            elif r < s.n("title_in_anrede") + s.n("title_in_last") or rng.p(0.3):
                if rng.p(0.5):
                    last = f"{p.title} {last}"
                else:
                    first = f"{p.title} {first}"
        if self.fill(s, "anrede"):
            row["anrede"] = (
                anrede if not rng.p(0.02) else rng.pick(["Familie", "Firma", "Herr/Frau", "Divers"])
            )
        fill_first = self.fill(s, "first")
        if rng.p(s.n("name_in_last")):
            row["last"] = f"{last}, {first}"
        else:
            row["last"] = last if self.fill(s, "last") else ""
            row["first"] = first if fill_first else ""
        if rng.p(s.n("swap_names")):
            row["first"], row["last"] = row["last"], row["first"]
        # company
        job = p.job
        if job and business and self.fill(s, "company"):
            co = job.company
            if rng.p(s.n("company_variant") + 0.1):
                name = rng.pick(co.shorts) if rng.p(0.4) else co.base
                form = rng.pick(DE_FORM_VARIANTS[co.form]).replace("{owner}", co.owner or co.base)
                name = f"{name} {form}".strip()
            else:
                name = f"{co.base} {co.form}"
            if rng.p(0.05):
                name = "Fa. " + name
            row["company"] = name
        elif not business and rng.p(0.01):
            row["company"] = rng.pick(["privat", "Privat", "-", "keine"])
        # phones
        home = p.at(p.homes, t, p.move_t)
        land = p.at(p.landlines, t, p.move_t)
        mob = p.at(p.mobiles, t, p.mobile_t)
        no_area = s.n("no_area")
        if self.fill(s, "phone"):
            if business and job:
                co = job.company
                ext = job.ext if rng.p(0.7) else "0"
                row["phone"] = de_phone_fmt(
                    co.area, co.trunk, rng, ext, no_area, co.addr.city.country
                )
            elif land:
                row["phone"] = de_phone_fmt(
                    home.city.area, land, rng, None, no_area, home.city.country
                )
            elif mob and rng.p(0.5):
                row["phone"] = de_mobile_fmt(mob, rng)
        if self.fill(s, "mobile"):
            mnum = job.mobile if (business and job and job.mobile and rng.p(0.7)) else mob
            if mnum:
                row["mobile"] = de_mobile_fmt(mnum, rng)
        if rng.p(s.n("phone_typo")) and row["phone"]:
            row["phone"] = digit_typo(row["phone"], rng)
        if rng.p(s.n("swap_phones")):
            row["phone"], row["mobile"] = row["mobile"], row["phone"]
        # email
        if self.fill(s, "email"):
            if business and job:
                e = f"info@{job.company.domain}" if rng.p(s.n("info_mail")) else job.email
            else:
                e = p.email2 if (p.email2 and t >= p.email_t) else p.email
            row["email"] = email_noise(e, rng, s)
        # address
        a = job.company.addr if (business and job) else home
        if self.fill(s, "street"):
            st = a.street
            if rng.p(s.n("street_abbrev") + s.n("street_variant")):
                st = rng.pick(
                    [
                        st.replace("straße", "str."),
                        st.replace("straße", "strasse"),
                        st.replace("Straße", "Str."),
                        st.replace("straße", " Str."),
                        st.replace("straße", "Straße"),
                        st.replace("-", " "),
                    ]
                )
            num = a.num
            if rng.p(0.1) and num[-1].isalpha():
                num = num[:-1] + " " + num[-1].upper()
            street = f"{st} {num}" if not rng.p(0.05) else f"{st}{num}"
            if a.extra and rng.p(0.5):
                street += rng.pick([", ", " ", " / "]) + a.extra
            row["street"] = street
        plz = f"{a.plz:05d}" if a.city.country == "DE" else f"{a.plz:04d}"
        if self.fill(s, "plz"):
            v = plz
            if rng.p(s.n("plz_lost_zero")):
                v = str(int(v))
            if rng.p(0.02):
                v = {"DE": "D-", "AT": "A-", "CH": "CH-"}[a.city.country] + v
            row["plz"] = v
        if self.fill(s, "city"):
            c = a.city.name
            if rng.p(s.n("city_variant") + 0.1):
                c = rng.pick(a.city.variants)
            row["city"] = c
            if rng.p(s.n("plz_in_city")):
                row["city"] = f"{plz} {c}"
                row["plz"] = ""
        if self.fill(s, "dob") and not business:
            b = p.birth
            if rng.p(0.01):
                row["dob"] = "01.01.1900"
            elif rng.p(s.n("dob_us")):
                row["dob"] = f"{b.month:02d}/{b.day:02d}/{b.year}"
            elif rng.p(s.n("dob_iso")):
                row["dob"] = b.isoformat()
            elif rng.p(s.n("dob_short")):
                row["dob"] = f"{b.day:02d}.{b.month:02d}.{b.year % 100:02d}"
            else:
                row["dob"] = rng.wpick(
                    [(f"{b.day:02d}.{b.month:02d}.{b.year}", 8), (f"{b.day}.{b.month}.{b.year}", 2)]
                )
        if self.fill(s, "vat") and business and job:
            v = job.company.vat
            if rng.p(s.n("vat_format")):
                v = rng.pick(
                    [f"{v[:2]} {v[2:5]} {v[5:8]} {v[8:]}", v.lower(), v[2:], f"{v[:2]} {v[2:]}"]
                )
            if rng.p(s.n("steuernr")):
                v = f"{rng.randint(10, 99)}/{rng.randint(100, 999)}/{rng.randint(10000, 99999)}"
            row["vat"] = v
        if rng.p(0.05):
            row["note"] = rng.pick(
                ["Stammkunde", "Rechnung an Firma", "nicht mehr anrufen", "Dublette?", "Umzug"]
            )
        # whole-record transforms
        name_cols = ("anrede", "first", "last", "company", "street", "city")
        if rng.p(s.n("upper_ascii")):
            for k in name_cols:
                row[k] = de_ascii(row[k], rng, 0.9).upper()
            if rng.p(s.n("truncate")):
                for k in ("last", "company", "street"):
                    row[k] = row[k][:25]
        if rng.p(s.n("ascii")):
            for k in name_cols:
                row[k] = de_ascii(row[k], rng)
        if rng.p(s.n("lower")):
            for k in ("first", "last", "street", "city"):
                row[k] = row[k].lower()
        if rng.p(s.n("mojibake")):
            for k in ("first", "last", "street", "city", "company"):
                row[k] = mojibake(row[k])
        return row
