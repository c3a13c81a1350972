"""A hypothesis fuzzer over every format's parser: hostile documents never raise, and
whatever a parser emits can be stored on SQLite and PostgreSQL alike.

The contract, for ANY document of any format (``ingest.parse.document.parse_document``):

- it returns the document's articles or raises ``ingest.errors.IngestError`` (a typed
  rejection with a reason); any other exception is a bug;
- every text of every article is storable: encodable as UTF-8 strictly (no lone
  surrogate), with no NUL (PostgreSQL refuses it) nor other control character but
  whitespace, and no longer than its column (PostgreSQL enforces ``VARCHAR(n)``, its
  b-tree index takes about 2,700 bytes a row and a tsvector less than 1 MB);
- dates are naive and within years 1..9999, temperatures finite and within ±150 °C.

Documents are built from their formats' parts with the values at their extremes: dates
in years 0, 1, 9999, 10000 and beyond, with offsets that push them over either end,
fields out of range (month 13, the 99th, 99:99), numbers of 5,000 digits, ``1e400``,
``NaN``; text with NUL, ESC, DEL, C1 characters, lone surrogates (as JSON escapes, XML
character references, CESU bytes), BOMs, combining marks and long runs; nesting; and
encodings (UTF-8 with and without a BOM, UTF-16 with a BOM, Latin-1, invalid bytes).
The parsers below the decoding (``parse_record``, ``layouts.parse``) are also given
text the decoding could never produce, so their own guarantees do not rest on it.

Deterministic (``derandomize``) and quick enough for every run;
``NEWSSTORE_FUZZ_SCALE=20`` runs twenty times the examples.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, create_engine, text
from typer.testing import CliRunner

from db.models import Article, ArticleTranslation, Location, Source
from ingest.cli import app
from ingest.errors import IngestError
from ingest.fingerprint import fingerprint
from ingest.normalize import KEY_BYTES, MAX_CELSIUS, TEXT_CHARS
from ingest.parse import layouts
from ingest.parse.document import parse_document
from ingest.parse.formats.jsonl import parse_record
from ingest.places.locate import locate
from ingest.records import DecodedDocument, ParsedArticle, RawDocument
from tests.conftest import write

SCALE = max(1, int(os.environ.get("NEWSSTORE_FUZZ_SCALE", "1")))


def examples(n: int) -> settings:
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- the contract --------------------------------------------------------------------


def _length(column: Any) -> int:
    assert isinstance(column.type, String) and column.type.length
    return int(column.type.length)


# The column each field goes to (db/models.py): the limits are read from the models.
LIMITS = {
    "source_name": _length(Source.__table__.c.name),
    "source_category": _length(Source.__table__.c.category),
    "page_location": _length(Location.__table__.c.name),
    "author": _length(Article.__table__.c.author),
    "language": _length(Article.__table__.c.language),
    "layout": _length(Article.__table__.c.layout),
    "parser_version": _length(Article.__table__.c.parser_version),
}
TRANSLATION_LIMIT = _length(ArticleTranslation.__table__.c.language)
INDEX_ROW_BYTES = 2704  # PostgreSQL's b-tree: the most one index row may take
# Characters that must not reach the store: no UTF-8 for a lone surrogate, PostgreSQL
# refuses NUL, and the other C0 control characters are terminal codes, not text.
UNSTORABLE = re.compile("[\x00-\x08\x0e-\x1b\x7f\ud800-\udfff]")


def storable(text: str, what: str) -> None:
    assert isinstance(text, str), what
    text.encode("utf-8")  # strict: raises on a lone surrogate
    assert UNSTORABLE.search(text) is None, (what, text[:80])


def check_article(article: ParsedArticle) -> None:
    """Everything the store will write of ``article`` can be written, on either engine."""
    assert article.title and len(article.title) <= TEXT_CHARS
    storable(article.title, "title")
    assert article.paragraphs
    assert any(p.kind == "body" for p in article.paragraphs)
    for p in article.paragraphs:
        assert p.text and len(p.text) <= TEXT_CHARS
        storable(p.text, "paragraph")
        storable(p.kind, "kind")
        assert len(p.kind) <= 16
        if p.reason is not None:
            storable(p.reason, "reason")
    for field, limit in LIMITS.items():
        value = getattr(article, field)
        if value is not None:
            storable(value, field)
            assert value and len(value) <= limit, (field, len(value))
    for field in ("url", "guid"):
        value = getattr(article, field)
        if value is not None:
            storable(value, field)
            assert len(value.encode("utf-8")) <= KEY_BYTES < INDEX_ROW_BYTES
    for language in article.translations:
        storable(language, "translation")
        assert len(language) <= TRANSLATION_LIMIT
    if article.published_at is not None:
        assert isinstance(article.published_at, datetime)
        assert article.published_at.tzinfo is None
        assert 1 <= article.published_at.year <= 9999
    if article.page_date is not None:
        assert type(article.page_date) is date
    if article.page_temperature_c is not None:
        assert math.isfinite(article.page_temperature_c)
        assert abs(article.page_temperature_c) <= MAX_CELSIUS


def check_record(article: ParsedArticle) -> None:
    """The article and what the later pure stages make of it (hashes, places)."""
    check_article(article)
    record = locate(fingerprint(article))
    for m in record.mentions:
        paragraph = record.paragraphs[m.position - 1]
        assert paragraph.text[m.start : m.end] == m.surface
    if record.page_place is not None:
        assert len(record.page_place.name) <= LIMITS["page_location"]


def parsed(data: bytes, name: str) -> tuple[ParsedArticle, ...]:
    """``parse_document`` on the bytes: its articles, checked, or () for a typed rejection."""
    raw = RawDocument(origin=f"/fuzz/{name}", raw=data, sha256=hashlib.sha256(data).hexdigest())
    try:
        document = parse_document(raw)
    except IngestError as error:
        assert error.reason and error.detail.strip()
        storable(error.detail, "error")
        return ()
    assert document.articles
    for article in document.articles:
        check_record(article)
    for warning in document.warnings:
        storable(warning, "warning")
    return document.articles


# --- extreme values ------------------------------------------------------------------

# Characters a hostile text is made of, beside ordinary ones: controls, surrogates
# (lone, and a pair: "\ud83d\ude00" is an emoji in UTF-16), BOMs, line and paragraph
# separators, a combining mark, look-alike spaces, the replacement character.
SPECIALS = [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1c", "\x1f", "\x7f", "\x85",
    "\x9b", "\ud800", "\udfff", "\ud83d\ude00", "\ufeff", "\ufffe", "\uffff", "\u2028",
    "\u2029", "\u0301", "\u00a0", "\u3000", "\ufffd", "\U0010ffff", "\u202e", " ", "  ",
    "\n", "\n\n", "\r\n", "\t",
]  # fmt: skip
WORDS = "harbour ferry council Paris Delhi said the new Café naïve 2024 at by in".split()


@st.composite
def hostile_text(draw: st.DrawFn, max_parts: int = 12) -> str:
    """Words, specials, arbitrary characters (surrogates too) and the odd long run."""
    parts = draw(
        st.lists(
            st.one_of(
                st.sampled_from(WORDS),
                st.sampled_from(SPECIALS),
                st.text(st.characters(codec=None), max_size=8),
                st.builds(lambda c, n: c * n, st.sampled_from(" .-@1a(<&"), st.integers(50, 3000)),
            ),
            min_size=1,
            max_size=max_parts,
        )
    )
    return " ".join(parts)


def digits(n: int) -> str:
    return "9" * n


# Years at and past both ends of what a datetime holds, as written in dates.
YEARS = ["0000", "0001", "0024", "1970", "2024", "9999", "10000", "99999", digits(40)]
MONTHS_NUM = ["00", "01", "02", "12", "13", "99"]
DAYS = ["00", "01", "29", "30", "31", "32", "99"]
TIMES = ["00:00:00", "23:59:59", "24:00:00", "23:60:00", "23:59:60", "99:99:99", "12:00"]
OFFSETS = ["", "Z", "+00:00", "-05:00", "+05:00", "+23:59", "-23:59", "+24:00", "+99:99"]
OFFSETS += ["-0500", "+0530", "+5", "-" + digits(30)]
MONTH_NAMES = ["Jan", "Feb", "Dec", "December", "Foo"]
ZONES = ["GMT", "UTC", "EST", "-0500", "+0000", "-0000", "+2359", "-2359", "+9999", "XYZ", ""]


@st.composite
def iso_dates(draw: st.DrawFn) -> str:
    year, month, day = (
        draw(st.sampled_from(YEARS)),
        draw(st.sampled_from(MONTHS_NUM)),
        draw(st.sampled_from(DAYS)),
    )
    time = draw(st.sampled_from(["", *TIMES]))
    sep = draw(st.sampled_from(["T", " "]))
    return f"{year}-{month}-{day}" + (
        f"{sep}{time}{draw(st.sampled_from(OFFSETS))}" if time else ""
    )


@st.composite
def rfc822_dates(draw: st.DrawFn) -> str:
    weekday = draw(st.sampled_from(["", "Fri, ", "Sat, ", "Xyz, "]))
    day = draw(st.sampled_from(["1", "01", "31", "32", "99", digits(50)]))
    month = draw(st.sampled_from(MONTH_NAMES))
    year = draw(st.sampled_from([*YEARS, "00", "24", "99"]))
    time = draw(st.sampled_from(["", *TIMES]))
    zone = draw(st.sampled_from(ZONES))
    return f"{weekday}{day} {month} {year} {time} {zone}".strip()


def hostile_dates() -> st.SearchStrategy[str]:
    return st.one_of(
        iso_dates(),
        rfc822_dates(),
        st.sampled_from(["", "yesterday", "2024", "June 3, 2024", "2004/01/02", digits(5000)]),
        st.text(st.characters(codec=None), max_size=30),
    )


# JSON numbers no parser should choke on: 5,000 digits, past the float range, NaN.
NUMBERS = [
    digits(5000), "-" + digits(4301), "1e400", "-1e400", "1e-400", "NaN", "Infinity",
    "-Infinity", "-0", "-0.0", "0." + digits(5000), "1" + "0" * 400,
]  # fmt: skip


# --- encodings -----------------------------------------------------------------------


@st.composite
def encoded(draw: st.DrawFn, text: str, declared: bool = False) -> bytes:
    """``text`` as the bytes of a file: UTF-8 (a BOM or not), UTF-16 with a BOM, Latin-1
    (what it cannot hold replaced), with surrogates as CESU bytes, or with bad bytes."""
    how = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cesu", "bad"]))
    if how == "utf-16":
        return text.encode("utf-16", errors="surrogatepass")
    if how == "latin-1":
        return text.encode("latin-1", errors="replace")
    if how == "cesu":
        return text.encode("utf-8", errors="surrogatepass")
    data = text.encode("utf-8", errors="replace")
    if how == "utf-8-sig":
        return b"\xef\xbb\xbf" + data
    if how == "bad" and data:
        at = draw(st.integers(0, len(data)))
        junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\x80\x80", b"\xed\xa0\x80", b"\xfe\xff"]))
        return data[:at] + junk + data[at:]
    return data


# --- JSON Lines ----------------------------------------------------------------------


def json_string(text: str) -> str:
    """A JSON string literal; lone surrogates become \\ud800-style escapes, as JSON allows."""
    return json.dumps(text, ensure_ascii=True)


@st.composite
def json_values(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["number", "string", "nested", "literal"]))
    if kind == "number":
        return draw(st.sampled_from(NUMBERS))
    if kind == "string":
        return json_string(draw(hostile_text()))
    if kind == "nested":
        depth = draw(st.sampled_from([1, 50, 900, 5000, 100_000]))
        return "[" * depth + "]" * depth
    return draw(st.sampled_from(["null", "true", "false", "{}", "[]"]))


@st.composite
def json_records(draw: st.DrawFn) -> str:
    """One JSON Lines record: the known keys with hostile values, and extra keys."""
    fields: dict[str, str] = {}
    if draw(st.integers(0, 9)):
        fields["title"] = json_string(draw(hostile_text(4)))
    if draw(st.integers(0, 9)):
        fields["text"] = json_string(draw(hostile_text()))
    for key in ("published_at", "source", "url", "language"):
        if draw(st.booleans()):
            value = draw(hostile_dates()) if key == "published_at" else draw(hostile_text(3))
            if draw(st.integers(0, 5)) == 0:
                value = "x" * draw(st.sampled_from([36, 201, 3000]))
            fields[key] = json_string(value) if draw(st.integers(0, 7)) else draw(json_values())
    for i in range(draw(st.integers(0, 2))):
        fields[f"extra{i}"] = draw(json_values())
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items()) + "}"


@st.composite
def jsonl_files(draw: st.DrawFn) -> str:
    lines = draw(
        st.lists(
            st.one_of(json_records(), json_records(), st.sampled_from(["", "   ", "{", "[1]"])),
            min_size=1,
            max_size=6,
        )
    )
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines)


GOOD_RECORD = '{"title": "Ferry back", "text": "It sails again."}'


@given(jsonl_files())
@examples(150)
@example('{"title": "T", "text": "B", "published_at": "9999-12-31T23:00:00-05:00"}')
@example('{"title": "T", "text": "B", "published_at": "0001-01-01T00:00:00+05:00"}')
@example('{"title": "T", "text": "B", "x": ' + digits(5000) + "}")
@example('{"title": "T\\ud800", "text": "B\\u0000\\u001b[31m", "source": "\\udfff"}')
def test_jsonl_files(text: str) -> None:
    for data in (text.encode("utf-8", errors="surrogatepass"), text.encode("utf-16")):
        parsed(data + b"\n" + GOOD_RECORD.encode(), "wire.jsonl")


@given(json_records())
@examples(100)
def test_jsonl_records_as_text(line: str) -> None:
    """The record parser itself, on text that no decoding would produce (raw surrogates,
    NUL): every line gives an article or a ParseError."""
    for variant in (line, line.replace("\\u", "\\\\u"), json.loads(json.dumps(line))):
        try:
            article = parse_record(variant)
        except IngestError:
            continue
        check_record(article)


# --- RSS and Atom --------------------------------------------------------------------

CHAR_REFS = ["&#xD800;", "&#0;", "&#1;", "&#27;", "&#x110000;", "&#" + digits(25) + ";", "&#65;"]
CHAR_REFS += ["&amp;", "&lt;p&gt;x&lt;/p&gt;", "&bogus;", "&lol;", "<![CDATA[<p>cdata</p>]]>"]
ENTITIES = """<!DOCTYPE rss [
<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
<!ENTITY ext SYSTEM "file:///etc/passwd">
]>"""


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def feed_text(draw: st.DrawFn, max_parts: int = 6) -> str:
    """Element content: escaped hostile text with raw markup, references and entities."""
    parts = draw(
        st.lists(
            st.one_of(
                hostile_text(3).map(xml_escape),
                st.sampled_from(CHAR_REFS),
                st.sampled_from(["&lol9;", "&ext;", "<b>bold</b>", "<p>a</p><p>b</p>", "<br/>"]),
            ),
            min_size=1,
            max_size=max_parts,
        )
    )
    return "".join(parts)


@st.composite
def feeds(draw: st.DrawFn) -> str:
    atom = draw(st.booleans())
    item_tag = "entry" if atom else "item"
    date_tags = ["updated", "published"] if atom else ["pubDate", "dc:date"]
    items = []
    for _ in range(draw(st.integers(0, 4))):
        parts = []
        if draw(st.integers(0, 5)):
            parts.append(f"<title>{draw(feed_text(3))}</title>")
        body_tag = draw(st.sampled_from(["content", "summary"] if atom else ["description"]))
        if draw(st.integers(0, 5)):
            parts.append(f"<{body_tag}>{draw(feed_text())}</{body_tag}>")
        for tag in draw(st.lists(st.sampled_from(date_tags), max_size=2)):
            parts.append(f"<{tag}>{xml_escape(draw(hostile_dates()))}</{tag}>")
        for tag in draw(st.lists(st.sampled_from(["link", "guid", "id", "author"]), max_size=3)):
            value = draw(st.one_of(feed_text(2), st.sampled_from(["x" * 3000, "<a><b/></a>"])))
            parts.append(f"<{tag}>{value}</{tag}>")
        items.append(f"<{item_tag}>{''.join(parts)}</{item_tag}>")
    items += [f"<{item_tag}></{item_tag}>"] * draw(st.sampled_from([0, 0, 1, 2000]))
    title = f"<title>{draw(feed_text(2))}</title>"
    language = f"<language>{draw(feed_text(1))}</language>" if draw(st.booleans()) else ""
    prolog = '<?xml version="1.0" encoding="utf-8"?>\n' if draw(st.booleans()) else ""
    prolog += ENTITIES if draw(st.integers(0, 3)) == 0 else ""
    if atom:
        body = f'<feed xmlns="http://www.w3.org/2005/Atom">{title}{"".join(items)}</feed>'
    else:
        body = f'<rss version="2.0"><channel>{title}{language}{"".join(items)}</channel></rss>'
    if draw(st.integers(0, 5)) == 0:
        body = body[: draw(st.integers(0, len(body)))]  # cut off mid-document
    return prolog + body


@given(feeds().flatmap(encoded))
@examples(120)
@example(
    b'<rss version="2.0"><channel><title>F</title><item><title>T&#xD800;</title>'
    b"<description>B</description><pubDate>Fri, 31 Dec 9999 23:59:59 -0500</pubDate>"
    b"</item></channel></rss>"
)
def test_feeds(data: bytes) -> None:
    parsed(data, "feed.xml")


# --- HTML ----------------------------------------------------------------------------

CHARSETS = ["utf-8", "utf-16", "latin-1", "x-bogus", "utf-7", "\xff\xfe", "", "a" * 500]


@st.composite
def html_pages(draw: st.DrawFn) -> str:
    head = [f"<title>{draw(feed_text(2))}</title>"]
    if draw(st.booleans()):
        head.append(f'<meta charset="{draw(st.sampled_from(CHARSETS))}">')
    for prop in draw(
        st.lists(st.sampled_from(["article:published_time", "og:url", "og:site_name"]))
    ):
        value = draw(hostile_dates()) if "time" in prop else draw(hostile_text(2))
        head.append(f'<meta property="{prop}" content="{xml_escape(value)}">')
    if draw(st.booleans()):
        url = draw(st.sampled_from(["https://e.example/a", "x" * 5000, "\x00", "&#xD800;"]))
        head.append(f'<link rel="canonical" href="{url}">')
    lang = draw(st.sampled_from(["en", "", "x" * 100, "&#0;", "EN_us"]))
    depth = draw(st.sampled_from([0, 0, 10, 300, 3000]))
    paragraphs = [f"<p>{draw(feed_text(4))}</p>" for _ in range(draw(st.integers(0, 5)))]
    if draw(st.booleans()):
        stamp = xml_escape(draw(hostile_dates()))
        paragraphs.insert(0, f'<time datetime="{stamp}">{stamp}</time>')
    if draw(st.integers(0, 4)) == 0:
        paragraphs.append(f'<div class="{"a" * 100_000}">attribute</div>')
    article = "<div>" * depth + "<article><h1>Ferry back</h1>" + "".join(paragraphs)
    return (
        f'<!doctype html><html lang="{lang}"><head>{"".join(head)}</head>'
        f"<body>{article}</article>{'</div>' * depth}</body></html>"
    )


@given(html_pages().flatmap(encoded))
@examples(40)
def test_html_pages(data: bytes) -> None:
    parsed(data, "page.html")


# --- page dumps ----------------------------------------------------------------------


@st.composite
def temperature_lines(draw: st.DrawFn) -> str:
    number = draw(
        st.sampled_from(["22.1", "-0", "−0.0", "0", "100", "212", "500", "-459.67", "99,9"])
        | st.integers(1, 6000).map(digits)
    )
    return number + draw(st.sampled_from([" C", "°C", " °F", "F", " ºc"]))


@st.composite
def date_lines(draw: st.DrawFn) -> str:
    day = draw(st.sampled_from(["1", "9", "29", "30", "31", "99", "999", digits(5000)]))
    year = draw(st.sampled_from([*YEARS, "2025", digits(5000)]))
    month = draw(st.sampled_from(["February", "Feb", "May", "December"]))
    weekday = draw(st.sampled_from(["", "Sunday, "]))
    if draw(st.booleans()):
        return f"{weekday}{month} {day}, {year}"
    return f"{year}-{draw(st.sampled_from(MONTHS_NUM))}-{draw(st.sampled_from(DAYS))}"


@st.composite
def footer_lines(draw: st.DrawFn) -> str:
    time = draw(
        st.sampled_from(["06:30AM", "06:30 pm", "00:00PM", "13:00 PM", "99:99", "23:59:60"])
        | st.sampled_from(["24:00", "999:9999", digits(5000) + ":00", "12:" + digits(5000)])
    )
    return f"{draw(date_lines())} at {time}"


@st.composite
def page_dumps(draw: st.DrawFn) -> str:
    top = []
    if draw(st.booleans()):
        top.append(draw(temperature_lines()))
    if draw(st.booleans()):
        top.append(draw(st.sampled_from(["Delhi", "Lisbon", "X" * 60, "Paris\x1b"])))
    if draw(st.booleans()):
        top.append(draw(date_lines()))
    blocks = ["\n".join(top)] if top else []
    blocks.append(draw(st.sampled_from(["Ferry back on the water", "Paris " * 40])))
    blocks += [draw(hostile_text()) for _ in range(draw(st.integers(0, 4)))]
    if draw(st.booleans()):
        blocks.append("Read in " + draw(st.sampled_from(["Korean", "K" + "x" * 100])))
    if draw(st.booleans()):
        blocks.append(draw(footer_lines()))
        blocks.append(
            "by " + draw(st.sampled_from(["DailyNK(North Korean Media)", "A" * 300, "X\x00"]))
        )
    blocks += draw(st.lists(st.sampled_from(["Most Popular Articles", "Share on Facebook"])))
    return draw(st.sampled_from(["\n\n", "\r\n\r\n", "\n \n"])).join(blocks)


@given(page_dumps().flatmap(encoded))
@examples(120)
@example(
    ("1" * 5000 + " C\nDelhi\nSunday, February 9, 0000\n\nHeadline\n\nBody text.\n\n").encode()
    + b"May 28, 99999 at 99:99AM\nby DailyNK(North Korean Media)\n"
)
def test_page_dumps(data: bytes) -> None:
    parsed(data, "page.txt")


@given(st.one_of(page_dumps(), hostile_text(20)))
@examples(100)
def test_layouts_on_text_no_decoding_gives(text: str) -> None:
    """Layouts read whatever text they are handed: raw surrogates, NUL, ESC and all."""
    try:
        article = layouts.parse(DecodedDocument(origin="-", text=text, encoding="utf-8"))
    except IngestError:
        return
    check_record(article)


@given(hostile_text(30).flatmap(encoded))
@examples(100)
def test_plain_text(data: bytes) -> None:
    parsed(data, "notes.txt")


# --- one of each, at their largest -------------------------------------------------------


BIG: list[tuple[str, Callable[[], bytes]]] = [
    ("deep.html", lambda: b"<html><body>" + b"<div>" * 100_000 + b"<p>x</p></body></html>"),
    (
        "empty.xml",
        lambda: b"<rss version='2.0'><channel>" + b"<item/>" * 100_000 + b"</channel></rss>",
    ),
    ("deep.jsonl", lambda: b"[" * 200_000 + b"\n" + GOOD_RECORD.encode()),
    ("line.txt", lambda: b"Headline\n\n" + b"The ferry sails again, the council said. " * 100_000),
    ("digits.txt", lambda: b"Headline\n\n" + b"1" * 2_000_000 + b" C"),
]


def test_the_largest_cases_of_each_family_are_storable_or_refused() -> None:
    for name, make in BIG:
        articles = parsed(make(), name)
        if name == "line.txt":
            (article,) = articles  # one line of 4 MB: pieces of at most TEXT_CHARS
            assert len(article.paragraphs) >= 40
            assert {p.kind for p in article.paragraphs} == {"body"}
            words = " ".join(p.text for p in article.paragraphs).split()
            assert words == "The ferry sails again, the council said.".split() * 100_000


# --- through the CLI, into SQLite and PostgreSQL ------------------------------------------


def stored_articles(db_url: str) -> list[dict[str, Any]]:
    """Every stored article with its source and its paragraphs' texts, as read back."""
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT a.id, a.title, a.published_at, a.page_date, a.page_temperature_c, a.url,"
                " a.guid, a.author, a.language, s.name AS source, s.category,"
                " l.name AS page_location"
                " FROM articles a LEFT JOIN sources s ON s.id = a.source_id"
                " LEFT JOIN locations l ON l.id = a.page_location_id ORDER BY a.id"
            )
        ).mappings()
        articles = [dict(row) for row in rows]
        for article in articles:
            article["paragraphs"] = list(
                connection.execute(
                    text("SELECT text FROM paragraphs WHERE article_id = :id ORDER BY position"),
                    {"id": article["id"]},
                ).scalars()
            )
            article["translations"] = list(
                connection.execute(
                    text("SELECT language FROM article_translations WHERE article_id = :id"),
                    {"id": article["id"]},
                ).scalars()
            )
    engine.dispose()
    return articles


