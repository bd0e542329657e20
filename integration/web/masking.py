"""Masking the contact points of a customer for readers without the right to see them.

Used by the golden-record API (a token without the ``pii`` scope) and by the review web
app (a viewer). Mobiles and other phones come back as ``138****8000``, e-mails as
``z***@example.com``; the rules themselves are quality/masking.py's, so a masked value
reads the same in a report, a Data Doc, the API and the review pages.

``mask_fields`` works on a golden record's (or a customer row's) ``fields`` dict and
returns a new dict; ``mask_deep`` on anything else that may hold them (a record's lineage,
where a list field's ``values`` map each phone or e-mail to the records it came from, an
event's detail); ``personal_fields_in`` says which unmasked personal values a dict
carries, which is what the audit log records when they are handed out unmasked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from quality.formats import is_blank
from quality.masking import mask_email, mask_phone

__all__ = [
    "EMAIL_FIELDS",
    "PHONE_FIELDS",
    "PERSONAL_FIELDS",
    "mask_deep",
    "mask_email",
    "mask_fields",
    "mask_mobile",
    "mask_value_of",
    "personal_fields_in",
]

#: fields holding a phone number (one text, or a list of them)
PHONE_FIELDS = frozenset(
    {"mobile", "mobiles", "phones", "phone", "tel", "telephone", "landline", "fax"}
)
#: fields holding an e-mail address (one text, or a list of them)
EMAIL_FIELDS = frozenset({"email", "emails", "e_mail"})
#: what counts as personal data handed out: the API audits a response that carries any
PERSONAL_FIELDS = PHONE_FIELDS | EMAIL_FIELDS


def mask_mobile(value: str) -> str:
    """``+8613800138000`` / ``138 0013 8000`` -> ``138****8000``; another phone keeps
    its first 3 and last 4 digits."""
    return mask_phone(value)


#: keys inside a phone or e-mail value that describe it rather than hold it (lineage,
#: a multi-valued field with its sources): left as they are
_ABOUT_KEYS = frozenset(
    {
        "from",
        "source",
        "sources",
        "rule",
        "at",
        "since",
        "ref",
        "refs",
        "stream",
        "kind",
        "type",
        "valid",
        "primary",
        "updated_at",
        "decided_at",
        "count",
    }
)


def _masker(field: str) -> Callable[[str], str] | None:
    name = field.lower()
    if name in PHONE_FIELDS:
        return mask_phone
    if name in EMAIL_FIELDS:
        return mask_email
    return None


def _mask_keyed(values: Mapping[Any, Any], masker: Callable[[str], str]) -> dict[str, Any]:
    """A list field's lineage ``{value: [refs it came from]}``: the values are the keys, so
    the keys are masked and the refs kept; two values that mask alike (138****5678 twice)
    become one entry with the refs of both."""
    out: dict[str, Any] = {}
    for value, refs in values.items():
        key = str(value) if is_blank(value) else masker(str(value))
        if key in out and isinstance(out[key], list) and isinstance(refs, list):
            out[key] = sorted({*map(str, out[key]), *map(str, refs)})
        else:
            out[key] = refs
    return out


def _mask_within(value: Any, masker: Callable[[str], str]) -> Any:
    if isinstance(value, Mapping):
        return {
            k: (
                v
                if str(k).lower() in _ABOUT_KEYS
                else _mask_keyed(v, masker)
                if str(k).lower() == "values" and isinstance(v, Mapping)
                else _mask_within(v, masker)
            )
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_mask_within(v, masker) for v in value if not is_blank(v)]
    if is_blank(value) or isinstance(value, bool):
        return value
    return masker(str(value))


def mask_value_of(field: str, value: Any) -> Any:
    """``value`` masked as ``field`` needs it: a phone or an e-mail field is masked (a list
    element by element, keeping it a list; a mapping in it value by value, keeping what
    only describes the value, such as its source); any other field is returned unchanged."""
    masker = _masker(field)
    return value if masker is None else _mask_within(value, masker)


def mask_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``fields`` with every phone and e-mail masked; the rest as it was."""
    return {name: mask_value_of(name, value) for name, value in fields.items()}


def mask_deep(value: Any, field: str = "") -> Any:
    """``value`` with every phone and e-mail masked at any depth: what is under a phone or
    e-mail key is masked, any other mapping or list is walked (an event's detail)."""
    masker = _masker(field) if field else None
    if masker is not None:
        return _mask_within(value, masker)
    if isinstance(value, Mapping):
        return {k: mask_deep(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_deep(v) for v in value]
    return value


def personal_fields_in(fields: Mapping[str, Any]) -> list[str]:
    """The names of the fields in ``fields`` that carry a (non-blank) phone or e-mail,
    sorted: what an unmasked response handed out."""
    return sorted(
        name
        for name, value in fields.items()
        if name.lower() in PERSONAL_FIELDS and not is_blank(value)
    )
