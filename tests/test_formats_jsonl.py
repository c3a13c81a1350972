"""JSON Lines read by ingest.formats.jsonl: one article per line, one error per bad line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from ingest.errors import ParseError
from ingest.formats import jsonl
from ingest.formats.jsonl import parse_jsonl
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


def test_empty_input() -> None:
    assert parse_jsonl("") == []
    assert parse_jsonl("\n  \n") == []
