"""The ingest pipeline: the pure stages of ``ingest.prepare``, then ``ingest.store``.

Every stage but the last is a pure function of its input, so the same raw
bytes always give the same articles (which is what ``reparse`` relies on).
The pipeline owns the transactions: one per batch of documents, written by
``Store.add_batch`` (which falls back to a savepoint per document when the
database refuses something).

Work is streamed in batches of a number of files or of bytes, whichever
comes first, so memory grows neither with the number of files nor with their
size. For each batch, files whose path, size and modification time match a
stored document are skipped without being read. The rest go to worker
processes, each of which reads, parses and then writes a whole batch. Parsing
is most of the work and runs on every core at once; the writes take turns,
in the order of the batches, so the database is written as a single writer
would write it (the same ids, the same originals and duplicates) and
SQLite's one write lock is never fought over. A worker sends back only the
outcomes: handing parsed documents to one writing process would cost
pickling them both ways, which is a large part of the time parsing takes.

Nothing one file does can stop the run: a document that fails, in any way,
fails alone (``ingest.prepare``, ``Store.add_batch``); memory is bounded per
worker whatever the files unpack or parse to (``ingest.workers.WRITE_BYTES``);
and a worker that dies is noticed, never waited for forever (``ingest.workers``).
"""

from __future__ import annotations

import os
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from stat import S_ISREG

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.session import reading
from ingest.archives import archive_kind, parts, warcs
from ingest.read import MAX_SIZE, STDIN
from ingest.store import Outcome, Store
from ingest.workers import Item, Result, Writers

BATCH_SIZE = 1024
# A batch also ends once its files come to this many bytes. Each worker holds its batch,
# and what parsing it takes, until the batch is written; files run from a few kilobytes
# (text dumps) to megabytes (saved web pages). 1,086 saved pages of 170 KB each peaked at
# 552 MB for all processes in batches of 1,024 files, 404 MB at 16 MiB, 373 MB at 8 MiB.
BATCH_BYTES = 8 * 1024 * 1024
# Below this many files, more than one worker process costs more than it saves.
POOL_THRESHOLD = 64


def run(
    engine: Engine,
    origins: Iterable[str],
    batch_size: int = BATCH_SIZE,
    *,
    workers: int | None = None,
    max_size: int = MAX_SIZE,
    stop: Callable[[], bool] = lambda: False,
    on_problem: Callable[[str], None] = lambda message: None,
) -> Iterator[Outcome]:
    """Ingest ``origins`` (file paths, or ``-``), yielding what happened to each, in order.

    ``workers``: processes that read, parse and write (None: one per core
    when there are enough files, else one; 0: all of it in this process, with
    no time limit and no surviving a crash). Each batch is
    committed as soon as it is written; ``stop()`` is asked between batches,
    and then the batch being written is finished and no other is written, so
    an interrupted ingest keeps whole batches and a rerun completes the rest
    (the files of batches left unwritten get no outcome). Files over
    ``max_size`` bytes fail unread, and so do gzipped files that unpack to
    more. ``on_problem`` hears of trouble that is no file's own (a worker
    process that died); the run goes on.
    """
    if workers is None:
        # Even one worker process is worth having: its parent can stop it when a
        # document takes too long, and outlives it when it dies.
        workers = (os.cpu_count() or 1) if _many(origins) else 1
    with Writers(engine, workers, max_size, on_problem, stop) as writers:
        under_way: deque[_Batch] = deque()
        for work in _work(engine, origins, batch_size, max_size):
            under_way.append(_Batch(work.items, work.known, writers.submit(work.todo)))
            # Keep every worker busy, plus one batch queued behind them.
            if len(under_way) > workers:
                yield from under_way.popleft().outcomes()
                while writers.lost and under_way:  # a pool died: its batches before new ones
                    yield from under_way.popleft().outcomes()
                writers.lost = False
                if workers:
                    _fold_wal(engine)
                if stop():
                    writers.stop()  # a batch not being written by now never will be
                    break
        while under_way:
            yield from under_way.popleft().outcomes()


def _fold_wal(engine: Engine) -> None:
    """Copy the batches written so far from SQLite's WAL into the database file, if it can now.

    Done here, in the process that waits on the workers, so that the copying is
    off their path: otherwise a commit now and then stops to fold the whole WAL
    (a second and more, growing with the database) while the other worker waits
    for its turn, and closing folds the rest. A passive checkpoint waits for no
    one and gives up on frames still in use; SQLite's own checkpoints remain
    behind it.
    """
    if engine.dialect.name != "sqlite":
        return
    # On the driver's connection, outside any transaction (a checkpoint is not something
    # to do inside one); if SQLite is busy, the next batch's turn, or its own, will do it.
    with engine.connect() as connection, suppress(sqlite3.OperationalError):
        cursor = connection.connection.cursor()
        try:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            cursor.close()


