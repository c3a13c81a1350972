"""JSON Lines read by ingest.parse.formats.jsonl: one article per line, one error per bad line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from ingest.errors import ParseError
from ingest.parse.formats import jsonl
from ingest.parse.formats.jsonl import parse_jsonl
from ingest.records import ParsedArticle

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"


def test_good_lines_parse_and_bad_lines_are_errors_with_their_line_numbers() -> None:
    results = parse_jsonl((FIXTURES / "articles.jsonl").read_text(encoding="utf-8"))

    assert [number for number, _ in results] == [1, 2, 4, 5, 6]  # line 3 is blank
    articles = {n: r for n, r in results if isinstance(r, ParsedArticle)}
    errors = {n: r for n, r in results if isinstance(r, ParseError)}
    assert sorted(articles) == [1, 2, 4]
    assert sorted(errors) == [5, 6]
    assert str(errors[5]).startswith("line 5: invalid JSON")
    assert str(errors[6]) == "line 6: missing 'text'"
    assert errors[6].reason == "no article"

    first = articles[1]
    assert first.title == "Floating library sets sail"
    assert [p.text for p in first.paragraphs] == [
        "The harbour town opened a library on a converted ferry.",
        "It will moor at six jetties.",
    ]
    assert first.published_at == datetime(2024, 6, 3, 8, 15)  # +02:00 -> UTC
    assert first.source_name == "Lindenport Courier"
    assert first.url == "https://courier.example.org/floating-library"
    assert first.layout == jsonl.NAME == "jsonl"
    assert first.parser_version == jsonl.VERSION == "1"

    second = articles[2]
    assert second.published_at == datetime(2024, 6, 2, 18, 30)  # no zone: as written
    assert second.source_name is None and second.url is None

    third = articles[4]
    # A blank line holding spaces separates paragraphs too; trailing blank lines add none.
    assert [p.text for p in third.paragraphs] == [
        "Spring tides are due this weekend.",
        "Stay off the causeway.",
    ]
    assert third.source_name is None  # null counts as absent
    assert third.published_at is None


def line(**fields: object) -> str:
    return json.dumps(fields)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "line 1: not a JSON object but an array"),
        ('"just a string"', "line 1: not a JSON object but a string"),
        (line(text="Body"), "line 1: missing 'title'"),
        (line(title=None, text="Body"), "line 1: missing 'title'"),
        (line(title="T"), "line 1: missing 'text'"),
        (line(title=3, text="Body"), "line 1: 'title' must be a string, not a number"),
        (line(title="T", text=["a", "b"]), "line 1: 'text' must be a string, not an array"),
        (line(title="  ", text="Body"), "line 1: empty 'title'"),
        (line(title="T", text="\n\n  \n"), "line 1: empty 'text'"),
        (
            line(title="T", text="B", source=True),
            "line 1: 'source' must be a string, not a boolean",
        ),
        (line(title="T", text="B", url={}), "line 1: 'url' must be a string, not an object"),
        (
            line(title="T", text="B", published_at="yesterday"),
            "line 1: 'published_at' is not an ISO 8601 time: 'yesterday'",
        ),
        (line(title="T", text="B", published_at=1717400000), "line 1: 'published_at' must be"),
        ("{" * 100_000, "line 1: invalid JSON"),
    ],
)
def test_bad_records(text: str, message: str) -> None:
    ((number, result),) = parse_jsonl(text)
    assert number == 1
    assert isinstance(result, ParseError)
    assert str(result).startswith(message)


def test_line_numbers_count_blank_lines_and_crlf() -> None:
    text = "\ufeff\r\n" + line(title="A", text="a") + "\r\n\r\n   \r\n" + line(title="B", text="b")
    results = parse_jsonl(text)
    assert [(n, getattr(r, "title", None)) for n, r in results] == [(2, "A"), (5, "B")]


def test_unicode_line_separators_inside_strings_do_not_split_lines() -> None:
    record = '{"title": "Caf\u00e9\u2028news", "text": "One\u2029two"}'
    ((number, article),) = parse_jsonl(record)
    assert number == 1
    assert isinstance(article, ParsedArticle)
    assert article.title == "Caf\u00e9 news"


def test_optional_fields() -> None:
    ((_, article),) = parse_jsonl(
        line(title="T", text="B", published_at="2024-06-03T10:00:00Z", language="EN", extra=1)
    )
    assert isinstance(article, ParsedArticle)
    assert article.published_at == datetime(2024, 6, 3, 10, 0)
    assert article.language == "en"


def test_a_language_tag_is_written_as_feeds_and_pages_write_it() -> None:
    ((_, article),) = parse_jsonl(line(title="T", text="B", language=" en_US "))
    assert isinstance(article, ParsedArticle)
    assert article.language == "en-us"


def test_empty_input() -> None:
    assert parse_jsonl("") == []
    assert parse_jsonl("\n  \n") == []


# --- hostile records -----------------------------------------------------------------


def one(text: str) -> ParsedArticle:
    ((_, result),) = parse_jsonl(text)
    assert isinstance(result, ParsedArticle), result
    return result


@pytest.mark.parametrize(
    "written",
    [
        "9999-12-31T23:00:00-05:00",  # 10000-01-01 in UTC
        "9999-12-31T23:59:59-00:01",
        "0001-01-01T00:00:00+05:00",  # year 0 in UTC
        "0001-01-01T00:00:00+00:01",
        "0000-01-01T00:00:00Z",
        "0000-06-03",
        "10000-01-01T00:00:00",
        "+10000-01-01",
        "99999-12-31T23:59:59+23:59",
        "2024-13-01T00:00:00Z",
        "2024-02-30T10:00:00",
        "2024-06-03T24:00:00",
        "2024-06-03T99:99:99Z",
        "2024-06-03T10:00:00+24:00",
        "2024-06-03T10:00:00+99:99",
        "9" * 5000 + "-01-01",
    ],
)
def test_an_iso_time_that_names_no_storable_moment_is_absent(written: str) -> None:
    article = one(line(title="T", text="B", published_at=written))
    assert article.title == "T"
    assert article.published_at is None


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("0001-01-01T00:00:00-05:00", datetime(1, 1, 1, 5, 0)),
        ("9999-12-31T23:59:59+01:00", datetime(9999, 12, 31, 22, 59, 59)),
        ("2024-06-03T10:00:00+23:59", datetime(2024, 6, 2, 10, 1)),
        ("2024-06-03 10:00:00 +02:00", datetime(2024, 6, 3, 8, 0)),
        ("2024-06-03T10:00:00.123456789Z", datetime(2024, 6, 3, 10, 0, 0, 123456)),
        ("2024-06", datetime(2024, 6, 1)),
    ],
)
def test_times_at_the_edges_are_read(written: str, stored: datetime) -> None:
    assert one(line(title="T", text="B", published_at=written)).published_at == stored


@pytest.mark.parametrize(
    "number",
    ["9" * 5000, "-" + "1" * 4301, "1e400", "-1e400", "NaN", "Infinity", "0." + "1" * 9000],
)
def test_numbers_of_any_size_cost_nothing(number: str) -> None:
    record = '{"title": "T", "text": "B", "views": ' + number + ', "n": [' + number + "]}"
    assert one(record).title == "T"
    ((_, error),) = parse_jsonl('{"title": ' + number + ', "text": "B"}')
    assert isinstance(error, ParseError)
    assert str(error) == "line 1: 'title' must be a string, not a number"


def test_every_text_is_storable() -> None:
    record = (
        '{"title": "Ferry\\ud800 back\\u0000", "text": "One\\u001b[31m.\\n\\nTwo \\udfff\\u007f.",'
        ' "source": "Courier\\ud83d\\ude00", "url": "https://e.example/\\u0000a",'
        ' "language": "EN\\u0085"}'
    )
    article = one(record)
    assert article.title == "Ferry\ufffd back"
    assert [p.text for p in article.paragraphs] == ["One[31m.", "Two \ufffd."]
    assert article.source_name == "Courier\U0001f600"  # an escaped pair is its character
    assert article.url == "https://e.example/a"
    assert article.language == "en"


def test_values_too_long_for_the_store_are_left_out() -> None:
    article = one(
        line(title="T", text="B", url="https://e.example/" + "a" * 3000, language="x" * 40)
    )
    assert article.url is None and article.language is None
    assert article.title == "T"


def test_an_error_message_quotes_a_long_value_in_part() -> None:
    ((_, error),) = parse_jsonl(line(title="T", text="B", published_at="x" * 1_000_000))
    assert isinstance(error, ParseError)
    assert str(error).startswith("line 1: 'published_at' is not an ISO 8601 time: 'xxx")
    assert str(error).endswith("... (1,000,000 characters)")
    assert len(str(error)) < 200


def test_deep_nesting_anywhere_is_one_bad_line() -> None:
    deep = '{"title": "T", "text": "B", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    results = parse_jsonl(deep + "\n" + line(title="Good", text="B"))
    assert isinstance(results[0][1], ParseError)
    assert str(results[0][1]) == "line 1: invalid JSON (nested too deeply)"
    assert isinstance(results[1][1], ParsedArticle)
