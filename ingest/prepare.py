"""The pure stages in one call: read -> parse (format, decode, layout) -> fingerprint -> locate.

Each is a function of its input, so the same raw bytes always give the same
articles: ``reparse`` and ``show --explain`` rely on that, and ingest's worker
processes run these stages in parallel before a batch goes to ``Store``.

This module imports the whole parsing stack (layouts, formats, the gazetteer's
matcher). Modules that only sometimes parse import it when they do, so that
commands that never parse (a re-ingest of unchanged files, ``search``) do
not pay for loading it.
"""

from __future__ import annotations

import hashlib

from ingest.errors import IngestError, ReadError
from ingest.fingerprint import fingerprint
from ingest.locate import locate
from ingest.parse import parse_document
from ingest.read import MAX_SIZE, read_document
from ingest.records import PreparedDocument, RawDocument


def prepare(raw: RawDocument) -> PreparedDocument:
    """Parse, fingerprint and locate one document; a rejection becomes a failed document."""
    try:
        parsed = parse_document(raw)
    except IngestError as exc:
        return PreparedDocument(raw=raw, encoding=None, error=exc.detail, reason=exc.reason)
    return PreparedDocument(
        raw=raw,
        encoding=parsed.encoding,
        articles=tuple(locate(fingerprint(article)) for article in parsed.articles),
        format=parsed.format,
        warnings=parsed.warnings,
    )


def unreadable(origin: str, error: ReadError) -> PreparedDocument:
    """A failed document for a file whose bytes could not be read (none are kept)."""
    raw = RawDocument(origin=origin, raw=b"", sha256=hashlib.sha256(b"").hexdigest())
    return PreparedDocument(raw=raw, encoding=None, error=error.detail, reason=error.reason)


def read_and_prepare(origin: str, max_size: int = MAX_SIZE) -> PreparedDocument:
    """Read one file and prepare it."""
    try:
        return prepare(read_document(origin, max_size))
    except ReadError as exc:
        return unreadable(origin, exc)
