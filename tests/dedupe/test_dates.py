"""normalize_date must not depend on the day it runs: dateutil fills what a text does
not write from today ("1994" was 1994-12-08 on 2026-12-08, 1994-12-07 the day before)
and places a two-digit year within 50 years of today's ("4/2/58" was 2058)."""

from __future__ import annotations

import datetime as dt
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from dateutil.parser import _parser as dateutil_parser

import dedupe.normalize as normalize
from dedupe.normalize import normalize_date

# free-form texts (none of the fast patterns), full and partial
TEXTS = (
    "1994",
    "94",
    "Jan 1994",
    "January 28",
    "28 Jan",
    "Monday",
    "10:30",
    "Jan 28, 1994",
    "28 January 1994",
    "4/2/58",
    "28.01.94",
    "12.03.30",
    "1.1.29",
    "3/4/05",
    "Mon, 28 Jan 1994 10:00:00 +0100",
)


@contextmanager
def _running_on(day: dt.date, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """dateutil as it behaves on `day`: its default date (datetime.now) and the year its
    parserinfo centres two-digit years on (time.localtime at construction)."""

    class _Today(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> _Today:
            return cls(day.year, day.month, day.day, 9, 30)

    fake_dt = types.ModuleType("datetime")
    fake_dt.__dict__.update(dt.__dict__)
    fake_dt.datetime = _Today  # type: ignore[attr-defined]
    fake_time = types.ModuleType("time")
    fake_time.__dict__.update(time.__dict__)
    stamp = time.struct_time((day.year, day.month, day.day, 9, 30, 0, day.weekday(), 1, 0))
    fake_time.localtime = lambda *_: stamp  # type: ignore[attr-defined]
    with monkeypatch.context() as m:
        m.setattr(dateutil_parser, "datetime", fake_dt)
        m.setattr(dateutil_parser, "time", fake_time)
        # parsers built from now on see the fake year; so does the module's default one
        m.setattr(dateutil_parser, "DEFAULTPARSER", dateutil_parser.parser())
        m.setattr(normalize, "_FREE_FORM", None, raising=False)  # (the parser it caches)
        normalize_date.cache_clear()
        try:
            yield
        finally:
            normalize_date.cache_clear()


def _keys_on(day: dt.date, monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    with _running_on(day, monkeypatch):
        return {t: normalize_date(t) for t in TEXTS}


def test_the_faked_day_reaches_dateutil(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness itself: dateutil really sees the faked day (else the test below
    could pass whatever normalize_date did)."""
    with _running_on(dt.date(2031, 5, 17), monkeypatch):
        assert dateutil_parser.parse("1994").date() == dt.date(1994, 5, 17)
        assert dateutil_parser.parse("4/2/80", dayfirst=True).year == 2080


def test_keys_do_not_depend_on_the_day_they_are_made(monkeypatch: pytest.MonkeyPatch) -> None:
    days = (dt.date(2026, 12, 7), dt.date(2026, 12, 8), dt.date(2077, 6, 15), dt.date(1990, 3, 1))
    first, *others = (_keys_on(day, monkeypatch) for day in days)
    for other in others:
        assert other == first


def test_a_date_without_its_day_or_month_is_missing() -> None:
    """No day is made up: a date field compares whole dates, so a made-up day would
    count against the true one; missing counts neither way."""
    for text in ("1994", "94", "Jan 1994", "1994 January", "January 28", "28 Jan", "Monday"):
        assert normalize_date(text) is None, text
    assert normalize_date("10:30") is None  # a time, no date
    assert normalize_date("Jan 28, 1994") == "1994-01-28"
    assert normalize_date("Mon, 28 Jan 1994 10:00:00 +0100") == "1994-01-28"
    assert normalize_date("29 Feb 2000") == "2000-02-29"
    assert normalize_date("Feb 29") is None  # no year: no leap year to pick either


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("4/2/58", "1958-02-04"),
        ("28.01.94", "1994-01-28"),
        ("12.03.30", "1930-03-12"),  # the first year of the window
        ("1.1.29", "2029-01-01"),  # its last
        ("3/4/05", "2005-04-03"),
        ("3/4/1905", "1905-04-03"),  # four digits are taken as written
    ],
)
def test_a_two_digit_year_has_a_fixed_century(raw: str, iso: str) -> None:
    assert normalize_date(raw) == iso
