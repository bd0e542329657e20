"""US reference tables for the us_latin flavour: nicknames, sound-alikes, Hispanic and Asian
names, cities and states, street names, mail domains, employers and phone formats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .core import Rng, System, T, Weighted, _groups, _multi, kv

# =============================================================================================
# us_latin
# =============================================================================================

US_NICK: dict[str, list[str]] = _multi(
    "Robert:Bob,Rob,Bobby,Robbie William:Bill,Will,Billy,Liam "
    "Elizabeth:Liz,Beth,Betsy,Eliza,Lisa Margaret:Peggy,Maggie,Meg Richard:Rick,Dick,Rich "
    "James:Jim,Jimmy,Jamie Jennifer:Jen,Jenny Katherine:Kate,Katie,Kathy "
    "Catherine:Cathy,Cat,Kate Michael:Mike,Mikey Christopher:Chris Anthony:Tony Joseph:Joe,Joey "
    "Thomas:Tom,Tommy Charles:Chuck,Charlie Edward:Ed,Eddie,Ted Patricia:Pat,Patty,Trish "
    "Jonathan:Jon Daniel:Dan,Danny Matthew:Matt Steven:Steve Stephen:Steve Alexander:Alex "
    "Samantha:Sam Rebecca:Becky,Becca Deborah:Debbie,Deb Susan:Sue,Susie Barbara:Barb "
    "Jacqueline:Jackie Victoria:Vicky,Tori Andrew:Andy,Drew Benjamin:Ben Nicholas:Nick "
    "Gregory:Greg Timothy:Tim Kenneth:Ken,Kenny Ronald:Ron Donald:Don Lawrence:Larry "
    "Theodore:Ted,Teddy Harold:Hal,Harry Henry:Hank,Harry John:Jack,Johnny Jeffrey:Jeff "
    "Joshua:Josh Zachary:Zach Christina:Chris,Tina Kimberly:Kim Pamela:Pam Cynthia:Cindy "
    "Sandra:Sandy Dorothy:Dot,Dottie Frances:Fran Raymond:Ray Gerald:Jerry Douglas:Doug "
    "Frederick:Fred Samuel:Sam Alexandra:Alex,Lexi Abigail:Abby Madison:Maddie Jessica:Jess "
    "Nathaniel:Nate Nathan:Nate Peter:Pete Philip:Phil Leonard:Leo,Len Walter:Walt Eugene:Gene "
    "Vincent:Vince Francisco:Paco,Frank José:Pepe Jesús:Chuy Guadalupe:Lupe"
)
#: spellings a call-centre agent confuses
US_SOUND_GROUPS = _groups(
    "Catherine,Katherine,Kathryn,Katharine Jon,John Sean,Shawn,Shaun Steven,Stephen Ann,Anne "
    "Sara,Sarah Brian,Bryan Jeffrey,Geoffrey Philip,Phillip Allen,Alan,Allan Carl,Karl "
    "Eric,Erik Marc,Mark Matthew,Mathew Nicholas,Nicolas Rebecca,Rebekah Teresa,Theresa "
    "Tracy,Tracey Lindsay,Lindsey Kristen,Kristin,Kirsten Caitlin,Kaitlyn Smith,Smyth "
    "Reid,Reed,Read Thompson,Thomson Peterson,Petersen Johnson,Jonson Meyer,Meyers,Myers "
    "Gray,Grey Clark,Clarke Nielsen,Nielson McDonald,MacDonald Anderson,Andersen Lee,Li,Leigh "
    "Cohen,Cohn Hansen,Hanson Stewart,Stuart Jeffries,Jefferies"
)
US_SOUND: dict[str, list[str]] = {}
for _g in US_SOUND_GROUPS:
    for _n in _g:
        US_SOUND[_n] = [x for x in _g if x != _n]
HISP_FIRST_M = (
    "José Juan Luis Carlos Jesús Miguel Alejandro Andrés Raúl Ramón Francisco Jorge Óscar".split()
)
HISP_FIRST_F = (
    "María Ana Rosa Guadalupe Sofía Verónica Inés Lucía Mónica Isabel Carmen Beatriz".split()
)
HISP_LAST = (
    "García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres Flores Rivera "
    "Gómez Díaz Reyes Cruz Morales Ortiz Gutiérrez Chávez Ramos Ruiz Jiménez Vásquez Castillo "
    "Mendoza Núñez Peña"
).split()
ASIAN_LAST = "Nguyen Tran Le Pham Wang Li Zhang Chen Liu Kim Lee Park Patel Shah Singh".split()


@dataclass(frozen=True)
class UsCity:
    name: str
    st: str
    state: str
    areas: tuple[str, ...]
    zip3: tuple[str, ...]
    weight: float


#: city | ST | state | area codes | ZIP3 prefixes | weight
_US_CITY_TABLE = """
New York|NY|New York|212 646 917|100 101 102|8
Brooklyn|NY|New York|718 347 929|112|5
Los Angeles|CA|California|213 310 323 818|900 910 913|8
Chicago|IL|Illinois|312 773 872|606|6
Houston|TX|Texas|713 281 832|770|5
Phoenix|AZ|Arizona|602 480 623|850|4
Philadelphia|PA|Pennsylvania|215 267|191|4
San Antonio|TX|Texas|210|782|3
San Diego|CA|California|619 858|921|3
Dallas|TX|Texas|214 469 972|752|3
San Jose|CA|California|408 669|951|2.5
Austin|TX|Texas|512 737|787|2.5
Jacksonville|FL|Florida|904|322|2
Columbus|OH|Ohio|614|432|2
Columbus|GA|Georgia|706|319|.6
Charlotte|NC|North Carolina|704 980|282|2
Indianapolis|IN|Indiana|317|462|2
Seattle|WA|Washington|206|981|2
Denver|CO|Colorado|303 720|802|2
Boston|MA|Massachusetts|617 857|021|2.5
Cambridge|MA|Massachusetts|617|021|.8
Worcester|MA|Massachusetts|508 774|016|.8
Springfield|MA|Massachusetts|413|011|.6
Springfield|IL|Illinois|217|627|.6
Springfield|MO|Missouri|417|658|.6
Newark|NJ|New Jersey|973 862|071|1.2
Jersey City|NJ|New Jersey|201 551|073|1
Hartford|CT|Connecticut|860|061|.8
Providence|RI|Rhode Island|401|029|.8
Portland|ME|Maine|207|041|.5
Portland|OR|Oregon|503 971|972|1.5
Nashville|TN|Tennessee|615 629|372|1.5
Detroit|MI|Michigan|313|482|1.5
Las Vegas|NV|Nevada|702 725|891|1.5
Baltimore|MD|Maryland|410 443|212|1.5
Atlanta|GA|Georgia|404 678 470|303|2
Miami|FL|Florida|305 786|331|2
Minneapolis|MN|Minnesota|612|554|1.5
San Juan|PR|Puerto Rico|787 939|009|.5
"""
US_CITIES: list[UsCity] = [
    UsCity(n, st, state, tuple(a.split()), tuple(z.split()), float(w))
    for n, st, state, a, z, w in (ln.split("|") for ln in _US_CITY_TABLE.strip().splitlines())
]
US_CITY_W = Weighted(US_CITIES, [c.weight for c in US_CITIES])
US_STATE_ALT = {
    "MA": ["Mass.", "Mass"],
    "CA": ["Calif.", "Cal"],
    "PA": ["Penn.", "Penna"],
    "TX": ["Tex."],
    "IL": ["Ill."],
    "FL": ["Fla."],
    "NY": ["N.Y."],
    "NJ": ["N.J."],
    "CT": ["Conn."],
    "MI": ["Mich."],
    "MN": ["Minn."],
    "TN": ["Tenn."],
    "WA": ["Wash."],
    "CO": ["Colo."],
    "AZ": ["Ariz."],
    "OR": ["Ore."],
    "NV": ["Nev."],
    "MD": ["Md."],
    "GA": ["Ga."],
    "NC": ["N.C."],
    "IN": ["Ind."],
    "OH": ["Oh"],
}
US_STREET_STEMS = (
    "Main Oak Maple Washington Park Elm Pine Cedar Lake Hill Church Highland Lincoln Jefferson "
    "Madison Franklin Chestnut Walnut Sunset River Spring Center Broadway Cherry Willow Jackson "
    "Adams Ridge Mill Meadow Forest Prospect Union Market Pleasant Valley Summit"
).split()
US_ORDINALS = [
    ("1st", "First"),
    ("2nd", "Second"),
    ("3rd", "Third"),
    ("4th", "Fourth"),
    ("5th", "Fifth"),
    ("6th", "Sixth"),
    ("7th", "Seventh"),
    ("8th", "Eighth"),
    ("10th", "Tenth"),
    ("12th", "Twelfth"),
]
US_SUFFIX = [
    ("Street", "St", 10),
    ("Avenue", "Ave", 7),
    ("Road", "Rd", 5),
    ("Drive", "Dr", 5),
    ("Lane", "Ln", 3),
    ("Boulevard", "Blvd", 2),
    ("Court", "Ct", 2),
    ("Place", "Pl", 1.5),
    ("Way", "Way", 1.5),
    ("Terrace", "Ter", 1),
    ("Circle", "Cir", 1),
    ("Parkway", "Pkwy", 1),
]
US_DIRS = [("N", "North"), ("S", "South"), ("E", "East"), ("W", "West")]
US_MAIL = [
    ("gmail.com", 12),
    ("yahoo.com", 5),
    ("hotmail.com", 3),
    ("aol.com", 2),
    ("outlook.com", 2),
    ("icloud.com", 2),
    ("comcast.net", 1.5),
    ("msn.com", 0.7),
    ("att.net", 0.7),
    ("verizon.net", 0.5),
    ("sbcglobal.net", 0.5),
    ("live.com", 0.5),
]
US_HANDLES = ["tigerfan", "bigdaddy", "mommy", "gator", "skater", "blessed", "sunshine", "dawgs"]
US_MAIL_TYPO = {
    "gmail.com": ["gmial.com", "gmail.co", "gmai.com", "gmail.con"],
    "yahoo.com": ["yahooo.com", "yaho.com"],
    "hotmail.com": ["hotmial.com", "hotmail.co"],
    "aol.com": ["aol.co", "aoll.com"],
}
US_FAMOUS = [
    ("Walmart Inc.", ["Walmart", "Wal-Mart Stores, Inc.", "WALMART", "Wal Mart"], "walmart.com"),
    (
        "Amazon.com, Inc.",
        ["Amazon", "Amazon.com Services LLC", "AMAZON.COM", "Amazon Inc"],
        "amazon.com",
    ),
    ("United Parcel Service, Inc.", ["UPS", "United Parcel Service", "U.P.S."], "ups.com"),
    (
        "Kaiser Permanente",
        ["Kaiser", "Kaiser Foundation Health Plan", "Kaiser Permanente"],
        "kp.org",
    ),
    ("The Home Depot, Inc.", ["Home Depot", "The Home Depot", "HOME DEPOT INC"], "homedepot.com"),
    ("International Business Machines Corporation", ["IBM", "IBM Corp.", "I.B.M."], "us.ibm.com"),
    ("Target Corporation", ["Target", "Target Corp", "TARGET STORES"], "target.com"),
    ("U.S. Army", ["US Army", "United States Army", "Army"], "army.mil"),
    ("Starbucks Corporation", ["Starbucks", "Starbucks Coffee"], "starbucks.com"),
]
US_JUNK_EMPLOYER = [
    "Self-employed",
    "Self Employed",
    "SELF",
    "Retired",
    "retired",
    "N/A",
    "None",
    "Unemployed",
    "Homemaker",
    "Student",
    "-",
]


@dataclass
class UsAddr:
    num: str
    predir: str  # "N" etc or ""
    stem: str  # "Main", "5th"
    suffix: str  # full form "Street"
    unit: str  # "4B" or ""
    city: UsCity
    zip5: str
    plus4: str
    po_box: str = ""


@dataclass
class UsCompany:
    name: str
    variants: list[str]
    domain: str


@dataclass
class UsPerson:
    eid: str
    male: bool
    first: str
    middle: str
    lasts: list[str]  # [birth] or [birth, married]; Hispanic "García López" kept whole
    name_t: float
    suffix: str
    nick: str  # the name they go by, "" if formal
    by_middle: bool
    birth: dt.date
    homes: list[UsAddr]
    move_t: float
    home_phones: list[str]
    cells: list[str]
    cell_t: float
    emails: list[str]
    email_t: float
    jobs: list[tuple[UsCompany, str]]  # (company, work email)
    job_t: float
    ssn4: str
    household_email: str = ""
    household_names: str = ""

    def at(self, seq: list[T], t: float, cut: float) -> T:
        return seq[0] if (len(seq) == 1 or t < cut) else seq[1]


US_SYSTEMS = [
    System(
        "POS",
        0.3,
        kv(
            "name=.95 employer=0 home=.2 cell=.9 email=.6 street=.4 city=.4 st=.4 zip=.9 dob=.1 "
            "ssn=0"
        ),
        kv("nickname=.6 upper=.3 typo=.03 middle_initial=.1 drop_suffix=.6 unit_dropped=.3"),
    ),
    System(
        "Ecommerce",
        0.25,
        kv(
            "name=.99 employer=.05 home=.1 cell=.7 email=1 street=1 city=1 st=1 zip=1 dob=.15 ssn=0"
        ),
        kv(
            "nickname=.5 lower=.05 email_plus=.05 gmail_dots=.1 middle_initial=.3 zip4=.3 "
            "dob_intl=.05 typo=.02 email_typo=.01 unit_dropped=.1 drop_suffix=.3"
        ),
    ),
    System(
        "Billing",
        0.15,
        kv("name=1 employer=.5 home=.6 cell=.6 email=.5 street=1 city=1 st=1 zip=1 dob=.95 ssn=.9"),
        kv(
            "last_first=.5 upper=.6 usps=.8 zip4=.6 middle_initial=.6 ssn_lost_zero=.3 "
            "unit_dropped=.05 drop_suffix=.1"
        ),
    ),
    System(
        "CallCenter",
        0.15,
        kv(
            "name=.95 employer=.1 home=.5 cell=.6 email=.2 street=.5 city=.5 st=.5 zip=.6 "
            "dob=.3 ssn=.1"
        ),
        kv(
            "soundalike=.2 typo=.05 nickname=.4 email_typo=.1 phone_typo=.04 phone7=.05 "
            "swap_phones=.05 dob_long=.3 unit_dropped=.3 drop_suffix=.5"
        ),
    ),
    System(
        "MarketingList",
        0.15,
        kv("name=.95 employer=.1 home=.5 cell=.1 email=.3 street=1 city=1 st=1 zip=1 dob=.2 ssn=0"),
        kv(
            "upper=.8 household_name=.15 stale=.4 zip_lost_zero=.3 usps=.5 old_email=.5 "
            "unit_dropped=.4 drop_suffix=.3 dob_year_only=.3"
        ),
    ),
]


def us_phone_fmt(d: str, rng: Rng, p7: float = 0.0) -> str:
    a, b, c = d[:3], d[3:6], d[6:]
    if rng.p(p7):
        return f"{b}-{c}"
    return rng.wpick(
        [
            (f"({a}) {b}-{c}", 10),
            (f"{a}-{b}-{c}", 8),
            (f"{a}.{b}.{c}", 3),
            (d, 4),
            (f"+1 {a}-{b}-{c}", 1.5),
            (f"1-{a}-{b}-{c}", 1.5),
            (f"+1{d}", 1.5),
            (f"{a} {b} {c}", 1),
            (f"+1 ({a}) {b}-{c}", 1),
            (f"1{d}", 0.5),
            (f"({a}){b}-{c}", 1),
        ]
    )
