"""The parse stage: what a document is (by its content), and the articles in it.

Gzip is undone first, never to more than the size limit; then the first bytes
say whether the document is an HTML page, an RSS/Atom feed, JSON Lines or text
(``ingest.parse.detect``), the file name only breaking ties. Text goes to the
page layouts (``ingest.parse.layouts``); the other formats to their parsers in
``ingest.parse.formats``. A feed or a JSON Lines file holds many articles; a bad JSON
Lines record is a warning with its line number while the other records go on.

The text the parsers see is decoded here, once, by the rules of
``ingest.read.decode``, which markup refines: a page or feed that declares its
charset (``<meta charset>``, an XML declaration) is read in it when its bytes
are not UTF-8. Left to themselves, trafilatura and feedparser would guess a
legacy encoding for a whole page because of one stray byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from w3lib.encoding import html_body_declared_encoding

from ingest.errors import DecodeError, ParseError
from ingest.parse import layouts
from ingest.parse.detect import SNIFF_BYTES, Format, detect_format, maybe_gunzip
from ingest.read import MAX_SIZE, Decoded, decode, unicode_bom
from ingest.records import DecodedDocument, ParsedArticle, RawDocument


@dataclass(frozen=True)
class ParsedDocument:
    """The articles read from one document, how it was read, its bad records and notes."""

    format: str
    encoding: str | None
    articles: tuple[ParsedArticle, ...]
    warnings: tuple[str, ...] = ()  # bad records: the file is stored, those records are not
    notes: tuple[str, ...] = ()  # what reading it took (bytes replaced), nothing lost


def parse_document(raw: RawDocument, max_size: int = MAX_SIZE) -> ParsedDocument:
    """Detect the document's format and parse it; raises an ``IngestError`` when it holds none.

    ``max_size`` bounds the document once gzip is undone, as it bounds the file.
    """
    data = maybe_gunzip(raw.raw, limit=max_size)
    bom = unicode_bom(data)
    if bom is None and b"\x00" in data:
        raise DecodeError("binary content (NUL bytes), not text")
    found = detect_format(raw.origin, data[:SNIFF_BYTES])
    decoded = _decode_markup(data) if found in ("html", "feed") and bom is None else decode(data)
    text = decoded.text
    if "\x00" in text:
        raise DecodeError("binary content (NUL characters), not text")
    if not text or text.isspace():  # after decoding: a UTF-16 file of blanks is blank too
        raise DecodeError("empty file")
    if not looks_like_text(text):
        raise DecodeError(f"not text: undecodable bytes (best guess {decoded.encoding})")
    notes = _notes(decoded)
    encoding = decoded.encoding
    if found == "html":
        from ingest.parse.formats.html import parse_html

        return ParsedDocument("html", encoding, (parse_html(text),), notes=notes)
    if found == "feed":
        from ingest.parse.formats.feed import parse_feed

        articles = tuple(parse_feed(_feed_bytes(data, decoded, bom)))
        return ParsedDocument("feed", encoding, articles, notes=notes)
    if found == "jsonl":
        from ingest.parse.formats.jsonl import parse_jsonl

        results = parse_jsonl(text)
        good = tuple(r for _, r in results if isinstance(r, ParsedArticle))
        bad = tuple(str(r) for _, r in results if isinstance(r, ParseError))
        if not good:
            raise ParseError(bad[0] if len(bad) == 1 else f"no valid records ({len(bad)} bad)")
        return ParsedDocument("jsonl", encoding, good, bad, notes)
    article = layouts.parse(DecodedDocument(origin=raw.origin, text=text, encoding=encoding))
    return ParsedDocument("text", encoding, (article,), notes=notes)


def _decode_markup(data: bytes) -> Decoded:
    """A page's or feed's text: UTF-8 when it is, else the charset it declares, else guessed."""
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    declared = html_body_declared_encoding(data[:SNIFF_BYTES])
    if declared and declared.replace("_", "-").lower() not in _UNICODE:
        try:
            return Decoded(data.decode(declared), declared)
        except (UnicodeDecodeError, LookupError):
            pass
    return decode(data)


_UNICODE = frozenset({"utf-8", "utf8", "utf-16", "utf-16-le", "utf-16-be", "utf-32"})


def _feed_bytes(data: bytes, decoded: Decoded, bom: str | None) -> bytes:
    """What feedparser is given: the bytes, when they are what they declare.

    feedparser finds a feed's encoding in its BOM and XML declaration, and on
    bytes that do not decode in it falls back to guessing, for the whole feed.
    Then, and for a feed with a BOM (decoded here already, in the encoding the BOM
    names), it is given the text as decoded here, as UTF-8 that says so.
    """
    if bom is None and not decoded.replaced:
        if decoded.encoding == "utf-8":
            return data
        if html_body_declared_encoding(data[:SNIFF_BYTES]) == decoded.encoding:
            return data
    text = _XML_ENCODING.sub(r"\1utf-8\2", decoded.text, count=1)
    return text.encode("utf-8")


# The encoding an XML declaration names, between its quotes.
_XML_ENCODING = re.compile(r"""\A(\s*<\?xml[^>]*?\bencoding\s*=\s*["'])[^"']*(["'])""")


def _notes(decoded: Decoded) -> tuple[str, ...]:
    if not decoded.replaced:
        return ()
    plural = "s" if decoded.replaced != 1 else ""
    return (f"{decoded.replaced:,} invalid {decoded.encoding} byte{plural} replaced by U+FFFD",)


# Control characters other than tab, newline, carriage return and form feed, and the
# replacement character: what binary data or a wrong decoding leaves in "text". A character
# class, so that counting them is one scan in C rather than a Python loop over every character.
_JUNK = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def looks_like_text(text: str) -> bool:
    """False when more than 2% of the characters are control or replacement characters."""
    sample = text[:100_000]
    return len(_JUNK.findall(sample)) <= 0.02 * len(sample)


__all__ = ["Format", "ParsedDocument", "looks_like_text", "parse_document"]
