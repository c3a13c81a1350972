"""The one-value normalisers, each on its own."""

from __future__ import annotations

import re
import sys
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import normalize
from ingest.body_features import BOILERPLATE
from ingest.layouts.aggregator import _STANDING_PHRASES
from ingest.normalize import (
    collapse_whitespace,
    fahrenheit_to_celsius,
    fold_case,
    parse_byline,
    parse_footer_time,
    parse_page_date,
    parse_temperature,
)


def test_collapse_whitespace_strips_collapses_and_composes() -> None:
    assert collapse_whitespace("\ufeff  a \t b\u00a0\n c  ") == "a b c"
    assert collapse_whitespace("Cafe\u0301") == "Caf\u00e9"
    assert collapse_whitespace(" \n ") == ""


@pytest.mark.parametrize(
    "text", ["a b", " a b", "a b ", "a  b", "a\u00a0b", "a\ufeffb", "a\tb", "a\nb", "", "x"]
)
def test_collapse_whitespace_takes_collapsed_text_as_it_is(text: str) -> None:
    assert collapse_whitespace(text) == " ".join(text.replace("\ufeff", "").split())


def test_only_the_plain_space_is_printable_whitespace() -> None:
    # collapse_whitespace relies on it to pass over text that is already collapsed
    everything = map(chr, range(sys.maxunicode + 1))
    printable = [c for c in everything if (c.isspace() or c == "\ufeff") and c.isprintable()]
    assert printable == [" "]


def _clue_characters() -> str:
    clues = [c for _, cs, _ in _STANDING_PHRASES for c in cs]
    clues += [c for rule in BOILERPLATE for c in rule.clues]
    return "".join(sorted(set("".join(clues))))


def test_fold_case_is_how_ignorecase_patterns_see_the_clues() -> None:
    # Every character a case-insensitive pattern matches to a clue's character is
    # folded to that character, so a clue a pattern needs is in the folded text.
    characters = _clue_characters()
    assert characters == fold_case(characters)
    any_of_them = re.compile("[" + re.escape(characters) + "]", re.IGNORECASE)
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if any_of_them.fullmatch(char):
            same = [c for c in characters if re.fullmatch(re.escape(c), char, re.IGNORECASE)]
            assert fold_case(char) in same, hex(code)


def test_fold_case_keeps_words_together() -> None:
    assert fold_case("İSTANBUL ſend \u212aelvin ı") == "istanbul send kelvin i"


@pytest.mark.parametrize(("f", "c"), [(32.0, 0.0), (212.0, 100.0), (-40.0, -40.0)])
def test_fahrenheit_to_celsius(f: float, c: float) -> None:
    assert fahrenheit_to_celsius(f) == pytest.approx(c)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("22.1 C", 22.1),
        ("22.1°C", 22.1),
        ("22.1 ° C", 22.1),
        (" 5 c ", 5.0),
        ("-3 C", -3.0),
        ("\u22123.5 °C", -3.5),
        ("72 °F", 22.2),
        ("72F", 22.2),
        ("-40 F", -40.0),
        ("31.9 F", -0.1),
        ("32 F", 0.0),
    ],
)
def test_parse_temperature(line: str, expected: float) -> None:
    assert parse_temperature(line) == expected


def test_parse_temperature_never_gives_negative_zero() -> None:
    assert str(parse_temperature("-0.01 C")) == "0.0"


@pytest.mark.parametrize("line", ["22.1", "22°", "55°F Clear", "Delhi", "C", "22.1 K", ""])
def test_parse_temperature_refuses_other_lines(line: str) -> None:
    assert parse_temperature(line) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Sunday, February 9, 2025", date(2025, 2, 9)),
        ("February 9, 2025", date(2025, 2, 9)),
        ("Sunday February 9 2025", date(2025, 2, 9)),
        ("Feb. 9th, 2025", date(2025, 2, 9)),
        ("9 February 2025", date(2025, 2, 9)),
        ("Sunday, 9 February 2025", date(2025, 2, 9)),
        ("2025-02-09", date(2025, 2, 9)),
        # the weekday is not checked against the date
        ("Monday, February 9, 2025", date(2025, 2, 9)),
    ],
)
def test_parse_page_date(line: str, expected: date) -> None:
    assert parse_page_date(line) == expected


@pytest.mark.parametrize(
    "line",
    ["February 30, 2025", "May 28, 2024 at 06:30AM", "On February 9, 2025 it rained", "May", ""],
)
def test_parse_page_date_refuses_other_lines(line: str) -> None:
    assert parse_page_date(line) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("May 28, 2024 at 06:30AM", datetime(2024, 5, 28, 6, 30)),
        ("May 28, 2024 at 06:30PM", datetime(2024, 5, 28, 18, 30)),
        ("May 28, 2024 at 12:05AM", datetime(2024, 5, 28, 0, 5)),
        ("May 28, 2024 at 12:05 pm", datetime(2024, 5, 28, 12, 5)),
        ("May 28, 2024 at 18:30", datetime(2024, 5, 28, 18, 30)),
        ("May 28, 2024, 6:30 a.m.", datetime(2024, 5, 28, 6, 30)),
    ],
)
def test_parse_footer_time(line: str, expected: datetime) -> None:
    assert parse_footer_time(line) == expected


@pytest.mark.parametrize(
    "line",
    ["May 28, 2024", "May 28, 2024 at 13:30PM", "May 28, 2024 at 24:00", "06:30AM", "x"],
)
def test_parse_footer_time_refuses_other_lines(line: str) -> None:
    assert parse_footer_time(line) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("by DailyNK(North Korean Media)", ("DailyNK", "North Korean Media")),
        ("by BBC Sport (Sports)", ("BBC Sport", "Sports")),
        ("By Jane Doe", ("Jane Doe", None)),
        ("by J. R. Smith", ("J. R. Smith", None)),
        ("by Metro Daily ()", None),
    ],
)
def test_parse_byline(line: str, expected: tuple[str, str | None] | None) -> None:
    assert parse_byline(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "By the end of the year, prices had doubled.",
        "By the end of the year.",
        "by",
        "Written by Jane Doe",
        "by one two three four five six seven eight nine",
    ],
)
def test_parse_byline_refuses_sentences(line: str) -> None:
    assert parse_byline(line) is None


@settings(max_examples=300, deadline=None)
@given(st.from_regex(normalize._TIME, fullmatch=True))
def test_a_time_ends_as_ends_like_time_says(time: str) -> None:
    # parse_footer_time skips the date patterns when _ends_like_time says no
    text = collapse_whitespace("May 28, 2024" + time)
    if normalize._TIME.fullmatch(text, len("May 28, 2024")):
        assert normalize._ends_like_time(text)
