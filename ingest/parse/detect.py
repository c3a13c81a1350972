"""Which format a document is in: HTML, an RSS/Atom feed, JSON Lines, or plain text.

The content decides, the file name only breaks ties: crawlers and exports
name files carelessly (a feed saved as ``.txt``, a page as ``.xml``), while the
first bytes of a document say reliably what it is. Only the start of the
document is looked at (``head``, a few KB), so detection is cheap and never
reads a whole file.

What decides, in order:

1. gzip magic bytes (``1f 8b``): the start is decompressed first and the
   ``.gz`` suffix dropped from the name (``page.html.gz``);
2. a BOM, blank space, an XML declaration, comments and processing
   instructions are skipped; then ``<!doctype html`` or an ``<html>`` (or
   other clearly-HTML) first tag is HTML, and an ``<rss>``, ``<feed>`` or
   ``<rdf:RDF>`` root (or an RSS doctype) is a feed;
3. a first non-blank line that is a JSON object is JSON Lines (a first line
   cut off by the end of ``head`` counts when it opens like an object, ``{"``);
4. otherwise the extension: ``.html``/``.htm``/``.xhtml``, ``.rss``/``.atom``/
   ``.xml``, ``.jsonl``/``.ndjson``; anything else is text (the page-dump
   layouts read it).

This is content sniffing over the first tokens, as browsers do, not parsing:
the parsers (trafilatura, feedparser, ``json``) read the documents.
"""

from __future__ import annotations

import codecs
import re
import zlib
from typing import Final, Literal

from ingest.errors import ReadError
from ingest.parse.formats import JSON_DECODER  # json's, reading numbers of any length

__all__ = [
    "Format",
    "GzipError",
    "MAX_GUNZIPPED",
    "SNIFF_BYTES",
    "detect_archive",
    "detect_format",
    "maybe_gunzip",
]

Format = Literal["html", "feed", "jsonl", "text"]

# How much of a document detection looks at (callers may pass more or less).
SNIFF_BYTES: Final = 8192
# The most a gzip document may decompress to. A few hundred bytes of gzip can
# expand to gigabytes (a "gzip bomb"); no real page, feed or export is near
# this size, and the cap keeps one hostile file from exhausting memory.
MAX_GUNZIPPED: Final = 200 * 1024 * 1024

_GZIP_MAGIC: Final = b"\x1f\x8b"
_ZIP_MAGIC: Final = b"PK\x03\x04"
_WARC_MAGIC: Final = re.compile(rb"WARC/\d")
_CHUNK: Final = 1024 * 1024

_EXTENSIONS: Final[dict[str, Format]] = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".rss": "feed",
    ".atom": "feed",
    ".xml": "feed",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
# Leading material a document may carry before its first element.
_PROLOG: Final = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_DOCTYPE: Final = re.compile(r"<!doctype\s+([\w:.-]+)", re.IGNORECASE)
_FIRST_TAG: Final = re.compile(r"<([a-zA-Z][\w:.-]*)")
_FEED_ROOTS: Final = frozenset({"rss", "feed", "rdf:rdf"})
_FEED_DOCTYPES: Final = frozenset({"rss"})
# First tags that only an HTML page (or a fragment of one) starts with.
_HTML_TAGS: Final = frozenset(
    "html head body meta title link script style div p article section main header nav "
    "h1 h2 h3 table".split()
)
_JSON_OPENING: Final = re.compile(r'\{\s*"')


class GzipError(ReadError):
    """Gzip data that cannot be read: corrupt, or larger than ``MAX_GUNZIPPED`` when unpacked."""


