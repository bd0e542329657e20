"""Scorecards: completeness and validity per field of a batch, and their history as charts.

* completeness[f] = share of rows with a non-blank value of f;
* validity[f] = share of the non-blank values of f with no format / allowed / unique /
  region reason (None when the batch has no value of f); waived reasons count as valid;
* overall = {completeness: mean over fields, validity: share of rows with no validity
  reason, pass_rate: share of rows whose verdict is ok}.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quality.formats import is_blank
from quality.rules import RuleSet, ScopeRules
from quality.verdicts import Verdict

CANONICAL_FIELDS = (
    "name",
    "customer_type",
    "mobile",
    "phones",
    "email",
    "company_name",
    "uscc",
    "province",
    "city",
    "district",
    "address",
    "wecom_external_userid",
    "wechat_unionid",
    "owner",
    "tags",
    "source_updated_at",
)
VALIDITY_RULES = {"format", "allowed", "unique", "region"}


@dataclass(frozen=True)
class Scorecard:
    scope: str
    rows: int
    ok_rows: int
    completeness: dict[str, float]
    validity: dict[str, float | None]
    overall: dict[str, float]
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "scope": self.scope,
            "rows": self.rows,
            "ok_rows": self.ok_rows,
            "completeness": dict(self.completeness),
            "validity": dict(self.validity),
            "overall": dict(self.overall),
        }

    def to_metadata(self) -> dict[str, float | int]:
        """Flat numbers for Dagster asset metadata (one time series per key)."""
        out: dict[str, float | int] = {"rows": self.rows, "ok_rows": self.ok_rows}
        out.update({f"overall.{k}": v for k, v in self.overall.items()})
        out.update({f"completeness.{k}": v for k, v in self.completeness.items()})
        out.update({f"validity.{k}": v for k, v in self.validity.items() if v is not None})
        return out


def scorecard(
    rows: Sequence[Mapping[str, Any]],
    verdicts: Sequence[Verdict],
    scope: str,
    *,
    fields: Iterable[str] | None = None,
    rules: RuleSet | ScopeRules | None = None,
    at: datetime | str | None = None,
) -> Scorecard:
    """Score a batch. Fields: ``fields``, else the rules' fields, else the canonical ones."""
    if len(rows) != len(verdicts):
        raise ValueError(f"{len(rows)} rows but {len(verdicts)} verdicts")
    if fields is None and rules is not None:
        sr = rules if isinstance(rules, ScopeRules) else rules.for_scope(scope)
        fields = sr.fields
    names = list(dict.fromkeys(fields if fields is not None else CANONICAL_FIELDS))
    n = len(rows)
    filled = dict.fromkeys(names, 0)
    invalid = dict.fromkeys(names, 0)
    rows_invalid = 0
    for row, verdict in zip(rows, verdicts, strict=True):
        for name in names:
            if not is_blank(row.get(name)):
                filled[name] += 1
        bad = {r.field for r in verdict.reasons if r.rule in VALIDITY_RULES}
        rows_invalid += bool(bad)
        for name in bad:
            if name in invalid:
                invalid[name] += 1
    completeness = {f: (filled[f] / n if n else 0.0) for f in names}
    validity = {f: (1 - invalid[f] / filled[f] if filled[f] else None) for f in names}
    ok_rows = sum(v.ok for v in verdicts)
    overall = {
        "completeness": sum(completeness.values()) / len(names) if names and n else 0.0,
        "validity": 1 - rows_invalid / n if n else 1.0,
        "pass_rate": ok_rows / n if n else 1.0,
    }
    when = at.isoformat() if isinstance(at, datetime) else (at or datetime.now(UTC).isoformat())
    return Scorecard(scope, n, ok_rows, completeness, validity, overall, when)


# --- history charts -----------------------------------------------------------------------


def _overall(entry: Mapping[str, Any], key: str) -> float | None:
    given = (entry.get("overall") or {}).get(key)
    if given is not None:
        return float(given)
    values = [v for v in (entry.get(key) or {}).values() if v is not None]
    return sum(values) / len(values) if values else None


