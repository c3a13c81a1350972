"""The parse stage: what a document is (by its content), and the articles in it.

Gzip is undone first; then the first bytes say whether the document is an
HTML page, an RSS/Atom feed, JSON Lines or text (``ingest.formats.detect``),
the file name only breaking ties. Text goes to the page layouts
(``ingest.layouts``); the other formats to their parsers in ``ingest.formats``.
A feed or a JSON Lines file holds many articles; a bad JSON Lines record is a
warning with its line number while the other records go on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ingest import layouts
from ingest.errors import DecodeError, ParseError
from ingest.formats.detect import SNIFF_BYTES, detect_format, maybe_gunzip
from ingest.read import decode_bytes
from ingest.records import DecodedDocument, ParsedArticle, RawDocument


@dataclass(frozen=True)
class ParsedDocument:
    """The articles read from one document, how it was read, and its bad records."""

    format: str
    encoding: str | None
    articles: tuple[ParsedArticle, ...]
    warnings: tuple[str, ...] = ()


def parse_document(raw: RawDocument) -> ParsedDocument:
    """Detect the document's format and parse it; raises an ``IngestError`` when it holds none."""
    data = maybe_gunzip(raw.raw)
    if not data.strip():
        raise DecodeError("empty file")
    if b"\x00" in data:
        raise DecodeError("binary content (NUL bytes), not text")
    found = detect_format(raw.origin, data[:SNIFF_BYTES])
    text, encoding = decode_bytes(data)
    if not looks_like_text(text):
        raise DecodeError(f"not text: undecodable bytes (best guess {encoding})")
    if found == "html":
        from ingest.formats.html import read_html

        page = read_html(data)  # bytes: the page's own charset declaration is honoured
        return ParsedDocument("html", encoding, (_with_extras(page.article, None, page.author),))
    if found == "feed":
        from ingest.formats.feed import parse_feed

        items = parse_feed(data)
        articles = tuple(_with_extras(i.article, i.guid, i.author) for i in items)
        return ParsedDocument("feed", encoding, articles)
    if found == "jsonl":
        from ingest.formats.jsonl import parse_jsonl

        results = parse_jsonl(text)
        good = tuple(r for _, r in results if isinstance(r, ParsedArticle))
        bad = tuple(str(r) for _, r in results if isinstance(r, ParseError))
        if not good:
            raise ParseError(bad[0] if len(bad) == 1 else f"no valid records ({len(bad)} bad)")
        return ParsedDocument("jsonl", encoding, good, bad)
    article = layouts.parse(DecodedDocument(origin=raw.origin, text=text, encoding=encoding))
    return ParsedDocument("text", encoding, (article,))


# Control characters other than tab, newline, carriage return and form feed, and the
# replacement character: what binary data or a wrong decoding leaves in "text". A character
# class, so that counting them is one scan in C rather than a Python loop over every character.
_JUNK = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def looks_like_text(text: str) -> bool:
    """False when more than 2% of the characters are control or replacement characters."""
    sample = text[:100_000]
    return len(_JUNK.findall(sample)) <= 0.02 * len(sample)


def _with_extras(article: ParsedArticle, guid: str | None, author: str | None) -> ParsedArticle:
    return replace(article, guid=guid or article.guid, author=author or article.author)
