"""The one-value normalisers, each on its own."""

from __future__ import annotations

import math
import re
import sys
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import String

from db.models import Article, ArticleTranslation, Location, Source
from ingest import normalize
from ingest.normalize import (
    KEY_BYTES,
    TEXT_CHARS,
    collapse_whitespace,
    fahrenheit_to_celsius,
    fold_case,
    parse_byline,
    parse_footer_time,
    parse_page_date,
    parse_temperature,
    read_footer_time,
    read_page_date,
    read_temperature,
    storable,
    storable_article,
)
from ingest.parse.layouts.aggregator import _STANDING_PHRASES
from ingest.parse.layouts.generic_features import BOILERPLATE
from ingest.records import ParsedArticle, ParsedParagraph


def test_collapse_whitespace_strips_collapses_and_composes() -> None:
    assert collapse_whitespace("\ufeff  a \t b\u00a0\n c  ") == "a b c"
    assert collapse_whitespace("Cafe\u0301") == "Caf\u00e9"
    assert collapse_whitespace(" \n ") == ""


@pytest.mark.parametrize(
    "text", ["a b", " a b", "a b ", "a  b", "a\u00a0b", "a\ufeffb", "a\tb", "a\nb", "", "x"]
)
def test_collapse_whitespace_takes_collapsed_text_as_it_is(text: str) -> None:
    assert collapse_whitespace(text) == " ".join(text.replace("\ufeff", "").split())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x00b", "ab"),  # PostgreSQL refuses NUL in text
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),  # terminal codes are not text
        ("a\x7fb\x08c", "abc"),  # DEL, backspace
        ("a\x97b \x80\x99", "a\x97b \x80\x99"),  # C1: cp1252 punctuation read as Latin-1
        ("lone \ud800 and \udfff", "lone \ufffd and \ufffd"),  # no UTF-8 for these
        ("pair \ud83d\ude00", "pair \U0001f600"),  # a UTF-16 pair is the character it encodes
        ("\udfff\ud800", "\ufffd\ufffd"),  # the wrong way round: two lone ones
        ("tab\tline\nfeed\x0cfs\x1cnel\x85", "tab\tline\nfeed\x0cfs\x1cnel\x85"),  # whitespace
        ("caf\u00e9 \U0010ffff \ufffe \u202e", "caf\u00e9 \U0010ffff \ufffe \u202e"),
    ],
)
def test_storable_fixes_surrogates_and_drops_control_characters(text: str, expected: str) -> None:
    assert storable(text) == expected
    storable(text).encode("utf-8")  # strict


def test_storable_returns_clean_text_itself() -> None:
    text = "An ordinary line, café and all."
    assert storable(text) is text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x00 b\x1b", "a b"),
        ("\ud800Title", "\ufffdTitle"),
        ("e\x00\u0301", "\u00e9"),  # NFC again once the NUL no longer parts the mark
        ("\x00\x01", ""),
        ("a\x1c\x1fb", "a b"),  # information separators are whitespace to str.split
    ],
)
def test_collapse_whitespace_makes_text_storable(text: str, expected: str) -> None:
    assert collapse_whitespace(text) == expected


@given(st.text(st.characters(codec=None)))
@settings(max_examples=300, deadline=None)
def test_collapse_whitespace_of_any_text_is_storable(text: str) -> None:
    collapsed = collapse_whitespace(text)
    collapsed.encode("utf-8")
    assert not re.search("[\x00-\x08\x0e-\x1b\x7f]", collapsed)
    assert collapsed == " ".join(collapsed.split())


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


# A line with a temperature's, a date's or a time's shape but numbers out of range: the
# shape is read (the line is still a top-bar or footer line), the value is None.
OUT_OF_RANGE_TEMPERATURES = [
    "1" * 5000 + " C",  # int() refuses 4,300 digits; float() makes it inf
    "9" * 400 + ".5 F",
    "151 C",  # beyond MAX_CELSIUS, either way
    "-150.1 C",
    "303 F",
    "300 °C",
    "-459.67 F",  # absolute zero is no weather
    "999 F",
]


@pytest.mark.parametrize("line", OUT_OF_RANGE_TEMPERATURES)
def test_a_temperature_out_of_range_has_the_shape_but_no_value(line: str) -> None:
    assert read_temperature(line) == (None,)
    assert parse_temperature(line) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [("150 C", 150.0), ("-150 C", -150.0), ("302 F", 150.0), ("-0 C", 0.0), ("\u22120.0 F", -17.8)],
)
def test_a_temperature_at_the_limits(line: str, expected: float) -> None:
    reading = read_temperature(line)
    assert reading is not None and reading[0] == expected
    assert math.copysign(1.0, reading[0]) == math.copysign(1.0, expected)  # no -0.0


OUT_OF_RANGE_DATES = [
    "Sunday, February 9, 0000",
    "February 9, 10000",
    "May 28, 99999",
    "May 99, 2024",
    "February 30, 2025",
    "99 May 2024",
    "May " + "9" * 5000 + ", 2024",
    "May 28, " + "2" * 5000,
    "0000-01-01",
    "2024-13-01",
    "2024-02-30",
    "99999-01-01",
]


@pytest.mark.parametrize("line", OUT_OF_RANGE_DATES)
def test_a_date_out_of_range_has_the_shape_but_no_value(line: str) -> None:
    assert read_page_date(line) == (None,)
    assert parse_page_date(line) is None


