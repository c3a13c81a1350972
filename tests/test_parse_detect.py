"""Format detection (ingest.parse.detect): the content decides, the name breaks ties."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

from ingest.errors import ReadError
from ingest.parse.detect import GzipError, detect_archive, detect_format, maybe_gunzip

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
PAGE = (FIXTURES / "article.html").read_bytes()
RSS = (FIXTURES / "rss.xml").read_bytes()
ATOM = (FIXTURES / "atom.xml").read_bytes()
JSONL = (FIXTURES / "articles.jsonl").read_bytes()


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        # Content beats a wrong extension.
        ("coast-feed.txt", RSS, "feed"),
        ("atom.html", ATOM, "feed"),
        ("page.xml", PAGE, "html"),
        ("export.txt", JSONL, "jsonl"),
        ("page.jsonl", PAGE, "html"),
        # Right names, right content.
        ("article.html", PAGE, "html"),
        ("feed.rss", RSS, "feed"),
        ("articles.jsonl", JSONL, "jsonl"),
        ("dump.txt", b"Harbour town opens library\n\nThe harbour town...\n", "text"),
    ],
)
def test_content_first(name: str, head: bytes, expected: str) -> None:
    assert detect_format(name, head) == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xef\xbb\xbf<!DOCTYPE html><html><body>x</body></html>", "html"),
        (b"  \n<HTML lang='de'><head></head></HTML>", "html"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN">\n<html>',
            "html",
        ),
        (b"<!-- saved by crawler -->\n<!doctype html>\n<html>", "html"),
        (
            b'<?xml version="1.0"?><?xml-stylesheet href="s.xsl"?><!-- c --><rss version="2.0">',
            "feed",
        ),
        (
            b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
            "feed",
        ),
        (b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN">\n<rss>', "feed"),
        ('<?xml version="1.0" encoding="utf-16"?><feed>'.encode("utf-16"), "feed"),
        (b'\n\n{"title": "A", "text": "B"}\n{"title"', "jsonl"),
        # A first line cut off by the end of the sniffed bytes.
        (b'{"title": "A very long record", "text": "and it goes on', "jsonl"),
        (b"{not json}\n", "text"),
        (b"[1, 2, 3]\n", "text"),
        (b"", "text"),
        (b"<unknown-root/>", "text"),
    ],
)
def test_sniffing(head: bytes, expected: str) -> None:
    assert detect_format("document", head) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("page.html", "html"),
        ("PAGE.HTM", "html"),
        ("feed.atom", "feed"),
        ("feed.xml", "feed"),
        ("data.ndjson", "jsonl"),
        ("notes.txt", "text"),
        ("README", "text"),
    ],
)
def test_the_extension_breaks_ties(name: str, expected: str) -> None:
    # Nothing in the content says what it is.
    assert detect_format(name, b"Just some words.\n") == expected


def test_gzip_is_decompressed_before_sniffing() -> None:
    assert detect_format("page.html.gz", gzip.compress(PAGE)) == "html"
    assert detect_format("feed.txt.gz", gzip.compress(RSS)) == "feed"
    assert detect_format("x.gz", gzip.compress(JSONL)) == "jsonl"
    # Only the first bytes of a large gzip file are given: still detected.
    big = gzip.compress(PAGE + b"<p>filler</p>" * 50_000)
    assert detect_format("page.gz", big[:4096]) == "html"
    # Plain text inside gzip: the name without .gz breaks the tie.
    assert detect_format("notes.html.gz", gzip.compress(b"words")) == "html"
    assert detect_format("broken.gz", b"\x1f\x8b garbage") == "text"


def test_maybe_gunzip() -> None:
    assert maybe_gunzip(PAGE) is PAGE
    assert maybe_gunzip(gzip.compress(PAGE)) == PAGE
    # Concatenated members read as one stream, like gzip -d.
    assert maybe_gunzip(gzip.compress(b"one ") + gzip.compress(b"two")) == b"one two"
    assert maybe_gunzip(gzip.compress(b"")) == b""


def test_maybe_gunzip_stops_a_bomb() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)  # about 5 KB that unpacks to 5 MB
    assert len(bomb) < 10_000
    with pytest.raises(GzipError, match="more than 1,000,000 bytes"):
        maybe_gunzip(bomb, limit=1_000_000)
    assert len(maybe_gunzip(bomb, limit=5_000_000)) == 5_000_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (gzip.compress(PAGE)[:200], "truncated gzip data"),
        (b"\x1f\x8b\x08\x00" + b"\xff" * 40, "corrupt gzip data"),
    ],
)
def test_maybe_gunzip_bad_data(data: bytes, message: str) -> None:
    with pytest.raises(GzipError, match=message) as caught:
        maybe_gunzip(data)
    # A GzipError is a ReadError, so the pipeline records it as a failed document.
    assert isinstance(caught.value, ReadError)


def test_zlib_stream_without_gzip_header_is_left_alone() -> None:
    raw = zlib.compress(b"text")
    assert maybe_gunzip(raw) == raw


def test_a_json_line_with_a_number_too_long_for_int_is_still_json_lines() -> None:
    line = b'{"title": "T", "text": "B", "n": ' + b"9" * 5000 + b"}\n"
    assert detect_format("export.txt", line + line) == "jsonl"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"WARC/1.1\r\nWARC-Type: warcinfo\r\n", "warc"),
        (b"WARC/1.0\r\n", "warc"),
        (gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n"), "warc"),
        (b"PK\x03\x04rest of a zip", "zip"),
        (b"<html><title>WARC/1.1</title>", None),
        (gzip.compress(b"<html>"), None),
        (b"WARC/x", None),
        (b"", None),
    ],
)
def test_web_archives_are_told_by_their_first_bytes(head: bytes, expected: str | None) -> None:
    assert detect_archive(head) == expected
