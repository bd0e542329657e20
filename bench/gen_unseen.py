"""Independent generator of noisy customer / contact data with known truth, for blind engine tests.

    .venv/bin/python bench/gen_unseen.py --flavour cn_b2b --rows 100000 --seed 1 \\
        --out /tmp/unseen/cn_b2b_100000.csv
    .venv/bin/python bench/gen_unseen.py --flavour all --rows 20000 --out /tmp/unseen
    .venv/bin/python bench/gen_unseen.py --flavour all --describe     # the rate tables below

Each run writes the CSV and `<out without .csv>.spec.yaml` next to it.  The spec types the
columns by what they mean, the way an ordinary user would for that schema.  The truth column
`entity` is left out of the spec.  So are a few bookkeeping columns (source system, timestamps,
store, notes), which also show which simulated system a row came from.  Only the standard library,
numpy and faker are used, and nothing comes from `dedupe/`.  The same seed gives byte-identical
files, and `--flavour all` gives the same files as generating each flavour on its own.

Model shared by all flavours
----------------------------
* An entity is one real person.  A person keeps their entity id across a job change, a move, a
  new phone number, a new e-mail address or a new surname after marriage.
* Entities come in groups that share attributes, which is where the hard negatives come from:
  companies (colleagues share company name, switchboard, office address, mail domain and tax
  id), households (shared landline, address, surname, sometimes phone, nickname or mailbox),
  flat shares, apartment blocks, housing estates and office towers (neighbours share a street
  address), and name pools with real frequency skew (王伟, 李娜, Müller, Smith ...).
* Records per entity are heavy-tailed: P(1..4) is given explicitly, then a power-law tail up to
  k_max.  Each record gets a time t ~ U(0, 1).  Life events happen at their own t, and a record
  shows the state at its t, so an entity's old and new states both appear.
* A record always has at least one of name / phone / email / identifier; an all-empty stub is
  drawn again.
* Things that exist once in the real world are unique in a data set: mailboxes (gmail is
  compared without dots and +tags), company domains, fixed lines and switchboards.  They are
  shared only where the model says so: household mailboxes, info@, a company's switchboard,
  phones lent inside a family, recycled mobiles.  Accidental collisions would only add
  unrealistic hard negatives.
* Each record comes from one simulated source system.  A system holds only some columns (the
  probability that a cell is filled) and has its own habits and noise (the rates below).
  Dependent rates are conditional: a noise rate applies only when the cell is filled and the
  noise is possible (for example, a nickname swap needs a name that has a nickname).

  flavour     P(k=1) P(2)  P(3)  P(4)  tail mass  k_max  tail exponent
  cn_b2b      .55    .20   .09   .05   .11        30     2.2
  cn_retail   .50    .20   .10   .06   .14        40     2.0
  de_latin    .60    .19   .08   .045  .085       25     2.3
  us_latin    .58    .20   .08   .05   .09        30     2.2

cn_b2b - Chinese B2B contacts (CRM / ERP / 名片扫描 / 呼叫中心 / 官网表单)
------------------------------------------------------------------------
Groups: 96% are a generated company with n contacts, where P(n) ~ n^-1.7 on 1..80.  The other
4% are 1-5 contacts at one of 12 well-known companies (阿里巴巴(中国)网络技术有限公司 / 阿里巴巴 /
阿里 / Alibaba ...).  Each of those has a head office and 3 branch offices (…北京分公司) with
their own switchboards.  A company name is [city市]brand+industry word+legal form (有限公司 /
股份有限公司 / 有限责任公司 / 集团有限公司), or brand(city)…, and its short forms are brand+industry
word and brand.  The 2-character brands repeat across cities, so two different 瑞达科技 exist.
55% of companies have their own mail domain, built from the brand's pinyin or initials; the
rest use qq.com / 163.com.  Each company has its own mailbox convention (zhangwei@, wei.zhang@,
zhangw@ ...).  Two 张伟 at the same company become zhangwei@ and zhangwei2@.  Each company has a
switchboard (…8888 / …0000) and an exchange prefix.  A contact's office phone is a direct line
on that exchange (50%), switchboard + extension (35%) or the bare switchboard (15%).  12% of
offices move (85% within the city); ERP keeps the registered (old) address in 40% of records.
Tax id: an 18-character 统一社会信用代码, with the pre-2015 15-character form in ERP (.12).
Persons: 60% male.  Surnames follow national frequencies.  Given names: 33% a Zipf-weighted
single character, 27% a common two-character name, 40% a random combination.  25% also have an
English name (Kevin Zhang, 张伟 Kevin, Kevin(张伟) ...); 12% of those romanise the surname in
Cantonese (Chan, Wong).  The romanised renderings are Zhang Wei / ZHANG Wei / Wei Zhang /
Zhang Xiao Ming / zhangwei, and 吕 becomes lv / lu / lyu / lue.  10% change job (80% to a new
company, 20% to a famous one) at t ~ U(.2, .8).  They keep their mobile and personal mail, and
get a new company, address, office line and work mail.  6% change mobile, 8% carry a second work
mobile (used in half their records), and 10% get a promotion (a new title).  The noise comes
from these tables: homophones typed by a call-centre agent (伟→玮, 张→章), near-form OCR
characters (侯→候, 己→已), traditional characters, full-width digits, 张总 / 王女士 / 张经理 instead
of the full name, "张伟(华为)", a department (采购部) as the contact, mobile and office swapped,
two numbers in one cell, "微信同号", M:/T: labels from card scans, a caller id that shows the
switchboard, English addresses, partial addresses (深圳市南山区), and three industry code lists
(CRM labels, GB/T 4754 sections in ERP, marketing drop-down).

cn_retail - Chinese consumers (门店POS / 小程序 / 电商订单 / 客服热线 / 会员登记表)
-------------------------------------------------------------------------------
Groups are households in a 小区.  35% of households move into an estate that already has
members, so neighbours share an estate and differ only in building and room.  The head is 20-70
(45% male).  A spouse is present in 60% of households whose head is 24 or older; Chinese wives
keep their own surname.  Children number 0/1/2 (35/45/20%) when the head is 26-60, and 3% of
births are twins who share a birthday, address, phone and first given-name character.  8% of
households whose head is 50 or younger have an elderly parent, half of them without their own
phone.  Children under 16
have no phone: their records carry a parent's number and the parent's WeChat nickname, and
in 30% of cases the parent's nickname becomes 子涵妈妈.  In 30% of couples the spouse uses the
head's number in 15% of records, and in an independent 30% the head uses the spouse's number in
10% of records.  10% change mobile.  The released number is recycled to a
new person (4% of new people) who appears only after the release.  12% move (70% within the
city).  60% of 22-60-year-olds have a work address in a shared office tower, used in 15-20% of
小程序 / 电商 records.  Nicknames: 8% defaults (微信用户, ".", emoji), 12% stock phrases (岁月静好,
shared by many), 15% English, 15% pinyin+digits, and the rest name-based, with emoji or in 微商
style (A王伟-装修).  30% change their nickname.  E-commerce rows may instead show a
buyer id (tb…, jd_…).  Birthdays: per-system formats (1990/3/5, 1990-03-05, 1990年3月5日,
19900305, 1990.3.5), month-day only, placeholders (1900-01-01, 1970-01-01).  15% of people
born before 1975 give a lunar birthday (20-50 days later) in half their records.  Gender codes
differ by system: 男/女, 1/2/0 (WeChat), 先生/女士.  2% are wrong and 5% unknown.  证件号码 is
a real-format 18-digit id (region, birthday, sequence, check digit); half are masked
(110105********1234).  1% of households have Uyghur names, whose middle dot appears as · • . ・
or nothing.

de_latin - German-speaking customers (Altsystem / Webshop / CRM / Callcenter / Gewinnspiel)
----------------------------------------------------------------------------------------
30% of groups are B2B.  6% of those are 1-4 contacts at a well-known company (Siemens AG /
SIEMENS AG / Siemens Aktiengesellschaft ...).  The rest are companies with n contacts, where
P(n) ~ n^-1.8 on 1..60.  15% of those are sole traders (e.K. / GbR / GmbH named after the
owner) whose owner is also a private customer.  Contacts share Firma, the switchboard
(`…-0`), direct dials (`…-23`), the office address, the mail domain (and info@), and the
USt-IdNr.  15% of contacts also buy privately.  The other 70% of groups are households: single
40, couple 35, family with 1-2 adult children 12, flat share (WG, 2-4 unrelated people) 8, and
father and son with the same first name 1.5 (relative weights).  60% of households share a
landline.  A wife has the same surname in 75% of couples; otherwise 30% of wives use a
double-barrelled name.  40% of addresses are another flat in an existing building, with no flat
number, or Hinterhaus / 3. OG / bei X.  Persons: 4% Dr., 0.5% Prof. Dr., 0.5% Dipl.-Ing.
(shown in Anrede, Vorname or Nachname).  15% have a second given name (shown 15%).  5% of women
change surname (shown as the new name, Neu-Alt or "Neu geb. Alt").  12% move, and half of those
get a new landline.  85% have a mobile, 6% change it, and 10% change mail provider (gmail →
googlemail counts).  Nobility particles appear as "Bülow, von" or "v. Bülow".  Other noise:
ASCII folding (Müller → Mueller / Muller), the legacy system's UPPER-CASE ASCII truncated to 25
characters, mojibake (MÃ¼ller), Str. / Strasse / Straße, lost leading PLZ zeros (01067 →
1067), D-10115, 10115 Berlin in Ort, city spellings (Frankfurt a. M., Köln / Cologne,
Frankfurt (Oder) vs Frankfurt am Main), DD.MM.YYYY / ISO / DD.MM.YY / US MM/DD/YYYY dates,
call-centre sound-alikes (Meier / Meyer / Mayer, Schmidt / Schmitt, Stefan / Stephan), short
forms (Stefanie → Steffi), the Steuernummer typed into USt-IdNr, and AT / CH customers
(+43 / +41, 4-digit PLZ).

us_latin - US consumers (POS / Ecommerce / Billing / CallCenter / MarketingList)
-------------------------------------------------------------------------------
Households: single 37, couple 33, family with adult children 15, roommates 8, Sr./Jr. 4,
adult twins 1.  16% are Hispanic (60% with double surnames, 70% with Spanish first names and
accents that systems strip) and 6% have Asian surnames.  40% of households share a home phone.
35% of addresses have a unit, and 35% of new addresses are another unit in a known building,
so neighbours share the street line once the unit is dropped.  Persons: 70% have a middle name.
45% of people whose name has a nickname go by it (Robert → Bob / Rob, William → Bill,
Jesús → Chuy), and 4% go by their middle name ("R. James Smith").  6% of women change surname
(Jones-Smith).  15% move (70% within the city).  90% have a cell, and 7% change it; released
numbers go to a new person (2%).  15% change personal mail.  60% of people under 67 have an
employer (15% change job).  25% of those employers are big (Walmart Inc. / Wal-Mart Stores,
Inc. / WALMART), and company names are reused.  Half of the others have a junk employer
(Self-employed, Retired, N/A).  6% of couples share a mailbox.  In Sr./Jr. households father
and son share first and middle names, address and home phone; the suffix is often dropped.
SSN last 4 is random, so 4-digit collisions are common; Billing drops leading zeros.  Other
noise: Last, First M., upper-case USPS addresses (N MAIN ST APT 4B), Apt / # / Unit / dropped
unit, 5th ↔ Fifth, N. ↔ North, ZIP+4 with or without a dash, ZIPs that lost their leading
zero, MA / Mass. / Massachusetts, "John & Mary Smith" / The Smith Family on purchased lists,
stale addresses on purchased lists, gmail dot and +tag variants, mail-domain typos (gmial.com),
7-digit phones, d/m swaps from an international shop, and "March 5, 1990".

Rate tables (`--describe` prints these from the live definitions)
-----------------------------------------------------------------
cn_b2b (CN): spec fields (key=column: type)
  name=联系人: person_name company=公司名称: company_name mobile=手机: phone
  office=办公电话: phone email=电子邮箱: email address=联系地址: address
  industry=所属行业: category title=职务: text taxid=纳税人识别号: identifier

weight                CRM   ERP   名片扫描 呼叫中心 官网表单
------------------------------------------------------------
weight                .34   .18   .16      .16      .16

P(cell filled)        CRM   ERP   名片扫描 呼叫中心 官网表单
------------------------------------------------------------
name                  .99   .90   .97      .90      .97
company               .97   1.00  .95      .70      .90
mobile                .85   .40   .90      .75      .95
office                .50   .85   .60      .35      .20
email                 .75   .20   .80      .10      .85
address               .50   .92   .60      .15      .35
industry              .70   .60   -        .10      .75
title                 .60   .15   .85      .20      .60
taxid                 -     .80   -        -        -

P(noise)              CRM   ERP   名片扫描 呼叫中心 官网表单
------------------------------------------------------------
addr_english          .03   -     .05      -        -
addr_no_city          .05   -     -        -        -
addr_partial          .10   -     -        .50      .60
addr_postcode         -     .10   .20      -        -
addr_province         .40   .85   .50      .10      .30
addr_registered       -     .40   -        -        -
addr_typo             -     -     .05      .10      -
callerid_switchboard  -     -     -        .20      -
co_bracket_fw         -     .30   -        -        -
co_english            .04   -     .10      -        -
co_free               -     -     -        -        .10
co_homo               -     -     -        .08      -
co_short              .40   -     .10      .85      .60
co_typo               .02   -     -        -        -
email_case            .05   -     -        -        .05
email_ocr             -     -     .05      -        -
email_personal        .20   -     -        -        .50
email_typo            -     -     -        .10      .03
fullwidth             -     -     .10      -        -
industry_wrong        .03   -     -        -        .05
landline_no_area      .05   .03   .02      .15      .10
mobile_intl           .10   -     .25      -        .15
mobile_spaced         .25   .05   .50      -        -
multi_phone           .02   -     -        -        -
name_dept             -     .03   -        -        -
name_english          .40   -     .30      -        .30
name_homo             .01   .02   -        .18      -
name_honorific        .02   .10   -        .15      -
name_near             -     -     .06      -        -
name_pinyin           .05   -     .04      -        .08
name_space            -     -     -        -        .03
name_with_co          .03   -     -        -        -
office_switchboard    -     .70   -        -        -
phone_label           -     -     .15      -        -
phone_typo            -     -     -        .03      -
swap_phones           .03   -     -        -        -
taxid_old             -     .12   -        -        -
taxid_typo            -     .02   -        -        -
title_en              .10   -     .20      -        -
title_free            -     -     -        -        .30
trad                  .01   -     .06      -        .02

cn_retail (CN): spec fields (key=column: type)
  name=姓名: person_name mobile=手机号码: phone nick=昵称: text birthday=出生日期: date
  gender=性别: category city=城市: category address=收货地址: address
  idno=证件号码: identifier

weight                门店POS 小程序 电商订单 客服热线 会员登记表
-----------------------------------------------------------------
weight                .30     .25    .25      .10      .10

P(cell filled)        门店POS 小程序 电商订单 客服热线 会员登记表
-----------------------------------------------------------------
name                  .45     .55    .97      .85      .98
mobile                .97     .90    .98      .90      .95
nick                  -       1.00   .70      -        -
birthday              .20     .55    -        .05      .90
gender                .50     .85    -        .60      .90
city                  .30     .70    1.00     .40      .90
address               -       .30    1.00     .25      .70
idno                  -       -      -        -        .45

P(noise)              门店POS 小程序 电商订单 客服热线 会员登记表
-----------------------------------------------------------------
addr_note             -       -      .05      -        -
addr_partial          -       .20    -        .50      -
addr_province         -       .60    .90      .20      .50
addr_spaces           -       -      .70      -        -
addr_typo             -       -      .05      .10      -
addr_work             -       .15    .20      -        -
bday_md_only          .10     .05    -        -        -
bday_placeholder      .05     .03    -        -        .01
bday_year_typo        -       -      -        -        .02
buyer_id              -       -      .50      -        -
city_pinyin           -       .30    -        -        -
emoji_lost            -       -      .05      -        -
idno_masked           -       -      -        -        .50
mobile_intl           -       .10    -        -        -
mobile_spaced         .05     -      -        -        -
name_homo             .05     -      -        .20      -
name_honorific        .35     -      -        .25      -
name_is_nick          -       .05    .03      -        -
name_near             -       -      -        -        .05
name_pinyin           -       .03    -        -        -
name_space            -       -      -        -        .03
phone_masked          -       -      .15      -        -
phone_typo            .01     -      -        .04      .03
trad                  -       -      -        -        .01

de_latin (DE): spec fields (key=column: type)
  anrede=Anrede: category first=Vorname: person_name last=Nachname: person_name
  company=Firma: company_name phone=Telefon: phone mobile=Mobil: phone email=E-Mail: email
  street=Straße: address plz=PLZ: postcode city=Ort: text dob=Geburtsdatum: date
  vat=USt-IdNr: identifier
system mix for b2b entities:
  Altsystem 0.3, CRM 0.45, Callcenter 0.15, Webshop 0.05, Gewinnspiel 0.05
system mix for b2c entities:
  Altsystem 0.2, CRM 0.05, Callcenter 0.15, Webshop 0.4, Gewinnspiel 0.2

weight                Altsystem Webshop CRM   Callcenter Gewinnspiel
--------------------------------------------------------------------
weight                .20       .30     .20   .15        .15

P(cell filled)        Altsystem Webshop CRM   Callcenter Gewinnspiel
--------------------------------------------------------------------
anrede                .90       .70     .95   .90        .60
first                 .85       .98     .95   .70        .90
last                  1.00      .98     1.00  .95        .90
company               .90       .10     1.00  .30        -
phone                 .80       .20     .90   .85        -
mobile                .10       .70     .60   .30        .20
email                 .05       1.00    .90   .15        1.00
street                .98       .95     .80   .50        .30
plz                   .98       .95     .85   .70        .80
city                  .98       .95     .90   .60        .50
dob                   .30       .40     .02   .20        .50
vat                   .50       -       .30   -          -

P(noise)              Altsystem Webshop CRM   Callcenter Gewinnspiel
--------------------------------------------------------------------
ascii                 -         .05     -     .10        -
city_variant          -         -       .30   -          -
company_variant       -         -       .50   -          -
dob_iso               -         .50     -     -          -
dob_short             -         -       -     -          .30
dob_us                -         .08     -     -          -
email_case            -         .05     -     -          .10
email_typo            -         -       -     .10        .03
first_initial         .10       -       -     -          -
info_mail             -         -       .10   -          -
lower                 -         .08     -     -          .15
mojibake              -         .03     -     -          .02
name_in_last          .15       -       -     -          -
nickname              -         .05     -     .03        .10
no_area               .05       -       .02   .10        -
phone_typo            -         -       -     .04        -
plz_in_city           -         .01     -     -          -
plz_lost_zero         .40       -       -     -          -
soundalike            -         -       -     .20        -
stale                 .30       -       -     -          -
steuernr              -         -       .05   -          -
street_abbrev         .70       -       -     -          -
street_variant        -         .40     .30   .50        -
swap_names            -         .02     -     -          -
swap_phones           -         -       -     .05        -
title_in_anrede       -         -       .60   -          -
title_in_last         .50       -       -     -          -
truncate              .30       -       -     -          -
typo                  -         .03     .01   .06        .04
upper_ascii           1.00      -       -     -          -
vat_format            -         -       .30   -          -

us_latin (US): spec fields (key=column: type)
  name=Full Name: person_name employer=Employer: company_name home=Home Phone: phone
  cell=Cell Phone: phone email=E-mail Address: email street=Street Address: address
  city=City: text st=ST: category zip=ZIP: postcode dob=DOB: date
  ssn=SSN (last 4): identifier

weight                POS   Ecommerce Billing CallCenter MarketingList
----------------------------------------------------------------------
weight                .30   .25       .15     .15        .15

P(cell filled)        POS   Ecommerce Billing CallCenter MarketingList
----------------------------------------------------------------------
name                  .95   .99       1.00    .95        .95
employer              -     .05       .50     .10        .10
home                  .20   .10       .60     .50        .50
cell                  .90   .70       .60     .60        .10
email                 .60   1.00      .50     .20        .30
street                .40   1.00      1.00    .50        1.00
city                  .40   1.00      1.00    .50        1.00
st                    .40   1.00      1.00    .50        1.00
zip                   .90   1.00      1.00    .60        1.00
dob                   .10   .15       .95     .30        .20
ssn                   -     -         .90     .10        -

P(noise)              POS   Ecommerce Billing CallCenter MarketingList
----------------------------------------------------------------------
dob_intl              -     .05       -       -          -
dob_long              -     -         -       .30        -
dob_year_only         -     -         -       -          .30
drop_suffix           .60   .30       .10     .50        .30
email_plus            -     .05       -       -          -
email_typo            -     .01       -       .10        -
gmail_dots            -     .10       -       -          -
household_name        -     -         -       -          .15
last_first            -     -         .50     -          -
lower                 -     .05       -       -          -
middle_initial        .10   .30       .60     -          -
nickname              .60   .50       -       .40        -
old_email             -     -         -       -          .50
phone7                -     -         -       .05        -
phone_typo            -     -         -       .04        -
soundalike            -     -         -       .20        -
ssn_lost_zero         -     -         .30     -          -
stale                 -     -         -       -          .40
swap_phones           -     -         -       .05        -
typo                  .03   .02       -       .05        -
unit_dropped          .30   .10       .05     .30        .40
upper                 .30   -         .60     -          .80
usps                  -     -         .80     -          .50
zip4                  -     .30       .60     -          -
zip_lost_zero         -     -         -       -          .30
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import json
import random
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from faker import Faker
from faker.providers.person.de_DE import Provider as DePersonProvider
from faker.providers.person.en_US import Provider as UsPersonProvider

T = TypeVar("T")

# =============================================================================================
# common machinery
# =============================================================================================


class Rng(random.Random):
    """`random.Random` with a few shorthands; every draw in this module goes through one."""

    def p(self, prob: float) -> bool:
        return prob > 0.0 and self.random() < prob

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.randrange(len(seq))]

    def wpick(self, pairs: Sequence[tuple[T, float]]) -> T:
        items = [a for a, _ in pairs]
        return self.choices(items, weights=[w for _, w in pairs])[0]


class Weighted:
    """A fixed categorical distribution, drawn from in O(log n)."""

    def __init__(self, items: Iterable[T], weights: Iterable[float]) -> None:
        self.items: list = list(items)
        self.cum: list[float] = []
        acc = 0.0
        for w in weights:
            acc += float(w)
            self.cum.append(acc)
        if len(self.cum) != len(self.items) or acc <= 0:
            raise ValueError("bad weights")
        self.total = acc

    def draw(self, rng: Rng):  # noqa: ANN201 - item type is whatever was passed in
        i = bisect.bisect_right(self.cum, rng.random() * self.total)
        return self.items[min(i, len(self.items) - 1)]


def zipf(n: int, a: float) -> list[float]:
    return [1.0 / (i + 1) ** a for i in range(n)]


def count_distribution(
    head: Sequence[float], tail_mass: float, kmax: int, alpha: float
) -> Weighted:
    """P(k) for k = 1..len(head) given explicitly, then a power-law tail up to kmax."""
    ks = list(range(1, kmax + 1))
    tail = [k**-alpha for k in range(len(head) + 1, kmax + 1)]
    s = sum(tail)
    weights = list(head) + [tail_mass * w / s for w in tail]
    return Weighted(ks, weights)


@dataclass
class System:
    """A simulated source system: how often it contributes a record, which columns it holds
    (probability that the cell is filled) and how noisy its values are (per-noise-kind rates)."""

    name: str
    weight: float
    has: dict[str, float]
    noise: dict[str, float] = field(default_factory=dict)

    def n(self, key: str) -> float:
        return self.noise.get(key, 0.0)


def kv(s: str) -> dict[str, float]:
    """`"name=.99 company=.5"` -> {"name": 0.99, "company": 0.5} (compact rate tables)."""
    return {k: float(v) for k, v in (tok.split("=") for tok in s.split())}


def _pairs(s: str) -> dict[str, str]:
    """`"a:b c:d"` (or two-character tokens `"ab cd"`) -> {"a": "b", "c": "d"}."""
    out: dict[str, str] = {}
    for tok in s.split():
        k, v = tok.split(":", 1) if ":" in tok else (tok[0], tok[1:])
        out[k] = v
    return out


def _pair_list(s: str) -> list[tuple[str, str]]:
    return [(a, b) for a, b in (tok.split(":", 1) for tok in s.split())]


def _multi(s: str) -> dict[str, list[str]]:
    return {k: v.split(",") for k, v in (tok.split(":", 1) for tok in s.split())}


def _groups(s: str) -> list[list[str]]:
    return [tok.split(",") for tok in s.split()]


QWERTY_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
QWERTZ_ROWS = ["qwertzuiopü", "asdfghjklöä", "yxcvbnm"]


def _neighbours(rows: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            nb = []
            for dr in (-1, 0, 1):
                rr = r + dr
                if 0 <= rr < len(rows):
                    for dc in (-1, 0, 1):
                        cc = c + dc
                        if (dr or dc) and 0 <= cc < len(rows[rr]):
                            nb.append(rows[rr][cc])
            out[ch] = "".join(nb)
    return out


KB_US = _neighbours(QWERTY_ROWS)
KB_DE = _neighbours(QWERTZ_ROWS)


def typo(s: str, rng: Rng, kb: dict[str, str] = KB_US) -> str:
    """One keyboard slip: neighbour key, dropped letter, doubled letter or transposition."""
    idx = [i for i, ch in enumerate(s) if ch.isalpha()]
    if len(idx) < 2:
        return s
    i = rng.pick(idx)
    r = rng.random()
    if r < 0.35:
        nb = kb.get(s[i].lower())
        if not nb:
            return s
        c = rng.pick(nb)
        c = c.upper() if s[i].isupper() else c
        return s[:i] + c + s[i + 1 :]
    if r < 0.6:
        return s[:i] + s[i + 1 :]
    if r < 0.8:
        return s[:i] + s[i] + s[i:]
    j = i + 1
    if j >= len(s) or not s[j].isalpha():
        return s[:i] + s[i + 1 :]
    return s[:i] + s[j] + s[i] + s[j + 1 :]


def digit_typo(s: str, rng: Rng) -> str:
    """One keying slip inside a digit string (substitution, transposition or a dropped digit)."""
    idx = [i for i, ch in enumerate(s) if ch.isdigit()]
    if len(idx) < 4:
        return s
    i = rng.pick(idx[1:])
    r = rng.random()
    if r < 0.5:
        return s[:i] + str((int(s[i]) + rng.randint(1, 9)) % 10) + s[i + 1 :]
    if r < 0.8:
        k = idx.index(i)
        if k + 1 < len(idx) and idx[k + 1] == i + 1:
            return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        return s
    return s[:i] + s[i + 1 :]


def strip_accents(s: str) -> str:
    s = s.replace("ß", "ss").replace("ẞ", "SS").replace("ı", "i").replace("ł", "l")
    s = s.replace("Ł", "L").replace("ø", "o").replace("Ø", "O").replace("đ", "d").replace("æ", "ae")
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


DE_TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)


def de_ascii(s: str, rng: Rng, p_translit: float = 0.7) -> str:
    """Umlauts either transliterated (Müller -> Mueller) or just stripped (Muller)."""
    if rng.p(p_translit):
        s = s.translate(DE_TRANSLIT)
    return strip_accents(s)


def mojibake(s: str) -> str:
    """UTF-8 bytes read back as Windows-1252, the classic CSV-export accident (MÃ¼ller)."""
    return s.encode("utf-8").decode("cp1252", errors="replace")


FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def fullwidth(s: str) -> str:
    return s.translate(FULLWIDTH)


def fw_digits(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in s)


def luhn_free_digits(rng: Rng, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def rand_date(rng: Rng, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def created_at(rng: Rng, t: float, fmt: str) -> str:
    base = dt.datetime(2017, 1, 1) + dt.timedelta(days=t * 2550 + rng.random())
    return base.strftime(fmt)


# =============================================================================================
# Chinese reference tables
# =============================================================================================


def _parse_py(s: str) -> dict[str, str]:
    return {h: p for h, p in re.findall(r"([\u4e00-\u9fff]+)([a-zü]+)", s)}


# pinyin of every character the Chinese flavours put into names, brands, streets
PY = _parse_py(
    """
