"""HTML pages read by ingest.formats.html (trafilatura + htmldate) into articles.

The fixture is an invented news page with the usual chrome around one
article: a site header with a menu, a byline, a related-stories box and a
footer. Only the article's three paragraphs may come out as body.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from ingest.errors import ParseError
from ingest.formats import html
from ingest.formats.html import (
    TRAFILATURA_MARKUP,
    html_fragment_paragraphs,
    parse_html,
    read_html,
    text_blocks,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
PAGE = (FIXTURES / "article.html").read_text(encoding="utf-8")

PARAGRAPHS = [
    "The harbour town of Lindenport opened a library on a converted ferry on Monday, lending "
    "books to fishing crews and island families who have had no library of their own since the "
    "old reading room closed nine years ago.",
    "The boat, renamed the Paper Gull, carries about four thousand books, a children's corner "
    "with cushions and two reading tables, and it will moor at six jetties along the coast on a "
    "fortnightly timetable agreed with the ferry company.",
    "Volunteers from the island schools will run the lending desk during the summer holidays, "
    "and the town council said it would review the service in the autumn, when the first "
    "figures on loans and visitors are expected.",
]


def test_the_article_and_nothing_else() -> None:
    article = parse_html(PAGE)
    assert article.title == "Harbour town opens floating library"
    # Exactly the three paragraphs: no menu, byline, related box, footer, or
    # the headline repeated as a paragraph.
    assert [p.text for p in article.paragraphs] == PARAGRAPHS
    assert {p.kind for p in article.paragraphs} == {"body"}
    assert all(p.reason for p in article.paragraphs)


def test_metadata() -> None:
    found = read_html(PAGE)
    article = found.article
    assert article.layout == html.NAME == "html"
    assert article.parser_version == html.VERSION == "1"
    # article:published_time 10:15+02:00, stored as naive UTC.
    assert article.published_at == datetime(2024, 6, 3, 8, 15)
    assert article.url == "https://courier.example.org/2024/06/03/floating-library"
    assert article.language == "en-gb"
    assert article.source_name == "The Lindenport Courier"
    assert found.author == "Marta Quell"


def test_canonical_url_wins_over_the_fetched_one() -> None:
    article = parse_html(PAGE, url="https://mirror.example.com/copy?id=7")
    assert article.url == "https://courier.example.org/2024/06/03/floating-library"


def test_the_fetched_url_when_the_page_declares_none() -> None:
    page = PAGE.replace(
        '<link rel="canonical" href="https://courier.example.org/2024/06/03/floating-library">', ""
    )
    article = parse_html(page, url="https://courier.example.org/a/123")
    assert article.url == "https://courier.example.org/a/123"


def test_a_page_without_a_zone_keeps_the_time_as_written() -> None:
    page = PAGE.replace("2024-06-03T10:15:00+02:00", "2024-06-03T10:15:00")
    assert parse_html(page).published_at == datetime(2024, 6, 3, 10, 15)


def test_a_page_without_a_language_declaration() -> None:
    assert parse_html(PAGE.replace(' lang="en-GB"', "")).language is None


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("<html><head><title>Empty</title></head><body></body></html>", "no article text"),
        ("<html><body><nav><a href='/'>Home</a></nav></body></html>", "no headline"),
        ("", "not an HTML page"),
    ],
)
def test_no_article_is_a_parse_error(page: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_html(page)


def test_text_blocks_keep_nested_blocks_apart() -> None:
    body = etree.fromstring(
        "<body><p>One <hi>two</hi><lb/>three</p><list><item>a</item><item>b</item></list>"
        "<quote><p>Q1</p><p>Q2</p></quote><table><row><cell>x</cell><cell>y</cell></row></table>"
        "<graphic src='x.png'/>tail</body>"
    )
    blocks = text_blocks(body, TRAFILATURA_MARKUP)
    assert [(b.tag, b.text) for b in blocks] == [
        ("p", "One two three"),
        ("item", "a"),
        ("item", "b"),
        ("p", "Q1"),
        ("p", "Q2"),
        ("row", "x y"),
        ("body", "tail"),
    ]


def test_html_fragment_paragraphs() -> None:
    fragment = (
        "Lead text<p>First <a href='#'>para</a>.</p><!-- note --><div>Second<br>line</div>"
        "<script>bad()</script>Third<br/><br/>Fourth<ul><li>item</li></ul>"
    )
    assert html_fragment_paragraphs(fragment) == (
        "Lead text",
        "First para.",
        "Second line",
        "Third",
        "Fourth",
        "item",
    )
    assert html_fragment_paragraphs("plain\n\ntext  here") == ("plain", "text here")
    assert html_fragment_paragraphs("   ") == ()


def test_raw_bytes_are_decoded_by_the_page_charset() -> None:
    page = PAGE.replace('<meta charset="utf-8">', '<meta charset="windows-1252">')
    page = page.replace("children's", "children\u2019s")
    article = parse_html(page.encode("cp1252"))
    assert article.paragraphs[1].text.startswith("The boat, renamed the Paper Gull")
    assert "children\u2019s corner" in article.paragraphs[1].text
