"""The pieces without a hub: the character diff, the language choice, the messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from integration.web.i18n import MESSAGES, best_accepted, translator
from integration.web.review.diff import Run, char_diff

TEMPLATES = Path(__file__).parents[3] / "integration" / "web" / "review" / "templates"


def test_a_one_character_typo_is_one_marked_character() -> None:
    left, right = char_diff("+8613912345678", "+8613912345679")
    assert left == [Run("+861391234567", False), Run("8", True)]
    assert right == [Run("+861391234567", False), Run("9", True)]


def test_an_inserted_character_is_marked_on_its_side_only() -> None:
    left, right = char_diff("张伟", "张小伟")
    assert left == [Run("张伟", False)]
    assert right == [Run("张", False), Run("小", True), Run("伟", False)]


def test_an_empty_side_marks_nothing_and_unrelated_values_are_marked_whole() -> None:
    assert char_diff("", "abc") == ([], [Run("abc", False)])
    assert char_diff("wangfang@example.cn", "13800") == (
        [Run("wangfang@example.cn", True)],
        [Run("13800", True)],
    )


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("de-DE,de;q=0.9,zh;q=0.5", "zh"),
        ("fr", "en"),
        ("", "en"),
        ("zh;q=bogus, en", "en"),
    ],
)
def test_the_language_is_the_best_one_the_browser_accepts(header: str, lang: str) -> None:
    assert best_accepted(header) == lang


def test_every_message_has_both_languages_and_the_same_placeholders() -> None:
    for key, (en, zh) in MESSAGES.items():
        assert en and zh, key
        assert set(re.findall(r"{(\w+)}", en)) == set(re.findall(r"{(\w+)}", zh)), key


def test_every_key_the_templates_use_exists() -> None:
    used = set()
    for page in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_]+)'\s*[,)]", page.read_text()))
    assert used, "no t('...') in the templates"
    assert used <= set(MESSAGES), sorted(used - set(MESSAGES))
    assert translator("zh")("queue_left", n=3) == "剩余 3 对"
