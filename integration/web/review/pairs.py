"""The queue, the pair view (merge / keep apart / skip) and bulk merging."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from integration.review import ReviewError, decide
from integration.store import session_scope
from integration.web.audit import write_audit
from integration.web.auth import CurrentUser
from integration.web.i18n import pick_language, translator
from integration.web.masking import mask_value_of
from integration.web.review.queue import (
    QueueOrder,
    count_pending,
    decided_today,
    load_pair,
    pending_queue,
    sources_in_queue,
)
from integration.web.review.web import (
    PageRoute,
    ReviewHub,
    current_user,
    form_user,
    hub_of,
    redirect,
    render,
    require,
)

__all__ = ["router"]

router = APIRouter(route_class=PageRoute)
BLIND_COOKIE = "chub_blind"
PAGE_SIZE = 50
#: at most this many pairs are merged by one bulk confirmation
BULK_LIMIT = 500


def _order(request: Request) -> QueueOrder:
    """The app's kept queue order (one per app, so two hubs never share one)."""
    state = request.app.state
    if not hasattr(state, "review_queue_order"):
        state.review_queue_order = QueueOrder()
    order: QueueOrder = state.review_queue_order
    return order


def _band(band: str) -> tuple[float | None, float | None]:
    """``"0.7-0.8"`` -> (0.7, 0.8); anything else is no band."""
    lo, sep, hi = band.partition("-")
    try:
        return (float(lo), float(hi)) if sep else (None, None)
    except ValueError:
        return None, None


def _bands(hub: ReviewHub) -> list[str]:
    """Score bands of 0.1 across the review band, for the filter."""
    edges = [hub.lower]
    step = 0.1
    while edges[-1] + step < hub.upper - 1e-9:
        edges.append(round(edges[-1] + step, 2))
    edges.append(hub.upper)
    return [f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:], strict=False)]


def _filters(source: str, band: str) -> str:
    kept = {k: v for k, v in (("source", source), ("band", band)) if v}
    return ("?" + urlencode(kept)) if kept else ""


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request,
    user: Annotated[CurrentUser, Depends(current_user)],
    source: str = "",
    band: str = "",
    page: int = 1,
) -> Response:
    hub = hub_of(request)
    lo, hi = _band(band)
    page = max(page, 1)
    left = count_pending(hub.engine, source=source or None, min_score=lo, max_score=hi)
    shown, more = _order(request).page(
        hub.engine,
        hub.threshold,
        (source or None, lo, hi),
        skip=(page - 1) * PAGE_SIZE,
        size=PAGE_SIZE,
    )
    return render(
        request,
        "queue.html",
        user,
        items=shown,
        left=left,
        today=decided_today(hub.engine),
        sources=sources_in_queue(hub.engine),
        bands=_bands(hub),
        source=source,
        band=band,
        page=page,
        more=more,
        filters=_filters(source, band),
        blind=request.cookies.get(BLIND_COOKIE) == "1",
    )


@router.get("/pairs/{pair_id}", response_class=HTMLResponse)
def pair_page(
    request: Request,
    pair_id: int,
    user: Annotated[CurrentUser, Depends(current_user)],
    source: str = "",
    band: str = "",
) -> Response:
    hub = hub_of(request)
    mask = mask_value_of if user.role == "viewer" else None
    view = load_pair(hub.engine, pair_id, mask=mask)
    if view is None:
        t = translator(pick_language(request))
        return render(
            request,
            "message.html",
            user,
            title_key="not_found",
            message=t("pair_missing", id=pair_id),
            status_code=404,
        )
    lo, hi = _band(band)
    before, after = _order(request).around(
        hub.engine, hub.threshold, pair_id, source=source or None, min_score=lo, max_score=hi
    )
    return render(
        request,
        "pair.html",
        user,
        view=view,
        before=before,
        after=after,
        left=count_pending(hub.engine, source=source or None, min_score=lo, max_score=hi),
        source=source,
        band=band,
        filters=_filters(source, band),
        blind=request.cookies.get(BLIND_COOKIE) == "1",
    )


