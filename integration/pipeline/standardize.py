"""Standardizing: raw source records -> canonical customer rows with a quality verdict.

Only records whose payload changed since their row was made are looked at again, so a
re-run over unchanged sources does nothing.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select

import quality
from connectors.contract import Mapped, Source
from dedupe import (
    normalize_email,
    normalize_mobile,
    normalize_person_name,
    normalize_phone,
    split_cn_address,
)
from dedupe.normalize import to_simplified
from integration.pipeline.land import bounded_key
from integration.store import ActivityRow, CustomerRow, SourceRecord, session_scope
from integration.store.models import utcnow

__all__ = ["StandardizeReport", "standardize", "standardize_fields"]

_BATCH = 1000
#: what no text column takes (PostgreSQL refuses NUL; no driver encodes a lone surrogate)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_VERDICT_HISTORY = 20


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(unicodedata.normalize("NFKC", str(value)).split())
    return text or None


def _phone(value: Any) -> str | None:
    """E.164 when it parses; the source's text otherwise, so the quality rules can say why."""
    return normalize_phone(value) or _text(value)


def standardize_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical, display-ready values: E.164 phones, lower-case e-mail, simplified Chinese."""
    out: dict[str, Any] = {}
    name = fields.get("name")
    company = _text(fields.get("company_name"))
    ctype = fields.get("customer_type") or ("company" if company and not name else "person")
    out["customer_type"] = ctype
    if name:
        out["name"] = (
            normalize_person_name(name) if ctype == "person" else to_simplified(_text(name) or "")
        ) or _text(name)
    if company:
        out["company_name"] = to_simplified(company)
    phones = [p for p in (_phone(v) for v in fields.get("phones") or []) if p]
    mobile = fields.get("mobile")
    if mobile:
        out["mobile"] = normalize_mobile(mobile) or _phone(mobile)
    else:
        # a mobile written in a "phones" column is still the customer's mobile
        found = next((p for p in phones if normalize_mobile(p)), None)
        if found:
            out["mobile"] = found
    phones = [p for p in dict.fromkeys(phones) if p != out.get("mobile")]
    if phones:
        out["phones"] = phones
    email = fields.get("email")
    if email:
        out["email"] = normalize_email(email) or _text(email)
    for key in ("uscc", "wecom_external_userid", "wechat_unionid", "owner", "source_updated_at"):
        value = _text(fields.get(key))
        if value:
            out[key] = value.upper() if key == "uscc" else value
    for key in ("province", "city", "district", "address"):
        value = _text(fields.get(key))
        if value:
            out[key] = to_simplified(value)
    if out.get("address") and not (out.get("province") and out.get("city")):
        parts = split_cn_address(out["address"])
        for key in ("province", "city", "district"):
            if not out.get(key) and getattr(parts, key):
                out[key] = getattr(parts, key)
    tags = fields.get("tags")
    if tags:
        out["tags"] = sorted({str(t) for t in tags})
    return out


@dataclass
class StandardizeReport:
    looked_at: int = 0
    rows_ok: int = 0
    rows_quarantined: int = 0
    rows_deleted: int = 0
    activities: int = 0
    unchanged: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def count(self, source: str, verdict: str) -> None:
        per = self.by_source.setdefault(source, {"ok": 0, "quarantined": 0, "deleted": 0})
        per[verdict] = per.get(verdict, 0) + 1

    def as_metadata(self) -> dict[str, Any]:
        return {
            "looked_at": self.looked_at,
            "rows_ok": self.rows_ok,
            "rows_quarantined": self.rows_quarantined,
            "rows_deleted": self.rows_deleted,
            "activities": self.activities,
            "unchanged": self.unchanged,
            "top_reasons": dict(self.reasons.most_common(5)),
            "seconds": self.seconds,
        }


#: activity columns whose value is a label: cut to the column's length
_ACTIVITY_LABELS = {"channel", "status"}
#: activity columns a contact detail goes in: too long to fit means it is none
_ACTIVITY_CONTACTS = {"phone", "email"}


def _fit_activity(values: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``values`` bounded to the activity table's columns (PostgreSQL refuses what does not
    fit, and a refused row would stop the run): labels are cut, a customer key is bounded
    the way landing bounds keys (so it still finds its customer), a contact detail that
    cannot fit is dropped, an amount that is no finite number is none. (values, why the
    activity cannot be stored at all, e.g. a kind or a date that does not fit)."""
    out = dict(values)
    for name, value in values.items():
        column = ActivityRow.__table__.c.get(name)
        if column is None or value is None:
            continue
        if name == "amount":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            out[name] = float(value) if ok and math.isfinite(value) else None
            continue
        length = getattr(column.type, "length", None)
        if length is None:
            continue
        value = value if isinstance(value, str) else str(value)
        if name == "customer_key":
            out[name] = bounded_key(value)
            continue
        cleaned = _UNSTORABLE.sub("", value)
        if len(cleaned) <= length:
            out[name] = cleaned
        elif name in _ACTIVITY_LABELS:
            out[name] = cleaned[:length]
        elif name in _ACTIVITY_CONTACTS or name == "customer_stream":
            out[name] = None
        else:
            return out, f"{name} of {len(cleaned)} characters is longer than {length}"
    return out, None


