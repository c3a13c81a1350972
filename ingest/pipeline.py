"""The ingest pipeline: read -> parse (format, decode, layout) -> fingerprint -> locate -> store.

Every stage but the last is a pure function of its input, so the same raw
bytes always give the same articles (which is what ``reparse`` relies on).
The pipeline owns the transactions: one per batch of documents, with a
savepoint per document inside ``Store.add``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from itertools import islice

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ingest.errors import IngestError, ReadError
from ingest.fingerprint import fingerprint
from ingest.locate import locate
from ingest.parse import parse_document
from ingest.read import read_document
from ingest.records import PreparedDocument, RawDocument
from ingest.store import Outcome, Store

BATCH_SIZE = 500


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


def run(engine: Engine, origins: Iterable[str], batch_size: int = BATCH_SIZE) -> Iterator[Outcome]:
    """Ingest ``origins`` (file paths, or ``-``), yielding what happened to each.

    Batches are committed as they complete. On Ctrl-C the documents already
    stored in the current batch are committed before the interrupt goes on,
    so an interrupted ingest keeps all it finished and a rerun completes it.
    """
    pending = iter(origins)
    while chunk := list(islice(pending, batch_size)):
        with Session(engine) as session:
            session.begin()
            try:
                store = Store(session)
                for origin in chunk:
                    yield _ingest_one(store, origin)
            except KeyboardInterrupt:
                session.commit()
                raise
            except BaseException:
                session.rollback()
                raise
            session.commit()


def _ingest_one(store: Store, origin: str) -> Outcome:
    try:
        raw = read_document(origin)
    except ReadError as exc:
        failed = unreadable(origin, exc)
        return store.stored(origin, failed.raw.sha256) or store.add(failed)
    return store.stored(origin, raw.sha256) or store.add(prepare(raw))
