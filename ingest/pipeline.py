"""The ingest pipeline: read -> parse (format, decode, layout) -> fingerprint -> locate -> store.

Every stage but the last is a pure function of its input, so the same raw
bytes always give the same articles (which is what ``reparse`` relies on).
The pipeline owns the transactions: one per batch of documents, written by
``Store.add_batch`` (which falls back to a savepoint per document when the
database refuses something).

Work is streamed in batches, so memory does not grow with the number of
files. For each batch, files whose path, size and modification time match a
stored document are skipped without being read. The rest are read and parsed
in worker processes (parsing is pure CPU work, and there is a core to spare
while the main process writes), one batch ahead of the writer.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ingest.errors import IngestError, ReadError
from ingest.fingerprint import fingerprint
from ingest.locate import locate
from ingest.parse import parse_document
from ingest.read import MAX_SIZE, STDIN, read_document
from ingest.records import PreparedDocument, RawDocument
from ingest.store import Outcome, Store

BATCH_SIZE = 256
# Below this many files, starting worker processes costs more than it saves.
POOL_THRESHOLD = 64


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
    """Read one file and prepare it: the unit of work of a worker process."""
    try:
        return prepare(read_document(origin, max_size))
    except ReadError as exc:
        return unreadable(origin, exc)


def run(
    engine: Engine,
    origins: Iterable[str],
    batch_size: int = BATCH_SIZE,
    *,
    workers: int | None = None,
    max_size: int = MAX_SIZE,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[Outcome]:
    """Ingest ``origins`` (file paths, or ``-``), yielding what happened to each, in order.

    ``workers``: processes that read and parse (None: one per core when there
    are enough files; 0: parse in this process). Each batch is committed as
    soon as it is written; ``stop()`` is asked between batches, so an
    interrupted ingest keeps every batch it finished and a rerun completes it.
    Files over ``max_size`` bytes fail unread.
    """
    with _parser(workers, origins, partial(read_and_prepare, max_size=max_size)) as parse_many:
        ahead: _Started | None = None
        for chunk in _chunked(origins, batch_size):
            current, ahead = ahead, _start(engine, chunk, parse_many)
            if current is not None:
                yield from _finish(engine, current)
                if stop():
                    return
        if ahead is not None:
            yield from _finish(engine, ahead)


class _Result(Protocol):
    def get(self) -> list[PreparedDocument]: ...


ParseMany = Callable[[list[str]], _Result]


@dataclass(frozen=True)
class _Started:
    """A chunk on its way: the files known to be stored already, and the others being parsed."""

    chunk: list[str]
    known: dict[str, Outcome]
    parsing: _Result


def _start(engine: Engine, chunk: list[str], parse_many: ParseMany) -> _Started:
    """Skip the chunk's unchanged files and start reading and parsing the others."""
    files = []
    for origin in chunk:
        if origin == STDIN:
            continue
        try:
            stat = os.stat(origin)
        except OSError:
            continue
        files.append((origin, stat.st_size, stat.st_mtime))
    with Session(engine) as session:
        known = Store(session).unchanged_files(files)
    todo = [origin for origin in chunk if origin not in known]
    return _Started(chunk, known, parse_many(todo))


def _finish(engine: Engine, started: _Started) -> Iterator[Outcome]:
    """Write one chunk's prepared documents in a transaction of its own."""
    prepared = started.parsing.get()
    written: Iterator[Outcome] = iter(())
    if prepared:
        with Session(engine) as session, session.begin():
            store = Store(session)
            already = store.stored_many([(p.raw.origin, p.raw.sha256) for p in prepared])
            fresh = [p for p in prepared if (p.raw.origin, p.raw.sha256) not in already]
            stored = iter(store.add_batch(fresh))
            written = iter(
                [already.get((p.raw.origin, p.raw.sha256)) or next(stored) for p in prepared]
            )
    for origin in started.chunk:
        yield started.known.get(origin) or next(written)


def _chunked(origins: Iterable[str], size: int) -> Iterator[list[str]]:
    pending = iter(origins)
    while chunk := list(islice(pending, size)):
        yield chunk


class _Ready:
    """Documents parsed in this process, with the interface of ``AsyncResult``."""

    def __init__(self, value: list[PreparedDocument]) -> None:
        self.value = value

    def get(self) -> list[PreparedDocument]:
        return self.value


@contextmanager
def _parser(
    workers: int | None, origins: Iterable[str], read: Callable[[str], PreparedDocument]
) -> Iterator[ParseMany]:
    """A function that reads and parses a list of files: in a pool of processes, or here."""
    if workers is None:
        many = isinstance(origins, Sequence) and len(origins) >= POOL_THRESHOLD
        workers = (os.cpu_count() or 1) if many else 0
    if workers <= 0:
        yield lambda todo: _Ready([read(origin) for origin in todo])
        return
    # Load the gazetteer before forking, so the workers share it instead of each
    # building its own.
    from ingest.gazetteer import load_gazetteer

    load_gazetteer()
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_interrupts)

    def parse_many(todo: list[str]) -> _Result:
        if STDIN in todo:  # standard input belongs to this process
            return _Ready([read(origin) for origin in todo])
        return pool.map_async(read, todo, chunksize=8)

    try:
        yield parse_many
    finally:
        pool.terminate()
        pool.join()


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the main process, which stops between batches."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