def _map(source: Source, record: SourceRecord) -> tuple[Mapped | None, str | None]:
    if record.payload is None:
        return None, f"unreadable record: {record.problem or 'no payload'}"
    try:
        return source.map_record(record.stream, record.payload), None
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"cannot map record: {exc}"
    except Exception as exc:  # a payload shape the connector never met must not stop the run
        return None, f"cannot map record ({type(exc).__name__}): {exc}"


def _row_verdict(
    fields: dict[str, Any], corrections: dict[str, Any] | None, rules: quality.RuleSet, scope: str
) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    if corrections:
        fields = {**fields, **standardize_fields({**fields, **corrections})}
    verdict = quality.check_row(fields, rules, scope)
    return fields, ("ok" if verdict.ok else "quarantined"), [r.to_dict() for r in verdict.reasons]


def standardize(
    engine: Engine,
    sources: Mapping[str, Source],
    rules: quality.RuleSet,
    *,
    progress: Callable[[str], None] | None = None,
) -> StandardizeReport:
    report = StandardizeReport()
    started = time.monotonic()
    for name, source in sources.items():
        with session_scope(engine) as session:
            todo, total = _needing_work(session, name)
        report.unchanged += total - len(todo)
        for start in range(0, len(todo), _BATCH):
            ids = todo[start : start + _BATCH]
            with session_scope(engine) as session:
                records = list(
                    session.scalars(
                        select(SourceRecord)
                        .where(SourceRecord.id.in_(ids))
                        .order_by(SourceRecord.id)
                    )
                )
                rows = {
                    r.id: r
                    for r in session.scalars(select(CustomerRow).where(CustomerRow.id.in_(ids)))
                }
                acts = {
                    a.id: a
                    for a in session.scalars(select(ActivityRow).where(ActivityRow.id.in_(ids)))
                }
                for record in records:
                    _standardize_one(
                        session,
                        source,
                        name,
                        record,
                        rows.get(record.id),
                        acts.get(record.id),
                        rules,
                        report,
                    )
            if progress:
                progress(f"standardized {name}: {report.looked_at} records looked at")
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _needing_work(session: Any, name: str) -> tuple[list[int], int]:
    """Ids of ``name``'s records whose rows were made from another payload (or not made
    yet), in id order, and how many records the source has. Compared in the database on
    the hashes alone: an unchanged hub costs one narrow scan, not reading every payload
    and row (the same test as ``_settled``'s)."""
    sr, cr, ar = SourceRecord.__table__, CustomerRow.__table__, ActivityRow.__table__
    q = (
        select(sr.c.id)
        .select_from(sr.outerjoin(cr, cr.c.id == sr.c.id).outerjoin(ar, ar.c.id == sr.c.id))
        .where(
            sr.c.source == name,
            or_(
                and_(cr.c.id.is_(None), ar.c.id.is_(None)),
                cr.c.record_hash != sr.c.payload_hash,
                and_(sr.c.deleted.is_(False), ar.c.record_hash != sr.c.payload_hash),
            ),
        )
        .order_by(sr.c.id)
    )
    todo = list(session.scalars(q))
    total = session.scalar(select(func.count()).select_from(sr).where(sr.c.source == name))
    return todo, int(total or 0)