def _many(origins: Iterable[str]) -> bool:
    """Whether the work is worth a worker per core: many files, or a web archive."""
    if not isinstance(origins, Sequence):
        return False
    if len(origins) >= POOL_THRESHOLD:
        return True
    return any(archive_kind(o, _stat(o)) is not None for o in origins)


@dataclass(frozen=True)
class _Work:
    """A batch to hand out: its items, those known to be stored already, and the others."""

    items: Sequence[Item]
    known: dict[str, Outcome]
    todo: list[Item]


@dataclass(frozen=True)
class _Batch:
    """A batch on its way: the files known to be stored already, and the others being written."""

    items: Sequence[Item]
    known: dict[str, Outcome]
    writing: Result

    def outcomes(self) -> Iterator[Outcome]:
        groups = self.writing.get()
        if groups is None:
            return
        written = iter(groups)
        for item in self.items:
            if isinstance(item, str) and item in self.known:
                yield self.known[item]
            else:
                yield from next(written)


# An origin with its stat (None: standard input, or a path that cannot be stat'ed, which
# reading it will then report).
_Stated = tuple[str, os.stat_result | None]


def _work(engine: Engine, origins: Iterable[str], size: int, max_size: int) -> Iterator[_Work]:
    """The batches of a run, in order: chunks of files, less those stored already.

    A web archive among them (by its content: ``ingest.archives``) is taken out
    of its chunk and handed out after it, in batches of its parts, read as
    the batches go (never indexed whole first).
    """
    for chunk in _chunked(origins, size, BATCH_BYTES, max_size):
        files = [(origin, st.st_size, st.st_mtime) for origin, st in chunk if st is not None]
        with Session(reading(engine)) as session:
            known = Store(session).unchanged_files(files)
        archives = {
            origin: kind
            for origin, stat in chunk
            if origin not in known and (kind := archive_kind(origin, stat)) is not None
        }
        items = [origin for origin, _ in chunk if origin not in archives]
        yield _Work(items, known, [origin for origin in items if origin not in known])
        for origin, kind in archives.items():
            for batch in _part_batches(engine, origin, kind, size):
                yield _Work(batch, {}, list(batch))


def _part_batches(engine: Engine, path: str, kind: str, size: int) -> Iterator[list[Item]]:
    """A web archive's parts, in batches of at most ``size`` records and ``BATCH_BYTES``.

    Where each of its WARCs was left is looked up first, in a session closed
    before any reading: a transaction held open while a large archive is read
    would keep SQLite from folding its WAL into the database.
    """
    try:
        names = [warc.name for warc in warcs(path, kind)]
    except OSError:  # gone since it was found to be an archive: reading it says so
        names = []
    with Session(reading(engine)) as session:
        left = Store(session).resume_points(names)
    batch: list[Item] = []
    records = weight = 0
    for part in parts(path, kind, left.get):
        extent = max(part.end - part.start, 0)
        if batch and (records + len(part.offsets) > size or weight + extent > BATCH_BYTES):
            yield batch
            batch, records, weight = [], 0, 0
        batch.append(part)
        records += len(part.offsets)
        weight += extent
    if batch:
        yield batch


def _stat(origin: str) -> os.stat_result | None:
    if origin == STDIN:
        return None
    try:
        return os.stat(origin)
    except (OSError, ValueError):
        return None


def _chunked(
    origins: Iterable[str], size: int, max_bytes: int, max_size: int
) -> Iterator[list[_Stated]]:
    """Chunks of at most ``size`` files and, beyond their first file, ``max_bytes`` bytes.

    Files over ``max_size`` count for nothing: they are refused unread; so do
    files that are not regular files (a FIFO, a device), which are never read.
    """
    chunk: list[_Stated] = []
    total = 0
    for origin in origins:
        stat = _stat(origin)
        weight = 0
        if stat is not None and S_ISREG(stat.st_mode) and stat.st_size <= max_size:
            weight = stat.st_size
        if chunk and (len(chunk) >= size or total + weight > max_bytes):
            yield chunk
            chunk, total = [], 0
        chunk.append((origin, stat))
        total += weight
    if chunk:
        yield chunk
