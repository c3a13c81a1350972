"""RSS and Atom feeds read by ingest.parse.formats.feed (feedparser) into one article per entry."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ingest.errors import ParseError
from ingest.parse.formats import feed as feed_format
from ingest.parse.formats.feed import parse_feed
from ingest.records import ParsedArticle

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"


def load(name: str) -> list[ParsedArticle]:
    return parse_feed((FIXTURES / name).read_bytes())


def texts(found: ParsedArticle) -> list[str]:
    return [p.text for p in found.paragraphs]


def test_rss_items() -> None:
    first, second, third = load("rss.xml")

    assert first.title == "Floating library sets sail"
    # content:encoded wins over the description, one paragraph per <p>.
    assert texts(first) == [
        "The harbour town opened a library on a converted ferry on Monday.",
        "The boat will moor at six jetties on a fortnightly timetable.",
    ]
    assert first.published_at == datetime(2024, 6, 3, 8, 15)
    assert first.url == "https://courier.example.org/2024/06/03/floating-library"
    assert first.guid == "courier-2024-0603-001"
    assert first.author == "Marta Quell"

    assert second.title == "Lighthouse keeper retires after forty years"
    assert texts(second) == [
        "Ada Brenn climbed the 212 steps of the north light for the last time on Sunday."
    ]
    assert second.published_at == datetime(2024, 6, 2, 18, 30)
    assert second.guid == "https://courier.example.org/2024/06/02/lighthouse-keeper"
    assert second.author is None

    assert third.title == "Ferry timetable changes for the summer"
    # An escaped-HTML description is split into its paragraphs too.
    assert texts(third) == [
        "Morning crossings start half an hour earlier from 15 June.",
        "The last evening ferry leaves at 22:40.",
    ]
    # 09:00 +0200 is 07:00 UTC.
    assert third.published_at == datetime(2024, 6, 1, 7, 0)
    assert third.guid == "courier-2024-0601-007"

    for article in (first, second, third):
        assert article.source_name == "Lindenport Courier: Coast"
        assert article.layout == feed_format.NAME == "feed"
        assert article.parser_version == feed_format.VERSION == "1"
        assert article.language == "en-gb"
        assert {p.kind for p in article.paragraphs} == {"body"}
    assert first.paragraphs[0].reason == "feed entry content"
    assert second.paragraphs[0].reason == "feed entry summary"


def test_atom_entries() -> None:
    terns, tides = load("atom.xml")

    assert terns.title == "Tern colony returns to the spit"
    # Atom content wins over the summary.
    assert texts(terns) == [
        "Wardens counted forty nests on Tuesday.",
        "The spit stays closed to walkers until August.",
    ]
    # published (07:30 -04:00), not updated.
    assert terns.published_at == datetime(2024, 6, 4, 11, 30)
    assert terns.url == "https://saltmarsh.example.net/terns"
    assert terns.guid == "tag:saltmarsh.example.net,2024:tern-colony"
    assert terns.author == "Owen Pike"

    # An HTML title is flattened to text.
    assert tides.title == "Tide tables & storm warnings"
    # A text/plain summary is split at blank lines.
    assert texts(tides) == [
        "Spring tides are due this weekend.",
        "Stay off the causeway two hours either side of high water.",
    ]
    # No published time: the updated time.
    assert tides.published_at == datetime(2024, 6, 3, 16, 45)
    assert tides.url == "https://saltmarsh.example.net/tides"
    assert tides.guid == "tag:saltmarsh.example.net,2024:tide-tables"

    for found in (terns, tides):
        assert found.source_name == "Saltmarsh Weekly"
        assert found.language == "en"


def rss(items: str) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    ).encode()


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("Mon, 03 Jun 2024 10:00:00 +0200", datetime(2024, 6, 3, 8, 0)),
        ("Mon, 03 Jun 2024 10:00:00 EST", datetime(2024, 6, 3, 15, 0)),
        # No zone: kept as written, not assumed UTC nor dropped.
        ("Mon, 03 Jun 2024 10:00:00", datetime(2024, 6, 3, 10, 0)),
        ("2024-06-03T10:00:00Z", datetime(2024, 6, 3, 10, 0)),
        ("2024-06-03T10:00:00", datetime(2024, 6, 3, 10, 0)),
        ("not a date", None),
    ],
)
def test_publication_times(written: str, stored: datetime | None) -> None:
    (found,) = parse_feed(
        rss(
            f"<item><title>A</title><description>B</description><pubDate>{written}</pubDate></item>"
        )
    )
    assert found.published_at == stored


def test_entries_without_title_or_text_are_left_out() -> None:
    found = parse_feed(
        rss(
            "<item><description>No title</description></item>"
            "<item><title>No text</title></item>"
            "<item><title>Kept</title><description>Body</description></item>"
        )
    )
    assert [f.title for f in found] == ["Kept"]


def test_a_broken_feed_that_still_has_entries_is_read() -> None:
    # An undefined entity makes the XML ill-formed: feedparser sets bozo and goes on.
    data = rss("<item><title>Kept &nbsp; anyway</title><description>Body</description></item>")
    (found,) = parse_feed(data)
    assert found.title.startswith("Kept")
    assert [p.text for p in found.paragraphs] == ["Body"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (rss(""), "no feed entries"),
        (b"<html><body><p>Not a feed</p></body></html>", "no feed entries"),
        (b"", "no feed entries"),
        (rss("<item><title>Only a title</title></item>"), "none of the feed's 1 entries"),
    ],
)
def test_no_articles_is_a_parse_error(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_feed(data)


def test_bytes_are_never_taken_for_a_file_name(tmp_path: Path) -> None:
    # feedparser opens a string as a path or URL; parse_feed must only read the bytes.
    path = tmp_path / "feed.xml"
    path.write_bytes(rss("<item><title>A</title><description>B</description></item>"))
    with pytest.raises(ParseError):
        parse_feed(str(path).encode())


# --- hostile feeds -------------------------------------------------------------------


def item(*, title: str = "A", body: str = "B", extra: str = "") -> bytes:
    return rss(f"<item><title>{title}</title><description>{body}</description>{extra}</item>")


def atom(entry: str) -> bytes:
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        f"<entry><title>A</title><id>urn:a</id><content>B</content>{entry}</entry></feed>"
    ).encode()


OUT_OF_RANGE = [
    "Fri, 31 Dec 9999 23:59:59 -0500",  # 10000 in UTC
    "Sat, 01 Jan 0000 00:00:00 GMT",  # email.utils would read the year as 2000
    "Mon, 01 Jan 0001 00:00:00 +0100",  # year 0 in UTC
    "Fri, 31 Dec 99999 23:59:59 GMT",
    "Mon, 99 Feb 2024 10:00:00 GMT",
    "Mon, 03 Jun 2024 99:99:99 GMT",
    "Mon, 03 Jun 2024 10:00:00 +9999",  # an offset of more than a day
    "Mon, 03 Jun " + "9" * 5000 + " 10:00:00 GMT",
    "9999-12-31T23:00:00-05:00",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "10000-12-31T23:00:00-05:00",  # feedparser alone reads a day in 2010
    "99999-01-01",  # ... and one in 9999
    "2004-13-45T99:99:99Z",  # ... and one in 2005
    "2004/01/02 15:04:05 GMT",  # ... and December 1
]


@pytest.mark.parametrize("written", OUT_OF_RANGE)
def test_a_time_that_names_no_storable_moment_is_absent(written: str) -> None:
    (found,) = parse_feed(item(extra=f"<pubDate>{written}</pubDate>"))
    assert found.title == "A"
    assert found.published_at is None


@pytest.mark.parametrize("written", OUT_OF_RANGE)
def test_atom_and_dublin_core_times_are_read_by_the_same_rules(written: str) -> None:
    for data in (
        atom(f"<updated>{written}</updated>"),
        atom(f"<published>{written}</published>"),
        item(extra=f'<dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">{written}</dc:date>'),
    ):
        (found,) = parse_feed(data)
        assert found.published_at is None


def test_an_absent_publication_time_gives_way_to_the_update_time() -> None:
    (found,) = parse_feed(
        atom("<published>0000-01-01T00:00:00Z</published><updated>2024-06-03T10:00:00Z</updated>")
    )
    assert found.published_at == datetime(2024, 6, 3, 10, 0)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("Sat, 01 Jan 00 00:00:00 GMT", datetime(2000, 1, 1)),  # a two-digit year
        ("Mon, 03 Jun 0024 10:00:00 GMT", datetime(24, 6, 3, 10, 0)),  # four digits: year 24
        ("Fri, 31 Dec 9999 23:59:59 +0100", datetime(9999, 12, 31, 22, 59, 59)),
        ("Mon, 01 Jan 0001 05:00:00 +0500", datetime(1, 1, 1, 0, 0)),
        ("Mon, 03 Jun 2024", datetime(2024, 6, 3)),  # feedparser's: a day without a time
        ("Sun Jan  4 16:29:06 2004", datetime(2004, 1, 4, 16, 29, 6)),
    ],
)
def test_times_at_the_edges_are_read(written: str, stored: datetime) -> None:
    (found,) = parse_feed(item(extra=f"<pubDate>{written}</pubDate>"))
    assert found.published_at == stored


@pytest.mark.parametrize(
    ("reference", "read"),
    [
        ("&#xD800;", "\ufffd"),  # a surrogate: feedparser's chr(...).encode() raised
        ("&#xdfff;&#55296;", "\ufffd\ufffd"),
        ("&#x110000;", "\ufffd"),  # past the last character: chr() raised
        ("&#" + "9" * 25 + ";", "\ufffd"),  # OverflowError
        ("&#0;&#1;&#27;&#127;", ""),  # control characters are dropped
        ("&#65;&#x263A;", "A\u263a"),
    ],
)
def test_character_references_that_name_no_character(reference: str, read: str) -> None:
    (found,) = parse_feed(item(title=f"X{reference}Y", body=f"Body{reference}."))
    assert found.title == f"X{read}Y"
    assert [p.text for p in found.paragraphs] == [f"Body{read}."]


def test_character_references_in_a_utf16_feed() -> None:
    (found,) = parse_feed(item(title="X&#xD800;Y").decode().encode("utf-16"))
    assert found.title == "X\ufffdY"


def test_entities_are_never_expanded() -> None:
    laughs = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(2, 10))
    data = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol1 "lol">'
        + laughs
        + '<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
        + item(title="A &lol9; &ext;", body="Body &lol9;").decode()
    ).encode()
    (found,) = parse_feed(data)
    assert "lollol" not in found.title
    assert "root" not in found.title
    assert len(found.title) < 30


def test_a_feed_of_empty_items_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="none of the feed's 100,?000 entries"):
        parse_feed(rss("<item></item>" * 100_000))


def test_values_too_long_or_not_text_are_left_out() -> None:
    (found,) = parse_feed(
        item(
            extra=f"<link>https://e.example/{'a' * 3000}</link><guid>{'g' * 3000}</guid>"
            f"<author>{'x' * 400}</author>"
        )
    )
    assert (found.url, found.guid, found.author) == (None, None, None)
    assert (found.guid, found.author) == (None, None)
    (found,) = parse_feed(
        item(extra="<link>https://e.example/a&#0;b</link><guid>g&#27;1</guid><author>Jo</author>")
    )
    assert (found.url, found.guid, found.author) == ("https://e.example/ab", "g1", "Jo")


def test_a_failure_of_feedparser_is_a_parse_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(feed_format.feedparser, "parse", fail)
    with pytest.raises(ParseError, match=r"^unreadable feed \(UnicodeEncodeError: 'utf-8' codec"):
        parse_feed(item())