def test_years_one_and_9999_are_dates() -> None:
    assert parse_page_date("January 1, 0001") == date(1, 1, 1)
    assert parse_page_date("December 31, 9999") == date(9999, 12, 31)


OUT_OF_RANGE_TIMES = [
    "May 28, 2024 at 99:99",
    "May 28, 2024 at 24:00",
    "May 28, 2024 at 23:60",
    "May 28, 2024 at 06:30:60",
    "May 28, 2024 at 13:00 PM",
    "May 28, 2024 at 00:30AM",
    "May 28, 2024 at 999:9999",
    "May 28, 2024 at " + "1" * 5000 + ":00",
    "May 28, 2024 at 12:" + "0" * 5000,
    "May 28, 0000 at 06:30AM",
    "May 99, 2024 at 06:30AM",
    "February 29, 2023 at 06:30AM",
    "May 28, 99999 at 06:30AM",
]


@pytest.mark.parametrize("line", OUT_OF_RANGE_TIMES)
def test_a_time_out_of_range_has_the_shape_but_no_value(line: str) -> None:
    assert read_footer_time(line) == (None,)
    assert parse_footer_time(line) is None


@pytest.mark.parametrize("line", ["May 28, 2024", "Delhi", "22.1 C", "at 06:30", ""])
def test_other_lines_have_no_shape(line: str) -> None:
    assert read_footer_time(line) is None
    assert read_page_date(line if line != "May 28, 2024" else "May 28") is None
    assert read_temperature(line if line != "22.1 C" else "22.1") is None


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


# --- storable articles ------------------------------------------------------------


def _column_length(column: object) -> int:
    kind = getattr(column, "type", None)
    assert isinstance(kind, String) and kind.length
    return int(kind.length)


def test_the_limits_are_the_store_columns() -> None:
    assert _column_length(Source.__table__.c.name) == normalize.NAME_CHARS
    assert _column_length(Source.__table__.c.category) == normalize.NAME_CHARS
    assert _column_length(Location.__table__.c.name) == normalize.NAME_CHARS
    assert _column_length(Article.__table__.c.author) == normalize.AUTHOR_CHARS
    assert _column_length(Article.__table__.c.language) == normalize.LANGUAGE_CHARS
    assert _column_length(ArticleTranslation.__table__.c.language) == normalize.TRANSLATION_CHARS
    assert KEY_BYTES < 2704  # PostgreSQL's b-tree: the most one index row may take


def _article(**fields: object) -> ParsedArticle:
    base: dict[str, object] = {
        "title": "Ferry back",
        "paragraphs": (ParsedParagraph("It sails again."),),
        "layout": "generic",
        "parser_version": "1",
    }
    return ParsedArticle(**{**base, **fields})  # type: ignore[arg-type]


def test_an_article_that_fits_is_returned_as_it_is() -> None:
    article = _article(source_name="S" * 200, url="https://e.example/" + "a" * 1900, language="en")
    assert storable_article(article) is article


def test_a_long_paragraph_is_cut_between_words_into_paragraphs_of_its_kind() -> None:
    words = [f"w{i}" for i in range(60_000)]  # about 410,000 characters
    long = ParsedParagraph(" ".join(words), "sidebar", "why")
    article = storable_article(_article(paragraphs=(ParsedParagraph("Lead."), long)))
    lead, *pieces = article.paragraphs
    assert lead == ParsedParagraph("Lead.")
    assert len(pieces) in (5, 6)
    assert all(0 < len(p.text) <= TEXT_CHARS for p in pieces)
    assert {(p.kind, p.reason) for p in pieces} == {("sidebar", "why")}
    assert " ".join(p.text for p in pieces).split() == words  # no word lost or cut


def test_a_text_without_spaces_is_cut_at_the_limit() -> None:
    article = storable_article(_article(title="t" * (TEXT_CHARS + 5)))
    assert article.title == "t" * TEXT_CHARS
    article = storable_article(_article(paragraphs=(ParsedParagraph("x" * (2 * TEXT_CHARS + 1)),)))
    assert [len(p.text) for p in article.paragraphs] == [TEXT_CHARS, TEXT_CHARS, 1]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source_name", "S" * 201),
        ("source_category", "C" * 201),
        ("page_location", "L" * 201),
        ("author", "A" * 301),
        ("language", "x" * 36),
        ("url", "https://e.example/" + "a" * KEY_BYTES),
        ("url", "https://e.example/" + "\u00e9" * (KEY_BYTES // 2)),  # 2 bytes a character
        ("guid", "g" * (KEY_BYTES + 1)),
        ("page_temperature_c", math.inf),
        ("page_temperature_c", math.nan),
        ("page_temperature_c", -273.1),
    ],
)
def test_a_value_too_long_for_its_column_is_left_out(field: str, value: object) -> None:
    article = storable_article(_article(**{"source_name": "Kept", field: value}))
    assert getattr(article, field) is None
    assert article.source_name == ("Kept" if field != "source_name" else None)
    assert article.title == "Ferry back"


def test_translations_too_long_for_their_column_are_left_out() -> None:
    article = storable_article(_article(translations=("Korean", "K" * 65, "Japanese")))
    assert article.translations == ("Korean", "Japanese")
