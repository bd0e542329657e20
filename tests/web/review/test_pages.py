"""The review pages on a hub built by the real pipeline: queue, pair view, decisions (and
two stewards deciding one pair at once), bulk, golden record, search, masking, quarantine
and the audit log."""

from __future__ import annotations

import re
import threading
from typing import Any

from sqlalchemy import func, select

import dedupe
from integration.golden.build import build_golden
from integration.pipeline.resolve import resolve_customers
from integration.store import (
    AuditLog,
    CustomerRow,
    Decision,
    GoldenCustomer,
    GoldenMember,
    MatchPair,
    session_scope,
)
from integration.web.review.queue import BAND_WIDTH, QueueOrder, pending_queue
from tests.web.review.conftest import client_for, csrf_of, login
from tests.web.review.hubdata import SETTINGS


def _status(engine, pair_id: int) -> str:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return s.scalar(select(MatchPair.status).where(MatchPair.id == pair_id))


def _decide(client, pair_id: int, answer: str, **extra: str):  # type: ignore[no-untyped-def]
    csrf = csrf_of(client.get(f"/review/pairs/{pair_id}").text)
    return client.post(
        f"/review/pairs/{pair_id}/decide", data={"answer": answer, "csrf_token": csrf, **extra}
    )


def _flash(client, response) -> str:  # type: ignore[no-untyped-def]
    page = client.get(response.headers["location"])
    found = re.search(r'<div class="flash" role="status">([^<]*)</div>', page.text)
    return found.group(1) if found else ""


def test_the_queue_puts_the_least_certain_pairs_touching_most_records_first(engine, hub) -> None:  # type: ignore[no-untyped-def]
    threshold = (SETTINGS.lower + SETTINGS.upper) / 2
    items = pending_queue(engine, threshold)
    assert sorted(i.pair_id for i in items) == sorted(hub["pending"])
    keys = [(int(abs(i.score - threshold) / BAND_WIDTH), -i.records) for i in items]
    assert keys == sorted(keys)
    only_crm = pending_queue(engine, threshold, source="crm")
    assert only_crm and all("crm:" in i.left_ref + i.right_ref for i in only_crm)
    band = pending_queue(engine, threshold, min_score=0.95, max_score=1.0)
    assert band and all(0.95 <= i.score < 1.0 for i in band)