def _series(history: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    by_scope: dict[str, list[Mapping[str, Any]]] = {}
    for entry in sorted(history, key=lambda e: str(e.get("at", ""))):
        by_scope.setdefault(str(entry.get("scope", "?")), []).append(entry)
    return by_scope


def _pct(v: Any) -> str:
    return "–" if v is None else f"{float(v):.1%}"


def _svg(
    points: list[tuple[float | None, ...]], labels: list[str], w: int = 560, h: int = 160
) -> str:
    colors = ["#2b6cb0", "#2f855a", "#c05621"]
    n = len(points)
    parts = [f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">']
    parts.append(f'<rect x="0" y="0" width="{w}" height="{h}" fill="#fafafa" stroke="#ddd"/>')
    for k, label in enumerate(labels):
        coords = [
            (20 + (w - 40) * (i / max(n - 1, 1)), h - 15 - (h - 30) * value)
            for i, p in enumerate(points)
            if (value := p[k]) is not None
        ]
        if coords:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(
                f'<polyline fill="none" stroke="{colors[k % 3]}" stroke-width="2" points="{path}"/>'
            )
            for x, y in coords:
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colors[k % 3]}"/>')
        parts.append(
            f'<text x="{25 + 140 * k}" y="14" font-size="11" fill="{colors[k % 3]}">'
            f"{html.escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def render_scorecard_html(history: Sequence[Mapping[str, Any]], out: Path) -> Path:
    """A self-contained HTML report: per scope, a trend chart and the latest per-field table."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    body = ["<h1>customer-hub data quality scorecard</h1>"]
    if not history:
        body.append("<p>No scorecards yet.</p>")
    for scope, entries in _series(history).items():
        latest = entries[-1]
        body.append(f"<h2>{html.escape(scope)}</h2>")
        keys = ["completeness", "validity", "pass_rate"]
        pts = [tuple(_overall(e, k) for k in keys) for e in entries]
        body.append(_svg(pts, keys))
        body.append(
            f"<p>latest {html.escape(str(latest.get('at', '')))}: rows {latest.get('rows', '–')}, "
            f"completeness {_pct(_overall(latest, 'completeness'))}, "
            f"validity {_pct(_overall(latest, 'validity'))}</p>"
        )
        comp, val = latest.get("completeness") or {}, latest.get("validity") or {}
        prev = entries[-2] if len(entries) > 1 else None
        body.append(
            "<table><tr><th>field</th><th>completeness</th><th>Δ</th><th>validity</th></tr>"
        )
        for name in dict.fromkeys([*comp, *val]):
            delta = ""
            if (
                prev
                and comp.get(name) is not None
                and (prev.get("completeness") or {}).get(name) is not None
            ):
                delta = f"{(comp[name] - prev['completeness'][name]) * 100:+.1f} pt"
            body.append(
                f"<tr><td>{html.escape(name)}</td><td>{_pct(comp.get(name))}</td>"
                f"<td>{delta}</td><td>{_pct(val.get(name))}</td></tr>"
            )
        body.append("</table>")
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "td:first-child{text-align:left}"
    )
    page = (
        '<!doctype html><html lang="zh"><head><meta charset="utf-8">'
        f"<title>Data quality scorecard</title><style>{style}</style></head>"
        f"<body>{''.join(body)}</body></html>"
    )
    out.write_text(page, encoding="utf-8")
    return out


def render_scorecard_png(history: Sequence[Mapping[str, Any]], out: Path) -> Path:
    """Two panels (completeness, validity) with one line per scope over time (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
    try:
        for ax, key in zip(axes, ("completeness", "validity"), strict=True):
            for scope, entries in _series(history).items():
                xs = [_parse_at(e.get("at"), i) for i, e in enumerate(entries)]
                ys = [_overall(e, key) for e in entries]
                pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
                if pairs:
                    ax.plot([p[0] for p in pairs], [p[1] for p in pairs], marker="o", label=scope)
            ax.set_title(key)
            ax.set_ylim(0, 1.05)
            ax.grid(alpha=0.3)
            ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        if history:
            axes[0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out, format="png", dpi=100)
    finally:
        plt.close(fig)
    return out


def _parse_at(value: Any, index: int) -> datetime | int:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return index