def ingest(runner: CliRunner, path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.stdout
    assert "Traceback" not in result.output


def test_hostile_json_lines_are_stored(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    records = [
        '{"title": "Ferry\\ud800 back\\u0000", "text": "One\\u001b[0m.\\n\\nTwo \\udfff.",'
        ' "published_at": "9999-12-31T23:00:00-05:00", "source": "Courier\\u0000",'
        f' "url": "https://e.example/{"a" * 3000}", "language": "{"x" * 40}",'
        f' "views": {digits(5000)}, "score": 1e400, "ratio": NaN}}',
        '{"title": "Second", "text": "Text.", "published_at": "0001-01-01T00:00:00+05:00",'
        ' "url": "https://e.example/\\u0000b", "language": "EN"}',
    ]
    ingest(runner, write(tmp_path / "wire.jsonl", "\n".join(records) + "\n"))
    first, second = stored_articles(db_url)
    assert (first["title"], first["paragraphs"]) == ("Ferry\ufffd back", ["One[0m.", "Two \ufffd."])
    assert (first["published_at"], first["url"], first["language"]) == (None, None, None)
    assert first["source"] == "Courier"
    assert (second["published_at"], second["url"], second["language"]) == (
        None,
        "https://e.example/b",
        "en",
    )


def test_hostile_feed_items_are_stored(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire&#1;</title>'
        "<item><title>X&#xD800;Y&#27;</title><description>Body &#x110000;.</description>"
        "<pubDate>Fri, 31 Dec 9999 23:59:59 -0500</pubDate>"
        f"<guid>{'g' * 3000}</guid><author>{'a' * 400}</author>"
        "<link>https://e.example/a&#0;b</link></item>"
        "<item><title>Second</title><description>Text.</description>"
        "<pubDate>Sat, 01 Jan 0000 00:00:00 GMT</pubDate>"
        '<dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">2024-06-03T10:00:00+02:00</dc:date>'
        "<guid>g2</guid></item>"
        "</channel></rss>"
    )
    ingest(runner, write(tmp_path / "wire.xml", feed))
    first, second = stored_articles(db_url)
    assert (first["title"], first["paragraphs"]) == ("X\ufffdY", ["Body \ufffd."])
    assert first["source"] == "Wire"
    assert (first["published_at"], first["guid"], first["author"]) == (None, None, None)
    assert first["url"] == "https://e.example/ab"
    # year 0 is no time: the item's next one is read (SQLite gives the text of a time)
    assert str(second["published_at"])[:19] == "2024-06-03 08:00:00"
    assert second["guid"] == "g2"


def test_a_hostile_html_page_is_stored(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    lead = "The ferry sails again from Monday, the council said, after repairs over the winter."
    page = (
        f'<!doctype html><html lang="{"x" * 100}"><head><title>Ferry back</title>'
        '<meta property="article:published_time" content="9999-12-31T23:00:00-05:00">'
        f'<link rel="canonical" href="https://e.example/{"a" * 3000}">'
        f'<meta name="author" content="{"a" * 400}"></head><body>'
        f'<div class="{"c" * 100_000}"></div><article><h1>Ferry back</h1>'
        f"<p>{lead} &#1;&#27;[0m &#xD800;</p></article></body></html>"
    )
    ingest(runner, write(tmp_path / "page.html", page))
    (article,) = stored_articles(db_url)
    assert article["title"] == "Ferry back"
    assert article["paragraphs"] == [f"{lead} [0m \ufffd"]
    assert [article[k] for k in ("published_at", "url", "author", "language")] == [None] * 4


def test_a_hostile_page_dump_is_stored(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    # A line of 1.3 MB of distinct words: one paragraph of it is more than PostgreSQL's
    # tsvector holds ("string is too long for tsvector"); it is stored in pieces.
    words = [f"w{i:x}q" for i in range(200_000)]
    page = "\n\n".join(
        [
            "1" * 5000 + " C\nDelhi\nSunday, February 9, 0000",
            "Ferry back\x1b[0m on the water",
            "The ferry sails again\x01 from Monday,\x7f the council said.",
            " ".join(words),
            "Read in Korean and K" + "x" * 100,
            "May 28, 2024 at 99:99AM\nby " + "A" * 250 + "(Regional News)",
            "Most Popular Articles",
            "Bakery wins regional prize",
        ]
    )
    ingest(runner, write(tmp_path / "page.txt", page))
    (article,) = stored_articles(db_url)
    assert article["title"] == "Ferry back[0m on the water"
    assert article["paragraphs"][0] == "The ferry sails again from Monday, the council said."
    pieces = [p for p in article["paragraphs"] if p.startswith("w")]
    assert len(pieces) >= 13 and " ".join(pieces).split() == words
    assert (article["page_temperature_c"], article["page_date"], article["published_at"]) == (
        None,
        None,
        None,
    )
    assert article["page_location"] == "Delhi"
    assert (article["source"], article["translations"]) == (None, ["Korean"])