def test_queue_page_says_what_is_left_and_decided_today(app, engine, hub, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    n = len(hub["pending"])
    assert f"{n} pairs left" in client.get("/review/").text
    _decide(client, hub["pending"][0], "merge")
    page = client.get("/review/").text
    assert f"{n - 1} pairs left" in page and "1 decided today" in page
    filtered = client.get("/review/?source=nosuch").text
    assert "0 pairs left" in filtered and "Nothing left to review" in filtered


def test_pair_view_shows_both_records_the_typo_levels_weights_and_golden_sizes(
    app, engine, hub, as_user
) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    with session_scope(engine) as s:
        pairs = list(s.scalars(select(MatchPair).where(MatchPair.status == "pending")))
        typo = next(p for p in pairs if p.explanation.get("mobile", {}).get("level") == "typo")
        left = s.get(CustomerRow, typo.left_id).fields["mobile"]
        right = s.get(CustomerRow, typo.right_id).fields["mobile"]
        size = s.scalar(
            select(func.count())
            .select_from(GoldenMember)
            .where(
                GoldenMember.golden_id
                == select(GoldenMember.golden_id)
                .where(GoldenMember.row_id == typo.left_id)
                .scalar_subquery()
            )
        )
    page = client.get(f"/review/pairs/{typo.id}").text
    common = next(i for i in range(len(left)) if left[i] != right[i])
    assert f"{left[:common]}<mark>{left[common]}</mark>" in page
    assert f"{right[:common]}<mark>{right[common]}</mark>" in page
    assert 'lv-typo">typo<' in page
    assert f"{typo.explanation['mobile']['weight']:+.2f}" in page
    assert f"{size} members" in page
    assert f"{typo.score:.3f}" in page
    assert 'data-has-next="1"' in page or 'data-has-prev="1"' in page
    for key in (
        "<kbd>m</kbd>",
        "<kbd>a</kbd>",
        "<kbd>s</kbd>",
        "<kbd>j</kbd>",
        "<kbd>k</kbd>",
        "<kbd>?</kbd>",
    ):
        assert key in page


def test_blind_mode_hides_scores_and_weights(app, hub, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    pair = hub["pending"][0]
    page = client.get(f"/review/pairs/{pair}").text
    client.post(
        "/review/prefs",
        data={"blind": "1", "back": f"/review/pairs/{pair}", "csrf_token": csrf_of(page)},
    )
    blind = client.get(f"/review/pairs/{pair}").text
    assert 'id="score"' not in blind and "Weight" not in blind
    assert "hidden" in client.get("/review/").text


def test_a_decision_is_stored_at_once_and_the_next_pair_follows(app, engine, hub, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    first = client.get("/review/").text
    order = [int(x) for x in re.findall(r'<td class="mono">#(\d+)</td>', first)]
    response = _decide(client, order[0], "merge", reason="same phone, same person")
    assert response.status_code == 303
    assert response.headers["location"] == f"/review/pairs/{order[1]}"
    assert _status(engine, order[0]) == "merged"
    with session_scope(engine) as s:
        decision = s.scalars(select(Decision).where(Decision.action == "merge")).one()
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "pair_merge")).one()
    assert decision.actor == "sam" and decision.reason == "same phone, same person"
    assert audit.target == f"pair:{order[0]}" and audit.detail["decision_id"] == decision.id
    skipped = _decide(client, order[1], "skip")
    assert (
        skipped.headers["location"] == f"/review/pairs/{order[2]}"
        and _status(engine, order[1]) == "pending"
    )


def test_two_stewards_deciding_one_pair_at_once_one_wins_the_other_is_told(
    app, engine, hub, as_user
) -> None:  # type: ignore[no-untyped-def]
    pair = hub["pending"][0]
    sam, tom = as_user("sam"), as_user("tom")
    forms = {
        name: csrf_of(client.get(f"/review/pairs/{pair}").text)
        for name, client in (("sam", sam), ("tom", tom))
    }
    start = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def answer(name: str, client: Any, choice: str) -> None:
        start.wait()
        answers[name] = client.post(
            f"/review/pairs/{pair}/decide", data={"answer": choice, "csrf_token": forms[name]}
        )

    threads = [
        threading.Thread(target=answer, args=("sam", sam, "merge")),
        threading.Thread(target=answer, args=("tom", tom, "apart")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    flashes = {name: _flash(client, answers[name]) for name, client in (("sam", sam), ("tom", tom))}
    with session_scope(engine) as s:
        # (keeping apart two records the engine had joined is stored as a split)
        decisions = s.scalars(select(Decision)).all()
    assert len(decisions) == 1, "exactly one answer is applied"
    winner = decisions[0].actor
    loser = "tom" if winner == "sam" else "sam"
    assert _status(engine, pair) == ("merged" if winner == "sam" else "kept_apart")
    assert f"Pair {pair} {'merged' if winner == 'sam' else 'kept apart'}." == flashes[winner]
    assert f"Pair {pair} was not changed: pair {pair} is no longer pending" in flashes[loser]


def test_bulk_merges_exactly_what_the_preview_showed(app, engine, hub, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    preview = client.get("/review/bulk?min_score=0.95").text
    shown = [int(x) for x in re.findall(r'name="pair_ids" value="(\d+)"', preview)]
    with session_scope(engine) as s:
        expected = s.scalars(
            select(MatchPair.id).where(MatchPair.status == "pending", MatchPair.score >= 0.95)
        ).all()
    assert sorted(shown) == sorted(expected) and shown
    assert f"Merge these {len(shown)} pairs" in preview
    # meanwhile someone else answers one of them: it is counted, not merged twice
    _decide(as_user("tom"), shown[0], "apart")
    response = client.post(
        "/review/bulk",
        data={"pair_ids": shown, "min_score": "0.95", "csrf_token": csrf_of(preview)},
    )
    said = re.search(r"(\d+) pairs merged; (\d+) were already decided", _flash(client, response))
    assert said, "the bulk merge says what it did"
    merged, gone = int(said.group(1)), int(said.group(2))
    # tom's answer stands; a merge may settle other previewed pairs inside the same
    # golden record, which are then no longer pending either: none is answered twice
    assert merged >= 1 and gone >= 1 and merged + gone == len(shown)
    assert _status(engine, shown[0]) == "kept_apart"
    assert all(_status(engine, p) != "pending" for p in shown)
    with session_scope(engine) as s:
        by_sam = s.scalars(select(Decision.right_id).where(Decision.actor == "sam")).all()
    assert len(by_sam) == merged


def _golden_with(engine, members: int) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        counts = s.execute(
            select(GoldenMember.golden_id, func.count()).group_by(GoldenMember.golden_id)
        ).all()
        gid = next(g for g, n in sorted(counts) if n >= members)
        refs = [
            f"{m.source}:{m.stream}:{m.source_key}"
            for m in s.scalars(select(GoldenMember).where(GoldenMember.golden_id == gid))
        ]
    return gid, sorted(refs)


def test_golden_record_shows_lineage_members_facts_and_a_split_moves_a_member_out(
    app, engine, hub, as_user
) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    gid, refs = _golden_with(engine, 3)
    page = client.get(f"/review/golden/{gid}").text
    for ref in refs:
        assert ref in page
    assert "most_" in page or "source_trust" in page  # the rule of each field
    assert "lifecycle_stage" in page
    response = client.post(
        f"/review/golden/{gid}/split",
        data={"member": refs[0], "reason": "a different person", "csrf_token": csrf_of(page)},
    )
    assert response.status_code == 303
    assert f"{refs[0]} was split out into" in _flash(client, response)
    _, after = _golden_with(engine, 1)
    with session_scope(engine) as s:
        still = {
            f"{m.source}:{m.stream}:{m.source_key}"
            for m in s.scalars(select(GoldenMember).where(GoldenMember.golden_id == gid))
        }
        audited = s.scalars(select(AuditLog.action).where(AuditLog.action == "golden_split")).all()
    assert still == set(refs[1:]) and audited == ["golden_split"]
    history = client.get(f"/review/golden/{gid}").text
    assert "ev-split" in history or "ev-left" in history
    assert 'id="stale"' in history  # the fields wait for the golden stage
    build_golden(engine, hub["rules"])
    assert 'id="stale"' not in client.get(f"/review/golden/{gid}").text


def test_merge_with_a_record_found_by_search(app, engine, hub, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    with session_scope(engine) as s:
        records = {
            g.fields.get("name"): g.golden_id
            for g in s.scalars(select(GoldenCustomer).where(GoldenCustomer.status == "active"))
        }
    keep, other = records["王芳"], records["李娜"]
    page = client.get(f"/review/golden/{keep}?q=lina").text
    assert f'name="other" value="{other}"' in page
    response = client.post(
        f"/review/golden/{keep}/merge", data={"other": other, "csrf_token": csrf_of(page)}
    )
    assert response.status_code == 303
    survivor = response.headers["location"].rsplit("/", 1)[1]
    with session_scope(engine) as s:
        retired = other if survivor == keep else keep
        assert s.get(GoldenCustomer, retired).merged_into == survivor


def test_search_by_pinyin_mobile_in_any_format_email_and_source_id(
    app, engine, hub, as_user
) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    with session_scope(engine) as s:
        zhang = next(
            g.golden_id for g in s.scalars(select(GoldenCustomer)) if g.fields.get("name") == "张伟"
        )
        e0 = s.scalar(select(GoldenMember.golden_id).where(GoldenMember.source_key == "E0"))
    assert e0 == zhang
    for query, how in (
        ("zhang wei", "pinyin"),
        ("Zhangwei", "pinyin"),
        ("张伟", "name"),
        ("138 0013 8000", "mobile"),
        ("+86-138-0013-8000", "mobile"),
        ("zhangwei@EXAMPLE.com", "e-mail"),
        ("erp:E0", "source id"),
        ("erp:customers:E0", "source id"),
    ):
        page = client.get("/review/search", params={"q": query}).text
        assert f"/review/golden/{zhang}" in page, query
        assert f'<span class="badge">{how}</span>' in page, query
    assert "Nothing found" in client.get("/review/search", params={"q": "13000000000"}).text


def test_a_viewer_sees_masked_values_and_a_reveal_is_logged(app, engine, hub, as_user) -> None:  # type: ignore[no-untyped-def]
    viewer = as_user("vic")
    gid, _ = _golden_with(engine, 2)
    with session_scope(engine) as s:
        fields = s.get(GoldenCustomer, gid).fields
    page = viewer.get(f"/review/golden/{gid}").text
    digits = fields["mobile"].removeprefix("+86")
    assert f"{digits[:3]}****{digits[-4:]}" in page
    assert digits not in page and fields["email"] not in page
    assert fields["email"][0] + "***@" in page
    search = viewer.get("/review/search", params={"q": fields["name"]}).text
    assert digits not in search and f"{digits[:3]}****{digits[-4:]}" in search
    pair_page = viewer.get(f"/review/pairs/{hub['pending'][0]}").text
    assert "****" in pair_page
    revealed = viewer.post(
        "/review/reveal",
        data={"field": "mobile", "golden_id": gid},
        headers={"X-CSRF-Token": csrf_of(page), "Accept": "application/json"},
    )
    assert revealed.json() == {"value": fields["mobile"]}
    assert (
        viewer.post("/review/reveal", data={"field": "mobile", "golden_id": gid}).status_code == 403
    )
    with session_scope(engine) as s:
        logged = s.scalars(select(AuditLog).where(AuditLog.action == "reveal")).one()
    assert (logged.actor, logged.target, logged.detail) == (
        "vic",
        f"golden:{gid}",
        {"field": "mobile"},
    )
    steward = as_user("sam").get(f"/review/golden/{gid}").text
    assert fields["mobile"] in steward and "reveal" not in steward.split("<main>")[1]


def test_quarantine_lists_reasons_and_a_correction_or_override_releases_the_row(
    app, engine, hub, as_user
) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    with session_scope(engine) as s:
        bad = s.scalars(select(CustomerRow).where(CustomerRow.verdict == "quarantined")).one()
        reasons = list(bad.reasons)
    page = client.get("/review/quarantine").text
    assert "calls:contacts:BAD1" in page and reasons[0]["message"] in page
    corrected = client.post(
        f"/review/quarantine/{bad.id}/correct",
        data={"field": "mobile", "value": "13700001111", "csrf_token": csrf_of(page)},
    )
    assert "corrected: now quarantined" in _flash(client, corrected)  # the name is still missing
    overridden = client.post(
        f"/review/quarantine/{bad.id}/override",
        data={"reason": "a walk-in customer, known by phone", "csrf_token": csrf_of(page)},
    )
    assert "accepted as it is" in _flash(client, overridden)
    with session_scope(engine) as s:
        assert s.get(CustomerRow, bad.id).verdict == "overridden"
        actions = s.scalars(select(AuditLog.action).where(AuditLog.target == f"row:{bad.id}")).all()
    assert actions == ["quarantine_correct", "quarantine_override"]
    again = client.post(
        f"/review/quarantine/{bad.id}/override", data={"reason": "x", "csrf_token": csrf_of(page)}
    )
    assert again.status_code == 409 and "is not quarantined" in again.text


def test_audit_log_lists_decisions_and_filters(app, engine, hub, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    _decide(client, hub["pending"][0], "apart", reason="different birthdays")
    page = client.get("/review/audit").text
    assert "pair_apart" in page and "different birthdays" in page and "login" in page
    only = client.get("/review/audit", params={"action": "pair_apart"}).text
    rows = only.split("<tbody>")[1]
    assert "pair_apart" in rows and ">login<" not in rows
    nobody = client.get("/review/audit", params={"actor": "nobody"}).text
    assert "pair_apart" not in nobody.split("<tbody>")[1]
    # append-only: the app has no route that changes or removes an entry
    assert client.post("/review/audit", data={}).status_code == 405


def test_pages_speak_chinese_by_accept_language_and_switch(app, hub) -> None:  # type: ignore[no-untyped-def]
    client = client_for(app)
    login(client, "sam")
    zh = client.get("/review/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "待审队列" in zh and 'lang="zh-CN"' in zh
    client.get("/review/lang?to=en&back=/review/")
    en = client.get("/review/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "Review queue" in en


def test_a_decision_made_in_the_browser_holds_through_the_next_runs(
    app, engine, hub, as_user
) -> None:  # type: ignore[no-untyped-def]
    client = as_user("sam")
    with session_scope(engine) as s:
        pairs = {
            p.id: (p.left_id, p.right_id)
            for p in s.scalars(select(MatchPair).where(MatchPair.status == "pending"))
        }
        golden = dict(s.execute(select(GoldenMember.row_id, GoldenMember.golden_id)).all())
    # a pair the engine put in two golden records: merged by a steward, it stays merged
    pair_id, (left, right) = next(
        (p, lr) for p, lr in pairs.items() if golden[lr[0]] != golden[lr[1]]
    )
    _decide(client, pair_id, "merge")
    for _ in range(2):
        resolve_customers(engine, dedupe.CUSTOMER_SPEC, SETTINGS)
        build_golden(engine, hub["rules"])
        with session_scope(engine) as s:
            now = dict(s.execute(select(GoldenMember.row_id, GoldenMember.golden_id)).all())
            assert now[left] == now[right]
            assert s.scalar(select(MatchPair.status).where(MatchPair.id == pair_id)) == "merged"


def test_the_kept_queue_order_skips_decided_pairs_and_learns_of_new_ones(engine, hub) -> None:  # type: ignore[no-untyped-def]
    threshold = (SETTINGS.lower + SETTINGS.upper) / 2
    order = QueueOrder(ttl=3600)
    ids = [i.pair_id for i in pending_queue(engine, threshold)]
    before, after = order.around(engine, threshold, ids[0])
    assert (before, after) == (None, ids[1])
    with session_scope(engine) as s:
        s.get(MatchPair, ids[1]).status = "kept_apart"  # someone else answered it
        left, right = s.get(MatchPair, ids[0]).left_id, s.get(MatchPair, ids[0]).right_id
    assert order.around(engine, threshold, ids[0]) == (None, ids[2])
    shown, _ = order.page(engine, threshold, (None, None, None), skip=0, size=50)
    assert ids[1] not in [i.pair_id for i in shown] and len(shown) == len(ids) - 1
    with session_scope(engine) as s:  # a run adds a pair the kept order never saw
        s.add(MatchPair(left_id=right, right_id=left, score=0.65, explanation={}, status="pending"))
        s.flush()
        new = s.scalar(select(func.max(MatchPair.id)))
    shown, _ = order.page(engine, threshold, (None, None, None), skip=0, size=50)
    assert new in [i.pair_id for i in shown]
    assert order.around(engine, threshold, new)[1] is not None or len(ids) == 2