def maybe_gunzip(raw: bytes, limit: int = MAX_GUNZIPPED) -> bytes:
    """``raw`` decompressed when it is gzip data (by its magic bytes), else ``raw`` itself.

    Decompresses in bounded steps and raises ``GzipError`` as soon as the
    output would pass ``limit`` bytes (ingest's ``--max-size``, which bounds a
    file once unpacked as it bounds it on disk), so a gzip bomb costs at most
    ``limit`` of memory. Several gzip members in a row (``cat a.gz b.gz``) are read as
    one stream, as ``gzip -d`` does.
    """
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    out = bytearray()
    data = raw
    while data.startswith(_GZIP_MAGIC):
        stream = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        pending = data
        try:
            while pending or not stream.eof:
                room = limit - len(out)
                chunk = stream.decompress(pending, min(_CHUNK, room + 1))
                out += chunk
                if len(out) > limit:
                    raise GzipError(
                        f"too large: gzip data unpacks to more than {limit:,} bytes"
                        " (see --max-size)"
                    )
                pending = stream.unconsumed_tail
                if stream.eof or (not chunk and not pending):
                    break
        except zlib.error as exc:
            raise GzipError(f"corrupt gzip data ({exc})") from None
        if not stream.eof:
            raise GzipError("truncated gzip data")
        data = stream.unused_data.lstrip(b"\x00")
    return bytes(out)


def detect_format(name: str, head: bytes) -> Format:
    """The format of a document named ``name`` whose first bytes are ``head``.

    ``name`` may be a path or a bare file name; only its suffixes are used.
    Never raises: a document that cannot be told is ``'text'``.
    """
    lowered = name.lower()
    if head.startswith(_GZIP_MAGIC):
        head = _gunzip_head(head)
        lowered = lowered.removesuffix(".gz")
    by_content = _sniff(_head_text(head[:SNIFF_BYTES]))
    if by_content is not None:
        return by_content
    for suffix, found in _EXTENSIONS.items():
        if lowered.endswith(suffix):
            return found
    return "text"


def detect_archive(head: bytes) -> Literal["warc", "zip"] | None:
    """Whether a file whose first bytes are ``head`` is a web archive: a WARC (gzipped or not)
    or a zip file (a WACZ, once ``ingest.archives`` finds WARC files in it); None: neither.

    A WARC's first record begins ``WARC/1.0`` or ``WARC/1.1``, whatever its name; a
    ``.warc.gz`` is gzip whose content begins so.
    """
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_GZIP_MAGIC):
        head = _gunzip_head(head)
    return "warc" if _WARC_MAGIC.match(head[:64]) else None


def _gunzip_head(head: bytes) -> bytes:
    """The first bytes of a gzip stream's content; the rest of the stream may be missing."""
    try:
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(head, SNIFF_BYTES)
    except zlib.error:
        return b""


def _head_text(head: bytes) -> str:
    """The start of a document as text: the markers looked for are ASCII in any encoding
    but UTF-16/32, which are recognised by their BOM."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF8, "utf-8"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace")
    return head.decode("utf-8", errors="replace")


def _sniff(text: str) -> Format | None:
    start = _skip_prolog(text)
    if start.startswith("<"):
        doctype = _DOCTYPE.match(start)
        if doctype is not None:
            kind = doctype.group(1).lower()
            if kind == "html":
                return "html"
            if kind in _FEED_DOCTYPES:
                return "feed"
            start = _skip_prolog(start[start.find(">") + 1 :])
        tag = _FIRST_TAG.match(start)
        if tag is not None:
            name = tag.group(1).lower()
            if name in _FEED_ROOTS:
                return "feed"
            if name in _HTML_TAGS:
                return "html"
        return None
    return "jsonl" if _is_json_object_line(text) else None


def _skip_prolog(text: str) -> str:
    """``text`` after any leading blank space, XML declaration, comments and instructions."""
    prolog = _PROLOG.match(text)
    return text[prolog.end() :] if prolog is not None else text


def _is_json_object_line(text: str) -> bool:
    """Whether the first non-blank line of ``text`` is a JSON object (or opens like one and is
    cut off by the end of the sniffed bytes)."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return False
    line, newline, _ = stripped.partition("\n")
    try:
        return isinstance(JSON_DECODER.decode(line), dict)
    except (ValueError, RecursionError):
        return not newline and _JSON_OPENING.match(line) is not None
