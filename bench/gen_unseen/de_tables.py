"""German reference tables for the de_latin flavour: names, nicknames and sound-alikes,
cities, streets, branches, legal forms, well-known firms, mail domains and phone formats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .core import Rng, System, T, Weighted, _groups, _multi, kv

# =============================================================================================
# de_latin
# =============================================================================================

DE_SURNAMES_TOP = (
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer "
    "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange "
    "Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter "
    "Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel Friedrich "
    "Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon "
    "Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß Seidel "
    "Heinrich Brandt Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch "
    "Bergmann Thomas Voigt Sauer Arnold Wolff Pfeiffer"
).split()
DE_SURNAMES_MIGRANT = (
    "Yılmaz Kaya Demir Şahin Çelik Öztürk Aydın Nowak Kowalski Wiśniewski Lewandowski Popović "
    "Jovanović Kovačević Nguyen Rossi Ivanov Schmidt-Özdemir Papadopoulos"
).split()
DE_NOBLE = [
    "von Bülow",
    "von der Heydt",
    "zu Guttenberg",
    "von Arnim",
    "van den Berg",
    "von Weizsäcker",
]
DE_FIRST_M = (
    "Peter Michael Thomas Andreas Wolfgang Klaus Jürgen Stefan Christian Uwe Werner Hans Frank "
    "Bernd Günter Horst Manfred Dieter Martin Jörg Ralf Helmut Matthias Markus Sven Tobias Daniel "
    "Alexander Jan Florian Sebastian Lukas Maximilian Felix Paul Leon Jonas Tim Niklas Philipp "
    "Dirk Holger Karl-Heinz Hans-Peter Hans-Jürgen Jens Torsten Björn Rüdiger Gerhard Heinz Dennis "
    "Kevin Marco Mehmet Ali Mustafa Piotr Stephan Christoph Carsten Kai Johannes Friedrich Wilhelm "
    "Benjamin Patrick Dominik Mathias Günther Walter Rudolf Maik"
).split()
DE_FIRST_F = (
    "Ursula Monika Petra Elisabeth Sabine Renate Helga Karin Brigitte Ingrid Erika Andrea Gisela "
    "Claudia Susanne Gabriele Christa Christine Birgit Stefanie Nicole Katrin Kathrin Julia Anna "
    "Lisa Laura Sarah Lena Marie Sophie Hannah Jana Anja Martina Heike Silke Tanja Sandra Melanie "
    "Jessica Jennifer Anne-Kathrin Marie-Luise Jutta Gudrun Bärbel Doris Annette Ayşe Fatma Elif "
    "Agnieszka Katarzyna Maria Dörte Katharina Margarete Sylvia Nadine Simone"
).split()
DE_SHORT: dict[str, list[str]] = _multi(
    "Johannes:Hannes,Jo Alexander:Alex Christian:Chris Christoph:Chris Stefanie:Steffi "
    "Katharina:Kathi,Katja Elisabeth:Lisa,Elli,Sissi Susanne:Susi,Sanne Andreas:Andi "
    "Michael:Micha,Michi Thomas:Tom Maximilian:Max Sebastian:Basti Tobias:Tobi Daniel:Dani "
    "Matthias:Matze Benjamin:Ben Florian:Flo Patrick:Paddy Hans-Peter:HP,Hans "
    "Karl-Heinz:Kalle,Karl Gabriele:Gabi Brigitte:Gitte Margarete:Grete,Margret Friedrich:Fritz "
    "Wilhelm:Willi Hans-Jürgen:Hans,Jürgen Anne-Kathrin:Anne,Anka Marie-Luise:Marie,Malu "
    "Nicole:Nici Jennifer:Jenny Jessica:Jessi"
)
#: what a call-centre agent writes after hearing the name on the phone
#: what a call-centre agent writes after hearing the name on the phone
DE_SOUNDALIKE = _groups(
    "Meier,Meyer,Mayer,Maier,Mayr Schmidt,Schmitt,Schmid Hofmann,Hoffmann Weiß,Weiss,Weis "
    "Vogt,Voigt Lehmann,Leemann Philipp,Phillip Stefan,Stephan Christoph,Christof,Kristof "
    "Claudia,Klaudia Carsten,Karsten Katrin,Kathrin,Catrin Ralf,Ralph Kai,Kay Maik,Mike "
    "Sylvia,Silvia Günter,Günther Matthias,Mathias Sven,Swen Walter,Walther Kraus,Krauß "
    "Groß,Gross Wolf,Wolff Fuchs,Fux Beck,Bek Kühn,Kuehn,Kuhn"
)
DE_SOUND: dict[str, list[str]] = {}
for _g in DE_SOUNDALIKE:
    for _n in _g:
        DE_SOUND[_n] = [x for x in _g if x != _n]


@dataclass(frozen=True)
class DeCity:
    name: str
    variants: tuple[str, ...]
    plz_lo: int
    plz_hi: int
    area: str
    weight: float
    country: str = "DE"


#: name | PLZ from | PLZ to | area code | weight | country | other spellings seen in the wild
_DE_CITY_TABLE = """
Berlin|10115|14199|030|14|DE|Berlin-Charlottenburg;Berlin-Mitte;Berlin Kreuzberg;BERLIN
Hamburg|20095|22769|040|7|DE|Hamburg-Altona;HH
München|80331|81929|089|6|DE|Muenchen;Munich;München-Schwabing
Köln|50667|51149|0221|4.5|DE|Koeln;Cologne;Köln-Ehrenfeld
Frankfurt am Main|60311|60599|069|3.5|DE|Frankfurt a. M.;Frankfurt/Main;Frankfurt/M.;Frankfurt;Ffm
Stuttgart|70173|70629|0711|3|DE|Stuttgart-Vaihingen
Düsseldorf|40210|40629|0211|3|DE|Duesseldorf;Dusseldorf
Dortmund|44135|44388|0231|2.5|DE|
Essen|45127|45359|0201|2.5|DE|Essen-Rüttenscheid
Leipzig|4103|4357|0341|2.5|DE|
Bremen|28195|28779|0421|2.5|DE|
Dresden|1067|1328|0351|2.5|DE|
Hannover|30159|30669|0511|2.5|DE|Hanover
Nürnberg|90402|90491|0911|2.5|DE|Nuernberg;Nuremberg
Duisburg|47051|47279|0203|2|DE|
Bochum|44787|44894|0234|1.5|DE|
Wuppertal|42103|42399|0202|1.5|DE|Wuppertal-Elberfeld
Bielefeld|33602|33739|0521|1.5|DE|
Bonn|53111|53229|0228|1.5|DE|Bonn-Bad Godesberg
Münster|48143|48167|0251|1.5|DE|Muenster;Münster (Westf.)
Mannheim|68159|68309|0621|1.5|DE|
Ludwigshafen am Rhein|67059|67071|0621|.8|DE|Ludwigshafen;Ludwigshafen a. Rh.
Karlsruhe|76131|76229|0721|1.5|DE|
Augsburg|86150|86199|0821|1.5|DE|
Wiesbaden|65183|65207|0611|1.3|DE|
Chemnitz|9111|9247|0371|1.2|DE|
Halle (Saale)|6108|6132|0345|1.2|DE|Halle/Saale;Halle an der Saale;Halle
Freiburg im Breisgau|79098|79117|0761|1.2|DE|Freiburg i. Br.;Freiburg
Mainz|55116|55131|06131|1.1|DE|
Erfurt|99084|99099|0361|1.1|DE|
Kassel|34117|34134|0561|1|DE|
Potsdam|14467|14482|0331|1|DE|
Wolfsburg|38440|38448|05361|.6|DE|
Leverkusen|51368|51381|0214|.8|DE|
Heidelberg|69115|69126|06221|1|DE|
Regensburg|93047|93059|0941|1|DE|
Frankfurt (Oder)|15230|15236|0335|.4|DE|Frankfurt/Oder;Frankfurt an der Oder;Frankfurt
Wien|1010|1230|01|.8|AT|Vienna;A-Wien
Zürich|8001|8099|044|.6|CH|Zuerich;Zurich
Salzburg|5020|5026|0662|.3|AT|
"""
DE_CITIES: list[DeCity] = [
    DeCity(n, (n, *v.split(";")) if v else (n,), int(lo), int(hi), a, float(w), cc)
    for n, lo, hi, a, w, cc, v in (ln.split("|") for ln in _DE_CITY_TABLE.strip().splitlines())
]
DE_CITY_W = Weighted(DE_CITIES, [c.weight for c in DE_CITIES])
DE_CITY_BY_NAME = {c.name: c for c in DE_CITIES}
DE_COMMON_STREETS = (
    "Hauptstraße Bahnhofstraße Gartenstraße Schulstraße Dorfstraße Bergstraße Birkenweg "
    "Lindenstraße Kirchstraße Waldstraße Ringstraße Schillerstraße Goethestraße Mühlenweg "
    "Friedrichstraße Poststraße Am Markt Karl-Marx-Straße Kaiser-Wilhelm-Ring Berliner Allee "
    "Münchener Straße Beethovenstraße Mozartstraße Rosenweg Am Sportplatz Jahnstraße Feldstraße "
    "Talstraße Wiesenweg Königsallee"
).split(" ")
DE_COMMON_STREETS = [
    x
    for x in " ".join(DE_COMMON_STREETS)
    .replace("Am ", "Am_")
    .replace("Berliner ", "Berliner_")
    .replace("Münchener ", "Münchener_")
    .split()
]
DE_COMMON_STREETS = [x.replace("_", " ") for x in DE_COMMON_STREETS]
DE_BRANCHES = [
    "Bau",
    "Elektro",
    "Sanitär",
    "Immobilien",
    "Logistik",
    "Consulting",
    "Software",
    "Metallbau",
    "Autohaus",
    "Steuerberatung",
    "Dental",
    "Druck",
    "Transporte",
    "Holzbau",
    "Gartenbau",
    "Haustechnik",
    "Gebäudereinigung",
    "Maschinenbau",
    "Versicherungsmakler",
    "Medizintechnik",
]
DE_FORMS = [
    ("GmbH", 55),
    ("GmbH & Co. KG", 15),
    ("AG", 4),
    ("e.K.", 8),
    ("KG", 5),
    ("OHG", 3),
    ("UG (haftungsbeschränkt)", 4),
    ("GbR", 3),
    ("SE", 0.5),
]
DE_FORM_VARIANTS = {
    "GmbH": [
        "GmbH",
        "G.m.b.H.",
        "Gesellschaft mit beschränkter Haftung",
        "gmbh",
        "GMBH",
        "Gmbh",
        "",
    ],
    "GmbH & Co. KG": [
        "GmbH & Co. KG",
        "GmbH & Co KG",
        "GmbH u. Co. KG",
        "GmbH&Co.KG",
        "GmbH & Co. Kommanditgesellschaft",
        "KG",
        "",
    ],
    "AG": ["AG", "Aktiengesellschaft", "A.G.", ""],
    "e.K.": ["e.K.", "e. K.", "eK", "Inh. {owner}", ""],
    "KG": ["KG", "Kommanditgesellschaft", ""],
    "OHG": ["OHG", "oHG", ""],
    "UG (haftungsbeschränkt)": [
        "UG (haftungsbeschränkt)",
        "UG",
        "UG (haftungsbeschraenkt)",
        "UG (hb)",
        "",
    ],
    "GbR": ["GbR", ""],
    "SE": ["SE", ""],
}
DE_FAMOUS: list[tuple[str, str, list[str], str, str]] = [
    (
        "Siemens",
        "AG",
        ["Siemens", "SIEMENS AG", "Siemens Aktiengesellschaft"],
        "siemens.com",
        "München",
    ),
    ("Robert Bosch", "GmbH", ["Bosch", "Robert Bosch", "Bosch GmbH"], "de.bosch.com", "Stuttgart"),
    ("SAP", "SE", ["SAP", "SAP Deutschland SE & Co. KG"], "sap.com", "Heidelberg"),
    ("Deutsche Bahn", "AG", ["DB", "Deutsche Bahn", "DB AG"], "deutschebahn.com", "Berlin"),
    ("Allianz", "SE", ["Allianz", "Allianz Versicherungs-AG"], "allianz.de", "München"),
    ("BASF", "SE", ["BASF"], "basf.com", "Ludwigshafen am Rhein"),
    (
        "Volkswagen",
        "AG",
        ["VW", "Volkswagen", "Volkswagen Aktiengesellschaft"],
        "volkswagen.de",
        "Wolfsburg",
    ),
    (
        "Deutsche Telekom",
        "AG",
        ["Telekom", "DTAG", "Telekom Deutschland GmbH"],
        "telekom.de",
        "Bonn",
    ),
    ("Deutsche Lufthansa", "AG", ["Lufthansa", "DLH"], "dlh.de", "Köln"),
    ("Bayer", "AG", ["Bayer"], "bayer.com", "Leverkusen"),
]
DE_MAIL = [
    ("gmx.de", 8),
    ("web.de", 8),
    ("t-online.de", 5),
    ("gmail.com", 6),
    ("googlemail.com", 1.5),
    ("yahoo.de", 1.5),
    ("outlook.de", 1.5),
    ("hotmail.de", 1.5),
    ("freenet.de", 1),
    ("posteo.de", 0.5),
    ("icloud.com", 1),
    ("aol.com", 0.5),
    ("arcor.de", 0.5),
]
DE_MOBILE_PREFIX = [
    "0151",
    "0152",
    "0157",
    "0159",
    "0160",
    "0162",
    "0163",
    "0170",
    "0171",
    "0172",
    "0173",
    "0174",
    "0175",
    "0176",
    "0177",
    "0178",
    "0179",
    "01511",
    "01520",
]


def de_phone_fmt(
    area: str,
    sub: str,
    rng: Rng,
    ext: str | None = None,
    no_area: float = 0.03,
    country: str = "DE",
) -> str:
    """German renderings: DIN 5008 `030 12345678`, `030/12345678`, `+49 (0)30 ...`, PBX `-0`."""
    cc = {"DE": "49", "AT": "43", "CH": "41"}[country]
    a = area[1:]
    tail = f"-{ext}" if ext is not None else ""
    if ext is not None and rng.p(0.2):
        tail = f" {ext}" if rng.p(0.5) else ext  # glued: the digits run into the base number
    if rng.p(no_area):
        return sub + tail
    return rng.wpick(
        [
            (f"{area} {sub}{tail}", 8),
            (f"{area}/{sub}{tail}", 6),
            (f"{area}-{sub}{tail}", 3),
            (f"({area}) {sub}{tail}", 2),
            (f"+{cc} {a} {sub}{tail}", 5),
            (f"+{cc} (0){a} {sub}{tail}", 2),
            (f"00{cc} {a} {sub}{tail}", 1.5),
            (f"+{cc}{a}{sub}{tail}", 2),
            (f"+{cc} {a}/{sub}{tail}", 1),
            (f"{area} {sub[:3]} {sub[3:]}{tail}", 1),
            (f"{area}{sub}{tail}", 1.5),
        ]
    )


def de_mobile_fmt(m: str, rng: Rng) -> str:
    pre, sub = m[:4], m[4:]
    return rng.wpick(
        [
            (f"{pre} {sub}", 8),
            (f"{pre}/{sub}", 5),
            (f"{pre}-{sub}", 3),
            (f"+49 {pre[1:]} {sub}", 5),
            (f"+49{pre[1:]}{sub}", 2),
            (f"0049 {pre[1:]} {sub}", 1),
            (f"{m}", 3),
            (f"{m[:5]} {m[5:]}", 1),
            (f"{pre} {sub[:4]} {sub[4:]}", 1),
            (f"({pre}) {sub}", 1),
            (f"+49 (0){pre[1:]} {sub}", 1),
        ]
    )


@dataclass
class DeAddr:
    street: str
    num: str
    plz: int
    city: DeCity
    extra: str = ""  # c/o, Hinterhaus, 3. OG


@dataclass
class DeCompany:
    base: str  # without legal form
    form: str
    shorts: list[str]
    domain: str
    mail_style: int
    addr: DeAddr
    area: str
    trunk: str  # base of the extension plan, switchboard = trunk + "0"
    vat: str
    owner: str = ""
    used: dict[str, int] = field(default_factory=dict)


@dataclass
class DeJob:
    company: DeCompany
    ext: str
    email: str
    mobile: str


@dataclass
class DePerson:
    eid: str
    male: bool
    title: str
    first: str
    second: str  # second given name, rarely shown
    lasts: list[str]  # [birth name] or [birth, married]
    name_t: float
    birth: dt.date
    homes: list[DeAddr]
    move_t: float
    landlines: list[str]  # per home, "" if none
    mobiles: list[str]
    mobile_t: float
    email: str
    email2: str  # after a provider change
    email_t: float
    job: DeJob | None
    private: bool  # appears as a private customer

    def at(self, seq: list[T], t: float, cut: float) -> T:
        return seq[0] if (len(seq) == 1 or t < cut) else seq[1]


DE_SYSTEMS = [
    System(
        "Altsystem",
        0.2,
        kv(
            "anrede=.9 first=.85 last=1 company=.9 phone=.8 mobile=.1 email=.05 street=.98 "
            "plz=.98 city=.98 dob=.3 vat=.5"
        ),
        kv(
            "upper_ascii=1 name_in_last=.15 first_initial=.1 truncate=.3 plz_lost_zero=.4 "
            "street_abbrev=.7 no_area=.05 title_in_last=.5 stale=.3"
        ),
    ),
    System(
        "Webshop",
        0.3,
        kv(
            "anrede=.7 first=.98 last=.98 company=.1 phone=.2 mobile=.7 email=1 street=.95 "
            "plz=.95 city=.95 dob=.4 vat=0"
        ),
        kv(
            "lower=.08 mojibake=.03 swap_names=.02 typo=.03 dob_us=.08 dob_iso=.5 "
            "street_variant=.4 ascii=.05 nickname=.05 plz_in_city=.01 email_case=.05"
        ),
    ),
    System(
        "CRM",
        0.2,
        kv(
            "anrede=.95 first=.95 last=1 company=1 phone=.9 mobile=.6 email=.9 street=.8 "
            "plz=.85 city=.9 dob=.02 vat=.3"
        ),
        kv(
            "title_in_anrede=.6 company_variant=.5 info_mail=.1 street_variant=.3 "
            "city_variant=.3 vat_format=.3 steuernr=.05 no_area=.02 typo=.01"
        ),
    ),
    System(
        "Callcenter",
        0.15,
        kv(
            "anrede=.9 first=.7 last=.95 company=.3 phone=.85 mobile=.3 email=.15 street=.5 "
            "plz=.7 city=.6 dob=.2 vat=0"
        ),
        kv(
            "soundalike=.2 typo=.06 no_area=.1 phone_typo=.04 swap_phones=.05 street_variant=.5 "
            "email_typo=.1 ascii=.1 nickname=.03"
        ),
    ),
    System(
        "Gewinnspiel",
        0.15,
        kv(
            "anrede=.6 first=.9 last=.9 company=0 phone=0 mobile=.2 email=1 street=.3 plz=.8 "
            "city=.5 dob=.5 vat=0"
        ),
        kv("lower=.15 nickname=.1 email_typo=.03 typo=.04 dob_short=.3 email_case=.1 mojibake=.02"),
    ),
]
