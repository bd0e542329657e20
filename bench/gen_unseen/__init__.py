"""Independent generator of noisy customer / contact data with known truth, for blind engine tests.

    .venv/bin/python -m bench.gen_unseen --flavour cn_b2b --rows 100000 --seed 1 \\
        --out /tmp/unseen/cn_b2b_100000.csv
    .venv/bin/python bench/gen_unseen.py --flavour all --rows 20000 --out /tmp/unseen  # the same
    .venv/bin/python -m bench.gen_unseen --flavour all --describe     # the rate tables below

A package, one module per flavour (`cn_b2b`, `cn_retail`, `de_latin`, `us_latin`), each beside
its reference tables (`cn_tables` and `cn_people` for both Chinese flavours, `de_tables`,
`us_tables`), on a shared `core` (seeded draws, source systems, noise, the `Flavour` base);
`cli` writes the files.  `bench/gen_unseen.py` only runs `cli.main`, so the command of earlier
results still works and gives the same files.

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

from .cli import FLAVOURS, describe, main, write_flavour
from .core import Flavour, System

__all__ = ["FLAVOURS", "Flavour", "System", "describe", "main", "write_flavour"]