@router.post("/pairs/{pair_id}/decide")
def decide_pair(
    request: Request,
    pair_id: int,
    user: Annotated[CurrentUser, Depends(form_user)],
    answer: Annotated[str, Form(pattern="^(merge|apart|skip)$")],
    reason: Annotated[str, Form(max_length=2000)] = "",
    source: Annotated[str, Form(max_length=64)] = "",
    band: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Store the answer at once, then show the next pair (or say who was first)."""
    hub = hub_of(request)
    t = translator(pick_language(request))
    if answer == "skip":
        flash = t("skipped", id=pair_id)
    else:
        require(user, "decide")
        flash = _decide(hub, user, pair_id, answer, reason.strip() or None, t)
    lo, hi = _band(band)
    # the next pair in the order the steward is working in; after the last one, back to
    # a pair skipped earlier (a skip at the end goes back to the queue)
    before, after = _order(request).around(
        hub.engine, hub.threshold, pair_id, source=source or None, min_score=lo, max_score=hi
    )
    target = after if after is not None else (before if answer != "skip" else None)
    filters = _filters(source, band)
    if target is None:
        return redirect(f"/{filters}", flash)
    return redirect(f"/pairs/{target}{filters}", flash)


def _decide(
    hub: ReviewHub, user: CurrentUser, pair_id: int, answer: str, reason: str | None, t: Any
) -> str:
    try:
        decision_id = decide(hub.engine, pair_id, answer, actor=user.username, reason=reason)  # type: ignore[arg-type, func-returns-value]
    except ReviewError as exc:
        return t("pair_gone", id=pair_id, why=str(exc))
    with session_scope(hub.engine) as session:
        write_audit(
            session,
            actor_kind="user",
            actor=user.username,
            action=f"pair_{answer}",
            target=f"pair:{pair_id}",
            detail={"decision_id": decision_id, "reason": reason},
        )
    return t("decided_merge" if answer == "merge" else "decided_apart", id=pair_id)


@router.post("/prefs")
def set_prefs(
    user: Annotated[CurrentUser, Depends(form_user)],
    blind: Annotated[str, Form(max_length=3)] = "",
    back: Annotated[str, Form(max_length=400)] = "/",
) -> RedirectResponse:
    """Hide or show scores (the choice is kept in a cookie of this browser)."""
    del user  # a live session and its CSRF token are all this needs
    target = back if back.startswith("/review/") and "//" not in back else "/review/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        BLIND_COOKIE,
        "1" if blind else "0",
        max_age=365 * 86400,
        path="/review",
        httponly=True,
        secure=True,
        samesite="lax",
    )
    return response


@router.get("/bulk", response_class=HTMLResponse)
def bulk_page(
    request: Request,
    user: Annotated[CurrentUser, Depends(current_user)],
    min_score: float | None = None,
) -> Response:
    hub = hub_of(request)
    preview = None
    if min_score is not None:
        preview = sorted(
            (i for i in pending_queue(hub.engine, hub.threshold, min_score=min_score)),
            key=lambda i: (-i.score, i.pair_id),
        )[:BULK_LIMIT]
    return render(
        request,
        "bulk.html",
        user,
        min_score=min_score if min_score is not None else round(hub.upper - 0.05, 2),
        preview=preview,
        limit=BULK_LIMIT,
    )


@router.post("/bulk")
def bulk_merge(
    request: Request,
    user: Annotated[CurrentUser, Depends(form_user)],
    pair_ids: Annotated[list[int], Form(max_length=BULK_LIMIT)],
    min_score: Annotated[float, Form()],
) -> Response:
    """Merge exactly the pairs the preview showed (not whatever scores that high now);
    a pair someone else decided meanwhile is counted, not merged twice."""
    require(user, "decide")
    hub = hub_of(request)
    t = translator(pick_language(request))
    merged = gone = 0
    for pair_id in pair_ids:
        try:
            decision_id = decide(  # type: ignore[func-returns-value]
                hub.engine,
                pair_id,
                "merge",
                actor=user.username,
                reason=f"bulk: score >= {min_score:g}",
            )
        except ReviewError:
            gone += 1
            continue
        merged += 1
        with session_scope(hub.engine) as session:
            write_audit(
                session,
                actor_kind="user",
                actor=user.username,
                action="pair_merge",
                target=f"pair:{pair_id}",
                detail={"decision_id": decision_id, "bulk_min_score": min_score},
            )
    return redirect("/", t("bulk_done", n=merged, gone=gone))
