"""WARC records: which are pages, and each page's payload as a document of its own.

A worker reads a part of a web archive (``ingest.archives``) record by record
with FastWARC. A ``response`` record whose HTTP status is 200 and whose
payload is an HTML page (by its Content-Type; by its content when it names
none, or only ``application/octet-stream``) is one document: its payload,
with the transfer and content encodings undone (chunked, gzip, ...), is the
raw bytes kept, as a saved ``.html`` file would hold them, and the record's
URL, date, id, payload digest and HTTP Content-Type ride along
(``ArchiveRecord``). A ``revisit`` of an HTML page is a document without a
payload: the store makes it a duplicate of the capture it repeats.

Everything else is skipped and counted by kind, never a failure: request,
metadata, warcinfo, resource, conversion and continuation records, responses
that are not HTTP (``dns:``), not 200 (``HTTP 404``) or not HTML (images,
style sheets, robots.txt, feeds), and revisits of those.

What fails is one record, with its offset: a payload over ``--max-size``, or
one that cannot be decoded (a Content-Encoding that lies). A part that breaks
while it is read fails from that record on, like a damaged archive.
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

from fastwarc.warc import ArchiveIterator, WarcRecord

from ingest.archives import DAMAGE_BYTES, Warc, end_of, opened, warcs
from ingest.errors import exception_line
from ingest.parse.detect import SNIFF_BYTES, detect_format
from ingest.parse.formats import iso_time
from ingest.records import ArchivePart, ArchiveRecord, PreparedDocument, RawDocument

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Content-Types that say nothing of what the payload is: its content decides.
_UNSAID = frozenset({"", "application/octet-stream", "binary/octet-stream", "unknown/unknown"})
# Header values longer than this are not stored (the columns' sizes; a URL's b-tree row).
_VALUE_CHARS = 200
_URL_BYTES = 2000
_ESCAPED = re.compile(r"[\udc80-\udcff]")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def read_part(
    part: ArchivePart, max_size: int, skipped: Counter[str]
) -> Iterator[RawDocument | PreparedDocument]:
    """The documents of a part of a web archive, in order: a page's payload as a raw document,
    or a failed document for a record (or the rest of the part) that cannot be read.

    What is skipped is counted in ``skipped``, by kind.
    """
    warc = _warc_of(part)
    if part.damage is not None:
        yield _damaged(warc, part.start, part.damage)
        return
    mtime = _mtime(part.path)
    last: int | None = None  # the offset of the last record read
    end = warc.size if part.whole else part.end
    with opened(warc, part.start, end) as stream:
        # The HTTP body is decoded here (``http_body``), not by FastWARC: after a body that
        # does not decode (a Content-Encoding that lies) its iterator fails for good.
        records = iter(ArchiveIterator(stream, parse_http=True, auto_decode="none"))
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except Exception as exc:  # damaged after all (the file changed since it was indexed)
                at = part.start if last is None else end_of(warc, last)
                yield _damaged(warc, at, exception_line(exc))
                return
            last = record.stream_pos
            found = _document(warc, part, record, max_size, mtime)
            if isinstance(found, str):
                skipped[found] += 1
            else:
                yield found


def failed_record(part: ArchivePart, error: str, reason: str) -> PreparedDocument:
    """The failed document for the first record of a part that could not be read at all
    (its worker died, or overran its time)."""
    warc = _warc_of(part)
    return _failed(warc, part.start, b"", error, reason)


def _warc_of(part: ArchivePart) -> Warc:
    if part.member is None:
        size = os.stat(part.path).st_size if os.path.exists(part.path) else part.end
        return Warc(part.path, None, 0, size, True)
    for warc in warcs(part.path, "wacz"):
        if warc.member == part.member:
            return warc
    return Warc(part.path, part.member, 0, 0, False, error="the member is gone from the WACZ")


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def _document(
    warc: Warc, part: ArchivePart, record: WarcRecord, max_size: int, mtime: float | None
) -> RawDocument | PreparedDocument | str:
    """A record as a document, or the kind of record it is when it is skipped."""
    kind = str(record.record_type)
    if kind not in ("response", "revisit"):
        return kind
    if not record.is_http:
        return f"{kind} not HTTP"
    status = record.http_headers.status_code
    if status != 200:
        return f"{kind} HTTP {status}" if status is not None else f"{kind} without HTTP status"
    content_type = _value(record.http_headers.get("Content-Type"))
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime not in _HTML_TYPES and mime not in _UNSAID:
        return f"{kind} not HTML"
    revisit = kind == "revisit"  # no payload to look at: a type that says nothing will do
    about = _about(warc, record, content_type, revisit, part.whole)
    where = f"@{about.offset}" if about.offset is not None else f"#{about.record_id}"
    origin = about.archive + where
    if revisit:
        return RawDocument(origin, b"", _EMPTY, mtime, about)
    try:
        payload = http_body(
            record.reader.read(max_size + 1),
            record.http_headers.get("Transfer-Encoding") or "",
            record.http_headers.get("Content-Encoding") or "",
            max_size,
        )
    except Exception as exc:  # a Content-Encoding that lies, a chunked body cut short
        return _failed(
            warc,
            about.offset,
            b"",
            f"unreadable payload: {exception_line(exc)}",
            "unreadable",
            about,
        )
    if len(payload) > max_size:
        return _failed(
            warc,
            about.offset,
            b"",
            f"too large: a payload of more than {max_size:,} bytes (see --max-size)",
            "unreadable",
            about,
        )
    if mime in _UNSAID and detect_format("", payload[:SNIFF_BYTES]) != "html":
        return f"{kind} not HTML"
    return RawDocument(origin, payload, hashlib.sha256(payload).hexdigest(), mtime, about)


_EMPTY = hashlib.sha256(b"").hexdigest()


def http_body(body: bytes, transfer: str, encoding: str, limit: int) -> bytes:
    """An HTTP body as the page was sent: chunking and content codings undone, in order.

    A crawler keeps the body as it came over the wire; a saved page is what it
    decodes to. Each step is bounded by ``limit`` (a body that decodes to more is
    cut there, and then refused as too large), so a compression bomb costs no
    more. An unknown coding, or data that is not what its coding says, raises
    ``ValueError``.
    """
    if "chunked" in transfer.lower():
        body = _dechunked(body)
    for coding in reversed([c.strip().lower() for c in encoding.split(",")]):
        if coding in ("", "identity", "none"):
            continue
        if coding in ("gzip", "x-gzip"):
            body = _inflated(body, 16 + zlib.MAX_WBITS, limit)
        elif coding == "deflate":  # zlib-wrapped as the RFC says, or raw as many servers send
            try:
                body = _inflated(body, zlib.MAX_WBITS, limit)
            except ValueError:
                body = _inflated(body, -zlib.MAX_WBITS, limit)
        elif coding == "br":
            body = _unbrotlied(body, limit)
        else:
            raise ValueError(f"unknown Content-Encoding {coding[:40]!r}")
    return body


def _dechunked(body: bytes) -> bytes:
    """A chunked body's data; what follows a chunk cut short is lost, as in a browser."""
    parts, at = [], 0
    while at < len(body):
        line_end = body.find(b"\r\n", at)
        if line_end < 0:
            break
        size_text = body[at:line_end].split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ValueError(f"bad chunk size {size_text[:20]!r}") from None
        if size == 0:
            break
        parts.append(body[line_end + 2 : line_end + 2 + size])
        at = line_end + 2 + size + 2
    return b"".join(parts)


