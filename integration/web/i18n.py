"""Chinese and English for the review web app.

The language is the ``chub_lang`` cookie when the user picked one, else the best of the
browser's ``Accept-Language`` that we speak, else English. Every text a page shows is a
key of ``MESSAGES``; a test checks that each key has both languages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request

__all__ = ["LANGUAGES", "LANG_COOKIE", "MESSAGES", "pick_language", "translator"]

LANGUAGES = ("en", "zh")
LANG_COOKIE = "chub_lang"

#: key -> (English, Chinese); ``{name}`` placeholders are filled by ``str.format``
MESSAGES: dict[str, tuple[str, str]] = {
    "app_name": ("customer-hub review", "客户中心 · 审核"),
    "nav_queue": ("Queue", "待审队列"),
    "nav_bulk": ("Bulk", "批量合并"),
    "nav_search": ("Search", "搜索"),
    "nav_quarantine": ("Quarantine", "隔离区"),
    "nav_audit": ("Audit log", "审计日志"),
    "nav_users": ("Users", "用户"),
    "logout": ("Log out", "退出"),
    "login": ("Log in", "登录"),
    "login_title": ("Log in to the review app", "登录审核应用"),
    "username": ("User name", "用户名"),
    "password": ("Password", "密码"),
    "login_failed": ("Wrong user name or password.", "用户名或密码错误。"),
    "login_limited": (
        "Too many failed attempts. Wait a few minutes and try again.",
        "失败次数过多，请几分钟后再试。",
    ),
    "role": ("Role", "角色"),
    "role_admin": ("admin", "管理员"),
    "role_steward": ("steward", "数据管理员"),
    "role_viewer": ("viewer", "只读"),
    "queue_title": ("Review queue", "待审队列"),
    "queue_left": ("{n} pairs left", "剩余 {n} 对"),
    "queue_today": ("{n} decided today", "今日已决定 {n} 对"),
    "queue_empty": ("Nothing left to review.", "没有待审的记录对。"),
    "filter_source": ("Source", "来源"),
    "filter_band": ("Score band", "分数区间"),
    "filter_any": ("any", "全部"),
    "filter_apply": ("Filter", "筛选"),
    "col_pair": ("Pair", "记录对"),
    "col_score": ("Score", "分数"),
    "col_records": ("Records touched", "涉及记录"),
    "col_names": ("Names", "姓名"),
    "col_sources": ("Sources", "来源"),
    "open": ("Open", "打开"),
    "start_review": ("Start reviewing", "开始审核"),
    "pair_title": ("Pair {id}", "记录对 {id}"),
    "field": ("Field", "字段"),
    "left": ("Left record", "左侧记录"),
    "right": ("Right record", "右侧记录"),
    "level": ("Match level", "匹配级别"),
    "weight": ("Weight", "权重"),
    "score": ("Score", "分数"),
    "hide_score": ("Hide the score (judge blind)", "隐藏分数（盲审）"),
    "score_hidden": ("hidden", "已隐藏"),
    "would_join": ("Golden record", "金记录"),
    "members_n": ("{n} members", "{n} 个成员"),
    "members_one": ("1 member", "1 个成员"),
    "same_golden": ("already in one golden record", "已在同一金记录中"),
    "reason": ("Reason (optional)", "理由（可选）"),
    "merge": ("Merge", "合并"),
    "apart": ("Keep apart", "保持分开"),
    "skip": ("Skip", "跳过"),
    "prev": ("Previous", "上一对"),
    "next": ("Next", "下一对"),
    "shortcuts": ("Keyboard shortcuts", "键盘快捷键"),
    "key_m": ("merge", "合并"),
    "key_a": ("keep apart", "保持分开"),
    "key_s": ("skip", "跳过"),
    "key_j": ("next pair", "下一对"),
    "key_k": ("previous pair", "上一对"),
    "key_r": ("write a reason", "填写理由"),
    "key_help": ("show or hide this help", "显示或隐藏帮助"),
    "decided_merge": ("Pair {id} merged.", "记录对 {id} 已合并。"),
    "decided_apart": ("Pair {id} kept apart.", "记录对 {id} 已保持分开。"),
    "skipped": ("Pair {id} skipped.", "已跳过记录对 {id}。"),
    "pair_missing": ("There is no pair {id}.", "没有记录对 {id}。"),
    "pair_gone": ("Pair {id} was not changed: {why}", "记录对 {id} 未更改：{why}"),
    "not_pending": ("This pair is {status}.", "该记录对状态为：{status}。"),
    "bulk_title": ("Bulk merge", "批量合并"),
    "bulk_min": ("Merge every pending pair scoring at least", "合并分数不低于此值的所有待审记录对"),
    "bulk_preview": ("Preview", "预览"),
    "bulk_confirm": ("Merge these {n} pairs", "合并这 {n} 对"),
    "bulk_none": ("No pending pair scores that high.", "没有达到该分数的待审记录对。"),
    "bulk_done": (
        "{n} pairs merged; {gone} were already decided by someone else.",
        "已合并 {n} 对；其中 {gone} 对已被他人处理。",
    ),
    "golden_title": ("Golden record {id}", "金记录 {id}"),
    "golden_retired": ("This golden record is retired; it lives on as", "该金记录已停用，现为"),
    "golden_stale": (
        "The members changed since these fields were built; the next golden run rebuilds them.",
        "成员已变更，字段将在下一次金记录构建时更新。",
    ),
    "lineage": ("Lineage", "来源追溯"),
    "value": ("Value", "值"),
    "rule": ("Rule", "规则"),
    "members": ("Members", "成员"),
    "facts": ("360° facts", "360° 画像"),
    "history": ("History", "历史"),
    "split": ("Split out", "拆分出去"),
    "split_done": ("{member} was split out into {id}.", "{member} 已拆分到 {id}。"),
    "merge_with": ("Merge with another golden record", "与另一条金记录合并"),
    "merge_search": ("Find the other record", "查找另一条记录"),
    "merge_into": ("Merge into this one", "合并到本记录"),
    "merged_done": (
        "{other} was merged; the record is now {id}.",
        "{other} 已合并，记录现为 {id}。",
    ),
    "no_history": ("No merges or splits yet.", "尚无合并或拆分。"),
    "event": ("Event", "事件"),
    "when": ("When", "时间"),
    "cause": ("Cause", "原因"),
    "search_title": ("Search", "搜索"),
    "search_hint": (
        "Name (hanzi or pinyin), mobile in any format, e-mail or a source id",
        "姓名（汉字或拼音）、任意格式手机号、邮箱或来源编号",
    ),
    "search_go": ("Search", "搜索"),
    "search_none": ("Nothing found.", "未找到。"),
    "matched_by": ("Matched by", "匹配方式"),
    "by_name": ("name", "姓名"),
    "by_pinyin": ("pinyin", "拼音"),
    "by_mobile": ("mobile", "手机"),
    "by_email": ("e-mail", "邮箱"),
    "by_source_id": ("source id", "来源编号"),
    "by_golden_id": ("golden id", "金记录编号"),
    "quarantine_title": ("Quarantine", "隔离区"),
    "quarantine_empty": ("No row is quarantined.", "没有被隔离的记录。"),
    "reasons": ("Reasons", "原因"),
    "correct": ("Correct", "更正"),
    "override": ("Override", "放行"),
    "override_reason": ("Why it is fine as it is", "放行理由"),
    "corrected": ("Row {id} corrected: now {verdict}.", "记录 {id} 已更正：现为 {verdict}。"),
    "overridden": ("Row {id} accepted as it is.", "记录 {id} 已放行。"),
    "audit_title": ("Audit log", "审计日志"),
    "audit_actor": ("Who", "操作人"),
    "audit_action": ("Action", "操作"),
    "audit_target": ("Target", "对象"),
    "audit_detail": ("Detail", "详情"),
    "audit_note": ("Entries are only ever added.", "日志只增不改。"),
    "older": ("Older", "更早"),
    "reveal": ("reveal", "显示"),
    "masked_note": (
        "Personal data is masked for viewers; each reveal is logged.",
        "只读用户看到的个人信息已脱敏；每次显示都会记录。",
    ),
    "refused": ("Not allowed", "无权操作"),
    "refused_detail": (
        "Your role ({role}) may not do this. Ask an admin.",
        "您的角色（{role}）无权执行此操作，请联系管理员。",
    ),
    "problem": ("That did not work", "操作未完成"),
    "not_found": ("Not found", "未找到"),
    "back_to_queue": ("Back to the queue", "返回队列"),
    "users_title": ("Users", "用户"),
    "set_role": ("Set role", "设置角色"),
    "created": ("Created", "创建时间"),
    "language": ("中文", "English"),
    "csrf_failed": (
        "The form was stale or not sent by this app. Reload the page and try again.",
        "表单已过期或并非来自本应用，请刷新后重试。",
    ),
}


def pick_language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return best_accepted(request.headers.get("accept-language", ""))


def best_accepted(header: str) -> str:
    """The language we speak that ``Accept-Language`` rates highest (zh-CN, zh;q=0.9 ...)."""
    best, best_q = "en", 0.0
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        # among equal weights the earlier one wins, as the header lists them by preference
        weight = q - position * 1e-6
        if primary in LANGUAGES and weight > best_q:
            best, best_q = primary, weight
    return best


def translator(lang: str) -> Callable[..., str]:
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0

    def t(key: str, **values: Any) -> str:
        text = MESSAGES[key][index] if key in MESSAGES else key
        return text.format(**values) if values else text

    return t