王wang 李li 张zhang 刘liu 陈chen 杨yang 黄huang 赵zhao 吴wu 周zhou 徐xu 孙sun 马ma 朱zhu 胡hu
郭guo 何he 高gao 林lin 罗luo 郑zheng 梁liang 谢xie 宋song 唐tang 许xu 韩han 冯feng 邓deng 曹cao
彭peng 曾zeng 肖xiao 田tian 董dong 袁yuan 潘pan 于yu 蒋jiang 蔡cai 余yu 杜du 叶ye 程cheng 苏su
魏wei 吕lü 丁ding 任ren 沈shen 姚yao 卢lu 姜jiang 崔cui 钟zhong 谭tan 陆lu 汪wang 范fan 金jin
石shi 廖liao 贾jia 夏xia 韦wei 付fu 方fang 白bai 邹zou 孟meng 熊xiong 秦qin 邱qiu 江jiang 尹yin
薛xue 闫yan 段duan 雷lei 侯hou 龙long 史shi 陶tao 黎li 贺he 顾gu 毛mao 郝hao 龚gong 邵shao 万wan
钱qian 严yan 武wu 戴dai 莫mo 孔kong 汤tang 欧阳ouyang 司马sima 上官shangguan
伟wei 芳fang 娜na 敏min 静jing 丽li 强qiang 磊lei 军jun 洋yang 勇yong 艳yan 杰jie 娟juan 涛tao
明ming 超chao 秀xiu 英ying 霞xia 平ping 刚gang 桂gui 华hua 玉yu 兰lan 红hong 建jian 国guo 文wen
辉hui 鹏peng 飞fei 波bo 斌bin 宇yu 浩hao 凯kai 健jian 俊jun 帆fan 帅shuai 旭xu 宁ning 欣xin
婷ting 雪xue 琳lin 晶jing 丹dan 玲ling 萍ping 燕yan 慧hui 莉li 倩qian 颖ying 洁jie 佳jia 梅mei
琴qin 云yun 莹ying 鑫xin 博bo 亮liang 成cheng 东dong 海hai 峰feng 晨chen 阳yang 昊hao 然ran
子zi 涵han 轩xuan 梓zi 睿rui 萱xuan 怡yi 思si 雨yu 嘉jia 诗shi 晓xiao 小xiao 志zhi 永yong 春chun
德de 荣rong 振zhen 家jia 立li 新xin 正zheng 庆qing 少shao 学xue 光guang 天tian 一yi 泽ze 宏hong
彬bin 瑞rui 岩yan 毅yi 琦qi 璐lu 蕾lei 薇wei 媛yuan 露lu 瑶yao 彤tong 悦yue 姗shan 娇jiao 婉wan
馨xin 鸿hong 栋dong 凡fan 锋feng 凤feng 航hang 豪hao 民min 鸣ming 淑shu 雅ya 梦meng 美mei
瑛ying 芬fen 霖lin 楠nan 翔xiang 俊jun 坤kun
达da 信xin 通tong 恒heng 泰tai 盛sheng 创chuang 联lian 诚cheng 智zhi 源yuan 利li 丰feng 汇hui
和he 安an 康kang 远yuan 中zhong 星xing 辰chen 腾teng 益yi 普pu 润run 云yun 捷jie 迅xun 讯xun
力li 兴xing 昌chang 隆long 锐rui 盈ying 优you 易yi 合he 晟sheng 铭ming 奥ao 邦bang 诺nuo 威wei
宝bao 亿yi 众zhong 启qi 祥xiang 维wei 拓tuo 环huan 越yue 卓zhuo 麒qi 麟lin 骏jun 科ke 数shu
人ren 解jie 设she 胜sheng 延yan 技ji 业ye 工gong 院yuan 化hua 年nian 河he 滨bin 风feng 朝chao
福fu 结jie 友you 谊yi 迎ying 宾bin 融rong 高gao 软ruan 件jian 府fu 世shi 纪ji 团tuan 长chang
"""
)

# simplified -> traditional for every character we might render traditionally
_TRAD_PAIRS = """
伟偉 丽麗 强強 军軍 艳艷 杰傑 涛濤 刚剛 华華 兰蘭 红紅 国國 辉輝 鹏鵬 飞飛 凯凱 帅帥 宁寧 龙龍
颖穎 洁潔 云雲 莹瑩 东東 阳陽 轩軒 诗詩 晓曉 荣榮 庆慶 学學 泽澤 瑶瑤 悦悅 娇嬌 鸿鴻 栋棟 锋鋒
凤鳳 鸣鳴 静靜 张張 刘劉 陈陳 杨楊 黄黃 赵趙 吴吳 孙孫 马馬 罗羅 郑鄭 谢謝 韩韓 冯馮 邓鄧 许許
肖蕭 蒋蔣 叶葉 苏蘇 吕呂 卢盧 钟鍾 谭譚 陆陸 贾賈 韦韋 邹鄒 闫閆 贺賀 顾顧 龚龔 万萬 钱錢 严嚴
汤湯 欧歐 达達 创創 联聯 汇匯 丰豐 远遠 腾騰 润潤 讯訊 兴興 锐銳 优優 铭銘 诺諾 宝寶 亿億 众眾
启啟 维維 环環 骏駿 网網 络絡 术術 电電 贸貿 业業 发發 医醫 药藥 机機 设設 备備 际際 车車 银銀
务務 询詢 广廣 传傳 筑築 运運 输輸 软軟 数數 据據 气氣 农農 产產 开開 区區 县縣 镇鎮 园園 场場
长長 连連 汉漢 门門 关關 头頭 岛島 义義 顺順 岗崗 湾灣 滨濱 楼樓 层層 厦廈 号號 单單 庄莊 厂廠
鲁魯 闽閩 粤粵 总總 经經 责責 团團 处處 锡錫 沈瀋 济濟 陕陝 辽遼 贵貴 们們 计計 统統 营營 销銷
购購 财財 监監 项項 级級 专專 员員 师師 划劃 宾賓 谊誼 纪紀 结結 胜勝 迅迅 丽麗 梦夢 凤鳳 乐樂
爱愛 亚亞 种種 饰飾 装裝 顿頓 为為 讯訊 兴興 韵韻 纳納 馆館 桥橋 礼禮 实實 链鏈 际際 报報
"""
TRAD: dict[str, str] = {}
for _tok in _TRAD_PAIRS.split():
    if len(_tok) == 2 and _tok[0] != _tok[1]:
        TRAD[_tok[0]] = _tok[1]


def to_trad(s: str) -> str:
    return "".join(TRAD.get(c, c) for c in s)


# homophones (what a call-centre agent types after hearing a name) - pinyin-identical or near
#: homophones (what a call-centre agent types after hearing a name): char -> candidates
HOMO: dict[str, str] = _pairs(
    "伟:玮炜威维 丽:莉立力俐利 娜:纳那 敏:民闽珉 静:晶婧靖菁敬 杰:洁捷婕 军:君均钧 勇:永涌咏 "
    "涛:韬滔 明:铭鸣名 超:潮朝 华:桦骅化 芳:方舫 艳:燕颜雁 强:墙蔷 磊:蕾垒 洋:阳扬杨 平:萍苹屏 "
    "刚:钢纲岗 辉:晖慧徽 鹏:朋蓬 飞:菲非 波:博柏 斌:彬滨宾 宇:雨语羽 浩:昊皓豪 凯:楷恺铠 健:建剑 "
    "俊:君骏峻 帆:凡繁 旭:煦序 宁:凝柠 龙:隆珑 林:琳凌 欣:馨新心鑫 婷:亭庭 琳:林玲霖 玲:琳灵铃 "
    "萍:平苹 燕:艳雁彦 慧:惠辉蕙 莉:丽俐 倩:茜芊 颖:莹影 洁:杰婕 佳:家嘉 梅:玫媚 琴:勤芹 云:芸韵筠 "
    "莹:颖盈 鑫:欣馨新 成:诚程承 东:冬栋 峰:锋丰枫 晨:辰琛 阳:洋扬 秀:绣琇 英:瑛莺 霞:侠 兰:岚蓝 "
    "红:虹鸿宏 建:健剑 文:雯闻 晓:筱小 小:晓筱 志:智治 涵:含晗寒 轩:萱宣 萱:轩璇 怡:宜仪依 思:斯丝 "
    "雨:宇语 嘉:佳家 子:梓紫 梓:子紫 睿:瑞锐 瑞:睿锐 张:章 李:黎理 王:汪 刘:柳留 陈:程晨 杨:阳 "
    "黄:王皇 赵:照 吴:武伍 周:邹 徐:许 何:贺 郑:正 谢:解 冯:封 许:徐 曾:增 肖:萧 于:余俞 余:于俞 "
    "蒋:姜江 姜:蒋江 江:姜蒋 程:陈成 卢:陆鲁 陆:卢路 邱:丘秋 严:颜阎 闫:严阎 韩:寒 唐:汤 汤:唐 "
    "付:傅符 范:樊 钟:仲"
)

# near-form characters (OCR of business cards, hand-written forms keyed in)
NEAR_FORM: dict[str, str] = _pairs(
    "侯候 候侯 戴载 己已 已己 未末 王玉 土士 日曰 人入 大太 天夭 杨扬 娟涓 婷亭 瑞端 辉挥 峰锋 "
    "博傅 徐涂 彭澎 汪江 江汪 林材 明朋 泰秦 秦泰 余佘 田由 由田 申甲 贾贯 晶品 鹏朋 斌赋 浩洁 "
    "俊浚 霞瑕 号吕 栋拣 园圆 区匹"
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武"
    "戴莫孔汤"
)
# approximate national frequencies (%), in SURNAMES order, then a flat tail
_SUR_W = [7.1, 7.0, 6.8, 5.4, 4.6, 3.1, 2.2, 2.1, 2.0, 1.9, 1.6, 1.5, 1.5, 1.3, 1.3, 1.2, 1.2]
_SUR_W += [1.1, 1.1, 0.9, 0.9, 0.9, 0.8, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5]
SURNAME_W = Weighted(
    list(SURNAMES) + ["欧阳", "司马", "上官"],
    _SUR_W + [0.4] * (len(SURNAMES) - len(_SUR_W)) + [0.06, 0.01, 0.01],
)

CN_M1 = (
    "伟强磊军洋勇杰涛明超平刚辉鹏飞波斌宇浩凯健俊帆帅旭宁龙林鑫博亮成东峰晨阳昊毅岩彬锋栋航豪坤翔"
)
CN_F1 = "芳娜敏静丽艳娟霞红玲萍燕慧莉倩颖洁佳梅琴云莹婷雪琳晶丹欣璐蕾薇媛露瑶彤悦姗娇婉馨琦楠芬"
CN_M2 = (
    "建华 建国 建军 国强 志强 志伟 永强 晓明 小明 海波 振华 家豪 立新 新民 正阳 庆华 学军 光明 "
    "天宇 泽宇 宏伟 文彬 俊杰 浩然 子轩 宇航 一鸣 瑞峰 晓东 海涛 国庆 德华 建平 小龙 文杰 志明 "
    "晓峰 永明 春华"
).split()
CN_F2 = (
    "秀英 桂英 秀兰 玉兰 桂兰 海燕 晓燕 丽娟 丽华 文静 子涵 梓涵 雨涵 欣怡 思雨 嘉怡 佳怡 春梅 凤英"
    " 晓红 小红 玉梅 秀梅 淑兰 雅琴 诗涵 雨欣 梦瑶 美玲 秀珍 丽丽 婷婷 晶晶 慧敏 雪梅 玉华 淑芬"
).split()
CN_M_FIRST = "子浩俊宇志建晓家文明天泽一鸿振永国海立新嘉少"
CN_F_FIRST = "晓雨欣思梓诗佳嘉雅梦子丽秀玉春海文美慧婉淑"
for _c in "".join(CN_M2 + CN_F2) + CN_M1 + CN_F1 + CN_M_FIRST + CN_F_FIRST + SURNAMES:
    if _c not in PY and _c not in "珍":
        raise AssertionError(f"no pinyin for {_c}")
PY["珍"] = "zhen"

CN_SINGLE_M = Weighted(list(CN_M1), zipf(len(CN_M1), 0.9))
CN_SINGLE_F = Weighted(list(CN_F1), zipf(len(CN_F1), 0.9))
CN_DOUBLE_M = Weighted(CN_M2, zipf(len(CN_M2), 0.7))
CN_DOUBLE_F = Weighted(CN_F2, zipf(len(CN_F2), 0.7))

ENGLISH_M = (
    "Kevin Jason Tony Jack Eric David Michael Leo Peter Frank Steven Alex Vincent Andy Ryan Simon"
    " Bruce Jerry Henry Sam Allen Jimmy Tom Ben Daniel Chris Sean Jeff Victor Bill"
).split()
ENGLISH_F = (
    "Amy Lily Grace Vivian Cherry Coco Sunny Linda Helen Cindy Anna Emily Jessica Wendy Sophia "
    "Sally Joyce Angela Fiona Iris Tina Catherine Judy Crystal Eva Nancy Kelly Rebecca Yuki Jenny"
).split()
# Hong Kong / Cantonese romanisation of common surnames
CANTONESE: dict[str, str] = _pairs(
    "陈:Chan 黄:Wong 王:Wong 李:Lee 张:Cheung 刘:Lau 吴:Ng 林:Lam 郑:Cheng 何:Ho 梁:Leung 周:Chow "
    "谢:Tse 罗:Law 郭:Kwok 叶:Yip 曾:Tsang 邓:Tang 冯:Fung 杨:Yeung 朱:Chu 许:Hui 潘:Poon 蔡:Choi "
    "卢:Lo 钟:Chung 徐:Tsui 袁:Yuen 赵:Chiu 高:Ko 莫:Mok 唐:Tong 彭:Pang 谭:Tam"
)


@dataclass(frozen=True)
class CnCity:
    name: str
    province: str  # "" for the four municipalities
    area: str  # trunk-prefixed area code, e.g. "0755"
    pinyin: str
    districts: tuple[tuple[str, str], ...]
    postcode: int
    adcode: str
    weight: float


def _d(s: str) -> tuple[tuple[str, str], ...]:
    return tuple((a, b) for a, b in (x.split(":") for x in s.split()))


#: name | province | area code | pinyin | postcode base | adcode | weight
_CN_CITY_TABLE = """
北京||010|Beijing|100000|1101|14
上海||021|Shanghai|200000|3101|14
广州|广东省|020|Guangzhou|510000|4401|9
深圳|广东省|0755|Shenzhen|518000|4403|10
杭州|浙江省|0571|Hangzhou|310000|3301|7
南京|江苏省|025|Nanjing|210000|3201|4
苏州|江苏省|0512|Suzhou|215000|3205|4
成都|四川省|028|Chengdu|610000|5101|5
武汉|湖北省|027|Wuhan|430000|4201|4
天津||022|Tianjin|300000|1201|3
重庆||023|Chongqing|400000|5001|3
西安|陕西省|029|Xi'an|710000|6101|3
厦门|福建省|0592|Xiamen|361000|3502|2
青岛|山东省|0532|Qingdao|266000|3702|2
东莞|广东省|0769|Dongguan|523000|4419|2
宁波|浙江省|0574|Ningbo|315000|3302|2
郑州|河南省|0371|Zhengzhou|450000|4101|2
长沙|湖南省|0731|Changsha|410000|4301|2
沈阳|辽宁省|024|Shenyang|110000|2101|2
合肥|安徽省|0551|Hefei|230000|3401|2
济南|山东省|0531|Jinan|250000|3701|1.5
福州|福建省|0591|Fuzhou|350000|3501|1.5
佛山|广东省|0757|Foshan|528000|4406|1.5
无锡|江苏省|0510|Wuxi|214000|3202|1.5
昆明|云南省|0871|Kunming|650000|5301|1.5
"""
#: city followed by its districts (hanzi:pinyin); a city may continue on the next line
_CN_DISTRICT_TABLE = """
北京 朝阳区:Chaoyang 海淀区:Haidian 东城区:Dongcheng 西城区:Xicheng 丰台区:Fengtai 通州区:Tongzhou
北京 昌平区:Changping 大兴区:Daxing
上海 浦东新区:Pudong 徐汇区:Xuhui 静安区:Jing'an 黄浦区:Huangpu 长宁区:Changning 闵行区:Minhang
上海 杨浦区:Yangpu 普陀区:Putuo
广州 天河区:Tianhe 越秀区:Yuexiu 海珠区:Haizhu 白云区:Baiyun 番禺区:Panyu 黄埔区:Huangpu
深圳 南山区:Nanshan 福田区:Futian 罗湖区:Luohu 宝安区:Bao'an 龙岗区:Longgang 龙华区:Longhua
杭州 西湖区:Xihu 滨江区:Binjiang 余杭区:Yuhang 拱墅区:Gongshu 上城区:Shangcheng 萧山区:Xiaoshan
南京 鼓楼区:Gulou 玄武区:Xuanwu 秦淮区:Qinhuai 建邺区:Jianye 江宁区:Jiangning
苏州 姑苏区:Gusu 吴中区:Wuzhong 相城区:Xiangcheng 虎丘区:Huqiu 吴江区:Wujiang
成都 锦江区:Jinjiang 武侯区:Wuhou 青羊区:Qingyang 成华区:Chenghua 金牛区:Jinniu
武汉 江汉区:Jianghan 武昌区:Wuchang 洪山区:Hongshan 江岸区:Jiang'an 汉阳区:Hanyang
天津 和平区:Heping 河西区:Hexi 南开区:Nankai 滨海新区:Binhai
重庆 渝中区:Yuzhong 江北区:Jiangbei 南岸区:Nan'an 渝北区:Yubei 沙坪坝区:Shapingba
西安 雁塔区:Yanta 碑林区:Beilin 未央区:Weiyang 莲湖区:Lianhu
厦门 思明区:Siming 湖里区:Huli 集美区:Jimei
青岛 市南区:Shinan 市北区:Shibei 崂山区:Laoshan 黄岛区:Huangdao
东莞 南城街道:Nancheng 东城街道:Dongcheng 长安镇:Chang'an 虎门镇:Humen
宁波 鄞州区:Yinzhou 海曙区:Haishu 江北区:Jiangbei 北仑区:Beilun
郑州 金水区:Jinshui 二七区:Erqi 中原区:Zhongyuan 管城回族区:Guancheng
长沙 岳麓区:Yuelu 芙蓉区:Furong 天心区:Tianxin 开福区:Kaifu
沈阳 和平区:Heping 沈河区:Shenhe 皇姑区:Huanggu 铁西区:Tiexi
合肥 蜀山区:Shushan 包河区:Baohe 庐阳区:Luyang
济南 历下区:Lixia 市中区:Shizhong 槐荫区:Huaiyin
福州 鼓楼区:Gulou 台江区:Taijiang 仓山区:Cangshan
佛山 禅城区:Chancheng 南海区:Nanhai 顺德区:Shunde
无锡 梁溪区:Liangxi 滨湖区:Binhu 新吴区:Xinwu
昆明 五华区:Wuhua 盘龙区:Panlong 官渡区:Guandu
"""
_CN_DISTRICTS: dict[str, list[str]] = {}
for _ln in _CN_DISTRICT_TABLE.strip().splitlines():
    _city, _rest = _ln.split(" ", 1)
    _CN_DISTRICTS.setdefault(_city, []).append(_rest)
CN_CITIES: list[CnCity] = [
    CnCity(n, p, a, py, _d(" ".join(_CN_DISTRICTS[n])), int(pc), ad, float(w))
    for n, p, a, py, pc, ad, w in (ln.split("|") for ln in _CN_CITY_TABLE.strip().splitlines())
]
CN_CITY_W = Weighted(CN_CITIES, [c.weight for c in CN_CITIES])
CN_CITY_BY_NAME = {c.name: c for c in CN_CITIES}

STREET_STEMS: list[tuple[str, str]] = _pair_list(
    "中山:Zhongshan 人民:Renmin 解放:Jiefang 建设:Jianshe 和平:Heping 新华:Xinhua 胜利:Shengli "
    "延安:Yan'an 科技:Keji 创业:Chuangye 学院:Xueyuan 工业:Gongye 文化:Wenhua 青年:Qingnian "
    "光明:Guangming 黄河:Huanghe 长江:Changjiang 滨河:Binhe 东风:Dongfeng 朝阳:Chaoyang "
    "幸福:Xingfu 团结:Tuanjie 友谊:Youyi 迎宾:Yingbin 金融:Jinrong 高新:Gaoxin 软件:Ruanjian "
    "创新:Chuangxin 天府:Tianfu 世纪:Shiji 南京:Nanjing 北京:Beijing"
)
STREET_SUFFIX = [
    ("路", "Road", 8),
    ("大道", "Avenue", 3),
    ("街", "Street", 2),
    ("东路", "East Road", 2),
    ("西路", "West Road", 2),
    ("南路", "South Road", 1.5),
    ("北路", "North Road", 1.5),
    ("中路", "Middle Road", 1),
    ("一路", "1st Road", 1),
    ("二路", "2nd Road", 1),
]
BUILDING_STEMS: list[tuple[str, str]] = _pair_list(
    "国贸:Guomao 华润:Huarun 万达:Wanda 环球:Huanqiu 世纪:Shiji 中信:Zhongxin 招商:Zhaoshang "
    "时代:Shidai 财富:Caifu 东方:Dongfang 新世界:Xinshijie 恒隆:Henglong 嘉里:Jiali "
    "太平洋:Taipingyang 银河:Yinhe 天安:Tian'an 创新:Chuangxin 软件:Ruanjian 金融:Jinrong "
    "数码:Shuma"
)
BUILDING_KINDS = [
    ("大厦", "Building"),
    ("中心", "Center"),
    ("广场", "Plaza"),
    ("科技园", "Science Park"),
    ("产业园", "Industrial Park"),
    ("国际中心", "International Center"),
    ("商务中心", "Business Center"),
]
ESTATE_KINDS = ["花园", "小区", "苑", "家园", "公寓", "新村", "华庭", "名都"]
CN_DIGITS = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 145 147 150 151 152 153 155 156 157 158 159 166"
    " 171 173 175 176 177 178 180 181 182 183 185 186 187 188 189 191 198 199"
).split()
MOBILE_PREFIX_W = Weighted(MOBILE_PREFIXES, zipf(len(MOBILE_PREFIXES), 0.3))


def cn_mobile(rng: Rng) -> str:
    return MOBILE_PREFIX_W.draw(rng) + luhn_free_digits(rng, 8)


def cn_mobile_fmt(m: str, rng: Rng, intl: float = 0.1, spaced: float = 0.2) -> str:
    r = rng.random()
    if r < intl:
        return rng.pick(
            [
                f"+86 {m}",
                f"+86{m}",
                f"+86-{m[:3]}-{m[3:7]}-{m[7:]}",
                f"0086{m}",
                f"86-{m}",
                f"(+86) {m[:3]} {m[3:7]} {m[7:]}",
                f"+86 {m[:3]} {m[3:7]} {m[7:]}",
            ]
        )
    if r < intl + spaced:
        return rng.pick(
            [f"{m[:3]} {m[3:7]} {m[7:]}", f"{m[:3]}-{m[3:7]}-{m[7:]}", f"{m[:3]}-{m[3:]}"]
        )
    return m


def cn_landline_fmt(area: str, local: str, rng: Rng, ext: str = "", no_area: float = 0.08) -> str:
    """Chinese fixed-line renderings: 0755-26881234, (0755)2688 1234, +86 755 ..., 转/分机/ext."""
    a = area
    l4 = f"{local[:4]} {local[4:]}" if len(local) == 8 else local
    if rng.p(no_area):
        base = rng.pick([local, l4])
    else:
        base = rng.wpick(
            [
                (f"{a}-{local}", 10),
                (f"({a}){local}", 2),
                (f"{a} {l4}", 2),
                (f"{a}{local}", 2),
                (f"+86 {a[1:]} {local}", 1),
                (f"+86-{a[1:]}-{local}", 1),
                (f"{a}-{l4}", 1),
                (f"（{a}）{local}", 0.5),
            ]
        )
    if ext:
        base += rng.wpick(
            [
                (f"-{ext}", 4),
                (f"转{ext}", 4),
                (f" 转{ext}", 2),
                (f" ext.{ext}", 1),
                (f"(分机{ext})", 1),
                (f"-转-{ext}", 0.5),
                (f"#{ext}", 0.5),
            ]
        )
    return base


def cn_landline_local(rng: Rng, exchange: str | None = None) -> str:
    if exchange:
        return exchange + luhn_free_digits(rng, 4)
    return str(rng.randint(2, 8)) + luhn_free_digits(rng, 7)


def py_of(s: str) -> list[str]:
    """Syllables of a name; compound surnames come back as one item."""
    out: list[str] = []
    i = 0
    while i < len(s):
        if s[i : i + 2] in PY:
            out.append(PY[s[i : i + 2]])
            i += 2
        else:
            out.append(PY.get(s[i], "x"))
            i += 1
    return out


def lue(p: str, rng: Rng) -> str:
    """ü has no agreed ASCII spelling: lü -> lv / lu / lyu / lue."""
    if "ü" not in p:
        return p
    return p.replace("ü", rng.pick(["v", "u", "yu", "ue"]))


def cn_id_number(rng: Rng, adcode: str, birth: dt.date, male: bool) -> str:
    region = adcode + f"{rng.randint(1, 9):02d}"
    seq = rng.randrange(0, 100) * 10 + (
        rng.pick([1, 3, 5, 7, 9]) if male else rng.pick([0, 2, 4, 6, 8])
    )
    body = region + birth.strftime("%Y%m%d") + f"{seq:03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w, strict=True)) % 11]


def cn_typo(s: str, rng: Rng, table: dict[str, str]) -> str:
    """Replace one character that has an entry in `table` (homophone or near-form)."""
    idx = [i for i, c in enumerate(s) if c in table]
    if not idx:
        return s
    i = rng.pick(idx)
    return s[:i] + rng.pick(table[s[i]]) + s[i + 1 :]


CN_DATE_FORMATS: list[tuple[str, float]] = [
    ("{y}-{m:02d}-{d:02d}", 5),
    ("{y}/{m}/{d}", 4),
    ("{y}年{m}月{d}日", 3),
    ("{y}{m:02d}{d:02d}", 2),
    ("{y}.{m}.{d}", 1),
    ("{y}/{m:02d}/{d:02d}", 2),
    ("{m}月{d}日", 0.0),
]


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


# =============================================================================================
# flavour base
# =============================================================================================


IDENT_TYPES = ("person_name", "phone", "email", "identifier")


class Flavour:
    """Base class: subclasses build entities group by group and render their records."""

    name = ""
    region = ""
    id_col = ""
    #: semantic key -> output column header
    cols: dict[str, str] = {}
    #: semantic key -> spec type (what an ordinary user would declare for that column)
    spec: dict[str, str] = {}
    systems: list[System] = []
    #: optional per-kind-of-entity system mix (system name -> weight) overriding System.weight
    mixes: dict[str, dict[str, float]] = {}
    counts: Weighted

    def __init__(self, seed: int) -> None:
        self.rng = Rng(seed)
        self.np_rng = np.random.default_rng(seed)
        self.n_entities = 0
        self.taken: set[str] = set()
        self.sys_w = Weighted(self.systems, [s.weight for s in self.systems])
        by_name = {s.name: s for s in self.systems}
        self.sys_mix = {
            kind: Weighted([by_name[n] for n in mix], list(mix.values()))
            for kind, mix in self.mixes.items()
        }

    def new_eid(self) -> str:
        self.n_entities += 1
        return f"{self.name}-{self.n_entities:07d}"

    def claim(self, value: str, alternative: Callable[[int], str]) -> str:
        """Reserve a value that exists once in the real world (a mailbox, a company's domain, a
        fixed line); on a clash try `alternative(2)`, `alternative(3)`, ...  Deliberate sharing
        (household mailboxes, info@, switchboards, recycled mobiles) reuses a claimed value."""
        v, k = value, 1
        while v in self.taken:
            k += 1
            v = alternative(k)
        self.taken.add(v)
        return v

    def claim_mailbox(self, email: str) -> str:
        """Claim a mailbox under its canonical form (gmail ignores dots and +tags)."""
        local, _, dom = email.partition("@")
        rng = self.rng

        def canon(loc: str) -> str:
            if dom in ("gmail.com", "googlemail.com"):
                return loc.split("+")[0].replace(".", "") + "@gmail.com"
            return f"{loc}@{dom}"

        picked = [local]

        def alternative(k: int) -> str:
            picked[0] = f"{local}{rng.randint(2, 99) if k < 12 else k}"
            return canon(picked[0])

        self.claim(canon(local), alternative)
        return f"{picked[0]}@{dom}"

    def record_times(self) -> list[float]:
        k = self.counts.draw(self.rng)
        return sorted(self.rng.random() for _ in range(k))

    def make_group(self) -> list[dict[str, str]]:
        raise NotImplementedError

    def render(self, p: Any, t: float, s: System) -> dict[str, str]:
        raise NotImplementedError

    def emit(self, p: Any, t: float, s: System) -> dict[str, str]:
        """Render a record; a stub with no name, phone, email or identifier at all is re-drawn."""
        ident = [k for k, typ in self.spec.items() if typ in IDENT_TYPES]
        row = self.render(p, t, s)
        for _ in range(20):
            if any(row[k] for k in ident):
                break
            row = self.render(p, t, s)
        return row

    def make_id(self, i: int) -> str:
        raise NotImplementedError

    def fill(self, s: System, key: str) -> bool:
        return self.rng.p(s.has.get(key, 0.0))

    def rows(self, n_rows: int) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        while len(out) < n_rows:
            out.extend(self.make_group())
        out = out[:n_rows]
        self.rng.shuffle(out)
        ids = self.np_rng.choice(np.arange(10**6, 10**6 + 20 * n_rows), n_rows, replace=False)
        for r, i in zip(out, ids, strict=True):
            r["id"] = self.make_id(int(i))
        return out

    def header(self) -> list[str]:
        return [self.cols[k] for k in self.cols] + ["entity"]


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


def email_noise(e: str, rng: Rng, s: System) -> str:
    if rng.p(s.n("email_case")):
        local, _, dom = e.partition("@")
        e = rng.pick([local.capitalize() + "@" + dom, e.upper(), local + "@" + dom.capitalize()])
    if rng.p(s.n("email_ocr")):
        e = rng.pick(
            [
                e.replace("l", "1", 1),
                e.replace("o", "0", 1),
                e.replace("m", "rn", 1),
                e.replace(".", ",", 1),
                e.replace("@", "(at)"),
            ]
        )
    if rng.p(s.n("email_typo")):
        local, _, dom = e.partition("@")
        dom = rng.pick(
            [
                dom.replace(".com", ".con"),
                dom.replace(".com", ".cm"),
                dom.replace("qq", "qqq"),
                dom.replace(".com.cn", ".com"),
                dom.replace(".cn", ""),
                dom + ".",
            ]
        )
        local = typo(local, rng) if rng.p(0.4) else local
        e = f"{local}@{dom}"
    if rng.p(s.n("email_mailto")):
        e = rng.pick([f"mailto:{e}", f" {e} ", f"<{e}>", f"E-mail: {e}", f"邮箱：{e}"])
    return e


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


# =============================================================================================
# driver
# =============================================================================================

FLAVOURS: dict[str, type[Flavour]] = {f.name: f for f in (CnB2B, CnRetail, DeLatin, UsLatin)}


def yaml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def write_flavour(flavour: str, n_rows: int, seed: int, out: Path) -> tuple[Path, Path]:
    cls = FLAVOURS[flavour]
    # a per-flavour seed so that `--flavour all` and a single flavour give the same file
    gen = cls(seed * 1009 + list(FLAVOURS).index(flavour))
    rows = gen.rows(n_rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(gen.header())
        keys = list(gen.cols) + ["entity"]
        for r in rows:
            w.writerow([r[k] for k in keys])
    spec_path = out.with_suffix("").with_name(out.with_suffix("").name + ".spec.yaml")
    lines = [
        f"# {flavour}: generated by bench/gen_unseen.py --rows {n_rows} --seed {seed}",
        f"id: {yaml_str(gen.cols['id'])}",
        f"region: {gen.region}",
        "fields:",
    ]
    lines += [f"  {yaml_str(gen.cols[k])}: {t}" for k, t in gen.spec.items()]
    spec_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out, spec_path


def _w(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, n: int) -> str:
    return s + " " * max(n - _w(s), 0)


def describe(flavour: str) -> str:
    """The per-system fill and noise rates of one flavour as text tables (used in the docstring)."""
    cls = FLAVOURS[flavour]
    systems = cls.systems
    names = [s.name for s in systems]
    width = [max(_w(n), 5) for n in names]

    def table(title: str, keys: list[str], get: Callable[[System, str], float]) -> list[str]:
        head = _pad(title, 22) + " ".join(_pad(n, w) for n, w in zip(names, width, strict=True))
        lines = [head, "-" * _w(head)]
        for k in keys:
            cells = []
            for s, w in zip(systems, width, strict=True):
                v = get(s, k)
                cells.append(_pad(f"{v:.2f}".lstrip("0") if v else "-", w))
            lines.append(_pad(k, 22) + " ".join(cells))
        return lines

    col_keys = list(dict.fromkeys(k for s in systems for k in s.has))
    noise_keys = sorted(dict.fromkeys(k for s in systems for k in s.noise))
    out = [f"{flavour} ({cls.region}): spec fields (key=column: type)"]
    line = " "
    for k, t in cls.spec.items():
        item = f" {k}={cls.cols[k]}: {t}"
        if _w(line + item) > 90:
            out.append(line)
            line = " "
        line += item
    out.append(line)
    for kind, mix in cls.mixes.items():
        out.append(f"system mix for {kind} entities:")
        out.append("  " + ", ".join(f"{n} {w:g}" for n, w in mix.items()))
    out.append("")
    out += table("weight", ["weight"], lambda s, k: s.weight)
    out.append("")
    out += table("P(cell filled)", col_keys, lambda s, k: s.has.get(k, 0.0))
    out.append("")
    out += table("P(noise)", noise_keys, lambda s, k: s.noise.get(k, 0.0))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--flavour", required=True, choices=[*FLAVOURS, "all"])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--out",
        help="CSV path for one flavour (default /tmp/unseen/<flavour>_<rows>.csv); with --flavour "
        "all a directory, or a path whose name contains {flavour}",
    )
    ap.add_argument("--describe", action="store_true", help="print the rate tables and exit")
    args = ap.parse_args(argv)
    if args.describe:
        for name in list(FLAVOURS) if args.flavour == "all" else [args.flavour]:
            print(describe(name) + "\n")
        return 0
    names = list(FLAVOURS) if args.flavour == "all" else [args.flavour]
    for name in names:
        if args.out is None:
            out = Path(f"/tmp/unseen/{name}_{args.rows}.csv")
        elif "{flavour}" in args.out:
            out = Path(args.out.format(flavour=name))
        elif args.flavour == "all":
            out = Path(args.out) / f"{name}_{args.rows}.csv"
        else:
            out = Path(args.out)
        csv_path, spec_path = write_flavour(name, args.rows, args.seed, out)
        print(f"{name}: {args.rows} rows -> {csv_path} (spec {spec_path})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
