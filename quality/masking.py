"""Masking personal data for reasons, reports and Data Docs.

``13800138000`` / ``+8613800138000`` → ``138****8000``; ``zhang@example.com`` →
``z***@example.com``; ``张三`` → ``张*``; a 统一社会信用代码 keeps its first and last 4
characters. Fields that are not personal are shown as they are, except that any e-mail
address or run of 7+ digits inside them is masked too. Output is capped at 80 characters.
"""

from __future__ import annotations

import re
from typing import Any

from quality.formats import is_blank, mobile_digits, nfkc

PHONE_FIELDS = {"mobile", "phones", "phone", "tel", "telephone", "landline", "fax"}
EMAIL_FIELDS = {"email", "emails", "e_mail"}
NAME_FIELDS = {"name", "person_name", "contact_name", "contact", "full_name"}
ID_FIELDS = {"wecom_external_userid", "wechat_unionid", "wechat_openid", "openid", "unionid"}
CODE_FIELDS = {"uscc", "id_card", "id_number", "passport", "bank_account"}
ADDRESS_FIELDS = {"address", "street", "detail_address"}
MAX_LEN = 80

#: an e-mail starts where a run of address characters starts: without the look-behind a
#: search retried the whole run from each of its characters, quadratic in a long value
#: (a 300k-character field held standardize for hours); the matches are the same, since
#: every start inside one run meets the same "@" and fails or succeeds alike
_EMAIL_IN_TEXT = re.compile(r"(?<![^\s@,;<>()])[^\s@,;<>()]+@[^\s@,;<>()]+\.[A-Za-z]{2,}")
_DIGIT_RUN = re.compile(r"\d{7,}")


def _stars(n: int) -> str:
    return "*" * max(n, 1)


def mask_phone(text: str) -> str:
    digits = mobile_digits(text)
    if digits:
        return f"{digits[:3]}****{digits[-4:]}"
    raw = re.sub(r"\D", "", nfkc(text))
    if len(raw) >= 7:
        return raw[:3] + _stars(len(raw) - 7) + raw[-4:]
    return _stars(len(raw) or len(text))


def mask_email(text: str) -> str:
    text = nfkc(text)
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return mask_text(text)
    return f"{local[0]}***@{domain}"


def mask_name(text: str) -> str:
    text = nfkc(text)
    return text[0] + _stars(len(text) - 1) if len(text) > 1 else "*"


def mask_code(text: str, keep: int = 4) -> str:
    text = nfkc(text)
    if len(text) <= keep * 2:
        return text[:1] + _stars(len(text) - 1)
    return text[:keep] + _stars(len(text) - 2 * keep) + text[-keep:]


def mask_text(text: str) -> str:
    """Mask e-mails and long digit runs inside free text; leave the rest."""
    text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text)
    return _DIGIT_RUN.sub(lambda m: mask_phone(m.group(0)), text)


def mask_value(field: str, value: Any) -> str:
    """The value as safe text for ``field``; lists are masked element by element."""
    if is_blank(value):
        return ""
    if isinstance(value, (list, tuple, set)):
        return ", ".join(mask_value(field, v) for v in value if not is_blank(v))[:MAX_LEN]
    text = str(value).strip()
    name = field.lower()
    if name in PHONE_FIELDS:
        out = mask_phone(text)
    elif name in EMAIL_FIELDS:
        out = mask_email(text)
    elif name in NAME_FIELDS:
        out = mask_name(text)
    elif name in ID_FIELDS:
        out = mask_code(text, keep=3)
    elif name in CODE_FIELDS:
        out = mask_code(text)
    elif name in ADDRESS_FIELDS:
        out = text[:6] + "****" if len(text) > 6 else _stars(len(text))
    else:
        out = mask_text(text)
    return out[:MAX_LEN]
