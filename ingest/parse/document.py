"""The parse stage: what a document is (by its content), and the articles in it.

Gzip is undone first, never to more than the size limit; then the first bytes
say whether the document is an HTML page, an RSS/Atom feed, JSON Lines or text
(``ingest.parse.detect``), the file name only breaking ties. Text goes to the
page layouts (``ingest.parse.layouts``); the other formats to their parsers in
``ingest.parse.formats``. A feed or a JSON Lines file holds many articles; a bad JSON
Lines record is a warning with its line number while the other records go on.

The text the parsers see is decoded here, once (``ingest.parse.decode``).

Each format's parser is imported the first time a document in that format
comes: the HTML parser (trafilatura, lxml) and the feed parser (feedparser) take
0.17 and 0.20 s to import here, which a run over text dumps alone need not pay.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ingest.errors import DecodeError, ParseError
from ingest.parse import layouts
from ingest.parse.decode import (
    MOJIBAKE_NOTE,
    content_type_charset,
    decode,
    decode_markup,
    feed_bytes,
    looks_like_text,
    repair_mojibake,
    replacement_notes,
    unicode_bom,
)
from ingest.parse.detect import (
    SNIFF_BYTES,
    Format,
    detect_archive,
    detect_format,
    maybe_gunzip,
)
from ingest.read import MAX_SIZE
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
    A web archive's record is an HTML page whatever its first bytes (its
    Content-Type said so), decoded in the charset it was served with, its URL the
    one it was fetched from; a revisit holds no page (the store makes it a duplicate).
    """
    record = raw.record
    if record is not None and record.revisit:
        return ParsedDocument("html", None, ())
    if record is None and detect_archive(raw.raw[:1024]) == "warc":
        # Reached here only from standard input (files are sorted out before): a web
        # archive is read record by record, which a pipe does not allow.
        raise DecodeError("a web archive (WARC) is read from a file, not standard input")
    data = maybe_gunzip(raw.raw, limit=max_size)
    bom = unicode_bom(data)
    if bom is None and b"\x00" in data:
        raise DecodeError("binary content (NUL bytes), not text")
    found = detect_format(raw.origin, data[:SNIFF_BYTES]) if record is None else "html"
    transport = content_type_charset(record.content_type) if record is not None else None
    if found in ("html", "feed") and bom is None:
        decoded = decode_markup(data, transport)
    else:
        decoded = decode(data)
    text = decoded.text
    if "\x00" in text:
        raise DecodeError("binary content (NUL characters), not text")
    if not text or text.isspace():  # after decoding: a UTF-16 file of blanks is blank too
        raise DecodeError("empty file")
    if not looks_like_text(text):
        raise DecodeError(f"not text: undecodable bytes (best guess {decoded.encoding})")
    notes = replacement_notes(decoded)
    encoding = decoded.encoding
    if found == "html":
        from ingest.parse.formats.html import parse_html  # see the module docstring

        url = record.url if record is not None else None
        article = parse_html(text, url)
        if url is not None and article.url != url:
            article = replace(article, url=url)  # where it was fetched, not its canonical URL
        return ParsedDocument("html", encoding, (article,), notes=notes)
    if found == "feed":
        from ingest.parse.formats.feed import parse_feed  # see the module docstring

        articles = tuple(parse_feed(feed_bytes(data, decoded, bom)))
        return ParsedDocument("feed", encoding, articles, notes=notes)
    if found == "jsonl":
        from ingest.parse.formats.jsonl import parse_jsonl  # see the module docstring

        results = parse_jsonl(text)
        good = tuple(r for _, r in results if isinstance(r, ParsedArticle))
        bad = tuple(str(r) for _, r in results if isinstance(r, ParseError))
        if not good:
            raise ParseError(bad[0] if len(bad) == 1 else f"no valid records ({len(bad)} bad)")
        return ParsedDocument("jsonl", encoding, good, bad, notes)
    repaired = repair_mojibake(text)  # text documents only: see ingest.parse.decode
    if repaired != text:
        text, notes = repaired, (*notes, MOJIBAKE_NOTE)
    article = layouts.parse(DecodedDocument(origin=raw.origin, text=text, encoding=encoding))
    return ParsedDocument("text", encoding, (article,), notes=notes)


__all__ = ["Format", "ParsedDocument", "looks_like_text", "parse_document"]
