"""The pure stages in one call: read -> parse (format, decode, layout) -> fingerprint -> locate.

Each is a function of its input, so the same raw bytes always give the same
articles: ``reparse`` and ``show --explain`` rely on that, and ingest's worker
processes run these stages in parallel before a batch goes to ``Store``.

This is also the barrier between one document and the rest of a run: whatever
goes wrong while reading or preparing a document makes that document a failed
one, with its reason, and the run goes on. A rejection (``IngestError``) is an
expected outcome; any other exception is a bug in newsstore or a library, and
its reason says so (``internal error: <type>: <message>``), so it is reported
rather than hidden, without costing the rest of the batch.

This module imports the whole parsing stack (layouts, formats, the gazetteer's
matcher). Modules that only sometimes parse import it when they do, so that
commands that never parse (a re-ingest of unchanged files, ``search``) do
not pay for loading it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import replace

from db.raw import Dictionary, pack
from ingest.errors import IngestError, ReadError, internal_error
from ingest.fingerprint import fingerprint
from ingest.parse.document import parse_document
from ingest.parse.formats.warc import failed_record, read_part
from ingest.places.homes import Home
from ingest.places.locate import locate
from ingest.read import MAX_SIZE, STDIN, origin_text, read_document
from ingest.records import ArchivePart, PreparedDocument, RawDocument


def prepare(
    raw: RawDocument,
    max_size: int = MAX_SIZE,
    homes: Mapping[str, Home] | None = None,
    dictionaries: Mapping[str, Dictionary] | None = None,
) -> PreparedDocument:
    """Parse, fingerprint and locate one document; any failure becomes a failed document.

    Its bytes are compressed for storing here too (``db.raw.pack``): in ingest's
    worker processes, on every core, rather than in the write that holds the database;
    with its format's zstd dictionary among ``dictionaries``, if there is one.
    ``homes``: the sources' homes the places stage leans on (``ingest.places.homes``).
    """
    parsed = _parsed(raw, max_size, homes)
    dictionary = (dictionaries or {}).get(parsed.format or "")
    return replace(parsed, packed=pack(raw.raw, dictionary))


def _parsed(raw: RawDocument, max_size: int, homes: Mapping[str, Home] | None) -> PreparedDocument:
    try:
        parsed = parse_document(raw, max_size)
        articles = tuple(locate(fingerprint(article), homes) for article in parsed.articles)
    except IngestError as exc:
        return PreparedDocument(raw=raw, encoding=None, error=exc.detail, reason=exc.reason)
    except Exception as exc:  # the barrier: see the module docstring
        return PreparedDocument(
            raw=raw, encoding=None, error=internal_error(exc, raw.origin), reason="internal error"
        )
    return PreparedDocument(
        raw=raw,
        encoding=parsed.encoding,
        articles=articles,
        format=parsed.format,
        warnings=parsed.warnings,
        notes=parsed.notes,
    )


def unreadable(origin: str, error: str, reason: str) -> PreparedDocument:
    """A failed document for a file whose bytes could not be read (none are kept)."""
    raw = RawDocument(origin=origin_text(origin), raw=b"", sha256=hashlib.sha256(b"").hexdigest())
    return PreparedDocument(raw=raw, encoding=None, error=error, reason=reason)


def read_and_prepare(
    origin: str,
    max_size: int = MAX_SIZE,
    homes: Mapping[str, Home] | None = None,
    dictionaries: Mapping[str, Dictionary] | None = None,
) -> PreparedDocument:
    """Read one file and prepare it."""
    try:
        raw = read_document(origin, max_size)
    except ReadError as exc:
        return unreadable(origin, exc.detail, exc.reason)
    except Exception as exc:  # the barrier, for reading too
        return unreadable(origin, internal_error(exc, origin_text(origin)), "internal error")
    return prepare(raw, max_size, homes, dictionaries)


def prepare_part(
    part: ArchivePart,
    max_size: int,
    skipped: Counter[str],
    homes: Mapping[str, Home] | None = None,
    dictionaries: Mapping[str, Dictionary] | None = None,
) -> Iterator[PreparedDocument]:
    """Read and prepare the records of a part of a web archive, one at a time.

    Each page record is prepared like a file; the records skipped are counted
    in ``skipped``. A failure while reading fails from that record on
    (``ingest.parse.formats.warc``), the documents before it kept.
    """
    try:
        for found in read_part(part, max_size, skipped):
            if isinstance(found, PreparedDocument):
                yield found
            else:
                yield prepare(found, max_size, homes, dictionaries)
    except Exception as exc:  # the barrier, for reading an archive too (it vanished, say)
        yield failed_record(part, internal_error(exc, part.path), "internal error")


def read_stdin(max_size: int = MAX_SIZE) -> RawDocument | PreparedDocument:
    """Standard input's bytes, or the failed document that reading them made."""
    try:
        return read_document(STDIN, max_size)
    except ReadError as exc:
        return unreadable(STDIN, exc.detail, exc.reason)
    except Exception as exc:  # the barrier, for standard input too
        return unreadable(STDIN, internal_error(exc, STDIN), "internal error")
