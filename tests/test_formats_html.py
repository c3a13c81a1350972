"""HTML pages read by ingest.parse.formats.html (trafilatura + htmldate) into articles.

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
from ingest.parse.formats import html
from ingest.parse.formats.html import parse_html
from ingest.parse.formats.markup import TRAFILATURA_MARKUP, html_fragment_paragraphs, text_blocks

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
    article = parse_html(PAGE)
    assert article.layout == html.NAME == "html"
    assert article.parser_version == html.VERSION == "2"
    # article:published_time 10:15+02:00, stored as naive UTC.
    assert article.published_at == datetime(2024, 6, 3, 8, 15)
    assert article.url == "https://courier.example.org/2024/06/03/floating-library"
    assert article.language == "en-gb"
    assert article.source_name == "The Lindenport Courier"
    assert article.author == "Marta Quell"


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
        ("<html><body><nav><a href='/'><img src='home.png'></a></nav></body></html>", "no article"),
        ("", "not an HTML page"),
    ],
)
def test_no_article_is_a_parse_error(page: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_html(page)


def test_a_page_without_a_headline_is_headed_by_its_first_words() -> None:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    article = parse_html(f"<html><body><div>{body}</div></body></html>")
    assert [p.text for p in article.paragraphs] == PARAGRAPHS  # the opening stays in the body
    assert article.title == (
        "The harbour town of Lindenport opened a library on a converted ferry on Monday, lending"
        " books to…"
    )
    assert len(article.title) <= 100 and PARAGRAPHS[0].startswith(article.title[:-1])


def test_a_short_opening_is_the_headline_as_it_is() -> None:
    article = parse_html(
        "<html><body><article><p>Ferry library opens.</p>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</article></body></html>"
    )
    assert article.title == "Ferry library opens."


@pytest.mark.parametrize("top", ["<table><tr><td>{}</td></tr></table>", "<div>{}</div>", "{}"])
def test_a_saved_fragment_of_a_page_is_read_as_a_page(top: str) -> None:
    """A page without <html> or <body>, as server-side includes and CMS exports save them."""
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    article = parse_html("\n\r\n" + top.format(f"<h1>Ferry library</h1>{body}"))
    assert article.title == "Ferry library"
    assert [p.text for p in article.paragraphs] == PARAGRAPHS


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


# --- hostile pages -------------------------------------------------------------------

LEAD = PARAGRAPHS[0]


def page(head: str = "", before: str = "", body: str = f"<p>{LEAD}</p>", lang: str = "en") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><title>Ferry back</title>{head}</head>'
        f"<body>{before}<article><h1>Ferry back</h1>{body}</article></body></html>"
    )


@pytest.mark.parametrize(
    "stamp",
    [
        "9999-12-31T23:00:00-05:00",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "99999-01-01",
        "9" * 5000,
    ],
)
def test_a_time_that_names_no_storable_moment_is_absent(stamp: str) -> None:
    head = f'<meta property="article:published_time" content="{stamp}">'
    before = f'<time datetime="{stamp}">{stamp}</time>'
    article = parse_html(page(head=head, before=before))
    assert article.title == "Ferry back"
    assert article.published_at is None


@pytest.mark.parametrize(
    "written",
    ["9999-12-31T23:00:00-0500", "0001-01-01T00:00:00+0500", "0000-01-01T00:00:00+0000"],
)
def test_htmldates_format_out_of_range_is_absent(written: str) -> None:
    # htmldate reports dates from 1995 to today only; the rule holds for any it might give.
    assert html._published(written) is None
    assert html._published("2024-06-03T10:15:00+0200") == datetime(2024, 6, 3, 8, 15)


@pytest.mark.parametrize(
    "head",
    [
        '<meta charset="x-bogus">',
        '<meta charset="\xff\xfe">',
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-99">',
        '<meta charset="utf-16">',
        f'<meta charset="{"a" * 5000}">',
    ],
)
def test_an_unknown_charset_is_no_obstacle(head: str) -> None:
    article = parse_html(page(head=head).encode("utf-8"))
    assert [p.text for p in article.paragraphs] == [LEAD]


def test_a_huge_attribute_is_no_obstacle() -> None:
    article = parse_html(page(before=f'<div class="{"a" * 2_000_000}">x</div>'))
    assert [p.text for p in article.paragraphs][-1:] == [LEAD]


@pytest.mark.parametrize(
    "markup",
    [
        "<div>" * 100_000 + "<p>x</p>",  # lxml keeps 255 levels; the text is deeper
        "<div><span></span></div>" * 2_000,  # nothing but markup
        "<p>" * 50_000,
    ],
)
def test_a_page_of_markup_is_a_parse_error(markup: str) -> None:
    with pytest.raises(ParseError):
        parse_html(f"<html><head></head><body>{markup}</body></html>")


def test_every_text_is_storable() -> None:
    article = parse_html(
        page(
            head='<link rel="canonical" href="https://e.example/a&#0;b">'
            '<meta name="author" content="Jo &#27;Smith">',
            body=f"<p>{LEAD} &#0;&#1;&#27;[31m &#xD800; &#x110000;</p>",
            lang="EN&#0;",
        )
    )
    (paragraph,) = article.paragraphs
    assert paragraph.text.startswith(LEAD)
    paragraph.text.encode("utf-8")
    assert not any(ch in paragraph.text for ch in "\x00\x01\x1b")
    assert article.url == "https://e.example/ab"
    assert article.author == "Jo Smith"
    assert article.language == "en"


def test_values_too_long_for_the_store_are_left_out() -> None:
    found = parse_html(
        page(
            head=f'<link rel="canonical" href="https://e.example/{"a" * 3000}">'
            f'<meta name="author" content="{"x" * 400}">'
            f'<meta property="og:site_name" content="{"S" * 300}">',
            lang="x" * 100,
        ),
        url="https://e.example/short",
    )
    assert found.url is None  # the page's own, too long: not another one
    assert found.author is None and found.language is None
    assert found.source_name is None  # no site name: this page gives no host name


@pytest.mark.parametrize(
    ("reference", "read"),
    [
        ("&#1;", ""),  # lxml refuses the character: trafilatura dropped the whole page
        ("&#x1b;[31m", "[31m"),
        ("&#xFFFE;", "\ufffd"),
        ("&#12;", ""),  # whitespace: one space between the words, as ever
        ("&#0;", ""),  # NUL: dropped, as everywhere
        ("&#xD800;", "\ufffd"),
        ("&#" + "9" * 30 + ";", "\ufffd"),
        ("&#65;", "A"),
    ],
)
def test_references_to_characters_lxml_refuses(reference: str, read: str) -> None:
    body = f"<p>The ferry {reference} sails again. {LEAD}</p>"
    for markup in (page(body=body), page(body=body).encode("utf-8")):
        (paragraph,) = parse_html(markup).paragraphs
        assert paragraph.text == " ".join(f"The ferry {read} sails again. {LEAD}".split())


def test_fragments_with_control_characters_are_read() -> None:
    # lxml refuses text with control characters: a feed's &#1; gave ValueError.
    assert html_fragment_paragraphs("<p>a\x01b</p><p>\x00</p>") == ("ab",)
    assert html_fragment_paragraphs("plain\x1b text\n\nnext") == ("plain text", "next")


def test_a_failure_of_the_libraries_is_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded \x00" + "x" * 1000)

    monkeypatch.setattr(html.trafilatura, "bare_extraction", fail)
    with pytest.raises(ParseError) as raised:
        parse_html(PAGE)
    message = str(raised.value)
    assert message.startswith("unreadable HTML page (RecursionError: maximum recursion depth")
    assert "\x00" not in message and len(message) < 300