def _inflated(data: bytes, wbits: int, limit: int) -> bytes:
    try:
        return zlib.decompressobj(wbits=wbits).decompress(data, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"not {'gzip' if wbits > 15 else 'deflate'} data ({exc})") from None


def _unbrotlied(data: bytes, limit: int) -> bytes:
    import brotli  # only for the pages sent with "br": see the start-up cost of the rest

    try:
        out: bytes = brotli.Decompressor().process(data, output_buffer_limit=limit + 1)
    except brotli.error as exc:
        raise ValueError(f"not brotli data ({exc})") from None
    return out


def _about(
    warc: Warc, record: WarcRecord, content_type: str | None, revisit: bool, whole: bool
) -> ArchiveRecord:
    """What the record says of its payload, each value as it can be stored (or None)."""
    headers = record.headers
    return ArchiveRecord(
        archive=warc.name,
        offset=None if whole else record.stream_pos,
        record_id=_value(headers.get("WARC-Record-ID")),
        url=_uri(headers.get_bytes(b"WARC-Target-URI")),
        fetched_at=_time(headers.get("WARC-Date")),
        content_type=content_type,
        payload_digest=_value(headers.get("WARC-Payload-Digest")),
        refers_to=_value(headers.get("WARC-Refers-To")),
        revisit=revisit,
    )


def _value(text: str | None) -> str | None:
    """A header's value to store: trimmed, without control characters; None if empty or long."""
    if text is None:
        return None
    text = _CONTROL.sub(lambda m: " " if m[0] == " " else "", text).strip()
    return text if text and len(text) <= _VALUE_CHARS else None


def _uri(raw: bytes | None) -> str | None:
    """WARC-Target-URI as text: UTF-8 as it is, any other byte percent-escaped (a URI is
    ASCII; crawlers write what the page linked to), ``<...>`` (WARC 1.0) removed."""
    if not raw:
        return None
    text = raw.strip().removeprefix(b"<").removesuffix(b">").decode("utf-8", "surrogateescape")
    text = _ESCAPED.sub(lambda m: f"%{ord(m[0]) - 0xDC00:02X}", text)
    text = _CONTROL.sub(lambda m: "%20" if m[0] == " " else "", text)
    return text if text and len(text.encode()) <= _URL_BYTES else None


def _time(text: str | None) -> datetime | None:
    """WARC-Date in UTC; None when it is no time a datetime holds (year 0, 99999, month 13)."""
    if not text:
        return None
    try:
        return iso_time(text[:100])
    except ValueError:
        return None


def _damaged(warc: Warc, offset: int | None, reason: str) -> PreparedDocument:
    """The failed document for a WARC that cannot be read from ``offset`` on."""
    kept = b""
    if offset is not None and warc.error is None:
        try:
            with opened(warc, offset, min(warc.size or offset, offset + DAMAGE_BYTES)) as stream:
                kept = stream.read()
        except Exception:  # what cannot be read is not kept
            kept = b""
    at = f" at offset {offset:,}" if offset is not None else ""
    error = f"damaged archive{at}: {reason}; the records from there on are not read"
    return _failed(warc, offset, kept, error, "damaged archive")


def _failed(
    warc: Warc,
    offset: int | None,
    kept: bytes,
    error: str,
    reason: str,
    about: ArchiveRecord | None = None,
) -> PreparedDocument:
    about = about or ArchiveRecord(archive=warc.name, offset=offset)
    origin = about.archive + (f"@{offset}" if offset is not None else "")
    raw = RawDocument(origin, kept, hashlib.sha256(kept).hexdigest(), _mtime(warc.path), about)
    return PreparedDocument(raw=raw, encoding=None, error=error, reason=reason)


__all__ = ["failed_record", "read_part"]