def _settled(record: SourceRecord, row: CustomerRow | None, act: ActivityRow | None) -> bool:
    """Whether ``record``'s derived rows are made from its payload as it is now: every row
    carries the hash of the payload it was made from. A deleted record's activity row is
    the exception: it is left as it was made (deleting flips ``source_record.deleted``,
    which the golden facts read to leave the activity out, and the golden build's pending
    rule, ``integration/golden/incremental.py``, expects it untouched), so its hash stays
    the old one and says nothing; without this the record was mapped again on every run."""
    if row is None and act is None:
        return False
    checked = [row, None if record.deleted else act]
    return all(x.record_hash == record.payload_hash for x in checked if x is not None)


def _standardize_one(
    session: Any,
    source: Source,
    name: str,
    record: SourceRecord,
    row: CustomerRow | None,
    act: ActivityRow | None,
    rules: quality.RuleSet,
    report: StandardizeReport,
) -> None:
    if _settled(record, row, act):
        report.unchanged += 1
        return
    report.looked_at += 1
    now = utcnow()
    mapped, problem = _map(source, record)
    if mapped is not None and mapped.activity is not None and not record.deleted:
        a = mapped.activity
        values = dict(
            source=name,
            kind=a.kind,
            channel=a.channel,
            at=a.at,
            amount=a.amount,
            # an order's currency and canonical state (open / done / cancelled / refunded,
            # set by the connector's mapping): the golden facts count revenue per currency
            # and leave out cancelled and refunded orders
            currency=(a.currency or "").strip().upper() or None,
            status=str(a.detail.get("order_status") or "").strip().lower() or None,
            customer_stream=a.customer_stream,
            customer_key=a.customer_key,
            phone=normalize_phone(a.phone) if a.phone else None,
            email=normalize_email(a.email) if a.email else None,
            record_hash=record.payload_hash,
        )
        values, unfit = _fit_activity(values)
        if unfit is not None:
            # not stored cut or guessed: the record is quarantined with the reason instead
            problem = problem or f"activity cannot be stored: {unfit}"
            if act is not None:
                session.delete(act)
        elif act is None:
            session.add(ActivityRow(id=record.id, **values))
            report.activities += 1
        else:
            for k, v in values.items():
                setattr(act, k, v)
            report.activities += 1
    if mapped is not None and mapped.customer is None and problem is None:
        if mapped.activity is not None:
            return  # an activity-only record has no customer row
        # neither a customer nor an activity (a drop-folder row whose mapped cells are
        # all blank): quarantined with why, not dropped without a word
        problem = "the record maps to no customer and no activity"
    if record.deleted:
        fields, verdict, reasons = (row.fields if row else {}), "deleted", []
    elif problem is not None or mapped is None or mapped.customer is None:
        fields, verdict = {}, "quarantined"
        reasons = [{"rule": "readable", "field": "*", "value": "", "message": problem or "?"}]
    else:
        fields = standardize_fields(dict(mapped.customer))
        fields, verdict, reasons = _row_verdict(
            fields, row.corrections if row else None, rules, name
        )
    if verdict == "quarantined":
        report.rows_quarantined += 1
        for reason in reasons:
            report.reasons[f"{reason['field']}: {reason['rule']}"] += 1
    elif verdict == "deleted":
        report.rows_deleted += 1
    else:
        report.rows_ok += 1
    report.count(name, verdict)
    entry = {
        "at": now.isoformat(),
        "verdict": verdict,
        "reasons": reasons,
        "hash": record.payload_hash,
    }
    if row is None:
        session.add(
            CustomerRow(
                id=record.id,
                source=name,
                stream=record.stream,
                source_key=record.source_key,
                fields=fields,
                verdict=verdict,
                reasons=reasons,
                record_hash=record.payload_hash,
                verdict_history=[entry],
                updated_at=now,
            )
        )
        return
    row.fields, row.verdict, row.reasons = fields, verdict, reasons
    row.record_hash = record.payload_hash
    row.verdict_history = [*(row.verdict_history or [])[-(_VERDICT_HISTORY - 1) :], entry]
    row.updated_at = now
